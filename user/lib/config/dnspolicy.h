/* SPDX-License-Identifier: GPL-2.0 */
/* dnspolicy.h — what the gateway answers a name with, and why: DNS
 * policies first (by precedence; a block is NXDOMAIN with EDE 15), then
 * hostname routes (A/AAAA -> an IRI, other types -> NODATA), then the
 * upstreams, else REFUSED. ztd's server and `ztctl dns test` both ask here. */
#ifndef ZT_DNSPOLICY_H
#define ZT_DNSPOLICY_H

#include "config.h"
#include "hostname.h"

enum zt_dns_action {
	ZT_DNSA_IRI,      /* A/AAAA of a routed name: answered with an IRI */
	ZT_DNSA_NODATA,   /* a routed name, another type: no records */
	ZT_DNSA_BLOCK,    /* a DNS policy blocks it: NXDOMAIN + EDE */
	ZT_DNSA_FORWARD,  /* not routed: to the upstreams */
	ZT_DNSA_REFUSE,   /* not routed, no upstreams */
};

struct zt_dns_table {
	struct zt_host_index routes;  /* routes.hostname by name and vnet */
	size_t *order;                /* dns_policies by precedence */
	struct zt_dns_dev {
		__u8 family, addr[16];
		__u32 iface;              /* the device's interface (index + 1) */
		__u16 vlan;
		size_t device;            /* index into devices */
	} *devs;
	size_t n_devs;
};

struct zt_dns_decision {
	enum zt_dns_action action;
	long route;                   /* index into host_routes, or -1 */
	long policy;                  /* index into dns_policies that decided, or -1 */
};

int zt_dns_table_build(const struct zt_config *c, struct zt_dns_table *t);
void zt_dns_table_free(struct zt_dns_table *t);

/* The device at a source address on gateway interface iface (index + 1)
 * and 802.1Q VLAN vlan (0: untagged), or -1 (unenrolled there); iface 0:
 * on any interface and VLAN (the first device with the address). */
long zt_dns_device(const struct zt_dns_table *t, __u32 iface, __u16 vlan, __u8 family,
		   const __u8 *addr);

/* name: lower case, no trailing dot (zt_dns_query.name). user 0 and
 * groups 0 for an unenrolled source; vnet is the source's. */
void zt_dns_decide(const struct zt_config *c, const struct zt_dns_table *t, const char *name,
		   __u16 qtype, __u32 user, __u64 groups, __u32 vnet, struct zt_dns_decision *d);
/* Whether name gets the same answer from every asker in a vnet: no DNS
 * policy that may match it selects users or groups. */
bool zt_dns_same_for_all(const struct zt_config *c, const char *name);
const char *zt_dns_action_name(enum zt_dns_action a);
/* The rcode an action answers with; -1 for FORWARD (the upstream's). */
int zt_dns_action_rcode(enum zt_dns_action a);

#endif
