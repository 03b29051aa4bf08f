// SPDX-License-Identifier: GPL-2.0
/* conn.c — one of the connector's connections to the gateway: TCP to
 * the token's next address, TLS 1.3 with the gateway's key pinned, HELLO
 * with the tunnel's id and secret, then PINGs to notice a dead path. When
 * it ends it is made again after a backoff that doubles from 1 s to 60 s,
 * with 20% jitter (so that connectors do not come back in step). The
 * gateway opens a stream per flow; the connector dials its origin and
 * bridges the two (TCP, UDP and ICMP echo, to an address or a name it
 * resolves). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/tcp.h>
#include "sock.h"
#include "bridge.h"
#include "clock.h"
#include "log.h"
#include "ztconnector.h"
#include "zt_abi.h"

#define conn_of(p, m) ((struct cconn *)((char *)(p) - offsetof(struct cconn, m)))

static void retry(struct cconn *c, const char *why)
{
	__u64 ms = ZC_BACKOFF_MIN_MS;
	unsigned i;
	__u32 r = 0;

	c->ready = c->in_tls = c->connecting = false;
	if (c->k->draining)
		return;
	for (i = 0; i < c->failures && ms < ZC_BACKOFF_MAX_MS; i++)
		ms *= 2;
	if (ms > ZC_BACKOFF_MAX_MS)
		ms = ZC_BACKOFF_MAX_MS;
	zt_tls_random(&r, sizeof(r));
	ms = ms * 8 / 10 + r % (ms * 4 / 10 + 1);
	c->failures++;
	c->addr = (c->addr + 1) % c->k->tok.n_addrs;
	pr_warn("connection %u to %s: %s; again in %.1f s\n", c->idx, c->peer, why,
		(double)ms / 1000);
	zt_timer_arm(c->k->loop, &c->timer, ms);
}

static void on_down(struct zt_tconn *t, const char *why)
{
	struct cconn *c = conn_of(t, t);

	zt_timer_stop(c->k->loop, &c->timer);
	zt_tconn_free(&c->t);
	retry(c, why);
}

static void on_up(struct zt_tconn *t)
{
	struct cconn *c = conn_of(t, t);
	struct zt_mux_hello h = { .version = ZT_MUX_PROTO, .conn = (__u8)c->idx,
				  .of = (__u8)c->k->n };

	memcpy(h.tunnel, c->k->tok.id, sizeof(h.tunnel));
	memcpy(h.secret, c->k->tok.secret, sizeof(h.secret));
	snprintf(h.name, sizeof(h.name), "%s", c->k->name);
	zt_mux_hello(c->t.mux, ZT_MUX_SYN, &h);
}

static int k_hello(void *arg, __u16 flags, const struct zt_mux_hello *h)
{
	struct cconn *c = arg;

	(void)h;
	if (flags != ZT_MUX_ACK)
		return -EPROTO;
	zt_mux_set_ready(c->t.mux);
	c->ready = true;
	c->failures = 0;
	c->last_pong_ms = zt_mono_ms();
	pr_info("connection %u of %u up to %s (tunnel %s)\n", c->idx, c->k->n, c->peer,
		c->k->tok.name);
	zt_timer_arm(c->k->loop, &c->timer, ZC_KEEPALIVE_MS);
	return 0;
}

static void k_done(void *arg, struct zt_bridge *b, const char *why, __u32 code, __u64 in,
		   __u64 out)
{
	struct cconn *c = arg;

	(void)b;
	c->k->streams--;
	pr_debug("connection %u: a stream ended: %s%s%s; %llu bytes from the origin, %llu to "
		 "it\n", c->idx, why ? why : "both sides finished", code ? ": " : "",
		 code ? zt_mux_err_name(code) : "", (unsigned long long)in,
		 (unsigned long long)out);
}

/* Never dialled for the gateway: this host's own loopback, unspecified,
 * multicast and broadcast addresses, link-local and IPv4-mapped ones (the gateway's
 * policy decides what else may be reached; a private DNS answer is held
 * to the same). */
static bool forbidden(__u8 family, const __u8 *a)
{
	static const __u8 zero[16], loop6[16] = { [15] = 1 };

	if (family == ZT_AF_INET) /* and link-local: a cloud's metadata service */
		return a[0] == 0 || a[0] == 127 || a[0] >= 224 || (a[0] == 169 && a[1] == 254);
	return !memcmp(a, zero, 16) || !memcmp(a, loop6, 16) || a[0] == 0xff ||
	       (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||
	       (a[10] == 0xff && a[11] == 0xff && !memcmp(a, zero, 10));
}

__u32 zc_dial(struct cconn *c, struct zt_mux_stream *s, __u8 proto, __u8 family,
	      const __u8 *addr, __u16 port, bool operator)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int fd, one = 1;

	if (!operator && forbidden(family, addr))
		return ZT_MUX_E_FORBIDDEN;
	sl = zt_sockaddr(family, addr, port, &ss);
	if (proto == ZT_MUX_UDP || proto == ZT_MUX_ICMP) {
		/* Connected: only the origin's datagrams come back. ICMP: an
		 * unprivileged ping socket (the kernel gives it its own
		 * identifier and takes echo requests only). */
		fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    proto == ZT_MUX_UDP ? 0 : family == ZT_AF_INET ? IPPROTO_ICMP :
			    IPPROTO_ICMPV6);
		if (fd < 0 && proto == ZT_MUX_ICMP && (errno == EACCES || errno == EPERM)) {
			static __u64 said_ms;

			if (!said_ms || zt_mono_ms() - said_ms > 10000)
				pr_warn("ping through the tunnel: this host does not let the "
					"connector's group open ICMP sockets (sysctl "
					"net.ipv4.ping_group_range)\n");
			said_ms = zt_mono_ms();
			return ZT_MUX_E_PROTO;
		}
		if (fd < 0)
			return ZT_MUX_E_BUSY;
		if (connect(fd, (struct sockaddr *)&ss, sl)) {
			close(fd);
			return ZT_MUX_E_UNREACHABLE;
		}
		if (zt_mux_accept(s)) {
			close(fd);
			return ZT_MUX_E_GONE;
		}
		if (zt_bridge_new_dgram(&c->t, s, fd, ZC_UDP_IDLE_MS, k_done, c))
			c->k->streams++;
		return 0;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ZT_MUX_E_BUSY;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&ss, sl) && errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		return e == ECONNREFUSED ? ZT_MUX_E_REFUSED : ZT_MUX_E_UNREACHABLE;
	}
	/* On failure the bridge released s itself: nothing to refuse. */
	if (!zt_bridge_new(&c->t, s, fd, true, k_done, c))
		c->k->streams++;
	return 0;
}

/* The config's ingress rules decide where o goes: the first that matches
 * its hostname (none for an address) and port. */
static int ingress(struct cconn *c, struct zt_mux_stream *s, const struct zt_mux_open *o)
{
	const struct connector *k = c->k;
	long i = zt_ingress_match(k->ingress, k->n_ingress, o->family ? "" : o->hostname,
				  o->port);
	const struct zt_ingress_rule *r = i >= 0 ? &k->ingress[i] : NULL;
	struct zt_prefix p;

	if (!r || r->service == ZT_INGRESS_REFUSE ||
	    (r->service == ZT_INGRESS_TCP && o->proto != ZT_MUX_TCP)) {
		static struct zt_rate said;
		__u64 dropped;

		if (zt_rate_ok(&said, 20, zt_mono_ms(), &dropped))
			pr_info("a stream to %s port %u refused by ingress rule %ld (line %u)\n",
				o->family ? "an address" : o->hostname, o->port, i + 1,
				r ? r->line : 0);
		if (dropped)
			pr_info("%llu more streams refused by ingress rules\n",
				(unsigned long long)dropped);
		return ZT_MUX_E_FORBIDDEN;
	}
	if (r->service == ZT_INGRESS_DIAL) {
		if (!o->family)
			return zc_lookup(c, s, o->proto, o->hostname, o->port, false);
		return (int)zc_dial(c, s, o->proto, o->family, o->addr, o->port, false);
	}
	pr_debug("a stream to %s port %u: ingress rule %ld (line %u): %s port %u\n",
		 o->family ? "an address" : o->hostname, o->port, i + 1, r->line, r->target,
		 r->target_port);
	if (!zt_prefix_parse(r->target, &p) && p.len == zt_addr_bits(&p))
		return (int)zc_dial(c, s, ZT_MUX_TCP, p.family, p.addr, r->target_port, true);
	return zc_lookup(c, s, ZT_MUX_TCP, r->target, r->target_port, true);
}

/* The gateway opened a stream to o: dial it (its name resolved first);
 * the stream is accepted once the origin answers (bridge.h). */
static int k_open(void *arg, struct zt_mux_stream *s, const struct zt_mux_open *o)
{
	static __u64 said_ms;
	struct cconn *c = arg;

	if (c->k->draining)
		return ZT_MUX_E_DRAIN;
	if (o->proto != ZT_MUX_TCP && o->proto != ZT_MUX_UDP && o->proto != ZT_MUX_ICMP) {
		if (zt_mono_ms() - said_ms > 10000)
			pr_warn("the gateway opened a stream of protocol %u: not one this "
				"connector carries\n", o->proto);
		said_ms = zt_mono_ms();
		return ZT_MUX_E_PROTO;
	}
	if (c->k->n_ingress)
		return ingress(c, s, o);
	if (!o->family)
		return zc_lookup(c, s, o->proto, o->hostname, o->port, false);
	return (int)zc_dial(c, s, o->proto, o->family, o->addr, o->port, false);
}

static void k_event(void *arg, struct zt_mux_stream *s, unsigned evs)
{
	struct zt_bridge *b = zt_mux_user(s);
	struct cconn *c = arg;

	if (b) {
		zt_bridge_event(b, evs);
	} else if (evs & ZT_MUXE_RST) {
		/* (still resolving, or never bridged) */
		zc_lookup_forget(c->k, s);
		zt_mux_release(s, 0);
	}
}

static void k_pong(void *arg, __u32 v)
{
	(void)v;
	((struct cconn *)arg)->last_pong_ms = zt_mono_ms();
}

static void k_goaway(void *arg, __u32 code)
{
	struct cconn *c = arg;

	if (code == ZT_MUX_GA_AUTH)
		pr_warn("connection %u: the gateway refused this tunnel's id or secret (was it "
			"rotated or deleted? get a new token: ztctl tunnel token %s)\n", c->idx,
			c->k->tok.name);
	else
		pr_warn("connection %u: the gateway says go away: %s\n", c->idx,
			zt_mux_goaway_name(code));
}

static const struct zt_mux_ops k_ops = {
	.open = k_open, .event = k_event, .hello = k_hello, .pong = k_pong, .goaway = k_goaway,
};

static void on_connected(struct zt_io *io, __u32 events)
{
	struct cconn *c = conn_of(io, cio);
	int err = 0, fd = io->fd;
	socklen_t el = sizeof(err);

	(void)events;
	zt_io_del(c->k->loop, io);
	c->connecting = false;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) || err) {
		close(fd);
		retry(c, strerror(err ? err : errno));
		return;
	}
	memset(&c->t, 0, sizeof(c->t));
	c->t.on_up = on_up;
	c->t.on_down = on_down;
	if (zt_tconn_start(&c->t, c->k->loop, fd, c->k->ctx, false, &c->k->lim, &k_ops, c)) {
		retry(c, "out of memory");
		return;
	}
	c->in_tls = true;
}

static void on_timer(struct zt_timer *t)
{
	struct cconn *c = conn_of(t, timer);
	__u64 now = zt_mono_ms();

	if (c->connecting) {
		zt_io_del(c->k->loop, &c->cio);
		close(c->cio.fd);
		retry(c, "no answer to connect within 10 s");
		return;
	}
	if (c->in_tls && !c->ready) {
		zt_tconn_free(&c->t);
		retry(c, "no TLS and HELLO answer within 10 s");
		return;
	}
	if (c->ready) {
		if (now - c->last_pong_ms > ZC_DEAD_MS) {
			zt_tconn_free(&c->t);
			retry(c, "no answer to keepalives for 15 s");
			return;
		}
		zt_mux_ping(c->t.mux, (__u32)now);
		zt_tconn_flush(&c->t);
		if (c->ready)
			zt_timer_arm(c->k->loop, &c->timer, ZC_KEEPALIVE_MS);
		return;
	}
	zc_start(c);
}

void zc_start(struct cconn *c)
{
	const struct zt_token_addr *a = &c->k->tok.addrs[c->addr % c->k->tok.n_addrs];
	struct sockaddr_storage ss = { 0 };
	char s[INET6_ADDRSTRLEN];
	socklen_t sl;
	int fd;

	c->timer.cb = on_timer;
	c->cio.cb = on_connected;
	inet_ntop(a->family == ZT_AF_INET ? AF_INET : AF_INET6, a->addr, s, sizeof(s));
	snprintf(c->peer, sizeof(c->peer), a->family == ZT_AF_INET ? "%s:%u" : "[%s]:%u", s,
		 a->port);
	sl = zt_sockaddr(a->family, a->addr, a->port, &ss);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		retry(c, strerror(errno));
		return;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) && errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		retry(c, strerror(e));
		return;
	}
	c->cio.fd = fd;
	if (zt_io_add(c->k->loop, &c->cio, EPOLLOUT)) {
		close(fd);
		retry(c, "cannot watch the socket");
		return;
	}
	c->connecting = true;
	zt_timer_arm(c->k->loop, &c->timer, ZC_CONNECT_MS);
}

void zc_drain(struct connector *k)
{
	unsigned i;

	k->draining = true;
	for (i = 0; i < k->n; i++) {
		struct cconn *c = &k->c[i];

		zt_timer_stop(k->loop, &c->timer);
		if (c->connecting) {
			zt_io_del(k->loop, &c->cio);
			close(c->cio.fd);
			c->connecting = false;
		} else if (c->ready) {
			/* No new streams; the live ones go on until zc_close. */
			zt_mux_goaway(c->t.mux, ZT_MUX_GA_NORMAL);
			zt_tconn_flush(&c->t);
		} else if (c->in_tls) {
			zt_tconn_free(&c->t);
			c->in_tls = false;
		}
	}
}

void zc_close(struct connector *k)
{
	unsigned i;

	for (i = 0; i < k->n; i++)
		if (k->c[i].in_tls || k->c[i].ready) {
			zt_tconn_free(&k->c[i].t);
			k->c[i].in_tls = k->c[i].ready = false;
		}
}

unsigned zc_live(const struct connector *k)
{
	unsigned i, n = 0;

	for (i = 0; i < k->n; i++)
		n += k->c[i].connecting || k->c[i].in_tls || k->c[i].ready;
	return n;
}
