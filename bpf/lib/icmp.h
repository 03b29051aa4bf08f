/* SPDX-License-Identifier: GPL-2.0 */
/* icmp.h — ICMP and ICMPv6 as the NAT meets them (nat.h): which messages
 * are echoes and which are errors, and the packet an error quotes. What is
 * done with them (translated, answered, counted) is the NAT's, and so is
 * the too-big error it sends itself (built in its per-CPU scratch). */
#ifndef ZT_BPF_ICMP_H
#define ZT_BPF_ICMP_H

#include "parse.h"

/* An echo request or reply: its identifier stands in for a port. */
static __always_inline int zt_icmp_echo(const struct zt_pkt *p)
{
	return (p->proto == IPPROTO_ICMP && (p->icmp_type == 8 || p->icmp_type == 0)) ||
	       (p->proto == IPPROTO_ICMPV6 && (p->icmp_type == 128 || p->icmp_type == 129));
}

/* An error that quotes the packet it is about: destination unreachable,
 * time exceeded, parameter problem, and ICMPv6's packet too big. */
static __always_inline int zt_icmp_is_err(const struct zt_pkt *p)
{
	if (p->proto == IPPROTO_ICMP)
		return p->icmp_type == 3 || p->icmp_type == 11 || p->icmp_type == 12;
	return p->proto == IPPROTO_ICMPV6 && p->icmp_type >= 1 && p->icmp_type <= 4;
}

/* The quoted packet's headers and tuple into q (l3off/l4off from c->data):
 * an IPv4 header without options that is not a later fragment, or an IPv6
 * header straight followed by TCP, UDP or an echo request, with at least
 * the first 8 bytes of that. Returns 0, or -1 for anything else. */
static __always_inline int zt_inner_parse(struct zt_ctx *c, const struct zt_pkt *p,
					  struct zt_pkt *q)
{
	__u32 off;
	__u8 *l3, *l4;

	__builtin_memset(q, 0, sizeof(*q));
	if (p->l4off > ZT_MAX_L4)
		return -1;
	off = zt_bound(p->l4off + ZT_ICMP_HLEN, 0x1ff);
	l3 = c->data + off;
	q->family = p->family;
	if (p->family == ZT_AF_INET) {
		struct iphdr *ip = (void *)l3;

		if ((void *)(ip + 1) > c->data_end || ip->version != 4 || ip->ihl != 5 ||
		    (ip->frag_off & bpf_htons(0x1fff)))
			return -1;
		q->proto = ip->protocol;
		__builtin_memcpy(q->src, &ip->saddr, 4);
		__builtin_memcpy(q->dst, &ip->daddr, 4);
		l4 = l3 + sizeof(*ip);
	} else {
		struct ipv6hdr *ip6 = (void *)l3;

		if ((void *)(ip6 + 1) > c->data_end || ip6->version != 6)
			return -1;
		q->proto = ip6->nexthdr;
		__builtin_memcpy(q->src, &ip6->saddr, 16);
		__builtin_memcpy(q->dst, &ip6->daddr, 16);
		l4 = l3 + sizeof(*ip6);
	}
	if (l4 + 8 > (__u8 *)c->data_end)
		return -1;
	q->l3off = (__u16)off;
	q->l4off = (__u16)(l4 - (__u8 *)c->data);
	switch (q->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		q->pclass = q->proto == IPPROTO_TCP ? ZT_PC_TCP : ZT_PC_UDP;
		__builtin_memcpy(&q->sport, l4, 2);
		__builtin_memcpy(&q->dport, l4 + 2, 2);
		return 0;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (q->proto != p->proto || l4[0] != (q->proto == IPPROTO_ICMP ? 8 : 128))
			return -1;
		q->pclass = ZT_PC_ICMP;
		q->icmp_type = l4[0];
		__builtin_memcpy(&q->sport, l4 + 4, 2);
		return 0;
	}
	return -1;
}

#endif
