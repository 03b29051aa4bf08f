// SPDX-License-Identifier: GPL-2.0
/* test_config — the YAML configuration: the example file parses and
 * compiles, every kind of mistake is reported with its line and column,
 * all errors are reported together, and no truncation or corruption of a
 * valid file crashes the parser. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>
#include "config.h"
#include "dnspolicy.h"
#include "hostname.h"
#include "policy.h"
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

static int parse(const char *text, struct zt_config *c, struct zt_cfg_errors *e)
{
	return zt_config_parse("t.yaml", text, strlen(text), c, e);
}

/* Does some error contain needle? */
static bool has_err(const struct zt_cfg_errors *e, const char *needle)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (strstr(e->msg[i], needle))
			return true;
	return false;
}

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

/* Every prefix of the example, and the example with each byte replaced,
 * is either accepted or refused with errors; never a crash (run under
 * ASan with make SAN=1). */
static void truncated_and_corrupted_files_never_crash(void)
{
	size_t n = strlen(good), i;
	char *buf = malloc(n + 1);
	size_t refused = 0;

	for (i = 0; i < n; i++) {
		struct zt_config c;
		struct zt_cfg_errors e;

		memcpy(buf, good, i);
		buf[i] = '\0';
		if (zt_config_parse("t.yaml", buf, i, &c, &e)) {
			T_ASSERT(e.n > 0, "refused without an error at length %zu", i);
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
		if (!zt_config_parse("t.yaml", buf, n, &c, &e))
			zt_config_free(&c);
		zt_cfg_errors_free(&e);
	}
	T_ASSERT(refused > n / 2, "only %zu of %zu truncations refused", refused, n);
	free(buf);
}

static void missing_file_is_an_errno(void)
{
	struct zt_config c;
	struct zt_cfg_errors e;

	T_EQ(zt_config_load("/nonexistent/zt.yaml", &c, &e), -ENOENT);
	T_EQ(e.n, 0);
}


/* ---- the route-list cache ztd reloads through ------------------------------- */

/* A config of n routes (route i is 10.(i>>8).(i&255).0/24, some with a
 * comment, some in vnet b), with `edit` applied: -1 none, else route edit
 * moved to 11.x; extra text appended to the rules when given. */
static char *big_config(int n, int edit, const char *tunnel, const char *extra)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int i;

	fprintf(f, "gateway: {interface: zt0}\n"
		   "virtual_networks: [{name: a, default: true}, {name: b}]\n"
		   "tunnels:\n  - {name: %s}\n  - {name: tb, vnet: b}\nroutes:\n  cidr:\n", tunnel);
	for (i = 0; i < n; i++) {
		int o = i == edit ? 11 : 10;

		if (i % 97 == 5)
			fprintf(f, "    # a comment line\n\n");
		if (i % 50 == 3)
			fprintf(f, "    - network: %d.%d.%d.0/24\n      tunnel: %s\n      comment: r%d\n",
				o, i >> 8, i & 255, tunnel, i);
		else
			fprintf(f, "    - {network: %d.%d.%d.0/24, tunnel: %s}\n", o, i >> 8, i & 255,
				i % 7 ? tunnel : "tb");
	}
	fprintf(f, "network_policies:\n"
		   "  - {name: p, precedence: 1, action: allow, match: {protocol: tcp}}\n%s",
		extra ? extra : "");
	fclose(f);
	return buf;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

/* Loads path both ways; the results (routes, positions in errors) agree. */
static void load_agrees(const char *path, struct zt_cfg_cache *cache, int want_err)
{
	struct zt_config a, b;
	struct zt_cfg_errors ea, eb;
	int ra = zt_config_load(path, &a, &ea), rb = zt_config_load_cached(path, cache, &b, &eb);
	size_t i;

	T_EQ(ra, rb);
	T_ASSERT((ra != 0) == want_err, "%s: %s", want_err ? "no error" : "error",
		 ea.n ? ea.msg[0] : "-");
	T_EQ(ea.n, eb.n);
	for (i = 0; i < ea.n && i < eb.n; i++)
		T_ASSERT(!strcmp(ea.msg[i], eb.msg[i]), "plain '%s' cached '%s'", ea.msg[i],
			 eb.msg[i]);
	T_EQ(a.n_routes, b.n_routes);
	for (i = 0; i < a.n_routes && i < b.n_routes; i++) {
		const struct zt_cfg_route *x = &a.routes[i], *y = &b.routes[i];

		T_ASSERT(!zt_prefix_cmp(&x->pfx, &y->pfx) && x->vnet == y->vnet &&
			 x->tunnel == y->tunnel &&
			 !strcmp(x->comment ? x->comment : "", y->comment ? y->comment : ""),
			 "route %zu differs", i);
	}
	T_EQ(a.n_policies, b.n_policies);
	zt_config_free(&a);
	zt_config_free(&b);
	zt_cfg_errors_free(&ea);
	zt_cfg_errors_free(&eb);
}

/* base with the first `from` replaced by `to`, written and loaded both
 * ways; the edited text becomes the base of the next edit. */
static void edit_load(const char *path, struct zt_cfg_cache *cache, char **base,
		      const char *from, const char *to, int want_err)
{
	char *at = strstr(*base, from), *t = NULL;

	T_ASSERT(at != NULL, "'%s' is in the config", from);
	if (!at)
		return;
	if (asprintf(&t, "%.*s%s%s", (int)(at - *base), *base, to, at + strlen(from)) < 0)
		abort();
	write_file(path, t);
	load_agrees(path, cache, want_err);
	free(*base);
	*base = t;
}

static void route_cache_agrees_with_plain_parse(void)
{
	char path[] = "/tmp/zt-cfgcache.XXXXXX";
	struct zt_cfg_cache *cache = zt_cfg_cache_new();
	size_t reused, parsed, first;
	int fd = mkstemp(path);
	char *t;

	T_ASSERT(fd >= 0 && cache, "setup");
	close(fd);
	t = big_config(20000, -1, "dc", NULL);
	write_file(path, t);
	free(t);
	load_agrees(path, cache, 0);
	zt_cfg_cache_stats(cache, &reused, &first);
	T_ASSERT(first > 10 && reused == 0, "first load parses every chunk (%zu)", first);

	/* One route changed: one chunk parsed again, the rest reused. */
	t = big_config(20000, 12345, "dc", NULL);
	write_file(path, t);
	free(t);
	load_agrees(path, cache, 0);
	zt_cfg_cache_stats(cache, &reused, &parsed);
	T_ASSERT(parsed >= 1 && parsed <= 2 && reused + parsed >= first - 1,
		 "one edit: %zu parsed, %zu reused", parsed, reused);

	/* Errors inside and after the list: the same messages and lines. */
	t = big_config(20000, -1, "dc", "  - {name: q, precedence: 2, action: allow, bogus: 1}\n");
	write_file(path, t);
	free(t);
	load_agrees(path, cache, 1);
	t = big_config(20000, -1, "dc", NULL);
	memcpy(strstr(t, "10.30.57.0/24"), "10.30.57.1/24", 13); /* host bits */
	write_file(path, t);
	free(t);
	load_agrees(path, cache, 1);
	/* The same file again: refused again. A chunk that had an error is
	 * never reused (it once was, as a chunk of no routes: the second
	 * reload of a broken file was accepted without them). */
	load_agrees(path, cache, 1);
	t = big_config(20000, 4, "dc", NULL); /* 11.0.4.0/24 ... */
	memcpy(strstr(t, "10.0.9.0/24"), "11.0.4.0/24", 11); /* ... twice */
	write_file(path, t);
	free(t);
	load_agrees(path, cache, 1);

	/* Edits the splitter must resynchronise after: the first and last
	 * routes, lines inserted before the list (every line moves), routes
	 * inserted and deleted in the middle, the list grown and shortened at
	 * its end, the text after it changed; an error after a shift is
	 * placed on its new line. */
	t = big_config(20000, -1, "dc", NULL);
	write_file(path, t);
	load_agrees(path, cache, 0);
	edit_load(path, cache, &t, "10.0.0.0/24", "11.0.0.0/24", 0);
	edit_load(path, cache, &t, "10.78.31.0/24", "11.78.31.0/24", 0);
	edit_load(path, cache, &t, "routes:\n", "# moved\n\nroutes:\n", 0);
	edit_load(path, cache, &t, "routes:\n", "# moved\nroutes:\n", 0);
	edit_load(path, cache, &t, "    - {network: 10.40.0.0/24",
		  "    - {network: 12.0.0.0/24, tunnel: dc}\n    - {network: 12.0.1.0/24, tunnel: dc}\n"
		  "    - {network: 10.40.0.0/24", 0);
	edit_load(path, cache, &t, "    - {network: 10.40.2.0/24, tunnel: dc}\n", "", 0);
	edit_load(path, cache, &t, "network_policies:",
		  "    - {network: 12.1.0.0/24, tunnel: dc}\nnetwork_policies:", 0);
	edit_load(path, cache, &t, "    - {network: 12.1.0.0/24, tunnel: dc}\nnetwork_policies:",
		  "    - network: 12.1.0.0/24\n      tunnel: dc\n\n      comment: now in block style\n"
		  "network_policies:", 0);
	edit_load(path, cache, &t, "    - {network: 11.78.31.0/24, tunnel: tb}\n", "", 0);
	edit_load(path, cache, &t, "precedence: 1,", "precedence: 2,", 0);
	edit_load(path, cache, &t, "routes:\n", "# moved\n\n\nroutes:\n", 0);
	free(t);
	t = big_config(20000, -1, "dc", NULL);
	memcpy(strstr(t, "10.60.2.0/24"), "10.60.2.9/24", 12);
	edit_load(path, cache, &t, "routes:\n", "# moved\nroutes:\n", 1);
	free(t);

	/* A renamed tunnel: cached routes resolved with the old names go. */
	t = big_config(20000, -1, "dc2", NULL);
	write_file(path, t);
	free(t);
	load_agrees(path, cache, 0);
	zt_cfg_cache_stats(cache, &reused, &parsed);
	T_EQ(reused, 0);

	/* An anchor sign in the list (here in a comment): the plain parse. */
	t = big_config(300, -1, "dc", NULL);
	memcpy(strstr(t, "# a comment line"), "# a comment & ln", 16);
	write_file(path, t);
	free(t);
	load_agrees(path, cache, 0);
	zt_cfg_cache_stats(cache, &reused, &parsed);
	T_EQ(reused + parsed, 0);
	unlink(path);
	zt_cfg_cache_free(cache);
}

static const char *dnscfg =
	"gateway:\n"
	"  interface: zt0\n"
	"  dns_listen: [10.10.0.1:53, '[fd00:10::1]:5353', 10.10.0.1]\n"
	"  log: {dns: /var/log/zt/dns.jsonl}\n"
	"  state_dir: /tmp/zt-state\n"
	"dns: {upstreams: ['192.0.2.53', '[2001:db8::53]:5300'], ttl: 60, upstream_timeout_ms: 500}\n"
	"initial_resolved_ips: {ipv4: 100.96.0.0/12, ipv6: 'fd00:abcd::/96', wildcard_per_user: 50}\n"
	"tunnels: [{name: vpc}, {name: dc, local: true, private_interface: eth1}]\n"
	"routes:\n"
	"  hostname:\n"
	"    - {hostname: '*.Internal.Local.', tunnel: vpc}\n"
	"    - {hostname: .ssh.internal.local, tunnel: dc}\n"
	"  cidr: [{network: 10.2.0.0/24, tunnel: vpc}]\n"
	"network_policies:\n"
	"  - {name: ssh, precedence: 1, action: allow, match: {host: ssh.internal.local, dst_port: 22}}\n"
	"dns_policies:\n"
	"  - {name: hide, precedence: 5, action: block, match: {host: '*.internal.local', user_group: x}}\n";

static void dns_keys_parse(void)
{
	struct zt_config c;
	struct zt_cfg_errors e;
	char b[ZT_PREFIX_STRLEN];
	int err = parse(dnscfg, &c, &e);

	if (err)
		zt_cfg_errors_print(&e, stderr);
	T_EQ(err, 0);
	if (err)
		return;
	T_EQ(c.n_dns_listen, 3);
	T_EQ(c.dns_listen[0].port, 53);
	T_EQ(c.dns_listen[1].family, ZT_AF_INET6);
	T_EQ(c.dns_listen[1].port, 5353);
	T_EQ(c.dns_listen[2].port, 53);
	T_EQ(c.n_upstreams, 2);
	T_EQ(c.upstreams[1].port, 5300);
	T_EQ(c.dns_ttl, 60);
	T_EQ(c.dns_timeout_ms, 500);
	T_ASSERT(!strcmp(zt_prefix_str(&c.iri4, b, sizeof(b)), "100.96.0.0/12"), "iri4 %s", b);
	T_ASSERT(!strcmp(zt_prefix_str(&c.iri6, b, sizeof(b)), "fd00:abcd::/96"), "iri6 %s", b);
	T_EQ(c.iri_wild_per_user, 50);
	T_EQ(c.n_host_routes, 2);
	T_ASSERT(!strcmp(c.host_routes[0].host, "*.internal.local"), "stored '%s'",
		 c.host_routes[0].host);
	T_ASSERT(!strcmp(c.host_routes[1].host, "ssh.internal.local"), "trimmed '%s'",
		 c.host_routes[1].host);
	T_EQ(c.host_routes[1].tunnel, 2);
	T_EQ(c.policies[0].n_hosts, 1);
	T_EQ(c.n_dns_policies, 1);
	T_EQ(c.dns_policies[0].action, ZT_ACT_BLOCK);
	T_ASSERT(!strcmp(c.dns_log, "/var/log/zt/dns.jsonl"), "dns log");
	T_ASSERT(!strcmp(c.state_dir, "/tmp/zt-state"), "state dir");
	/* What the programs may answer for ztd: a name no per-user DNS policy
	 * may decide ("hide" selects a group for *.internal.local). */
	T_ASSERT(!zt_dns_same_for_all(&c, "foo.internal.local"), "group policy on the name");
	T_ASSERT(zt_dns_same_for_all(&c, "www.example.com"), "no policy on the name");
	T_ASSERT(zt_dns_same_for_all(&c, "a.b.internal.local"), "the wildcard's one label only");
	zt_config_free(&c);
	T_EQ(parse("gateway: {interface: zt0}\n"
		   "devices: [{ip: 10.0.0.2, email: a@example.com}]\n"
		   "dns_policies:\n"
		   "  - {name: all, precedence: 1, action: allow, match: {user_email: a@example.com}}\n"
		   "  - {name: web, precedence: 2, action: block, match: {host: web.example.com}}\n",
		   &c, &e), 0);
	T_ASSERT(!zt_dns_same_for_all(&c, "www.example.com"), "a per-user policy with no host");
	zt_config_free(&c);
	T_EQ(parse("gateway: {interface: zt0}\n"
		   "dns_policies:\n"
		   "  - {name: web, precedence: 2, action: block, match: {host: web.example.com}}\n",
		   &c, &e), 0);
	T_ASSERT(zt_dns_same_for_all(&c, "web.example.com"), "a block for everyone");
	zt_config_free(&c);

	/* Defaults. */
	T_EQ(parse("gateway: {interface: zt0}\n", &c, &e), 0);
	T_EQ(c.dns_ttl, 30);
	T_EQ(c.n_dns_listen, 0);
	T_ASSERT(!strcmp(zt_prefix_str(&c.iri4, b, sizeof(b)), "100.80.0.0/16"), "default pool");
	T_EQ(c.iri_wild_per_user, 1024);
	T_ASSERT(!strcmp(c.state_dir, "/var/lib/zt"), "default state dir");
	T_EQ(c.nat_per_device, 4096);
	zt_config_free(&c);

	/* The DIRECT path's: two tunnels on one private interface name it once. */
	T_EQ(parse("gateway: {interface: zt0, nat_ports: 40000-40099, xdp_redirect_veth: true,"
		   " nat_per_device: 64}\n"
		   "tunnels:\n  - {name: a, local: true, private_interface: eth1}\n"
		   "  - {name: b, local: true, private_interface: eth1}\n", &c, &e), 0);
	T_EQ(c.nat_port_lo, 40000);
	T_EQ(c.nat_port_hi, 40099);
	T_EQ(c.nat_per_device, 64);
	T_ASSERT(c.xdp_redirect_veth, "xdp_redirect_veth");
	T_EQ(c.n_ifaces, 2);
	T_EQ(c.n_client_ifaces, 1);
	zt_config_free(&c);
}

static void hostname_mistakes_reported(void)
{
	static const struct { const char *host, *msg; } bad[] = {
		{ "'foo.*.local'", "has a wildcard that is not the leftmost label" },
		{ "'*foo.local'", "has a partial wildcard" },
		{ "'f*.local'", "has a partial wildcard" },
		{ "'*.*.local'", "has more than one wildcard" },
		{ "'*'", "is only a wildcard" },
		{ "'a..b'", "has an empty label" },
		{ "'a b.c'", "holds a character a host name cannot" },
		{ "'...'", "is empty" },
	};
	struct zt_config c;
	struct zt_cfg_errors e;
	char y[1024], lab[70];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(y, sizeof(y), "gateway: {interface: zt0}\ntunnels: [{name: t}]\n"
			 "routes:\n  hostname:\n    - {hostname: %s, tunnel: t}\n", bad[i].host);
		T_EQ(parse(y, &c, &e), -EINVAL);
		T_ASSERT(has_err(&e, "t.yaml:5:18: hostname") && has_err(&e, bad[i].msg),
			 "%s: %s", bad[i].host, e.n ? e.msg[0] : "no error");
		zt_cfg_errors_free(&e);
	}
	memset(lab, 'a', 64);
	lab[64] = 0;
	snprintf(y, sizeof(y), "gateway: {interface: zt0}\ntunnels: [{name: t}]\n"
		 "routes:\n  hostname:\n    - {hostname: %s.b, tunnel: t}\n"
		 "    - {hostname: x.b, tunnel: nope}\n"
		 "    - {hostname: X.B, tunnel: t}\n    - {hostname: x.b., tunnel: t}\n"
		 "network_policies:\n"
		 "  - {name: n, precedence: 1, action: allow, match: {host: x.b, dst_ip: 10.0.0.0/8}}\n"
		 "dns_policies:\n"
		 "  - {name: d, precedence: 1, action: allow, match: {}}\n"
		 "  - {name: d, precedence: 2, action: allow, match: {dst_ip: 10.0.0.0/8}}\n"
		 "dns: {ttl: 0, upstreams: ['10.0.0.1:99999']}\n"
		 "initial_resolved_ips: {ipv4: 'fd00::/64', wildcard_per_user: -1}\n", lab);
	T_EQ(parse(y, &c, &e), -EINVAL);
	T_ASSERT(has_err(&e, "t.yaml:5:18: hostname") && has_err(&e, "longer than 63"), "label");
	T_ASSERT(has_err(&e, "t.yaml:6:31: unknown tunnel 'nope'"), "tunnel");
	T_ASSERT(has_err(&e, "t.yaml:8:18: hostname route 'x.b' in vnet 'default' is defined "
			 "twice (first at line 7)"), "duplicate after case and dot folding");
	T_ASSERT(has_err(&e, "t.yaml:10:52: dst_ip and host cannot be combined"), "combined");
	T_ASSERT(has_err(&e, "t.yaml:12:52: match is empty"), "empty DNS match");
	T_ASSERT(has_err(&e, "t.yaml:13:53: unknown key 'dst_ip' in match"), "DNS match keys");
	T_ASSERT(has_err(&e, "dns.ttl must be a whole number from 1 to 86400"), "ttl");
	T_ASSERT(has_err(&e, "dns.upstreams '10.0.0.1:99999' must be ADDRESS"), "upstream");
	T_ASSERT(has_err(&e, "initial_resolved_ips.ipv4 must be an IPv4 prefix"), "pool family");
	T_ASSERT(has_err(&e, "initial_resolved_ips.wildcard_per_user must be a whole number from 0 "
			 "to 65536"), "wildcard_per_user");
	if (e.n != 10)
		zt_cfg_errors_print(&e, stderr);
	T_EQ(e.n, 10);
	zt_cfg_errors_free(&e);

	/* A route inside the (default) pool is refused: its traffic would be
	 * taken for IRIs. */
	T_EQ(parse("gateway: {interface: zt0}\ntunnels: [{name: t}]\n"
		   "routes: {cidr: [{network: 100.64.0.0/10, tunnel: t}]}\n", &c, &e), -EINVAL);
	T_ASSERT(has_err(&e, "t.yaml:3:17: route 100.64.0.0/10 overlaps the initial resolved IP "
			 "pool 100.80.0.0/16"), "overlap: %s", e.n ? e.msg[0] : "none");
	zt_cfg_errors_free(&e);
}

static void hostname_index_lookup(void)
{
	static const char *const pat[] = { "*.internal.local", "ssh.internal.local",
					   "*.internal.local", "db.internal.local" };
	static const __u32 vn[] = { 1, 1, 2, 2 };
	struct zt_host_index ix;

	T_EQ(zt_host_index_build(&ix, pat, vn, 4), 0);
	T_EQ(zt_host_index_find(&ix, "ssh.internal.local", 1), 1); /* exact wins */
	T_EQ(zt_host_index_find(&ix, "foo.internal.local", 1), 0);
	T_EQ(zt_host_index_find(&ix, "foo.bar.internal.local", 1), -1); /* one label only */
	T_EQ(zt_host_index_find(&ix, "internal.local", 1), -1);
	T_EQ(zt_host_index_find(&ix, "db.internal.local", 1), 0);
	T_EQ(zt_host_index_find(&ix, "db.internal.local", 2), 3);
	T_EQ(zt_host_index_find(&ix, "ssh.internal.local", 2), 2);
	T_EQ(zt_host_index_find(&ix, "ssh.internal.local", 3), -1);
	zt_host_index_free(&ix);
	T_ASSERT(zt_hostname_match("*.internal.local", "Foo.Internal.Local."), "match");
	T_ASSERT(!zt_hostname_match("*.internal.local", "a.b.internal.local"), "depth");
}

/* ---- out of memory -----------------------------------------------------------
 *
 * This binary is linked with malloc, calloc, realloc, strdup, asprintf and
 * free wrapped (-Wl,--wrap in the Makefile: valgrind replaces any function
 * named malloc, so they cannot simply be defined here) and with libyaml's
 * archive, so every allocation a load makes, config.c's and libyaml's,
 * passes through here. fail_nth(n) fails the nth allocation from then on;
 * live counts blocks handed out less blocks freed, a leak check that works
 * without valgrind's --leak-check=full. */
static unsigned long alloc_n, fail_at;
static long live;
static bool in_yaml, failed_in_yaml; /* inside yaml_parser_load (wrapped too) */
static void *before_fail;            /* the block handed out just before */

int __real_yaml_parser_load(yaml_parser_t *parser, yaml_document_t *doc);
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void __real_free(void *p);

static bool fail_now(void)
{
	if (!fail_at || ++alloc_n != fail_at)
		return false;
	failed_in_yaml = in_yaml;
	errno = ENOMEM;
	return true;
}

static void *handed(void *p)
{
	if (p) {
		live++;
		if (fail_at && alloc_n + 1 == fail_at)
			before_fail = p;
	}
	return p;
}

int __wrap_yaml_parser_load(yaml_parser_t *parser, yaml_document_t *doc)
{
	int ret;

	in_yaml = true;
	ret = __real_yaml_parser_load(parser, doc);
	in_yaml = false;
	return ret;
}

void *__wrap_malloc(size_t n)
{
	return handed(fail_now() ? NULL : __real_malloc(n));
}

void *__wrap_calloc(size_t n, size_t size)
{
	return handed(fail_now() ? NULL : __real_calloc(n, size));
}

void *__wrap_realloc(void *p, size_t n)
{
	void *q = fail_now() ? NULL : __real_realloc(p, n);

	if (!p)
		return handed(q);
	if (q && p == before_fail)
		before_fail = q;
	return q;
}

char *__wrap_strdup(const char *s)
{
	return handed(fail_now() ? NULL : __real_strdup(s));
}

int __wrap_asprintf(char **out, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (fail_now())
		return -1;
	va_start(ap, fmt);
	r = vasprintf(out, fmt, ap);
	va_end(ap);
	if (r >= 0)
		handed(*out);
	return r;
}

void __wrap_free(void *p)
{
	if (p) {
		live--;
		if (p == before_fail)
			before_fail = NULL;
	}
	__real_free(p);
}

static void fail_nth(unsigned long n)
{
	alloc_n = 0;
	fail_at = n;
	failed_in_yaml = false;
	before_fail = NULL;
}

/* Blocks lost since live was `before`, once everything the load made is
 * freed: none may be. libyaml 0.2.5 loses one of its own: a sequence's or
 * mapping's item stack, when it then cannot push the node (the error paths
 * of yaml_parser_load_sequence and _mapping), i.e. the block handed out
 * just before the one that failed. That one is given back here, so that
 * valgrind's leak check shows none either. */
static long lost(long before)
{
	/* Not free(): GCC takes that for the builtin, which changes no count. */
	if (failed_in_yaml && before_fail && live - before == 1)
		__wrap_free(before_fail);
	return live - before;
}

/* Whether the allocation fail_nth() named was reached; disarms. */
static bool failed(void)
{
	bool hit = fail_at && alloc_n >= fail_at;

	fail_at = 0;
	return hit;
}

/* Every section, each kind of list and optional string once. */
static const char *oomcfg =
	"gateway: {interface: zt0, log: {network: /n.jsonl, dns: /d.jsonl}, dns_listen: 10.9.0.1}\n"
	"virtual_networks: [{name: a, default: true}, {name: b}]\n"
	"tunnels: [{name: t}, {name: l, vnet: b, local: true, private_interface: eth1}]\n"
	"routes:\n"
	"  hostname: [{hostname: '*.x.local', tunnel: l, comment: h}]\n"
	"  cidr: [{network: 10.2.0.0/24, tunnel: l, comment: c}, {network: 10.1.0.0/24, tunnel: t}]\n"
	"devices: [{ip: 10.9.0.2, email: A@x.com, groups: [g], name: d}]\n"
	"network_policies:\n"
	"  - {name: p, precedence: 1, action: allow, match: {dst_ip: 10.0.0.0/8, dst_port: 22,\n"
	"     user_email: a@x.com, user_group: g, vnet: b, sni: s.x}}\n"
	"  - {name: q, precedence: 2, action: allow, match: {host: a.x.local}}\n"
	"split_tunnels: {entries: [10.0.0.0/8]}\n"
	"dns_policies: [{name: r, precedence: 1, action: block, match: {host: b.x.local}}]\n";

/* Fails each allocation of parsing text in turn: every such parse is
 * refused with -ENOMEM and leaks nothing; the parse with nothing failing
 * that ends the loop gives want. */
static void parse_oom(const char *text, int want)
{
	struct zt_config c;
	struct zt_cfg_errors e;
	unsigned long n;
	int err;

	for (n = 1; !t_case_failed; n++) {
		long before = live, leaked;

		fail_nth(n);
		err = parse(text, &c, &e);
		if (!failed()) { /* the parse made fewer than n allocations */
			T_EQ(err, want);
			T_ASSERT(n > 100, "only %lu allocations: are they wrapped?", n - 1);
			if (!err)
				zt_config_free(&c);
			zt_cfg_errors_free(&e);
			T_EQ(live, before);
			return;
		}
		T_ASSERT(err == -ENOMEM, "allocation %lu failed: the parse returned %d", n, err);
		T_EQ(e.n, 0);
		zt_cfg_errors_free(&e);
		leaked = lost(before);
		T_ASSERT(!leaked, "allocation %lu failed: %ld blocks leaked", n, leaked);
	}
}

/* A reload through the route-list cache that runs out of memory: a cache
 * warmed with file `from` loads `to` with the nth allocation failing; the
 * load after it must agree with the plain parse, and nothing may leak. */
static void cached_oom(const char *from, const char *to)
{
	struct zt_config c;
	struct zt_cfg_errors e;
	unsigned long n;
	int err;

	for (n = 1; !t_case_failed; n++) {
		long before = live, leaked;
		struct zt_cfg_cache *cache = zt_cfg_cache_new();
		bool hit;

		T_EQ(zt_config_load_cached(from, cache, &c, &e), 0);
		zt_config_free(&c);
		zt_cfg_errors_free(&e);
		fail_nth(n);
		err = zt_config_load_cached(to, cache, &c, &e);
		hit = failed();
		if (!hit) {
			T_EQ(err, 0);
			T_ASSERT(n > 100, "only %lu allocations: are they wrapped?", n - 1);
			zt_config_free(&c);
		} else {
			T_ASSERT(err == -ENOMEM, "allocation %lu failed: the load returned %d", n,
				 err);
			T_EQ(e.n, 0);
		}
		zt_cfg_errors_free(&e);
		load_agrees(to, cache, 0);
		zt_cfg_cache_free(cache);
		leaked = lost(before);
		T_ASSERT(!leaked, "allocation %lu failed: %ld blocks leaked", n, leaked);
		if (!hit)
			return;
	}
}

static void out_of_memory_refuses_the_load(void)
{
	char a[] = "/tmp/zt-cfgoom-a.XXXXXX", b[] = "/tmp/zt-cfgoom-b.XXXXXX";
	int fa = mkstemp(a), fb = mkstemp(b);
	char *t;

	parse_oom(oomcfg, 0);
	/* A message that cannot be allocated must not make a bad file good. */
	parse_oom("gateway: {interface: zt0}\ntunnels: [{name: t}]\n"
		  "routes: {cidr: [{network: 10.0.0.1/8, tunnel: nope}]}\n", -EINVAL);

	/* routes.cidr in the block layout the cache cuts into chunks: the
	 * same text again (its chunk reused), then one route changed (its
	 * chunk parsed again). */
	T_ASSERT(fa >= 0 && fb >= 0, "setup");
	close(fa);
	close(fb);
	t = big_config(6, -1, "dc", NULL);
	write_file(a, t);
	free(t);
	t = big_config(6, 4, "dc", NULL);
	write_file(b, t);
	free(t);
	cached_oom(a, a);
	cached_oom(a, b);
	unlink(a);
	unlink(b);
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
	return t_done();
}
