// SPDX-License-Identifier: GPL-2.0
/* pxmsg.c — the messages between ztd and its proxy workers (pxmsg.h):
 * one put and one get per type, the get checking every value's range. */
#include <string.h>
#include "zt_abi.h"
#include "pxmsg.h"

static const char *const end_names[ZT_PXE_MAX] = {
	[ZT_PXE_CLOSED] = "closed", [ZT_PXE_BLOCKED] = "blocked", [ZT_PXE_RESET] = "reset",
	[ZT_PXE_UPSTREAM] = "upstream_failed", [ZT_PXE_NO_TUNNEL] = "no_connector",
	[ZT_PXE_IDLE] = "idle", [ZT_PXE_REVOKED] = "revoked", [ZT_PXE_SHUTDOWN] = "shutdown",
	[ZT_PXE_ERROR] = "error", [ZT_PXE_WORKER] = "worker_died",
};

const char *zt_px_end_name(enum zt_px_end e)
{
	return (unsigned)e < ZT_PXE_MAX ? end_names[e] : "?";
}

static void put_name(struct zt_buf *b, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	zt_buf_put_u8(b, (__u8)n);
	zt_buf_put_bytes(b, s, n);
}

/* A u8-length-prefixed name of at most max characters, each a hostname's
 * (what detection holds). */
static int get_name(struct zt_buf *b, char *out, size_t max)
{
	__u8 n;
	size_t i;

	if (zt_buf_get_u8(b, &n) || n > max || zt_buf_get_bytes(b, out, n))
		return -EBADMSG;
	out[n] = 0;
	for (i = 0; i < n; i++) {
		char c = out[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		      c == '_'))
			return -EBADMSG;
	}
	return 0;
}

static int get_bool(struct zt_buf *b, bool *v)
{
	__u8 x;

	if (zt_buf_get_u8(b, &x) || x > 1)
		return -EBADMSG;
	*v = x;
	return 0;
}

static int get_family(struct zt_buf *b, __u8 *f)
{
	if (zt_buf_get_u8(b, f) || (*f != ZT_AF_INET && *f != ZT_AF_INET6))
		return -EBADMSG;
	return 0;
}

void zt_pxm_put(struct zt_buf *b, const struct zt_pxm *m)
{
	__u8 i;

	zt_buf_put_u8(b, m->type);
	switch (m->type) {
	case ZT_PXM_ASK: {
		const struct zt_pxm_ask *a = &m->ask;

		zt_buf_put_u64(b, a->cid);
		zt_buf_put_u8(b, a->final);
		zt_buf_put_u8(b, a->timed_out);
		zt_buf_put_u8(b, a->found);
		zt_buf_put_u8(b, a->ech);
		zt_buf_put_u8(b, a->family);
		zt_buf_put_bytes(b, a->src, 16);
		zt_buf_put_bytes(b, a->dst, 16);
		zt_buf_put_u16(b, a->sport);
		zt_buf_put_u16(b, a->dport);
		zt_buf_put_u32(b, a->ifindex);
		zt_buf_put_u8(b, a->proto);
		zt_buf_put_u8(b, a->why);
		put_name(b, a->name, ZT_HOSTNAME_MAX);
		break;
	}
	case ZT_PXM_END:
		zt_buf_put_u64(b, m->end.cid);
		zt_buf_put_u8(b, m->end.end);
		zt_buf_put_u8(b, m->end.err);
		zt_buf_put_u64(b, m->end.up);
		zt_buf_put_u64(b, m->end.down);
		break;
	case ZT_PXM_PROGRESS:
		zt_buf_put_u8(b, m->prog.n);
		for (i = 0; i < m->prog.n && i < ZT_PXM_PROG_MAX; i++) {
			zt_buf_put_u64(b, m->prog.c[i].cid);
			zt_buf_put_u8(b, m->prog.c[i].state);
			zt_buf_put_u64(b, m->prog.c[i].up);
			zt_buf_put_u64(b, m->prog.c[i].down);
		}
		break;
	case ZT_PXM_EVENT:
		zt_buf_put_u8(b, m->event);
		break;
	case ZT_PXM_ANSWER: {
		const struct zt_pxm_answer *a = &m->answer;

		zt_buf_put_u64(b, a->cid);
		zt_buf_put_u8(b, a->act);
		zt_buf_put_u32(b, a->detect_ms);
		break;
	}
	case ZT_PXM_REVOKE:
		zt_buf_put_u64(b, m->revoke);
		break;
	default:
		b->err = -EINVAL;
	}
}

static int get_ask(struct zt_buf *b, struct zt_pxm_ask *a)
{
	if (zt_buf_get_u64(b, &a->cid) || get_bool(b, &a->final) || get_bool(b, &a->timed_out) ||
	    get_bool(b, &a->found) || get_bool(b, &a->ech) || get_family(b, &a->family) ||
	    zt_buf_get_bytes(b, a->src, 16) || zt_buf_get_bytes(b, a->dst, 16) ||
	    zt_buf_get_u16(b, &a->sport) || zt_buf_get_u16(b, &a->dport) ||
	    zt_buf_get_u32(b, &a->ifindex) || zt_buf_get_u8(b, &a->proto) ||
	    zt_buf_get_u8(b, &a->why) || get_name(b, a->name, ZT_HOSTNAME_MAX))
		return -EBADMSG;
	/* enum zt_proto and enum zt_detect_why (detect.h): 4 of each. */
	return a->proto > 3 || a->why > 3 ? -EBADMSG : 0;
}

int zt_pxm_get(struct zt_buf *b, struct zt_pxm *m)
{
	int err = 0;
	__u8 i;

	memset(m, 0, sizeof(*m));
	if (zt_buf_get_u8(b, &m->type))
		return -EBADMSG;
	switch (m->type) {
	case ZT_PXM_ASK:
		err = get_ask(b, &m->ask);
		break;
	case ZT_PXM_END:
		err = zt_buf_get_u64(b, &m->end.cid) || zt_buf_get_u8(b, &m->end.end) ||
		      m->end.end >= ZT_PXE_MAX || zt_buf_get_u8(b, &m->end.err) ||
		      zt_buf_get_u64(b, &m->end.up) || zt_buf_get_u64(b, &m->end.down);
		break;
	case ZT_PXM_PROGRESS:
		err = zt_buf_get_u8(b, &m->prog.n) || !m->prog.n || m->prog.n > ZT_PXM_PROG_MAX;
		for (i = 0; !err && i < m->prog.n; i++)
			err = zt_buf_get_u64(b, &m->prog.c[i].cid) ||
			      zt_buf_get_u8(b, &m->prog.c[i].state) ||
			      m->prog.c[i].state >= ZT_PXS_MAX ||
			      zt_buf_get_u64(b, &m->prog.c[i].up) ||
			      zt_buf_get_u64(b, &m->prog.c[i].down);
		break;
	case ZT_PXM_EVENT:
		err = zt_buf_get_u8(b, &m->event) || m->event != ZT_PXEV_NOFILE;
		break;
	case ZT_PXM_ANSWER: {
		struct zt_pxm_answer *a = &m->answer;

		err = zt_buf_get_u64(b, &a->cid) || zt_buf_get_u8(b, &a->act) ||
		      a->act < ZT_PXA_DETECT || a->act > ZT_PXA_HAND ||
		      zt_buf_get_u32(b, &a->detect_ms);
		break;
	}
	case ZT_PXM_REVOKE:
		err = zt_buf_get_u64(b, &m->revoke);
		break;
	default:
		err = 1;
	}
	/* Nothing may follow a message. */
	return err || zt_buf_left(b) ? -EBADMSG : 0;
}

void zt_pxm_hand_put(struct zt_buf *b, const struct zt_pxm_hand *h)
{
	zt_buf_put_u64(b, h->cid);
	zt_buf_put_u16(b, h->len);
	zt_buf_put_bytes(b, h->bytes, h->len);
}

int zt_pxm_hand_get(struct zt_buf *b, struct zt_pxm_hand *h)
{
	memset(h, 0, sizeof(*h));
	if (zt_buf_get_u64(b, &h->cid) || zt_buf_get_u16(b, &h->len) ||
	    h->len > ZT_DETECT_MAX || zt_buf_left(b) != h->len)
		return -EBADMSG;
	h->bytes = b->p + b->off;
	return zt_buf_get_bytes(b, NULL, h->len);
}
