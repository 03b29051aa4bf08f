/* SPDX-License-Identifier: GPL-2.0 */
/* steer.h — STEER at tc ingress: the packet goes to the proxy's socket,
 * unchanged. A segment of a connection the proxy accepted goes to that
 * socket; anything else to a listening socket of the proxy (zt_proxy, a
 * sockmap ztd fills: slot family * ZT_PROXY_PER_FAMILY + worker, a new
 * connection's worker by the packet's hash). The mark sends it through the
 * policy-routing rule ztd adds (fwmark ZT_MARK_STEER -> a table whose
 * default route is local), so the stack delivers it here and does not
 * forward it.
 *
 * UDP to a remote tunnel goes the same way to ztd's UDP sockets, which
 * carry it to the connector (zt_steer_udp_sock).
 *
 * Fails closed: with no proxy socket (ztd stopped), a socket of the
 * gateway's own holding the 4-tuple, or for a protocol the
 * proxy does not take, the packet is dropped and counted; it is never
 * left to the stack's own socket look-up, which would hand it to whatever
 * the gateway itself listens on at that port. */
#ifndef ZT_BPF_STEER_H
#define ZT_BPF_STEER_H

#include "maps.h"
#include "parse.h"

#ifndef BPF_TCP_LISTEN
#define BPF_TCP_TIME_WAIT    6
#define BPF_TCP_LISTEN       10
#define BPF_TCP_NEW_SYN_RECV 12
#endif

/* p's addresses and ports as a socket look-up takes them: the size. */
static __always_inline __u32 zt_steer_tuple(const struct zt_pkt *p, struct bpf_sock_tuple *t)
{
	if (p->family == ZT_AF_INET) {
		__builtin_memcpy(&t->ipv4.saddr, p->src, 4);
		__builtin_memcpy(&t->ipv4.daddr, p->dst, 4);
		t->ipv4.sport = p->sport;
		t->ipv4.dport = p->dport;
		return sizeof(t->ipv4);
	}
	__builtin_memcpy(t->ipv6.saddr, p->src, 16);
	__builtin_memcpy(t->ipv6.daddr, p->dst, 16);
	t->ipv6.sport = p->sport;
	t->ipv6.dport = p->dport;
	return sizeof(t->ipv6);
}

/* The proxy socket for p, referenced (the caller releases it), or NULL. */
static __always_inline struct bpf_sock *zt_steer_sock(struct __sk_buff *skb,
						      const struct zt_pkt *p)
{
	struct bpf_sock_tuple t = {};
	const struct zt_state *st;
	struct bpf_sock *sk;
	__u32 zero = 0, slot, n;
	__u32 sz;

	sz = zt_steer_tuple(p, &t);
	/* A connection the proxy accepted (its sockets carry
	 * ZT_MARK_PROXY, from the listener), one half open (a request
	 * socket, made by the proxy's listener for a SYN steered to it), or
	 * the TIME_WAIT socket an earlier one left (the proxy's side, when
	 * the server closed first): the kernel handles a segment for it, and
	 * a new SYN there reaches the proxy's listener again (proxy.sh
	 * checks that it never reaches the gateway's own). A listener this
	 * finds is the gateway's own, bound to the port: not used, the
	 * packet goes to the proxy's listener. Another full socket with this
	 * 4-tuple is not the proxy's: the packet is dropped. */
	sk = (struct bpf_sock *)bpf_skc_lookup_tcp(skb, &t, sz, BPF_F_CURRENT_NETNS, 0);
	if (sk) {
		struct bpf_sock *full;

		if (sk->state == BPF_TCP_NEW_SYN_RECV || sk->state == BPF_TCP_TIME_WAIT)
			return sk;
		if (sk->state != BPF_TCP_LISTEN) {
			full = bpf_sk_fullsock(sk);
			if (full && full->mark == ZT_MARK_PROXY)
				return sk;
			bpf_sk_release(sk);
			return NULL;
		}
		bpf_sk_release(sk);
	}
	st = bpf_map_lookup_elem(&zt_state, &zero);
	n = st ? st->proxy_workers : 0;
	if (!n)
		return NULL;
	if (n > ZT_PROXY_PER_FAMILY)
		n = ZT_PROXY_PER_FAMILY;
	slot = bpf_get_hash_recalc(skb) % n;
	if (p->family != ZT_AF_INET)
		slot += ZT_PROXY_PER_FAMILY;
	return bpf_map_lookup_elem(&zt_proxy, &slot);
}

/* ztd's UDP socket for p, referenced, or NULL: the flow's own (ztd made
 * it for the flow, bound to its destination and connected to its
 * client, marked ZT_MARK_PROXY), else the one that takes the first
 * datagrams of new flows. A socket of the gateway's own that the look-up
 * finds (a server bound to the port, say a resolver on 0.0.0.0:53) is
 * never used. */
static __always_inline struct bpf_sock *zt_steer_udp_sock(struct __sk_buff *skb,
							  const struct zt_pkt *p)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;
	__u32 slot = ZT_PROXY_UDP_SLOT, sz;

	sz = zt_steer_tuple(p, &t);
	if (p->family != ZT_AF_INET)
		slot++;
	sk = bpf_sk_lookup_udp(skb, &t, sz, BPF_F_CURRENT_NETNS, 0);
	if (sk) {
		if (sk->mark == ZT_MARK_PROXY)
			return sk;
		bpf_sk_release(sk);
	}
	return bpf_map_lookup_elem(&zt_proxy, &slot);
}

/* An ICMP echo request: copied whole to zt_icmp for ztd, which carries
 * it to the connector and answers the client itself; the packet is
 * consumed here (TC_ACT_SHOT either way). With ztd not running (its UDP
 * socket, which it makes with the ring's reader, is gone) it is dropped
 * as no_proxy, never queued for a ztd that is not there. */
static __always_inline int zt_steer_icmp(struct __sk_buff *skb, const struct zt_pkt *p,
					 __u32 len)
{
	__u32 slot = ZT_PROXY_UDP_SLOT + (p->family == ZT_AF_INET ? 0 : 1);
	struct zt_icmp_msg *m;
	struct bpf_sock *sk;
	__be16 ipl = 0;
	__u32 n, hdrs;
	__u64 cp;

	/* The message's length from the IP header (what follows it in the
	 * frame, Ethernet padding, is not the message's). */
	hdrs = (__u32)p->l4off - p->l3off;
	if (bpf_skb_load_bytes(skb, p->l3off + (p->family == ZT_AF_INET ? 2 : 4), &ipl, 2))
		ipl = 0;
	n = bpf_ntohs(ipl);
	if (p->family == ZT_AF_INET)
		n = n > hdrs ? n - hdrs : 0;
	else
		n = n + 40 > hdrs ? n + 40 - hdrs : 0;
	if (p->icmp_type != (p->family == ZT_AF_INET ? 8 : 128) || p->l4off >= skb->len ||
	    n < ZT_ICMP_HLEN || n > skb->len - p->l4off || n > ZT_ICMP_MSG_MAX) {
		zt_stat(ZT_V_DROP, ZT_R_STEER_PROTO, len);
		return TC_ACT_SHOT;
	}
	sk = bpf_map_lookup_elem(&zt_proxy, &slot);
	if (!sk) {
		zt_stat(ZT_V_DROP, ZT_R_NO_PROXY, len);
		return TC_ACT_SHOT;
	}
	bpf_sk_release(sk);
	m = bpf_ringbuf_reserve(&zt_icmp, sizeof(*m), 0);
	if (!m) { /* ztd is behind: counted apart from "ztd not running" */
		zt_count(ZT_C_ICMP_RING_FULL);
		zt_stat(ZT_V_DROP, ZT_R_NO_PROXY, len);
		return TC_ACT_SHOT;
	}
	m->family = p->family;
	m->vlan = p->vlan;
	m->ifindex = skb->ifindex;
	__builtin_memcpy(m->src, p->src, 16);
	__builtin_memcpy(m->dst, p->dst, 16);
	m->len = (__u16)n;
	/* Bounds the verifier sees on the very register the copy is given
	 * (the compiler would fold them into the check above, or test a
	 * zero-extended copy). */
	cp = n;
	asm volatile("" : "+r"(cp));
	if (cp < ZT_ICMP_HLEN || cp > ZT_ICMP_MSG_MAX ||
	    bpf_skb_load_bytes(skb, p->l4off, m->data, cp)) {
		bpf_ringbuf_discard(m, 0);
		zt_stat(ZT_V_DROP, ZT_R_STEER_PROTO, len);
		return TC_ACT_SHOT;
	}
	bpf_ringbuf_submit(m, 0); /* ztd is woken when it has caught up */
	zt_count(ZT_C_ICMP_STEERED);
	return TC_ACT_SHOT;
}

/* Steers p: TC_ACT_OK with the packet assigned to the proxy (TCP) or to
 * ztd's UDP socket (UDP, for a connector), an echo request handed to ztd
 * (zt_steer_icmp), or TC_ACT_SHOT, counted with its reason. */
static __always_inline int zt_steer(struct __sk_buff *skb, const struct zt_pkt *p, __u32 len)
{
	struct bpf_sock *sk;
	long err;

	if ((p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6) && p->frag == ZT_FRAG_NONE)
		return zt_steer_icmp(skb, p, len);
	if ((p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP) || p->frag != ZT_FRAG_NONE) {
		zt_stat(ZT_V_DROP, ZT_R_STEER_PROTO, len);
		return TC_ACT_SHOT;
	}
	sk = p->proto == IPPROTO_TCP ? zt_steer_sock(skb, p) : zt_steer_udp_sock(skb, p);
	if (!sk) {
		zt_stat(ZT_V_DROP, ZT_R_NO_PROXY, len);
		return TC_ACT_SHOT;
	}
	err = bpf_sk_assign(skb, sk, 0);
	bpf_sk_release(sk);
	if (err) {
		zt_stat(ZT_V_DROP, ZT_R_NO_PROXY, len);
		return TC_ACT_SHOT;
	}
	skb->mark = ZT_MARK_STEER;
	zt_count(ZT_C_STEER_MARKED);
	return TC_ACT_OK;
}

#endif
