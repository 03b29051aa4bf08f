// SPDX-License-Identifier: GPL-2.0
/* dnsreply.c — see dnsreply.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "dnsreply.h"
#include "zt_abi.h"

int zt_dns_error_rcode(int err)
{
	switch (err) {
	case 0:
	case -ENOMSG:
		return -1;
	case -EOPNOTSUPP:
		return ZT_DNS_NOTIMP;
	case -EPROTONOSUPPORT:
		return ZT_DNS_BADVERS;
	default:
		return ZT_DNS_FORMERR;
	}
}

int zt_dns_addr_rr(__u16 qtype, __u8 family, const __u8 *addr, __u32 ttl,
		   struct zt_dns_rr *rr)
{
	if (!(qtype == ZT_DNS_T_A && family == ZT_AF_INET) &&
	    !(qtype == ZT_DNS_T_AAAA && family == ZT_AF_INET6))
		return -EINVAL;
	memset(rr, 0, sizeof(*rr));
	rr->type = qtype;
	rr->ttl = ttl;
	rr->rdlen = family == ZT_AF_INET ? 4 : 16;
	memcpy(rr->rdata, addr, rr->rdlen);
	return 0;
}

int zt_dns_reply_own(const struct zt_dns_own *o, struct zt_dns_reply *r, char *ede,
		     size_t ede_len)
{
	*r = (struct zt_dns_reply){ .ede = -1 };
	switch (o->action) {
	case ZT_DNSA_IRI:
	case ZT_DNSA_NODATA:
		r->aa = true;
		break;
	case ZT_DNSA_BLOCK:
		r->ede = ZT_DNS_EDE_BLOCKED;
		snprintf(ede, ede_len, "blocked by DNS policy '%s'", o->policy ? o->policy : "");
		r->ede_text = ede;
		break;
	case ZT_DNSA_REFUSE:
		break;
	case ZT_DNSA_FORWARD:
		if (o->rcode < 0) /* the upstream's answer is relayed, not made here */
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (o->an && o->action != ZT_DNSA_IRI)
		return -EINVAL;
	r->rcode = o->rcode >= 0 ? o->rcode : zt_dns_action_rcode(o->action);
	r->an = o->an;
	r->n_an = o->an ? 1 : 0;
	/* Negative answers of zt's own (a policy block, a routed name without
	 * records of the type) carry an SOA, so resolvers cache them as long
	 * as positive ones. */
	r->soa = r->rcode == ZT_DNS_NXDOMAIN || (r->rcode == ZT_DNS_NOERROR && !r->n_an);
	r->soa_ttl = o->ttl;
	return 0;
}
