// SPDX-License-Identifier: GPL-2.0
/* test_dns — the DNS codec: a good query reads back field by field; every
 * truncation of it, pointer loops, forward pointers, oversized labels and
 * names, bad counts and bad OPTs get the error that becomes FORMERR (or no
 * answer at all); replies carry the answer, the EDE and TC where they must;
 * upstream answers are relayed with the client's id and size. Random
 * corruption never crashes the reader (run under valgrind/ASan in CI). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "dns.h"
#include "dns_msg.h"
#include "../lib/t.h"

/* A query: id 0x1234, RD, name, type, class IN, optional OPT. */
static size_t query(__u8 *out, const char *name, __u16 type, int opt_size, __u32 opt_ttl)
{
	return t_dns_query(out, 1024, 0x1234, 0x0100, name, type, opt_size, opt_ttl);
}

static void good_query_reads_back(void)
{
	struct zt_dns_query q;
	__u8 m[1024];
	size_t n = query(m, "Foo.Internal.LOCAL", ZT_DNS_T_AAAA, 1232, 1u << 15);

	T_EQ(zt_dns_parse_query(m, n, &q), 0);
	T_EQ(q.id, 0x1234);
	T_ASSERT(q.rd, "RD kept");
	T_EQ(q.qtype, ZT_DNS_T_AAAA);
	T_EQ(q.qclass, ZT_DNS_C_IN);
	T_ASSERT(!strcmp(q.name, "foo.internal.local"), "name '%s'", q.name);
	T_ASSERT(q.qname[1] == 'F', "question keeps its case for the echo");
	T_ASSERT(q.edns && q.dnssec_ok, "OPT and DO read");
	T_EQ(q.udp_size, 1232);
	T_EQ(zt_dns_udp_limit(&q), 1232);

	n = query(m, "a.b", ZT_DNS_T_A, 100, 0);
	T_EQ(zt_dns_parse_query(m, n, &q), 0);
	T_EQ(zt_dns_udp_limit(&q), ZT_DNS_UDP_MIN); /* below 512 counts as 512 */
	n = query(m, "a.b", ZT_DNS_T_A, 65000, 0);
	T_EQ(zt_dns_parse_query(m, n, &q), 0);
	T_EQ(zt_dns_udp_limit(&q), ZT_DNS_UDP_MAX);
	n = query(m, "a.b", ZT_DNS_T_A, -1, 0);
	T_EQ(zt_dns_parse_query(m, n, &q), 0);
	T_ASSERT(!q.edns, "no OPT");
	T_EQ(zt_dns_udp_limit(&q), ZT_DNS_UDP_MIN);

	/* The root, and a label holding a dot and a space. */
	n = query(m, ".", ZT_DNS_T_A, -1, 0);
	T_EQ(zt_dns_parse_query(m, n, &q), 0);
	T_ASSERT(!strcmp(q.name, ""), "root is ''");
	n = query(m, "xx.c", ZT_DNS_T_A, -1, 0);
	m[ZT_DNS_HDR + 2] = '.';
	m[ZT_DNS_HDR + 1] = ' ';
	T_EQ(zt_dns_parse_query(m, n, &q), 0);
	T_ASSERT(!strcmp(q.name, "\\032\\046.c"), "escaped '%s'", q.name);
}

static void every_truncation_is_refused(void)
{
	struct zt_dns_query q;
	__u8 m[1024], *cut;
	size_t n = query(m, "ssh.internal.local", ZT_DNS_T_A, 4096, 0), i;

	for (i = 0; i < n; i++) {
		int r;

		/* An exact-size copy, so a read past the end is a valgrind/ASan error. */
		cut = malloc(i ? i : 1);
		memcpy(cut, m, i);
		r = zt_dns_parse_query(cut, i, &q);
		free(cut);
		if (i < ZT_DNS_HDR)
			T_ASSERT(r == -ENOMSG, "cut at %zu: %d, want -ENOMSG", i, r);
		else
			T_ASSERT(r == -EBADMSG, "cut at %zu: %d, want -EBADMSG", i, r);
		if (i >= ZT_DNS_HDR)
			T_EQ(q.id, 0x1234); /* the FORMERR reply can echo the id */
	}
}

static void pointers_must_point_backwards(void)
{
	struct zt_dns_query q;
	__u8 m[1024];
	size_t n;

	/* The question's name is a pointer to itself. */
	n = query(m, "a", ZT_DNS_T_A, -1, 0);
	m[ZT_DNS_HDR] = 0xc0;
	m[ZT_DNS_HDR + 1] = ZT_DNS_HDR;
	T_EQ(zt_dns_parse_query(m, n, &q), -EBADMSG);
	/* Into the header. */
	m[ZT_DNS_HDR + 1] = 4;
	T_EQ(zt_dns_parse_query(m, n, &q), -EBADMSG);
	/* Forward. */
	m[ZT_DNS_HDR + 1] = ZT_DNS_HDR + 2;
	T_EQ(zt_dns_parse_query(m, n, &q), -EBADMSG);

	/* An additional record whose owner points back at the question is
	 * fine; one that then loops (pointer to a label that leads back to the
	 * same pointer) is not. */
	{
		struct zt_buf b;

		n = query(m, "abc.d", ZT_DNS_T_A, -1, 0);
		m[11] = 1; /* ARCOUNT */
		zt_buf_init(&b, m + n, 64);
		zt_buf_put_u16(&b, 0xc000 | ZT_DNS_HDR);
		zt_buf_put_u16(&b, ZT_DNS_T_A);
		zt_buf_put_u16(&b, ZT_DNS_C_IN);
		zt_buf_put_u32(&b, 0);
		zt_buf_put_u16(&b, 0);
		T_EQ(zt_dns_parse_query(m, n + b.off, &q), 0);

		/* label "x" then a pointer to that label: x.x.x... */
		zt_buf_init(&b, m + n, 64);
		zt_buf_put_u8(&b, 1);
		zt_buf_put_u8(&b, 'x');
		zt_buf_put_u16(&b, (__u16)(0xc000 | n));
		zt_buf_put_u16(&b, ZT_DNS_T_A);
		zt_buf_put_u16(&b, ZT_DNS_C_IN);
		zt_buf_put_u32(&b, 0);
		zt_buf_put_u16(&b, 0);
		T_EQ(zt_dns_parse_query(m, n + b.off, &q), -EBADMSG);
	}
}

static void oversized_labels_and_names(void)
{
	struct zt_dns_query q;
	char name[400];
	__u8 m[1024];
	size_t n, i;

	/* A label of 63 is fine; 64 is a reserved label type on the wire. */
	memset(name, 'a', 63);
	strcpy(name + 63, ".x");
	n = query(m, name, ZT_DNS_T_A, -1, 0);
	T_EQ(zt_dns_parse_query(m, n, &q), 0);
	m[ZT_DNS_HDR] = 64;
	T_EQ(zt_dns_parse_query(m, n, &q), -EBADMSG);
	m[ZT_DNS_HDR] = 0x80 | 1;
	T_EQ(zt_dns_parse_query(m, n, &q), -EBADMSG);

	/* 255 octets on the wire is the most: 4 * (1 + 62) + (1 + 1) + 1. */
	for (i = 0; i < 4; i++) {
		memset(name + i * 63, 'b', 62);
		name[i * 63 + 62] = '.';
	}
	strcpy(name + 4 * 63, "c");
	n = query(m, name, ZT_DNS_T_A, -1, 0);
	T_EQ(zt_dns_parse_query(m, n, &q), 0);
	T_EQ(q.qname_len, 255);
	strcpy(name + 4 * 63, "cc");
	T_EQ(zt_dns_name_to_wire(name, m, sizeof(m)), -EINVAL);
	T_EQ(zt_dns_name_to_wire("a.b.ccc", m, 6), -EINVAL);
	T_EQ(zt_dns_name_to_wire("a..b", m, 64), -EINVAL);
	/* Built by hand: 256 octets. */
	{
		struct zt_buf b;

		zt_buf_init(&b, m, sizeof(m));
		zt_buf_put_bytes(&b, "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
		for (i = 0; i < 4; i++) {
			zt_buf_put_u8(&b, 62);
			memset(name, 'd', 62);
			zt_buf_put_bytes(&b, name, 62);
		}
		zt_buf_put_u8(&b, 3);
		zt_buf_put_bytes(&b, "eee", 3);
		zt_buf_put_u8(&b, 0);
		zt_buf_put_u16(&b, 1);
		zt_buf_put_u16(&b, 1);
		T_EQ(zt_dns_parse_query(m, b.off, &q), -EBADMSG);
	}
}

static void headers_and_opt(void)
{
	struct zt_dns_query q;
	__u8 m[1024];
	size_t n;

	n = query(m, "a.b", ZT_DNS_T_A, 1232, 0);
	m[5] = 2; /* two questions */
	T_EQ(zt_dns_parse_query(m, n, &q), -EBADMSG);
	m[5] = 0;
	T_EQ(zt_dns_parse_query(m, n, &q), -EBADMSG);
	m[5] = 1;
	m[7] = 1; /* an answer in a query */
	T_EQ(zt_dns_parse_query(m, n, &q), -EBADMSG);
	m[7] = 0;
	m[2] |= 0x80; /* QR: a response is never answered */
	T_EQ(zt_dns_parse_query(m, n, &q), -ENOMSG);
	m[2] = 0x01 | (2 << 3); /* opcode STATUS */
	T_EQ(zt_dns_parse_query(m, n, &q), -EOPNOTSUPP);
	T_EQ(q.opcode, 2);
	m[2] = 0x01;
	m[n] = 0; /* a trailing byte */
	T_EQ(zt_dns_parse_query(m, n + 1, &q), -EBADMSG);
	T_ASSERT(q.qname_len && !q.edns, "question kept, OPT dropped for the FORMERR");

	n = query(m, "a.b", ZT_DNS_T_A, 1232, 1u << 16); /* EDNS version 1 */
	T_EQ(zt_dns_parse_query(m, n, &q), -EPROTONOSUPPORT);
	T_ASSERT(q.edns, "BADVERS needs the OPT");

	/* Two OPTs. */
	n = query(m, "a.b", ZT_DNS_T_A, 1232, 0);
	memcpy(m + n, m + n - 11, 11);
	m[11] = 2;
	T_EQ(zt_dns_parse_query(m, n + 11, &q), -EBADMSG);
	/* An option whose length runs past the OPT's data. */
	n = query(m, "a.b", ZT_DNS_T_A, 1232, 0);
	m[n - 1] = 4;
	memcpy(m + n, "\x00\x0a\x00\x08\x00\x00\x00\x00", 4 + 4);
	T_EQ(zt_dns_parse_query(m, n + 8, &q), -EBADMSG);
	/* An OPT whose owner is not the root. */
	n = query(m, "a.b", ZT_DNS_T_A, -1, 0);
	m[11] = 1;
	memcpy(m + n, "\x01z\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00", 13);
	T_EQ(zt_dns_parse_query(m, n + 13, &q), -EBADMSG);
}

static void replies(void)
{
	struct zt_dns_query q;
	struct zt_dns_rr rr[40];
	struct zt_dns_reply r = { .rcode = ZT_DNS_NOERROR, .aa = true, .an = rr, .n_an = 1,
				  .ede = -1 };
	__u8 m[1024], out[5000];
	size_t n = query(m, "Ssh.internal.local", ZT_DNS_T_A, 1232, 0), i, qend;
	int len;

	T_EQ(zt_dns_parse_query(m, n, &q), 0);
	rr[0] = (struct zt_dns_rr){ .type = ZT_DNS_T_A, .ttl = 30, .rdlen = 4,
				    .rdata = { 100, 80, 0, 7 } };
	len = zt_dns_write_reply(&q, &r, out, zt_dns_udp_limit(&q));
	qend = ZT_DNS_HDR + q.qname_len + 4;
	T_EQ(len, qend + 16 + 11);
	T_EQ(t_u16_at(out), 0x1234);
	T_EQ(t_u16_at(out + 2), 0x8000 | 0x0400 | 0x0100 | 0x0080); /* QR AA RD RA, NOERROR */
	T_EQ(t_u16_at(out + 4), 1);
	T_EQ(t_u16_at(out + 6), 1);
	T_EQ(t_u16_at(out + 10), 1);
	T_ASSERT(!memcmp(out + ZT_DNS_HDR, q.qname, q.qname_len), "question echoed as sent");
	T_EQ(t_u16_at(out + qend), 0xc00c);
	T_EQ(t_u16_at(out + qend + 2), ZT_DNS_T_A);
	T_EQ(out[qend + 9], 30);
	T_EQ(t_u16_at(out + qend + 10), 4);
	T_ASSERT(!memcmp(out + qend + 12, "\x64\x50\x00\x07", 4), "address");

	/* NXDOMAIN with EDE 15 and the policy name. */
	r = (struct zt_dns_reply){ .rcode = ZT_DNS_NXDOMAIN, .ede = ZT_DNS_EDE_BLOCKED,
				   .ede_text = "Hide it" };
	len = zt_dns_write_reply(&q, &r, out, 512);
	T_EQ(t_u16_at(out + 2) & 0xf, ZT_DNS_NXDOMAIN);
	T_EQ(t_u16_at(out + 6), 0);
	T_EQ(len, qend + 11 + 4 + 2 + 7);
	T_EQ(t_u16_at(out + qend + 9), 4 + 2 + 7);         /* OPT rdlen */
	T_EQ(t_u16_at(out + qend + 11), ZT_DNS_OPT_EDE);
	T_EQ(t_u16_at(out + qend + 15), ZT_DNS_EDE_BLOCKED);
	T_ASSERT(!memcmp(out + qend + 17, "Hide it", 7), "EDE text");

	/* A negative answer's SOA (RFC 2308): owned by the question's parent
	 * (a pointer past "Ssh"), MNAME the same, RNAME hostmaster there, TTL
	 * and MINIMUM the negative TTL; before the OPT. */
	r.soa = true;
	r.soa_ttl = 45;
	len = zt_dns_write_reply(&q, &r, out, 512);
	T_EQ(t_u16_at(out + 8), 1);                          /* NSCOUNT */
	T_EQ(len, qend + 47 + 11 + 4 + 2 + 7);
	T_EQ(t_u16_at(out + qend), 0xc000 | (ZT_DNS_HDR + 4)); /* internal.local */
	T_EQ(t_u16_at(out + qend + 2), ZT_DNS_T_SOA);
	T_EQ(t_u16_at(out + qend + 4), ZT_DNS_C_IN);
	T_EQ(t_u16_at(out + qend + 8), 45);                  /* TTL */
	T_EQ(t_u16_at(out + qend + 10), 35);                 /* RDLENGTH */
	T_EQ(t_u16_at(out + qend + 12), 0xc000 | (ZT_DNS_HDR + 4));
	T_ASSERT(!memcmp(out + qend + 14, "\x0ahostmaster", 11), "RNAME's first label");
	T_EQ(t_u16_at(out + qend + 25), 0xc000 | (ZT_DNS_HDR + 4));
	T_EQ(t_u16_at(out + qend + 45), 45);                 /* MINIMUM */
	T_EQ(t_u16_at(out + qend + 47 + 11), ZT_DNS_OPT_EDE); /* then the OPT, EDE kept */
	/* Too little room for it: the answer goes without the SOA. */
	len = zt_dns_write_reply(&q, &r, out, (size_t)(qend + 11 + 4 + 2 + 7 + 10));
	T_EQ(len, qend + 11 + 4 + 2 + 7);
	T_EQ(t_u16_at(out + 8), 0);
	T_ASSERT(!(t_u16_at(out + 2) & 0x0200), "no TC for a left-out SOA");

	/* 40 AAAA answers do not fit 512: TC, no answers, question kept. */
	for (i = 0; i < 40; i++)
		rr[i] = (struct zt_dns_rr){ .type = ZT_DNS_T_AAAA, .ttl = 5, .rdlen = 16 };
	r = (struct zt_dns_reply){ .an = rr, .n_an = 40, .ede = -1 };
	len = zt_dns_write_reply(&q, &r, out, 512);
	T_ASSERT(len > 0 && len <= 512, "fits: %d", len);
	T_ASSERT(t_u16_at(out + 2) & 0x0200, "TC set");
	T_EQ(t_u16_at(out + 6), 0);
	T_EQ(t_u16_at(out + 4), 1);
	len = zt_dns_write_reply(&q, &r, out, ZT_DNS_TCP_MAX);
	T_EQ(t_u16_at(out + 6), 40);
	T_ASSERT(!(t_u16_at(out + 2) & 0x0200), "no TC over TCP");

	/* BADVERS goes in the OPT's extended rcode; without EDNS -> SERVFAIL. */
	r = (struct zt_dns_reply){ .rcode = ZT_DNS_BADVERS, .ede = -1 };
	len = zt_dns_write_reply(&q, &r, out, 512);
	T_EQ(t_u16_at(out + 2) & 0xf, 0);
	T_EQ(out[qend + 5], 1);
	n = query(m, "a.b", ZT_DNS_T_A, -1, 0);
	zt_dns_parse_query(m, n, &q);
	len = zt_dns_write_reply(&q, &r, out, 512);
	T_EQ(t_u16_at(out + 2) & 0xf, ZT_DNS_SERVFAIL);
	T_EQ(t_u16_at(out + 10), 0);

	/* A FORMERR for a message whose question did not parse: header only. */
	memset(&q, 0, sizeof(q));
	q.id = 7;
	r = (struct zt_dns_reply){ .rcode = ZT_DNS_FORMERR, .ede = -1 };
	T_EQ(zt_dns_write_reply(&q, &r, out, 512), ZT_DNS_HDR);
	T_EQ(t_u16_at(out + 4), 0);
}

/* An upstream answer: the question, n A records compressed against it,
 * and an OPT at the end when opt. */
static size_t upstream(__u8 *out, const struct zt_dns_query *q, __u16 id, int n, bool opt)
{
	struct zt_buf b;
	int i;

	zt_buf_init(&b, out, 8192);
	t_dns_header(&b, id, 0x8180, 1, (__u16)n, 0, opt ? 1 : 0);
	zt_buf_put_bytes(&b, q->qname, q->qname_len);
	zt_buf_put_u16(&b, q->qtype);
	zt_buf_put_u16(&b, q->qclass);
	for (i = 0; i < n; i++) {
		zt_buf_put_u16(&b, 0xc00c);
		zt_buf_put_u16(&b, ZT_DNS_T_A);
		zt_buf_put_u16(&b, 1);
		zt_buf_put_u32(&b, 60);
		zt_buf_put_u16(&b, 4);
		zt_buf_put_u32(&b, 0x0a000000u + (__u32)i);
	}
	if (opt)
		t_dns_opt(&b, 1232, 0);
	return b.off;
}

static void relay(void)
{
	struct zt_dns_query q, e;
	__u8 m[1024], up[8192], out[8192], *cut;
	size_t n = query(m, "www.example.com", ZT_DNS_T_A, -1, 0), un, i;
	int len;

	T_EQ(zt_dns_parse_query(m, n, &q), 0);
	len = zt_dns_write_query(&q, 0xbeef, up, sizeof(up));
	T_EQ(zt_dns_parse_query(up, (size_t)len, &e), 0);
	T_EQ(e.id, 0xbeef);
	T_ASSERT(e.edns && e.udp_size == ZT_DNS_UDP_MAX, "upstream query advertises 4096");
	T_ASSERT(!strcmp(e.name, "www.example.com"), "same question");

	/* A client without EDNS gets the answer without the OPT. */
	un = upstream(up, &q, 0xbeef, 3, true);
	len = zt_dns_relay(up, un, &q, 0xbeef, out, 512);
	T_EQ(len, un - 11);
	T_EQ(t_u16_at(out), 0x1234);
	T_EQ(t_u16_at(out + 6), 3);
	T_EQ(t_u16_at(out + 10), 0);
	/* The wrong id, or another question: not relayed. */
	T_EQ(zt_dns_relay(up, un, &q, 0xbeee, out, 512), -EBADMSG);
	up[ZT_DNS_HDR + 1] = 'x';
	T_EQ(zt_dns_relay(up, un, &q, 0xbeef, out, 512), -EBADMSG);
	up[ZT_DNS_HDR + 1] = 'W'; /* case differs: the same name */
	T_ASSERT(zt_dns_relay(up, un, &q, 0xbeef, out, 512) > 0, "case-insensitive question");

	/* 60 answers do not fit 512: TC with the question only. */
	un = upstream(up, &q, 0xbeef, 60, false);
	len = zt_dns_relay(up, un, &q, 0xbeef, out, 512);
	T_EQ(len, ZT_DNS_HDR + q.qname_len + 4);
	T_ASSERT(t_u16_at(out + 2) & 0x0200, "TC");
	T_EQ(t_u16_at(out + 6), 0);
	T_EQ(zt_dns_relay(up, un, &q, 0xbeef, out, ZT_DNS_TCP_MAX), (int)un);

	/* Every truncation of an upstream answer is refused, exactly sized. */
	un = upstream(up, &q, 0xbeef, 2, true);
	for (i = 0; i < un; i++) {
		cut = malloc(i ? i : 1);
		memcpy(cut, up, i);
		T_EQ(zt_dns_relay(cut, i, &q, 0xbeef, out, 512), -EBADMSG);
		free(cut);
	}
}

/* RFC 5452: only the answer to the question asked, under the id sent, is
 * taken; anything else is another query's (or a spoof), not malformed. */
static void answer_matches_its_query(void)
{
	struct zt_dns_query q;
	__u8 m[1024], up[8192], c[8192];
	size_t n = query(m, "WWW.example.com", ZT_DNS_T_A, 1232, 0), un, i, at;

	T_EQ(zt_dns_parse_query(m, n, &q), 0);
	un = upstream(up, &q, 0x7a7a, 1, true);
	T_EQ(zt_dns_match_response(up, un, &q, 0x7a7a), 0);
	T_EQ(zt_dns_match_response(up, un, &q, 0x7a7b), -ESRCH); /* another id */
	/* The name in another case is the same name (0x20 or a resolver's
	 * own case); another name, type or class is not. */
	memcpy(c, up, un);
	for (i = ZT_DNS_HDR; i < ZT_DNS_HDR + q.qname_len; i++)
		c[i] = (__u8)(c[i] >= 'a' && c[i] <= 'z' ? c[i] - 32 :
			      c[i] >= 'A' && c[i] <= 'Z' ? c[i] + 32 : c[i]);
	T_EQ(zt_dns_match_response(c, un, &q, 0x7a7a), 0);
	c[ZT_DNS_HDR + 2] = 'x';
	T_EQ(zt_dns_match_response(c, un, &q, 0x7a7a), -ESRCH);
	at = ZT_DNS_HDR + q.qname_len;
	memcpy(c, up, un);
	c[at + 1] = ZT_DNS_T_AAAA;
	T_EQ(zt_dns_match_response(c, un, &q, 0x7a7a), -ESRCH);
	memcpy(c, up, un);
	c[at + 3] = 3; /* class CH */
	T_EQ(zt_dns_match_response(c, un, &q, 0x7a7a), -ESRCH);
	/* A query (QR clear), another opcode, no question or two: not it. */
	memcpy(c, up, un);
	c[2] &= 0x7f;
	T_EQ(zt_dns_match_response(c, un, &q, 0x7a7a), -ESRCH);
	memcpy(c, up, un);
	c[2] |= 2 << 3; /* opcode 2 (STATUS) */
	T_EQ(zt_dns_match_response(c, un, &q, 0x7a7a), -ESRCH);
	memcpy(c, up, un);
	c[5] = 0;
	T_EQ(zt_dns_match_response(c, un, &q, 0x7a7a), -ESRCH);
	c[5] = 2;
	T_EQ(zt_dns_match_response(c, un, &q, 0x7a7a), -ESRCH);
	/* Cut inside the header or the question: malformed; cut after it:
	 * the question is all that is read. */
	for (i = 0; i < at + 4; i++)
		T_EQ(zt_dns_match_response(up, i, &q, 0x7a7a), -EBADMSG);
	T_EQ(zt_dns_match_response(up, at + 4, &q, 0x7a7a), 0);
	/* A pointer as the question's name can only point into the header
	 * or at itself: malformed. */
	memcpy(c, up, ZT_DNS_HDR);
	c[ZT_DNS_HDR] = 0xc0;
	c[ZT_DNS_HDR + 1] = ZT_DNS_HDR;
	T_EQ(zt_dns_match_response(c, ZT_DNS_HDR + 6, &q, 0x7a7a), -EBADMSG);
}

static void addresses_of_an_answer(void)
{
	struct zt_dns_query q;
	__u8 m[1024], up[8192], addrs[4][16];
	size_t n = query(m, "web.dc.local", ZT_DNS_T_A, -1, 0), un;
	__u32 ttl = 0;

	T_EQ(zt_dns_parse_query(m, n, &q), 0);
	un = upstream(up, &q, 0x4242, 3, true);
	T_EQ(zt_dns_addrs(up, un, &q, 0x4242, addrs, 4, &ttl), 3);
	T_EQ(ttl, 60);
	T_ASSERT(!memcmp(addrs[2], "\x0a\x00\x00\x02\x00", 5), "third address, zero-filled");
	T_EQ(zt_dns_addrs(up, un, &q, 0x4242, addrs, 2, &ttl), 2); /* at most max */
	T_EQ(zt_dns_addrs(up, un, &q, 0x4243, addrs, 4, &ttl), -EBADMSG);
	up[3] = (up[3] & 0xf0) | ZT_DNS_NXDOMAIN;
	T_EQ(zt_dns_addrs(up, un, &q, 0x4242, addrs, 4, &ttl), -ENOENT);
	up[3] = (up[3] & 0xf0) | ZT_DNS_SERVFAIL;
	T_EQ(zt_dns_addrs(up, un, &q, 0x4242, addrs, 4, &ttl), -EAGAIN);
	/* Asked AAAA, given A records: none of the asked type. */
	n = query(m, "web.dc.local", ZT_DNS_T_AAAA, -1, 0);
	T_EQ(zt_dns_parse_query(m, n, &q), 0);
	un = upstream(up, &q, 0x4242, 3, false);
	up[ZT_DNS_HDR + q.qname_len + 4 + 3] = ZT_DNS_T_A; /* records say A */
	T_EQ(zt_dns_addrs(up, un, &q, 0x4242, addrs, 4, &ttl), 0);
	/* Truncated: malformed. */
	T_EQ(zt_dns_addrs(up, un - 1, &q, 0x4242, addrs, 4, &ttl), -EBADMSG);
}

static void random_bytes_never_crash(void)
{
	struct zt_dns_query q, base;
	__u8 m[1024] = { 0 }, c[1024], out[4096];
	size_t n = query(m, "a.internal.local", ZT_DNS_T_A, 1232, 0);
	unsigned seed = 1;
	int i, j, ok = 0;

	T_EQ(zt_dns_parse_query(m, n, &base), 0);
	for (i = 0; i < 200000; i++) {
		size_t len = n + (size_t)(rand_r(&seed) % 8) - 4;

		memcpy(c, m, sizeof(c));
		for (j = rand_r(&seed) % 4; j >= 0; j--)
			c[rand_r(&seed) % len] = (__u8)rand_r(&seed);
		if (!zt_dns_parse_query(c, len, &q)) {
			ok++;
			T_ASSERT(strlen(q.name) < ZT_DNS_TEXT_MAX, "name fits");
			T_ASSERT(zt_dns_write_reply(&q, &(struct zt_dns_reply){ .ede = -1 },
						    out, 512) > 0, "reply written");
		}
		zt_dns_relay(c, len, &base, 0x1234, out, 512);
	}
	T_ASSERT(ok > 0 && ok < 200000, "some mutations parse, most do not (%d)", ok);
}

int main(void)
{
	T_RUN(good_query_reads_back);
	T_RUN(every_truncation_is_refused);
	T_RUN(pointers_must_point_backwards);
	T_RUN(oversized_labels_and_names);
	T_RUN(headers_and_opt);
	T_RUN(replies);
	T_RUN(relay);
	T_RUN(answer_matches_its_query);
	T_RUN(addresses_of_an_answer);
	T_RUN(random_bytes_never_crash);
	return t_done();
}
