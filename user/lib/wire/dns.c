// SPDX-License-Identifier: GPL-2.0
/* dns.c — see dns.h. Every read goes through zt_buf; a name is followed
 * through compression pointers that must each point before the stretch of
 * labels they end, so offsets only ever decrease and no message can loop. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "buf.h"
#include "dns.h"

#define F_QR (1u << 15)
#define F_AA (1u << 10)
#define F_TC (1u << 9)
#define F_RD (1u << 8)
#define F_RA (1u << 7)
#define F_CD (1u << 4)
#define OPT_DO (1u << 15)

/* The name at b's position, uncompressed into wire; b moves past the name
 * as it sits in the message (up to its first pointer). */
static int get_name(struct zt_buf *b, __u8 *wire, size_t *wlen)
{
	struct zt_buf r = *b;
	size_t limit = b->off, n = 0;
	bool jumped = false;

	for (;;) {
		__u8 l, lo;

		if (zt_buf_get_u8(&r, &l))
			return -EBADMSG;
		if ((l & 0xc0) == 0xc0) {
			size_t to;

			if (zt_buf_get_u8(&r, &lo))
				return -EBADMSG;
			to = (size_t)(l & 0x3f) << 8 | lo;
			/* Backwards, before every stretch read so far, and
			 * past the header: no loop, no forward reference. */
			if (to >= limit || to < ZT_DNS_HDR)
				return -EBADMSG;
			if (!jumped)
				b->off = r.off;
			jumped = true;
			limit = to;
			r.off = to;
			continue;
		}
		if (l & 0xc0) /* 0x40 and 0x80: reserved label types */
			return -EBADMSG;
		if (n + 1 + l > ZT_DNS_NAME_MAX)
			return -EBADMSG;
		wire[n++] = l;
		if (zt_buf_get_bytes(&r, wire + n, l))
			return -EBADMSG;
		n += l;
		if (!l)
			break;
	}
	if (!jumped)
		b->off = r.off;
	*wlen = n;
	return 0;
}

/* Wire name -> text: lower case, labels joined by dots, \DDD for any octet
 * a hostname does not hold (so "a.b" inside one label never reads as two). */
static void name_text(const __u8 *w, char *out)
{
	size_t i = 0, o = 0;

	while (w[i]) {
		__u8 l = w[i++];

		if (o)
			out[o++] = '.';
		for (; l; l--, i++) {
			__u8 ch = (__u8)tolower(w[i]);

			if (isalnum(ch) || ch == '-' || ch == '_')
				out[o++] = (char)ch;
			else
				o += (size_t)sprintf(out + o, "\\%03u", ch);
		}
	}
	out[o] = 0;
}

static bool names_equal(const __u8 *a, size_t alen, const __u8 *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return false;
	for (i = 0; i < alen; i++)
		if (tolower(a[i]) != tolower(b[i]))
			return false;
	return true;
}

struct rr {
	__u16 type, class;
	__u32 ttl;
	__u16 rdlen;
	size_t rdata;  /* offset */
	size_t start;  /* offset of the owner name */
	size_t nlen;   /* owner name length, uncompressed */
};

static int get_rr(struct zt_buf *b, struct rr *rr)
{
	__u8 name[ZT_DNS_NAME_MAX];
	size_t off = b->off;

	rr->start = off;
	if (get_name(b, name, &rr->nlen) || zt_buf_get_u16(b, &rr->type) ||
	    zt_buf_get_u16(b, &rr->class) || zt_buf_get_u32(b, &rr->ttl) ||
	    zt_buf_get_u16(b, &rr->rdlen))
		goto bad;
	rr->rdata = b->off;
	if (zt_buf_get_bytes(b, NULL, rr->rdlen))
		goto bad;
	return 0;
bad:
	b->off = off;
	return -EBADMSG;
}

/* OPT: root owner, options that exactly fill the rdata. */
static int get_opt(struct zt_buf *b, const struct rr *rr, struct zt_dns_query *q)
{
	struct zt_buf o;

	if (rr->nlen != 1)
		return -EBADMSG;
	zt_buf_init(&o, b->p + rr->rdata, rr->rdlen);
	while (zt_buf_left(&o)) {
		__u16 code, len;

		if (zt_buf_get_u16(&o, &code) || zt_buf_get_u16(&o, &len) ||
		    zt_buf_get_bytes(&o, NULL, len))
			return -EBADMSG;
	}
	q->edns = true;
	q->udp_size = rr->class;
	q->edns_version = (__u8)(rr->ttl >> 16);
	q->dnssec_ok = rr->ttl & OPT_DO;
	return 0;
}

int zt_dns_parse_query(const __u8 *msg, size_t len, struct zt_dns_query *q)
{
	struct zt_buf b;
	__u16 flags, qd, an, ns, ar, i;

	memset(q, 0, sizeof(*q));
	zt_buf_init(&b, (void *)msg, len);
	if (zt_buf_get_u16(&b, &q->id) || zt_buf_get_u16(&b, &flags) ||
	    zt_buf_get_u16(&b, &qd) || zt_buf_get_u16(&b, &an) ||
	    zt_buf_get_u16(&b, &ns) || zt_buf_get_u16(&b, &ar))
		return -ENOMSG;
	if (flags & F_QR) /* a response: answering it could start a loop */
		return -ENOMSG;
	q->opcode = (flags >> 11) & 0xf;
	q->rd = flags & F_RD;
	q->cd = flags & F_CD;
	if (q->opcode != 0)
		return -EOPNOTSUPP;
	if (qd != 1 || an || ns)
		return -EBADMSG;
	if (get_name(&b, q->qname, &q->qname_len) || zt_buf_get_u16(&b, &q->qtype) ||
	    zt_buf_get_u16(&b, &q->qclass)) {
		q->qname_len = 0;
		return -EBADMSG;
	}
	name_text(q->qname, q->name);
	for (i = 0; i < ar; i++) {
		struct rr rr;

		if (get_rr(&b, &rr))
			goto bad;
		if (rr.type != ZT_DNS_T_OPT)
			continue;
		if (q->edns || get_opt(&b, &rr, q))
			goto bad;
	}
	if (zt_buf_left(&b))
		goto bad;
	if (q->edns && q->edns_version)
		return -EPROTONOSUPPORT;
	return 0;
bad:
	/* The question was fine: keep it for the reply, drop the rest. */
	q->edns = false;
	return -EBADMSG;
}

size_t zt_dns_udp_limit(const struct zt_dns_query *q)
{
	if (!q->edns || q->udp_size <= ZT_DNS_UDP_MIN)
		return ZT_DNS_UDP_MIN;
	return q->udp_size > ZT_DNS_UDP_MAX ? ZT_DNS_UDP_MAX : q->udp_size;
}

static void put_opt(struct zt_buf *b, const struct zt_dns_query *q, int rcode, int ede,
		    const char *ede_text)
{
	size_t tlen = ede_text ? strnlen(ede_text, 255) : 0;

	zt_buf_put_u8(b, 0);
	zt_buf_put_u16(b, ZT_DNS_T_OPT);
	zt_buf_put_u16(b, ZT_DNS_UDP_MAX);
	zt_buf_put_u32(b, (__u32)(rcode >> 4) << 24 | (q->dnssec_ok ? OPT_DO : 0));
	if (ede < 0) {
		zt_buf_put_u16(b, 0);
		return;
	}
	zt_buf_put_u16(b, (__u16)(4 + 2 + tlen));
	zt_buf_put_u16(b, ZT_DNS_OPT_EDE);
	zt_buf_put_u16(b, (__u16)(2 + tlen));
	zt_buf_put_u16(b, (__u16)ede);
	zt_buf_put_bytes(b, ede_text, tlen);
}

/* The SOA of a negative answer: owned by the question's parent (its name
 * after the first label, compressed against the question), MNAME that
 * name, RNAME hostmaster at it; zt's answers are synthesized, so serial
 * and timers are nominal and MINIMUM is the negative TTL. */
static void put_soa(struct zt_buf *b, const struct zt_dns_query *q, __u32 ttl)
{
	__u16 parent = (__u16)(ZT_DNS_HDR + (q->qname[0] ? 1 + q->qname[0] : 0));

	zt_buf_put_u16(b, 0xc000 | parent);
	zt_buf_put_u16(b, ZT_DNS_T_SOA);
	zt_buf_put_u16(b, ZT_DNS_C_IN);
	zt_buf_put_u32(b, ttl);
	zt_buf_put_u16(b, 2 + 1 + 10 + 2 + 5 * 4);
	zt_buf_put_u16(b, 0xc000 | parent);
	zt_buf_put_u8(b, 10);
	zt_buf_put_bytes(b, "hostmaster", 10);
	zt_buf_put_u16(b, 0xc000 | parent);
	zt_buf_put_u32(b, 1);     /* serial */
	zt_buf_put_u32(b, 3600);  /* refresh */
	zt_buf_put_u32(b, 600);   /* retry */
	zt_buf_put_u32(b, 86400); /* expire */
	zt_buf_put_u32(b, ttl);   /* minimum: the negative TTL */
}

static size_t write_reply(const struct zt_dns_query *q, const struct zt_dns_reply *r,
			  bool tc, bool soa, __u8 *out, size_t max, int *err)
{
	struct zt_buf b;
	int rcode = r->rcode;
	size_t i, n_an = tc ? 0 : r->n_an;
	__u16 flags = F_QR | (__u16)(q->opcode << 11) | (q->rd ? F_RD : 0) | F_RA |
		      (q->cd ? F_CD : 0);

	if (rcode > 15 && !q->edns)
		rcode = ZT_DNS_SERVFAIL;
	if (r->aa)
		flags |= F_AA;
	if (tc)
		flags |= F_TC;
	flags |= (__u16)(rcode & 0xf);
	zt_buf_init(&b, out, max);
	zt_buf_put_u16(&b, q->id);
	zt_buf_put_u16(&b, flags);
	zt_buf_put_u16(&b, q->qname_len ? 1 : 0);
	zt_buf_put_u16(&b, (__u16)n_an);
	zt_buf_put_u16(&b, soa ? 1 : 0);
	zt_buf_put_u16(&b, q->edns ? 1 : 0);
	if (q->qname_len) {
		zt_buf_put_bytes(&b, q->qname, q->qname_len);
		zt_buf_put_u16(&b, q->qtype);
		zt_buf_put_u16(&b, q->qclass);
	}
	for (i = 0; i < n_an; i++) {
		const struct zt_dns_rr *rr = &r->an[i];

		zt_buf_put_u16(&b, 0xc000 | ZT_DNS_HDR); /* the question's name */
		zt_buf_put_u16(&b, rr->type);
		zt_buf_put_u16(&b, ZT_DNS_C_IN);
		zt_buf_put_u32(&b, rr->ttl);
		zt_buf_put_u16(&b, rr->rdlen);
		zt_buf_put_bytes(&b, rr->rdata, rr->rdlen > 16 ? 16 : rr->rdlen);
	}
	if (soa)
		put_soa(&b, q, r->soa_ttl);
	if (q->edns)
		put_opt(&b, q, rcode, r->ede, r->ede_text);
	*err = b.err;
	return b.off;
}

int zt_dns_write_reply(const struct zt_dns_query *q, const struct zt_dns_reply *r,
		       __u8 *out, size_t max)
{
	int err;
	size_t n;

	bool soa = r->soa && q->qname_len;

	if (r->n_an && !q->qname_len)
		return -EINVAL;
	n = write_reply(q, r, false, soa, out, max, &err);
	if (err && soa) /* a negative answer stays right without its SOA */
		n = write_reply(q, r, false, false, out, max, &err);
	if (err)
		n = write_reply(q, r, true, false, out, max, &err);
	return err ? err : (int)n;
}

int zt_dns_write_query(const struct zt_dns_query *q, __u16 id, __u8 *out, size_t max)
{
	struct zt_buf b;

	zt_buf_init(&b, out, max);
	zt_buf_put_u16(&b, id);
	zt_buf_put_u16(&b, F_RD | (q->cd ? F_CD : 0));
	zt_buf_put_u16(&b, 1);
	zt_buf_put_u16(&b, 0);
	zt_buf_put_u16(&b, 0);
	zt_buf_put_u16(&b, 1);
	zt_buf_put_bytes(&b, q->qname, q->qname_len);
	zt_buf_put_u16(&b, q->qtype);
	zt_buf_put_u16(&b, q->qclass);
	zt_buf_put_u8(&b, 0);
	zt_buf_put_u16(&b, ZT_DNS_T_OPT);
	zt_buf_put_u16(&b, ZT_DNS_UDP_MAX);
	zt_buf_put_u32(&b, q->dnssec_ok ? OPT_DO : 0);
	zt_buf_put_u16(&b, 0);
	return b.err ? b.err : (int)b.off;
}

static void put_u16_at(__u8 *p, __u16 v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

/* An upstream's header and question: the id we sent, a response to a
 * QUERY with one question, and q's question (-ESRCH when not: the answer
 * to something else; -EBADMSG when they cannot be read). b is left after
 * the question. */
static int check_response(struct zt_buf *b, const struct zt_dns_query *q, __u16 id,
			  __u16 *flags, __u16 *an, __u16 *ns, __u16 *ar)
{
	__u8 name[ZT_DNS_NAME_MAX];
	__u16 rid, qd, qtype, qclass;
	size_t nlen;

	if (zt_buf_get_u16(b, &rid) || zt_buf_get_u16(b, flags) ||
	    zt_buf_get_u16(b, &qd) || zt_buf_get_u16(b, an) ||
	    zt_buf_get_u16(b, ns) || zt_buf_get_u16(b, ar))
		return -EBADMSG;
	if (rid != id || !(*flags & F_QR) || ((*flags >> 11) & 0xf) || qd != 1)
		return -ESRCH;
	if (get_name(b, name, &nlen) || zt_buf_get_u16(b, &qtype) ||
	    zt_buf_get_u16(b, &qclass))
		return -EBADMSG;
	if (!names_equal(name, nlen, q->qname, q->qname_len) || qtype != q->qtype ||
	    qclass != q->qclass)
		return -ESRCH;
	return 0;
}

int zt_dns_match_response(const __u8 *resp, size_t len, const struct zt_dns_query *q, __u16 id)
{
	__u16 flags, an, ns, ar;
	struct zt_buf b;

	zt_buf_init(&b, (void *)resp, len);
	return check_response(&b, q, id, &flags, &an, &ns, &ar);
}

int zt_dns_addrs(const __u8 *resp, size_t len, const struct zt_dns_query *q, __u16 id,
		 __u8 (*addrs)[16], size_t max, __u32 *ttl)
{
	struct zt_buf b;
	__u16 flags, an, ns, ar, i;
	size_t n = 0, want = q->qtype == ZT_DNS_T_A ? 4 : 16;

	zt_buf_init(&b, (void *)resp, len);
	if (check_response(&b, q, id, &flags, &an, &ns, &ar)) /* -ESRCH too */
		return -EBADMSG;
	if ((flags & 0xf) == ZT_DNS_NXDOMAIN)
		return -ENOENT;
	if (flags & 0xf)
		return -EAGAIN;
	*ttl = ~0u;
	/* Any record of the asked type in the answer section: the resolver
	 * followed the CNAME chain that leads to them. */
	for (i = 0; i < an; i++) {
		struct rr rr;

		if (get_rr(&b, &rr))
			return -EBADMSG;
		if (rr.type != q->qtype || rr.class != ZT_DNS_C_IN || rr.rdlen != want)
			continue;
		if (n < max) {
			memset(addrs[n], 0, 16);
			memcpy(addrs[n], resp + rr.rdata, want);
			n++;
		}
		if (rr.ttl < *ttl)
			*ttl = rr.ttl;
	}
	if (!n)
		*ttl = 0;
	return (int)n;
}

int zt_dns_relay(const __u8 *resp, size_t len, const struct zt_dns_query *q, __u16 id,
		 __u8 *out, size_t max)
{
	struct zt_buf b;
	__u16 flags, an, ns, ar, i;
	size_t end, opt_at = 0;
	struct zt_buf w;

	zt_buf_init(&b, (void *)resp, len);
	if (check_response(&b, q, id, &flags, &an, &ns, &ar)) /* -ESRCH too */
		return -EBADMSG;
	for (i = 0; i < (__u32)an + ns + ar; i++) {
		struct rr rr;

		if (get_rr(&b, &rr))
			return -EBADMSG;
		/* Only an OPT that is the last record can be cut without
		 * moving what later compression pointers point at. */
		if (rr.type == ZT_DNS_T_OPT && i >= an + ns && i == (__u32)an + ns + ar - 1)
			opt_at = rr.start;
	}
	end = b.off; /* trailing bytes are not relayed */
	if (opt_at && !q->edns) {
		end = opt_at;
		ar--;
	}
	if (end <= max) {
		memcpy(out, resp, end);
		put_u16_at(out, q->id);
		put_u16_at(out + 10, ar);
		return (int)end;
	}
	/* Too long for this client: the header and question, TC set; it
	 * asks again over TCP. */
	zt_buf_init(&w, out, max);
	zt_buf_put_u16(&w, q->id);
	zt_buf_put_u16(&w, (__u16)(flags | F_TC));
	zt_buf_put_u16(&w, 1);
	zt_buf_put_u16(&w, 0);
	zt_buf_put_u16(&w, 0);
	zt_buf_put_u16(&w, q->edns ? 1 : 0);
	zt_buf_put_bytes(&w, q->qname, q->qname_len);
	zt_buf_put_u16(&w, q->qtype);
	zt_buf_put_u16(&w, q->qclass);
	if (q->edns)
		put_opt(&w, q, flags & 0xf, -1, NULL);
	return w.err ? w.err : (int)w.off;
}

int zt_dns_name_to_wire(const char *name, __u8 *out, size_t max)
{
	size_t n = 0, len = strlen(name);

	if (len && name[len - 1] == '.')
		len--;
	while (len) {
		const char *dot = memchr(name, '.', len);
		size_t l = dot ? (size_t)(dot - name) : len;

		if (!l || l > ZT_DNS_LABEL_MAX || n + 1 + l + 1 > max || n + 1 + l + 1 > ZT_DNS_NAME_MAX)
			return -EINVAL;
		out[n++] = (__u8)l;
		memcpy(out + n, name, l);
		n += l;
		name += l;
		len -= l;
		if (dot) {
			name++;
			len--;
			if (!len) /* "a..": an empty label */
				return -EINVAL;
		}
	}
	if (n + 1 > max)
		return -EINVAL;
	out[n++] = 0;
	return (int)n;
}

static const struct { __u16 t; const char *n; } type_names[] = {
	{ ZT_DNS_T_A, "A" }, { ZT_DNS_T_NS, "NS" }, { ZT_DNS_T_CNAME, "CNAME" },
	{ ZT_DNS_T_SOA, "SOA" }, { ZT_DNS_T_PTR, "PTR" }, { ZT_DNS_T_MX, "MX" },
	{ ZT_DNS_T_TXT, "TXT" }, { ZT_DNS_T_AAAA, "AAAA" }, { 33, "SRV" },
	{ 64, "SVCB" }, { 65, "HTTPS" }, { ZT_DNS_T_OPT, "OPT" },
	{ ZT_DNS_T_AXFR, "AXFR" }, { ZT_DNS_T_ANY, "ANY" },
};

const char *zt_dns_type_name(__u16 type, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (type_names[i].t == type)
			return type_names[i].n;
	snprintf(buf, len, "TYPE%u", type);
	return buf;
}

int zt_dns_type_parse(const char *s, __u16 *type)
{
	size_t i;

	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (!strcasecmp(s, type_names[i].n)) {
			*type = type_names[i].t;
			return 0;
		}
	return -EINVAL;
}

const char *zt_dns_rcode_name(int rcode)
{
	static const char *const n[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					 "NOTIMP", "REFUSED" };

	if (rcode >= 0 && rcode < (int)(sizeof(n) / sizeof(n[0])))
		return n[rcode];
	return rcode == ZT_DNS_BADVERS ? "BADVERS" : "RCODE?";
}
