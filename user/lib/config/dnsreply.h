/* SPDX-License-Identifier: GPL-2.0 */
/* dnsreply.h — the replies ztd's DNS server makes of its own, from what
 * became of a query: the rcode of one that did not parse, the reply to
 * dnspolicy's decision, an IRI's address record. Pure: the server only
 * writes them (zt_dns_write_reply) and sends them. */
#ifndef ZT_DNSREPLY_H
#define ZT_DNSREPLY_H

#include <stddef.h>
#include <linux/types.h>
#include "dns.h"
#include "dnspolicy.h"

/* The rcode of the reply to a query zt_dns_parse_query refused with err:
 * NOTIMP for -EOPNOTSUPP, BADVERS for -EPROTONOSUPPORT, else FORMERR;
 * -1 for 0 and -ENOMSG, which get no such reply. */
int zt_dns_error_rcode(int err);

/* The A or AAAA record of addr (16 octets, an IPv4 address in the first 4)
 * for a question of type qtype. Returns 0, or -EINVAL when qtype is
 * neither or asks for the other family. */
int zt_dns_addr_rr(__u16 qtype, __u8 family, const __u8 *addr, __u32 ttl,
		   struct zt_dns_rr *rr);

/* What ztd answers of its own to a query dnspolicy decided. */
struct zt_dns_own {
	enum zt_dns_action action;    /* zt_dns_decide's */
	int rcode;                    /* >= 0: a SERVFAIL (or other) of ztd's own in
				       * place of the action's (no IRI left, no
				       * upstream reached); -1: the action's */
	const char *policy;           /* BLOCK: the deciding policy's name */
	const struct zt_dns_rr *an;   /* IRI: its record; NULL: none (no pool for
				       * the family: NODATA) */
	__u32 ttl;                    /* a negative answer's, for its SOA */
};

/* The reply for o: the action's rcode (BLOCK NXDOMAIN, REFUSE REFUSED,
 * NODATA and IRI NOERROR) unless o->rcode says otherwise; AA for names
 * zt answers for (IRI, NODATA); a block's EDE 15 naming the policy (its
 * text written to ede, of ede_len); the answer record; and on a negative
 * answer (NXDOMAIN, or NOERROR without a record) an SOA with o->ttl, so
 * resolvers cache it as long as a positive one (RFC 2308). Returns 0, or
 * -EINVAL for FORWARD without an rcode of ztd's own, an action it does
 * not know, or a record with an action other than IRI. */
int zt_dns_reply_own(const struct zt_dns_own *o, struct zt_dns_reply *r, char *ede,
		     size_t ede_len);

#endif
