// SPDX-License-Identifier: GPL-2.0
/* test_mux — the tunnel's frames and sessions (mux.h, session.h): each
 * record read back as put and refused cut short or with a byte more; two
 * sessions (a connector's and the gateway's) joined back to back, the
 * bytes between them passed in 7-byte pieces: HELLO first, streams with
 * their windows (a reader that never reads holds its own window and
 * nothing more, while another stream moves 4 MiB), windows that grow for
 * a reader that keeps up, the memory cap and max_streams refusing opens
 * (BUSY), FIN, RST, PING, GO_AWAY; and each protocol breach ending the
 * session: data past a window, frames for streams never opened, an id out
 * of order, a stream frame before HELLO, a peer that does not read. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "mux.h"
#include "session.h"
#include "zt_abi.h"
#include "../lib/t.h"

/* ---- records ----------------------------------------------------------------- */

static void test_header(void)
{
	struct zt_mux_hdr h = { .type = ZT_MUX_DATA, .flags = ZT_MUX_FIN, .stream = 7, .len = 70000 }, g;
	__u8 w[ZT_MUX_HDR + 1];
	struct zt_buf b;
	size_t k;

	zt_buf_init(&b, w, sizeof(w));
	zt_mux_hdr_put(&b, &h);
	T_EQ(b.off, ZT_MUX_HDR);
	T_ASSERT(w[0] == 0 && w[1] == 0 && w[2] == 0 && w[3] == 4 && w[7] == 7, "yamux's layout");
	zt_buf_init(&b, w, ZT_MUX_HDR);
	T_EQ(zt_mux_hdr_get(&b, &g), 0);
	T_ASSERT(g.type == h.type && g.flags == h.flags && g.stream == 7 && g.len == 70000, "read back");
	for (k = 0; k < ZT_MUX_HDR; k++) {
		zt_buf_init(&b, w, k);
		T_EQ(zt_mux_hdr_get(&b, &g), -EBADMSG);
		T_EQ(b.off, 0);
	}
	/* version, type, flag, stream 0 rules, record lengths */
	struct { __u8 at, v; } bad[] = { { 0, 1 }, { 1, ZT_MUX_TYPE_MAX }, { 2, 0x80 }, { 3, 0x10 },
					 { 7, 0 } /* DATA on stream 0 */ };
	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		__u8 c[ZT_MUX_HDR];

		memcpy(c, w, sizeof(c));
		c[bad[k].at] = bad[k].v;
		zt_buf_init(&b, c, sizeof(c));
		T_ASSERT(zt_mux_hdr_get(&b, &g) == -EBADMSG, "bad header %zu refused", k);
	}
	h = (struct zt_mux_hdr){ .type = ZT_MUX_PING, .flags = ZT_MUX_SYN, .stream = 1 };
	zt_buf_init(&b, w, sizeof(w));
	zt_mux_hdr_put(&b, &h);
	zt_buf_init(&b, w, ZT_MUX_HDR);
	T_EQ(zt_mux_hdr_get(&b, &g), -EBADMSG); /* PING off stream 0 */
	h = (struct zt_mux_hdr){ .type = ZT_MUX_OPEN, .flags = ZT_MUX_SYN, .stream = 2,
				 .len = ZT_MUX_REC_MAX + 1 };
	zt_buf_init(&b, w, sizeof(w));
	zt_mux_hdr_put(&b, &h);
	zt_buf_init(&b, w, ZT_MUX_HDR);
	T_EQ(zt_mux_hdr_get(&b, &g), -EBADMSG); /* an OPEN longer than a record may be */
}

static void open_round_trip(const struct zt_mux_open *o)
{
	__u8 w[ZT_MUX_REC_MAX + 1];
	struct zt_mux_open g;
	struct zt_buf b;
	size_t n, k;

	zt_buf_init(&b, w, sizeof(w));
	zt_mux_open_put(&b, o);
	T_EQ(b.err, 0);
	n = b.off;
	zt_buf_init(&b, w, n);
	T_EQ(zt_mux_open_get(&b, &g), 0);
	T_ASSERT(!memcmp(o, &g, sizeof(g)), "OPEN read back as put");
	for (k = 0; k < n; k++) {
		zt_buf_init(&b, w, k);
		T_ASSERT(zt_mux_open_get(&b, &g) == -EBADMSG, "OPEN cut at %zu refused", k);
	}
	w[n] = 0;
	zt_buf_init(&b, w, n + 1);
	T_EQ(zt_mux_open_get(&b, &g), -EBADMSG);
}

static void test_open_record(void)
{
	struct zt_mux_open o = { .proto = ZT_MUX_TCP, .family = ZT_AF_INET, .vnet = 3, .port = 443,
				 .addr = { 10, 2, 0, 5 } };
	__u8 w[64];
	struct zt_buf b;

	open_round_trip(&o);
	o.family = ZT_AF_INET6;
	memcpy(o.addr, "\xfd\x00\x00\x02\0\0\0\0\0\0\0\0\0\0\0\x05", 16);
	strcpy(o.hostname, "ssh.internal.local");
	open_round_trip(&o);
	o = (struct zt_mux_open){ .proto = ZT_MUX_ICMP, .hostname = "db.internal.local" };
	open_round_trip(&o);
	/* refused: no address and no name; ICMP with a port; a name with a space */
	o = (struct zt_mux_open){ .proto = ZT_MUX_TCP, .port = 22 };
	zt_buf_init(&b, w, sizeof(w));
	zt_mux_open_put(&b, &o);
	zt_buf_init(&b, w, b.off);
	T_EQ(zt_mux_open_get(&b, &o), -EBADMSG);
	o = (struct zt_mux_open){ .proto = ZT_MUX_ICMP, .family = ZT_AF_INET, .port = 1 };
	zt_buf_init(&b, w, sizeof(w));
	zt_mux_open_put(&b, &o);
	zt_buf_init(&b, w, b.off);
	T_EQ(zt_mux_open_get(&b, &o), -EBADMSG);
	o = (struct zt_mux_open){ .proto = ZT_MUX_UDP, .port = 53, .hostname = "a b" };
	zt_buf_init(&b, w, sizeof(w));
	zt_mux_open_put(&b, &o);
	zt_buf_init(&b, w, b.off);
	T_EQ(zt_mux_open_get(&b, &o), -EBADMSG);
}

static void test_hello_record(void)
{
	struct zt_mux_hello h = { .version = ZT_MUX_PROTO, .conn = 3, .of = 4, .name = "connector-1" }, g;
	__u8 w[ZT_MUX_REC_MAX];
	struct zt_buf b;
	size_t n, k;

	memset(h.tunnel, 0xab, sizeof(h.tunnel));
	memset(h.secret, 0xcd, sizeof(h.secret));
	zt_buf_init(&b, w, sizeof(w));
	zt_mux_hello_put(&b, &h);
	n = b.off;
	T_EQ(n, 2 + 16 + 32 + 1 + 1 + 1 + 11);
	zt_buf_init(&b, w, n);
	T_EQ(zt_mux_hello_get(&b, &g), 0);
	T_ASSERT(!memcmp(&h, &g, sizeof(g)), "HELLO read back as put");
	for (k = 0; k < n; k++) {
		zt_buf_init(&b, w, k);
		T_ASSERT(zt_mux_hello_get(&b, &g) == -EBADMSG, "HELLO cut at %zu refused", k);
	}
}

/* An access client's HELLO (version 2): its credential read back whole;
 * refused cut, empty or longer than a record; another version's record
 * taken whole and not read (the gateway answers it GO_AWAY 4). */
static void test_hello_access(void)
{
	struct zt_mux_hello h = { .version = ZT_MUX_ACCESS, .cred_len = 300 }, g;
	__u8 w[ZT_MUX_REC_MAX + 8];
	struct zt_buf b;
	size_t n, k;

	memset(h.cred, 0x42, h.cred_len);
	zt_buf_init(&b, w, sizeof(w));
	zt_mux_hello_put(&b, &h);
	n = b.off;
	T_EQ(n, 2 + 2 + 300);
	zt_buf_init(&b, w, n);
	T_EQ(zt_mux_hello_get(&b, &g), 0);
	T_ASSERT(g.version == ZT_MUX_ACCESS && g.cred_len == 300 && !memcmp(g.cred, h.cred, 300),
		 "read back as put");
	for (k = 0; k < n; k++) {
		zt_buf_init(&b, w, k);
		T_ASSERT(zt_mux_hello_get(&b, &g) == -EBADMSG, "cut at %zu refused", k);
	}
	w[n] = 0;
	zt_buf_init(&b, w, n + 1);
	T_EQ(zt_mux_hello_get(&b, &g), -EBADMSG); /* a byte more */
	w[2] = 0;
	w[3] = 0;
	zt_buf_init(&b, w, 4);
	T_EQ(zt_mux_hello_get(&b, &g), -EBADMSG); /* empty */
	w[2] = (ZT_MUX_CRED_MAX + 1) >> 8;
	w[3] = (ZT_MUX_CRED_MAX + 1) & 0xff;
	zt_buf_init(&b, w, sizeof(w));
	T_EQ(zt_mux_hello_get(&b, &g), -EBADMSG); /* past a record */
	w[0] = 0;
	w[1] = 9;
	zt_buf_init(&b, w, 40);
	T_EQ(zt_mux_hello_get(&b, &g), 0);
	T_ASSERT(g.version == 9 && !zt_buf_left(&b), "version 9: taken whole, not read");
}

/* ---- two sessions back to back -------------------------------------------------- */

struct side {
	struct zt_mux *m;
	const char *name;
	bool ready, acked_hello, refuse_hello;
	int open_answer;                    /* what open() returns */
	bool accept_now;
	struct zt_mux_stream *last_in;      /* the peer's last stream */
	struct zt_mux_open last_open;
	unsigned evs;                       /* events seen, all streams */
	__u32 rst_code;
	__u32 pong;
	__u32 goaway;
	bool gone_seen;
	int gone;                           /* RST events with E_GONE */
};

static struct side gw, cn; /* the gateway (accepts), the connector (dials) */

static int cb_open(void *arg, struct zt_mux_stream *s, const struct zt_mux_open *o)
{
	struct side *x = arg;

	x->last_in = s;
	x->last_open = *o;
	if (!x->open_answer && x->accept_now)
		zt_mux_accept(s);
	return x->open_answer;
}

static void cb_event(void *arg, struct zt_mux_stream *s, unsigned evs)
{
	struct side *x = arg;

	x->evs |= evs;
	if (evs & ZT_MUXE_RST) {
		x->rst_code = zt_mux_rst_code(s);
		if (x->rst_code == ZT_MUX_E_GONE) {
			x->gone++;
			zt_mux_release(s, 0);
		}
	}
}

static int cb_hello(void *arg, __u16 flags, const struct zt_mux_hello *h)
{
	struct side *x = arg;

	if (flags == ZT_MUX_SYN) {
		if (x->refuse_hello || h->secret[0] != 0x5e)
			return -EACCES;
		zt_mux_hello(x->m, ZT_MUX_ACK, NULL);
	} else {
		x->acked_hello = true;
	}
	zt_mux_set_ready(x->m);
	x->ready = true;
	return 0;
}

static void cb_pong(void *arg, __u32 v) { ((struct side *)arg)->pong = v; }
static void cb_goaway(void *arg, __u32 v) { ((struct side *)arg)->goaway = v + 1; }

static const struct zt_mux_ops ops = {
	.open = cb_open, .event = cb_event, .hello = cb_hello, .pong = cb_pong, .goaway = cb_goaway,
};

/* Moves what from has to send into to, in 7-byte pieces; to's result. */
static int move(struct side *from, struct side *to)
{
	const __u8 *p;
	size_t n, k;
	int r = 0;

	while (!r && (n = zt_mux_out(from->m, &p)) > 0) {
		k = n < 7 ? n : 7;
		r = zt_mux_input(to->m, p, k);
		zt_mux_out_done(from->m, k);
	}
	return r;
}

/* Both ways until neither has anything to send: 0, or the first error. */
static int pump(void)
{
	const __u8 *p;
	int r;

	do {
		if ((r = move(&cn, &gw)) || (r = move(&gw, &cn)))
			return r;
	} while (zt_mux_out(cn.m, &p) || zt_mux_out(gw.m, &p));
	return 0;
}

static void pair(const struct zt_mux_limits *gl, const struct zt_mux_limits *cl, bool hello)
{
	struct zt_mux_hello h = { .version = ZT_MUX_PROTO, .of = 1, .name = "c1" };

	zt_mux_free(gw.m);
	zt_mux_free(cn.m);
	memset(&gw, 0, sizeof(gw));
	memset(&cn, 0, sizeof(cn));
	gw.name = "gateway";
	cn.name = "connector";
	gw.m = zt_mux_new(false, gl, &ops, &gw);
	cn.m = zt_mux_new(true, cl, &ops, &cn);
	cn.accept_now = gw.accept_now = true;
	T_ASSERT(gw.m && cn.m, "sessions made");
	if (!hello)
		return;
	h.secret[0] = 0x5e;
	T_EQ(zt_mux_hello(cn.m, ZT_MUX_SYN, &h), 0);
	T_EQ(pump(), 0);
	T_ASSERT(gw.ready && cn.ready && cn.acked_hello, "HELLO taken and answered");
}

static struct zt_mux_stream *open_tcp(struct side *x, __u16 port)
{
	struct zt_mux_open o = { .proto = ZT_MUX_TCP, .family = ZT_AF_INET, .port = port,
				 .addr = { 10, 2, 0, 5 } };
	int err;
	struct zt_mux_stream *s = zt_mux_open(x->m, &o, NULL, &err);

	T_ASSERT(s, "stream opened (%d)", err);
	return s;
}

/* Reads everything s holds into out (at *at). */
static void drain(struct zt_mux_stream *s, __u8 *out, size_t *at)
{
	const __u8 *p;
	size_t n;

	while ((n = zt_mux_peek(s, &p)) > 0) {
		if (out)
			memcpy(out + *at, p, n);
		*at += n;
		zt_mux_consume(s, n);
	}
}

static void test_hello_first(void)
{
	struct zt_mux_hello h = { .version = ZT_MUX_PROTO, .of = 4 };
	struct zt_mux_open o = { .proto = ZT_MUX_TCP, .family = ZT_AF_INET, .port = 1 };
	int err;

	pair(NULL, NULL, false);
	/* Before HELLO, an open cannot even be sent by the gateway's peer... */
	zt_mux_set_ready(cn.m);
	T_ASSERT(zt_mux_open(cn.m, &o, NULL, &err), "the connector's side lets it queue");
	T_EQ(pump(), -EPROTO);
	T_ASSERT(!strcmp(zt_mux_why(gw.m), "a stream frame before HELLO was answered"), "%s",
		 zt_mux_why(gw.m));
	/* A wrong secret: the gateway's hello() refuses, the session ends. */
	pair(NULL, NULL, false);
	T_EQ(zt_mux_hello(cn.m, ZT_MUX_SYN, &h), 0);
	T_EQ(pump(), -EPROTO);
	T_ASSERT(!gw.ready, "not ready after a refused HELLO");
	/* HELLO twice */
	pair(NULL, NULL, true);
	h.secret[0] = 0x5e;
	T_EQ(zt_mux_hello(cn.m, ZT_MUX_SYN, &h), 0);
	T_EQ(pump(), -EPROTO);
	T_ASSERT(!strcmp(zt_mux_why(gw.m), "HELLO twice"), "%s", zt_mux_why(gw.m));
}

static void test_stream_both_ways(void)
{
	static __u8 big[300000], got[300000];
	struct zt_mux_stream *s, *t;
	size_t sent = 0, at = 0, back = 0;
	size_t i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (__u8)(i * 7 + i / 251);
	pair(NULL, NULL, true);
	s = open_tcp(&gw, 443);
	/* Data may follow the OPEN at once (the first window is assumed). */
	T_EQ(zt_mux_write(s, "hello", 5), 5);
	T_EQ(pump(), 0);
	t = cn.last_in;
	T_ASSERT(t && cn.last_open.port == 443 && cn.last_open.addr[3] == 5, "OPEN arrived");
	T_EQ(zt_mux_id(s), 2);
	T_EQ(zt_mux_id(t), 2);
	T_ASSERT(gw.evs & ZT_MUXE_ACK, "the gateway heard the ACK");
	drain(t, got, &at);
	T_ASSERT(at == 5 && !memcmp(got, "hello", 5), "first bytes");
	at = 0;
	while (sent < sizeof(big) || at < sizeof(big)) {
		ssize_t k = sent < sizeof(big) ? zt_mux_write(s, big + sent, sizeof(big) - sent) : 0;

		T_ASSERT(k >= 0, "write");
		sent += (size_t)k;
		T_EQ(pump(), 0);
		drain(t, got, &at);
		T_EQ(pump(), 0);
		if (k == 0 && at == sizeof(big))
			break;
	}
	T_ASSERT(at == sizeof(big) && !memcmp(big, got, at), "300000 bytes through, in order");
	T_EQ(zt_mux_write(t, "bye", 3), 3);
	T_EQ(zt_mux_close(t), 0);
	T_EQ(zt_mux_close(s), 0);
	T_EQ(pump(), 0);
	drain(s, got, &back);
	T_ASSERT(back == 3 && (gw.evs & ZT_MUXE_FIN) && (cn.evs & ZT_MUXE_FIN), "FIN both ways");
	zt_mux_release(s, 0);
	zt_mux_release(t, 0);
	T_EQ(pump(), 0);
	T_ASSERT(!(cn.evs & ZT_MUXE_RST) && !(gw.evs & ZT_MUXE_RST), "a clean end sends no RST");
	T_EQ(zt_mux_stats(gw.m)->streams, 0);
	T_EQ(zt_mux_stats(cn.m)->streams, 0);
	T_EQ(zt_mux_stats(cn.m)->buffered, 0);
	T_EQ(zt_mux_stats(cn.m)->reserved, 0);
}

static void test_slow_reader(void)
{
	static __u8 chunk[65536];
	struct zt_mux_stream *a, *b, *ta, *tb;
	size_t moved = 0, held = 0;
	ssize_t k;
	int i;

	pair(NULL, NULL, true);
	a = open_tcp(&gw, 1);
	T_EQ(pump(), 0);
	ta = cn.last_in;
	b = open_tcp(&gw, 2);
	T_EQ(pump(), 0);
	tb = cn.last_in;
	/* The connector's side of a never reads: the gateway can put its
	 * window there and no byte more. */
	for (i = 0; i < 10; i++) {
		k = zt_mux_write(a, chunk, sizeof(chunk));
		T_ASSERT(k >= 0, "write a");
		held += (size_t)k;
		T_EQ(pump(), 0);
	}
	T_EQ(held, ZT_MUX_WINDOW0);
	T_EQ(zt_mux_send_window(a), 0);
	/* b moves 4 MiB meanwhile. */
	for (i = 0; i < 400 && moved < (4u << 20); i++) {
		k = zt_mux_write(b, chunk, sizeof(chunk));
		T_ASSERT(k >= 0, "write b");
		T_EQ(pump(), 0);
		drain(tb, NULL, &moved);
		T_EQ(pump(), 0);
	}
	T_ASSERT(moved >= (4u << 20), "the other stream moved %zu bytes past the stalled one", moved);
	T_EQ(zt_mux_stats(cn.m)->buffered, ZT_MUX_WINDOW0);
	T_ASSERT(zt_mux_recv_window(tb) > ZT_MUX_WINDOW0, "b's window grew (%u)", zt_mux_recv_window(tb));
	T_ASSERT(zt_mux_stats(cn.m)->reserved <= ZT_MUX_WINDOW0 + ZT_MUX_WINDOW_MAX,
		 "windows reserved: %zu", zt_mux_stats(cn.m)->reserved);
	(void)ta;
}

/* A new stream of the current pair, the gateway's *a to the connector's
 * *ta, moves 24 MiB with a reader that keeps pace: the window it grew to
 * (what the connector's reserved windows grew by). */
static size_t grow_stream(__u16 port, struct zt_mux_stream **a, struct zt_mux_stream **ta)
{
	static __u8 chunk[65536];
	size_t moved = 0, before = zt_mux_stats(cn.m)->reserved;
	ssize_t k;
	int i;

	*a = open_tcp(&gw, port);
	T_EQ(pump(), 0);
	*ta = cn.last_in;
	for (i = 0; i < 2000 && moved < (24u << 20); i++) {
		k = zt_mux_write(*a, chunk, sizeof(chunk));
		T_ASSERT(k >= 0, "write");
		T_EQ(pump(), 0);
		drain(*ta, NULL, &moved);
		T_EQ(pump(), 0);
	}
	T_ASSERT(moved >= (24u << 20), "24 MiB moved (%zu)", moved);
	return zt_mux_stats(cn.m)->reserved - before;
}

/* One stream alone: its window grows to ZT_MUX_WINDOW_MAX on the session
 * alone, on to ZT_MUX_WINDOW_BIG on a shared budget while it has room,
 * and gives the budget back when it goes. */
static size_t grown_window(struct zt_mux_budget *big)
{
	struct zt_mux_limits cl = { .big = big };
	struct zt_mux_stream *a, *ta;
	size_t win;

	pair(NULL, &cl, true);
	win = grow_stream(1, &a, &ta);
	zt_mux_release(a, 0);
	zt_mux_release(ta, 0);
	T_EQ(pump(), 0);
	T_EQ(zt_mux_stats(cn.m)->streams, 0);
	return win;
}

static void test_window_budget(void)
{
	struct zt_mux_budget big = { .max = 64u << 20 };
	struct zt_mux_budget small = { .used = 15u << 20, .max = 16u << 20 };

	T_EQ(grown_window(NULL), ZT_MUX_WINDOW_MAX);
	T_EQ(grown_window(&big), ZT_MUX_WINDOW_BIG);
	T_EQ(big.used, 0);  /* given back */
	/* Room for 1 MiB more (taken by other sessions): 1 -> 2 MiB, not on
	 * to 4. */
	T_EQ(grown_window(&small), 2 * ZT_MUX_WINDOW_MAX);
	T_EQ(small.used, 15u << 20);
	small.used = small.max; /* all taken */
	T_EQ(grown_window(&small), ZT_MUX_WINDOW_MAX);
	T_EQ(small.used, small.max);
	pair(NULL, NULL, false); /* none left pointing to these budgets */
}

/* One session takes at most 1/ZT_MUX_BIG_SHARES of the budget, however
 * many of its streams would grow: of 64 MiB, 8. Its first two streams
 * grow to 4 MiB (3 MiB each from the budget), its third to 2 MiB (1 more)
 * while the budget still has 57 MiB; another session's stream then grows
 * to 4 MiB. Before the share, one session could keep all 64 MiB. */
static void test_window_share(void)
{
	struct zt_mux_budget big = { .max = 64u << 20 };
	struct zt_mux_limits cl = { .big = &big };
	struct zt_mux_stream *a[3], *ta[3], *b, *tb;
	struct side g1, c1;

	_Static_assert(ZT_MUX_BIG_SHARES == 8, "the share this test counts with");
	pair(NULL, &cl, true);
	T_EQ(grow_stream(1, &a[0], &ta[0]), ZT_MUX_WINDOW_BIG);
	T_EQ(grow_stream(2, &a[1], &ta[1]), ZT_MUX_WINDOW_BIG);
	T_EQ(grow_stream(3, &a[2], &ta[2]), 2 * ZT_MUX_WINDOW_MAX);
	T_EQ(big.used, 7u << 20);
	/* The first pair set aside (not pumped again), a second one. */
	g1 = gw;
	c1 = cn;
	gw.m = cn.m = NULL;
	pair(NULL, &cl, true);
	T_EQ(grow_stream(1, &b, &tb), ZT_MUX_WINDOW_BIG);
	T_EQ(big.used, 10u << 20);
	zt_mux_free(g1.m); /* its streams' part comes back */
	zt_mux_free(c1.m);
	T_EQ(big.used, 3u << 20);
	pair(NULL, NULL, false);
	T_EQ(big.used, 0);
}

/* A DATA body in two reads, its first half consumed in between: the
 * stream's buffer must stay for the second (it was freed, and written
 * through a null pointer, before). */
static void test_body_split_consumed(void)
{
	struct zt_mux_hdr h;
	struct zt_mux_stream *s, *t;
	__u8 w[ZT_MUX_HDR + 100], got[100];
	struct zt_buf b;
	size_t at = 0, i;

	pair(NULL, NULL, true);
	s = open_tcp(&gw, 443);
	T_EQ(pump(), 0);
	t = cn.last_in;
	h = (struct zt_mux_hdr){ .type = ZT_MUX_DATA, .stream = zt_mux_id(s), .len = 100 };
	zt_buf_init(&b, w, sizeof(w));
	zt_mux_hdr_put(&b, &h);
	for (i = 0; i < 100; i++)
		w[ZT_MUX_HDR + i] = (__u8)i;
	T_EQ(zt_mux_input(cn.m, w, ZT_MUX_HDR + 50), 0);
	drain(t, got, &at);
	T_EQ(at, 50);
	T_EQ(zt_mux_input(cn.m, w + ZT_MUX_HDR + 50, 50), 0);
	drain(t, got, &at);
	T_EQ(at, 100);
	for (i = 0; i < 100; i++)
		T_ASSERT(got[i] == i, "byte %zu", i);
}

static void test_limits(void)
{
	struct zt_mux_limits lim = { .mem_max = 3 * ZT_MUX_WINDOW0 };
	struct zt_mux_stream *s[4];
	int i, err;
	struct zt_mux_open o = { .proto = ZT_MUX_TCP, .family = ZT_AF_INET, .port = 9 };

	/* mem_max: three windows, the fourth open refused BUSY */
	pair(NULL, &lim, true);
	for (i = 0; i < 4; i++) {
		s[i] = open_tcp(&gw, 9);
		T_EQ(pump(), 0);
	}
	T_ASSERT((gw.evs & ZT_MUXE_RST) && gw.rst_code == ZT_MUX_E_BUSY,
		 "the open past mem_max refused busy (%u)", gw.rst_code);
	T_EQ(zt_mux_stats(cn.m)->refused, 1);
	T_EQ(zt_mux_stats(cn.m)->streams, 3);
	zt_mux_release(s[3], 0);
	/* the connector's own opens meet the same cap */
	T_ASSERT(!zt_mux_open(cn.m, &o, NULL, &err) && err == -ENOBUFS, "own open past mem_max: %d", err);
	/* max_streams */
	lim = (struct zt_mux_limits){ .max_streams = 2 };
	pair(NULL, &lim, true);
	for (i = 0; i < 3; i++) {
		s[i] = open_tcp(&gw, 9);
		T_EQ(pump(), 0);
	}
	T_ASSERT(gw.rst_code == ZT_MUX_E_BUSY, "the third stream refused at max_streams 2");
	/* a refusal of the owner's: open() returns a code */
	pair(NULL, NULL, true);
	cn.open_answer = ZT_MUX_E_REFUSED;
	s[0] = open_tcp(&gw, 9);
	T_EQ(zt_mux_write(s[0], "early", 5), 5); /* data racing the refusal: dropped */
	T_EQ(pump(), 0);
	T_ASSERT(gw.rst_code == ZT_MUX_E_REFUSED, "refused with the owner's code");
	T_ASSERT(zt_mux_stats(cn.m)->ignored >= 1, "the early data dropped, not an error");
	T_EQ(zt_mux_stats(cn.m)->streams, 0);
}

static void test_ping_goaway_abort(void)
{
	struct zt_mux_open o = { .proto = ZT_MUX_TCP, .family = ZT_AF_INET, .port = 9 };
	int err;

	pair(NULL, NULL, true);
	T_EQ(zt_mux_ping(cn.m, 0xdeadbeef), 0);
	T_EQ(pump(), 0);
	T_EQ(cn.pong, 0xdeadbeef);
	open_tcp(&gw, 9);
	open_tcp(&gw, 10);
	T_EQ(pump(), 0);
	T_EQ(zt_mux_goaway(gw.m, ZT_MUX_GA_NORMAL), 0);
	T_EQ(pump(), 0);
	T_EQ(cn.goaway, ZT_MUX_GA_NORMAL + 1);
	T_ASSERT(!zt_mux_open(cn.m, &o, NULL, &err) && err == -ESHUTDOWN, "no opens after GO_AWAY");
	zt_mux_abort(cn.m);
	T_EQ(cn.gone, 2);
	T_EQ(zt_mux_stats(cn.m)->streams, 0);
}

/* Frames written by hand into a fresh gateway session after HELLO. */
static int feed(const struct zt_mux_hdr *h, const void *body, size_t n)
{
	__u8 w[ZT_MUX_HDR];
	struct zt_buf b;
	int r;

	zt_buf_init(&b, w, sizeof(w));
	zt_mux_hdr_put(&b, h);
	r = zt_mux_input(gw.m, w, sizeof(w));
	return r || !n ? r : zt_mux_input(gw.m, body, n);
}

static void test_breaches(void)
{
	static __u8 zeros[ZT_MUX_WINDOW0 + 1];
	struct zt_mux_hdr h;
	struct zt_mux_stream *s;

	pair(NULL, NULL, true);
	h = (struct zt_mux_hdr){ .type = ZT_MUX_DATA, .stream = 5, .len = 1 };
	T_EQ(feed(&h, "x", 1), -EPROTO);
	T_ASSERT(!strcmp(zt_mux_why(gw.m), "DATA for a stream never opened"), "%s", zt_mux_why(gw.m));

	pair(NULL, NULL, true);
	s = open_tcp(&gw, 9);
	T_EQ(pump(), 0);
	h = (struct zt_mux_hdr){ .type = ZT_MUX_DATA, .stream = zt_mux_id(s), .len = sizeof(zeros) };
	T_EQ(feed(&h, zeros, sizeof(zeros)), -EPROTO);
	T_ASSERT(!strcmp(zt_mux_why(gw.m), "DATA past the stream's window"), "%s", zt_mux_why(gw.m));

	pair(NULL, NULL, true);
	h = (struct zt_mux_hdr){ .type = ZT_MUX_OPEN, .flags = ZT_MUX_SYN, .stream = 2, .len = 0 };
	T_EQ(feed(&h, NULL, 0), -EPROTO); /* the gateway's own parity */

	pair(NULL, NULL, true);
	h = (struct zt_mux_hdr){ .type = ZT_MUX_OPEN, .flags = ZT_MUX_SYN, .stream = 3, .len = 3 };
	T_EQ(feed(&h, "abc", 3), -EPROTO);
	T_ASSERT(!strcmp(zt_mux_why(gw.m), "an OPEN that does not parse"), "%s", zt_mux_why(gw.m));

	pair(NULL, NULL, true);
	h = (struct zt_mux_hdr){ .type = ZT_MUX_WINDOW, .stream = 9, .len = 1 };
	T_EQ(feed(&h, NULL, 0), -EPROTO);

	pair(NULL, NULL, true);
	s = open_tcp(&gw, 9);
	T_EQ(pump(), 0);
	h = (struct zt_mux_hdr){ .type = ZT_MUX_WINDOW, .stream = zt_mux_id(s), .len = 0x7fffffff };
	T_EQ(feed(&h, NULL, 0), -EPROTO); /* a window past 2^31 - 1 */

	/* garbage */
	pair(NULL, NULL, true);
	T_EQ(zt_mux_input(gw.m, "GET / HTTP/1.1\r\n\r\n", 18), -EPROTO);
	T_ASSERT(zt_mux_input(gw.m, "x", 1) < 0, "an ended session takes nothing more");
}

static void test_peer_does_not_read(void)
{
	struct zt_mux_limits lim = { .out_max = 1 };
	int i, r = 0;

	pair(&lim, NULL, true);
	/* The connector pings and never reads the answers. */
	for (i = 0; i < 20000 && !r; i++) {
		const __u8 *p;
		size_t n;

		zt_mux_ping(cn.m, (__u32)i);
		n = zt_mux_out(cn.m, &p);
		r = zt_mux_input(gw.m, p, n);
		zt_mux_out_done(cn.m, n);
	}
	T_EQ(r, -ENOBUFS);
	T_ASSERT(!strcmp(zt_mux_why(gw.m), "the peer does not read what it is sent"), "%s",
		 zt_mux_why(gw.m));
}

int main(void)
{
	T_RUN(test_header);
	T_RUN(test_open_record);
	T_RUN(test_hello_record);
	T_RUN(test_hello_access);
	T_RUN(test_hello_first);
	T_RUN(test_stream_both_ways);
	T_RUN(test_slow_reader);
	T_RUN(test_window_budget);
	T_RUN(test_window_share);
	T_RUN(test_body_split_consumed);
	T_RUN(test_limits);
	T_RUN(test_ping_goaway_abort);
	T_RUN(test_breaches);
	T_RUN(test_peer_does_not_read);
	zt_mux_free(gw.m);
	zt_mux_free(cn.m);
	return t_done();
}
