/* SPDX-License-Identifier: GPL-2.0 */
/* l7.h — how a steered flow's L7 selectors are decided, the one way the
 * proxy (user/ztd/proxy_conn.c) and `ztctl policy test` both use: the
 * names `sni` and `host` selectors are matched against, and the match
 * itself, as the l7_match callback of zt_policy_eval_l7. */
#ifndef ZT_L7_H
#define ZT_L7_H

#include <stdbool.h>
#include "config.h"
#include "detect.h"

struct zt_l7_flow {
	/* The flow goes to an IRI given for this name; NULL: a CIDR
	 * destination ("" : an IRI whose name is not known). */
	const char *iri_name;
	__u16 dport;
	enum zt_proto proto;     /* what detection found */
	const char *name;        /* TLS: the ClientHello's SNI; HTTP: Host */
};

struct zt_l7_arg {
	const struct zt_config *cfg;
	const struct zt_l7_flow *flow;
};

/* zt_policy_eval_l7's l7_match: arg is a struct zt_l7_arg; rule_index a
 * position in cfg->policies. True when each of the rule's sni, host and
 * detected_protocol selectors matches the flow. The name sni and host
 * match is, for an IRI, its name, on every port and whatever the client
 * sent (the IRI decides where the flow goes); for a CIDR destination the
 * ClientHello's SNI on port 443 (sni) or the HTTP Host on port 80 (host),
 * on every port with gateway.proxy.detect_all_ports. */
bool zt_l7_match(void *arg, __u32 rule_index);

#endif
