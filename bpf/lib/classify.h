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
	k->family = p->family;
	k->proto = p->proto;
	k->id = p->frag_id;
	__builtin_memcpy(k->src, p->src, 16);
	__builtin_memcpy(k->dst, p->dst, 16);
}

static __always_inline void zt_frag_remember(struct zt_ctx *c, const struct zt_pkt *p,
					     const struct zt_decision *d)
{
	struct zt_frag_key k = {};
	struct zt_frag_val v = {};

	zt_frag_key(c, p, &k);
	v.verdict = d->verdict;
	v.reason = d->reason;
	v.flags = d->nat ? ZT_FLOW_F_NAT : 0;
	v.rule_id = d->rule_id;
	bpf_map_update_elem(&zt_frags, &k, &v, BPF_ANY);
	zt_count(ZT_C_FRAG_FIRST);
}

/* Decides the packet in c (parsed into *pp); the caller maps d->verdict to
 * its hook's action. Every packet is counted once, by verdict and reason. */
static __always_inline void zt_classify(struct zt_ctx *c, struct zt_decision *d,
					struct zt_pkt *p)
{
	struct zt_flow_key fk = {};
	struct zt_flow *f, nf = {};
	const struct zt_half_cfg *hc;
	struct zt_state *st;
	__u32 zero = 0, h;
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
		struct zt_frag_key k = {};
		struct zt_frag_val *fv;

		zt_frag_key(c, p, &k);
		fv = bpf_map_lookup_elem(&zt_frags, &k);
		if (fv) {
			d->verdict = fv->verdict;
			d->reason = fv->reason;
			d->rule_id = fv->rule_id;
			d->nat = !!(fv->flags & ZT_FLOW_F_NAT);
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

	now = bpf_ktime_get_coarse_ns();
	f = ZT_BENCH_ALWAYS_NEW ? 0 : bpf_map_lookup_elem(&zt_flows, &fk);
	if (f && f->generation == hc->generation) {
		__sync_fetch_and_add(&f->packets, 1);
		__sync_fetch_and_add(&f->bytes, c->len);
		f->last_seen_ns = now;
		d->verdict = f->verdict;
		d->reason = f->reason;
		d->rule_id = f->rule_id;
		d->nat = !!(f->flags & ZT_FLOW_F_NAT);
		d->vnet_id = f->vnet_id;
		d->route_id = f->route_id;
		zt_count(ZT_C_FLOW_HIT);
		zt_stat(d->verdict, d->reason, c->len);
		if (p->frag == ZT_FRAG_FIRST)
			zt_frag_remember(c, p, d);
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
	nf.packets = f ? f->packets + 1 : 1;
	nf.bytes = (f ? f->bytes : 0) + c->len;
	nf.created_ns = f ? f->created_ns : now;
	nf.last_seen_ns = now;
	bpf_map_update_elem(&zt_flows, &fk, &nf, BPF_ANY);
	zt_count(ZT_C_FLOW_NEW);
	zt_stat(d->verdict, d->reason, c->len);
	if (p->frag == ZT_FRAG_FIRST)
		zt_frag_remember(c, p, d);
	/* Unrouted traffic is not a zt decision and is not logged. */
	if (d->verdict != ZT_V_PASS)
		zt_emit(c, st, p, d, ZT_EV_FLOW, hc->generation);
}

#endif
