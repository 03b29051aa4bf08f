// SPDX-License-Identifier: GPL-2.0
/* proxy_conn.c — ztd's half of a proxied connection: a worker's messages
 * (pxmsg.h, read as untrusted bytes: what does not parse, or names a
 * connection the worker does not have, ends that worker), who the
 * connection is (the handshake's interface and source), the limits at
 * accept (max_connections, per_client), the decision with the policy in
 * force (zt_policy_eval_l7, as ztctl policy test), the answer (read its
 * first bytes, reset it, or connect to where: never the gateway's own
 * addresses, out of the tunnel's private interface), and its end. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include "clock.h"
#include "mux.h"
#include "hash.h"
#include "iri.h"
#include "l7.h"
#include "log.h"
#include "nl.h"
#include "share.h"
#include "sock.h"
#include "proxy_int.h"

/* ---- the end of a connection ---------------------------------------------- */

static struct pconn **bucket(struct px_worker *w, __u64 cid)
{
	return &w->hash[cid % PROXY_HASH];
}

struct pconn *proxy_find(struct px_worker *w, __u64 cid)
{
	struct pconn *c;

	for (c = *bucket(w, cid); c && c->cid != cid; c = c->hnext)
		;
	return c;
}

void proxy_detach(struct pconn *c)
{
	struct pconn **pp;

	if (!c->w)
		return;
	for (pp = bucket(c->w, c->cid); *pp && *pp != c; pp = &(*pp)->hnext)
		;
	if (*pp)
		*pp = c->hnext;
	c->w->n--;
	c->w = NULL;
}

void proxy_end(struct pconn *c, enum zt_px_end how)
{
	struct ztd_proxy *px = c->px;

	c->end = how;
	proxy_log(c);
	proxy_detach(c);
	if (c->carry_slot)
		px->n_carry--;
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

static void send_msg(struct px_worker *w, const struct zt_pxm *m)
{
	__u8 body[ZT_PXM_MAX];
	struct zt_buf b;

	zt_buf_init(&b, body, sizeof(body));
	zt_pxm_put(&b, m);
	if (!b.err && zt_chan_send(&w->ch, body, b.off) == -ENOBUFS && w->pid > 0) {
		/* It does not read what it is told: it is ended (its
		 * channel's close, in the loop's next turn, restarts it). */
		pr_warn("proxy worker %u (pid %d) does not read its channel: killed\n", w->idx,
			(int)w->pid);
		kill(w->pid, SIGKILL);
	}
}

/* The worker resets c; ztd logs it as how and forgets it. */
static void refuse(struct pconn *c, enum zt_px_end how)
{
	struct zt_pxm m = { .type = ZT_PXM_ANSWER };

	m.answer.cid = c->cid;
	m.answer.act = ZT_PXA_RESET;
	send_msg(c->w, &m);
	proxy_end(c, how);
}

void proxy_revoke(struct pconn *c)
{
	struct zt_pxm m = { .type = ZT_PXM_REVOKE, .revoke = c->cid };

	c->revoking = true;
	c->revoke_ms = zt_mono_ms();
	c->px->st.revoked++;
	if (c->bridge)
		proxy_carry_abort(c, ZT_PXE_REVOKED); /* ended now */
	else if (!c->handing) /* else reset when its socket arrives */
		send_msg(c->w, &m);
}

/* ---- identity and the decision -------------------------------------------- */

/* For the "could an L7 selector change it" check: every L7 rule matches
 * (arg non-NULL) or none. */
static bool l7_all(void *arg, __u32 idx)
{
	(void)idx;
	return arg != NULL;
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
	iri = ztd_iri_entry(d, c->family, c->dst, any.vnet_id, &ie);
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

/* ---- the answer ------------------------------------------------------------ */

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
	if (ztd_in_iri_pool(&d->cfg, family, a))
		return true;
	/* Found no address of the gateway's within the last second: not
	 * asked again (three syscalls on every connection to a server).
	 * An address added to the gateway empties the cache as soon as
	 * ztd's loop hears of it (link.c's watch). */
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

void ztd_proxy_forget_addrs(struct ztd *d)
{
	if (d->proxy)
		memset(d->proxy->not_ours, 0, sizeof(d->proxy->not_ours));
}

/* Allowed to a remote tunnel, one of whose connections is up: the worker
 * hands ztd the socket, and ztd carries it on a stream of the tunnel's
 * connector (proxy_carry.c). */
static void act_remote(struct pconn *c)
{
	struct ztd_proxy *px = c->px;
	const struct zt_cfg_tunnel *t = ztd_route_tunnel(&px->d->cfg, c->r.route_id);
	struct zt_pxm m = { .type = ZT_PXM_ANSWER };

	if (!t || t->local || !ztd_tunnel_up(px->d, t->name)) {
		px->st.no_tunnel++;
		refuse(c, ZT_PXE_NO_TUNNEL);
		return;
	}
	if (px->n_carry >= ztd_tunnel_tcp_max(px->d)) {
		/* ztd holds each such flow's socket: as many as its
		 * descriptors leave them (the others' are not taken). */
		px->st.refused_full++;
		if (zt_mono_ms() / 1000 != px->hand_warn_sec)
			pr_warn("proxy: %zu flows carried to remote tunnels, all ztd's open files "
				"limit leaves them: new ones are reset (refused_full)\n",
				px->n_carry);
		px->hand_warn_sec = zt_mono_ms() / 1000;
		refuse(c, ZT_PXE_ERROR);
		return;
	}
	c->carry_slot = true;
	px->n_carry++;
	px->st.allowed++;
	c->remote = true;
	c->handing = true;
	c->vnet = (__u16)t->vnet;
	snprintf(c->tunnel, sizeof(c->tunnel), "%s", t->name);
	m.answer.cid = c->cid;
	m.answer.act = ZT_PXA_HAND;
	c->st = ZT_PXS_CONNECT;
	send_msg(c->w, &m);
}

bool proxy_still_allowed(struct pconn *c)
{
	const struct zt_cfg_tunnel *t;

	if (!c->remote)
		return c->r.verdict == ZT_V_DIRECT;
	/* A remote flow stays on its tunnel: one whose route now goes to
	 * another tunnel (or a local one) is not this flow's any more. */
	t = ztd_route_tunnel(&c->px->d->cfg, c->r.route_id);
	return c->r.verdict == ZT_V_STEER && t && !t->local && !strcmp(t->name, c->tunnel);
}

/* A connect that failed at once (or ztd could not make the socket): c
 * is reset, counted and logged (once a second at most). */
static void upstream_failed(struct pconn *c, int err)
{
	struct ztd_proxy *px = c->px;

	px->st.upstream_failed++;
	if (zt_mono_ms() / 1000 != px->upstream_warn_sec)
		pr_info("proxy: connecting to the destination: %s\n", strerror(err));
	px->upstream_warn_sec = zt_mono_ms() / 1000;
	refuse(c, ZT_PXE_UPSTREAM);
}

/* A non-blocking connect to ss (the worker sees it complete), out of
 * dev when one is named, the way the kernel's DIRECT path goes: the
 * socket, or -errno. ztd makes it, not the worker: a worker connects
 * nowhere ztd did not decide. */
static int upstream_socket(const struct sockaddr_storage *ss, socklen_t sl, const char *dev)
{
	int fd, one = 1, err;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((dev && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, (socklen_t)strlen(dev) + 1)) ||
	    (connect(fd, (const struct sockaddr *)ss, sl) && errno != EINPROGRESS)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* After the decision: reset, refuse, or connect upstream and give the
 * worker that socket. */
static void act(struct pconn *c)
{
	struct ztd_proxy *px = c->px;
	const struct zt_cfg_tunnel *t;
	struct zt_pxm m = { .type = ZT_PXM_ANSWER };
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd;

	if (c->r.verdict == ZT_V_DROP || c->r.verdict == ZT_V_PASS) {
		px->st.blocked++;
		refuse(c, ZT_PXE_BLOCKED);
		return;
	}
	if (c->r.verdict == ZT_V_STEER) {
		act_remote(c);
		return;
	}
	px->st.allowed++;
	sl = zt_sockaddr(c->up_family, c->up_addr, c->up_port, &ss);
	if (upstream_forbidden(px->d, &ss, sl, c->up_addr, c->up_family)) {
		/* Once a second at most: a client can make these as fast as
		 * it connects (each is counted and in the network log). */
		if (zt_mono_ms() / 1000 != px->upstream_warn_sec)
			pr_info("proxy: connecting to the destination: an address of the "
				"gateway's own, loopback or unspecified: refused\n");
		px->upstream_warn_sec = zt_mono_ms() / 1000;
		px->st.upstream_failed++;
		refuse(c, ZT_PXE_UPSTREAM);
		return;
	}
	t = ztd_route_tunnel(&px->d->cfg, c->r.route_id);
	if (t)
		snprintf(c->tunnel, sizeof(c->tunnel), "%s", t->name);
	fd = upstream_socket(&ss, sl, t ? t->private_interface : NULL);
	if (fd < 0) {
		upstream_failed(c, -fd);
		return;
	}
	m.answer.cid = c->cid;
	m.answer.act = ZT_PXA_CONNECT;
	c->st = ZT_PXS_CONNECT;
	if (proxy_give(c->w, &m, fd))
		refuse(c, ZT_PXE_ERROR);
}

/* Detection is over: decide with what it found and act on it. Without a
 * policy to decide with (none applied yet), the flow is reset. */
static int on_detected(struct pconn *c, const struct zt_pxm_ask *a)
{
	struct ztd_proxy *px = c->px;

	if (!a->final)
		return -EBADMSG;
	if (c->decided)
		return 0; /* decided at accept: the worker read while it asked */
	if (c->st != ZT_PXS_DETECT)
		return -EBADMSG;
	c->det.proto = (enum zt_proto)a->proto;
	c->det.why = (enum zt_detect_why)a->why;
	c->det.ech = a->ech;
	memcpy(c->det.name, a->name, sizeof(c->det.name));
	c->found = a->found;
	if (a->timed_out)
		px->st.detect_timeouts++;
	if (c->det.why == ZT_DETECT_MALFORMED || c->det.why == ZT_DETECT_TOO_BIG)
		px->st.malformed++;
	if (!proxy_decide(px, c, true)) {
		refuse(c, ZT_PXE_ERROR);
		return 0;
	}
	act(c);
	return 0;
}

/* A connection the worker accepted: its client's share taken (or it is
 * reset: refused_full, refused_client), then decided at once when no L7
 * rule can change the answer (or detection is over already), else the
 * worker reads its first bytes. */
static int on_accepted(struct px_worker *w, const struct zt_pxm_ask *a)
{
	struct ztd_proxy *px = w->px;
	struct zt_pxm m = { .type = ZT_PXM_ANSWER };
	struct pconn *c;
	int err = -ENOMEM;

	/* A worker numbers its connections 1, 2, 3...: any other id is a
	 * detection of one never asked about, or an id picked to make
	 * ztd's table slow. (A final ASK at accept: what detection found
	 * in the bytes there at accept.) */
	if (a->cid != w->last_cid + 1)
		return -EBADMSG;
	w->last_cid = a->cid;
	m.answer.cid = a->cid;
	m.answer.act = ZT_PXA_RESET;
	if (px->n >= px->max_conns || w->n >= px->per_worker) {
		/* Full (all workers, or this one's descriptors): this one is
		 * refused (reset), counted and logged; the connections that
		 * hold slots go on. */
		px->st.refused_full++;
		if (!px->full_warned)
			pr_warn("proxy: %zu connections, the most gateway.proxy.max_connections "
				"allows: new ones are reset (counted as refused_full)\n", px->n);
		px->full_warned = true;
		send_msg(w, &m);
		return 0;
	}
	c = calloc(1, sizeof(*c));
	if (c)
		err = zt_share_take(&px->share, a->family, a->src, px->d->cfg.proxy_per_client);
	if (err) {
		/* One client's share of the table: past it its new
		 * connections are reset, everyone else's go on. */
		if (c)
			px->st.refused_client++;
		free(c);
		send_msg(w, &m);
		return 0;
	}
	c->px = px;
	c->w = w;
	c->cid = a->cid;
	c->family = a->family;
	memcpy(c->src, a->src, 16);
	memcpy(c->dst, a->dst, 16);
	c->sport = a->sport;
	c->dport = a->dport;
	c->ifindex = ztd_client_ifindex(px->d, a->ifindex, &c->vlan);
	c->start_ms = zt_mono_ms();
	c->id = ++px->last_id;
	c->hnext = *bucket(w, c->cid);
	*bucket(w, c->cid) = c;
	c->next = px->head;
	if (px->head)
		px->head->prev = c;
	px->head = c;
	px->n++;
	w->n++;
	px->st.accepted++;
	if (a->final) /* its first bytes were there at accept: detected already */
		return on_detected(c, a);
	if (proxy_decide(px, c, false)) {
		act(c);
		return 0;
	}
	m.answer.act = ZT_PXA_DETECT;
	m.answer.detect_ms = px->d->cfg.proxy_detect_ms;
	send_msg(w, &m);
	return 0;
}

static int on_end(struct pconn *c, const struct zt_pxm_end *e)
{
	struct ztd_proxy *px = c->px;

	c->up_bytes = e->up;
	c->down_bytes = e->down;
	if (e->end == ZT_PXE_UPSTREAM) {
		px->st.upstream_failed++;
		if (zt_mono_ms() / 1000 != px->upstream_warn_sec)
			pr_info("proxy: connecting to the destination: %s\n",
				e->err ? strerror(e->err) : "timed out");
		px->upstream_warn_sec = zt_mono_ms() / 1000;
	}
	proxy_end(c, (enum zt_px_end)e->end);
	return 0;
}

int proxy_msg(struct px_worker *w, const __u8 *body, size_t len)
{
	struct zt_pxm m;
	struct zt_buf b;
	struct pconn *c;
	__u8 i;

	zt_buf_init(&b, (__u8 *)body, len);
	if (zt_pxm_get(&b, &m))
		return -EBADMSG;
	switch (m.type) {
	case ZT_PXM_ASK:
		c = proxy_find(w, m.ask.cid);
		if (c)
			return on_detected(c, &m.ask);
		/* A detection of one refused or ended at accept, or handed
		 * to ztd (the worker read while it asked): nothing to do. */
		if (m.ask.final && m.ask.cid && m.ask.cid <= w->last_cid)
			return 0;
		return on_accepted(w, &m.ask);
	case ZT_PXM_END:
		/* ztd may have ended it first (a reset it answered); an END
		 * for an id it never had is a worker's lie all the same. */
		c = proxy_find(w, m.end.cid);
		return c ? on_end(c, &m.end) : 0;
	case ZT_PXM_PROGRESS:
		for (i = 0; i < m.prog.n; i++) {
			c = proxy_find(w, m.prog.c[i].cid);
			if (!c)
				continue;
			c->st = (enum zt_px_state)m.prog.c[i].state;
			c->up_bytes = m.prog.c[i].up;
			c->down_bytes = m.prog.c[i].down;
		}
		return 0;
	case ZT_PXM_EVENT:
		w->px->st.refused_full++;
		if (zt_mono_ms() / 1000 != w->px->nofile_warn_sec)
			pr_warn("proxy worker %u: accepting: out of descriptors or memory; "
				"pausing 100 ms (counted as refused_full)\n", w->idx);
		w->px->nofile_warn_sec = zt_mono_ms() / 1000;
		return 0;
	default:
		return -EBADMSG; /* a message of ztd's own kind */
	}
}
