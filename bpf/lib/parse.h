/* SPDX-License-Identifier: GPL-2.0 */
/* parse.h — Ethernet (+ one 802.1Q/802.1ad tag), IPv4 (IHL, options,
 * fragments), IPv6 (extension headers up to a bound), TCP, UDP, ICMP(v6).
 * Every truncation or inconsistency is a drop reason: nothing unparseable is
 * ever passed on as if it were fine. */
#ifndef ZT_BPF_PARSE_H
#define ZT_BPF_PARSE_H

#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include "ctx.h"

#define ZT_IPV6_MAX_EXT 8 /* extension headers walked before giving up */

enum zt_frag_kind {
	ZT_FRAG_NONE  = 0,
	ZT_FRAG_FIRST = 1, /* offset 0, more fragments: carries the L4 header */
	ZT_FRAG_LATER = 2, /* offset > 0: no L4 header, follows the first */
};

struct zt_pkt {
	__u8   family;
	__u8   proto;
	__u8   pclass; /* enum zt_pclass */
	__u8   frag;   /* enum zt_frag_kind */
	__be16 sport;
	__be16 dport;
	__u32  frag_id;
	__u8   src[16];
	__u8   dst[16];
	__u16  l3off;   /* IP header, from c->data */
	__u16  l4off;   /* TCP/UDP/ICMP header (0: none parsed) */
	__u8   icmp_type;
	__u8   ttl;     /* TTL or hop limit */
	/* Fragments: the protocol every fragment of the datagram names (IPv6:
	 * the fragment header's next header, which the first fragment's
	 * proto is not when more extension headers follow it). */
	__u8   frag_proto;
	__u8   ip4_optlen; /* IPv4 options' bytes after the fixed header */
	__u16  vlan;       /* 802.1Q id it came with (0: none): part of its identity */
};

/* Header sizes the parser insists on. */
#define ZT_ETH_HLEN  14
#define ZT_VLAN_HLEN 4
#define ZT_TCP_HLEN  20
#define ZT_UDP_HLEN  8
#define ZT_ICMP_HLEN 8

/* An L4 header further in than this is not rewritten (nat.h) nor looked
 * into (icmp.h): the offsets there are bounded with zt_bound(.., 0x1ff). */
#define ZT_MAX_L4 256

#define ZT_PARSE_NON_IP (-1)

static __always_inline int zt_parse_l4(struct zt_ctx *c, void *l4, struct zt_pkt *p)
{
	__u8 *b = l4;

	p->l4off = (__u16)(l4 - c->data);
	switch (p->proto) {
	case IPPROTO_TCP:
		if (l4 + ZT_TCP_HLEN > c->data_end)
			return ZT_R_TRUNC_L4;
		p->pclass = ZT_PC_TCP;
		__builtin_memcpy(&p->sport, b, 2);
		__builtin_memcpy(&p->dport, b + 2, 2);
		return 0;
	case IPPROTO_UDP:
		if (l4 + ZT_UDP_HLEN > c->data_end)
			return ZT_R_TRUNC_L4;
		p->pclass = ZT_PC_UDP;
		__builtin_memcpy(&p->sport, b, 2);
		__builtin_memcpy(&p->dport, b + 2, 2);
		return 0;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (l4 + ZT_ICMP_HLEN > c->data_end)
			return ZT_R_TRUNC_L4;
		p->pclass = ZT_PC_ICMP;
		p->icmp_type = b[0];
		/* Echo request/reply: the identifier tells pings apart. */
		if ((p->proto == IPPROTO_ICMP && (b[0] == 8 || b[0] == 0)) ||
		    (p->proto == IPPROTO_ICMPV6 && (b[0] == 128 || b[0] == 129)))
			__builtin_memcpy(&p->sport, b + 4, 2);
		return 0;
	default:
		p->pclass = ZT_PC_OTHER;
		return 0;
	}
}

/* IPv4 options, len bytes at offset off of the packet: 1 for a loose or
 * strict source route (it would send the packet on past the destination
 * zt decides for), 2 for malformed options, 0 for the rest. Copied out
 * with the hook's load-bytes helper and walked by bpf_loop, in a global
 * function: verified once, where a walk over the packet branching on
 * every option's length would be verified once per path through it. */
#define ZT_IPOPT_LSRR 131
#define ZT_IPOPT_SSRR 137
/* The options, copied out, and the walk over them: per CPU, since the
 * stack is the classifier's (bpf_loop gets no context of its own). */
struct zt_opt_walk {
	__u8  b[64];
	__u32 len;
	__u32 at;     /* offset of the next option */
	int   res;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zt_opt_walk);
} zt_opt_walk SEC(".maps");

static long zt_opt_step(__u32 i, void *arg)
{
	struct zt_opt_walk *w;
	__u32 at, zero = 0;
	__u8 t, l;

	(void)i;
	(void)arg;
	w = bpf_map_lookup_elem(&zt_opt_walk, &zero);
	if (!w)
		return 1;
	at = w->at;
	if (at >= w->len)
		return 1;
	t = w->b[at & 63];
	if (t == 0) /* end of options */
		return 1;
	if (t == 1) { /* no-op */
		w->at = at + 1;
		return 0;
	}
	if (t == ZT_IPOPT_LSRR || t == ZT_IPOPT_SSRR) {
		w->res = 1;
		return 1;
	}
	l = w->b[(at + 1) & 63];
	if (l < 2 || at + l > w->len) {
		w->res = 2;
		return 1;
	}
	w->at = at + l;
	return 0;
}

__noinline int zt_ip4_options(ZT_RAW_CTX *ctx, __u64 off, __u64 len)
{
	struct zt_opt_walk *w;
	__u32 zero = 0;
	__u64 n;

	if (!ctx || !len || len > 40)
		return 2;
	w = bpf_map_lookup_elem(&zt_opt_walk, &zero);
	if (!w)
		return 2;
	/* The size as the verifier can bound it, 1 to 64 (6.1 learns no
	 * lower bound from a != 0 test); it is len itself for 1 to 40. */
	n = ((len - 1) & 63) + 1;
#ifdef ZT_HOOK_TC
	if (bpf_skb_load_bytes(ctx, off & 1023, w->b, n))
#else
	if (bpf_xdp_load_bytes(ctx, off & 1023, w->b, n))
#endif
		return 2;
	w->len = (__u32)len;
	w->at = 0;
	w->res = 0;
	bpf_loop(40, zt_opt_step, NULL, 0);
	return w->res;
}

static __always_inline int zt_parse_ip4(struct zt_ctx *c, void *l3, struct zt_pkt *p)
{
	struct iphdr *ip = l3;
	__u32 hlen, tot, avail;
	__u16 frag;

	if (l3 + sizeof(*ip) > c->data_end)
		return ZT_R_TRUNC_IP;
	if (ip->version != 4 || ip->ihl < 5)
		return ZT_R_BAD_IP;
	hlen = ip->ihl * 4;
	if (l3 + hlen > c->data_end)
		return ZT_R_TRUNC_IP;
	tot = bpf_ntohs(ip->tot_len);
	avail = c->len - (__u32)(l3 - c->data);
	if (tot < hlen)
		return ZT_R_BAD_IP;
	if (tot > avail)
		return ZT_R_TRUNC_IP;

	p->family = ZT_AF_INET;
	p->proto = ip->protocol;
	p->l3off = (__u16)(l3 - c->data);
	p->ttl = ip->ttl;
	__builtin_memcpy(p->src, &ip->saddr, 4);
	__builtin_memcpy(p->dst, &ip->daddr, 4);

	p->ip4_optlen = (__u8)(hlen - sizeof(*ip));
	p->frag_proto = ip->protocol;
	frag = bpf_ntohs(ip->frag_off);
	if (frag & 0x1fff) {
		p->frag = ZT_FRAG_LATER;
		p->frag_id = bpf_ntohs(ip->id);
		return 0;
	}
	if (frag & 0x2000) {
		p->frag = ZT_FRAG_FIRST;
		p->frag_id = bpf_ntohs(ip->id);
	}
	return zt_parse_l4(c, l3 + hlen, p);
}

struct zt_ip6_ext {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct zt_ip6_frag {
	__u8   nexthdr;
	__u8   reserved;
	__be16 frag_off; /* offset << 3 | M */
	__be32 id;
};

static __always_inline int zt_parse_ip6(struct zt_ctx *c, void *l3, struct zt_pkt *p)
{
	struct ipv6hdr *ip6 = l3;
	void *pos = l3 + sizeof(*ip6);
	__u32 plen, avail;
	__u8 nh;
	int i;

	if (pos > c->data_end)
		return ZT_R_TRUNC_IP;
	if (ip6->version != 6)
		return ZT_R_BAD_IP;
	plen = bpf_ntohs(ip6->payload_len);
	avail = c->len - (__u32)(l3 - c->data);
	/* payload_len 0 is only valid for jumbo/BIG TCP aggregates (> 64 KiB). */
	if (plen == 0 ? avail <= 65535 + sizeof(*ip6) : plen + sizeof(*ip6) > avail)
		return plen ? ZT_R_TRUNC_IP : ZT_R_BAD_IP;

	p->family = ZT_AF_INET6;
	p->l3off = (__u16)(l3 - c->data);
	p->ttl = ip6->hop_limit;
	__builtin_memcpy(p->src, &ip6->saddr, 16);
	__builtin_memcpy(p->dst, &ip6->daddr, 16);
	nh = ip6->nexthdr;

	for (i = 0; i < ZT_IPV6_MAX_EXT; i++) {
		struct zt_ip6_ext *ext = pos;
		struct zt_ip6_frag *fh = pos;
		__u16 off;

		switch (nh) {
		case IPPROTO_ROUTING:
			/* Segments left: the packet goes on past the
			 * destination zt decides for (RH0, SRH). */
			if (pos + 4 > c->data_end)
				return ZT_R_IPV6_EXT;
			if (((__u8 *)pos)[3])
				return ZT_R_SRC_ROUTE;
			/* fall through */
		case IPPROTO_HOPOPTS:
		case IPPROTO_DSTOPTS:
			if (pos + sizeof(*ext) > c->data_end)
				return ZT_R_IPV6_EXT;
			nh = ext->nexthdr;
			pos += (ext->hdrlen + 1) * 8;
			break;
		case IPPROTO_AH:
			if (pos + sizeof(*ext) > c->data_end)
				return ZT_R_IPV6_EXT;
			nh = ext->nexthdr;
			pos += (ext->hdrlen + 2) * 4;
			break;
		case IPPROTO_FRAGMENT:
			if (pos + sizeof(*fh) > c->data_end)
				return ZT_R_IPV6_EXT;
			nh = fh->nexthdr;
			off = bpf_ntohs(fh->frag_off);
			p->frag_id = bpf_ntohl(fh->id);
			p->frag_proto = nh;
			if (off & 0xfff8) {
				p->frag = ZT_FRAG_LATER;
				p->proto = nh;
				return 0;
			}
			if (off & 1)
				p->frag = ZT_FRAG_FIRST;
			pos += sizeof(*fh);
			break;
		default:
			p->proto = nh;
			if (pos > c->data_end)
				return ZT_R_IPV6_EXT;
			return zt_parse_l4(c, pos, p);
		}
	}
	/* Still inside the extension chain after the bound. */
	return ZT_R_IPV6_EXT;
}

/* Returns 0 for a parsed IP packet, ZT_PARSE_NON_IP for traffic zt does not
 * police (ARP, LLDP, ...), or a ZT_R_* drop reason. */
static __always_inline int zt_parse(struct zt_ctx *c, struct zt_pkt *p)
{
	void *pos = c->data;
	__be16 proto;

	if (c->l3) {
		if (c->family_hint == ZT_AF_INET)
			return zt_parse_ip4(c, pos, p);
		if (c->family_hint == ZT_AF_INET6)
			return zt_parse_ip6(c, pos, p);
		return ZT_PARSE_NON_IP;
	}

	if (pos + ZT_ETH_HLEN > c->data_end)
		return ZT_R_BAD_ETH;
	__builtin_memcpy(&proto, pos + 12, 2);
	pos += ZT_ETH_HLEN;
	p->vlan = c->vlan; /* tc: the tag the stack took off */
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		__be16 tci;

		if (pos + ZT_VLAN_HLEN > c->data_end)
			return ZT_R_BAD_ETH;
		/* A second tag, in the frame or taken off already, would be
		 * decapsulated by the stack past us. */
		if (c->vlan)
			return ZT_R_BAD_ETH;
		__builtin_memcpy(&tci, pos, 2);
		p->vlan = bpf_ntohs(tci) & 0xfff;
		__builtin_memcpy(&proto, pos + 2, 2);
		pos += ZT_VLAN_HLEN;
		/* A second tag would be decapsulated by the stack past us. */
		if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD))
			return ZT_R_BAD_ETH;
	}
	if (proto == bpf_htons(ETH_P_IP))
		return zt_parse_ip4(c, pos, p);
	if (proto == bpf_htons(ETH_P_IPV6))
		return zt_parse_ip6(c, pos, p);
	return ZT_PARSE_NON_IP;
}

/* Two 16-byte addresses (IPv4 in the first 4, the rest zero) equal. */
static __always_inline int zt_addr_eq(const __u8 *a, const __u8 *b)
{
	__u64 x0, x1, y0, y1;

	__builtin_memcpy(&x0, a, 8);
	__builtin_memcpy(&x1, a + 8, 8);
	__builtin_memcpy(&y0, b, 8);
	__builtin_memcpy(&y1, b + 8, 8);
	return x0 == y0 && x1 == y1;
}

#endif
