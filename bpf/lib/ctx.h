/* SPDX-License-Identifier: GPL-2.0 */
/* ctx.h — the context abstraction: the classifier is written once over this
 * and runs at XDP (Ethernet devices) and at tc ingress (L3 devices such as
 * WireGuard, where XDP cannot attach); with the hook's action and the
 * offset bound that every module uses. */
#ifndef ZT_BPF_CTX_H
#define ZT_BPF_CTX_H

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "zt_abi.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* The hook an object's programs run at: tc objects define ZT_HOOK_TC
 * before including anything; the rest are XDP. */
#ifdef ZT_HOOK_TC
#define ZT_RAW_CTX struct __sk_buff
#else
#define ZT_RAW_CTX struct xdp_md
#endif

struct zt_ctx {
	void *raw;      /* the hook's own context (ZT_RAW_CTX) */
	void *data;     /* first byte the parser reads */
	void *data_end;
	__u32 ifindex;  /* ingress device: identity is bound to it */
	__u32 len;      /* whole packet length from data, for counters and
			 * IP total-length checks (tc: beyond the linear part) */
	__u8  l3;       /* data starts at the IP header (no Ethernet) */
	__u8  family_hint; /* l3 devices: ZT_AF_INET/6 from skb->protocol */
	__u16 vlan;     /* tc: the 802.1Q id the stack took off the frame */
};

static __always_inline void zt_ctx_from_xdp(struct zt_ctx *c, struct xdp_md *x)
{
	c->raw = x;
	c->data = (void *)(long)x->data;
	c->data_end = (void *)(long)x->data_end;
	c->ifindex = x->ingress_ifindex;
	c->len = (__u32)(c->data_end - c->data);
	c->l3 = 0;
	c->family_hint = 0;
	c->vlan = 0;
}

static __always_inline void zt_ctx_from_skb(struct zt_ctx *c, struct __sk_buff *skb,
					    int l3)
{
	/* Headers we parse must be in the linear part; pull at most 256 bytes
	 * (failure leaves the skb as it was and the parser sees a truncation,
	 * which fails closed). */
	__u32 want = skb->len < 256 ? skb->len : 256;

	if ((long)skb->data_end - (long)skb->data < (long)want)
		bpf_skb_pull_data(skb, want);
	c->raw = skb;
	c->data = (void *)(long)skb->data;
	c->data_end = (void *)(long)skb->data_end;
	c->ifindex = skb->ifindex;
	c->len = skb->len;
	c->l3 = (__u8)l3;
	c->family_hint = 0;
	c->vlan = skb->vlan_present ? skb->vlan_tci & 0xfff : 0;
	if (skb->protocol == bpf_htons(0x0800))
		c->family_hint = ZT_AF_INET;
	else if (skb->protocol == bpf_htons(0x86DD))
		c->family_hint = ZT_AF_INET6;
}

/* The hook's action for a packet passed on (pass) or dropped: the same
 * code runs at XDP and at tc, xdp a constant in every caller. */
static __always_inline int zt_act(int xdp, int pass)
{
	if (xdp)
		return pass ? XDP_PASS : XDP_DROP;
	return pass ? TC_ACT_OK : TC_ACT_SHOT;
}

/* v & mask, done where the verifier sees it (the compiler drops a mask it
 * can prove changes nothing, and the verifier needs it to bound a packet
 * offset that was only compared in another register). */
static __always_inline __u32 zt_bound(__u32 v, const __u32 mask)
{
	asm volatile("%0 &= %1" : "+r"(v) : "i"(mask));
	return v;
}

#endif
