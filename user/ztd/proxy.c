// SPDX-License-Identifier: GPL-2.0
/* proxy.c — the L7 proxy's listeners and its connections' lives (issue
 * 15): tc assigns a STEER segment to a listener here (bpf/lib/steer.h;
 * ztd puts the listeners in zt_proxy), so an accepted socket's local
 * address is the original destination and its handshake's interface is
 * the client's link. The first bytes are read (bounded, with a timeout
 * for server-first protocols) and detected (wire/detect.h); the policy
 * in force decides with the same evaluator as the kernel and `ztctl
 * policy test` (zt_policy_eval_l7); a block is a TCP reset; an allowed
 * flow to a local tunnel is connected to the real destination, the bytes
 * read sent first, then relayed by proxy_relay.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include "clock.h"
#include "hostname.h"
#include "iri.h"
#include "l7.h"
#include "log.h"
#include "nl.h"
#include "sock.h"
#include "proxy_int.h"

static __u64 now_ms(void)
{
	return zt_mono_ms();
}

/* ---- the end of a connection ---------------------------------------------- */

static const char *const end_names[] = {
	[PX_END_CLOSED] = "closed", [PX_END_BLOCKED] = "blocked", [PX_END_RESET] = "reset",
	[PX_END_UPSTREAM] = "upstream_failed", [PX_END_NO_TUNNEL] = "no_connector",
	[PX_END_IDLE] = "idle", [PX_END_REVOKED] = "revoked", [PX_END_SHUTDOWN] = "shutdown",
	[PX_END_ERROR] = "error",
};

static void rst(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

void proxy_end(struct pconn *c, enum px_end how)
{
	struct ztd_proxy *px = c->px;

	c->end = how;
	proxy_log(c);
	if (how != PX_END_CLOSED) {
		rst(c->c.fd);
		rst(c->u.fd);
	}
	zt_timer_stop(px->d->loop, &c->t);
	zt_io_del(px->d->loop, &c->c);
	zt_io_del(px->d->loop, &c->u);
	if (c->c.fd >= 0)
		close(c->c.fd);
	if (c->u.fd >= 0)
		close(c->u.fd);
	proxy_relay_free(c);
	free(c->buf);
	if (c->prev)
		c->prev->next = c->next;
	else
		px->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	px->n--;
	free(c);
}

const char *proxy_end_name(enum px_end e)
{
	return (unsigned)e < sizeof(end_names) / sizeof(end_names[0]) && end_names[e] ?
		       end_names[e] : "?";
}

/* ---- identity and the decision -------------------------------------------- */

/* The gateway interface and VLAN the handshake came in on (a VLAN device
 * over a client interface is that interface with its id), as the kernel
 * keys identity: 0 when none of the client interfaces. */
static __u32 client_ifindex(const struct ztd *d, __u32 ifindex, __u16 *vlan)
{
	__u32 parent;
	size_t i;

	*vlan = 0;
	for (i = 0; i < d->cfg.n_client_ifaces; i++)
		if (d->ifindex[i] == ifindex)
			return ifindex;
	if (ifindex == (__u32)-1 || zt_nl_vlan_of(ifindex, &parent, vlan))
		return 0;
	for (i = 0; i < d->cfg.n_client_ifaces; i++)
		if (d->ifindex[i] == parent)
			return parent;
	*vlan = 0;
	return 0;
}

/* For the "could an L7 selector change it" check: every L7 rule matches
 * (arg non-NULL) or none. */
static bool l7_all(void *arg, __u32 idx)
{
	(void)idx;
	return arg != NULL;
}

/* The IRI dst is, from the kernel's own table (the half in force), into
 * e and its name; false when it is no allocated IRI. */
static bool iri_entry(struct ztd_proxy *px, const struct pconn *c, __u32 vnet,
		      struct zt_iri_entry *e)
{
	struct zt_iri_val v;
	struct zt_state st;
	__u32 zero = 0;

	memset(e, 0, sizeof(*e));
	e->key.vnet_id = vnet;
	e->key.family = c->family;
	memcpy(e->key.addr, c->dst, 16);
	if (bpf_map_lookup_elem(px->d->b.m.iri, &e->key, &v) ||
	    bpf_map_lookup_elem(px->d->b.m.state, &zero, &st))
		return false;
	e->dst = v.half[st.active & 1];
	e->resolved = v.real_ok;
	e->epoch = v.epoch;
	memcpy(e->real, v.real, 16);
	return true;
}

/* Decides c with the policy in force. final: the detection is over (or
 * not needed); else only when no L7 rule can change the answer. Returns
 * true when decided (c->r, c->upstream filled). */
bool proxy_decide(struct ztd_proxy *px, struct pconn *c, bool final)
{
	struct ztd *d = px->d;
	struct zt_compiled cc;
	struct zt_eval_pkt p = { 0 };
	struct zt_eval_result any, none;
	struct zt_iri_entry ie;
	struct zt_l7_arg a = { .cfg = &d->cfg };
	struct zt_l7_flow f = { .dport = c->dport, .proto = c->det.proto, .sni = c->det.name };

	if (!d->policy)
		return false;
	cc = *d->policy;
	p.ifindex = c->ifindex;
	p.vlan = c->vlan;
	p.family = c->family;
	p.pclass = ZT_PC_TCP;
	p.dport = c->dport;
	memcpy(p.src, c->src, 16);
	memcpy(p.dst, c->dst, 16);
	/* Its vnet first (an IRI is looked up in it): the identity alone. */
	zt_policy_eval(&cc, &p, &any);
	c->iri = iri_entry(px, c, any.vnet_id, &ie);
	cc.iris = c->iri ? &ie : NULL;
	cc.n_iris = c->iri ? 1 : 0;
	if (c->iri) {
		struct zt_iri a2;

		if (!ztd_dns_iri_name(d, c->family, c->dst, &a2) || a2.epoch != ie.epoch)
			c->iri_name[0] = 0;
		else
			memcpy(c->iri_name, a2.name, sizeof(c->iri_name));
	}
	if (!final) {
		zt_policy_eval_l7(&cc, &p, l7_all, &cc, &any);
		zt_policy_eval_l7(&cc, &p, l7_all, NULL, &none);
		if (any.rule_id != none.rule_id || any.verdict != none.verdict)
			return false;
		c->r = any;
	} else {
		f.iri_name = c->iri ? c->iri_name : NULL;
		a.name = zt_l7_sni_name(&d->cfg, &f);
		zt_policy_eval_l7(&cc, &p, zt_l7_match, &a, &c->r);
	}
	c->decided = true;
	c->up_family = c->family;
	c->up_port = c->dport;
	memcpy(c->up_addr, c->iri ? ie.real : c->dst, 16);
	return true;
}

/* ---- connections ----------------------------------------------------------- */

static void on_timer(struct zt_timer *t)
{
	struct pconn *c = ztd_of(t, struct pconn, t);

	if (c->st == PX_DETECT) {
		/* Nothing (or not enough) in time: a server-first protocol. */
		if (!c->len)
			c->det.why = ZT_DETECT_OTHER;
		else {
			c->det.why = ZT_DETECT_MALFORMED;
			c->px->st.malformed++;
		}
		c->det.proto = ZT_PROTO_UNKNOWN;
		c->px->st.detect_timeouts++;
		proxy_decide(c->px, c, true);
		proxy_act(c);
	} else if (c->st == PX_CONNECT) {
		proxy_end(c, PX_END_UPSTREAM);
	} else {
		proxy_end(c, PX_END_IDLE);
	}
}

static void on_client(struct zt_io *io, __u32 ev)
{
	struct pconn *c = ztd_of(io, struct pconn, c);
	ssize_t n;
	int err;

	if (c->st != PX_DETECT) {
		proxy_relay_events(c, io, ev);
		return;
	}
	if (!c->buf && !(c->buf = malloc(ZT_DETECT_MAX))) {
		proxy_end(c, PX_END_ERROR);
		return;
	}
	n = recv(c->c.fd, c->buf + c->len, ZT_DETECT_MAX - c->len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		proxy_end(c, n == 0 ? PX_END_CLOSED : PX_END_RESET);
		return;
	}
	c->len += (size_t)n;
	err = zt_detect(c->buf, c->len, &c->det);
	if (err == -EAGAIN && c->len < ZT_DETECT_MAX)
		return;
	if (err == -EAGAIN) { /* cannot happen: detect decides at ZT_DETECT_MAX */
		c->det.proto = ZT_PROTO_UNKNOWN;
		c->det.why = ZT_DETECT_TOO_BIG;
	}
	if (c->det.why == ZT_DETECT_MALFORMED || c->det.why == ZT_DETECT_TOO_BIG)
		c->px->st.malformed++;
	proxy_decide(c->px, c, true);
	proxy_act(c);
}

static void on_upstream(struct zt_io *io, __u32 ev)
{
	struct pconn *c = ztd_of(io, struct pconn, u);
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (c->st == PX_CONNECT) {
		if (getsockopt(c->u.fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) || soerr) {
			pr_info("proxy: connecting to the destination: %s\n", strerror(soerr));
			c->px->st.upstream_failed++;
			proxy_end(c, PX_END_UPSTREAM);
			return;
		}
		proxy_relay_start(c);
		return;
	}
	proxy_relay_events(c, io, ev);
}

static int upstream_connect(struct pconn *c)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int fd, one = 1;

	if (c->up_family == ZT_AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(c->up_port);
		memcpy(&a->sin_addr, c->up_addr, 4);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(c->up_port);
		memcpy(&a->sin6_addr, c->up_addr, 16);
		sl = sizeof(*a);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&ss, sl) && errno != EINPROGRESS) {
		int err = -errno;

		close(fd);
		return err;
	}
	c->u.fd = fd;
	return 0;
}

/* After the decision: reset, refuse, or connect. */
void proxy_act(struct pconn *c)
{
	struct ztd_proxy *px = c->px;
	int err;

	if (c->r.verdict == ZT_V_DROP || c->r.verdict == ZT_V_PASS) {
		px->st.blocked++;
		proxy_end(c, PX_END_BLOCKED);
		return;
	}
	if (c->r.verdict == ZT_V_STEER) {
		/* A remote tunnel: the connector (issue 16) plugs in here. */
		px->st.no_tunnel++;
		proxy_end(c, PX_END_NO_TUNNEL);
		return;
	}
	px->st.allowed++;
	err = upstream_connect(c);
	if (!err)
		err = zt_io_add(px->d->loop, &c->u, EPOLLOUT);
	c->uev = EPOLLOUT;
	if (err == 0 && c->u.fd < 0)
		err = -EBADF;
	if (err) {
		pr_info("proxy: connecting to the destination: %s\n", strerror(-err));
		px->st.upstream_failed++;
		proxy_end(c, PX_END_UPSTREAM);
		return;
	}
	c->st = PX_CONNECT;
	px_watch(px->d->loop, &c->c, &c->cev, 0);
	zt_timer_arm(px->d->loop, &c->t, PROXY_CONNECT_MS);
}

static void sockaddr_bytes(const struct sockaddr_storage *ss, __u8 *addr, __u16 *port)
{
	memset(addr, 0, 16);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		memcpy(addr, &a->sin_addr, 4);
		*port = ntohs(a->sin_port);
	} else {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		memcpy(addr, &a->sin6_addr, 16);
		*port = ntohs(a->sin6_port);
	}
}

static void accept_all(struct ztd_proxy *px, struct zt_io *io)
{
	struct sockaddr_storage src, dst;
	socklen_t sl, dl;
	struct pconn *c;
	__u32 ifindex;
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
			rst(fd);
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			rst(fd);
			close(fd);
			continue;
		}
		c->px = px;
		c->c.fd = fd;
		c->c.cb = on_client;
		c->u.fd = -1;
		c->u.cb = on_upstream;
		c->t.cb = on_timer;
		c->cu.pipe[0] = c->cu.pipe[1] = c->uc.pipe[0] = c->uc.pipe[1] = -1;
		c->family = src.ss_family == AF_INET ? ZT_AF_INET : ZT_AF_INET6;
		sockaddr_bytes(&src, c->src, &c->sport);
		sockaddr_bytes(&dst, c->dst, &c->dport);
		ifindex = zt_sock_tcp_ifindex(fd, src.ss_family);
		c->ifindex = client_ifindex(px->d, ifindex, &c->vlan);
		c->start_ms = now_ms();
		c->next = px->head;
		if (px->head)
			px->head->prev = c;
		px->head = c;
		px->n++;
		px->st.accepted++;
		/* Decided at once when no L7 rule can change the answer. */
		if (proxy_decide(px, c, false)) {
			proxy_act(c);
			continue;
		}
		c->cev = EPOLLIN;
		if (zt_io_add(px->d->loop, &c->c, EPOLLIN) ||
		    zt_timer_arm(px->d->loop, &c->t, px->d->cfg.proxy_detect_ms)) {
			proxy_end(c, PX_END_ERROR);
			continue;
		}
	}
}

static void on_resume(struct zt_timer *t)
{
	struct ztd_proxy *px = ztd_of(t, struct ztd_proxy, resume);

	px_watch(px->d->loop, &px->l[0], &px->lev[0], EPOLLIN);
	px_watch(px->d->loop, &px->l[1], &px->lev[1], EPOLLIN);
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
	int fd, one = 1;
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Transparent: its connections answer from the destination the
	 * client asked for, which is no address of the gateway's. Packet
	 * info: the accepted socket keeps the handshake's interface. */
	if ((family == AF_INET ?
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
#define PROXY_FD_RESERVE 4096 /* the rest of ztd: DNS, maps, netlink */

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
	px->max_conns = want;
}

static int set_workers(struct ztd *d, __u32 n)
{
	struct zt_state st;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(d->b.m.state, &zero, &st))
		return -errno;
	st.proxy_workers = n;
	return bpf_map_update_elem(d->b.m.state, &zero, &st, BPF_ANY) ? -errno : 0;
}

int ztd_proxy_open(struct ztd *d)
{
	struct ztd_proxy *px = calloc(1, sizeof(*px));
	int i, err = 0;

	if (!px)
		return -ENOMEM;
	px->d = d;
	px->resume.cb = on_resume;
	px->l[0].fd = px->l[1].fd = -1;
	proxy_limits(px);
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
	for (i = 0; i < 2; i++) {
		zt_io_del(d->loop, &px->l[i]);
		if (px->l[i].fd >= 0)
			close(px->l[i].fd);
	}
	free(px);
	d->proxy = NULL;
}

/* A reload: every live connection is decided again under the policy now
 * in force; one it no longer allows is closed (reset) at once. */
void ztd_proxy_recheck(struct ztd *d)
{
	struct ztd_proxy *px = d->proxy;
	struct pconn *c, *next;

	if (!px)
		return;
	proxy_limits(px);
	for (c = px->head; c; c = next) {
		next = c->next;
		if (!c->decided)
			continue;
		proxy_decide(px, c, true);
		if (c->r.verdict != ZT_V_DIRECT) {
			px->st.revoked++;
			proxy_end(c, PX_END_REVOKED);
		}
	}
}

void ztd_proxy_stats(const struct ztd *d, struct ztd_proxy_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!d->proxy)
		return;
	*out = d->proxy->st;
	out->live = d->proxy->n;
}
