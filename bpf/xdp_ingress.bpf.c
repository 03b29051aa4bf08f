// SPDX-License-Identifier: GPL-2.0
/* xdp_ingress — the classifier on the client-facing Ethernet device: every
 * packet gets a verdict; only DROP is final here, the stack (and tc) takes
 * the rest. */
#include "lib/classify.h"

SEC("xdp")
int zt_xdp_ingress(struct xdp_md *ctx)
{
	return zt_xdp_entry(ctx);
}

char LICENSE[] SEC("license") = "GPL";
