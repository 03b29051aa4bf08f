// SPDX-License-Identifier: GPL-2.0
/* proxy_conn.c — one proxied connection's life, up to the relay: who it
 * is (the handshake's interface and source), detection of its first bytes
 * (bounded, with a timeout for server-first protocols), the decision with
 * the policy in force (zt_policy_eval_l7, as ztctl policy test), a reset
 * on block, the upstream connect (never to the gateway's own addresses,
 * out of the tunnel's private interface), and its end. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include "clock.h"
#include "hash.h"
#include "iri.h"
#include "l7.h"
#include "log.h"
#include "nl.h"
#include "share.h"
#include "sock.h"
#include "proxy_int.h"

/* ---- the end of a connection ---------------------------------------------- */

static const char *const end_names[] = {
	[PX_END_CLOSED] = "closed", [PX_END_BLOCKED] = "blocked", [PX_END_RESET] = "reset",
	[PX_END_UPSTREAM] = "upstream_failed", [PX_END_NO_TUNNEL] = "no_connector",
	[PX_END_IDLE] = "idle", [PX_END_REVOKED] = "revoked", [PX_END_SHUTDOWN] = "shutdown",
	[PX_END_ERROR] = "error",
};

void proxy_rst(int fd)
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
		proxy_rst(c->c.fd);
		proxy_rst(c->u.fd);
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
	zt_share_give(&px->share, c->family, c->src);
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

/* Whether a is in the initial-resolved-IP pools (IRIs live nowhere else). */
static bool in_iri_pool(const struct zt_config *cfg, __u8 family, const __u8 *a)
{
	struct zt_prefix pa = { .family = family, .len = family == ZT_AF_INET ? 32 : 128 };

	memcpy(pa.addr, a, 16);
	return zt_prefix_contains(family == ZT_AF_INET ? &cfg->iri4 : &cfg->iri6, &pa);
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
	if (!in_iri_pool(&px->d->cfg, c->family, c->dst))
		return false; /* two look-ups saved on every CIDR flow */
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
	struct zt_l7_flow f = { .dport = c->dport, .proto = c->det.proto, .name = c->det.name };
	struct zt_l7_arg a = { .cfg = &d->cfg, .flow = &f };
	bool was = c->decided, iri;

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
	iri = iri_entry(px, c, any.vnet_id, &ie);
	if (was && (iri != c->iri || (iri && (ie.epoch != c->iri_epoch ||
					      memcmp(ie.real, c->up_addr, 16))))) {
		/* Checked again: the address now means another name (or
		 * none), or its real server moved. The connection made for
		 * what it meant then is not this flow's any more. */
		c->r.verdict = ZT_V_DROP;
		c->r.reason = ZT_R_IRI_UNKNOWN;
		return true;
	}
	c->iri = iri;
	c->iri_epoch = iri ? ie.epoch : 0;
	cc.iris = c->iri ? &ie : NULL;
	cc.n_iris = c->iri ? 1 : 0;
	if (c->iri && !was) {
		struct zt_iri a2;

		if (!ztd_dns_iri_name(d, c->family, c->dst, &a2) || a2.epoch != ie.epoch) {
			/* The kernel's IRI and the DNS server's disagree (it
			 * changed hands meanwhile): no name to decide by, and
			 * a rule that blocks by name must not be skipped. */
			c->r = any;
			c->r.rule_id = 0;
			c->r.verdict = ZT_V_DROP;
			c->r.reason = ZT_R_IRI_UNKNOWN;
			c->decided = true;
			return true;
		}
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
		zt_policy_eval_l7(&cc, &p, zt_l7_match, &a, &c->r);
	}
	c->decided = true;
	if (!was) { /* where it connects is fixed by the first decision */
		c->up_family = c->family;
		c->up_port = c->dport;
		memcpy(c->up_addr, c->iri ? ie.real : c->dst, 16);
	}
	return true;
}

/* ---- connections ----------------------------------------------------------- */

static void proxy_decided(struct pconn *c);

static void on_timer(struct zt_timer *t)
{
	struct pconn *c = ztd_of(t, struct pconn, t);

	if (c->st == PX_DETECT) {
		/* Nothing (or not enough) in time: a server-first protocol. */
		c->det.why = c->len ? ZT_DETECT_MALFORMED : ZT_DETECT_OTHER;
		c->det.proto = ZT_PROTO_UNKNOWN;
		c->px->st.detect_timeouts++;
		proxy_decided(c);
	} else if (c->st == PX_CONNECT) {
		proxy_end(c, PX_END_UPSTREAM);
	} else {
		proxy_end(c, PX_END_IDLE);
	}
}

/* Detection is over: decide with what it found and act on it. Without a
 * policy to decide with (none applied yet), the flow is reset. */
static void proxy_decided(struct pconn *c)
{
	if (c->det.why == ZT_DETECT_MALFORMED || c->det.why == ZT_DETECT_TOO_BIG)
		c->px->st.malformed++;
	if (!proxy_decide(c->px, c, true)) {
		proxy_end(c, PX_END_ERROR);
		return;
	}
	proxy_act(c);
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
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		if (!c->len) { /* a wakeup with nothing: hold no buffer */
			free(c->buf);
			c->buf = NULL;
		}
		return;
	}
	if (n < 0) {
		proxy_end(c, PX_END_RESET);
		return;
	}
	if (n == 0) {
		/* The client finished sending: decided on what it sent, and
		 * its FIN passed on once that is delivered. */
		c->client_eof = true;
		err = zt_detect(c->buf, c->len, &c->det);
		if (err == -EAGAIN) {
			c->det.proto = ZT_PROTO_UNKNOWN;
			c->det.why = c->len ? ZT_DETECT_MALFORMED : ZT_DETECT_OTHER;
		}
		proxy_decided(c);
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
	proxy_decided(c);
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

/* The tunnel route_id goes through, or NULL. */
static const struct zt_cfg_tunnel *route_tunnel(const struct zt_config *cfg, __u32 route_id)
{
	__u32 i = (route_id & ~ZT_ROUTE_ID_HOST) - 1, t;

	if (!(route_id & ~ZT_ROUTE_ID_HOST))
		return NULL;
	if (route_id & ZT_ROUTE_ID_HOST)
		t = i < cfg->n_host_routes ? cfg->host_routes[i].tunnel : 0;
	else
		t = i < cfg->n_routes ? cfg->routes[i].tunnel : 0;
	return t && t <= cfg->n_tunnels ? &cfg->tunnels[t - 1] : NULL;
}

/* An address the proxy must never connect to for a client: unspecified,
 * loopback, multicast, IPv4-mapped, an IRI (the pools), or one of the
 * gateway's own (a bind to it succeeds): a resolver's sinkhole answer or
 * a route that covers the gateway would otherwise reach its own
 * services, which the kernel's DIRECT path never forwards to. */
static bool upstream_forbidden(const struct ztd *d, const struct sockaddr_storage *ss,
			       socklen_t sl, const __u8 *a, __u8 family)
{
	static const __u8 zero[16], mapped[12] = { [10] = 0xff, [11] = 0xff };
	struct px_not_ours *seen;
	__u64 now;
	int fd, ok;

	if (family == ZT_AF_INET) {
		if (a[0] == 0 || a[0] == 127 || a[0] >= 224)
			return true;
	} else if (!memcmp(a, zero, 15) || a[0] == 0xff || !memcmp(a, mapped, 12)) {
		return true; /* ::, ::1, multicast, IPv4-mapped */
	}
	if (in_iri_pool(&d->cfg, family, a))
		return true;
	/* Found no address of the gateway's within the last second: not
	 * asked again (three syscalls on every connection to a server). */
	now = zt_mono_ms();
	seen = &d->proxy->not_ours[zt_hash64(a, 16, family) % PROXY_NOT_OURS];
	if (seen->family == family && !memcmp(seen->addr, a, 16) && now - seen->at_ms < 1000)
		return false;
	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return true;
	{
		struct sockaddr_storage b = *ss;

		if (b.ss_family == AF_INET)
			((struct sockaddr_in *)&b)->sin_port = 0;
		else
			((struct sockaddr_in6 *)&b)->sin6_port = 0;
		ok = bind(fd, (struct sockaddr *)&b, sl) != 0; /* bound: it is ours */
	}
	close(fd);
	if (ok) {
		seen->family = family;
		memcpy(seen->addr, a, 16);
		seen->at_ms = now;
	}
	return !ok;
}

static int upstream_connect(struct pconn *c)
{
	const struct ztd *d = c->px->d;
	const struct zt_cfg_tunnel *t = route_tunnel(&d->cfg, c->r.route_id);
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
	if (upstream_forbidden(d, &ss, sl, c->up_addr, c->up_family))
		return -EADDRNOTAVAIL;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* Out of the tunnel's private interface, as the kernel's DIRECT
	 * path sends it, never wherever the main table says. */
	if (t && t->private_interface &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, t->private_interface,
		       (socklen_t)strlen(t->private_interface) + 1)) {
		int err = -errno;

		close(fd);
		return err;
	}
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
		/* Once a second at most: a client can make these as fast as
		 * it connects (each is counted and in the network log). */
		if (zt_mono_ms() / 1000 != px->upstream_warn_sec)
			pr_info("proxy: connecting to the destination: %s\n",
				err == -EADDRNOTAVAIL ? "an address of the gateway's own, "
				"loopback or unspecified: refused" : strerror(-err));
		px->upstream_warn_sec = zt_mono_ms() / 1000;
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

/* A connection accepted from src to dst (its original destination): its
 * client's share taken (or it is reset, refused_client), then decided at
 * once when no L7 rule can change the answer, else read for detection. */
void proxy_conn_start(struct ztd_proxy *px, int fd, const struct sockaddr_storage *src,
		      const struct sockaddr_storage *dst)
{
	struct pconn *c = calloc(1, sizeof(*c));
	__u32 ifindex;

	if (!c) {
		proxy_rst(fd);
		close(fd);
		return;
	}
	c->family = src->ss_family == AF_INET ? ZT_AF_INET : ZT_AF_INET6;
	sockaddr_bytes(src, c->src, &c->sport);
	if (zt_share_take(&px->share, c->family, c->src, px->d->cfg.proxy_per_client)) {
		/* One client's share of the table: past it its new
		 * connections are reset, everyone else's go on. */
		px->st.refused_client++;
		free(c);
		proxy_rst(fd);
		close(fd);
		return;
	}
	c->px = px;
	c->c.fd = fd;
	c->c.cb = on_client;
	c->u.fd = -1;
	c->u.cb = on_upstream;
	c->t.cb = on_timer;
	c->cu.pipe[0] = c->cu.pipe[1] = c->uc.pipe[0] = c->uc.pipe[1] = -1;
	sockaddr_bytes(dst, c->dst, &c->dport);
	ifindex = zt_sock_tcp_ifindex(fd, src->ss_family);
	c->ifindex = client_ifindex(px->d, ifindex, &c->vlan);
	c->start_ms = zt_mono_ms();
	c->id = ++px->last_id;
	c->next = px->head;
	if (px->head)
		px->head->prev = c;
	px->head = c;
	px->n++;
	px->st.accepted++;
	if (proxy_decide(px, c, false)) {
		proxy_act(c);
		return;
	}
	c->cev = EPOLLIN;
	if (zt_io_add(px->d->loop, &c->c, EPOLLIN) ||
	    zt_timer_arm(px->d->loop, &c->t, px->d->cfg.proxy_detect_ms))
		proxy_end(c, PX_END_ERROR);
}
