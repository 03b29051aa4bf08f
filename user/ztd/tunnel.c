// SPDX-License-Identifier: GPL-2.0
/* tunnel.c — the tunnel endpoint: connectors of remote tunnels dial in
 * to gateway.connector_listen over TLS 1.3 (the gateway's key made once
 * in STATE_DIR/tls; connectors pin it), present their tunnel's id and
 * secret in HELLO, and are kept with keepalives; each tunnel's health
 * follows its connections. A connection that does not finish TLS and
 * HELLO in 10 s, breaks the protocol, or stops answering PINGs for 15 s is
 * closed; past 64 connections not yet through HELLO (8 from one address)
 * new ones are closed at accept, counted. The gateway opens streams (for
 * flows, tunnel_flow.c); an OPEN from a connector is refused. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sock.h"
#include "bridge.h"
#include "clock.h"
#include "log.h"
#include "tunnel_int.h"
#include "zt_abi.h"

/* Every configured tunnel's name fits where the endpoint keeps it: two
 * names cut to one would be one tunnel here. */
_Static_assert(ZT_TUNNEL_NAME_MAX < ZT_CTL_NAME_MAX, "a tunnel's name must fit ZT_CTL_NAME_MAX");

static const struct zt_mux_ops gw_ops;

static const char *sa_str(const struct sockaddr_storage *ss, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, n, "%s:%u", a, ntohs(s4->sin_port));
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, n, "[%s]:%u", a, ntohs(s6->sin6_port));
	}
	return buf;
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		       &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
}

/* ---- health ----------------------------------------------------------------------- */

struct tun_state *tun_state_by_name(struct ztd_tunnels *tt, const char *name)
{
	size_t i;

	for (i = 0; i < tt->n_ts; i++)
		if (!strcmp(tt->ts[i].name, name))
			return &tt->ts[i];
	return NULL;
}

static void health(struct ztd_tunnels *tt, struct tun_state *ts)
{
	__u8 h;

	if (!ts->remote)
		h = ZT_CTL_H_LOCAL;
	else if (!ts->n_up)
		h = ts->ever ? ZT_CTL_H_DOWN : ZT_CTL_H_INACTIVE;
	else
		h = ts->n_up >= ts->expected ? ZT_CTL_H_HEALTHY : ZT_CTL_H_DEGRADED;
	(void)tt;
	if (h == ts->health)
		return;
	ts->health = h;
	ts->since_ms = zt_mono_ms();
	if (ts->remote)
		pr_info("tunnel %s: %s (%u of %u connections up)\n", ts->name,
			zt_ctl_health_name(h), ts->n_up, ts->expected);
}

/* ---- connections --------------------------------------------------------------------- */

/* Lines about connections that never got through HELLO: 20 a second at
 * most (anyone can make them), the rest counted and said once. */
static bool pre_hello_log(struct ztd_tunnels *tt)
{
	return zt_rate_say(&tt->prelog, 20, zt_mono_ms(),
			   "connector connections refused before HELLO");
}

static void conn_free(struct gw_conn *c)
{
	struct ztd_tunnels *tt = c->tt;

	zt_timer_stop(tt->d->loop, &c->timer);
	if (c->prev)
		c->prev->next = c->next;
	else
		tt->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (!c->ready)
		tt->n_pending--;
	if (c->access)
		tun_access_down(c);
	if (c->ts >= 0) {
		struct tun_state *ts = &tt->ts[c->ts];

		ts->n_up--;
		health(tt, ts);
	}
	zt_tconn_free(&c->t);
	free(c);
}

static void on_down(struct zt_tconn *t, const char *why)
{
	struct gw_conn *c = ztd_of(t, struct gw_conn, t);

	if (c->ts >= 0)
		pr_warn("tunnel %s: connection %u from %s (%s) ended: %s\n", c->tt->ts[c->ts].name,
			c->index, c->peer, c->connector, why);
	else if (c->access)
		pr_info("access connection from %s (%s) ended: %s\n", c->peer, c->user->email,
			why);
	else {
		c->tt->failed++;
		if (pre_hello_log(c->tt))
			pr_info("connector connection from %s ended before HELLO was taken: %s\n",
				c->peer, why);
	}
	conn_free(c);
}

static void on_up(struct zt_tconn *t)
{
	(void)t; /* TLS is up: the connector speaks first (HELLO) */
}

static void on_timer(struct zt_timer *tm)
{
	struct gw_conn *c = ztd_of(tm, struct gw_conn, timer);
	__u64 now = zt_mono_ms();

	if (!c->ready) {
		c->tt->timeouts++;
		pr_info("connector connection from %s: no TLS and HELLO within %d s: closed\n",
			c->peer, TUN_HANDSHAKE_MS / 1000);
		conn_free(c);
		return;
	}
	if (now - c->last_pong_ms > TUN_DEAD_MS) {
		pr_warn("%s %s: connection %u from %s: no answer to keepalives for %d s: "
			"closed\n", c->access ? "access for" : "tunnel",
			c->access ? c->user->email : c->tt->ts[c->ts].name, c->index, c->peer,
			TUN_DEAD_MS / 1000);
		conn_free(c);
		return;
	}
	if (c->access && !tun_user_valid(c->tt, c->user->id, c->user->expires)) {
		pr_info("access connection from %s (%s) closed: its token expired\n", c->peer,
			c->user->email);
		conn_free(c);
		return;
	}
	zt_mux_ping(c->t.mux, (__u32)now);
	/* Armed first: the flush may end c (and stop its timer). */
	zt_timer_arm(c->tt->d->loop, &c->timer, TUN_KEEPALIVE_MS);
	zt_tconn_flush(&c->t);
}

/* The connector's HELLO: its tunnel's id and secret, checked in constant
 * time; refused with GO_AWAY (and closed once that is sent). */
static int gw_hello(void *arg, __u16 flags, const struct zt_mux_hello *h)
{
	struct gw_conn *c = arg;
	struct ztd_tunnels *tt = c->tt;
	struct tun_cred *cr = flags == ZT_MUX_SYN ? tun_cred_by_id(tt, h->tunnel) : NULL;
	struct tun_state *ts = cr ? tun_state_by_name(tt, cr->name) : NULL;
	volatile __u8 diff = 0;
	__u32 code = ZT_MUX_GA_AUTH;
	size_t i;

	if (flags != ZT_MUX_SYN)
		return -EPROTO;
	if (h->version == ZT_MUX_ACCESS) {
		if (!tun_access_hello(c, h)) {
			tt->n_pending--;
			zt_timer_arm(tt->d->loop, &c->timer, TUN_KEEPALIVE_MS);
		}
		return 0;
	}
	if (h->version != ZT_MUX_PROTO)
		code = ZT_MUX_GA_VERSION;
	for (i = 0; cr && i < ZT_MUX_SECRET_LEN; i++)
		diff |= cr->secret[i] ^ h->secret[i];
	if (code == ZT_MUX_GA_AUTH && cr && !diff && ts && ts->remote) {
		if (ts->n_up >= ZT_CTL_TUNNEL_CONNS) {
			pr_warn("tunnel %s: a connection from %s refused: %d are up already\n",
				ts->name, c->peer, ZT_CTL_TUNNEL_CONNS);
			ts->refused++;
			code = ZT_MUX_GA_INTERNAL;
		} else {
			zt_mux_hello(c->t.mux, ZT_MUX_ACK, NULL);
			zt_mux_set_ready(c->t.mux);
			c->ready = true;
			tt->n_pending--;
			c->ts = (int)(ts - tt->ts);
			c->index = h->conn;
			c->of = h->of;
			snprintf(c->connector, sizeof(c->connector), "%s", h->name);
			c->since_ms = c->last_pong_ms = zt_mono_ms();
			ts->ever = true;
			ts->expected = h->of;
			ts->n_up++;
			pr_info("tunnel %s: connection %u of %u up from %s (connector %s)\n",
				ts->name, h->conn, h->of, c->peer, h->name[0] ? h->name : "-");
			health(tt, ts);
			zt_timer_arm(tt->d->loop, &c->timer, TUN_KEEPALIVE_MS);
			return 0;
		}
	}
	if (code != ZT_MUX_GA_INTERNAL) {
		tt->refused_auth++;
		if (ts)
			ts->refused++;
		if (pre_hello_log(tt))
			pr_warn("connector connection from %s refused: %s\n", c->peer,
				zt_mux_goaway_name(code));
	}
	zt_mux_goaway(c->t.mux, code);
	zt_tconn_close_after_send(&c->t);
	return 0;
}

static int gw_open(void *arg, struct zt_mux_stream *s, const struct zt_mux_open *o)
{
	struct gw_conn *c = arg;

	if (c->access)
		return tun_access_open(c, s, o);
	return ZT_MUX_E_PROTO; /* the gateway opens streams; a connector does not */
}

static void gw_event(void *arg, struct zt_mux_stream *s, unsigned evs)
{
	struct gw_conn *c = arg;
	struct zt_bridge *b = zt_mux_user(s);

	if (c->access)
		tun_access_event(c, s, evs);
	else if (b)
		zt_bridge_event(b, evs);
	else if (evs & ZT_MUXE_RST)
		zt_mux_release(s, 0);
}

static void gw_pong(void *arg, __u32 v)
{
	(void)v;
	((struct gw_conn *)arg)->last_pong_ms = zt_mono_ms();
}

static void gw_goaway(void *arg, __u32 code)
{
	struct gw_conn *c = arg;

	pr_info("connector connection from %s says go away (%s): it is draining\n", c->peer,
		zt_mux_goaway_name(code));
}

static const struct zt_mux_ops gw_ops = {
	.open = gw_open, .event = gw_event, .hello = gw_hello, .pong = gw_pong,
	.goaway = gw_goaway,
};

static void on_accept(struct zt_io *io, __u32 events)
{
	struct tun_listener *l = ztd_of(io, struct tun_listener, io);
	struct ztd_tunnels *tt = l->tt;
	struct sockaddr_storage ss, ls;
	socklen_t sl, lsl;
	struct gw_conn *c, *o;
	unsigned same;
	int fd, i;

	(void)events;
	for (i = 0; i < 16; i++) {
		sl = sizeof(ss);
		fd = accept4(io->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			zt_accept_rest(tt->d->loop, io, &l->rest, errno, 100, "the connector listener");
			return;
		}
		for (same = 0, o = tt->conns; o; o = o->next)
			same += !o->ready && same_addr(&o->peer_sa, &ss);
		if (tt->n_pending >= TUN_PENDING_MAX || same >= TUN_PENDING_PER_SRC) {
			char p[ZT_CTL_NAME_MAX];
			__u64 now = zt_mono_ms();

			tt->refused_pending++;
			if (now - tt->log_ms >= 1000) {
				tt->log_ms = now;
				pr_warn("connector connection from %s closed at accept: %s "
					"(refused so far: %llu)\n", sa_str(&ss, p, sizeof(p)),
					same >= TUN_PENDING_PER_SRC ?
						"8 from that address are not through HELLO yet" :
						"64 are not through HELLO yet",
					(unsigned long long)tt->refused_pending);
			}
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			return;
		}
		c->tt = tt;
		c->ts = -1;
		c->peer_sa = ss;
		sa_str(&ss, c->peer, sizeof(c->peer));
		lsl = sizeof(ls);
		if (!getsockname(fd, (struct sockaddr *)&ls, &lsl))
			sa_str(&ls, c->local, sizeof(c->local));
		c->t.on_up = on_up;
		c->t.on_down = on_down;
		c->timer.cb = on_timer;
		if (zt_tconn_start(&c->t, tt->d->loop, fd, tt->ctx, true, &tt->lim, &gw_ops, c)) {
			free(c);
			continue;
		}
		c->next = tt->conns;
		if (tt->conns)
			tt->conns->prev = c;
		tt->conns = c;
		tt->n_pending++;
		zt_timer_arm(tt->d->loop, &c->timer, TUN_HANDSHAKE_MS);
	}
}

void tun_drop_conns(struct ztd_tunnels *tt, const char *name, const char *why)
{
	struct gw_conn *c, *next;

	for (c = tt->conns; c; c = next) {
		next = c->next;
		if (c->ts >= 0 && !strcmp(tt->ts[c->ts].name, name)) {
			pr_info("tunnel %s: connection %u from %s closed: %s\n", name, c->index,
				c->peer, why);
			conn_free(c);
		}
	}
}

void tun_access_drop(struct ztd_tunnels *tt, const __u8 *id, const char *why)
{
	struct gw_conn *c, *next;

	for (c = tt->conns; c; c = next) {
		next = c->next;
		if (c->access && !memcmp(c->user->id, id, ZT_UTOKEN_ID_LEN)) {
			pr_info("access connection from %s (%s) closed: %s\n", c->peer,
				c->user->email, why);
			conn_free(c);
		}
	}
}

/* ---- the tunnels of the config ------------------------------------------------------ */

/* tt->ts anew from cfg, keeping what is known of tunnels by name; the
 * connections of a tunnel that is gone or local now are closed. */
static int tunnels_from(struct ztd_tunnels *tt, const struct zt_config *cfg)
{
	struct tun_state *v = calloc(cfg->n_tunnels + 1, sizeof(*v)), *old;
	struct gw_conn *c, *next;
	size_t i;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < cfg->n_tunnels; i++) {
		old = tun_state_by_name(tt, cfg->tunnels[i].name);
		if (old && old->remote == !cfg->tunnels[i].local)
			v[i] = *old;
		else
			v[i].since_ms = zt_mono_ms();
		snprintf(v[i].name, sizeof(v[i].name), "%s", cfg->tunnels[i].name);
		v[i].remote = !cfg->tunnels[i].local;
		if (!old || old->remote != v[i].remote) {
			v[i].health = v[i].remote ? ZT_CTL_H_INACTIVE : ZT_CTL_H_LOCAL;
			v[i].expected = 4;
		}
		v[i].n_up = 0;
	}
	/* Connections move to their tunnel's new place, or end. */
	for (c = tt->conns; c; c = next) {
		struct tun_state *nt = NULL;

		next = c->next;
		if (c->ts < 0)
			continue;
		for (i = 0; i < cfg->n_tunnels; i++)
			if (v[i].remote && !strcmp(v[i].name, tt->ts[c->ts].name))
				nt = &v[i];
		if (!nt) {
			pr_info("tunnel %s: no longer a remote tunnel of the config: connection %u "
				"closed\n", tt->ts[c->ts].name, c->index);
			c->ts = -1;
			c->ready = true; /* not pending either */
			conn_free(c);
			continue;
		}
		c->ts = (int)(nt - v);
		nt->n_up++;
	}
	free(tt->ts);
	tt->ts = v;
	tt->n_ts = cfg->n_tunnels;
	for (i = 0; i < tt->n_ts; i++)
		health(tt, &tt->ts[i]);
	return 0;
}

static int listen_one(const struct zt_cfg_endpoint *ep)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int fd, one = 1, err;

	sl = zt_sockaddr(ep->family, ep->addr, ep->port, &ss);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 128)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int ztd_tunnels_open(struct ztd *d)
{
	struct ztd_tunnels *tt;
	char dir[4096], ep[80];
	const char *why = NULL;
	size_t i;
	int err, line;

	if (!d->cfg.n_connector_listen)
		return 0;
	tt = calloc(1, sizeof(*tt));
	if (!tt)
		return -ENOMEM;
	tt->d = d;
	tt->big.max = ZT_MUX_BIG_BUDGET;
	tt->lim.big = &tt->big;
	tt->udp_io[0].io.fd = tt->udp_io[1].io.fd = -1;
	tt->raw[0] = tt->raw[1] = tt->icmp_io.fd = -1;
	d->tunnels = tt;
	snprintf(dir, sizeof(dir), "%s/tls", d->cfg.state_dir);
	mkdir(d->cfg.state_dir, 0700);
	tt->ctx = zt_tls_server(dir, tt->pin, &why);
	if (!tt->ctx) {
		pr_warn("tunnel endpoint: %s: %s\n", dir, why);
		err = -EINVAL;
		goto fail;
	}
	err = tun_creds_load(tt, &why, &line);
	if (err) {
		if (line)
			pr_warn("%s:%d: %s; fix or remove the line (its tunnel then needs 'ztctl "
			       "tunnel create' again)\n", tt->creds_path, line, why);
		else
			pr_warn("%s: %s\n", tt->creds_path, strerror(-err));
		goto fail;
	}
	err = tunnels_from(tt, &d->cfg);
	if (!err)
		err = tun_users_open(tt);
	if (!err)
		err = tun_dgram_open(tt);
	if (!err)
		err = tun_udp_open(tt);
	if (!err)
		err = tun_icmp_open(tt);
	if (err)
		goto fail;
	for (i = 0; i < d->cfg.n_connector_listen; i++) {
		const struct zt_cfg_endpoint *e = &d->cfg.connector_listen[i];
		char a[INET6_ADDRSTRLEN];
		int fd = listen_one(e);

		inet_ntop(e->family == ZT_AF_INET ? AF_INET : AF_INET6, e->addr, a, sizeof(a));
		snprintf(ep, sizeof(ep), e->family == ZT_AF_INET ? "%s:%u" : "[%s]:%u", a, e->port);
		if (fd < 0) {
			pr_warn("gateway.connector_listen %s: %s\n", ep, strerror(-fd));
			err = fd;
			goto fail;
		}
		tt->lis[i].tt = tt;
		tt->lis[i].io.fd = fd;
		tt->lis[i].io.cb = on_accept;
		tt->n_lis++;
		err = zt_io_add(d->loop, &tt->lis[i].io, EPOLLIN);
		if (err)
			goto fail;
		pr_info("tunnel endpoint: connectors dial %s (TLS 1.3)\n", ep);
	}
	return 0;
fail:
	ztd_tunnels_close(d);
	return err;
}

int ztd_tunnels_reload(struct ztd *d)
{
	struct ztd_tunnels *tt = d->tunnels;

	if (!tt) {
		if (d->cfg.n_connector_listen)
			pr_warn("gateway.connector_listen is new: restart ztd to listen there\n");
		return 0;
	}
	if (tt->n_lis != d->cfg.n_connector_listen)
		pr_warn("gateway.connector_listen changed: restart ztd to listen there\n");
	return tunnels_from(tt, &d->cfg);
}

void ztd_tunnel_stats(const struct ztd *d, __u64 *out)
{
	const struct ztd_tunnels *tt = d->tunnels;
	size_t k = 0;

#define GET_STAT(f, name) out[k++] = tt ? tt->f : 0;
	ZT_TUNNEL_STATS(GET_STAT)
#undef GET_STAT
}

void ztd_tunnels_recheck(struct ztd *d)
{
	if (!d->tunnels)
		return;
	tun_dgram_recheck(d->tunnels);
	tun_access_recheck(d->tunnels);
}

void ztd_tunnels_close(struct ztd *d)
{
	struct ztd_tunnels *tt = d->tunnels;
	size_t i;

	if (!tt)
		return;
	while (tt->conns) {
		tt->conns->ts = -1;
		conn_free(tt->conns);
	}
	tun_dgram_close(tt);
	tun_udp_close(tt);
	tun_icmp_close(tt);
	tun_access_close(tt);
	tun_users_close(tt);
	for (i = 0; i < tt->n_lis; i++) {
		zt_timer_stop(d->loop, &tt->lis[i].rest.t);
		zt_io_del(d->loop, &tt->lis[i].io);
		close(tt->lis[i].io.fd);
	}
	zt_tls_ctx_free(tt->ctx);
	free(tt->creds);
	free(tt->ts);
	free(tt);
	d->tunnels = NULL;
}

/* ---- what ztctl asks ------------------------------------------------------------------ */

int ztd_tunnel_op(struct ztd *d, __u8 op, const char *name, char *token, size_t tsz, char *why,
		  size_t whysz)
{
	if (!d->tunnels) {
		snprintf(why, whysz, "no tunnel endpoint: set gateway.connector_listen (and "
			 "restart ztd) so that connectors can dial in");
		return -ENOTCONN;
	}
	return tun_op(d->tunnels, op, name, token, tsz, why, whysz);
}

int ztd_user_op(struct ztd *d, const struct zt_ctl_user_req *q, struct zt_ctl_user_reply *a,
		char *why, size_t whysz)
{
	if (!d->tunnels) {
		snprintf(why, whysz, "no access endpoint: set gateway.connector_listen (and "
			 "restart ztd): access clients dial in there");
		return -ENOTCONN;
	}
	if (q->op == ZT_CTL_USER_REVOKE)
		return tun_user_revoke(d->tunnels, q->id, why, whysz);
	return tun_user_issue(d->tunnels, q, a, why, whysz);
}

int ztd_tunnel_list(const struct ztd *d, const char *name, struct zt_ctl_tunnel_list *l)
{
	const struct ztd_tunnels *tt = d->tunnels;
	__u64 now = zt_mono_ms();
	const struct gw_conn *c;
	size_t i;

	memset(l, 0, offsetof(struct zt_ctl_tunnel_list, t));
	l->m = 0;
	for (i = 0; i < d->cfg.n_tunnels && l->n < ZT_CTL_TUNNELS_MAX; i++) {
		const struct zt_cfg_tunnel *ct = &d->cfg.tunnels[i];
		struct zt_ctl_tunnel_info *t = &l->t[l->n];
		const struct tun_state *ts = tt ? tun_state_by_name((struct ztd_tunnels *)tt,
								   ct->name) : NULL;

		if (name[0] && strcmp(name, ct->name))
			continue;
		memset(t, 0, sizeof(*t));
		snprintf(t->name, sizeof(t->name), "%s", ct->name);
		t->remote = !ct->local;
		t->health = ct->local ? ZT_CTL_H_LOCAL : ZT_CTL_H_INACTIVE;
		t->expected = 4;
		if (ts) {
			t->health = ts->health;
			t->up = (__u8)ts->n_up;
			t->expected = ts->expected;
			t->since_ms = now - ts->since_ms;
			t->refused = ts->refused;
			t->streams = ts->streams;
			t->failed = ts->failed;
			t->creds = tun_cred_by_name((struct ztd_tunnels *)tt, ct->name) != NULL;
		}
		l->n++;
	}
	if (name[0] && !l->n)
		return -ENOENT;
	for (c = tt && name[0] ? tt->conns : NULL; c && l->m < ZT_CTL_TUNNEL_CONNS; c = c->next) {
		struct zt_ctl_tconn_info *ci = &l->c[l->m];

		if (c->ts < 0 || strcmp(tt->ts[c->ts].name, name))
			continue;
		memset(ci, 0, sizeof(*ci));
		ci->index = c->index;
		ci->of = c->of;
		snprintf(ci->peer, sizeof(ci->peer), "%s", c->peer);
		snprintf(ci->local, sizeof(ci->local), "%s", c->local);
		snprintf(ci->connector, sizeof(ci->connector), "%s", c->connector);
		ci->age_ms = now - c->since_ms;
		ci->streams = zt_mux_stats(c->t.mux)->streams;
		ci->bytes_in = c->t.bytes_in;
		ci->bytes_out = c->t.bytes_out;
		l->m++;
	}
	return 0;
}
