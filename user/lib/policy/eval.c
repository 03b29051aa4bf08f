// SPDX-License-Identifier: GPL-2.0
/* eval.c — the reference evaluator of a compiled policy (policy.h): the
 * kernel's classifier in C, for ztctl policy test, the proxy's L7
 * decision and the tests that hold the two to each other. */
#include <string.h>
#include "policy.h"
#include "sort.h"

const struct zt_dst_entry *zt_compiled_lookup(const struct zt_compiled *c, __u32 vnet,
					      const struct zt_prefix *pfx)
{
	struct zt_dst_entry key;
	int len, i;

	for (len = pfx->len; len >= 0; len--) {
		const struct zt_dst_entry *e;

		memset(&key, 0, sizeof(key));
		key.pfx.family = pfx->family;
		key.pfx.len = (__u8)len;
		key.vnet = vnet;
		for (i = 0; i < len; i++)
			if (zt_prefix_bit(pfx, i))
				key.pfx.addr[i / 8] |= 0x80 >> (i % 8);
		e = zt_bsearch(&key, c->dsts, c->n_dsts, sizeof(*c->dsts), zt_dst_entry_cmp);
		if (e)
			return e;
	}
	return NULL;
}

void zt_compiled_ident(const struct zt_compiled *c, bool (*match)(void *arg, __u32 rule_index),
		       void *arg, struct zt_bitmap *b)
{
	__u32 bit;

	memset(b, 0, sizeof(*b));
	for (bit = 0; bit < c->n_rules; bit++)
		if (match(arg, c->rule_index[bit]))
			b->w[bit / 64] |= 1ull << (bit % 64);
}

static bool in_pool(const __u8 *a, const __u8 *addr, const __u8 *mask, int bytes)
{
	bool any = false;
	int i;

	for (i = 0; i < bytes; i++) {
		any |= mask[i] != 0;
		if ((a[i] & mask[i]) != addr[i])
			return false;
	}
	return any;
}

void zt_policy_eval(const struct zt_compiled *c, const struct zt_eval_pkt *p,
		    struct zt_eval_result *r)
{
	zt_policy_eval_l7(c, p, NULL, NULL, r);
}

void zt_policy_eval_l7(const struct zt_compiled *c, const struct zt_eval_pkt *p,
		       bool (*l7_match)(void *arg, __u32 rule_index), void *arg,
		       struct zt_eval_result *r)
{
	const struct zt_dev_entry *dev;
	const struct zt_dst_entry *e;
	const struct zt_iri_entry *ie = NULL;
	const struct zt_dst *dst;
	const struct zt_bitmap *idb;
	struct zt_dev_entry key = { 0 };
	struct zt_prefix host = { 0 };
	__u32 id_set, port, pset, w;
	int bit = -1;
	__u8 action;

	memset(r, 0, sizeof(*r));
	key.key.ifindex = p->ifindex;
	key.key.vlan = p->vlan;
	key.key.family = p->family;
	memcpy(key.key.addr, p->src, 16);
	dev = p->ident ? NULL :
			 zt_bsearch(&key, c->devs, c->n_devs, sizeof(*c->devs), zt_dev_entry_cmp);
	r->vnet_id = p->ident ? p->ident_vnet : dev ? dev->id.vnet_id : c->cfg.default_vnet;
	r->device_id = dev ? dev->id.device_id : ZT_ID_NONE;
	id_set = dev ? dev->id.id_set : c->cfg.unenrolled_set;
	idb = p->ident ? p->ident : &c->sets[id_set];

	if (p->family == ZT_AF_INET ? in_pool(p->dst, c->cfg.iri4_addr, c->cfg.iri4_mask, 4)
				    : in_pool(p->dst, c->cfg.iri6_addr, c->cfg.iri6_mask, 16)) {
		/* IRIs are allocated by the DNS server: known only when the
		 * caller attached them. */
		struct zt_iri_entry k = { 0 };

		k.key.vnet_id = r->vnet_id;
		k.key.family = p->family;
		memcpy(k.key.addr, p->dst, 16);
		ie = zt_bsearch(&k, c->iris, c->n_iris, sizeof(*c->iris), zt_iri_key_cmp);
		if (!ie || !(ie->dst.flags & ZT_DST_F_ROUTED)) {
			r->verdict = ZT_V_DROP;
			r->reason = ZT_R_IRI_UNKNOWN;
			return;
		}
		dst = &ie->dst;
	} else {
		host.family = p->family;
		host.len = (__u8)(p->family == ZT_AF_INET ? 32 : 128);
		memcpy(host.addr, p->dst, 16);
		e = zt_compiled_lookup(c, r->vnet_id, &host);
		if (!e || !(e->dst.flags & ZT_DST_F_ROUTED)) {
			r->verdict = ZT_V_PASS;
			r->reason = ZT_R_NO_ROUTE;
			return;
		}
		dst = &e->dst;
	}
	r->route_id = dst->route_id;

	port = (p->pclass == ZT_PC_TCP || p->pclass == ZT_PC_UDP) ? p->dport : 0;
	pset = c->ports[(size_t)(p->pclass & 3) * ZT_PORTS + port];
	for (w = 0; w < c->cfg.nwords && bit < 0; w++) {
		__u64 x = c->sets[dst->dst_set].w[w] & c->sets[pset].w[w] & idb->w[w];

		for (; x; x &= x - 1) {
			int b = (int)(w * 64 + (__u32)__builtin_ctzll(x));

			/* Where the kernel steers, the proxy goes on down the
			 * list past rules whose L7 selectors do not match. */
			if ((c->rules[b].flags & ZT_RULE_F_L7) && l7_match) {
				r->l7_checked = true;
				if (!l7_match(arg, c->rule_index[b]))
					continue;
			}
			bit = b;
			break;
		}
	}
	if (bit >= 0) {
		const struct zt_rule *rule = &c->rules[bit];

		r->rule_id = rule->rule_id;
		r->reason = ZT_R_RULE;
		if ((rule->flags & ZT_RULE_F_L7) && !l7_match) {
			r->verdict = ZT_V_STEER;
			r->reason = ZT_R_L7;
			return;
		}
		action = rule->action;
	} else {
		r->reason = ZT_R_DEFAULT;
		action = c->cfg.default_action;
	}
	if (action != ZT_ACT_ALLOW) {
		r->verdict = ZT_V_DROP;
	} else if (dst->flags & ZT_DST_F_LOCAL) {
		r->verdict = ie && !ie->resolved ? ZT_V_DROP : ZT_V_DIRECT;
		if (ie && !ie->resolved)
			r->reason = ZT_R_RESOLVE;
	} else {
		r->verdict = ZT_V_STEER;
	}
}
