/* SPDX-License-Identifier: GPL-2.0 */
/* policy.h — identity, destination and rule evaluation for a new flow.
 * ztd compiles ordered rules into one bitmap per dimension value
 * (destination, {protocol, port}, identity); ANDing the three gives the rules
 * that match, and the lowest set bit is the highest-precedence one. */
#ifndef ZT_BPF_POLICY_H
#define ZT_BPF_POLICY_H

#include "maps.h"
#include "parse.h"

struct zt_decision {
	__u8  verdict;
	__u8  reason;
	__u8  nat;       /* DIRECT through the NAT (ZT_DST_F_NAT) */
	__u8  any_port;  /* DROP: the same for every protocol and port */
	ZT_DECISION_IDS
	__u32 iri_epoch; /* to an IRI: the epoch it was decided under */
};

/* Index of the lowest set bit of x (x != 0), by a de Bruijn multiply and
 * one table read: one path for the verifier, where a binary search had 64
 * (which, times the rule words and everything after, it had to walk). */
static const __u8 zt_debruijn64[64] = {
	0, 1, 2, 53, 3, 7, 54, 27, 4, 38, 41, 8, 34, 55, 48, 28,
	62, 5, 39, 46, 44, 42, 22, 9, 24, 35, 59, 56, 49, 18, 29, 11,
	63, 52, 6, 26, 37, 40, 33, 47, 61, 45, 43, 21, 23, 58, 17, 10,
	51, 25, 36, 32, 60, 20, 57, 16, 50, 31, 19, 15, 30, 14, 13, 12,
};

static __always_inline __u32 zt_ctz64(__u64 x)
{
	return zt_debruijn64[((x & -x) * 0x022fdd63cc95386dULL) >> 58];
}

/* The identity of the source in half h: enrolled device or unenrolled. */
static __always_inline void zt_identity(struct zt_ctx *c, const struct zt_pkt *p,
					const struct zt_half_cfg *hc, __u32 h,
					struct zt_ident *id)
{
	struct zt_dev_key k = {};
	struct zt_dev_val *v;

	k.ifindex = c->ifindex;
	k.vlan = p->vlan;
	k.family = p->family;
	__builtin_memcpy(k.addr, p->src, 16);
	v = bpf_map_lookup_elem(&zt_devices, &k);
	if (v && v->half[h & 1].device_id != ZT_ID_NONE) {
		*id = v->half[h & 1];
		return;
	}
	id->device_id = ZT_ID_NONE;
	id->user_id = 0;
	id->vnet_id = hc->default_vnet;
	id->id_set = hc->unenrolled_set;
	id->groups = 0;
}

static __always_inline int zt_in_iri_pool(const struct zt_pkt *p,
					  const struct zt_half_cfg *hc)
{
	__u64 a[2], m[2], n[2];

	if (p->family == ZT_AF_INET) {
		__u32 a4, m4, n4;

		__builtin_memcpy(&a4, p->dst, 4);
		__builtin_memcpy(&m4, hc->iri4_mask, 4);
		__builtin_memcpy(&n4, hc->iri4_addr, 4);
		return m4 && (a4 & m4) == n4;
	}
	__builtin_memcpy(a, p->dst, 16);
	__builtin_memcpy(m, hc->iri6_mask, 16);
	__builtin_memcpy(n, hc->iri6_addr, 16);
	return (m[0] | m[1]) && (a[0] & m[0]) == n[0] && (a[1] & m[1]) == n[1];
}

/* The IRI entry for addr in vnet, or NULL. */
static __always_inline struct zt_iri_val *zt_iri_lookup(__u32 vnet, __u8 family, const __u8 *addr)
{
	struct zt_iri_key ik = {};

	ik.vnet_id = vnet;
	ik.family = family;
	__builtin_memcpy(ik.addr, addr, 16);
	return bpf_map_lookup_elem(&zt_iri, &ik);
}

/* A packet to the IRI: its last use, which ztd reads before it gives the
 * address to another name. Written at most once a second (every CPU's
 * flows to it share the value). */
static __always_inline void zt_iri_touch(struct zt_iri_val *iv)
{
	__u64 now = bpf_ktime_get_coarse_ns();

	if (now - iv->last_ns > 1000000000ULL)
		iv->last_ns = now;
}

/* Resolves the destination in half h. Returns 0 with *dst filled (and for
 * an IRI *epoch and *ivp, which the caller touches when the flow is not
 * dropped), or a reason: ZT_R_NO_ROUTE (not ours) or ZT_R_IRI_UNKNOWN. */
static __always_inline int zt_destination(const struct zt_pkt *p,
					  const struct zt_half_cfg *hc, __u32 h,
					  __u32 vnet, struct zt_dst *dst, __u8 *unresolved,
					  __u32 *epoch, struct zt_iri_val **ivp)
{
	struct zt_route_val *rv;

	if (zt_in_iri_pool(p, hc)) {
		struct zt_iri_val *iv = zt_iri_lookup(vnet, p->family, p->dst);

		if (!iv || !(iv->half[h & 1].flags & ZT_DST_F_ROUTED))
			return ZT_R_IRI_UNKNOWN;
		*ivp = iv;
		*dst = iv->half[h & 1];
		*unresolved = !iv->real_ok;
		*epoch = iv->epoch;
		return 0;
	}
	if (p->family == ZT_AF_INET) {
		struct zt_route4_key k = { .prefixlen = ZT_ROUTE4_HOST, .vnet_id = vnet };

		__builtin_memcpy(k.addr, p->dst, 4);
		rv = bpf_map_lookup_elem(&zt_routes4, &k);
	} else {
		struct zt_route6_key k = { .prefixlen = ZT_ROUTE6_HOST, .vnet_id = vnet };

		__builtin_memcpy(k.addr, p->dst, 16);
		rv = bpf_map_lookup_elem(&zt_routes6, &k);
	}
	if (!rv || !(rv->half[h & 1].flags & ZT_DST_F_ROUTED))
		return ZT_R_NO_ROUTE;
	*dst = rv->half[h & 1];
	return 0;
}

static __always_inline struct zt_bitmap *zt_set(__u32 h, __u32 set)
{
	__u32 idx = (h & 1) * ZT_MAX_SETS + set;

	if (set >= ZT_MAX_SETS)
		return 0;
	return bpf_map_lookup_elem(&zt_sets, &idx);
}

/* First matching rule bit, or -1. *below: the rules of this identity and
 * destination, whatever the protocol and port, before that bit (before
 * none: all of them), as a word that is 0 when there are none. Without a
 * branch on it: a branch per word would double the verifier's paths. */
static __always_inline int zt_first_rule(__u32 h, const struct zt_half_cfg *hc,
					 const struct zt_pkt *p, __u32 dst_set,
					 __u32 id_set, __u64 *below)
{
	__u32 pidx = ((h & 1) * ZT_PCLASSES + (p->pclass & 3)) * ZT_PORTS +
		     (p->pclass == ZT_PC_TCP || p->pclass == ZT_PC_UDP ?
		      bpf_ntohs(p->dport) : 0);
	struct zt_bitmap *a, *b, *d;
	__u32 *port_set;
	__u32 nwords = hc->nwords;
	int i;

	port_set = bpf_map_lookup_elem(&zt_ports, &pidx);
	if (!port_set)
		return -1;
	a = zt_set(h, dst_set);
	b = zt_set(h, *port_set);
	d = zt_set(h, id_set);
	if (!a || !b || !d)
		return -1;
	*below = 0;
	for (i = 0; i < ZT_RULE_WORDS; i++) {
		__u64 m, x;

		if (i >= nwords)
			break;
		m = a->w[i] & d->w[i];
		x = m & b->w[i];
		if (x) {
			*below |= m & ((x & -x) - 1);
			return i * 64 + zt_ctz64(x);
		}
		*below |= m;
	}
	return -1;
}

/* Full evaluation of a new flow in half h. */
static __always_inline void zt_evaluate(struct zt_ctx *c, const struct zt_pkt *p,
					const struct zt_half_cfg *hc, __u32 h,
					struct zt_decision *d)
{
	struct zt_iri_val *iv = 0;
	struct zt_ident id;
	struct zt_dst dst;
	struct zt_rule *rule = 0;
	__u8 action, unresolved = 0;
	__u64 below = ~0ULL; /* none known: no drop for every port */
	int r, bit;

	zt_identity(c, p, hc, h, &id);
	d->vnet_id = id.vnet_id;
	d->device_id = id.device_id;
	d->user_id = id.user_id;

	r = zt_destination(p, hc, h, id.vnet_id, &dst, &unresolved, &d->iri_epoch, &iv);
	if (r) {
		d->verdict = r == ZT_R_NO_ROUTE ? ZT_V_PASS : ZT_V_DROP;
		d->reason = r;
		return;
	}
	d->route_id = dst.route_id;
	d->tunnel_id = dst.tunnel_id;
	d->nat = !!(dst.flags & ZT_DST_F_NAT);

	bit = zt_first_rule(h, hc, p, dst.dst_set, id.id_set, &below);
	if (bit >= 0) {
		__u32 ridx = (h & 1) * ZT_MAX_RULES + (__u32)bit;

		rule = bpf_map_lookup_elem(&zt_rules, &ridx);
	}
	if (rule) {
		d->rule_id = rule->rule_id;
		d->reason = ZT_R_RULE;
		if (rule->flags & ZT_RULE_F_L7) {
			/* Not decidable on the first packet: the proxy
			 * finishes the evaluation from this rule on. */
			d->verdict = ZT_V_STEER;
			d->reason = ZT_R_L7;
			if (iv)
				zt_iri_touch(iv);
			return;
		}
		action = rule->action;
	} else {
		d->rule_id = ZT_RULE_NONE;
		d->reason = ZT_R_DEFAULT;
		action = hc->default_action;
	}
	if (action != ZT_ACT_ALLOW) {
		/* A blocked sender does not keep an IRI in use (nor from
		 * being given to another name). */
		d->verdict = ZT_V_DROP;
		/* The same drop for every protocol and port: no rule of this
		 * source and destination (and the default blocks), or the
		 * first of them is a rule for every protocol and port. */
		d->any_port = !below && (!rule || (rule->flags & ZT_RULE_F_ANY));
		return;
	}
	if (iv)
		zt_iri_touch(iv);
	if (dst.flags & ZT_DST_F_LOCAL) {
		/* This node forwards it: to the server's real address,
		 * which an IRI must have. */
		d->verdict = unresolved ? ZT_V_DROP : ZT_V_DIRECT;
		if (unresolved)
			d->reason = ZT_R_RESOLVE;
	} else {
		d->verdict = ZT_V_STEER;
	}
}

#endif
