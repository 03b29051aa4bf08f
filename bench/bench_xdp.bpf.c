// SPDX-License-Identifier: GPL-2.0
/* bench_xdp — programs only the benchmark loads: the no-op baseline, zt's
 * classifier built to take the new-flow path on every packet (so
 * BPF_PROG_TEST_RUN's repeat measures a new flow, not a cache hit), and the
 * stages of that path on their own, to show where the time goes. Its maps
 * are zt's own, re-used through the pin root. */
#define ZT_BENCH_ALWAYS_NEW 1
#include "lib/classify.h"

/* The classifier entry as xdp_ingress has it, without the NAT. */
static __always_inline int zt_xdp_entry(struct xdp_md *ctx)
{
	struct zt_decision d;
	struct zt_pkt p;
	struct zt_ctx c;

	zt_ctx_from_xdp(&c, ctx);
	zt_classify(&c, &d, &p);
	return d.verdict == ZT_V_DROP ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int zt_bench_noop(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int zt_bench_new_flow(struct xdp_md *ctx)
{
	return zt_xdp_entry(ctx);
}

/* Stage: parsing only. */
SEC("xdp")
int zt_bench_parse(struct xdp_md *ctx)
{
	struct zt_pkt p = {};
	struct zt_ctx c;

	zt_ctx_from_xdp(&c, ctx);
	return zt_parse(&c, &p) ? XDP_DROP : XDP_PASS;
}

/* Stage: parsing and the flow-cache lookup. */
SEC("xdp")
int zt_bench_lookup(struct xdp_md *ctx)
{
	struct zt_flow_key k = {};
	struct zt_pkt p = {};
	struct zt_ctx c;

	zt_ctx_from_xdp(&c, ctx);
	if (zt_parse(&c, &p))
		return XDP_DROP;
	zt_flow_key(&c, &p, &k);
	return bpf_map_lookup_elem(&zt_flows, &k) ? XDP_PASS : XDP_DROP;
}

/* Stage: parsing and policy evaluation (identity, destination LPM, rule
 * bitmaps), without the flow insert and the event. */
SEC("xdp")
int zt_bench_evaluate(struct xdp_md *ctx)
{
	struct zt_decision d;
	struct zt_pkt p = {};
	struct zt_state *st;
	struct zt_ctx c;
	__u32 zero = 0, h;

	zt_ctx_from_xdp(&c, ctx);
	st = bpf_map_lookup_elem(&zt_state, &zero);
	if (!st || zt_parse(&c, &p))
		return XDP_DROP;
	h = st->active & 1;
	zt_evaluate(&c, &p, &st->half[h], h, &d);
	return d.verdict == ZT_V_DROP ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
