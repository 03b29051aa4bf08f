// SPDX-License-Identifier: GPL-2.0
/* tc_ingress — clsact ingress programs sharing the flow map:
 *  zt_tc_ingress:    on Ethernet devices, after XDP has decided: acts on the
 *                    cached verdict (STEER is assigned to the proxy's
 *                    socket, steer.h; DIRECT through the NAT that XDP
 *                    left is translated here) without counting it twice;
 *  zt_tc_ingress_l3: on L3 devices (WireGuard), where XDP cannot attach: the
 *                    whole classifier;
 *  zt_tc_ingress_eth: the whole classifier on Ethernet devices that are
 *                    better off without XDP (a veth whose peer XDP would
 *                    cost its GSO, loader.c);
 *  zt_tc_private(_l3): on a local tunnel's private interface: the replies of
 *                    DIRECT flows that XDP left, translated back. */
#define ZT_HOOK_TC /* ctx.h: these programs run at tc */
#include "lib/classify.h"
#include "lib/nat.h"
#include "lib/dns.h"
#include "lib/steer.h"

/* Their own BPF functions: the classifier and the NAT each take most of
 * the 512-byte stack, which two frames in a call chain may share only when
 * neither is inlined into the other. */
__noinline int zt_tc_nat_forward(struct __sk_buff *skb, struct zt_pkt *p,
				 const struct zt_decision *d, __u32 l3)
{
	struct zt_ctx c;

	if (!p || !d)
		return TC_ACT_SHOT;
	zt_ctx_from_skb(&c, skb, (int)l3);
	return zt_nat_forward(skb, &c, p, d, 0);
}

/* Global, with its own frame: the socket look-up's tuple would not fit
 * beside the classifier's. */
__noinline int zt_tc_steer(struct __sk_buff *skb, const struct zt_pkt *p, __u32 len)
{
	if (!p)
		return TC_ACT_SHOT;
	return zt_steer(skb, p, len);
}

static __noinline void zt_tc_classify(struct zt_ctx *c, struct zt_decision *d,
				      struct zt_pkt *p)
{
	zt_classify(c, d, p);
}

static __always_inline int zt_tc_act(struct __sk_buff *skb, struct zt_ctx *c,
				     struct zt_pkt *p, const struct zt_decision *d)
{
	if (d->verdict == ZT_V_DROP)
		return TC_ACT_SHOT;
	if (d->verdict == ZT_V_STEER)
		return zt_tc_steer(skb, p, c->len);
	if (d->verdict == ZT_V_DIRECT && d->nat)
		return zt_tc_nat_forward(skb, p, d, c->l3);
	return TC_ACT_OK;
}

/* Global: the verifier checks it once, on its own, and not again for each
 * state its caller reaches it in. It may change the packet: its caller
 * uses no packet pointer after it. */
__noinline int zt_tc_dns(struct __sk_buff *skb, const struct zt_pkt *p, __u32 vnet, __u32 l3)
{
	struct zt_ctx c;

	if (!p)
		return -1;
	zt_ctx_from_skb(&c, skb, (int)l3);
	return zt_dns_answer(skb, &c, p, vnet, 0);
}

static __always_inline int zt_tc_full(struct __sk_buff *skb, int l3)
{
	struct zt_decision d;
	struct zt_pkt p;
	struct zt_ctx c;
	int rc;

	zt_ctx_from_skb(&c, skb, l3);
	zt_tc_classify(&c, &d, &p);
	if (zt_options_drop(&c, &p, &d))
		return TC_ACT_SHOT;
	/* Not routed by zt (passed whatever happens): perhaps a query to ztd
	 * the cache answers. */
	if (d.verdict == ZT_V_PASS && d.reason == ZT_R_NO_ROUTE && zt_dns_for_us(&p)) {
		rc = zt_tc_dns(skb, &p, d.vnet_id, (__u32)l3);
		return rc >= 0 ? rc : TC_ACT_OK;
	}
	return zt_tc_act(skb, &c, &p, &d);
}

/* After XDP: acts on the verdict XDP cached for the packet's flow (or
 * fragment). The keys go in the per-CPU scratch: this frame must leave
 * room for the NAT's (6.1 rounds every frame up to 32 bytes against the
 * 512 of a call chain). */
SEC("tc")
int zt_tc_ingress(struct __sk_buff *skb)
{
	struct zt_nat_scratch *s = zt_scratch();
	struct zt_decision d = {};
	struct zt_pkt p = {};
	const struct zt_state *st;
	struct zt_flow *f;
	struct zt_ctx c;
	__u32 zero = 0;

	zt_ctx_from_skb(&c, skb, 0);
	/* XDP dropped everything that does not parse. */
	if (!s || zt_parse(&c, &p))
		return TC_ACT_OK;
	if (p.frag == ZT_FRAG_LATER) {
		/* XDP followed its first fragment (or dropped it). Through
		 * the NAT it cannot go: left by generic XDP, it must not
		 * reach the stack untranslated. */
		st = bpf_map_lookup_elem(&zt_state, &zero);
		if (!st || !zt_frag_verdict(&c, &p, st->half[st->active & 1].generation, &d,
					    &s->frk) ||
		    (d.verdict == ZT_V_DIRECT && d.nat))
			return TC_ACT_SHOT;
		return zt_tc_act(skb, &c, &p, &d);
	}
	__builtin_memset(&s->fk, 0, sizeof(s->fk));
	zt_flow_key(&c, &p, &s->fk);
	f = bpf_map_lookup_elem(&zt_flows, &s->fk);
	st = bpf_map_lookup_elem(&zt_state, &zero);
	if (!f || !st || f->generation != st->half[st->active & 1].generation) {
		/* XDP's entry is gone already (a full flow map evicts), or
		 * is of another policy (XDP decided the packet from the drop
		 * cache and left an old flow be): never passed undecided.
		 * Dropped, not decided again here: the classifier's frame
		 * does not fit beside this one; the sender's next packet is
		 * decided by XDP afresh. */
		zt_count(ZT_C_TC_MISS);
		return TC_ACT_SHOT;
	}
	d.verdict = f->verdict;
	d.nat = !!(f->flags & ZT_FLOW_F_NAT);
	d.vnet_id = f->vnet_id;
	d.route_id = f->route_id;
	d.iri_epoch = f->iri_epoch;
	d.device_id = f->device_id;
	return zt_tc_act(skb, &c, &p, &d);
}

SEC("tc")
int zt_tc_ingress_l3(struct __sk_buff *skb)
{
	return zt_tc_full(skb, 1);
}

SEC("tc")
int zt_tc_ingress_eth(struct __sk_buff *skb)
{
	return zt_tc_full(skb, 0);
}

SEC("tc")
int zt_tc_private(struct __sk_buff *skb)
{
	struct zt_ctx c;

	zt_ctx_from_skb(&c, skb, 0);
	return zt_nat_reverse(skb, &c, 0);
}

SEC("tc")
int zt_tc_private_l3(struct __sk_buff *skb)
{
	struct zt_ctx c;

	zt_ctx_from_skb(&c, skb, 1);
	return zt_nat_reverse(skb, &c, 0);
}

char LICENSE[] SEC("license") = "GPL";
