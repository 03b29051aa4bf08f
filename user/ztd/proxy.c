// SPDX-License-Identifier: GPL-2.0
/* proxy.c — the L7 proxy's listeners (issue 15): transparent sockets on
 * loopback that ztd puts in zt_proxy, so tc assigns steered segments to
 * them (bpf/lib/steer.h) and an accepted socket's local address is the
 * original destination. Here: accepting (proxy_conn.c takes each
 * connection on), the limits (connections at once, per client, the
 * descriptors they need), and deciding live connections again after a
 * reload and as IRIs change hands. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include "clock.h"
#include "log.h"
#include "share.h"
#include "proxy_int.h"

static void on_iri_check(struct zt_timer *t);

static void accept_all(struct ztd_proxy *px, struct zt_io *io)
{
	struct sockaddr_storage src, dst;
	socklen_t sl, dl;
	int fd, k;

	for (k = 0; k < 64; k++) {
		sl = sizeof(src);
		dl = sizeof(dst);
		fd = accept4(io->fd, (struct sockaddr *)&src, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOMEM ||
			       errno == ENOBUFS)) {
			/* Out of descriptors or memory (max_connections is kept
			 * below the descriptor limit, so another part of ztd
			 * took them): the listeners rest 100 ms, not spin on a
			 * backlog they cannot take; the kernel's backlog, then
			 * the clients' SYN retries, wait meanwhile. */
			px->st.refused_full++;
			pr_warn("proxy: accepting: %s; pausing 100 ms\n", strerror(errno));
			px_watch(px->d->loop, &px->l[0], &px->lev[0], 0);
			px_watch(px->d->loop, &px->l[1], &px->lev[1], 0);
			zt_timer_arm(px->d->loop, &px->resume, 100);
			return;
		}
		if (fd < 0)
			return;
		if (getsockname(fd, (struct sockaddr *)&dst, &dl)) {
			close(fd);
			continue;
		}
		if (px->n >= px->max_conns) {
			/* Full: this one is refused (reset), counted and
			 * logged; the connections that hold slots go on. */
			px->st.refused_full++;
			if (!px->full_warned)
				pr_warn("proxy: %zu connections, the most gateway.proxy."
					"max_connections allows: new ones are reset (counted "
					"as refused_full)\n", px->n);
			px->full_warned = true;
			proxy_rst(fd);
			close(fd);
			continue;
		}
		proxy_conn_start(px, fd, &src, &dst);
	}
}

static void on_resume(struct zt_timer *t)
{
	struct ztd_proxy *px = ztd_of(t, struct ztd_proxy, resume);

	if (px_watch(px->d->loop, &px->l[0], &px->lev[0], EPOLLIN) ||
	    px_watch(px->d->loop, &px->l[1], &px->lev[1], EPOLLIN))
		zt_timer_arm(px->d->loop, &px->resume, 100);
}

static void on_accept4(struct zt_io *io, __u32 ev)
{
	(void)ev;
	accept_all(ztd_of(io, struct ztd_proxy, l[0]), io);
}

static void on_accept6(struct zt_io *io, __u32 ev)
{
	(void)ev;
	accept_all(ztd_of(io, struct ztd_proxy, l[1]), io);
}

/* ---- listeners ------------------------------------------------------------- */

static int listener(int family)
{
	int fd, one = 1, mark = (int)ZT_MARK_PROXY;
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* The mark: tc gives a steered segment to an established socket
	 * only when it is the proxy's (accepted sockets inherit it).
	 * Transparent: its connections answer from the destination the
	 * client asked for, which is no address of the gateway's. Packet
	 * info: the accepted socket keeps the handshake's interface. */
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) ||
	    (family == AF_INET ?
		     setsockopt(fd, IPPROTO_IP, IP_TRANSPARENT, &one, sizeof(one)) ||
			     setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) :
		     setsockopt(fd, IPPROTO_IPV6, IPV6_TRANSPARENT, &one, sizeof(one)) ||
			     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) ||
			     setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one))) ||
	    bind(fd, family == AF_INET ? (struct sockaddr *)&a4 : (struct sockaddr *)&a6,
		 family == AF_INET ? sizeof(a4) : sizeof(a6)) ||
	    listen(fd, 4096)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* A relayed connection holds PROXY_FDS descriptors (two sockets, two
 * pipes). The soft RLIMIT_NOFILE is raised to hold max_connections of
 * them beside what the rest of ztd holds; when the hard limit is lower,
 * the proxy's limit comes down to what fits (and says so): connections
 * past it are refused and counted, never an accept that fails. */
#define PROXY_FDS 6
/* The rest of ztd: DNS (ZTD_DNS_PENDING + ZTD_DNS_TCP_MAX at most), maps,
 * netlink, logs. Linux gives a process 4096 at most by default (hard). */
#define PROXY_FD_RESERVE 2048

/* Each client address's count of live connections, in a table for max
 * connections: made anew when max changes, with what is live counted. */
static int share_resize(struct ztd_proxy *px, size_t max)
{
	struct zt_share t;
	struct pconn *c;

	if (zt_share_init(&t, max)) {
		pr_warn("proxy: no memory for a table of %zu connections: keeping %zu\n", max,
			px->max_conns);
		return -ENOMEM;
	}
	for (c = px->head; c; c = c->next)
		zt_share_take(&t, c->family, c->src, (size_t)-1);
	zt_share_free(&px->share);
	px->share = t;
	return 0;
}

static void proxy_limits(struct ztd_proxy *px)
{
	size_t want = px->d->cfg.proxy_max_conns;
	struct rlimit rl;
	rlim_t need = (rlim_t)want * PROXY_FDS + PROXY_FD_RESERVE;

	px->full_warned = false;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < need) {
		size_t fit = rl.rlim_cur > PROXY_FD_RESERVE ?
			     (size_t)((rl.rlim_cur - PROXY_FD_RESERVE) / PROXY_FDS) : 1;

		pr_warn("proxy: open files limited to %llu (RLIMIT_NOFILE): %zu connections "
			"at once, not gateway.proxy.max_connections' %zu\n",
			(unsigned long long)rl.rlim_cur, fit ? fit : 1, want);
		want = fit ? fit : 1;
	}
	if (want != px->max_conns && share_resize(px, want))
		return; /* kept the table it has, and its limit */
	px->max_conns = want;
}

static int set_workers(struct ztd *d, __u32 n)
{
	return zt_state_set_u32(d->b.m.state, offsetof(struct zt_state, proxy_workers), n);
}

int ztd_proxy_open(struct ztd *d)
{
	struct ztd_proxy *px = calloc(1, sizeof(*px));
	int i, err = 0;

	if (!px)
		return -ENOMEM;
	px->d = d;
	px->resume.cb = on_resume;
	px->iri_check.cb = on_iri_check;
	px->l[0].fd = px->l[1].fd = -1;
	proxy_limits(px);
	if (!px->max_conns) { /* the table could not be made */
		free(px);
		return -ENOMEM;
	}
	zt_timer_arm(d->loop, &px->iri_check, 1000);
	for (i = 0; i < 2 && !err; i++) {
		__u32 slot = (__u32)i * ZT_PROXY_PER_FAMILY;
		__u64 v;

		err = listener(i ? AF_INET6 : AF_INET);
		if (err < 0)
			break;
		px->l[i].fd = err;
		px->l[i].cb = i ? on_accept6 : on_accept4;
		v = (__u64)px->l[i].fd;
		err = bpf_map_update_elem(d->b.m.proxy, &slot, &v, BPF_ANY) ? -errno : 0;
		if (!err)
			err = zt_io_add(d->loop, &px->l[i], EPOLLIN);
		px->lev[i] = EPOLLIN;
	}
	if (!err)
		err = set_workers(d, 1);
	d->proxy = px;
	if (err) {
		pr_warn("starting the proxy's listeners: %s\n", strerror(-err));
		ztd_proxy_close(d);
	}
	return err;
}

void ztd_proxy_close(struct ztd *d)
{
	struct ztd_proxy *px = d->proxy;
	int i;

	if (!px)
		return;
	set_workers(d, 0);
	while (px->head)
		proxy_end(px->head, PX_END_SHUTDOWN);
	zt_timer_stop(d->loop, &px->resume);
	zt_timer_stop(d->loop, &px->iri_check);
	zt_share_free(&px->share);
	for (i = 0; i < 2; i++) {
		zt_io_del(d->loop, &px->l[i]);
		if (px->l[i].fd >= 0)
			close(px->l[i].fd);
	}
	free(px);
	d->proxy = NULL;
}

/* Decides every live connection (to an IRI only, or all) again under
 * the policy now in force; one it no longer allows, or whose IRI now
 * means another name, is reset at once. */
static void recheck(struct ztd_proxy *px, bool iri_only)
{
	struct pconn *c, *next;

	for (c = px->head; c; c = next) {
		next = c->next;
		if (!c->decided || (iri_only && !c->iri))
			continue;
		if (!proxy_decide(px, c, true) || c->r.verdict != ZT_V_DIRECT) {
			px->st.revoked++;
			proxy_end(c, PX_END_REVOKED);
		}
	}
}

/* An IRI may go to another name between reloads: connections to IRIs
 * are checked every second, as the kernel checks a DIRECT flow's epoch
 * on its next packet. */
static void on_iri_check(struct zt_timer *t)
{
	struct ztd_proxy *px = ztd_of(t, struct ztd_proxy, iri_check);

	recheck(px, true);
	zt_timer_arm(px->d->loop, &px->iri_check, 1000);
}

void ztd_proxy_recheck(struct ztd *d)
{
	if (!d->proxy)
		return;
	proxy_limits(d->proxy);
	recheck(d->proxy, false);
}

void ztd_proxy_stats(const struct ztd *d, struct ztd_proxy_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!d->proxy)
		return;
	*out = d->proxy->st;
	out->live = d->proxy->n;
}
