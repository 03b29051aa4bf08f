/* SPDX-License-Identifier: GPL-2.0 */
/* dns.h — DNS answers the programs give themselves. An A or AAAA query over
 * UDP/IPv4 to one of ztd's listen addresses, for a name ztd already
 * answered with an IRI and cached in zt_dns_cache (only names whose answer
 * is the same for everyone in the asker's vnet, under the policy
 * generation in force), is turned into its answer in place and sent back
 * out of the interface it came in on. Anything else (another type or
 * class, IPv6 transport, a name not cached or too long, compression, EDNS
 * other than a last OPT of version 0, a stale generation) goes on to
 * ztd, which answers it the long way. The socket path and ztd's wakeup,
 * which were most of the cost of a query, are skipped (docs/dns.md). */
#ifndef ZT_BPF_DNS_H
#define ZT_BPF_DNS_H

#include "csum.h"
#include "maps.h"
#include "parse.h"

#define ZT_DNSQ_HDR     12
#define ZT_DNSQ_OPT     11     /* an OPT record without options */
#define ZT_DNSQ_UDP_MAX 4096   /* the UDP size our OPT advertises (as ztd's) */
#define ZT_DNSQ_MAX_LEN 512    /* longer queries are ztd's */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zt_dns_key);
} zt_dns_scratch SEC(".maps");

/* 1 when a < b (both below 2^32), 0 otherwise, without a branch: the
 * shift is asm so the compiler cannot turn it back into a comparison. */
static __always_inline __u32 zt_below(__u64 a, __u64 b)
{
	__u64 d = a - b;

	asm volatile("%0 >>= 63" : "+r"(d));
	return (__u32)d;
}

/* The key's name in lower case, and nothing after its k->len octets: the
 * key must be exact (a label's length octet, at most 63, is never a
 * capital). A global function without branches: the verifier checks it
 * once, not once for every path that reaches it. */
__noinline int zt_dns_key_fold(struct zt_dns_key *k)
{
	__u32 i, len;

	if (!k)
		return -1;
	len = k->len;
	for (i = 0; i < ZT_DNS_CACHE_NAME; i++) {
		__u32 v = k->name[i];

		k->name[i] = (__u8)((v + 32 * zt_below((__u32)(v - 'A'), 26)) * zt_below(i, len));
	}
	return 0;
}

static __always_inline __u16 zt_be16_at(const __u8 *b)
{
	return (__u16)(b[0] << 8 | b[1]);
}

/* Is the packet for ztd's DNS server over UDP/IPv4: its address (or any)
 * and port? */
static __always_inline int zt_dns_for_us(const struct zt_pkt *p)
{
	struct zt_dns_listen_key lk = {};

	if (p->family != ZT_AF_INET || p->proto != IPPROTO_UDP || p->frag != ZT_FRAG_NONE ||
	    !p->l4off)
		return 0;
	lk.family = ZT_AF_INET;
	lk.port = p->dport;
	__builtin_memcpy(lk.addr, p->dst, 4);
	return bpf_map_lookup_elem(&zt_dns_listen, &lk) != 0;
}

/* The query in the packet (its DNS message at dns, plen bytes, off from
 * the start of the packet), if it is one the cache may answer: its name
 * into k (lower case), *qlen the question's length after the header, *opt
 * whether it ends with an OPT and *dobit its DO flag. Returns 0 or -1. */
static __always_inline int zt_dns_query(void *ctx, const struct zt_ctx *c, __u8 *dns,
					__u32 off, __u32 plen, int xdp, struct zt_dns_key *k,
					__u32 *qlen, int *opt, __u8 *dobit)
{
	__u32 i, n, pos = 0, len = 0;
	__u8 *q, *o;
	__u16 ar;

	if (dns + ZT_DNSQ_HDR > (__u8 *)c->data_end)
		return -1;
	/* A standard query (QR 0, opcode 0), one question, nothing else but
	 * an OPT. */
	if ((dns[2] & 0xf8) || zt_be16_at(dns + 4) != 1 || zt_be16_at(dns + 6) ||
	    zt_be16_at(dns + 8))
		return -1;
	ar = zt_be16_at(dns + 10);
	if (ar > 1)
		return -1;
	/* The name's bytes, as many as the cache holds, then label by label:
	 * a helper copy and a walk the verifier takes in one pass each. */
	n = plen - ZT_DNSQ_HDR;
	if (n > ZT_DNS_CACHE_NAME)
		n = ZT_DNS_CACHE_NAME;
	if (!n)
		return -1;
	n = zt_bound(n - 1, ZT_DNS_CACHE_NAME - 1) + 1; /* 1..128 where the verifier sees it */
	if (xdp ? bpf_xdp_load_bytes(ctx, off + ZT_DNSQ_HDR, k->name, n)
		: bpf_skb_load_bytes(ctx, off + ZT_DNSQ_HDR, k->name, n))
		return -1;
	for (i = 0; i < ZT_DNS_CACHE_NAME / 2; i++) {
		__u8 v;

		if (pos >= n)
			return -1; /* longer than the cache holds, or cut short */
		v = k->name[zt_bound(pos, 0x7f)];
		if (!v) {
			len = pos + 1;
			break;
		}
		if (v > 63) /* a compression pointer, or no label */
			return -1;
		pos += v + 1;
	}
	if (!len)
		return -1;
	k->len = (__u8)len;
	zt_dns_key_fold(k);
	q = dns + ZT_DNSQ_HDR + zt_bound(len, 0xff);
	if (q + 4 > (__u8 *)c->data_end)
		return -1;
	k->qtype = zt_be16_at(q);
	if ((k->qtype != 1 && k->qtype != 28) || zt_be16_at(q + 2) != 1)
		return -1;
	*qlen = len + 4;
	*opt = ar;
	*dobit = 0;
	if (!ar)
		return plen == ZT_DNSQ_HDR + *qlen ? 0 : -1;
	o = q + 4;
	if (o + ZT_DNSQ_OPT > (__u8 *)c->data_end)
		return -1;
	/* Root owner, type OPT, version 0, and the last thing in the packet. */
	if (o[0] || zt_be16_at(o + 1) != 41 || o[6] ||
	    plen != ZT_DNSQ_HDR + *qlen + ZT_DNSQ_OPT + zt_be16_at(o + 9))
		return -1;
	*dobit = o[7] & 0x80;
	return 0;
}

/* Answers the packet (parsed into p; from an asker in vnet) from the cache
 * when it can: returns the hook's action (the answer redirected back), or
 * -1 when it is not one to answer here, the packet as it was. Called from
 * a global function of each program (see xdp_ingress, tc_ingress). */
static __always_inline int zt_dns_answer(void *ctx, struct zt_ctx *c, const struct zt_pkt *p,
					 __u32 vnet, int xdp)
{
	__u8 *data, *end, *ip, *udp, *dns, *ans, mac[12], addr[8], dobit, flags2, flags3;
	__u32 zero = 0, l4off, plen, qlen, nplen, rrlen, ttl, frame;
	struct zt_dns_key *k = bpf_map_lookup_elem(&zt_dns_scratch, &zero);
	struct zt_dns_val *v;
	struct zt_state *st;
	__be16 ports[2];
	int opt;

	if (!k) /* the callers asked zt_dns_for_us */
		return -1;
	l4off = zt_bound(p->l4off, 0x1ff);
	udp = c->data + l4off;
	if (udp + 8 > (__u8 *)c->data_end)
		return -1;
	plen = zt_be16_at(udp + 4);
	if (plen < 8 + ZT_DNSQ_HDR || plen > 8 + ZT_DNSQ_MAX_LEN)
		return -1;
	plen -= 8;
	__builtin_memset(k, 0, sizeof(*k));
	if (zt_dns_query(ctx, c, udp + 8, l4off + 8, plen, xdp, k, &qlen, &opt, &dobit))
		return -1;
	k->vnet = vnet;
	v = bpf_map_lookup_elem(&zt_dns_cache, k);
	st = bpf_map_lookup_elem(&zt_state, &zero);
	if (!v || !st || v->generation != st->half[st->active & 1].generation)
		return -1;
	v->last_ns = bpf_ktime_get_coarse_ns();
	ttl = v->ttl;
	__builtin_memcpy(addr, v->addr, 8); /* IPv4: 4; the rest below */

	/* What the answer keeps from the query, read before the packet moves. */
	dns = udp + 8;
	ip = c->data + zt_bound(p->l3off, 0xff);
	if (ip + 20 > (__u8 *)c->data_end || ip[0] != 0x45)
		return -1; /* IP options: ztd's */
	flags2 = 0x84 | (dns[2] & 0x01); /* QR AA, RD as asked */
	flags3 = 0x80 | (dns[3] & 0x10); /* RA, CD as asked */
	__builtin_memcpy(ports, udp, 4);
	if (!c->l3) {
		struct ethhdr *eth = c->data;

		if ((void *)(eth + 1) > c->data_end)
			return -1;
		__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
		__builtin_memcpy(mac + ETH_ALEN, eth->h_dest, ETH_ALEN);
	}
	rrlen = k->qtype == 1 ? 16 : 28;
	nplen = ZT_DNSQ_HDR + qlen + rrlen + (opt ? ZT_DNSQ_OPT : 0);
	frame = l4off + 8 + nplen;
	/* From here the packet becomes the answer: a failure drops it (the
	 * caller's packet pointers are void after these helpers). */
	if (xdp) {
		if (bpf_xdp_adjust_tail(ctx, (int)frame - (int)(c->data_end - c->data)))
			goto drop;
		data = (void *)(long)((struct xdp_md *)ctx)->data;
		end = (void *)(long)((struct xdp_md *)ctx)->data_end;
	} else {
		if (bpf_skb_change_tail(ctx, frame, 0) || bpf_skb_pull_data(ctx, frame))
			goto drop;
		data = (void *)(long)((struct __sk_buff *)ctx)->data;
		end = (void *)(long)((struct __sk_buff *)ctx)->data_end;
	}
	if (!c->l3) {
		struct ethhdr *eth = (void *)data;

		if ((void *)(eth + 1) > (void *)end)
			goto drop;
		__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
		__builtin_memcpy(eth->h_source, mac + ETH_ALEN, ETH_ALEN);
	}
	ip = data + zt_bound(p->l3off, 0xff);
	udp = data + l4off;
	if (ip + 20 > end || udp + 8 + ZT_DNSQ_HDR > end)
		goto drop;
	__builtin_memcpy(ip + 12, p->dst, 4);
	__builtin_memcpy(ip + 16, p->src, 4);
	*(__be16 *)(ip + 2) = bpf_htons((__u16)(20 + 8 + nplen));
	*(__be16 *)(ip + 4) = 0; /* id */
	*(__be16 *)(ip + 6) = 0; /* no DF, offset 0 */
	ip[8] = 64;
	*(__u16 *)(ip + 10) = 0;
	*(__u16 *)(ip + 10) = ~zt_csum_fold((__u32)bpf_csum_diff(0, 0, (__be32 *)ip, 20, 0));
	*(__be16 *)udp = ports[1];
	*(__be16 *)(udp + 2) = ports[0];
	*(__be16 *)(udp + 4) = bpf_htons((__u16)(8 + nplen));
	*(__u16 *)(udp + 6) = 0; /* IPv4: no checksum */
	dns = udp + 8;
	dns[2] = flags2;
	dns[3] = flags3;
	*(__be16 *)(dns + 6) = bpf_htons(1); /* ANCOUNT; ARCOUNT stays */
	ans = dns + ZT_DNSQ_HDR + zt_bound(qlen, 0x1ff);
	if (k->qtype == 1) {
		if (ans + 16 > end)
			goto drop;
		*(__be32 *)ans = bpf_htonl(0xc00c0001); /* the question's name, A */
		*(__be32 *)(ans + 4) = bpf_htonl(0x00010000 | (ttl >> 16));
		*(__be32 *)(ans + 8) = bpf_htonl(ttl << 16 | 4);
		__builtin_memcpy(ans + 12, addr, 4);
		ans += 16;
	} else {
		if (ans + 28 > end)
			goto drop;
		*(__be32 *)ans = bpf_htonl(0xc00c001c); /* the question's name, AAAA */
		*(__be32 *)(ans + 4) = bpf_htonl(0x00010000 | (ttl >> 16));
		*(__be32 *)(ans + 8) = bpf_htonl(ttl << 16 | 16);
		__builtin_memcpy(ans + 12, addr, 8);
		__builtin_memcpy(ans + 20, v->addr + 8, 8);
		ans += 28;
	}
	if (opt) {
		if (ans + ZT_DNSQ_OPT > end)
			goto drop;
		ans[0] = 0;                                   /* root */
		*(__be16 *)(ans + 1) = bpf_htons(41);         /* OPT */
		*(__be16 *)(ans + 3) = bpf_htons(ZT_DNSQ_UDP_MAX);
		ans[5] = 0;                                   /* extended rcode */
		ans[6] = 0;                                   /* version */
		ans[7] = dobit;
		ans[8] = 0;
		*(__be16 *)(ans + 9) = 0;                     /* no options */
	}
	zt_count(ZT_C_DNS_ANSWERED);
	/* Not XDP_TX: a veth flushes XDP_TX frames to its peer only when the
	 * peer has an XDP program; a redirect always. Its action is small and
	 * not negative: the mask says so to the verifier, for the caller must
	 * not go on with a packet that changed. */
	return (int)(bpf_redirect(c->ifindex, 0) & 0xff);
drop:
	return zt_act(xdp, 0);
}

#endif
