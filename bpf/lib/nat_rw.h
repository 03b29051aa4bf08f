/* SPDX-License-Identifier: GPL-2.0 */
/* nat_rw.h — rewriting a translated packet's tuple (DESIGN §2): its
 * addresses and port (ICMP echo: identifier) become a zt_nat entry's,
 * with the IP and L4 checksums updated incrementally (csum.h) at XDP, and
 * with the kernel's helpers at tc, which know CHECKSUM_PARTIAL. nat.h
 * decides what a packet becomes; this only writes it. */
#ifndef ZT_BPF_NAT_RW_H
#define ZT_BPF_NAT_RW_H

#include "classify.h"
#include "csum.h"

/* How a packet's checksums change when its tuple becomes n's. */
struct zt_rw {
	__u32 d_addr;  /* source and destination address (pseudo header) */
	__u32 d_port;  /* ports, or the ICMP echo identifier */
	__u32 d_ttl;   /* the TTL decrement (IPv4 header) */
	__u16 l4csum;  /* offset of the L4 checksum field from c->data */
	__u8  udp4;    /* UDP over IPv4: a zero checksum stays zero */
	__u8  icmp4;   /* ICMPv4: no pseudo header */
};

/* The IP header at l3 gets n's addresses and its TTL/hop limit minus one.
 * *d_ttl: the TTL's share of the IPv4 header checksum change; XDP applies
 * the whole change here (d_addr: the addresses' share). Returns 0, or -1
 * when the header is not there. */
static __always_inline int zt_ip_rewrite(__u8 *l3, void *end, __u8 family,
					 const struct zt_nat *n, __u32 d_addr, __u32 *d_ttl,
					 int xdp)
{
	*d_ttl = 0;
	if (family == ZT_AF_INET) {
		struct iphdr *ip = (void *)l3;
		__u16 ow, nw;

		if ((void *)(ip + 1) > end)
			return -1;
		__builtin_memcpy(&ow, &ip->ttl, 2);
		ip->ttl--;
		__builtin_memcpy(&nw, &ip->ttl, 2);
		*d_ttl = zt_csum_d16(0, ow, nw);
		__builtin_memcpy(&ip->saddr, n->src, 4);
		__builtin_memcpy(&ip->daddr, n->dst, 4);
		if (xdp)
			zt_csum_apply(&ip->check, zt_csum_add(d_addr, *d_ttl));
	} else {
		struct ipv6hdr *ip6 = (void *)l3;

		if ((void *)(ip6 + 1) > end)
			return -1;
		ip6->hop_limit--;
		__builtin_memcpy(&ip6->saddr, n->src, 16);
		__builtin_memcpy(&ip6->daddr, n->dst, 16);
	}
	return 0;
}

/* Writes n's addresses and ports into the packet, decrements the TTL, and
 * fills *w. XDP also fixes the checksums here; tc does it afterwards with
 * zt_rw_csum_skb. Returns 0, or -1 when a header is not where the parser
 * said (cannot happen; fail closed). */
static __always_inline int zt_rw_write(struct zt_ctx *c, const struct zt_pkt *p,
				       const struct zt_nat *n, struct zt_rw *w, int xdp)
{
	void *data = c->data, *end = c->data_end;
	__u32 l3off = p->l3off, l4off = p->l4off;
	__u8 *l3, *l4;
	__u16 *csum;

	__builtin_memset(w, 0, sizeof(*w));
	if (l3off > 64 || l4off > ZT_MAX_L4)
		return -1;
	l3 = data + zt_bound(l3off, 0x7f);
	l4 = data + zt_bound(l4off, 0x1ff);
	w->d_addr = zt_csum_daddr(0, p->family, p->src, n->src);
	w->d_addr = zt_csum_daddr(w->d_addr, p->family, p->dst, n->dst);
	/* ICMP echo: the identifier is sport, and dport is 0 on both sides. */
	w->d_port = zt_csum_d16(0, p->sport, n->sport);
	w->d_port = zt_csum_d16(w->d_port, p->dport, n->dport);

	if (zt_ip_rewrite(l3, end, p->family, n, w->d_addr, &w->d_ttl, xdp))
		return -1;

	switch (p->proto) {
	case IPPROTO_TCP:
		if (l4 + ZT_TCP_HLEN > (__u8 *)end)
			return -1;
		__builtin_memcpy(l4, &n->sport, 2);
		__builtin_memcpy(l4 + 2, &n->dport, 2);
		w->l4csum = (__u16)(l4off + 16);
		csum = (__u16 *)(l4 + 16);
		break;
	case IPPROTO_UDP:
		if (l4 + ZT_UDP_HLEN > (__u8 *)end)
			return -1;
		__builtin_memcpy(l4, &n->sport, 2);
		__builtin_memcpy(l4 + 2, &n->dport, 2);
		w->l4csum = (__u16)(l4off + 6);
		w->udp4 = p->family == ZT_AF_INET;
		csum = (__u16 *)(l4 + 6);
		break;
	default: /* ICMP echo */
		if (l4 + ZT_ICMP_HLEN > (__u8 *)end)
			return -1;
		__builtin_memcpy(l4 + 4, &n->sport, 2);
		w->l4csum = (__u16)(l4off + 2);
		w->icmp4 = p->proto == IPPROTO_ICMP;
		csum = (__u16 *)(l4 + 2);
		break;
	}
	if (!xdp || (w->udp4 && !*csum))
		return 0;
	zt_csum_apply(csum, w->icmp4 ? w->d_port : zt_csum_add(w->d_addr, w->d_port));
	if (w->udp4 && !*csum)
		*csum = 0xffff;
	return 0;
}

/* tc: the checksums, after zt_rw_write, through the helpers that keep
 * CHECKSUM_PARTIAL and CHECKSUM_COMPLETE skbs right. */
static __always_inline int zt_rw_csum_skb(struct __sk_buff *skb, const struct zt_pkt *p,
					  const struct zt_rw *w)
{
	__u64 mm = w->udp4 ? BPF_F_MARK_MANGLED_0 : 0;

	if (p->family == ZT_AF_INET &&
	    bpf_l3_csum_replace(skb, p->l3off + 10, 0, zt_csum_add(w->d_addr, w->d_ttl), 0))
		return -1;
	if (!w->icmp4 &&
	    bpf_l4_csum_replace(skb, w->l4csum, 0, w->d_addr, BPF_F_PSEUDO_HDR | mm))
		return -1;
	if (bpf_l4_csum_replace(skb, w->l4csum, 0, w->d_port, mm))
		return -1;
	return 0;
}

#endif
