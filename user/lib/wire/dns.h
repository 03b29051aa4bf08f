/* SPDX-License-Identifier: GPL-2.0 */
/* dns.h — the DNS wire codec ztd's server uses: queries read through the
 * bounds-checked reader (compression pointers only ever point backwards,
 * so no loop; labels <= 63, names <= 255 octets; one question; EDNS0 OPT),
 * answers written so that what does not fit the client's size is cut with
 * TC set. Pure functions: no sockets. */
#ifndef ZT_DNS_H
#define ZT_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define ZT_DNS_HDR      12
#define ZT_DNS_NAME_MAX 255   /* wire octets, with the length bytes and root */
#define ZT_DNS_LABEL_MAX 63
#define ZT_DNS_UDP_MIN  512   /* RFC 1035; smaller EDNS sizes count as this */
#define ZT_DNS_UDP_MAX  4096  /* the most we send over UDP, whatever asked */
#define ZT_DNS_TCP_MAX  65535
/* Presentation form: each octet may take four characters (\DDD). */
#define ZT_DNS_TEXT_MAX (ZT_DNS_NAME_MAX * 4 + 1)

enum {
	ZT_DNS_T_A = 1, ZT_DNS_T_NS = 2, ZT_DNS_T_CNAME = 5, ZT_DNS_T_SOA = 6,
	ZT_DNS_T_PTR = 12, ZT_DNS_T_MX = 15, ZT_DNS_T_TXT = 16, ZT_DNS_T_AAAA = 28,
	ZT_DNS_T_OPT = 41, ZT_DNS_T_AXFR = 252, ZT_DNS_T_ANY = 255,
};
#define ZT_DNS_C_IN 1

enum {
	ZT_DNS_NOERROR = 0, ZT_DNS_FORMERR = 1, ZT_DNS_SERVFAIL = 2, ZT_DNS_NXDOMAIN = 3,
	ZT_DNS_NOTIMP = 4, ZT_DNS_REFUSED = 5, ZT_DNS_BADVERS = 16, /* extended: in OPT */
};
#define ZT_DNS_EDE_BLOCKED 15 /* RFC 8914 */
#define ZT_DNS_OPT_EDE     15 /* the EDNS option code carrying it */

struct zt_dns_query {
	__u16 id;
	__u8  opcode;
	bool  rd, cd;
	__u16 qtype, qclass;
	__u8  qname[ZT_DNS_NAME_MAX]; /* as sent (case kept), uncompressed */
	size_t qname_len;
	char  name[ZT_DNS_TEXT_MAX];  /* lower case, no trailing dot, \DDD for
				       * octets no hostname has; "" is the root */
	bool  edns;
	__u8  edns_version;
	bool  dnssec_ok;
	__u16 udp_size;               /* as advertised; see zt_dns_udp_limit */
};

/* Reads a query. Returns 0, or what to answer with:
 *   -ENOMSG   nothing: shorter than a header, or a response (QR set);
 *   -EBADMSG  FORMERR: truncated, not one question, bad name (label > 63,
 *             name > 255, a pointer that does not point backwards, a
 *             reserved label type), a bad or second OPT, records where a
 *             query has none;
 *   -EOPNOTSUPP NOTIMP: an opcode other than QUERY;
 *   -EPROTONOSUPPORT BADVERS: an EDNS version other than 0.
 * On every error but -ENOMSG, q->id, opcode and rd are set for the reply. */
int zt_dns_parse_query(const __u8 *msg, size_t len, struct zt_dns_query *q);

/* The largest UDP answer this client takes: 512 without EDNS, else its
 * size clamped to [512, ZT_DNS_UDP_MAX]. */
size_t zt_dns_udp_limit(const struct zt_dns_query *q);

/* One answer record for the question's name. */
struct zt_dns_rr {
	__u16 type;
	__u32 ttl;
	__u16 rdlen;
	__u8  rdata[16];
};

struct zt_dns_reply {
	int   rcode;               /* ZT_DNS_*; > 15 needs EDNS (else SERVFAIL) */
	bool  aa;
	const struct zt_dns_rr *an;
	size_t n_an;
	int   ede;                 /* -1: none; else an RFC 8914 info code */
	const char *ede_text;      /* may be NULL */
	bool  soa;                 /* a negative answer (NXDOMAIN, NODATA): an SOA
				    * for the name's parent in the authority
				    * section, soa_ttl its TTL and MINIMUM, so
				    * resolvers cache the answer that long
				    * (RFC 2308) */
	__u32 soa_ttl;
};

/* Writes the reply to q (question echoed when q parsed, i.e. qname_len;
 * OPT when the query had one) into out, at most max bytes (use
 * zt_dns_udp_limit, or ZT_DNS_TCP_MAX over TCP). Answers that do not fit
 * are left out and TC is set; an SOA that does not fit is left out. Returns the length, or -EMSGSIZE when not
 * even the header and question fit. */
int zt_dns_write_reply(const struct zt_dns_query *q, const struct zt_dns_reply *r,
		       __u8 *out, size_t max);

/* A query for upstream: id, RD, q's question, and an OPT advertising
 * ZT_DNS_UDP_MAX (so answers for TCP clients rarely come back truncated).
 * Returns the length or -EMSGSIZE. */
int zt_dns_write_query(const struct zt_dns_query *q, __u16 id, __u8 *out, size_t max);

/* Whether resp is the answer to the query for q's question sent with id
 * (RFC 5452 section 9.1): that id, QR set, opcode QUERY, one question,
 * and q's name (without regard to case), type and class. Returns 0;
 * -ESRCH when it answers something else (a spoof, or a late answer to
 * an earlier query); -EBADMSG when the header or question is cut short
 * or malformed. Reads no further than the question. */
int zt_dns_match_response(const __u8 *resp, size_t len, const struct zt_dns_query *q, __u16 id);

/* Checks an upstream response to q (sent with id) and rewrites it for the
 * client into out: q's id; the OPT record removed when q had none; cut to
 * header and question with TC set when longer than max. Returns the length,
 * or -EBADMSG when resp is malformed or answers another question. */
int zt_dns_relay(const __u8 *resp, size_t len, const struct zt_dns_query *q, __u16 id,
		 __u8 *out, size_t max);

/* Reads an upstream's answer to a query for q's question sent with id:
 * the addresses of q's type (A: 4 octets, AAAA: 16) in the answer section,
 * up to max, into addrs[i] (16 octets each, zero-filled), and the smallest
 * TTL among them into *ttl. Returns how many (0 for NODATA), -ENOENT for
 * NXDOMAIN, -EAGAIN for another error rcode (SERVFAIL, REFUSED, ...), or
 * -EBADMSG when resp is malformed or answers another question. */
int zt_dns_addrs(const __u8 *resp, size_t len, const struct zt_dns_query *q, __u16 id,
		 __u8 (*addrs)[16], size_t max, __u32 *ttl);

/* Name text -> wire form (for tests and the upstream query); accepts an
 * optional trailing dot. Returns the length or -EINVAL. */
int zt_dns_name_to_wire(const char *name, __u8 *out, size_t max);

const char *zt_dns_type_name(__u16 type, char *buf, size_t len);
/* "A", "aaaa", "MX", ... (the names zt_dns_type_name prints) -> the type. */
int zt_dns_type_parse(const char *s, __u16 *type);
const char *zt_dns_rcode_name(int rcode);

#endif
