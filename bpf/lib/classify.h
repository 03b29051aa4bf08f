/* SPDX-License-Identifier: GPL-2.0 */
/* classify.h — one verdict for every packet: parse, flow cache, fragment
 * tracking, new-flow evaluation, counters and events. Shared by the XDP and
 * tc entry programs through struct zt_ctx. */
#ifndef ZT_BPF_CLASSIFY_H
#define ZT_BPF_CLASSIFY_H

#include "policy.h"

/* Benchmarks define this to measure the new-flow path on every packet. */
#ifndef ZT_BENCH_ALWAYS_NEW
#define ZT_BENCH_ALWAYS_NEW 0
#endif

static __always_inline int zt_event_allowed(const struct zt_state *st, __u8 verdict)
{
	struct zt_ratelimit *rl;
	__u32 zero = 0;
	__u64 now, rate;

	if (verdict != ZT_V_DROP)
		return 1;
	rate = st->drop_events_per_sec;
	if (!rate)
		return 0;
	rl = bpf_map_lookup_elem(&zt_ratelimit, &zero);
	if (!rl)
		return 0;
	now = bpf_ktime_get_coarse_ns();
	/* Token bucket per CPU, burst = one second's worth. */
	if (now - rl->last_ns >= 1000000000ULL)
		rl->tokens = rate;
	else
		rl->tokens += (now - rl->last_ns) * rate / 1000000000ULL;
	if (rl->tokens > rate)
		rl->tokens = rate;
	rl->last_ns = now;
	if (!rl->tokens) {
		zt_count(ZT_C_EVENT_LIMITED);
		return 0;
	}
	rl->tokens--;
	return 1;
}

static __always_inline void zt_emit(struct zt_ctx *c, const struct zt_state *st,
				    const struct zt_pkt *p, const struct zt_decision *d,
				    __u8 type, __u32 generation)
{
	struct zt_event *e;

	if (!zt_event_allowed(st, d->verdict))
		return;
	e = bpf_ringbuf_reserve(&zt_events, sizeof(*e), 0);
	if (!e) {
		zt_count(ZT_C_EVENT_LOST);
		return;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->type = type;
	e->family = p->family;
	e->proto = p->proto;
	e->verdict = d->verdict;
	e->reason = d->reason;
	e->pad[0] = e->pad[1] = e->pad[2] = 0;
	e->ifindex = c->ifindex;
	e->rule_id = d->rule_id;
	e->route_id = d->route_id;
	e->tunnel_id = d->tunnel_id;
	e->vnet_id = d->vnet_id;
	e->device_id = d->device_id;
	e->user_id = d->user_id;
	e->generation = generation;
	e->sport = p->sport;
	e->dport = p->dport;
	e->pad2 = 0;
	__builtin_memcpy(e->src, p->src, 16);
	__builtin_memcpy(e->dst, p->dst, 16);
	bpf_ringbuf_submit(e, bpf_ringbuf_query(&zt_events, BPF_RB_AVAIL_DATA) >=
			      ZT_EVENTS_WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

static __always_inline void zt_flow_key(struct zt_ctx *c, const struct zt_pkt *p,
					struct zt_flow_key *k)
{
	k->ifindex = c->ifindex;
	k->vlan = p->vlan;
	k->family = p->family;
	k->proto = p->proto;
	k->sport = p->sport;
	k->dport = p->dport;
	__builtin_memcpy(k->src, p->src, 16);
	__builtin_memcpy(k->dst, p->dst, 16);
}

static __always_inline void zt_frag_key(struct zt_ctx *c, const struct zt_pkt *p,
					struct zt_frag_key *k)
{
	k->ifindex = c->ifindex;
	k->vlan = p->vlan;
	k->family = p->family;
	k->proto = p->frag_proto;
	k->id = p->frag_id;
	__builtin_memcpy(k->src, p->src, 16);
	__builtin_memcpy(k->dst, p->dst, 16);
}

static __always_inline void zt_frag_remember(struct zt_ctx *c, const struct zt_pkt *p,
					     const struct zt_decision *d, __u32 generation)
{
	struct zt_frag_key k = {};
	struct zt_frag_val v = {};

	zt_frag_key(c, p, &k);
	v.verdict = d->verdict;
	v.reason = d->reason;
	v.flags = d->nat ? ZT_FLOW_F_NAT : 0;
	v.rule_id = d->rule_id;
	v.generation = generation;
	v.route_id = d->route_id;
	v.vnet_id = d->vnet_id;
	v.iri_epoch = d->iri_epoch;
	v.created_ns = bpf_ktime_get_coarse_ns();
	bpf_map_update_elem(&zt_frags, &k, &v, BPF_ANY);
	zt_count(ZT_C_FRAG_FIRST);
}

/* Does a decision cached for an IRI still mean what it was made for? The
 * address may have been given to another name since (a new epoch), or
 * taken away: then it is decided again. A hit refreshes the IRI's last
 * use. Decisions for CIDR routes need no look-up. */
static __always_inline int zt_iri_same_use(__u32 route_id, __u32 vnet, __u32 epoch,
					   __u8 family, const __u8 *dst, int use)
{
	struct zt_iri_val *iv;

	if (!(route_id & ZT_ROUTE_ID_HOST))
		return 1;
	iv = zt_iri_lookup(vnet, family, dst);
	if (!iv || iv->epoch != epoch)
		return 0;
	if (use)
		zt_iri_touch(iv);
	return 1;
}

static __always_inline int zt_iri_same(__u32 route_id, __u32 vnet, __u32 epoch, __u8 family,
				       const __u8 *dst)
{
	return zt_iri_same_use(route_id, vnet, epoch, family, dst, 1);
}

static __always_inline int zt_flow_iri_same(const struct zt_flow *f, __u8 family,
					    const __u8 *dst)
{
	return zt_iri_same(f->route_id, f->vnet_id, f->iri_epoch, family, dst);
}

/* The decision a cached flow (or drop) holds. */
static __always_inline void zt_decision_of(struct zt_decision *d, const struct zt_flow *f)
{
	d->verdict = f->verdict;
	d->reason = f->reason;
	d->rule_id = f->rule_id;
	d->nat = !!(f->flags & ZT_FLOW_F_NAT);
	d->vnet_id = f->vnet_id;
	d->route_id = f->route_id;
	d->iri_epoch = f->iri_epoch;
	d->device_id = f->device_id;
}

/* Drop verdicts live in zt_drops, keyed by the flow key without its source
 * port. A sender whose address zt_drop_srcs holds (one lately dropped:
 * a slot per hash of the address) is looked up there before zt_flows: a
 * flood that changes its source port reads one bucket that stays in cache,
 * never a random one of zt_flows' (most of the time a cache miss of its
 * own), and inserts nothing. Everyone else goes to zt_flows at once, so
 * established flows pay no extra look-up; a blocked sender whose slot
 * another took is decided again, and takes it back. Per CPU, the slot
 * also remembers the drop its source last hit (zt_drop_last), which the
 * flood's next packets match without the zt_drops look-up. */
static __always_inline __u32 zt_drop_slot(const struct zt_pkt *p)
{
	__u32 x = *(const __u32 *)&p->src[0] ^ *(const __u32 *)&p->src[4] ^
		  *(const __u32 *)&p->src[8] ^ *(const __u32 *)&p->src[12];

	/* Multiplicative (Fibonacci) hashing: the top bits of x * 2^32/phi. */
	return (x * 2654435769u) >> 24;
}

static __always_inline struct zt_drop_src *zt_drop_src(__u32 slot)
{
	return bpf_map_lookup_elem(&zt_drop_srcs, &slot);
}

/* The drop this CPU's slot holds (l), when it is the packet's (fk: its
 * flow key; the drop for every port, or for its own) under policy
 * generation gen, and its batch is not full: d filled, the packet
 * counted there, 1. No zt_drops look-up: a flood's common case. */
static __always_inline int zt_drop_last_hit(struct zt_drop_last *l, const struct zt_flow_key *fk,
					    struct zt_decision *d, __u32 gen, __u32 len)
{
	if (!l || l->drop.generation != gen || l->packets >= ZT_DROP_LAST_BATCH ||
	    l->key.ifindex != fk->ifindex || l->key.family != fk->family ||
	    !zt_addr_eq(l->key.src, fk->src) || !zt_addr_eq(l->key.dst, fk->dst))
		return 0;
	if (l->key.vlan != (__u16)(fk->vlan | ZT_FLOW_KEY_ANY) &&
	    (l->key.vlan != fk->vlan || l->key.proto != fk->proto || l->key.dport != fk->dport))
		return 0;
	l->packets++;
	l->bytes += len;
	zt_decision_of(d, &l->drop);
	return 1;
}

/* A zt_drops hit f under key fk and generation gen: the counts l holds
 * join their entry (looked up by its key: f, or the drop l held before;
 * an older generation's are dropped), and l holds f from now on (not a
 * drop to an IRI, whose epoch l does not check). Once a batch. */
static __always_inline void zt_drop_last_keep(struct zt_drop_last *l, struct zt_flow *f,
					      const struct zt_flow_key *fk, __u32 gen)
{
	struct zt_flow *o;

	if (!l)
		return;
	if (l->packets && l->drop.generation == gen) {
		o = bpf_map_lookup_elem(&zt_drops, &l->key);
		if (o) {
			o->packets += l->packets;
			o->bytes += l->bytes;
		}
	}
	l->packets = 0;
	l->bytes = 0;
	if (f->route_id & ZT_ROUTE_ID_HOST) {
		l->drop.generation = 0; /* matches nothing: no policy is generation 0 */
		l->key.ifindex = 0;
		return;
	}
	__builtin_memcpy(&l->key, fk, sizeof(*fk));
	__builtin_memcpy(&l->drop, f, sizeof(*f)); /* f's generation is gen */
}

/* fk as the key of a drop for every protocol and port (any) or for its
 * own protocol and destination port, from p; either without source port. */
static __always_inline void zt_drop_key(struct zt_flow_key *fk, const struct zt_pkt *p, int any)
{
	fk->sport = 0;
	fk->dport = any ? 0 : p->dport;
	fk->proto = any ? 0 : p->proto;
	fk->vlan = any ? (__u16)(p->vlan | ZT_FLOW_KEY_ANY) : p->vlan;
}

/* The drop cache for the packet (fk: its flow key, which comes back as it
 * went): the drop for all its ports, else the one for its own. A hit that
 * still holds (policy generation gen, IRI epoch: a blocked sender does not
 * keep an IRI in use) fills d and returns 1; one that no longer does is
 * deleted. */
static __always_inline int zt_drop_hit(struct zt_flow_key *fk, const struct zt_pkt *p,
				       struct zt_decision *d, __u32 gen, __u32 len,
				       struct zt_drop_last *l)
{
	struct zt_flow *f;

	zt_drop_key(fk, p, 1);
	f = bpf_map_lookup_elem(&zt_drops, fk);
	if (!f) {
		zt_drop_key(fk, p, 0);
		f = bpf_map_lookup_elem(&zt_drops, fk);
	}
	if (f && (f->generation != gen ||
		  !zt_iri_same_use(f->route_id, f->vnet_id, f->iri_epoch, p->family, p->dst, 0))) {
		bpf_map_delete_elem(&zt_drops, fk);
		f = 0;
	}
	if (f)
		zt_drop_last_keep(l, f, fk, gen);
	zt_drop_key(fk, p, 0);
	fk->sport = p->sport;
	if (!f)
		return 0;
	/* Per packet: a plain add (the count may lose a packet when two
	 * CPUs meet; an atomic costs every packet of a flood). */
	f->packets++;
	f->bytes += len;
	zt_decision_of(d, f);
	return 1;
}

/* A later fragment: its first fragment's decision, when that was made
 * under the policy in force (and the IRI's epoch) and lately; else
 * dropped. Returns 1 when it found one (d filled). */
static __always_inline int zt_frag_verdict(struct zt_ctx *c, const struct zt_pkt *p,
					   __u32 generation, struct zt_decision *d,
					   struct zt_frag_key *k)
{
	struct zt_frag_val *fv;

	__builtin_memset(k, 0, sizeof(*k));
	zt_frag_key(c, p, k);
	fv = bpf_map_lookup_elem(&zt_frags, k);
	if (!fv || fv->generation != generation ||
	    bpf_ktime_get_coarse_ns() - fv->created_ns > ZT_FRAG_TIMEOUT_NS ||
	    !zt_iri_same(fv->route_id, fv->vnet_id, fv->iri_epoch, p->family, p->dst))
		return 0;
	d->verdict = fv->verdict;
	d->reason = fv->reason;
	d->rule_id = fv->rule_id;
	d->route_id = fv->route_id;
	d->vnet_id = fv->vnet_id;
	d->iri_epoch = fv->iri_epoch;
	d->nat = !!(fv->flags & ZT_FLOW_F_NAT);
	return 1;
}

/* After the verdict, for the rare IPv4 packet with options: a source
 * route would carry it on past the destination just decided for, and
 * malformed options fail closed. Called by the entry programs in their
 * own frame: the classifier's leaves no stack for the walk. Such a packet
 * is counted under the verdict it had and again as a drop. Returns 1
 * when it drops the packet (d says why). */
static __always_inline int zt_options_drop(struct zt_ctx *c, const struct zt_pkt *p,
					   struct zt_decision *d)
{
	int o;

	if (!p->ip4_optlen || d->verdict == ZT_V_DROP)
		return 0;
	o = zt_ip4_options(c->raw, p->l3off + 20, p->ip4_optlen);
	if (!o)
		return 0;
	d->verdict = ZT_V_DROP;
	d->reason = o == 1 ? ZT_R_SRC_ROUTE : ZT_R_BAD_IP;
	if (o == 1)
		zt_stat(ZT_V_DROP, ZT_R_SRC_ROUTE, c->len);
	else
		zt_stat(ZT_V_DROP, ZT_R_BAD_IP, c->len);
	return 1;
}

/* Decides the packet in c (parsed into *pp); the caller maps d->verdict to
 * its hook's action. Every packet is counted once, by verdict and reason. */
static __always_inline void zt_classify(struct zt_ctx *c, struct zt_decision *d,
					struct zt_pkt *p)
{
	struct zt_flow_key fk = {};
	struct zt_flow *f = 0, nf = {};
	const struct zt_half_cfg *hc;
	struct zt_state *st;
	struct zt_drop_src *ds;
	__u32 zero = 0, h, slot;
	__u64 now;
	int r;

	__builtin_memset(d, 0, sizeof(*d));
	__builtin_memset(p, 0, sizeof(*p));
	r = zt_parse(c, p);
	if (r == ZT_PARSE_NON_IP) {
		d->verdict = ZT_V_PASS;
		d->reason = ZT_R_NON_IP;
		zt_stat(d->verdict, d->reason, c->len);
		return;
	}
	st = bpf_map_lookup_elem(&zt_state, &zero);
	if (r || !st) {
		/* Malformed: fail closed whatever the destination. */
		d->verdict = ZT_V_DROP;
		d->reason = r ? r : ZT_R_BAD_IP;
		zt_stat(d->verdict, d->reason, c->len);
		if (st)
			zt_emit(c, st, p, d, ZT_EV_DROP, 0);
		return;
	}
	h = st->active & 1;
	hc = &st->half[h];

	if (p->frag == ZT_FRAG_LATER) {
		struct zt_frag_key k;

		if (zt_frag_verdict(c, p, hc->generation, d, &k)) {
			zt_count(ZT_C_FRAG_LATER);
		} else {
			d->verdict = ZT_V_DROP;
			d->reason = ZT_R_FRAG;
			zt_emit(c, st, p, d, ZT_EV_DROP, hc->generation);
		}
		zt_stat(d->verdict, d->reason, c->len);
		return;
	}

	zt_flow_key(c, p, &fk);

	slot = zt_drop_slot(p);
	ds = zt_drop_src(slot);
	if (!ZT_BENCH_ALWAYS_NEW && ds && zt_addr_eq(ds->addr, p->src)) {
		struct zt_drop_last *l = bpf_map_lookup_elem(&zt_drop_last, &slot);

		if (zt_drop_last_hit(l, &fk, d, hc->generation, c->len) ||
		    zt_drop_hit(&fk, p, d, hc->generation, c->len, l)) {
			zt_count(ZT_C_DROP_HIT);
			zt_stat(d->verdict, d->reason, c->len);
			if (p->frag == ZT_FRAG_FIRST)
				zt_frag_remember(c, p, d, hc->generation);
			return;
		}
	}

	now = bpf_ktime_get_coarse_ns();
	f = ZT_BENCH_ALWAYS_NEW ? 0 : bpf_map_lookup_elem(&zt_flows, &fk);
	if (f && f->generation == hc->generation && zt_flow_iri_same(f, p->family, p->dst)) {
		__sync_fetch_and_add(&f->packets, 1);
		__sync_fetch_and_add(&f->bytes, c->len);
		f->last_seen_ns = now;
		zt_decision_of(d, f);
		zt_count(ZT_C_FLOW_HIT);
		zt_stat(d->verdict, d->reason, c->len);
		if (p->frag == ZT_FRAG_FIRST)
			zt_frag_remember(c, p, d, hc->generation);
		return;
	}
	if (f)
		zt_count(ZT_C_FLOW_STALE);

	zt_evaluate(c, p, hc, h, d);

	nf.verdict = d->verdict;
	nf.reason = d->reason;
	nf.flags = d->nat ? ZT_FLOW_F_NAT : 0;
	nf.rule_id = d->rule_id;
	nf.generation = hc->generation;
	nf.route_id = d->route_id;
	nf.tunnel_id = d->tunnel_id;
	nf.vnet_id = d->vnet_id;
	nf.device_id = d->device_id;
	nf.user_id = d->user_id;
	nf.iri_epoch = d->iri_epoch;
	nf.packets = f ? f->packets + 1 : 1;
	nf.bytes = (f ? f->bytes : 0) + c->len;
	nf.created_ns = f ? f->created_ns : now;
	nf.last_seen_ns = now;
	if (d->verdict != ZT_V_DROP) {
		bpf_map_update_elem(&zt_flows, &fk, &nf, BPF_ANY);
	} else {
		/* Not a flow: a cached flow that is now dropped goes, and a
		 * policy's drop is kept for every source port (zt_drops,
		 * below). An IRI not (yet) known or resolved is decided
		 * again each time. */
		if (f)
			bpf_map_delete_elem(&zt_flows, &fk);
	}
	zt_count(ZT_C_FLOW_NEW);
	zt_stat(d->verdict, d->reason, c->len);
	if (p->frag == ZT_FRAG_FIRST)
		zt_frag_remember(c, p, d, hc->generation);
	/* Unrouted traffic is not a zt decision and is not logged. */
	if (d->verdict != ZT_V_PASS)
		zt_emit(c, st, p, d, ZT_EV_FLOW, hc->generation);
	if (d->verdict != ZT_V_DROP || (d->reason != ZT_R_RULE && d->reason != ZT_R_DEFAULT))
		return;
	/* Last: the verifier walks what follows once per kind of key. Its
	 * own counts, not those of the flow it was. */
	nf.packets = 1;
	nf.bytes = c->len;
	nf.created_ns = now;
	zt_drop_key(&fk, p, d->any_port);
	bpf_map_update_elem(&zt_drops, &fk, &nf, BPF_ANY);
	ds = zt_drop_src(zt_drop_slot(p)); /* now lately dropped */
	if (ds && !zt_addr_eq(ds->addr, p->src))
		__builtin_memcpy(ds->addr, p->src, 16);
}

#endif
