/* SPDX-License-Identifier: GPL-2.0 */
/* fib.h — the kernel's routing decision for a packet the programs forward
 * themselves (the NAT's, nat.h): bpf_fib_lookup, the length it checks
 * against a route's MTU, and what ztd says about the interface a route
 * leads out of (zt_ifaces). */
#ifndef ZT_BPF_FIB_H
#define ZT_BPF_FIB_H

#include "maps.h"
#include "parse.h"

static __always_inline struct zt_iface *zt_iface(__u32 ifindex)
{
	return bpf_map_lookup_elem(&zt_ifaces, &ifindex);
}

/* bpf_fib_lookup for dst from src arriving on ifindex; BPF_FIB_LKUP_RET_*.
 * A packet of tot_len bytes larger than the route's MTU gets
 * BPF_FIB_LKUP_RET_FRAG_NEEDED with the MTU in mtu_result (XDP; at tc a
 * tot_len of 0 has the kernel check the skb, GSO packets passing). */
static __always_inline int zt_fib(void *ctx, __u8 family, __u32 ifindex, const __u8 *src,
				  const __u8 *dst, __u16 tot_len, struct bpf_fib_lookup *fib)
{
	__builtin_memset(fib, 0, sizeof(*fib));
	fib->family = family;
	fib->ifindex = ifindex;
	fib->tot_len = tot_len;
	if (family == ZT_AF_INET) {
		__builtin_memcpy(&fib->ipv4_src, src, 4);
		__builtin_memcpy(&fib->ipv4_dst, dst, 4);
	} else {
		__builtin_memcpy(fib->ipv6_src, src, 16);
		__builtin_memcpy(fib->ipv6_dst, dst, 16);
	}
	return (int)bpf_fib_lookup(ctx, fib, sizeof(*fib), 0);
}

/* The IP packet's length, from its header (an XDP frame may be padded):
 * the tot_len its lookup checks. */
static __always_inline __u32 zt_l3_len(const struct zt_ctx *c, const struct zt_pkt *p)
{
	__u8 *l3 = c->data + zt_bound(p->l3off, 0xff);

	if (l3 + 6 > (__u8 *)c->data_end)
		return 0;
	if (p->family == ZT_AF_INET)
		return (__u32)l3[2] << 8 | l3[3];
	return 40 + ((__u32)l3[4] << 8 | l3[5]);
}

#endif
