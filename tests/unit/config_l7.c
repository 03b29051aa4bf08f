// SPDX-License-Identifier: GPL-2.0
/* config_l7 — test_config's cases for the L7 selectors: sni, host and
 * detected_protocol parse (and their mistakes are reported), and
 * zt_l7_match decides each as the proxy does (config/l7.h): for an IRI
 * its name, for a CIDR destination what the client sent, on its port. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "config.h"
#include "config_test.h"
#include "l7.h"
#include "../lib/t.h"

static const char *l7cfg =
	"gateway: {interface: zt0}\n"
	"network_policies:\n"
	"  - {name: app, precedence: 1, action: allow, match: {sni: [App.Example.]}}\n"
	"  - {name: wiki, precedence: 2, action: block, match: {host: '*.wiki.example'}}\n"
	"  - {name: ssh, precedence: 3, action: allow, match: {detected_protocol: [ssh]}}\n"
	"  - {name: both, precedence: 4, action: allow,\n"
	"     match: {sni: [a.example], detected_protocol: tls, protocol: tcp}}\n";

static bool l7(const struct zt_config *c, __u32 rule, const char *iri, __u16 port,
	       enum zt_proto proto, const char *name)
{
	struct zt_l7_flow f = { .iri_name = iri, .dport = port, .proto = proto, .name = name };
	struct zt_l7_arg a = { .cfg = c, .flow = &f };

	return zt_l7_match(&a, rule);
}

void l7_selectors_match_as_the_proxy(void)
{
	struct zt_config c;
	struct zt_cfg_errors e;
	const enum zt_proto TLS = ZT_PROTO_TLS, HTTP = ZT_PROTO_HTTP, SSH = ZT_PROTO_SSH;

	T_EQ(parse(l7cfg, &c, &e), 0);
	if (e.n) {
		zt_cfg_errors_print(&e, stderr);
		zt_cfg_errors_free(&e);
		return;
	}
	/* sni is stored as a host name: lower case, no trailing dot. */
	T_ASSERT(!strcmp(c.policies[0].sni[0], "app.example"), "sni stored as %s",
		 c.policies[0].sni[0]);
	T_EQ(c.policies[2].detected, 1u << ZT_PROTO_SSH);
	T_EQ(c.policies[3].detected, 1u << ZT_PROTO_TLS);

	/* sni: an IRI's name on any port, whatever was sent; else SNI on 443. */
	T_ASSERT(l7(&c, 0, "app.example", 22, SSH, NULL), "sni: the IRI's name, port 22");
	T_ASSERT(!l7(&c, 0, "b.example", 443, TLS, "app.example"),
		 "sni: an IRI of another name, whatever the ClientHello says");
	T_ASSERT(l7(&c, 0, NULL, 443, TLS, "app.example"), "sni on 443");
	T_ASSERT(!l7(&c, 0, NULL, 8443, TLS, "app.example"), "sni off 443");
	T_ASSERT(!l7(&c, 0, NULL, 443, HTTP, "app.example"), "sni is not an HTTP Host");
	T_ASSERT(!l7(&c, 0, "", 443, TLS, "app.example"), "an IRI whose name is unknown");
	/* host: an IRI's name; else the HTTP Host on 80. */
	T_ASSERT(l7(&c, 1, "x.wiki.example", 22, SSH, NULL), "host: the IRI's name");
	T_ASSERT(l7(&c, 1, NULL, 80, HTTP, "x.wiki.example"), "host: HTTP Host on 80");
	T_ASSERT(!l7(&c, 1, NULL, 8080, HTTP, "x.wiki.example"), "host: HTTP Host off 80");
	T_ASSERT(!l7(&c, 1, NULL, 80, TLS, "x.wiki.example"), "host is not a TLS SNI");
	T_ASSERT(!l7(&c, 1, NULL, 80, HTTP, "wiki.example"), "*.wiki.example: not the apex");
	/* detected_protocol, and every selector of a rule together. */
	T_ASSERT(l7(&c, 2, NULL, 2222, SSH, NULL), "detected ssh");
	T_ASSERT(!l7(&c, 2, NULL, 22, ZT_PROTO_UNKNOWN, NULL), "unknown is not ssh");
	T_ASSERT(l7(&c, 3, NULL, 443, TLS, "a.example"), "sni and tls");
	T_ASSERT(!l7(&c, 3, "a.example", 22, SSH, NULL), "the IRI's name, but not tls");
	c.proxy_detect_all = true;
	T_ASSERT(l7(&c, 0, NULL, 8443, TLS, "app.example"), "detect_all_ports: sni off 443");
	T_ASSERT(l7(&c, 1, NULL, 8080, HTTP, "x.wiki.example"), "detect_all_ports: Host off 80");
	zt_config_free(&c);
	/* With detected_protocol http, host and dst_ip go together: the
	 * HTTP Host at those addresses. */
	T_EQ(parse("gateway: {interface: zt0}\nnetwork_policies:\n"
		   "  - {name: w, precedence: 1, action: allow, match: {host: w.example,\n"
		   "     dst_ip: 10.0.0.0/8, detected_protocol: http}}\n", &c, &e), 0);
	T_EQ(e.n, 0);
	zt_config_free(&c);
}

void l7_selector_mistakes_reported(void)
{
	static const struct { const char *match, *what; } cases[] = {
		{ "{sni: [a.example], protocol: udp}", "sni and detected_protocol match TCP only" },
		{ "{detected_protocol: udp, protocol: [udp, icmp]}",
		  "detected_protocol must be tls, http, ssh or unknown, not 'udp'" },
		{ "{detected_protocol: ssh, protocol: icmp}", "match TCP only" },
		{ "{sni: 'a b.example'}", "sni 'a b.example'" },
		{ "{sni: 10.0.0.1/8}", "sni '10.0.0.1/8'" },
		{ "{host: a.example, dst_ip: 10.0.0.0/8, detected_protocol: ssh}",
		  "dst_ip and host cannot be combined" },
		/* Rules that would compile to no kernel row: errors, not a
		 * block that blocks nothing. */
		{ "{host: a.example, sni: a.example, dst_ip: 10.0.0.0/8, "
		  "detected_protocol: [http, tls]}", "cannot both match one flow" },
		{ "{sni: a.example, dst_ip: 10.0.0.0/8, dst_port: 8443}",
		  "sni counts on port 443 only" },
		{ "{host: a.example, dst_ip: 10.0.0.0/8, detected_protocol: http, dst_port: 8080}",
		  "host with dst_ip is the HTTP Host, on port 80 only" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char y[512];
		struct zt_config c;
		struct zt_cfg_errors e;

		snprintf(y, sizeof(y), "gateway: {interface: zt0}\nnetwork_policies:\n"
			 "  - {name: a, precedence: 1, action: allow, match: %s}\n", cases[i].match);
		T_ASSERT(parse(y, &c, &e) == -EINVAL, "case %zu accepted", i);
		T_ASSERT(has_err(&e, "t.yaml:3:") && has_err(&e, cases[i].what),
			 "case %zu: no error on line 3 saying \"%s\"", i, cases[i].what);
		if (!has_err(&e, cases[i].what))
			zt_cfg_errors_print(&e, stderr);
		zt_cfg_errors_free(&e);
	}
}
