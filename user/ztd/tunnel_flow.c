// SPDX-License-Identifier: GPL-2.0
/* tunnel_flow.c — flows the proxy allowed to a remote tunnel, carried
 * as streams. The proxy's worker holds the client's socket and relays it
 * in the kernel; for such a flow ztd tells it to connect to ztd's own
 * loopback socket (the ingress) and to send a 16-byte nonce first, which
 * says which decided flow this is. ztd then opens a stream to the flow's
 * destination on the least busy connection of the tunnel and bridges the
 * two (bridge.h). A nonce is good once, for 10 s; an ingress connection
 * that does not say a good one within 5 s is reset. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "bridge.h"
#include "clock.h"
#include "log.h"
#include "tunnel_int.h"
#include "zt_abi.h"

static void ing_free(struct tun_ingress *g, bool rst)
{
	struct ztd_tunnels *tt = g->tt;

	zt_timer_stop(tt->d->loop, &g->timer);
	zt_io_del(tt->d->loop, &g->io);
	if (g->io.fd >= 0) {
		if (rst) {
			struct linger lg = { .l_onoff = 1, .l_linger = 0 };

			setsockopt(g->io.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		}
		close(g->io.fd);
	}
	if (g->prev)
		g->prev->next = g->next;
	else
		tt->ings = g->next;
	if (g->next)
		g->next->prev = g->prev;
	tt->n_ings--;
	free(g);
}

/* The pending flow whose nonce this is (constant time over the table). */
static struct tun_flow_pending *take(struct ztd_tunnels *tt, const __u8 *nonce)
{
	struct tun_flow_pending *hit = NULL;
	__u64 now = zt_mono_ms();
	size_t i, j;

	for (i = 0; i < TUN_PENDING_FLOWS; i++) {
		struct tun_flow_pending *p = &tt->pend[i];
		__u8 diff = 0;

		for (j = 0; j < sizeof(p->nonce); j++)
			diff |= p->nonce[j] ^ nonce[j];
		if (p->used && !diff && now < p->exp_ms)
			hit = p;
	}
	if (hit)
		hit->used = false;
	return hit;
}

struct gw_conn *tun_least_busy(struct ztd_tunnels *tt, int ts)
{
	struct gw_conn *c, *best = NULL;
	__u32 n, bn = 0;

	for (c = tt->conns; c; c = c->next) {
		if (!c->ready || c->ts != ts || c->t.down || zt_mux_goaway_seen(c->t.mux))
			continue;
		n = zt_mux_stats(c->t.mux)->streams;
		if (!best || n < bn) {
			best = c;
			bn = n;
		}
	}
	return best;
}

static void flow_done(void *arg, struct zt_bridge *b, const char *why, __u32 code, __u64 in,
		      __u64 out)
{
	struct gw_conn *c = arg;
	struct ztd_tunnels *tt = c->tt;
	__u64 dropped;

	(void)b;
	if (code && code != ZT_MUX_E_GONE) {
		tt->streams_refused++;
		if (c->ts >= 0)
			tt->ts[c->ts].failed++;
		if (zt_rate_ok(&tt->flow_log, 10, zt_mono_ms(), &dropped)) {
			pr_info("tunnel %s: a stream ended: the connector says %s (%s)\n",
				c->ts >= 0 ? tt->ts[c->ts].name : "?", zt_mux_err_name(code),
				why ? why : "");
		}
	}
	pr_debug("tunnel stream ended: %s; %llu bytes to the tunnel, %llu from it\n",
		 why ? why : "both sides finished", (unsigned long long)in,
		 (unsigned long long)out);
}

static void on_ing_timer(struct zt_timer *t)
{
	struct tun_ingress *g = ztd_of(t, struct tun_ingress, timer);

	pr_debug("tunnel ingress: no flow's nonce within %d ms: reset\n", TUN_INGRESS_MS);
	ing_free(g, true);
}

static void on_ing_read(struct zt_io *io, __u32 events)
{
	struct tun_ingress *g = ztd_of(io, struct tun_ingress, io);
	struct ztd_tunnels *tt = g->tt;
	struct tun_flow_pending *p;
	struct tun_state *ts;
	struct zt_mux_stream *s;
	struct gw_conn *c;
	ssize_t n;
	int fd, err;

	(void)events;
	n = recv(io->fd, g->got + g->have, sizeof(g->got) - g->have, MSG_DONTWAIT);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		ing_free(g, false);
		return;
	}
	g->have += (size_t)n;
	if (g->have < sizeof(g->got))
		return;
	p = take(tt, g->got);
	if (!p) {
		__u64 dropped;

		if (zt_rate_ok(&tt->flow_log, 10, zt_mono_ms(), &dropped))
			pr_info("tunnel ingress: a connection with no flow's nonce: reset\n");
		ing_free(g, true);
		return;
	}
	ts = tun_state_by_name(tt, p->tunnel);
	c = ts ? tun_least_busy(tt, (int)(ts - tt->ts)) : NULL;
	s = c ? zt_mux_open(c->t.mux, &p->o, NULL, &err) : NULL;
	if (ts)
		ts->streams++;
	if (!s) {
		tt->streams_refused++;
		if (ts)
			ts->failed++;
		pr_info("tunnel %s: no stream for a flow: %s\n", p->tunnel,
			c ? strerror(-err) : "no connection of its connector is up");
		ing_free(g, true);
		return;
	}
	tt->streams_opened++;
	/* The socket is the bridge's from here. */
	fd = io->fd;
	zt_io_del(tt->d->loop, io);
	io->fd = -1;
	ing_free(g, false);
	zt_bridge_new(&c->t, s, fd, false, flow_done, c); /* it flushes c */
}

static void on_ing_accept(struct zt_io *io, __u32 events)
{
	struct ztd_tunnels *tt = ztd_of(io, struct ztd_tunnels, ing_io);
	struct tun_ingress *g;
	int fd, i;

	(void)events;
	for (i = 0; i < 32; i++) {
		int one = 1;

		fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			zt_accept_rest(tt->d->loop, io, &tt->ing_rest, errno, 100, "the tunnel ingress");
			return;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (tt->n_ings >= TUN_INGRESS_MAX || !(g = calloc(1, sizeof(*g)))) {
			close(fd);
			continue;
		}
		g->tt = tt;
		g->io.fd = fd;
		g->io.cb = on_ing_read;
		g->timer.cb = on_ing_timer;
		g->next = tt->ings;
		if (tt->ings)
			tt->ings->prev = g;
		tt->ings = g;
		tt->n_ings++;
		if (zt_io_add(tt->d->loop, &g->io, EPOLLIN)) {
			ing_free(g, true);
			continue;
		}
		zt_timer_arm(tt->d->loop, &g->timer, TUN_INGRESS_MS);
	}
}

int tun_flow_open(struct ztd_tunnels *tt)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int fd;

	tt->pend = calloc(TUN_PENDING_FLOWS, sizeof(*tt->pend));
	if (!tt->pend)
		return -ENOMEM;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 1024) ||
	    getsockname(fd, (struct sockaddr *)&a, &al)) {
		int err = -errno;

		close(fd);
		return err;
	}
	tt->ing_io.fd = fd;
	tt->ing_io.cb = on_ing_accept;
	tt->ing_port = ntohs(a.sin_port);
	return zt_io_add(tt->d->loop, &tt->ing_io, EPOLLIN);
}

void tun_flow_close(struct ztd_tunnels *tt)
{
	while (tt->ings)
		ing_free(tt->ings, true);
	zt_timer_stop(tt->d->loop, &tt->ing_rest.t);
	if (tt->ing_io.fd >= 0) {
		zt_io_del(tt->d->loop, &tt->ing_io);
		close(tt->ing_io.fd);
		tt->ing_io.fd = -1;
	}
	free(tt->pend);
	tt->pend = NULL;
}

int ztd_tunnel_prepare(struct ztd *d, const char *tunnel, const struct zt_mux_open *o,
		       __u8 nonce[ZT_PXM_PRE_MAX], __u16 *port)
{
	struct ztd_tunnels *tt = d->tunnels;
	struct tun_state *ts = tt ? tun_state_by_name(tt, tunnel) : NULL;
	__u64 now = zt_mono_ms();
	size_t i;

	if (!ts || !ts->n_up)
		return -ENOTCONN;
	for (i = 0; i < TUN_PENDING_FLOWS; i++)
		if (!tt->pend[i].used || now >= tt->pend[i].exp_ms)
			break;
	if (i == TUN_PENDING_FLOWS)
		return -ENOBUFS;
	if (zt_tls_random(tt->pend[i].nonce, sizeof(tt->pend[i].nonce)))
		return -EIO;
	tt->pend[i].o = *o;
	snprintf(tt->pend[i].tunnel, sizeof(tt->pend[i].tunnel), "%s", ts->name);
	tt->pend[i].exp_ms = now + TUN_PENDING_MS;
	tt->pend[i].used = true;
	memcpy(nonce, tt->pend[i].nonce, ZT_PXM_PRE_MAX);
	*port = tt->ing_port;
	return 0;
}
