// SPDX-License-Identifier: GPL-2.0
/* xdp_ingress — the XDP programs:
 *  zt_xdp_ingress: the classifier on client-facing Ethernet devices: every
 *                  packet gets a verdict; DROP is final here, DIRECT through
 *                  the NAT is translated and redirected when XDP can finish
 *                  it (nat.h), and the stack (and tc) takes the rest;
 *  zt_xdp_private: on a local tunnel's private interface: replies of DIRECT
 *                  flows translated back to their clients. */
#include "lib/nat.h"

/* Their own BPF functions: the classifier and the NAT each take most of
 * the 512-byte stack, which two frames in a call chain may share only when
 * neither is inlined into the other. */
static __noinline void zt_xdp_classify(struct zt_ctx *c, struct zt_decision *d,
				       struct zt_pkt *p)
{
	zt_classify(c, d, p);
}

static __noinline int zt_xdp_nat_forward(struct xdp_md *ctx, struct zt_ctx *c,
					 struct zt_pkt *p, const struct zt_decision *d)
{
	return zt_nat_forward(ctx, c, p, d, 1);
}

static __always_inline int zt_xdp_entry(struct xdp_md *ctx)
{
	struct zt_decision d;
	struct zt_pkt p;
	struct zt_ctx c;

	zt_ctx_from_xdp(&c, ctx);
	zt_xdp_classify(&c, &d, &p);
	if (d.verdict == ZT_V_DROP)
		return XDP_DROP;
	if (d.verdict == ZT_V_DIRECT && d.nat)
		return zt_xdp_nat_forward(ctx, &c, &p, &d);
	return XDP_PASS;
}

SEC("xdp")
int zt_xdp_ingress(struct xdp_md *ctx)
{
	return zt_xdp_entry(ctx);
}

SEC("xdp")
int zt_xdp_private(struct xdp_md *ctx)
{
	struct zt_ctx c;

	zt_ctx_from_xdp(&c, ctx);
	return zt_nat_reverse(ctx, &c, 1);
}

char LICENSE[] SEC("license") = "GPL";
