// SPDX-License-Identifier: GPL-2.0
/* dns_server.c — ztd's DNS server: UDP and TCP on gateway.dns_listen. A
 * query is read with the bounds-checked codec, decided by dnspolicy
 * (policy, then hostname routes, then upstreams), and answered at once —
 * or, when forwarded or held for an IRI's real address, later
 * (dns_forward.c). Nothing blocks: sockets are non-blocking, TCP clients
 * are buffered and dropped when idle, so a bad or slow client never
 * delays the others, and each client address has a bounded share of the
 * TCP slots and of the queries waiting, so none can take them all.
 * Hostname answers come from the IRI pool (dns_iri.c); a fresh IRI is in
 * the kernel's iri map before its answer leaves. The ztd_dns_* entry
 * points are here and call into the other dns_*.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include "clock.h"
#include "dnsreply.h"
#include "dnstcp.h"
#include "log.h"
#include "sock.h"
#include "dns_int.h"

#define TCP_IDLE_MS   10000   /* a TCP client without a whole message this long is closed */
#define TCP_OUT_MAX   (256 * 1024) /* a client not reading its answers is closed */
#define UDP_ROUNDS    4       /* batches per socket per wakeup */

struct tcp_client {
	struct zt_io io;          /* EPOLLOUT only while answers wait in out */
	struct zt_timer idle;     /* closes it once idle (or closing) */
	struct ztd *d;
	size_t slot;
	__u32 gen;                /* answers given later find the client by this */
	__u64 last_ms;
	struct dns_src from;
	__u8 in[2 + ZT_DNS_TCP_MAX];
	size_t in_len;
	struct zt_dns_tcp_out out;
	bool closing;             /* dropped: closed once the caller is done with it */
};

/* ---- the log ----------------------------------------------------------------- */

void dns_log(struct ztd *d, const struct zt_dns_query *q, const struct dns_src *from,
	     long device, const char *action, int rcode, const char *answer, long route,
	     long policy)
{
	FILE *f = d->dns->log;
	const struct zt_cfg_device *dev = device >= 0 ? &d->cfg.devices[device] : NULL;
	char t[40], a[64], tb[16];

	if (!f)
		return;
	if (!zt_timer_armed(&d->dns->flush))
		zt_timer_arm(d->loop, &d->dns->flush, 0);
	inet_ntop(from->family == ZT_AF_INET ? AF_INET : AF_INET6, from->addr, a, sizeof(a));
	fprintf(f, "{\"time\":\"%s\",\"src\":\"%s\",\"device\":",
		zt_log_time(t, sizeof(t), (long long)zt_clock_ns(CLOCK_REALTIME)), a);
	zt_json_str(f, dev ? (dev->name ? dev->name : "") : "");
	fprintf(f, ",\"user_email\":");
	zt_json_str(f, dev ? d->cfg.users[dev->user - 1] : "");
	fprintf(f, ",\"vnet\":");
	zt_json_str(f, d->cfg.vnets[(dev ? dev->vnet : d->cfg.default_vnet) - 1].name);
	fprintf(f, ",\"name\":");
	zt_json_str(f, q->name);
	fprintf(f, ",\"type\":\"%s\",\"action\":\"%s\",\"rcode\":\"%s\",\"answer\":",
		zt_dns_type_name(q->qtype, tb, sizeof(tb)), action, zt_dns_rcode_name(rcode));
	zt_json_str(f, answer ? answer : "");
	fprintf(f, ",\"route\":");
	zt_json_str(f, route >= 0 ? d->cfg.host_routes[route].host : "");
	fprintf(f, ",\"policy\":");
	zt_json_str(f, policy >= 0 ? d->cfg.dns_policies[policy].name : "");
	fprintf(f, "}\n");
}

/* ---- TCP clients --------------------------------------------------------------- */

static void tcp_close(struct ztd *d, size_t i)
{
	struct tcp_client *c = d->dns->clients[i];

	zt_share_give(&d->dns->tcp_share, c->from.family, c->from.addr);
	zt_io_del(d->loop, &c->io);
	zt_timer_stop(d->loop, &c->idle);
	close(c->io.fd);
	zt_dns_tcp_out_free(&c->out);
	free(c);
	d->dns->clients[i] = NULL;
}

/* Queues one answer. A client whose unsent answers would pass
 * TCP_OUT_MAX is not reading them: it is marked closing (counted), and
 * whoever holds it closes it once done, or its timer in the next turn
 * (tcp_read's loop must not go on over its buffer, so nothing here frees
 * or resets it). */
static void tcp_queue(struct ztd *d, struct tcp_client *c, const __u8 *msg, size_t len)
{
	bool was_empty = !c->out.len;

	if (c->closing)
		return;
	if (zt_dns_tcp_put(&c->out, msg, len, TCP_OUT_MAX)) {
		d->dns->st.tcp_dropped++;
		c->closing = true;
		zt_timer_arm(d->loop, &c->idle, 0);
		return;
	}
	c->last_ms = zt_mono_ms(); /* an exchange done: idle from now */
	if (was_empty)
		zt_io_mod(d->loop, &c->io, EPOLLIN | EPOLLOUT);
}

void dns_reply_to(struct ztd *d, const struct dns_asker *a, const __u8 *msg, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	if (a->slot >= 0) {
		struct tcp_client *c = d->dns->clients[a->slot];

		if (c && c->gen == a->tcp_gen) /* still connected */
			tcp_queue(d, c, msg, len);
		return;
	}
	sl = dns_sockaddr(a->from.family, a->from.addr, a->from.port, &ss);
	if (sendto(a->ufd, msg, len, MSG_DONTWAIT, (struct sockaddr *)&ss, sl) < 0)
		d->dns->st.send_failed++;
}

/* ---- answering ------------------------------------------------------------------ */

/* What became of one query, for its reply and its log line. */
struct verdict {
	struct zt_dns_own own;
	const char *action;
	struct zt_dns_rr rr;
	char ans[64];             /* the address answered, as text */
};

/* The IRI answer to q: the allocation for its name (made now, and put in
 * the iri map, when there is none), or the SERVFAIL that says why not.
 * Returns true when the answer is held for the name's real address. */
static bool answer_iri(struct ztd *d, const struct zt_dns_query *q, const struct dns_asker *a,
		       long device, const struct zt_cfg_device *dev, long route,
		       struct verdict *v)
{
	struct ztd_dns *s = d->dns;
	__u8 fam = q->qtype == ZT_DNS_T_A ? ZT_AF_INET : ZT_AF_INET6;
	__u32 vnet = dev ? dev->vnet : d->cfg.default_vnet;
	/* Through a wildcard every name is a new IRI: counted against the
	 * user asking (unenrolled askers are one user). */
	__u32 owner = d->cfg.host_routes[route].host[0] == '*' ? (dev ? dev->user : 0) + 1 : 0;
	struct zt_iri *iri;
	bool fresh;
	long i;
	int err;

	i = dns_iri_get(d, q->name, vnet, fam, owner, &fresh);
	if (i == -EAFNOSUPPORT) {
		v->action = "nodata";
		return false; /* no pool for this family: NODATA */
	}
	if (i == -EDQUOT) {
		v->own.rcode = ZT_DNS_SERVFAIL;
		v->action = "iri-user-limit";
		s->st.iri_limited++;
		return false;
	}
	if (i < 0) {
		v->own.rcode = ZT_DNS_SERVFAIL;
		v->action = "pool-exhausted";
		s->st.exhausted++;
		pr_warn("DNS: no initial resolved IP left for %s (%s pool %s full, none "
			"idle): answering SERVFAIL\n", q->name, fam == ZT_AF_INET ? "IPv4" : "IPv6",
			fam == ZT_AF_INET ? "ipv4" : "ipv6");
		return false;
	}
	iri = &s->pool.a[i];
	if (fresh && (err = dns_iri_publish(d, iri, route))) {
		v->own.rcode = ZT_DNS_SERVFAIL;
		v->action = "iri-map-full";
		pr_warn("DNS: writing the IRI for %s to the iri map: %s\n", q->name, strerror(-err));
		return false;
	}
	if (fresh && dns_iri_local(d, iri))
		dns_resolve_start(d, (size_t)i);
	if (!iri->real_ok && iri->res_inflight && dns_hold(d, q, a, device, vnet, route))
		return true;
	dns_iri_rr(d, iri, q->qtype, &v->rr, v->ans, sizeof(v->ans));
	v->own.an = &v->rr;
	s->st.answered++;
	dns_cache_put(d, q, iri);
	return false;
}

/* Answers (or forwards) one query. Returns the reply length in out, 0 for
 * no reply now (dropped, forwarded, or held). */
static size_t answer(struct ztd *d, const __u8 *msg, size_t len, const struct dns_asker *a,
		     __u8 *out, size_t outsz)
{
	struct ztd_dns *s = d->dns;
	struct zt_dns_query q;
	struct zt_dns_reply r;
	struct zt_dns_decision dd = { .route = -1, .policy = -1 };
	struct verdict v = { .own = { .rcode = -1, .ttl = d->cfg.dns_ttl } };
	const struct zt_cfg_device *dev;
	char ede[300];
	long device;
	size_t limit;
	int err, n;

	s->st.queries++;
	err = zt_dns_parse_query(msg, len, &q);
	if (err == -ENOMSG) {
		s->st.dropped++;
		return 0;
	}
	limit = a->slot >= 0 ? ZT_DNS_TCP_MAX : zt_dns_udp_limit(&q);
	if (limit > outsz)
		limit = outsz;
	device = dns_src_device(d, &a->from);
	dev = device >= 0 ? &d->cfg.devices[device] : NULL;
	if (err) {
		r = (struct zt_dns_reply){ .rcode = zt_dns_error_rcode(err), .ede = -1 };
		s->st.formerr += r.rcode == ZT_DNS_FORMERR;
		v.action = "malformed";
		goto reply;
	}
	if (q.qclass != ZT_DNS_C_IN) {
		r = (struct zt_dns_reply){ .rcode = ZT_DNS_REFUSED, .ede = -1 };
		v.action = "refuse";
		goto reply;
	}
	zt_dns_decide(&d->cfg, &s->table, q.name, q.qtype, dev ? dev->user : 0,
		      dev ? dev->groups : 0, dev ? dev->vnet : d->cfg.default_vnet, &dd);
	v.action = zt_dns_action_name(dd.action);
	v.own.action = dd.action;
	switch (dd.action) {
	case ZT_DNSA_BLOCK:
		v.own.policy = d->cfg.dns_policies[dd.policy].name;
		s->st.blocked++;
		break;
	case ZT_DNSA_NODATA:
		break;
	case ZT_DNSA_REFUSE:
		s->st.refused++;
		break;
	case ZT_DNSA_FORWARD:
		err = dns_forward(d, &q, a, device);
		if (!err) {
			s->st.forwarded++;
			return 0; /* answered when upstream answers */
		}
		v.own.rcode = ZT_DNS_SERVFAIL;
		v.action = err == -EDQUOT ? "forward-limited" :
			   err == -ENOSPC ? "forward-busy" : "forward-failed";
		s->st.pending_limited += err == -EDQUOT;
		s->st.pending_full += err == -ENOSPC;
		s->st.send_failed += err != -EDQUOT && err != -ENOSPC;
		break;
	case ZT_DNSA_IRI:
		if (answer_iri(d, &q, a, device, dev, dd.route, &v))
			return 0; /* held: answered when the real address is known */
		break;
	}
	zt_dns_reply_own(&v.own, &r, ede, sizeof(ede));
reply:
	n = zt_dns_write_reply(&q, &r, out, limit);
	if (n < 0) {
		s->st.dropped++;
		return 0;
	}
	dns_log(d, &q, &a->from, device, v.action, r.rcode, v.ans, dd.route, dd.policy);
	return (size_t)n;
}

/* ---- UDP ------------------------------------------------------------------------ */

/* The answers queued by a batch, in one syscall. */
static void udp_flush(struct ztd *d, int fd)
{
	struct ztd_dns *s = d->dns;
	struct mmsghdr mm[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	size_t i;
	int n;

	for (i = 0; i < s->out.n; i++) {
		iov[i] = (struct iovec){ s->out.buf[i], s->out.len[i] };
		mm[i].msg_hdr = (struct msghdr){ .msg_name = &s->out.to[i],
						 .msg_namelen = s->out.tolen[i],
						 .msg_iov = &iov[i], .msg_iovlen = 1 };
	}
	n = s->out.n ? sendmmsg(fd, mm, (unsigned)s->out.n, MSG_DONTWAIT) : 0;
	if (n < (int)s->out.n)
		s->st.send_failed += s->out.n - (size_t)(n > 0 ? n : 0);
	s->out.n = 0;
}

/* One datagram's answer, queued for the batch's sendmmsg. */
static void udp_query(struct ztd *d, int fd, const __u8 *in, size_t n, const struct dns_src *from)
{
	struct ztd_dns *s = d->dns;
	struct dns_asker a = { .from = *from, .ufd = fd, .slot = -1 };
	size_t k = s->out.n;
	size_t len = answer(d, in, n, &a, s->out.buf[k], sizeof(s->out.buf[k]));

	if (!len)
		return;
	s->out.len[k] = len;
	s->out.tolen[k] = dns_sockaddr(from->family, from->addr, from->port, &s->out.to[k]);
	s->out.n++;
}

/* Datagrams waiting on fd, UDP_BATCH per recvmmsg; a short batch means
 * the queue is empty (no extra call to find EAGAIN). */
static void udp_read(struct ztd *d, int fd)
{
	struct ztd_dns *s = d->dns;
	struct mmsghdr mm[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	struct sockaddr_storage ss[UDP_BATCH];
	/* IP_PKTINFO: the interface it came in on decides whose it is. */
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} cm[UDP_BATCH];
	int r, i, n;

	for (r = 0; r < UDP_ROUNDS; r++) {
		for (i = 0; i < UDP_BATCH; i++) {
			iov[i] = (struct iovec){ s->in[i], sizeof(s->in[i]) };
			mm[i].msg_hdr = (struct msghdr){ .msg_name = &ss[i],
							 .msg_namelen = sizeof(ss[i]),
							 .msg_iov = &iov[i], .msg_iovlen = 1,
							 .msg_control = cm[i].buf,
							 .msg_controllen = sizeof(cm[i].buf) };
		}
		n = recvmmsg(fd, mm, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (i = 0; i < n; i++) {
			struct dns_src from;

			dns_src_from(&ss[i], &from);
			from.ifindex = zt_sock_msg_ifindex(&mm[i].msg_hdr);
			/* Longer than 4096 octets: cut, so it reads as malformed. */
			udp_query(d, fd, s->in[i], mm[i].msg_len, &from);
		}
		udp_flush(d, fd);
		if (n < UDP_BATCH)
			return;
	}
}

/* ---- TCP ------------------------------------------------------------------------ */

static void on_tcp(struct zt_io *io, __u32 events);
static void on_tcp_idle(struct zt_timer *t);

static void tcp_accept(struct ztd *d, struct dns_listener *l)
{
	struct ztd_dns *s = d->dns;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct tcp_client *c = NULL;
	struct dns_src from;
	size_t slot;
	int fd = accept4(l->io.fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC), err;

	if (fd < 0) {
		if (zt_accept_rest(d->loop, &l->io, &l->rest, errno, 100, "the DNS TCP listener"))
			s->st.tcp_nofile++;
		return;
	}
	dns_src_from(&ss, &from);
	from.ifindex = zt_sock_tcp_ifindex(fd, from.family == ZT_AF_INET ? AF_INET : AF_INET6);
	err = zt_share_take(&s->tcp_share, from.family, from.addr, ZTD_DNS_TCP_PER_CLIENT);
	if (err == -EDQUOT) { /* the slots are shared: its share is taken */
		s->st.tcp_limited++;
		close(fd);
		return;
	}
	for (slot = 0; slot < ZTD_DNS_TCP_MAX && s->clients[slot]; slot++)
		;
	if (err || slot == ZTD_DNS_TCP_MAX || !(c = calloc(1, sizeof(*c)))) {
		if (!err)
			zt_share_give(&s->tcp_share, from.family, from.addr);
		s->st.tcp_dropped++;
		close(fd);
		return;
	}
	c->io = (struct zt_io){ .fd = fd, .cb = on_tcp };
	c->idle.cb = on_tcp_idle;
	c->d = d;
	c->slot = slot;
	c->gen = ++s->tcp_gen;
	c->last_ms = zt_mono_ms(); /* its first message is due within TCP_IDLE_MS */
	c->from = from;
	s->clients[slot] = c;
	s->st.tcp++;
	if (zt_io_add(d->loop, &c->io, EPOLLIN) || zt_timer_arm(d->loop, &c->idle, TCP_IDLE_MS))
		tcp_close(d, slot);
}

/* Reads what a client sent and answers each whole message in it. Only a
 * whole message makes it active again: a client that trickles bytes is
 * as idle as a silent one. */
static void tcp_read(struct ztd *d, size_t i)
{
	struct tcp_client *c = d->dns->clients[i];
	struct dns_asker a = { .from = c->from, .ufd = -1, .slot = (int)i, .tcp_gen = c->gen };
	__u8 out[ZT_DNS_TCP_MAX];
	ssize_t n = read(c->io.fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
	const __u8 *msg;
	size_t off = 0, mlen, len;

	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			tcp_close(d, i);
		return;
	}
	c->in_len += (size_t)n;
	while (!c->closing && zt_dns_tcp_next(c->in, c->in_len, &off, &msg, &mlen) > 0) {
		c->last_ms = zt_mono_ms();
		len = answer(d, msg, mlen, &a, out, sizeof(out));
		if (len)
			tcp_queue(d, c, out, len);
	}
	if (c->closing) {
		tcp_close(d, i);
		return;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
}

static void tcp_write(struct ztd *d, size_t i)
{
	struct tcp_client *c = d->dns->clients[i];
	/* MSG_NOSIGNAL: a peer that reset must not raise SIGPIPE */
	ssize_t n = send(c->io.fd, c->out.p, c->out.len, MSG_NOSIGNAL);

	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			tcp_close(d, i);
		return;
	}
	zt_dns_tcp_sent(&c->out, (size_t)n);
	if (!c->out.len)
		zt_io_mod(d->loop, &c->io, EPOLLIN);
}

static void on_tcp(struct zt_io *io, __u32 events)
{
	struct tcp_client *c = ztd_of(io, struct tcp_client, io);
	struct ztd *d = c->d;
	size_t slot = c->slot;
	__u32 gen = c->gen;

	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		tcp_read(d, slot);
	/* tcp_read may have closed it (c freed; the slot maybe taken anew). */
	c = d->dns->clients[slot];
	if (c && c->gen == gen && (events & EPOLLOUT) && c->out.len)
		tcp_write(d, slot);
}

/* A client without a whole message for TCP_IDLE_MS, or marked closing,
 * is closed; else the timer waits for the rest of its time. */
static void on_tcp_idle(struct zt_timer *t)
{
	struct tcp_client *c = ztd_of(t, struct tcp_client, idle);
	__u64 now = zt_mono_ms();

	if (c->closing || c->last_ms + TCP_IDLE_MS < now)
		tcp_close(c->d, c->slot);
	else
		zt_timer_arm(c->d->loop, t, c->last_ms + TCP_IDLE_MS + 1 - now);
}

/* ---- listeners ------------------------------------------------------------------ */

static int bind_one(const struct zt_cfg_endpoint *ep, int type)
{
	struct sockaddr_storage ss;
	socklen_t sl = dns_sockaddr(ep->family, ep->addr, ep->port, &ss);
	int fd = socket(ep->family == ZT_AF_INET ? AF_INET : AF_INET6,
			type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1, err;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ep->family == ZT_AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* Packet info on both: a datagram carries its interface, and an
	 * accepted TCP socket keeps its handshake's (zt_sock_tcp_ifindex). */
	if ((ep->family == ZT_AF_INET ? setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) :
	     setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one))) ||
	    bind(fd, (struct sockaddr *)&ss, sl) || (type == SOCK_STREAM && listen(fd, 64))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static const char *ep_str(const struct zt_cfg_endpoint *ep, char *buf, size_t len)
{
	char a[64];

	inet_ntop(ep->family == ZT_AF_INET ? AF_INET : AF_INET6, ep->addr, a, sizeof(a));
	snprintf(buf, len, ep->family == ZT_AF_INET ? "%s:%u" : "[%s]:%u", a, ep->port);
	return buf;
}

static void on_udp(struct zt_io *io, __u32 events)
{
	(void)events;
	udp_read(ztd_of(io, struct dns_listener, io)->d, io->fd);
}

static void on_accept(struct zt_io *io, __u32 events)
{
	(void)events;
	struct dns_listener *l = ztd_of(io, struct dns_listener, io);

	tcp_accept(l->d, l);
}

static void close_listeners(struct ztd_dns *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		zt_io_del(s->d->loop, &s->udp[i].io);
		zt_io_del(s->d->loop, &s->tcp[i].io);
		zt_timer_stop(s->d->loop, &s->tcp[i].rest.t);
		close(s->udp[i].io.fd);
		close(s->tcp[i].io.fd);
	}
	s->n = 0;
}

/* (Re)binds the listeners when cfg names other addresses; on failure the
 * old ones stay. */
static int listen_all(struct ztd_dns *s, const struct zt_config *cfg)
{
	int udp[ZT_MAX_DNS_LISTEN], tcp[ZT_MAX_DNS_LISTEN];
	char b[80];
	size_t i, j;
	int err = 0;

	if (s->n == cfg->n_dns_listen && !memcmp(s->ep, cfg->dns_listen, s->n * sizeof(*s->ep)))
		return 0;
	close_listeners(s); /* a port cannot be bound twice */
	for (i = 0; i < cfg->n_dns_listen; i++) {
		udp[i] = bind_one(&cfg->dns_listen[i], SOCK_DGRAM);
		tcp[i] = udp[i] < 0 ? udp[i] : bind_one(&cfg->dns_listen[i], SOCK_STREAM);
		if (udp[i] < 0 || tcp[i] < 0) {
			err = udp[i] < 0 ? udp[i] : tcp[i];
			pr_warn("DNS: listening on %s: %s\n", ep_str(&cfg->dns_listen[i], b, sizeof(b)),
				strerror(-err));
			if (udp[i] >= 0)
				close(udp[i]);
			for (j = 0; j < i; j++) {
				close(udp[j]);
				close(tcp[j]);
			}
			return err;
		}
	}
	for (i = 0; i < cfg->n_dns_listen; i++) {
		s->udp[i] = (struct dns_listener){ .io = { .fd = udp[i], .cb = on_udp }, .d = s->d };
		s->tcp[i] = (struct dns_listener){ .io = { .fd = tcp[i], .cb = on_accept }, .d = s->d };
		/* Level-triggered: an add that fails (no memory) leaves the
		 * address unanswered, as a failed bind would. */
		if (zt_io_add(s->d->loop, &s->udp[i].io, EPOLLIN) ||
		    zt_io_add(s->d->loop, &s->tcp[i].io, EPOLLIN))
			pr_warn("DNS: watching %s: %s\n", ep_str(&cfg->dns_listen[i], b, sizeof(b)),
				strerror(errno));
		s->ep[i] = cfg->dns_listen[i];
		pr_info("DNS: answering on %s (UDP and TCP)\n", ep_str(&s->ep[i], b, sizeof(b)));
	}
	s->n = cfg->n_dns_listen;
	return 0;
}

static int open_dns_log(struct ztd_dns *s, const struct zt_config *cfg)
{
	FILE *f = NULL;

	if (cfg->dns_log) {
		f = fopen(cfg->dns_log, "ae");
		if (!f) {
			int err = -errno;

			pr_warn("opening DNS log %s: %s\n", cfg->dns_log, strerror(errno));
			return err;
		}
		/* Buffered, flushed in the turn after a line (the flush timer):
		 * not a write per query. */
		setvbuf(f, NULL, _IOFBF, 64 * 1024);
	}
	if (s->log)
		fclose(s->log);
	s->log = f;
	return 0;
}

/* Each forwarded query has a socket of its own: with every pending entry
 * and TCP slot taken, ztd holds ZTD_DNS_PENDING + ZTD_DNS_TCP_MAX
 * descriptors more than at rest, past the usual soft limit of 1024. It is
 * raised (epoll, not select, watches them); short of it, the queries past
 * the limit get SERVFAIL (send_failed). */
static void fd_limit(void)
{
	const rlim_t want = ZTD_DNS_PENDING + ZTD_DNS_TCP_MAX + 1024;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur < want)
		pr_warn("DNS: open files limited to %llu (RLIMIT_NOFILE): with %d queries waiting "
			"for upstreams and %d TCP clients ztd may need %llu; queries past it "
			"get SERVFAIL\n", (unsigned long long)rl.rlim_cur, ZTD_DNS_PENDING,
			ZTD_DNS_TCP_MAX, (unsigned long long)want);
}

/* ---- the entry points (ztd.h) ------------------------------------------------------ */

/* Every ZT_EVENTS_POLL_MS (how often the checks inside ran before the
 * loop had timers): allocations due to be resolved again, the state file. */
static void on_tick(struct zt_timer *t)
{
	struct ztd_dns *s = ztd_of(t, struct ztd_dns, tick);
	__u64 now = zt_mono_ms();

	dns_resolve_tick(s->d, now);
	dns_iri_tick(s->d, now);
	zt_timer_arm(s->d->loop, t, ZT_EVENTS_POLL_MS);
}

static void on_flush(struct zt_timer *t)
{
	struct ztd_dns *s = ztd_of(t, struct ztd_dns, flush);

	if (s->log)
		fflush(s->log);
}

int ztd_dns_open(struct ztd *d)
{
	struct ztd_dns *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	d->dns = s;
	s->d = d;
	s->tick.cb = on_tick;
	s->flush.cb = on_flush;
	zt_timer_arm(d->loop, &s->tick, ZT_EVENTS_POLL_MS);
	fd_limit();
	err = dns_iri_open(d);
	if (!err)
		err = dns_resolve_open(d);
	if (!err)
		err = dns_forward_open(d);
	if (!err)
		err = zt_share_init(&s->tcp_share, ZTD_DNS_TCP_MAX);
	if (err)
		return err;
	err = zt_dns_table_build(&d->cfg, &s->table);
	if (!err)
		err = listen_all(s, &d->cfg);
	if (!err)
		err = open_dns_log(s, &d->cfg);
	dns_cache_listen_sync(d);
	return err;
}

int ztd_dns_reload(struct ztd *d)
{
	struct ztd_dns *s = d->dns;
	struct zt_dns_table t;
	int err;

	err = zt_dns_table_build(&d->cfg, &t);
	if (err)
		return err;
	zt_dns_table_free(&s->table);
	s->table = t;
	dns_forward_reindex(d);
	dns_iri_reload(d);
	dns_resolve_reload(d);
	err = listen_all(s, &d->cfg);
	open_dns_log(s, &d->cfg);
	dns_cache_listen_sync(d);
	return err;
}

void ztd_dns_close(struct ztd *d)
{
	struct ztd_dns *s = d->dns;
	size_t i;

	if (!s)
		return;
	zt_timer_stop(d->loop, &s->tick);
	zt_timer_stop(d->loop, &s->flush);
	dns_resolve_close(d); /* before the pool its callbacks look in */
	close_listeners(s);
	for (i = 0; i < ZTD_DNS_TCP_MAX; i++)
		if (s->clients[i])
			tcp_close(d, i);
	dns_forward_close(d);
	if (s->log)
		fclose(s->log);
	zt_dns_table_free(&s->table);
	dns_iri_close(d);     /* saves the allocations first */
	zt_share_free(&s->tcp_share);
	free(s);
	d->dns = NULL;
}

void ztd_dns_stats(const struct ztd *d, struct ztd_dns_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!d->dns)
		return;
	*out = d->dns->st;
	out->iris = d->dns->pool.n;
}
