// SPDX-License-Identifier: GPL-2.0
/* xdp_ingress — the XDP programs:
 *  zt_xdp_ingress: the classifier on client-facing Ethernet devices: every
 *                  packet gets a verdict; DROP is final here, DIRECT through
 *                  the NAT is translated and redirected when XDP can finish
 *                  it (nat.h), a DNS query the cache answers is answered
 *                  (dns.h), and the stack (and tc) takes the rest;
 *  zt_xdp_private: on a local tunnel's private interface: replies of DIRECT
 *                  flows translated back to their clients. */
#include "lib/classify.h"
#include "lib/nat.h"
#include "lib/dns.h"

/* Their own BPF functions: the classifier and the NAT each take most of
 * the 512-byte stack, which two frames in a call chain may share only when
 * neither is inlined into the other. */
static __noinline void zt_xdp_classify(struct zt_ctx *c, struct zt_decision *d,
				       struct zt_pkt *p)
{
	zt_classify(c, d, p);
}

__noinline int zt_xdp_nat_forward(struct xdp_md *ctx, struct zt_pkt *p,
				  const struct zt_decision *d)
{
	struct zt_ctx c;

	if (!p || !d)
		return XDP_DROP;
	zt_ctx_from_xdp(&c, ctx);
	return zt_nat_forward(ctx, &c, p, d, 1);
}

/* Global: the verifier checks it once, on its own, and not again for each
 * state its caller reaches it in. It may change the packet: its caller
 * uses no packet pointer after it. */
__noinline int zt_xdp_dns(struct xdp_md *ctx, const struct zt_pkt *p, __u32 vnet)
{
	struct zt_ctx c;

	if (!p)
		return -1;
	zt_ctx_from_xdp(&c, ctx);
	return zt_dns_answer(ctx, &c, p, vnet, 1);
}

static __always_inline int zt_xdp_entry(struct xdp_md *ctx)
{
	struct zt_decision d;
	struct zt_pkt p;
	struct zt_ctx c;
	int rc;

	zt_ctx_from_xdp(&c, ctx);
	zt_xdp_classify(&c, &d, &p);
	if (d.verdict == ZT_V_DROP || zt_options_drop(&c, &p, &d))
		return XDP_DROP;
	if (d.verdict == ZT_V_DIRECT && d.nat)
		return zt_xdp_nat_forward(ctx, &p, &d);
	/* Not routed by zt: perhaps a query to ztd the cache answers. */
	if (d.verdict == ZT_V_PASS && d.reason == ZT_R_NO_ROUTE && zt_dns_for_us(&p)) {
		rc = zt_xdp_dns(ctx, &p, d.vnet_id);
		return rc >= 0 ? rc : XDP_PASS;
	}
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
