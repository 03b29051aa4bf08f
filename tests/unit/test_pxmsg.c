// SPDX-License-Identifier: GPL-2.0
/* test_pxmsg — the messages between ztd and its proxy workers: each type
 * read back field for field; every truncation, a trailing byte and each
 * value out of its range refused as -EBADMSG (ztd ends a worker that
 * sends one, so a compromised worker's words never reach the policy). */
#include <errno.h>
#include <string.h>
#include "pxmsg.h"
#include "zt_abi.h"
#include "../lib/t.h"

static __u8 wire[ZT_PXM_MAX];

static size_t put(const struct zt_pxm *m)
{
	struct zt_buf b;

	zt_buf_init(&b, wire, sizeof(wire));
	zt_pxm_put(&b, m);
	T_EQ(b.err, 0);
	return b.off;
}

static int get(size_t n, struct zt_pxm *m)
{
	struct zt_buf b;

	zt_buf_init(&b, wire, n);
	return zt_pxm_get(&b, m);
}

/* m put, then read back whole (equal to m), and refused cut at every
 * length and with a byte more. */
static void round_trip(const struct zt_pxm *m)
{
	static struct zt_pxm out;
	size_t n = put(m), k;

	T_EQ(get(n, &out), 0);
	T_ASSERT(!memcmp(m, &out, sizeof(out)), "type %u read back as put", m->type);
	for (k = 0; k < n; k++)
		T_EQ(get(k, &out), -EBADMSG);
	wire[n] = 0;
	T_EQ(get(n + 1, &out), -EBADMSG);
}

static void ask(struct zt_pxm *m)
{
	memset(m, 0, sizeof(*m));
	m->type = ZT_PXM_ASK;
	m->ask.cid = 0x0102030405060708ull;
	m->ask.final = true;
	m->ask.found = true;
	m->ask.ech = true;
	m->ask.family = ZT_AF_INET6;
	memset(m->ask.src, 0xfd, 16);
	memset(m->ask.dst, 0x20, 16);
	m->ask.sport = 40000;
	m->ask.dport = 443;
	m->ask.ifindex = 0xffffffffu;
	m->ask.proto = 1;
	m->ask.why = 0;
	strcpy(m->ask.name, "app.internal-1.local");
}

static void each_type_round_trips(void)
{
	static struct zt_pxm m;
	int i;

	ask(&m);
	round_trip(&m);
	memset(&m.ask.name, 'a', ZT_HOSTNAME_MAX); /* the longest name */
	round_trip(&m);
	memset(&m, 0, sizeof(m));
	m.type = ZT_PXM_END;
	m.end = (struct zt_pxm_end){ .cid = 9, .end = ZT_PXE_WORKER, .err = 111,
				     .up = 1ull << 40, .down = 3 };
	round_trip(&m);
	memset(&m, 0, sizeof(m));
	m.type = ZT_PXM_PROGRESS;
	m.prog.n = ZT_PXM_PROG_MAX;
	for (i = 0; i < ZT_PXM_PROG_MAX; i++)
		m.prog.c[i] = (struct zt_pxm_prog){ .cid = (__u64)i + 1, .state = ZT_PXS_RELAY,
						    .up = (__u64)i * 7, .down = (__u64)i };
	round_trip(&m);
	memset(&m, 0, sizeof(m));
	m.type = ZT_PXM_EVENT;
	m.event = ZT_PXEV_NOFILE;
	round_trip(&m);
	memset(&m, 0, sizeof(m));
	m.type = ZT_PXM_ANSWER;
	m.answer = (struct zt_pxm_answer){ .cid = 77, .act = ZT_PXA_CONNECT, .detect_ms = 300 };
	round_trip(&m);
	/* To a remote tunnel: hand ztd the socket. */
	memset(&m, 0, sizeof(m));
	m.type = ZT_PXM_ANSWER;
	m.answer = (struct zt_pxm_answer){ .cid = 78, .act = ZT_PXA_HAND };
	round_trip(&m);
	memset(&m, 0, sizeof(m));
	m.type = ZT_PXM_REVOKE;
	m.revoke = 1234;
	round_trip(&m);
}

/* One byte of an ASK set to v at off (after the type byte). */
static int ask_with(size_t off, __u8 v)
{
	static struct zt_pxm m, out;
	size_t n;

	ask(&m);
	n = put(&m);
	wire[off] = v;
	return get(n, &out);
}

static void values_out_of_range_refused(void)
{
	static struct zt_pxm m, out;
	size_t n;

	/* type, cid (8), final, timed_out, found, ech, family, ... */
	T_EQ(ask_with(9, 2), -EBADMSG);           /* final: a bool */
	T_EQ(ask_with(13, 7), -EBADMSG);          /* family */
	n = put((ask(&m), &m));
	T_EQ(ask_with(n - 1, 'A'), -EBADMSG);     /* the name: lower case only */
	T_EQ(ask_with(n - 1, '/'), -EBADMSG);
	T_EQ(ask_with(n - 1, 0), -EBADMSG);
	T_EQ(ask_with(n - 23, 4), -EBADMSG);      /* proto: 0..3 */
	T_EQ(ask_with(n - 22, 9), -EBADMSG);      /* why: 0..3 */
	T_EQ(ask_with(n - 21, 254), -EBADMSG);    /* the name's length: past 253 */
	T_EQ(ask_with(n - 21, 19), -EBADMSG);     /* ... shorter than its bytes */
	T_EQ(ask_with(n - 23, 3), 0);             /* (the places are right: ssh is 3) */
	wire[0] = 99;                             /* an unknown type */
	T_EQ(get(n, &out), -EBADMSG);
	T_EQ(get(0, &out), -EBADMSG);
	memset(&m, 0, sizeof(m));
	m.type = ZT_PXM_END;
	m.end.end = ZT_PXE_WORKER;
	n = put(&m);
	wire[9] = ZT_PXE_MAX;                     /* an end past the last */
	T_EQ(get(n, &out), -EBADMSG);
	memset(&m, 0, sizeof(m));
	m.type = ZT_PXM_PROGRESS;
	m.prog.n = 1;
	n = put(&m);
	wire[10] = ZT_PXS_MAX;                    /* a state past the last */
	T_EQ(get(n, &out), -EBADMSG);
	wire[10] = 0;
	wire[1] = 0;                              /* an empty PROGRESS */
	T_EQ(get(2, &out), -EBADMSG);
	wire[1] = ZT_PXM_PROG_MAX + 1;            /* more than one may hold */
	T_EQ(get(n, &out), -EBADMSG);
	memset(&m, 0, sizeof(m));
	m.type = ZT_PXM_ANSWER;
	m.answer.act = ZT_PXA_RESET;
	n = put(&m);
	wire[9] = 0;                              /* no such act */
	T_EQ(get(n, &out), -EBADMSG);
	wire[9] = ZT_PXA_HAND + 1;
	T_EQ(get(n, &out), -EBADMSG);
	memset(&m, 0, sizeof(m));
	m.type = ZT_PXM_EVENT;
	m.event = 3;
	n = put(&m);
	T_EQ(get(n, &out), -EBADMSG);
}

/* A hand-over: the bytes detection read, up to ZT_DETECT_MAX, read back
 * in place; a length that is not the bytes that follow, or past
 * ZT_DETECT_MAX, refused. */
static void hand_over(void)
{
	static __u8 body[ZT_PXM_HAND_MAX + 8], bytes[ZT_DETECT_MAX + 1];
	struct zt_pxm_hand h = { .cid = 0x1122334455667788ull, .bytes = bytes }, out;
	struct zt_buf b;
	size_t n, k;

	memset(bytes, 0x5a, sizeof(bytes));
	for (k = 0; k < 3; k++) {
		h.len = k == 0 ? 0 : k == 1 ? 517 : ZT_DETECT_MAX;
		zt_buf_init(&b, body, ZT_PXM_HAND_MAX);
		zt_pxm_hand_put(&b, &h);
		T_EQ(b.err, 0);
		n = b.off;
		zt_buf_init(&b, body, n);
		T_EQ(zt_pxm_hand_get(&b, &out), 0);
		T_ASSERT(out.cid == h.cid && out.len == h.len && out.bytes == body + 10 &&
			 !memcmp(out.bytes, bytes, h.len), "hand-over %zu read back", k);
		zt_buf_init(&b, body, n + 1);
		T_EQ(zt_pxm_hand_get(&b, &out), -EBADMSG);  /* a byte more than said */
		zt_buf_init(&b, body, n - 1);
		T_EQ(zt_pxm_hand_get(&b, &out), -EBADMSG);  /* one less */
	}
	zt_buf_init(&b, body, sizeof(body));
	h.len = ZT_DETECT_MAX + 1;
	zt_pxm_hand_put(&b, &h);
	zt_buf_init(&b, body, b.off);
	T_EQ(zt_pxm_hand_get(&b, &out), -EBADMSG);          /* more than detection reads */
	zt_buf_init(&b, body, 9);
	T_EQ(zt_pxm_hand_get(&b, &out), -EBADMSG);          /* cut in the length */
}

static void end_names(void)
{
	T_ASSERT(!strcmp(zt_px_end_name(ZT_PXE_WORKER), "worker_died"), "worker_died");
	T_ASSERT(!strcmp(zt_px_end_name(ZT_PXE_UPSTREAM), "upstream_failed"), "upstream");
	T_ASSERT(!strcmp(zt_px_end_name(ZT_PXE_MAX), "?"), "past the last");
}

int main(void)
{
	T_RUN(each_type_round_trips);
	T_RUN(values_out_of_range_refused);
	T_RUN(hand_over);
	T_RUN(end_names);
	return t_done();
}
