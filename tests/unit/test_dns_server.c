// SPDX-License-Identifier: GPL-2.0
/* test_dns_server — the pure parts of ztd's DNS server: the replies it
 * makes of its own (the rcode of a query that did not parse, the reply to
 * each decision, an IRI's record), DNS over TCP's framing (every cut of a
 * stream yields exactly its whole messages; the answer queue stays within
 * its bound), each client's share of a shared table (against a plain
 * count, through many takes and gives), and how long the real address
 * behind an IRI is kept. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "dns.h"
#include "dnsreply.h"
#include "dnstcp.h"
#include "dns_msg.h"
#include "origin.h"
#include "share.h"
#include "zt_abi.h"
#include "../lib/t.h"

/* A query for name, type A, with an OPT (EDNS) when edns; opcode op. */
static size_t query(__u8 *out, const char *name, int op, bool edns)
{
	return t_dns_query(out, 512, 0x4321, (__u16)(0x0100 | op << 11), name, ZT_DNS_T_A,
			   edns ? 1232 : -1, 0);
}

static void error_rcodes(void)
{
	struct zt_dns_query q;
	struct zt_dns_reply r;
	__u8 m[512], out[512];
	size_t n;
	int err;

	T_EQ(zt_dns_error_rcode(-EOPNOTSUPP), ZT_DNS_NOTIMP);
	T_EQ(zt_dns_error_rcode(-EPROTONOSUPPORT), ZT_DNS_BADVERS);
	T_EQ(zt_dns_error_rcode(-EBADMSG), ZT_DNS_FORMERR);
	T_EQ(zt_dns_error_rcode(-EINVAL), ZT_DNS_FORMERR); /* anything else the reader says */
	T_EQ(zt_dns_error_rcode(0), -1);                   /* parsed: no error reply */
	T_EQ(zt_dns_error_rcode(-ENOMSG), -1);             /* no reply at all */

	/* Through the codec: an opcode other than QUERY comes back NOTIMP
	 * under the query's id; one cut short, FORMERR. */
	n = query(m, "a.internal.local", 2, false);
	err = zt_dns_parse_query(m, n, &q);
	T_EQ(err, -EOPNOTSUPP);
	r = (struct zt_dns_reply){ .rcode = zt_dns_error_rcode(err), .ede = -1 };
	T_ASSERT(zt_dns_write_reply(&q, &r, out, sizeof(out)) >= ZT_DNS_HDR, "written");
	T_EQ(t_u16_at(out), 0x4321);
	T_EQ(t_u16_at(out + 2) & 0xf, ZT_DNS_NOTIMP);
	n = query(m, "a.internal.local", 0, false);
	err = zt_dns_parse_query(m, n - 1, &q);
	T_EQ(zt_dns_error_rcode(err), ZT_DNS_FORMERR);
}

static void address_records(void)
{
	const __u8 v4[16] = { 100, 80, 0, 9 };
	const __u8 v6[16] = { 0xfd, 0x7a, [15] = 3 };
	struct zt_dns_rr rr;

	T_EQ(zt_dns_addr_rr(ZT_DNS_T_A, ZT_AF_INET, v4, 30, &rr), 0);
	T_EQ(rr.type, ZT_DNS_T_A);
	T_EQ(rr.ttl, 30);
	T_EQ(rr.rdlen, 4);
	T_ASSERT(!memcmp(rr.rdata, v4, 4), "the address");
	T_EQ(zt_dns_addr_rr(ZT_DNS_T_AAAA, ZT_AF_INET6, v6, 45, &rr), 0);
	T_EQ(rr.type, ZT_DNS_T_AAAA);
	T_EQ(rr.rdlen, 16);
	T_ASSERT(!memcmp(rr.rdata, v6, 16), "the address");
	/* A question of the other family, or no address type: none. */
	T_EQ(zt_dns_addr_rr(ZT_DNS_T_A, ZT_AF_INET6, v6, 30, &rr), -EINVAL);
	T_EQ(zt_dns_addr_rr(ZT_DNS_T_AAAA, ZT_AF_INET, v4, 30, &rr), -EINVAL);
	T_EQ(zt_dns_addr_rr(ZT_DNS_T_MX, ZT_AF_INET, v4, 30, &rr), -EINVAL);
	T_EQ(zt_dns_addr_rr(ZT_DNS_T_A, 0, v4, 30, &rr), -EINVAL);
}

static void own_replies(void)
{
	struct zt_dns_rr rr;
	struct zt_dns_reply r;
	struct zt_dns_query q;
	char ede[300], small[12];
	__u8 m[512], out[512];
	size_t n, qend;
	int len;

	zt_dns_addr_rr(ZT_DNS_T_A, ZT_AF_INET, (const __u8[16]){ 100, 80, 0, 1 }, 30, &rr);

	/* A block: NXDOMAIN, EDE 15 naming the policy, an SOA; not AA. */
	T_EQ(zt_dns_reply_own(&(struct zt_dns_own){ .action = ZT_DNSA_BLOCK, .rcode = -1,
						   .policy = "ads", .ttl = 45 }, &r, ede, sizeof(ede)), 0);
	T_EQ(r.rcode, ZT_DNS_NXDOMAIN);
	T_ASSERT(!r.aa, "a block is not authoritative");
	T_EQ(r.ede, ZT_DNS_EDE_BLOCKED);
	T_ASSERT(r.ede_text && !strcmp(r.ede_text, "blocked by DNS policy 'ads'"), "EDE text");
	T_ASSERT(r.soa, "negative: SOA");
	T_EQ(r.soa_ttl, 45);
	T_EQ(r.n_an, 0);
	/* On the wire, to a client with EDNS: the SOA and the EDE are there. */
	n = query(m, "x.ads.example", 0, true);
	T_EQ(zt_dns_parse_query(m, n, &q), 0);
	len = zt_dns_write_reply(&q, &r, out, zt_dns_udp_limit(&q));
	qend = ZT_DNS_HDR + q.qname_len + 4;
	T_ASSERT(len > (int)qend, "written: %d", len);
	T_EQ(t_u16_at(out + 2) & 0xf, ZT_DNS_NXDOMAIN);
	T_EQ(t_u16_at(out + 8), 1);  /* NSCOUNT: the SOA */
	T_EQ(t_u16_at(out + 10), 1); /* ARCOUNT: the OPT */
	T_ASSERT(len >= 27 && !memcmp(out + len - 27, "blocked by DNS policy 'ads'", 27),
		 "EDE text last");
	/* Its text is cut to the buffer given, never past it; no policy
	 * name is an empty one. */
	zt_dns_reply_own(&(struct zt_dns_own){ .action = ZT_DNSA_BLOCK, .rcode = -1,
					       .policy = "ads" }, &r, small, sizeof(small));
	T_ASSERT(!strcmp(r.ede_text, "blocked by "), "cut: '%s'", r.ede_text);
	zt_dns_reply_own(&(struct zt_dns_own){ .action = ZT_DNSA_BLOCK, .rcode = -1 },
			 &r, ede, sizeof(ede));
	T_ASSERT(!strcmp(r.ede_text, "blocked by DNS policy ''"), "'%s'", r.ede_text);

	/* A routed name without records of the type: NOERROR, AA, SOA. */
	T_EQ(zt_dns_reply_own(&(struct zt_dns_own){ .action = ZT_DNSA_NODATA, .rcode = -1,
						   .ttl = 30 }, &r, ede, sizeof(ede)), 0);
	T_EQ(r.rcode, ZT_DNS_NOERROR);
	T_ASSERT(r.aa && r.soa && !r.n_an && r.ede < 0, "NODATA");

	/* No upstreams: REFUSED, nothing else. */
	T_EQ(zt_dns_reply_own(&(struct zt_dns_own){ .action = ZT_DNSA_REFUSE, .rcode = -1,
						   .ttl = 30 }, &r, ede, sizeof(ede)), 0);
	T_EQ(r.rcode, ZT_DNS_REFUSED);
	T_ASSERT(!r.aa && !r.soa && r.ede < 0, "REFUSED is bare");

	/* An IRI: its record, AA, no SOA; without one (no pool of the
	 * family), NODATA with the SOA; a SERVFAIL of ztd's own keeps AA and
	 * has no SOA. */
	T_EQ(zt_dns_reply_own(&(struct zt_dns_own){ .action = ZT_DNSA_IRI, .rcode = -1,
						   .an = &rr, .ttl = 30 }, &r, ede, sizeof(ede)), 0);
	T_ASSERT(r.rcode == ZT_DNS_NOERROR && r.aa && r.n_an == 1 && r.an == &rr && !r.soa,
		 "IRI answer");
	T_EQ(zt_dns_reply_own(&(struct zt_dns_own){ .action = ZT_DNSA_IRI, .rcode = -1,
						   .ttl = 30 }, &r, ede, sizeof(ede)), 0);
	T_ASSERT(r.rcode == ZT_DNS_NOERROR && r.aa && !r.n_an && r.soa, "IRI NODATA");
	T_EQ(zt_dns_reply_own(&(struct zt_dns_own){ .action = ZT_DNSA_IRI,
						   .rcode = ZT_DNS_SERVFAIL, .ttl = 30 },
			      &r, ede, sizeof(ede)), 0);
	T_ASSERT(r.rcode == ZT_DNS_SERVFAIL && r.aa && !r.soa, "IRI SERVFAIL");

	/* A forward that could not be made: SERVFAIL; without an rcode of
	 * ztd's own there is nothing to say (the upstream answers). */
	T_EQ(zt_dns_reply_own(&(struct zt_dns_own){ .action = ZT_DNSA_FORWARD,
						   .rcode = ZT_DNS_SERVFAIL }, &r, ede, sizeof(ede)), 0);
	T_ASSERT(r.rcode == ZT_DNS_SERVFAIL && !r.aa && !r.soa, "forward failed");
	T_EQ(zt_dns_reply_own(&(struct zt_dns_own){ .action = ZT_DNSA_FORWARD, .rcode = -1 },
			      &r, ede, sizeof(ede)), -EINVAL);
	/* An action it does not know; a record for a name with no IRI. */
	T_EQ(zt_dns_reply_own(&(struct zt_dns_own){ .action = (enum zt_dns_action)99,
						   .rcode = -1 }, &r, ede, sizeof(ede)), -EINVAL);
	T_EQ(zt_dns_reply_own(&(struct zt_dns_own){ .action = ZT_DNSA_NODATA, .rcode = -1,
						   .an = &rr }, &r, ede, sizeof(ede)), -EINVAL);
}

/* A stream of framed messages: lengths 5, 0, 300, 1 with their index as
 * every byte. */
static const size_t lens[] = { 5, 0, 300, 1 };

static size_t stream(__u8 *out)
{
	size_t i, o = 0;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		out[o++] = (__u8)(lens[i] >> 8);
		out[o++] = (__u8)lens[i];
		memset(out + o, (int)i + 1, lens[i]);
		o += lens[i];
	}
	return o;
}

static void tcp_framing(void)
{
	__u8 s[1024], *cut;
	size_t n = stream(s), i, off, mlen, want, k, end;
	const __u8 *msg;

	/* Every cut yields exactly the messages whole within it, in order,
	 * and stops at the first partial one (read from an exact-size copy:
	 * a read past the end is a valgrind error). */
	for (i = 0; i <= n; i++) {
		cut = malloc(i ? i : 1);
		memcpy(cut, s, i);
		off = 0;
		k = 0;
		end = 0;
		for (want = 0; want < sizeof(lens) / sizeof(lens[0]); want++) {
			if (end + 2 + lens[want] > i)
				break;
			end += 2 + lens[want];
		}
		while (zt_dns_tcp_next(cut, i, &off, &msg, &mlen) == 1) {
			T_ASSERT(k < want, "cut at %zu: message %zu is not whole", i, k);
			if (k >= want)
				break;
			T_EQ(mlen, lens[k]);
			T_ASSERT(!mlen || (msg[0] == k + 1 && msg[mlen - 1] == k + 1),
				 "message %zu's bytes", k);
			k++;
		}
		T_EQ(k, want);
		T_EQ(off, end); /* the partial rest stays for the next read */
		free(cut);
	}
	/* A length byte alone is not a message; a start past the end is a
	 * mistake of the caller's. */
	off = 0;
	T_EQ(zt_dns_tcp_next(s, 1, &off, &msg, &mlen), 0);
	off = 3;
	T_EQ(zt_dns_tcp_next(s, 2, &off, &msg, &mlen), -EINVAL);
	T_EQ(off, 3);
}

static void tcp_queue(void)
{
	struct zt_dns_tcp_out o = { 0 };
	static __u8 big[70000];
	const __u8 *msg;
	size_t off = 0, mlen;

	memset(big, 0xab, sizeof(big));
	T_EQ(zt_dns_tcp_put(&o, (const __u8 *)"abc", 3, 100), 0);
	T_EQ(zt_dns_tcp_put(&o, (const __u8 *)"", 0, 100), 0);
	T_EQ(o.len, 5 + 2);
	T_ASSERT(!memcmp(o.p, "\x00\x03" "abc" "\x00\x00", 7), "framed in order");
	/* Past the bound: refused whole, the queue as it was. */
	T_EQ(zt_dns_tcp_put(&o, big, 94, 100), -ENOBUFS);
	T_EQ(o.len, 7);
	T_EQ(zt_dns_tcp_put(&o, big, 91, 100), 0); /* exactly 100 */
	T_EQ(o.len, 100);
	/* No length holds more than 65535. */
	T_EQ(zt_dns_tcp_put(&o, big, 65536, 1 << 20), -EMSGSIZE);
	T_EQ(o.len, 100);
	/* It grows as answers come (past its first 4096), and reads back
	 * through the framing. */
	T_EQ(zt_dns_tcp_put(&o, big, 65535, 1 << 20), 0);
	T_ASSERT(o.cap >= o.len && o.len == 100 + 2 + 65535, "grown: %zu", o.cap);
	T_EQ(zt_dns_tcp_next(o.p, o.len, &off, &msg, &mlen), 1);
	T_EQ(mlen, 3);
	T_EQ(zt_dns_tcp_next(o.p, o.len, &off, &msg, &mlen), 1);
	T_EQ(mlen, 0);
	T_EQ(zt_dns_tcp_next(o.p, o.len, &off, &msg, &mlen), 1);
	T_EQ(mlen, 91);
	T_EQ(zt_dns_tcp_next(o.p, o.len, &off, &msg, &mlen), 1);
	T_EQ(mlen, 65535);
	T_EQ(off, o.len);
	/* What went out leaves; more than there is empties it. */
	zt_dns_tcp_sent(&o, 2);
	T_ASSERT(!memcmp(o.p, "abc", 3), "the rest moved up");
	T_EQ(o.len, 100 + 65535);
	zt_dns_tcp_sent(&o, 1 << 20);
	T_EQ(o.len, 0);
	zt_dns_tcp_sent(&o, 5);
	T_EQ(o.len, 0);
	zt_dns_tcp_out_free(&o);
	T_ASSERT(!o.p && !o.len && !o.cap, "freed");
	zt_dns_tcp_sent(&o, 1); /* an empty queue, never allocated */
	T_EQ(o.len, 0);
}

static void host(__u8 *addr, unsigned i)
{
	memset(addr, 0, 16);
	addr[0] = 10;
	addr[2] = (__u8)(i >> 8);
	addr[3] = (__u8)i;
}

static void shares(void)
{
	struct zt_share t;
	__u8 a[16], b[16];
	unsigned i;

	T_EQ(zt_share_init(&t, 0), -EINVAL);
	T_EQ(zt_share_init(&t, 8), 0);
	host(a, 1);
	host(b, 2);
	for (i = 0; i < 3; i++)
		T_EQ(zt_share_take(&t, ZT_AF_INET, a, 3), 0);
	T_EQ(zt_share_take(&t, ZT_AF_INET, a, 3), -EDQUOT); /* its share */
	T_EQ(zt_share_held(&t, ZT_AF_INET, a), 3);
	T_EQ(zt_share_take(&t, ZT_AF_INET, b, 3), 0);       /* another's is its own */
	/* The same octets as IPv6 are another client. */
	T_EQ(zt_share_take(&t, ZT_AF_INET6, a, 3), 0);
	T_EQ(zt_share_held(&t, ZT_AF_INET6, a), 1);
	T_EQ(zt_share_held(&t, ZT_AF_INET, a), 3);
	T_EQ(zt_share_give(&t, ZT_AF_INET, a), 0);
	T_EQ(zt_share_take(&t, ZT_AF_INET, a, 3), 0);       /* room again */
	/* The table full (8): -ENOSPC for one with room in its share, but a
	 * client at its limit hears that first. */
	for (i = 3; i < 6; i++)
		T_EQ(zt_share_take(&t, ZT_AF_INET, (host(b, i), b), 3), 0);
	T_EQ(t.taken, 8);
	host(b, 7);
	T_EQ(zt_share_take(&t, ZT_AF_INET, b, 3), -ENOSPC);
	T_EQ(zt_share_held(&t, ZT_AF_INET, b), 0);
	T_EQ(zt_share_take(&t, ZT_AF_INET, a, 3), -EDQUOT);
	T_EQ(zt_share_take(&t, ZT_AF_INET, a, 0), -EDQUOT); /* a share of none */
	/* A client that holds none gives nothing back; a family that is
	 * neither is refused. */
	T_EQ(zt_share_give(&t, ZT_AF_INET, b), -ENOENT);
	T_EQ(t.taken, 8);
	T_EQ(zt_share_take(&t, 0, a, 3), -EAFNOSUPPORT);
	zt_share_free(&t);
	T_ASSERT(!t.s, "freed");
}

/* Many takes and gives over few slots (collisions, runs that wrap, every
 * client leaving and coming back) agree with a plain count per client. */
static void shares_agree_with_a_count(void)
{
	enum { HOSTS = 40, MAX = 64, LIMIT = 5 };
	size_t count[HOSTS] = { 0 }, total = 0;
	struct zt_share t;
	unsigned seed = 7, i, h;
	__u8 a[16];
	int want, got;

	T_EQ(zt_share_init(&t, MAX), 0);
	for (i = 0; i < 200000; i++) {
		h = (unsigned)rand_r(&seed) % HOSTS;
		host(a, h * 977);
		if (rand_r(&seed) % 2) {
			want = count[h] >= LIMIT ? -EDQUOT : total >= MAX ? -ENOSPC : 0;
			got = zt_share_take(&t, h % 3 ? ZT_AF_INET : ZT_AF_INET6, a, LIMIT);
			if (!want) {
				count[h]++;
				total++;
			}
		} else {
			want = count[h] ? 0 : -ENOENT;
			got = zt_share_give(&t, h % 3 ? ZT_AF_INET : ZT_AF_INET6, a);
			if (!want) {
				count[h]--;
				total--;
			}
		}
		if (got != want) {
			T_ASSERT(0, "op %u on client %u: %d, want %d", i, h, got, want);
			break;
		}
	}
	for (h = 0; h < HOSTS; h++) {
		host(a, h * 977);
		T_EQ(zt_share_held(&t, h % 3 ? ZT_AF_INET : ZT_AF_INET6, a), count[h]);
	}
	T_EQ(t.taken, total);
	zt_share_free(&t);
}

static void origin_ttls(void)
{
	T_EQ(zt_origin_ttl(0, false), ZT_ORIGIN_TTL_MIN);
	T_EQ(zt_origin_ttl(4, false), ZT_ORIGIN_TTL_MIN);
	T_EQ(zt_origin_ttl(5, false), 5);
	T_EQ(zt_origin_ttl(300, false), 300);
	T_EQ(zt_origin_ttl(3600, false), 3600);
	T_EQ(zt_origin_ttl(3601, false), ZT_ORIGIN_TTL_MAX);
	T_EQ(zt_origin_ttl(0xffffffffu, false), ZT_ORIGIN_TTL_MAX);
	T_EQ(zt_origin_ttl(0, true), ZT_ORIGIN_HOSTS_S);   /* /etc/hosts: read again */
	T_EQ(zt_origin_ttl(9999, true), ZT_ORIGIN_HOSTS_S);
}

static void origin_records(void)
{
	const __u8 x[16] = { 192, 0, 2, 10 }, y[16] = { 192, 0, 2, 11 };
	struct zt_iri a = { .family = ZT_AF_INET, .res_inflight = true };

	/* The first answer: a new address, kept for its TTL. */
	T_EQ(zt_origin_record(&a, 1, x, 30, false, 1000), ZT_ORIGIN_NEW);
	T_ASSERT(a.real_ok && !memcmp(a.real, x, 16) && !a.res_inflight, "recorded");
	T_EQ(a.real_ttl, 30);
	T_EQ(a.res_next_ms, 1000 + 30 * 1000);
	/* The same again: nothing for the map; a TTL past the bound is kept
	 * an hour. */
	T_EQ(zt_origin_record(&a, 1, x, 86400, false, 2000), ZT_ORIGIN_SAME);
	T_EQ(a.real_ttl, ZT_ORIGIN_TTL_MAX);
	T_EQ(a.res_next_ms, 2000 + ZT_ORIGIN_TTL_MAX * 1000ULL);
	/* A failure keeps the address, asked again soon. */
	a.res_inflight = true;
	T_EQ(zt_origin_record(&a, -ETIMEDOUT, NULL, 0, false, 3000), ZT_ORIGIN_FAILED);
	T_ASSERT(a.real_ok && !memcmp(a.real, x, 16) && !a.res_inflight, "kept");
	T_EQ(a.res_next_ms, 3000 + ZT_ORIGIN_RETRY_MS);
	T_EQ(zt_origin_record(&a, -EAGAIN, NULL, 0, false, 3500), ZT_ORIGIN_FAILED);
	T_ASSERT(a.real_ok, "kept");
	/* Another address; from /etc/hosts, read again every minute. */
	T_EQ(zt_origin_record(&a, 2, y, 0, true, 4000), ZT_ORIGIN_NEW);
	T_ASSERT(!memcmp(a.real, y, 16), "the new one");
	T_EQ(a.real_ttl, ZT_ORIGIN_HOSTS_S);
	T_EQ(a.res_next_ms, 4000 + ZT_ORIGIN_HOSTS_S * 1000ULL);
	/* NXDOMAIN, or no record of the family: none, asked again later. */
	T_EQ(zt_origin_record(&a, -ENOENT, NULL, 0, false, 5000), ZT_ORIGIN_NONE);
	T_ASSERT(!a.real_ok, "gone");
	T_EQ(a.res_next_ms, 5000 + ZT_ORIGIN_NEG_MS);
	T_EQ(zt_origin_record(&a, 0, NULL, 0, false, 6000), ZT_ORIGIN_NONE);
	/* After none, the old address is news again. */
	T_EQ(zt_origin_record(&a, 1, y, 10, false, 7000), ZT_ORIGIN_NEW);
	T_EQ(a.real_ttl, 10);
}

int main(void)
{
	T_RUN(error_rcodes);
	T_RUN(address_records);
	T_RUN(own_replies);
	T_RUN(tcp_framing);
	T_RUN(tcp_queue);
	T_RUN(shares);
	T_RUN(shares_agree_with_a_count);
	T_RUN(origin_ttls);
	T_RUN(origin_records);
	return t_done();
}
