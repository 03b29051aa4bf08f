/* SPDX-License-Identifier: GPL-2.0 */
/* nat.h — the DIRECT path (DESIGN §2). An allowed flow to a local tunnel
 * with a private_interface is translated and forwarded here, in the kernel:
 * DNAT of an IRI to the server's real address (a CIDR route keeps its
 * destination), SNAT to this node's address on the private interface with a
 * port (ICMP echo: an identifier) allocated here, forwarding by
 * bpf_fib_lookup plus redirect; the replies are translated back by the
 * programs on the private interface.
 *
 * The same code runs at XDP and at tc (xdp is a constant in every caller):
 * XDP takes the packets it can finish (a resolved neighbour, interfaces
 * marked ZT_IF_F_XDP) and passes the rest on untranslated; tc finishes
 * everything, with the kernel's checksum helpers (which know
 * CHECKSUM_PARTIAL) and bpf_redirect_neigh (which resolves neighbours).
 *
 * A translation is two zt_nat entries keyed by the packets they apply to:
 * FWD (client interface, the client's tuple) and REV (private interface,
 * the server's reply tuple). The REV entry is inserted first, with
 * BPF_NOEXIST: that is the port allocation, atomic across CPUs.
 *
 * What is not the NAT's own is beside it: checksum updates in csum.h, the
 * FIB lookup in fib.h, reading ICMP messages in icmp.h, writing a
 * packet's new tuple in nat_rw.h. */
#ifndef ZT_BPF_NAT_H
#define ZT_BPF_NAT_H

#include "classify.h"
#include "csum.h"
#include "fib.h"
#include "icmp.h"
#include "nat_rw.h"

#define ZT_NAT_TRIES  8    /* ports tried before NAT_FULL */
#define ZT_NAT_FIB_NS 1000000000ULL /* a translation's FIB answer is reused this long */
#define ZT_NAT_FIB_LEN 1280 /* ... by packets up to this long (they fit any link) */
#define ZT_NAT_QUOTE  128  /* bytes of a too-big packet its ICMP error quotes */
#define ZT_NAT_ERR_HDR 48  /* the largest IP + ICMP header of that error */

#define ZT_TCP_FIN 0x01
#define ZT_TCP_SYN 0x02
#define ZT_TCP_RST 0x04
#define ZT_TCP_ACK 0x10

#define ZT_EEXIST 17 /* errno: the key is taken (BPF_NOEXIST) */

/* The NAT's working structs: too big for the 512-byte stack next to the
 * classifier's, so they live in a per-CPU array (not pinned: each object
 * has its own; a CPU runs one program at a time). */
struct zt_nat_scratch {
	struct bpf_fib_lookup fib;
	__u8 err[ZT_NAT_ERR_HDR]; /* zt_nat_too_big: the error's IP and ICMP headers */
	__u8 ph[40];              /* and the ICMPv6 pseudo header */
	struct zt_nat fwd, rv;
	struct zt_flow_key fk, rk;
	struct zt_frag_key frk;   /* zt_tc_ingress: a later fragment's */
	struct zt_pkt fp;
	struct zt_pkt in;  /* the packet an ICMP error quotes */
	__u8 real[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zt_nat_scratch);
} zt_nat_scratch SEC(".maps");

static __always_inline struct zt_nat_scratch *zt_scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&zt_nat_scratch, &zero);
}

/* ---- forwarding ----------------------------------------------------------- */

/* The route of a translation's packet, l3len bytes long. Its entry n keeps
 * the FIB's answer (the next hop's MAC out of n->ifindex) for
 * ZT_NAT_FIB_NS, so packets of an established flow skip the lookup: it was
 * about a quarter of the XDP path's cost, more with policy-routing rules
 * to walk. A route or neighbour change reaches established translations
 * within that time. Packets longer than ZT_NAT_FIB_LEN always ask the FIB,
 * which checks them against the route's MTU. n is NULL for a flow not
 * translated yet. */
static __always_inline int zt_nat_route(void *ctx, struct zt_nat *n, __u64 now, __u8 family,
					__u32 ifindex, const __u8 *src, const __u8 *dst,
					__u32 l3len, int xdp, struct bpf_fib_lookup *fib)
{
	int rc;

	if (n && n->fib_ns && now - n->fib_ns < ZT_NAT_FIB_NS && l3len <= ZT_NAT_FIB_LEN) {
		fib->ifindex = n->ifindex;
		__builtin_memcpy(fib->dmac, n->dmac, ETH_ALEN);
		__builtin_memcpy(fib->smac, n->smac, ETH_ALEN);
		return BPF_FIB_LKUP_RET_SUCCESS;
	}
	rc = zt_fib(ctx, family, ifindex, src, dst, xdp ? (__u16)l3len : 0, fib);
	if (n && rc == BPF_FIB_LKUP_RET_SUCCESS && fib->ifindex == n->ifindex) {
		__builtin_memcpy(n->dmac, fib->dmac, ETH_ALEN);
		__builtin_memcpy(n->smac, fib->smac, ETH_ALEN);
		n->fib_ns = now;
	}
	return rc;
}

/* Translates the packet to n's tuple and sends it out of fib->ifindex.
 * XDP: only with a resolved neighbour (else -1: leave it to tc). */
static __always_inline int zt_nat_send(void *ctx, struct zt_ctx *c, const struct zt_pkt *p,
				       const struct zt_nat *n, struct bpf_fib_lookup *fib, int xdp)
{
	struct zt_rw w;

	if (xdp) {
		struct ethhdr *eth = c->data;

		/* A VLAN tag: tc sees the frame untagged. */
		if (p->l3off != ZT_ETH_HLEN || (void *)(eth + 1) > c->data_end)
			return -1;
		if (zt_rw_write(c, p, n, &w, 1))
			return -2;
		__builtin_memcpy(eth->h_dest, fib->dmac, ETH_ALEN);
		__builtin_memcpy(eth->h_source, fib->smac, ETH_ALEN);
		zt_count(ZT_C_NAT_XDP);
		return (int)bpf_redirect(fib->ifindex, 0);
	}
	if (zt_rw_write(c, p, n, &w, 0) || zt_rw_csum_skb(ctx, p, &w))
		return -2;
	zt_count(ZT_C_NAT_TC);
	/* The neighbour subsystem writes the Ethernet header (and resolves
	 * the next hop when it is not known yet). */
	return (int)bpf_redirect_neigh(fib->ifindex, 0, 0, 0);
}

/* The packet's TCP flags (0 when it has none to read). */
static __always_inline __u8 zt_tcp_flags(const struct zt_ctx *c, const struct zt_pkt *p)
{
	__u8 *fl;

	if (p->proto != IPPROTO_TCP || !p->l4off || p->l4off > ZT_MAX_L4)
		return 0;
	fl = c->data + zt_bound(p->l4off, 0x1ff) + 13;
	return fl + 1 <= (__u8 *)c->data_end ? *fl : 0;
}

/* A packet went through translation entry n: its counters, and the TCP
 * state ztd's idle timeouts go by. A translation is established when the
 * server's SYN-ACK comes back through its REV entry (never by what the
 * client sends), and closing after a FIN or RST either way. */
static __always_inline void zt_nat_seen(struct zt_nat *n, const struct zt_ctx *c,
					const struct zt_pkt *p, __u64 now, int rev)
{
	__u8 fl = zt_tcp_flags(c, p), set = 0;

	__sync_fetch_and_add(&n->packets, 1);
	__sync_fetch_and_add(&n->bytes, c->len);
	n->last_seen_ns = now;
	if (fl & ZT_TCP_FIN)
		set |= ZT_NAT_F_FIN;
	if (fl & ZT_TCP_RST)
		set |= ZT_NAT_F_RST;
	if (rev && (fl & (ZT_TCP_SYN | ZT_TCP_ACK)) == (ZT_TCP_SYN | ZT_TCP_ACK))
		set |= ZT_NAT_F_EST;
	if (set)
		n->flags |= set;
}

/* A DIRECT packet larger than the MTU towards its server (s->fib says
 * which) is dropped (TOO_BIG). With DF (IPv4), or over IPv6, it becomes
 * what its client's path MTU discovery needs: fragmentation needed /
 * packet too big with that MTU, from the address the client sent to,
 * quoting the packet's first ZT_NAT_QUOTE bytes as the client sent them,
 * back out of the interface it came in on. Returns the hook's action. */
static __always_inline int zt_nat_too_big(void *ctx, struct zt_ctx *c, const struct zt_pkt *p,
					  struct zt_nat_scratch *s, int xdp)
{
	__u32 off = zt_bound(p->l3off, 0xff), q, h, ip = p->family == ZT_AF_INET;
	__u16 mtu = s->fib.mtu_result;
	__u8 *l3 = c->data + off, *e = s->err, mac[12];
	struct ethhdr *eth = c->data;
	long rc;

	if (l3 + ZT_NAT_QUOTE > (__u8 *)c->data_end || (ip && !(l3[6] & 0x40)))
		goto drop; /* too short to quote (a tiny MTU), or may be fragmented */
	if (xdp && off != ZT_ETH_HLEN)
		return XDP_PASS; /* a VLAN tag: tc answers it */
	if (off >= ZT_ETH_HLEN) {
		if ((void *)(eth + 1) > c->data_end)
			goto drop;
		__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
		__builtin_memcpy(mac + ETH_ALEN, eth->h_dest, ETH_ALEN);
	}
	q = (__u32)bpf_csum_diff(0, 0, (__be32 *)l3, ZT_NAT_QUOTE, 0);
	__builtin_memset(e, 0, ZT_NAT_ERR_HDR);
	if (ip) {
		h = 28;
		e[0] = 0x45;
		e[3] = 28 + ZT_NAT_QUOTE;
		e[8] = 64;
		e[9] = IPPROTO_ICMP;
		__builtin_memcpy(e + 12, p->dst, 4);
		__builtin_memcpy(e + 16, p->src, 4);
		*(__u16 *)(e + 10) = ~zt_csum_fold((__u32)bpf_csum_diff(0, 0, (__be32 *)e, 20, 0));
		e[20] = 3; /* destination unreachable: fragmentation needed */
		e[21] = 4;
		*(__be16 *)(e + 26) = bpf_htons(mtu);
		*(__u16 *)(e + 22) = ~zt_csum_fold((__u32)bpf_csum_diff(0, 0, (__be32 *)(e + 20),
									8, q));
	} else {
		h = 48;
		e[0] = 0x60;
		e[5] = 8 + ZT_NAT_QUOTE;
		e[6] = IPPROTO_ICMPV6;
		e[7] = 64;
		__builtin_memcpy(e + 8, p->dst, 16);
		__builtin_memcpy(e + 24, p->src, 16);
		e[40] = 2; /* packet too big */
		*(__be32 *)(e + 44) = bpf_htonl(mtu);
		__builtin_memcpy(s->ph, e + 8, 32);
		*(__be32 *)(s->ph + 32) = bpf_htonl(8 + ZT_NAT_QUOTE);
		*(__be32 *)(s->ph + 36) = bpf_htonl(IPPROTO_ICMPV6);
		q = zt_csum_add(q, (__u32)bpf_csum_diff(0, 0, (__be32 *)s->ph, 40, 0));
		*(__u16 *)(e + 42) = ~zt_csum_fold((__u32)bpf_csum_diff(0, 0, (__be32 *)(e + 40),
									8, q));
	}
	if (xdp) {
		rc = bpf_xdp_adjust_tail(ctx, (int)(ZT_ETH_HLEN + ZT_NAT_QUOTE) -
					      (int)(c->data_end - c->data));
		if (!rc)
			rc = bpf_xdp_adjust_head(ctx, -(int)h);
		if (rc)
			goto drop;
		eth = (void *)(long)((struct xdp_md *)ctx)->data;
		if ((__u8 *)eth + ZT_ETH_HLEN + ZT_NAT_ERR_HDR >
		    (__u8 *)(long)((struct xdp_md *)ctx)->data_end)
			goto drop;
		__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
		__builtin_memcpy(eth->h_source, mac + ETH_ALEN, ETH_ALEN);
		eth->h_proto = bpf_htons(ip ? 0x0800 : 0x86DD);
		if (ip)
			__builtin_memcpy((__u8 *)(eth + 1), e, 28);
		else
			__builtin_memcpy((__u8 *)(eth + 1), e, 48);
		/* Not XDP_TX: a veth flushes XDP_TX frames to its peer only
		 * when the peer has an XDP program; a redirect always. */
		rc = bpf_redirect(c->ifindex, 0);
	} else {
		/* An skb its sender left CHECKSUM_PARTIAL (a local veth peer
		 * with tx offload) stays so: it goes back over the same veth,
		 * whose receiver takes it as checked. */
		if (bpf_skb_change_tail(ctx, off + ZT_NAT_QUOTE, 0) ||
		    bpf_skb_adjust_room(ctx, (__s32)h, BPF_ADJ_ROOM_MAC, 0))
			goto drop;
		rc = ip ? bpf_skb_store_bytes(ctx, off, e, 28, 0)
			: bpf_skb_store_bytes(ctx, off, e, 48, 0);
		if (!rc && off >= ZT_ETH_HLEN)
			rc = bpf_skb_store_bytes(ctx, 0, mac, 12, 0);
		if (rc)
			goto drop;
		rc = bpf_redirect(c->ifindex, 0);
	}
	zt_count(ZT_C_NAT_TOO_BIG);
	zt_stat(ZT_V_DROP, ZT_R_TOO_BIG, c->len);
	return (int)rc;
drop:
	zt_stat(ZT_V_DROP, ZT_R_TOO_BIG, c->len);
	return zt_act(xdp, 0);
}

/* Deletes the FWD entry at k, of device: whoever deletes one gives its
 * device's count back (ztd too, user/lib/nat.c). */
static __always_inline void zt_nat_fwd_delete(const struct zt_flow_key *k, __u32 device)
{
	__u64 *cnt;

	if (bpf_map_delete_elem(&zt_nat, k))
		return;
	cnt = bpf_map_lookup_elem(&zt_nat_count, &device);
	if (cnt && *cnt) /* never below zero, where it would block the device */
		__sync_fetch_and_add(cnt, -1);
}

/* The REV entry of the translation whose FWD entry n is at s->fk, or NULL
 * when the translation is unusable: while its REV entry, the claim on its
 * port, is gone or another's (the port may be another client's by now),
 * or when it was made while the IRI meant another name. Such a
 * translation goes (its REV entry only when it is its own), and the flow
 * gets a new one if it may. s->rk: the REV key. */
static __always_inline struct zt_nat *zt_nat_rev_of(struct zt_nat_scratch *s, struct zt_nat *n,
						    __u32 epoch)
{
	struct zt_nat *rv;
	int own;

	zt_nat_rev_key(&s->fk, n, &s->rk);
	rv = bpf_map_lookup_elem(&zt_nat, &s->rk);
	own = rv && zt_nat_rev_owns(&s->fk, rv);
	if (own && n->epoch == epoch)
		return rv;
	if (own)
		bpf_map_delete_elem(&zt_nat, &s->rk);
	zt_nat_fwd_delete(&s->fk, n->device);
	return 0;
}

/* Allocates the translation of a new DIRECT flow of device leaving
 * through the private interface oif (s->fib, the FIB's answer when
 * fib_ok): the REV entry with a free port, then FWD. Returns 0 with *fwd
 * filled, ZT_R_NAT_LIMIT when the device has oi->nat_per_device already
 * (checked before and counted after, so CPUs allocating for one device at
 * the same moment may pass it by one each), or ZT_R_NAT_FULL. */
static __always_inline int zt_nat_alloc(struct zt_nat_scratch *s, const struct zt_pkt *p,
					const __u8 *real, __u32 oif, const struct zt_iface *oi,
					__u64 now, int fib_ok, __u32 epoch, __u32 device)
{
	const struct zt_flow_key *fk = &s->fk;
	struct zt_flow_key *rk = &s->rk;
	struct zt_nat *fwd = &s->fwd, *rv = &s->rv, *won;
	__u32 span = (__u32)oi->port_hi - oi->port_lo + 1, start;
	int i, icmp = p->pclass == ZT_PC_ICMP;
	long err = 0;
	__u64 *cnt;

	if (oi->port_hi < oi->port_lo)
		return ZT_R_NAT_FULL;
	cnt = bpf_map_lookup_elem(&zt_nat_count, &device);
	if (!cnt || *cnt >= oi->nat_per_device)
		return ZT_R_NAT_LIMIT;
	__builtin_memset(fwd, 0, sizeof(*fwd));
	fwd->dir = ZT_NAT_FWD;
	fwd->ifindex = oif;
	if (p->family == ZT_AF_INET)
		__builtin_memcpy(fwd->src, oi->snat4, 4);
	else
		__builtin_memcpy(fwd->src, oi->snat6, 16);
	__builtin_memcpy(fwd->dst, real, 16);
	fwd->dport = icmp ? 0 : p->dport;
	fwd->epoch = epoch;
	fwd->device = device;
	fwd->created_ns = fwd->last_seen_ns = now;
	if (fib_ok) { /* zt_nat_route's cache, from the first packet on */
		__builtin_memcpy(fwd->dmac, s->fib.dmac, ETH_ALEN);
		__builtin_memcpy(fwd->smac, s->fib.smac, ETH_ALEN);
		fwd->fib_ns = now;
	}

	__builtin_memset(rv, 0, sizeof(*rv));
	rv->dir = ZT_NAT_REV;
	rv->ifindex = fk->ifindex;
	__builtin_memcpy(rv->src, p->dst, 16);
	__builtin_memcpy(rv->dst, p->src, 16);
	rv->sport = icmp ? p->sport : p->dport;
	rv->dport = icmp ? 0 : p->sport;
	rv->epoch = epoch;
	rv->device = device;
	rv->created_ns = rv->last_seen_ns = now;

	/* A range of ZT_NAT_TRIES ports or fewer is searched whole, from a
	 * random one on (random tries alone missed the one free port of two
	 * once in 256); a larger one gets ZT_NAT_TRIES random tries. */
	start = bpf_get_prandom_u32() % span;
	for (i = 0; i < ZT_NAT_TRIES; i++) {
		__u32 off = span <= ZT_NAT_TRIES ? (start + (__u32)i) % span :
						  bpf_get_prandom_u32() % span;

		fwd->sport = bpf_htons((__u16)(oi->port_lo + off));
		zt_nat_rev_key(fk, fwd, rk);
		err = bpf_map_update_elem(&zt_nat, rk, rv, BPF_NOEXIST);
		/* Compared as an int: on kernels before 6.4 the verifier calls
		 * the map's update directly, which returns an int whose upper
		 * half is zero (-EEXIST never equalled the 64-bit -17 there:
		 * 6.1 tried one port and gave up). */
		if ((int)err != -ZT_EEXIST)
			break; /* claimed, or the table is full */
		zt_count(ZT_C_NAT_RETRY);
	}
	if (err)
		return ZT_R_NAT_FULL;
	/* Counted before the FWD entry exists: ztd may remove it at once. */
	__sync_fetch_and_add(cnt, 1);
	if (bpf_map_update_elem(&zt_nat, fk, fwd, BPF_NOEXIST)) {
		/* Another CPU translated this flow first: use its entry. */
		__sync_fetch_and_add(cnt, -1);
		bpf_map_delete_elem(&zt_nat, rk);
		won = bpf_map_lookup_elem(&zt_nat, fk);
		if (!won)
			return ZT_R_NAT_FULL;
		*fwd = *won;
		return 0;
	}
	zt_count(ZT_C_NAT_NEW);
	return 0;
}

/* A packet of a DIRECT flow that goes through the NAT, arriving on a client
 * interface: translated and redirected, dropped (counted), or (XDP) left to
 * tc. Returns the hook's action. */
static __always_inline int zt_nat_forward(void *ctx, struct zt_ctx *c, struct zt_pkt *p,
					  const struct zt_decision *d, int xdp)
{
	struct zt_nat_scratch *s = zt_scratch();
	struct zt_nat *n, *rv = 0;
	struct zt_iface *oi;
	__u8 reason = 0, tcp = 0;
	__u64 now;
	int rc;

	if (!s)
		return zt_act(xdp, 0);
	if (xdp) {
		struct zt_iface *ii = zt_iface(c->ifindex);

		if (!ii || !(ii->flags & ZT_IF_F_XDP))
			return XDP_PASS;
	}
	if (p->frag != ZT_FRAG_NONE || !p->l4off ||
	    (p->pclass == ZT_PC_ICMP ? !zt_icmp_echo(p) :
	     p->pclass != ZT_PC_TCP && p->pclass != ZT_PC_UDP)) {
		reason = ZT_R_NAT_PROTO;
		goto drop;
	}
	if (p->ttl <= 1) {
		/* The stack answers with time exceeded. */
		zt_count(ZT_C_NAT_TTL);
		return zt_act(xdp, 1);
	}
	__builtin_memset(&s->fk, 0, sizeof(s->fk));
	zt_flow_key(c, p, &s->fk);
	n = bpf_map_lookup_elem(&zt_nat, &s->fk);
	if (n && n->dir != ZT_NAT_FWD)
		n = 0;
	if (n)
		rv = zt_nat_rev_of(s, n, d->iri_epoch);
	if (!rv)
		n = 0;
	/* TCP: only a SYN makes a translation, and a SYN on one that exists
	 * starts a new connection (embryonic again, whatever the last one
	 * ended with). Anything else without one is dropped: one client's
	 * stray segments must not hold ports. */
	if (p->proto == IPPROTO_TCP) {
		tcp = zt_tcp_flags(c, p) & (ZT_TCP_SYN | ZT_TCP_ACK | ZT_TCP_FIN | ZT_TCP_RST);
		if (!n && tcp != ZT_TCP_SYN) {
			reason = ZT_R_NAT_NO_SYN;
			goto drop;
		}
	}
	/* A new translation needs the route back to its source to leave
	 * through the interface it came in on: a strict reverse-path check,
	 * since the kernel's rp_filter never sees what this redirects. A
	 * translation made keys on that interface, so its later packets
	 * cannot come from elsewhere. */
	if (!n) {
		rc = zt_fib(ctx, p->family, c->ifindex, p->dst, p->src, 40, &s->fib);
		if ((rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH) ||
		    s->fib.ifindex != c->ifindex) {
			reason = ZT_R_RP_FILTER;
			goto drop;
		}
	}
	/* Where it goes: the translation's real address, or for a new flow
	 * the IRI's (a CIDR route keeps its destination). */
	__builtin_memcpy(s->real, n ? n->dst : p->dst, 16);
	if (!n && (d->route_id & ZT_ROUTE_ID_HOST)) {
		struct zt_iri_val *iv = zt_iri_lookup(d->vnet_id, p->family, p->dst);

		if (!iv || !iv->real_ok || iv->epoch != d->iri_epoch) {
			reason = ZT_R_RESOLVE;
			goto drop;
		}
		__builtin_memcpy(s->real, iv->real, 16);
	}
	now = bpf_ktime_get_coarse_ns();
	rc = zt_nat_route(ctx, n, now, p->family, c->ifindex, p->src, s->real, zt_l3_len(c, p),
			  xdp, &s->fib);
	if (rc == BPF_FIB_LKUP_RET_FRAG_NEEDED)
		return zt_nat_too_big(ctx, c, p, s, xdp);
	oi = zt_iface(s->fib.ifindex);
	if ((rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH) || !oi ||
	    !(oi->flags & ZT_IF_F_PRIVATE)) {
		reason = ZT_R_NO_PATH;
		goto drop;
	}
	/* XDP hands over before touching anything: tc counts it once. */
	if (xdp && (rc != BPF_FIB_LKUP_RET_SUCCESS || !(oi->flags & ZT_IF_F_XDP)))
		return XDP_PASS;
	if (n) {
		if (tcp == ZT_TCP_SYN)
			n->flags = rv->flags = 0;
		zt_nat_seen(n, c, p, now, 0);
		s->fwd = *n;
	} else {
		reason = zt_nat_alloc(s, p, s->real, s->fib.ifindex, oi, now,
				      rc == BPF_FIB_LKUP_RET_SUCCESS, d->iri_epoch, d->device_id);
		if (reason)
			goto drop;
	}
	rc = zt_nat_send(ctx, c, p, &s->fwd, &s->fib, xdp);
	if (rc == -1)
		return XDP_PASS;
	if (rc >= 0)
		return rc;
	reason = ZT_R_NAT_PROTO;
drop:
	zt_stat(ZT_V_DROP, reason, c->len);
	return zt_act(xdp, 0);
}

/* Is the flow a reply belongs to still allowed (DIRECT through the NAT)?
 * Re-evaluated, as the forward direction would be, when the policy changed
 * since it was cached: a revoked flow's replies stop too. */
static __noinline int zt_nat_flow_ok(struct zt_nat_scratch *s, const struct zt_pkt *p,
				     const struct zt_nat *rv)
{
	struct zt_flow_key *fk = &s->fk;
	struct zt_pkt *fp = &s->fp;
	struct zt_decision d = {};
	struct zt_ctx fc = {};
	const struct zt_half_cfg *hc;
	struct zt_state *st;
	struct zt_flow *f;
	__u32 zero = 0, h;

	zt_flow_key_rev(fk, rv->ifindex, p->family, p->proto, rv->src, rv->dst, rv->sport,
			rv->dport);
	f = bpf_map_lookup_elem(&zt_flows, fk);
	st = bpf_map_lookup_elem(&zt_state, &zero);
	if (!f || !st)
		return 0;
	h = st->active & 1;
	hc = &st->half[h];
	if (f->generation != hc->generation || !zt_flow_iri_same(f, fk->family, fk->dst)) {
		fc.ifindex = fk->ifindex;
		__builtin_memset(fp, 0, sizeof(*fp));
		fp->family = fk->family;
		fp->proto = fk->proto;
		fp->pclass = p->pclass;
		fp->sport = fk->sport;
		fp->dport = fk->dport;
		__builtin_memcpy(fp->src, fk->src, 16);
		__builtin_memcpy(fp->dst, fk->dst, 16);
		zt_evaluate(&fc, fp, hc, h, &d);
		f->verdict = d.verdict;
		f->reason = d.reason;
		f->rule_id = d.rule_id;
		f->flags = d.nat ? ZT_FLOW_F_NAT : 0;
		f->generation = hc->generation;
		f->route_id = d.route_id;
		f->iri_epoch = d.iri_epoch;
		zt_count(ZT_C_FLOW_STALE);
	}
	/* A translation made while its IRI meant another name carries no
	 * replies: the address's new name's flows get their own. */
	return f->verdict == ZT_V_DIRECT && (f->flags & ZT_FLOW_F_NAT) &&
	       f->iri_epoch == rv->epoch;
}

/* ---- ICMP errors about a translated flow ------------------------------------
 *
 * A router or the server on the private side answers a translated packet
 * with an ICMP error (port unreachable, fragmentation needed, packet too
 * big, time exceeded) addressed to the SNAT address and quoting the packet
 * as it left this node. Found by the quoted tuple's REV entry (icmp.h
 * reads the quote), it goes to the client with every address and port as
 * the client sent them: outer source the destination the client used,
 * outer destination the client; the quoted packet's source the client and
 * port, its destination the client's destination. Checksums: the outer
 * IPv4 header, the quoted IPv4 header, the quoted L4 checksum when the
 * quote holds it, and the ICMP checksum over all of that (and ICMPv6's
 * pseudo header). */

/* Rewrites the error for the client (n: the REV entry). XDP fixes every
 * checksum here; tc fixes the quoted ones here and gets in *d_l3 (outer
 * IPv4 header), *d_icmp (ICMP checksum, payload part) and *d_ph (ICMPv6
 * pseudo header part) what its helpers must add. Returns 0 or -1. */
static __always_inline int zt_icmp_err_write(struct zt_ctx *c, const struct zt_pkt *p,
					     const struct zt_pkt *q, const struct zt_nat *n,
					     int xdp, __u32 *d_l3, __u32 *d_icmp, __u32 *d_ph)
{
	void *end = c->data_end;
	__u8 *l3, *l4, *il3, *il4;
	__be16 nsport, ndport;
	__u32 d_oaddr, d_iaddr, d_iport, d = 0;
	__u16 old, *f;

	if (p->l3off > 64 || p->l4off > ZT_MAX_L4 || q->l3off > ZT_MAX_L4 + 8 ||
	    q->l4off > ZT_MAX_L4 + 48)
		return -1;
	l3 = c->data + zt_bound(p->l3off, 0x7f);
	l4 = c->data + zt_bound(p->l4off, 0x1ff);
	il3 = c->data + zt_bound(q->l3off, 0x1ff);
	il4 = c->data + zt_bound(q->l4off, 0x1ff);
	if (l4 + ZT_ICMP_HLEN > (__u8 *)end || il4 + 8 > (__u8 *)end)
		return -1;
	if (q->pclass == ZT_PC_ICMP) {
		nsport = n->sport; /* the client's echo identifier */
		ndport = q->dport;
	} else {
		nsport = n->dport; /* the client's port */
		ndport = n->sport; /* the port the client sent to */
	}
	d_oaddr = zt_csum_daddr(0, p->family, p->src, n->src);
	d_oaddr = zt_csum_daddr(d_oaddr, p->family, p->dst, n->dst);
	d_iaddr = zt_csum_daddr(0, q->family, q->src, n->dst);
	d_iaddr = zt_csum_daddr(d_iaddr, q->family, q->dst, n->src);
	d_iport = zt_csum_d16(0, q->sport, nsport);
	d_iport = zt_csum_d16(d_iport, q->dport, ndport);

	/* The quoted packet: addresses, its IPv4 header checksum. */
	if (q->family == ZT_AF_INET) {
		struct iphdr *ip = (void *)il3;

		if ((void *)(ip + 1) > end)
			return -1;
		__builtin_memcpy(&ip->saddr, n->dst, 4);
		__builtin_memcpy(&ip->daddr, n->src, 4);
		old = ip->check;
		zt_csum_apply(&ip->check, d_iaddr);
		d = zt_csum_d16(d, old, ip->check);
	} else {
		struct ipv6hdr *ip6 = (void *)il3;

		if ((void *)(ip6 + 1) > end)
			return -1;
		__builtin_memcpy(&ip6->saddr, n->dst, 16);
		__builtin_memcpy(&ip6->daddr, n->src, 16);
	}
	d = zt_csum_add(d, zt_csum_add(d_iaddr, d_iport));
	/* Its ports (or echo identifier) and, when quoted, its checksum. */
	if (q->pclass == ZT_PC_ICMP) {
		__builtin_memcpy(il4 + 4, &nsport, 2);
		f = (__u16 *)(il4 + 2);
	} else {
		__builtin_memcpy(il4, &nsport, 2);
		__builtin_memcpy(il4 + 2, &ndport, 2);
		f = (__u16 *)(il4 + (q->pclass == ZT_PC_TCP ? 16 : 6));
	}
	if ((__u8 *)(f + 1) <= (__u8 *)end &&
	    !(q->pclass == ZT_PC_UDP && q->family == ZT_AF_INET && !*f)) {
		old = *f;
		zt_csum_apply(f, q->proto == IPPROTO_ICMP ? d_iport : zt_csum_add(d_iaddr, d_iport));
		if (q->pclass == ZT_PC_UDP && !*f)
			*f = 0xffff;
		d = zt_csum_d16(d, old, *f);
	}

	/* The outer header. */
	if (zt_ip_rewrite(l3, end, p->family, n, d_oaddr, d_l3, xdp))
		return -1;
	if (p->family == ZT_AF_INET) {
		*d_l3 = zt_csum_add(d_oaddr, *d_l3);
		*d_ph = 0;
	} else {
		*d_l3 = 0;
		*d_ph = d_oaddr;
	}
	*d_icmp = d;
	if (xdp)
		zt_csum_apply((__u16 *)(l4 + 2), zt_csum_add(d, *d_ph));
	return 0;
}

/* What a reply and an ICMP error about a translated flow share on the way
 * back to its client (the REV entry n; fp: the packet the flow is checked
 * as): the flow still allowed, a TTL left, a route to the client in
 * s->fib and, at XDP, one XDP can finish; s->rv becomes a copy of n.
 * Returns -1 to go on, or the hook's action. */
static __always_inline int zt_nat_back(void *ctx, struct zt_ctx *c, const struct zt_pkt *p,
				       const struct zt_pkt *fp, struct zt_nat_scratch *s,
				       struct zt_nat *n, __u64 now, int xdp)
{
	int rc;

	if (!zt_nat_flow_ok(s, fp, n)) {
		zt_stat(ZT_V_DROP, ZT_R_NAT_GONE, c->len);
		return zt_act(xdp, 0);
	}
	if (p->ttl <= 1) {
		zt_count(ZT_C_NAT_TTL);
		return zt_act(xdp, 1);
	}
	rc = zt_nat_route(ctx, n, now, p->family, c->ifindex, n->src, n->dst, zt_l3_len(c, p),
			  xdp, &s->fib);
	s->rv = *n;
	if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH) {
		/* Too big for the client's side: dropped, the server is not
		 * told (README limits). */
		zt_stat(ZT_V_DROP, rc == BPF_FIB_LKUP_RET_FRAG_NEEDED ? ZT_R_TOO_BIG : ZT_R_NO_PATH,
			c->len);
		return zt_act(xdp, 0);
	}
	if (xdp) {
		struct zt_iface *oi = zt_iface(s->fib.ifindex);

		if (rc != BPF_FIB_LKUP_RET_SUCCESS || !oi || !(oi->flags & ZT_IF_F_XDP))
			return XDP_PASS; /* tc finishes it */
	}
	return -1;
}

/* An ICMP error arriving on a private interface: about a translated flow,
 * translated and sent to its client; anything else is left to the stack.
 * Returns the hook's action. */
static __always_inline int zt_nat_icmp_err(void *ctx, struct zt_ctx *c, struct zt_pkt *p,
					   struct zt_nat_scratch *s, int xdp)
{
	struct zt_pkt *q = &s->in;
	__u32 d_l3, d_icmp, d_ph;
	struct zt_nat *n;
	int rc;

	if (zt_inner_parse(c, p, q))
		return zt_act(xdp, 1);
	/* It left with the SNAT tuple: its REV entry is the quote reversed. */
	zt_flow_key_rev(&s->rk, c->ifindex, q->family, q->proto, q->src, q->dst, q->sport,
			q->dport);
	n = bpf_map_lookup_elem(&zt_nat, &s->rk);
	/* Ours only when it comes to the SNAT address the quote left with. */
	if (!n || n->dir != ZT_NAT_REV || !zt_addr_eq(p->dst, q->src))
		return zt_act(xdp, 1);
	rc = zt_nat_back(ctx, c, p, q, s, n, bpf_ktime_get_coarse_ns(), xdp);
	if (rc >= 0)
		return rc;
	if (xdp) {
		struct ethhdr *eth = c->data;

		if (p->l3off != ZT_ETH_HLEN || (void *)(eth + 1) > c->data_end)
			return XDP_PASS; /* tc finishes it */
		if (zt_icmp_err_write(c, p, q, &s->rv, 1, &d_l3, &d_icmp, &d_ph))
			goto bad;
		eth = c->data;
		if ((void *)(eth + 1) > c->data_end)
			goto bad;
		__builtin_memcpy(eth->h_dest, s->fib.dmac, ETH_ALEN);
		__builtin_memcpy(eth->h_source, s->fib.smac, ETH_ALEN);
		zt_count(ZT_C_NAT_ICMP);
		return (int)bpf_redirect(s->fib.ifindex, 0);
	}
	{
		__u32 icmp_csum = p->l4off + 2, l3csum = p->l3off + 10;

		if (zt_icmp_err_write(c, p, q, &s->rv, 0, &d_l3, &d_icmp, &d_ph))
			goto bad;
		if (p->family == ZT_AF_INET &&
		    bpf_l3_csum_replace(ctx, l3csum, 0, d_l3, 0))
			goto bad;
		if (bpf_l4_csum_replace(ctx, icmp_csum, 0, d_icmp, 0))
			goto bad;
		if (p->family == ZT_AF_INET6 &&
		    bpf_l4_csum_replace(ctx, icmp_csum, 0, d_ph, BPF_F_PSEUDO_HDR))
			goto bad;
	}
	zt_count(ZT_C_NAT_ICMP);
	return (int)bpf_redirect_neigh(s->fib.ifindex, 0, 0, 0);
bad:
	zt_stat(ZT_V_DROP, ZT_R_NAT_PROTO, c->len);
	return zt_act(xdp, 0);
}

/* A packet arriving on a private interface: a reply of a DIRECT flow is
 * translated back and sent to its client; anything else is this node's
 * own traffic and goes to the stack. Returns the hook's action. */
static __always_inline int zt_nat_reverse(void *ctx, struct zt_ctx *c, int xdp)
{
	struct zt_nat_scratch *s = zt_scratch();
	struct zt_pkt p = {};
	struct zt_nat *n;
	__u64 now;
	int rc;

	if (!s)
		return zt_act(xdp, 1);
	if (zt_parse(c, &p) || p.frag != ZT_FRAG_NONE || !p.l4off)
		return zt_act(xdp, 1);
	if (p.pclass == ZT_PC_ICMP && !zt_icmp_echo(&p) && !zt_icmp_is_err(&p))
		return zt_act(xdp, 1);
	if (xdp) {
		struct zt_iface *ii = zt_iface(c->ifindex);

		if (!ii || !(ii->flags & ZT_IF_F_XDP))
			return XDP_PASS;
	}
	if (p.pclass == ZT_PC_ICMP && zt_icmp_is_err(&p))
		return zt_nat_icmp_err(ctx, c, &p, s, xdp);
	__builtin_memset(&s->rk, 0, sizeof(s->rk));
	zt_flow_key(c, &p, &s->rk);
	n = bpf_map_lookup_elem(&zt_nat, &s->rk);
	if (!n || n->dir != ZT_NAT_REV)
		return zt_act(xdp, 1);
	now = bpf_ktime_get_coarse_ns();
	rc = zt_nat_back(ctx, c, &p, &p, s, n, now, xdp);
	if (rc >= 0)
		return rc;
	/* Before the rewrite: tc's checksum helpers move the packet. */
	zt_nat_seen(n, c, &p, now, 1);
	rc = zt_nat_send(ctx, c, &p, &s->rv, &s->fib, xdp);
	if (rc == -1)
		return XDP_PASS;
	if (rc >= 0) {
		zt_count(ZT_C_NAT_REPLY);
		return rc;
	}
	zt_stat(ZT_V_DROP, ZT_R_NAT_PROTO, c->len);
	return zt_act(xdp, 0);
}

#endif
