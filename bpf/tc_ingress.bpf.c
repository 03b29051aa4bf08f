// SPDX-License-Identifier: GPL-2.0
/* tc_ingress — two clsact ingress programs sharing the flow map:
 *  zt_tc_ingress:    on Ethernet devices, after XDP has decided: acts on the
 *                    cached verdict (STEER is marked for the proxy's
 *                    policy-routing rule) without counting the packet twice;
 *  zt_tc_ingress_l3: on L3 devices (WireGuard), where XDP cannot attach: the
 *                    whole classifier. */
#include <linux/pkt_cls.h>
#include "lib/classify.h"

static __always_inline int zt_tc_act(struct __sk_buff *skb, __u8 verdict)
{
	if (verdict == ZT_V_DROP)
		return TC_ACT_SHOT;
	if (verdict == ZT_V_STEER) {
		skb->mark = ZT_MARK_STEER;
		zt_count(ZT_C_STEER_MARKED);
	}
	return TC_ACT_OK;
}

SEC("tc")
int zt_tc_ingress(struct __sk_buff *skb)
{
	struct zt_flow_key fk = {};
	struct zt_pkt p = {};
	struct zt_flow *f;
	struct zt_ctx c;

	zt_ctx_from_skb(&c, skb, 0);
	/* XDP dropped everything that does not parse. */
	if (zt_parse(&c, &p) || p.frag == ZT_FRAG_LATER)
		return TC_ACT_OK;
	zt_flow_key(&c, &p, &fk);
	f = bpf_map_lookup_elem(&zt_flows, &fk);
	if (!f)
		return TC_ACT_OK;
	return zt_tc_act(skb, f->verdict);
}

SEC("tc")
int zt_tc_ingress_l3(struct __sk_buff *skb)
{
	struct zt_decision d;
	struct zt_ctx c;

	zt_ctx_from_skb(&c, skb, 1);
	zt_classify(&c, &d);
	return zt_tc_act(skb, d.verdict);
}

char LICENSE[] SEC("license") = "GPL";
