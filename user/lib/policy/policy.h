/* SPDX-License-Identifier: GPL-2.0 */
/* policy.h — the policy compiler: ordered rules, routes and devices in, one
 * policy half out (rule bitmaps per dimension, destination entries for the
 * LPM tries, identities, port table). Pure C: no maps, no syscalls. The
 * reference evaluator zt_policy_eval() answers exactly what the kernel
 * answers for the same compiled half. */
#ifndef ZT_POLICY_H
#define ZT_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include "addr.h"
#include "hostname.h"
#include "zt_abi.h"

struct zt_port_range {
	__u16 lo, hi; /* inclusive */
};

struct zt_rule_in {
	const char *name;
	__u32 precedence;        /* lower decides first */
	__u8  action;            /* enum zt_action */
	const struct zt_prefix *dst;  size_t n_dst;    /* none: any */
	__u8  protos;            /* bit (1 << ZT_PC_*); 0: any */
	const struct zt_port_range *ports; size_t n_ports; /* none: any */
	const __u32 *users;      size_t n_users;  /* user ids; none: any */
	__u64 groups;            /* group bitmap; 0: any */
	const __u32 *vnets;      size_t n_vnets;  /* none: every vnet */
	/* Hostname patterns (stored form). To an IRI the kernel matches
	 * them against the name the IRI was given for. To a CIDR destination
	 * only with detected_protocol http: an L7 selector (the proxy matches
	 * the HTTP Host), on TCP port 80 unless zt_policy_in.l7_all_ports. */
	char *const *hosts;      size_t n_hosts;
	/* TLS server names: to an IRI the same as hosts (the IRI's name is
	 * the truth, config/l7.h), decided in the kernel; to a CIDR
	 * destination an L7 selector, on TCP port 443 unless l7_all_ports.
	 * Only TCP. */
	char *const *sni;        size_t n_sni;
	/* detected_protocol: an L7 selector on every destination, TCP only
	 * (bit 1 << enum zt_proto, detect.h; 0 none). */
	__u8  detected;
};

struct zt_route_in {
	struct zt_prefix pfx;
	__u32 vnet;
	__u32 route_id;  /* >= 1 */
	__u32 tunnel_id;
	bool  local;     /* tunnel is local: DIRECT */
	bool  nat;       /* ... through the in-kernel NAT (has a private_interface) */
};

struct zt_device_in {
	__u32 ifindex;
	struct zt_prefix addr;   /* a host prefix */
	__u32 device_id;         /* >= 1 */
	__u32 user_id;           /* >= 1 */
	__u32 vnet;
	__u64 groups;
	__u16 vlan;              /* 802.1Q id; 0: untagged */
};

struct zt_policy_in {
	const struct zt_rule_in   *rules;   size_t n_rules;
	const struct zt_route_in  *routes;  size_t n_routes;
	const struct zt_device_in *devices; size_t n_devices;
	const __u32 *vnets; size_t n_vnets; /* every vnet id in use */
	__u32 default_vnet;
	__u8  default_action;
	struct zt_prefix iri4, iri6;        /* len 0: no pool */
	bool  l7_all_ports;  /* sni and HTTP Host on every port (detect_all_ports) */
};

/* One LPM entry: a prefix in a vnet and what it resolves to. */
struct zt_dst_entry {
	struct zt_prefix pfx;
	__u32 vnet;
	struct zt_dst dst;
};

struct zt_dev_entry {
	struct zt_dev_key key;
	struct zt_ident id;
};

/* The destination set for names a host pattern covers (exact patterns
 * include the wildcard rules that cover them too). */
struct zt_host_set {
	char pattern[ZT_HOSTNAME_MAX + 1];
	__u32 set;
};

/* One allocated IRI and what it resolves to in this half. */
struct zt_iri_entry {
	struct zt_iri_key key;
	struct zt_dst dst;
	bool resolved;           /* has its real address (local tunnels need it) */
	__u32 epoch;             /* its name's pairing with the address (iri.h) */
	__u32 real_ttl;
	__u8 real[16];
};

struct zt_compiled {
	struct zt_half_cfg cfg;       /* generation left 0: the applier sets it */
	/* One bit per rule, or two for a rule with host or sni selectors
	 * (one for IRIs, one for CIDR destinations): at most ZT_MAX_RULES. */
	struct zt_rule rules[ZT_MAX_RULES];
	__u32 rule_index[ZT_MAX_RULES]; /* bit -> index into zt_policy_in.rules */
	__u32 n_rules;
	struct zt_bitmap *sets;  __u32 n_sets;
	__u32 *ports;                 /* ZT_PCLASSES * ZT_PORTS set ids */
	struct zt_dst_entry *dsts; size_t n_dsts;  /* sorted: family, vnet, prefix */
	struct zt_dev_entry *devs; size_t n_devs;
	struct zt_host_set *hosts; size_t n_hosts; /* sorted by pattern */
	__u32 anydst_set;             /* rules with no destination selector */
	/* IRIs DNS allocated: not compiled from the rules; the caller fills
	 * them (zt_compiled_iri_dst, sorted by key) before zt_apply. */
	struct zt_iri_entry *iris; size_t n_iris;
};

/* What an IRI allocated for name (lower case) under a hostname route
 * resolves to in this half: the route, its tunnel, and the rules whose
 * host patterns cover name, plus those with no destination selector. */
void zt_compiled_iri_dst(const struct zt_compiled *c, const char *name, __u32 route_id,
			 __u32 tunnel_id, bool local, struct zt_dst *d);
int zt_iri_key_cmp(const void *a, const void *b);

/* Compiles in into out. Returns 0 or -errno: -E2BIG (too many rules or
 * distinct bitmaps, or more than ZT_MAX_RULES bits), -EINVAL (bad input: a device address that is not a
 * host prefix, an id of 0), -ENOMEM. On error out holds nothing. */
int zt_policy_compile(const struct zt_policy_in *in, struct zt_compiled *out);
void zt_compiled_free(struct zt_compiled *c);

/* What the kernel would decide for a new flow, evaluated on a compiled half
 * with the same steps as bpf/lib/policy.h. */
struct zt_eval_pkt {
	__u32 ifindex;
	__u16 vlan;
	__u8  family;
	__u8  pclass;
	__u16 dport;
	__u8  src[16];
	__u8  dst[16];
	/* Not a device's packet but a user's access stream (docs/access.md):
	 * the rules this identity matches by user, group and vnet (from
	 * zt_compiled_ident), and its vnet. NULL: the device at ifindex,
	 * vlan, src, as the kernel finds it. */
	const struct zt_bitmap *ident;
	__u32 ident_vnet;
};

struct zt_eval_result {
	__u8  verdict;
	__u8  reason;
	__u32 rule_id;
	__u32 route_id;
	__u32 vnet_id;
	__u32 device_id;
	bool  l7_checked;  /* zt_policy_eval_l7 looked at an L7 rule */
};

void zt_policy_eval(const struct zt_compiled *c, const struct zt_eval_pkt *p,
		    struct zt_eval_result *r);

/* zt_policy_eval, then what the proxy finishes for a steered flow: an L7
 * rule (say, with SNI selectors) decides only when l7_match(arg, index into
 * zt_policy_in.rules) says its L7 selectors match; otherwise the next
 * matching rule, then the default. The verdict is then DROP, DIRECT or
 * STEER (to a remote tunnel), never the "steered to the proxy" of L7. */
void zt_policy_eval_l7(const struct zt_compiled *c, const struct zt_eval_pkt *p,
		       bool (*l7_match)(void *arg, __u32 rule_index), void *arg,
		       struct zt_eval_result *r);

/* The identity bitmap of zt_eval_pkt.ident: a bit for each rule bit whose
 * rule match(arg, index into zt_policy_in.rules) says the identity meets
 * (its user, group and vnet selectors). */
void zt_compiled_ident(const struct zt_compiled *c, bool (*match)(void *arg, __u32 rule_index),
		       void *arg, struct zt_bitmap *b);

/* Orders zt_dev_entry by its key (qsort/bsearch). */
int zt_dev_entry_cmp(const void *a, const void *b);

/* Orders zt_dst_entry by family, vnet, prefix (qsort/bsearch). */
int zt_dst_entry_cmp(const void *a, const void *b);

/* Longest entry containing pfx in vnet, or NULL. */
const struct zt_dst_entry *zt_compiled_lookup(const struct zt_compiled *c, __u32 vnet,
					      const struct zt_prefix *pfx);

#endif
