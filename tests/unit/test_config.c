// SPDX-License-Identifier: GPL-2.0
/* test_config — the YAML configuration: the example file parses and
 * compiles, every kind of mistake is reported with its line and column,
 * all errors are reported together, and no truncation or corruption of a
 * valid file crashes the parser. The route-list cache, the DNS keys and
 * out of memory have files of their own (config_test.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "dnspolicy.h"
#include "policy.h"
#include "config_test.h"
#include "../lib/t.h"

static const char *good =
	"gateway:\n"
	"  interface: [zt0, zt1]\n"
	"  default_action: block\n"
	"  log: {network: /var/log/zt/network.jsonl}\n"
	"virtual_networks:\n"
	"  - {name: default, default: true}\n"
	"  - {name: b1net}\n"
	"tunnels:\n"
	"  - {name: vpc, vnet: default}\n"
	"  - {name: local-dc, local: true, private_interface: eth1}\n"
	"  - {name: b1, vnet: b1net}\n"
	"routes:\n"
	"  cidr:\n"
	"    - {network: 10.2.0.0/24, tunnel: vpc}\n"
	"    - {network: 10.2.0.0/24, tunnel: b1}\n"
	"    - {network: 'fd00:2::/64', tunnel: local-dc, comment: v6}\n"
	"devices:\n"
	"  - {ip: 10.10.0.2, email: Admin@Example.com, groups: [devops, sre], interface: zt1}\n"
	"  - {ip: [10.10.0.3, 'fd00:10::3'], email: bob@example.com, vnet: b1net, interface: zt0,\n"
	"     vlan: 10}\n"
	"network_policies:\n"
	"  - name: ssh for devops\n"
	"    precedence: 10\n"
	"    action: allow\n"
	"    match: {dst_ip: 10.2.0.0/24, protocol: tcp, dst_port: 22, user_group: devops}\n"
	"  - name: web range\n"
	"    precedence: 20\n"
	"    action: allow\n"
	"    match: {dst_port: ['8000-8100', 443], protocol: [tcp, udp], user_email: admin@example.com}\n"
	"  - name: sni\n"
	"    precedence: 30\n"
	"    action: allow\n"
	"    match: {sni: [app.internal.local], vnet: b1net}\n"
	"  - name: catch-all\n"
	"    precedence: 1000\n"
	"    action: block\n"
	"    match: {dst_ip: [10.0.0.0/8, 'fd00::/8']}\n"
	"split_tunnels:\n"
	"  mode: include\n"
	"  entries: [10.0.0.0/8, {address: 'fd00::/8', description: ula}]\n";

static void example_parses_and_compiles(void)
{
	struct zt_config c;
	struct zt_cfg_errors e;
	struct zt_policy_build b;
	struct zt_compiled cc;
	__u32 ifx[2] = { 7, 8 };
	int err = parse(good, &c, &e);

	if (err)
		zt_cfg_errors_print(&e, stderr);
	T_EQ(err, 0);
	if (err)
		return;
	/* The two gateway interfaces, then the local tunnel's private one. */
	T_EQ(c.n_client_ifaces, 2);
	T_EQ(c.n_ifaces, 3);
	T_ASSERT(!strcmp(c.ifaces[2], "eth1"), "private interface '%s'", c.ifaces[2]);
	T_EQ(c.nat_port_lo, 61000);
	T_EQ(c.nat_port_hi, 65535);
	T_ASSERT(!c.xdp_redirect_veth, "xdp_redirect_veth defaults to false");
	T_EQ(c.n_vnets, 2);
	T_EQ(c.default_vnet, 1);
	T_EQ(c.n_tunnels, 3);
	T_ASSERT(c.tunnels[1].local, "local tunnel not local");
	T_EQ(c.n_routes, 3);
	T_EQ(c.routes[1].vnet, 2); /* from its tunnel */
	T_EQ(c.n_devices, 2);
	T_EQ(c.devices[1].n_addr, 2);
	T_ASSERT(!strcmp(c.users[0], "admin@example.com"), "emails are not case-folded");
	T_EQ(c.devices[0].groups, 3);
	T_EQ(c.n_policies, 4);
	T_EQ(c.policies[1].n_ports, 2);
	T_EQ(c.policies[1].ports[0].lo, 8000);
	T_EQ(c.policies[1].ports[0].hi, 8100);
	T_EQ(c.policies[1].protos, (1u << ZT_PC_TCP) | (1u << ZT_PC_UDP));
	T_EQ(c.policies[2].n_sni, 1);
	T_ASSERT(c.split_include, "split mode");
	T_EQ(c.n_split, 2);
	T_ASSERT(!strcmp(c.network_log, "/var/log/zt/network.jsonl"), "log path");

	T_EQ(c.devices[0].iface, 2);
	T_EQ(c.devices[1].iface, 1);
	T_EQ(c.devices[1].vlan, 10);
	T_EQ(zt_config_policy(&c, ifx, 2, &b), 0);
	/* Each address on the interface (and VLAN) its device is on only:
	 * bound everywhere, any host on another link could claim it. */
	T_EQ(b.in.n_devices, 3);
	T_EQ(b.devices[0].ifindex, 8);
	T_EQ(b.devices[1].ifindex, 7);
	T_EQ(b.devices[1].vlan, 10);
	T_EQ(zt_policy_compile(&b.in, &cc), 0);
	{
		/* admin (devops) ssh to 10.2.0.5 on zt1: allowed by rule 1,
		 * through the remote tunnel: STEER. */
		struct zt_eval_pkt p = { .ifindex = 8, .family = ZT_AF_INET, .pclass = ZT_PC_TCP,
					 .dport = 22, .src = { 10, 10, 0, 2 },
					 .dst = { 10, 2, 0, 5 } };
		struct zt_eval_result r;

		zt_policy_eval(&cc, &p, &r);
		T_EQ(r.rule_id, 1);
		T_EQ(r.verdict, ZT_V_STEER);
		p.dport = 23;
		zt_policy_eval(&cc, &p, &r);
		T_EQ(r.rule_id, 4);
		T_EQ(r.verdict, ZT_V_DROP);
		/* admin's address arriving on zt0: someone else (unenrolled),
		 * whom the devops rule does not let through. */
		p.ifindex = 7;
		p.dport = 22;
		zt_policy_eval(&cc, &p, &r);
		T_EQ(r.device_id, ZT_ID_NONE);
		T_EQ(r.rule_id, 4);
		/* bob is bob on zt0 with VLAN 10, not untagged. */
		p.src[3] = 3;
		p.vlan = 10;
		zt_policy_eval(&cc, &p, &r);
		T_EQ(r.device_id, 2);
		p.vlan = 0;
		zt_policy_eval(&cc, &p, &r);
		T_EQ(r.device_id, ZT_ID_NONE);
	}
	{
		/* The DNS server asks the same way: interface (index + 1)
		 * and VLAN, or 0 for any (a TCP asker). */
		static const __u8 admin[16] = { 10, 10, 0, 2 }, bob[16] = { 10, 10, 0, 3 };
		struct zt_dns_table t;

		T_EQ(zt_dns_table_build(&c, &t), 0);
		T_EQ(zt_dns_device(&t, 2, 0, ZT_AF_INET, admin), 0);
		T_EQ(zt_dns_device(&t, 1, 0, ZT_AF_INET, admin), -1);
		T_EQ(zt_dns_device(&t, 2, 10, ZT_AF_INET, admin), -1);
		T_EQ(zt_dns_device(&t, 1, 10, ZT_AF_INET, bob), 1);
		T_EQ(zt_dns_device(&t, 1, 0, ZT_AF_INET, bob), -1);
		T_EQ(zt_dns_device(&t, 1, 11, ZT_AF_INET, bob), -1);
		T_EQ(zt_dns_device(&t, 0, 0, ZT_AF_INET, bob), 1);
		zt_dns_table_free(&t);
	}
	zt_compiled_free(&cc);
	zt_policy_build_free(&b);
	zt_config_free(&c);
}

struct bad {
	const char *yaml;
	const char *where;  /* "line:col" expected in the message */
	const char *what;   /* part of the message */
};

static void each_mistake_reported_with_position(void)
{
	static const struct bad cases[] = {
		{ "gateway: {interface: zt0, colour: red}\n", "1:27", "unknown key 'colour'" },
		{ "gateway: {interface: [zt0, zt1]}\ndevices: [{ip: 10.10.0.2, email: a@b.c}]\n",
		  "2:11", "device without an interface: gateway.interface has 2" },
		{ "gateway: {interface: zt0}\ndevices: [{ip: 10.10.0.2, email: a@b.c, interface: zt9}]\n",
		  "2:52", "device interface 'zt9' is not one of gateway.interface" },
		{ "gateway: {interface: zt0}\ndevices: [{ip: 10.10.0.2, email: a@b.c, vlan: 4095}]\n",
		  "2:47", "vlan must be a whole number from 1 to 4094" },
		{ "gateway: {interface: zt0}\nroutes: {cidr: [{network: 10.2.0.1/24, tunnel: t}]}\n"
		  "tunnels: [{name: t}]\n", "2:27", "did you mean 10.2.0.0/24" },
		{ "gateway: {interface: zt0}\ntunnels: [{name: t}]\n"
		  "routes: {cidr: [{network: 10.2.0.0/33, tunnel: t}]}\n", "3:27",
		  "not a valid IP address or CIDR" },
		{ "gateway: {interface: zt0}\nnetwork_policies:\n"
		  "  - {name: a, precedence: 10, action: allow, match: {protocol: tcp}}\n"
		  "  - {name: b, precedence: 10, action: allow, match: {protocol: udp}}\n",
		  "4:27", "precedence 10 is already used by policy 'a' (line 3)" },
		{ "gateway: {interface: zt0}\nnetwork_policies:\n"
		  "  - {name: a, precedence: 10, action: allow, match: {protocol: tcp}}\n"
		  "  - {name: a, precedence: 11, action: allow, match: {protocol: udp}}\n",
		  "4:12", "policy name 'a' used twice" },
		{ "gateway: {interface: zt0}\nnetwork_policies:\n"
		  "  - {name: a, precedence: 10, action: allow, match: {}}\n", "3:53",
		  "match is empty" },
		{ "gateway: {interface: zt0}\ntunnels: [{name: t}]\nroutes:\n  cidr:\n"
		  "    - {network: 10.2.0.0/24, tunnel: t}\n    - {network: 10.3.0.0/24, tunnel: t}\n"
		  "    - {network: 10.2.0.0/24, tunnel: t}\n", "7:7",
		  "route 10.2.0.0/24 in vnet 'default' is defined twice (first at line 5)" },
		{ "gateway: {interface: zt0}\nnetwork_policies:\n"
		  "  - {name: a, precedence: 10, action: permit, match: {protocol: tcp}}\n",
		  "3:39", "must be allow or block" },
		{ "gateway: {interface: zt0}\nnetwork_policies:\n"
		  "  - {name: a, precedence: 10, action: allow, match: {vnet: nope}}\n",
		  "3:60", "unknown virtual network 'nope'" },
		{ "gateway: {interface: zt0}\nroutes: {cidr: [{network: 10.0.0.0/8, tunnel: x}]}\n",
		  "2:47", "unknown tunnel 'x'" },
		/* A tunnel's name is a token's, a state file's and the log's:
		 * one word of at most 63 characters (two longer names sharing
		 * their first 63 were one tunnel to the endpoint). */
		{ "gateway: {interface: zt0}\ntunnels: [{name: 'dc one'}]\n", "2:18",
		  "tunnel name 'dc one' may only have letters, digits, '.', '_' and '-'" },
		{ "gateway: {interface: zt0}\ntunnels: [{name: "
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}]\n",
		  "2:18", "is longer than 63 characters" },
		{ "gateway: {interface: zt0}\nnetwork_policies:\n"
		  "  - {name: a, precedence: 10, action: allow, match: {dst_port: 70000}}\n",
		  "3:64", "dst_port '70000'" },
		{ "gateway: {interface: zt0}\nnetwork_policies:\n"
		  "  - {name: a, precedence: 10, action: allow, match: {dst_port: 90-80}}\n",
		  "3:64", "dst_port '90-80'" },
		{ "gateway: {interface: zt0}\nnetwork_policies:\n"
		  "  - {name: a, precedence: 10, action: allow, match: {protocol: sctp}}\n",
		  "3:64", "protocol must be tcp, udp or icmp" },
		{ "gateway: {interface: zt0}\ndevices: [{ip: 10.0.0.0/24, email: a@b.c}]\n",
		  "2:16", "must be a single address" },
		{ "gateway: {interface: zt0}\ndevices: [{ip: 10.0.0.1, email: nobody}]\n",
		  "2:33", "'nobody' is not an email address" },
		{ "gateway: {interface: zt0}\ndevices: [{ip: 10.0.0.1, email: a@b.c},"
		  " {ip: 10.0.0.1, email: c@d.e}]\n", "2:41", "belongs to another device" },
		{ "gateway: {default_action: block}\n", "1:10", "gateway.interface is required" },
		{ "gateway: {interface: zt0}\nvirtual_networks: [{name: a}, {name: b}]\n", "2:19",
		  "mark one virtual network default" },
		{ "gateway: {interface: zt0}\n  bad indent: [\n", "2:", "YAML syntax" },
		{ "gateway: {interface: zt0}\nsplit_tunnels: {mode: sideways}\n", "2:23",
		  "include or exclude" },
		{ "gateway: {interface: zt0, interface: zt1}\n", "1:27", "repeated" },
		{ "", "1:1", "empty" },
		{ "- just\n- a list\n", "1:1", "must be a mapping" },
		/* Two routes through a tunnel whose vnet is unknown (found by fuzzing:
		 * the duplicate check indexed vnet 0). */
		{ "gateway: {interface: zt0}\ntunnels: [{name: t, vnet: nope}]\n"
		  "routes: {cidr: [{network: 10.2.0.0/24, tunnel: t}, {network: 10.2.0.0/24, tunnel: t}]}\n",
		  "2:27", "unknown virtual network 'nope'" },
		/* The DIRECT path's keys. */
		{ "gateway: {interface: zt0, nat_ports: 80-90}\n", "1:38",
		  "gateway.nat_ports '80-90' must be a port (1024-65535) or a range" },
		{ "gateway: {interface: zt0, nat_ports: 62000-61000}\n", "1:38",
		  "gateway.nat_ports '62000-61000'" },
		{ "gateway: {interface: zt0, nat_per_device: 0}\n", "1:43",
		  "gateway.nat_per_device must be a whole number from 1 to 131072, not '0'" },
		{ "gateway: {interface: zt0, nat_per_device: 200000}\n", "1:43",
		  "gateway.nat_per_device must be a whole number from 1 to 131072" },
		{ "gateway: {interface: zt0, xdp_redirect_veth: maybe}\n", "1:46", "true or false" },
		/* The proxy's. */
		{ "gateway: {interface: zt0, proxy: {max_connections: 0}}\n", "1:52",
		  "gateway.proxy.max_connections must be a whole number from 1" },
		{ "gateway: {interface: zt0, proxy: {detect_timeout_ms: 5}}\n", "1:54",
		  "gateway.proxy.detect_timeout_ms must be a whole number from 10 to 60000" },
		{ "gateway: {interface: zt0, proxy: {per_client: -1}}\n", "1:47",
		  "gateway.proxy.per_client must be a whole number" },
		{ "gateway: {interface: zt0, proxy: {detect_all: true}}\n", "1:35",
		  "unknown key 'detect_all'" },
		{ "gateway: {interface: zt0}\ntunnels: [{name: t, private_interface: eth1}]\n",
		  "2:40", "private_interface is for local tunnels" },
		{ "gateway: {interface: zt0}\n"
		  "tunnels: [{name: t, local: true, private_interface: zt0}]\n", "2:1",
		  "private_interface zt0 is also a gateway.interface" },
		{ "gateway: {interface: zt0}\ntunnels: [{name: t, local: true}]\n"
		  "routes: {hostname: [{hostname: a.b, tunnel: t}]}\n", "3:1",
		  "goes to local tunnel 't', which has no private_interface" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct zt_config c;
		struct zt_cfg_errors e;
		char where[32];
		int err = parse(cases[i].yaml, &c, &e);

		snprintf(where, sizeof(where), "t.yaml:%s", cases[i].where);
		T_ASSERT(err == -EINVAL, "case %zu accepted", i);
		T_ASSERT(has_err(&e, where) && has_err(&e, cases[i].what),
			 "case %zu: no error at %s saying \"%s\"", i, where, cases[i].what);
		if (!has_err(&e, where) || !has_err(&e, cases[i].what))
			zt_cfg_errors_print(&e, stderr);
		zt_cfg_errors_free(&e);
	}
}

static void all_errors_reported_together(void)
{
	const char *y =
		"gateway: {interface: zt0, bogus: 1}\n"
		"routes: {cidr: [{network: 10.2.0.1/24, tunnel: nope}]}\n"
		"network_policies:\n"
		"  - {name: a, precedence: 10, action: allow, match: {protocol: tcp}}\n"
		"  - {name: b, precedence: 10, action: allow, match: {}}\n"
		"  - {name: c, precedence: 30, action: maybe, match: {protocol: tcp}}\n";
	struct zt_config c;
	struct zt_cfg_errors e;

	T_EQ(parse(y, &c, &e), -EINVAL);
	T_ASSERT(e.n == 6, "%zu errors reported, expected 6", e.n);
	T_ASSERT(has_err(&e, "t.yaml:1:27: unknown key 'bogus'"), "unknown key");
	T_ASSERT(has_err(&e, "t.yaml:2:27: network '10.2.0.1/24' has host bits"), "host bits");
	T_ASSERT(has_err(&e, "t.yaml:2:48: unknown tunnel 'nope'"), "tunnel");
	T_ASSERT(has_err(&e, "t.yaml:5:27: precedence 10 is already used"), "precedence");
	T_ASSERT(has_err(&e, "t.yaml:5:53: match is empty"), "empty match");
	T_ASSERT(has_err(&e, "t.yaml:6:39: action must be allow or block"), "action");
	if (e.n != 6)
		zt_cfg_errors_print(&e, stderr);
	zt_cfg_errors_free(&e);
}

static void too_many_rules_refused(void)
{
	size_t cap = 200 * (ZT_MAX_RULES + 2), len, i;
	char *y = malloc(cap);
	struct zt_config c;
	struct zt_cfg_errors e;

	len = (size_t)snprintf(y, cap, "gateway: {interface: zt0}\nnetwork_policies:\n");
	for (i = 0; i <= ZT_MAX_RULES; i++)
		len += (size_t)snprintf(y + len, cap - len,
					"  - {name: r%zu, precedence: %zu, action: allow, "
					"match: {protocol: tcp}}\n", i, i + 1);
	T_EQ(parse(y, &c, &e), -EINVAL);
	T_ASSERT(has_err(&e, "too many network policies: at most 1024"), "no limit error");
	T_ASSERT(has_err(&e, ":1027:5:"), "limit error not at the 1025th policy");
	zt_cfg_errors_free(&e);
	free(y);
}

/* Does every error name the file and a line of it (t.yaml:LINE:), as an
 * operator needs to find what to fix? */
static bool errors_located(const struct zt_cfg_errors *e, unsigned lines)
{
	size_t i;
	unsigned line;

	for (i = 0; i < e->n; i++)
		if (sscanf(e->msg[i], "t.yaml:%u:", &line) != 1 || line < 1 || line > lines + 1)
			return false;
	return e->n > 0;
}

/* Every prefix of the example, and the example with each byte replaced,
 * is either accepted or refused with errors that say where; never a crash
 * (run under ASan with make SAN=1). */
static void truncated_and_corrupted_files_never_crash(void)
{
	size_t n = strlen(good), i;
	char *buf = malloc(n + 1);
	size_t refused = 0, corrupt_refused = 0, corrupted = 0;
	unsigned lines = 0;

	for (i = 0; i < n; i++)
		lines += good[i] == '\n';
	for (i = 0; i < n; i++) {
		struct zt_config c;
		struct zt_cfg_errors e;

		memcpy(buf, good, i);
		buf[i] = '\0';
		if (zt_config_parse("t.yaml", buf, i, &c, &e)) {
			T_ASSERT(errors_located(&e, lines),
				 "truncated at %zu: refused without an error that says where (%zu errors, first: %s)",
				 i, e.n, e.n ? e.msg[0] : "none");
			refused++;
		} else {
			zt_config_free(&c);
		}
		zt_cfg_errors_free(&e);
	}
	for (i = 0; i < n; i += 3) {
		struct zt_config c;
		struct zt_cfg_errors e;

		memcpy(buf, good, n + 1);
		buf[i] = "{}[]:,-'\"&*!|>%@`#\t"[i % 19];
		if (buf[i] == good[i])
			continue;
		corrupted++;
		if (zt_config_parse("t.yaml", buf, n, &c, &e)) {
			T_ASSERT(errors_located(&e, lines),
				 "byte %zu replaced by '%c': refused without an error that says where (%zu errors, first: %s)",
				 i, buf[i], e.n, e.n ? e.msg[0] : "none");
			corrupt_refused++;
		} else {
			zt_config_free(&c);
		}
		zt_cfg_errors_free(&e);
	}
	T_ASSERT(refused > n / 2, "only %zu of %zu truncations refused", refused, n);
	/* Most single-byte changes to a config make it invalid: a loop that
	 * refused none would not be parsing what it changed. */
	T_ASSERT(corrupt_refused > corrupted / 2, "only %zu of %zu corruptions refused",
		 corrupt_refused, corrupted);
	free(buf);
}

static void missing_file_is_an_errno(void)
{
	struct zt_config c;
	struct zt_cfg_errors e;

	T_EQ(zt_config_load("/nonexistent/zt.yaml", &c, &e), -ENOENT);
	T_EQ(e.n, 0);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	T_RUN(example_parses_and_compiles);
	T_RUN(each_mistake_reported_with_position);
	T_RUN(all_errors_reported_together);
	T_RUN(too_many_rules_refused);
	T_RUN(truncated_and_corrupted_files_never_crash);
	T_RUN(missing_file_is_an_errno);
	T_RUN(route_cache_agrees_with_plain_parse);
	T_RUN(dns_keys_parse);
	T_RUN(hostname_mistakes_reported);
	T_RUN(hostname_index_lookup);
	T_RUN(out_of_memory_refuses_the_load);
	T_RUN(l7_selectors_match_as_the_proxy);
	T_RUN(l7_selector_mistakes_reported);
	return t_done();
}
