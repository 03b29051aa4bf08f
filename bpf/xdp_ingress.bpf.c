// SPDX-License-Identifier: GPL-2.0
/* xdp_ingress — the classifier on the client-facing Ethernet device: every
 * packet gets a verdict; only DROP is final here, the stack (and tc) takes
 * the rest. */
#include "lib/classify.h"

SEC("xdp")
int zt_xdp_ingress(struct xdp_md *ctx)
{
	struct zt_decision d;
	struct zt_ctx c;

	zt_ctx_from_xdp(&c, ctx);
	zt_classify(&c, &d);
	return d.verdict == ZT_V_DROP ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
