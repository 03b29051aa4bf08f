// SPDX-License-Identifier: GPL-2.0
/* config_dns — test_config's cases for the DNS side of the configuration:
 * listeners, upstreams, the IRI pools, hostname routes and DNS policies,
 * each mistake in them reported, and the hostname index. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "config.h"
#include "dnspolicy.h"
#include "hostname.h"
#include "config_test.h"
#include "../lib/t.h"

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

void dns_keys_parse(void)
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
	T_EQ(c.proxy_max_conns, 16384);
	T_EQ(c.proxy_per_client, 1024);
	T_EQ(c.proxy_detect_ms, 1000);
	T_ASSERT(!c.proxy_detect_all, "SNI on 443 only by default");
	T_EQ(c.proxy_blocked_logs, 100);
	T_EQ(c.proxy_workers, 0); /* one per online CPU */
	T_ASSERT(!c.proxy_user, "the workers run as nobody unless told");
	zt_config_free(&c);
	T_EQ(parse("gateway: {interface: zt0, proxy: {max_connections: 10, per_client: 2,"
		   " detect_timeout_ms: 250, detect_all_ports: true, blocked_logs_per_sec: 0}}\n",
		   &c, &e), 0);
	T_EQ(c.proxy_blocked_logs, 0);
	T_EQ(c.proxy_max_conns, 10);
	T_EQ(c.proxy_per_client, 2);
	T_EQ(c.proxy_detect_ms, 250);
	T_ASSERT(c.proxy_detect_all, "detect_all_ports");
	zt_config_free(&c);
	T_EQ(parse("gateway: {interface: zt0, proxy: {workers: 3, user: zt-proxy_1}}\n", &c, &e), 0);
	T_EQ(c.proxy_workers, 3);
	T_ASSERT(c.proxy_user && !strcmp(c.proxy_user, "zt-proxy_1"), "proxy user");
	zt_config_free(&c);
	/* 64 listener slots per family; a user is a login name, nothing more. */
	T_EQ(parse("gateway: {interface: zt0, proxy: {workers: 65, user: '../x'}}\n", &c, &e),
	     -EINVAL);
	T_ASSERT(has_err(&e, "t.yaml:1:44: gateway.proxy.workers must be a whole number from 0 "
			 "to 64"), "workers");
	T_ASSERT(has_err(&e, "t.yaml:1:54: gateway.proxy.user must be a user name"), "user");
	zt_config_free(&c);
	zt_cfg_errors_free(&e);
	T_EQ(parse("gateway: {interface: zt0, proxy: {user: '1x'}}\n", &c, &e), -EINVAL);
	zt_config_free(&c);
	zt_cfg_errors_free(&e);

	/* The tunnel endpoint: 7844 unless a port is given; at most 8. */
	T_EQ(parse("gateway: {interface: zt0, connector_listen: [10.2.0.1, '[fd00:2::1]:443'],"
		   " connector_addresses: [203.0.113.7]}\n", &c, &e), 0);
	T_EQ(c.n_connector_listen, 2);
	T_EQ(c.connector_listen[0].port, ZT_CONNECTOR_PORT);
	T_EQ(c.connector_listen[1].family, ZT_AF_INET6);
	T_EQ(c.connector_listen[1].port, 443);
	T_EQ(c.n_connector_addresses, 1);
	T_EQ(c.connector_addresses[0].port, ZT_CONNECTOR_PORT);
	zt_config_free(&c);
	T_EQ(parse("gateway: {interface: zt0, connector_listen: [a.b.c.d, 1.2.3.4, 1.2.3.5, "
		   "1.2.3.6, 1.2.3.7, 1.2.3.8, 1.2.3.9, 1.2.3.10, 1.2.3.11, 1.2.3.12]}\n", &c, &e),
	     -EINVAL);
	T_ASSERT(has_err(&e, "t.yaml:1:46: gateway.connector_listen 'a.b.c.d' must be ADDRESS"),
		 "a bad address");
	T_ASSERT(has_err(&e, "gateway.connector_listen: at most 8 addresses"), "too many");
	zt_config_free(&c);
	zt_cfg_errors_free(&e);

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

void hostname_mistakes_reported(void)
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

void hostname_index_lookup(void)
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
