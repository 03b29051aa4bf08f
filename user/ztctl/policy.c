// SPDX-License-Identifier: GPL-2.0
/* policy.c — `ztctl policy test`: which rule decides a flow and what the
 * kernel does with it, computed from a config file by the same compiler
 * and evaluation order as the kernel (zt_policy_eval); with --sni or
 * --detected-protocol, also what the proxy finishes for rules with L7
 * selectors, by the proxy's own rules (config/l7.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "addr.h"
#include "config.h"
#include "dnspolicy.h"
#include "hostname.h"
#include "l7.h"
#include "names.h"
#include "out.h"
#include "policy.h"
#include "ztctl.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: ztctl [-j|-p] policy test --src IP (--dst IP | --host NAME)\n"
		"                   --proto tcp|udp|icmp [--dport N]\n"
		"                   [--sni NAME | --http-host NAME] [--detected-protocol P]\n"
		"                   [--interface NAME] [--vlan N]\n"
		"                   [--config FILE]\n\n"
		"Says which rule decides a new flow from device address --src to --dst,\n"
		"and the verdict the kernel gives it (direct, steer, drop, pass), using\n"
		"the same compiler and evaluation order as the kernel.\n"
		"  --config FILE  the config to test (default: the file ztd last applied)\n"
		"  --host NAME    instead of --dst: the IRI the DNS server gives for NAME\n"
		"                 (a hostname route must cover it), its real address\n"
		"                 taken as resolved; host and sni selectors match NAME\n"
		"  --dport N      destination port (tcp and udp; required for them)\n"
		"  --sni NAME     the TLS server name the client sends: rules with sni\n"
		"                 selectors decide as the proxy does (on port 443 unless\n"
		"                 gateway.proxy.detect_all_ports); implies tls\n"
		"  --http-host NAME  the HTTP Host the client sends: host selectors on a\n"
		"                 CIDR destination (port 80 unless detect_all_ports);\n"
		"                 implies http\n"
		"  --detected-protocol tls|http|ssh|unknown\n"
		"                 what the proxy's detection found (no server name): such\n"
		"                 rules then decide as the proxy does. Without one of\n"
		"                 these three, a rule with an L7 selector shows 'steer'\n"
		"                 with reason l7\n"
		"  --interface NAME  the gateway interface the packet arrives on, and\n"
		"  --vlan N       its 802.1Q id (default: where the device with address\n"
		"                 --src is declared; elsewhere that address is unenrolled)\n"
		"example: ztctl policy test --src 10.10.0.2 --dst 10.2.0.5 --proto tcp --dport 22\n");
}

static const char *opt_name(char **v, size_t n, __u32 id)
{
	return id && id <= n ? v[id - 1] : NULL;
}

static void print_result(const struct zt_config *cfg, const struct zt_eval_result *r,
			 const char *src, const char *dst, const char *proto, long dport,
			 const char *sni, const char *http_host, const char *detected)
{
	const struct zt_cfg_device *dev = r->device_id ? &cfg->devices[r->device_id - 1] : NULL;
	const struct zt_cfg_route *rt = r->route_id && !(r->route_id & ZT_ROUTE_ID_HOST) ?
					&cfg->routes[r->route_id - 1] : NULL;
	const struct zt_cfg_host_route *hr = r->route_id & ZT_ROUTE_ID_HOST ?
		&cfg->host_routes[(r->route_id & ~ZT_ROUTE_ID_HOST) - 1] : NULL;
	const struct zt_cfg_policy *rule = r->rule_id ? &cfg->policies[r->rule_id - 1] : NULL;
	char pfx[ZT_PREFIX_STRLEN];

	out_obj_start(NULL);
	out_str("src", "%s", src);
	if (dev) {
		out_str("device", " (device %s", dev->name ? dev->name : src);
		out_str("user_email", ", user %s",
			opt_name(cfg->users, cfg->n_users, dev->user));
	} else {
		out_str("device", " (not an enrolled device", NULL);
		out_str("user_email", NULL, NULL);
	}
	out_str("vnet", ", vnet %s)", r->vnet_id ? cfg->vnets[r->vnet_id - 1].name : NULL);
	out_str("dst", " -> %s", dst);
	out_str("protocol", " %s", proto);
	if (dport >= 0)
		out_u64("dport", "/%llu", (unsigned long long)dport);
	if (sni)
		out_str("sni", " sni %s", sni);
	if (http_host)
		out_str("http_host", " http host %s", http_host);
	if (detected)
		out_str("detected_protocol", " detected %s", detected);
	out_text("\n");
	if (rt) {
		out_str("route", "route:   %s", zt_prefix_str(&rt->pfx, pfx, sizeof(pfx)));
		out_str("tunnel", " via tunnel %s\n", cfg->tunnels[rt->tunnel - 1].name);
	} else if (hr) {
		out_str("route", "route:   hostname %s", hr->host);
		out_str("tunnel", " via tunnel %s\n", cfg->tunnels[hr->tunnel - 1].name);
	} else {
		out_str("route", "route:   none\n", NULL);
		out_str("tunnel", NULL, NULL);
	}
	if (rule) {
		out_str("rule", "rule:    %s", rule->name);
		out_u64("rule_id", " (id %llu", r->rule_id);
		out_u64("precedence", ", precedence %llu", rule->precedence);
		out_str("action", ", action %s)\n", rule->action == ZT_ACT_ALLOW ? "allow" : "block");
	} else if (r->reason == ZT_R_DEFAULT) {
		out_str("rule", NULL, NULL);
		out_str("action", "rule:    none matches: the default action, %s\n",
			cfg->default_action == ZT_ACT_ALLOW ? "allow" : "block");
	} else {
		out_str("rule", "rule:    none applies\n", NULL);
		out_str("action", NULL, NULL);
	}
	out_str("verdict", "verdict: %s", zt_verdict_name(r->verdict));
	out_str("reason", " (reason %s)\n", zt_reason_name(r->reason));
	if (r->verdict == ZT_V_STEER && r->reason == ZT_R_L7)
		out_text("         the proxy decides on what it reads; try --sni NAME, --http-host\n"
			 "         NAME or --detected-protocol P\n");
	out_obj_end();
}

/* The device one of whose addresses addr is, or NULL. */
static const struct zt_cfg_device *device_of(const struct zt_config *c, const struct zt_prefix *addr)
{
	size_t i, j;

	for (i = 0; i < c->n_devices; i++)
		for (j = 0; j < c->devices[i].n_addr; j++)
			if (!zt_prefix_cmp(&c->devices[i].addr[j], addr))
				return &c->devices[i];
	return NULL;
}

/* A flag value or a clear error. */
/* optarg, the value of option OPT, as a whole number from lo to hi in *v;
 * else an error that says it must be WHAT, and -1. */
static int number_in(const char *opt, long lo, long hi, const char *what, long *v)
{
	char *end;

	*v = strtol(optarg, &end, 10);
	if (*end || !*optarg || *v < lo || *v > hi) {
		out_error("%s '%s' is not %s", opt, optarg, what);
		return -1;
	}
	return 0;
}

/* The value of option opt, a host name, in its stored form into out; -1
 * with an error when it is none. */
static int name_arg(const char *opt, const char *v, char out[ZT_HOSTNAME_MAX + 1])
{
	const char *why;

	if (!v || !zt_hostname_norm(v, false, out, &why))
		return 0;
	out_error("%s '%s' %s", opt, v, why);
	return -1;
}

/* The IRI the DNS server gives name in vnet, as a compiled entry at the
 * first address of the pool of family (real address taken as resolved);
 * -1 with an error when no hostname route covers name there. */
static int iri_for_host(const struct zt_config *cfg, const struct zt_compiled *c,
			const char *name, __u8 family, __u32 vnet, struct zt_iri_entry *e)
{
	const struct zt_prefix *pool = family == ZT_AF_INET ? &cfg->iri4 : &cfg->iri6;
	const struct zt_cfg_host_route *hr;
	struct zt_dns_table t;
	long r;
	int err;

	if (!pool->len) {
		out_error("--host: the config has no %s IRI pool (initial_resolved_ips)",
			  family == ZT_AF_INET ? "IPv4" : "IPv6");
		return -1;
	}
	err = zt_dns_table_build(cfg, &t);
	if (err) {
		out_error("--host: %s", strerror(-err));
		return -1;
	}
	r = zt_host_index_find(&t.routes, name, vnet);
	zt_dns_table_free(&t);
	if (r < 0) {
		out_error("--host %s: no hostname route covers it in vnet %s; the DNS server "
			  "answers it from upstream, so test its address with --dst",
			  name, cfg->vnets[vnet - 1].name);
		return -1;
	}
	hr = &cfg->host_routes[r];
	memset(e, 0, sizeof(*e));
	e->key.vnet_id = vnet;
	e->key.family = family;
	memcpy(e->key.addr, pool->addr, 16);
	e->key.addr[family == ZT_AF_INET ? 3 : 15] |= 1;
	zt_compiled_iri_dst(c, name, ZT_ROUTE_ID_HOST | (__u32)(r + 1), hr->tunnel,
			    cfg->tunnels[hr->tunnel - 1].local, &e->dst);
	e->resolved = true;
	return 0;
}

static int test_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "src", required_argument, 0, 's' },    { "dst", required_argument, 0, 'd' },
		{ "proto", required_argument, 0, 'p' },  { "dport", required_argument, 0, 'P' },
		{ "sni", required_argument, 0, 'n' },    { "config", required_argument, 0, 'c' },
		{ "interface", required_argument, 0, 'i' }, { "vlan", required_argument, 0, 'v' },
		{ "detected-protocol", required_argument, 0, 'D' },
		{ "host", required_argument, 0, 'H' },  { "http-host", required_argument, 0, 'T' },
		{ "help", no_argument, 0, 'h' },         { 0 }
	};
	const char *src = NULL, *dst = NULL, *proto = NULL, *sni = NULL, *path = NULL,
		   *ifname = NULL, *host = NULL, *http_host = NULL;
	char hname[ZT_HOSTNAME_MAX + 1], sname[ZT_HOSTNAME_MAX + 1],
	     hhname[ZT_HOSTNAME_MAX + 1], pool_dst[INET6_ADDRSTRLEN];
	struct zt_iri_entry ie;
	long vlan = -1;
	struct zt_prefix ps, pd = { 0 };
	struct zt_config cfg = { 0 };
	struct zt_policy_build pb;
	struct zt_compiled c;
	struct zt_eval_pkt pkt = { .ifindex = 1 };
	struct zt_eval_result r;
	struct zt_l7_arg la;
	struct zt_l7_flow lf = { .proto = ZT_PROTO_UNKNOWN };
	int detected = -1;
	bool l7;
	__u32 ifindex[ZT_MAX_IFACES];
	long dport = -1;
	size_t i;
	int opt, err, rc = 1;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': src = optarg; break;
		case 'd': dst = optarg; break;
		case 'p': proto = optarg; break;
		case 'n': sni = optarg; break;
		case 'H': host = optarg; break;
		case 'T': http_host = optarg; break;
		case 'D':
			detected = zt_l7_proto_parse(optarg);
			if (detected < 0) {
				out_error("--detected-protocol '%s': say tls, http, ssh or unknown",
					  optarg);
				return 2;
			}
			break;
		case 'c': path = optarg; break;
		case 'i': ifname = optarg; break;
		case 'v':
			if (number_in("--vlan", 0, 4094, "a VLAN id (0-4094, 0: untagged)", &vlan))
				return 2;
			break;
		case 'P':
			if (number_in("--dport", 1, 65535, "a port number (1-65535)", &dport))
				return 2;
			break;
		case 'h': usage(stdout); return 0;
		default:
			return ztctl_usage_error("policy", "unknown or incomplete option",
					 argv[optind - 1]);
		}
	}
	if (optind < argc)
		return ztctl_usage_error("policy", "unexpected argument", argv[optind]);
	if (!src || !(dst || host) || !proto) {
		out_error("--src, --dst (or --host) and --proto are required; see ztctl policy "
			  "--help");
		return 2;
	}
	if (dst && host) {
		out_error("--dst and --host both name the destination: give one");
		return 2;
	}
	/* Names as the proxy holds them: lower case, no trailing dot. */
	if (name_arg("--host", host, hname) || name_arg("--sni", sni, sname) ||
	    name_arg("--http-host", http_host, hhname))
		return 2;
	if (zt_prefix_parse(src, &ps) || ps.len != (ps.family == ZT_AF_INET ? 32 : 128) ||
	    (dst && (zt_prefix_parse(dst, &pd) || pd.len != (pd.family == ZT_AF_INET ? 32 : 128) ||
		     ps.family != pd.family))) {
		out_error("--src '%s' and --dst '%s' must be addresses of one family", src,
			  dst ? dst : "");
		return 2;
	}
	if (!strcmp(proto, "tcp")) {
		pkt.pclass = ZT_PC_TCP;
	} else if (!strcmp(proto, "udp")) {
		pkt.pclass = ZT_PC_UDP;
	} else if (!strcmp(proto, "icmp")) {
		pkt.pclass = ZT_PC_ICMP;
	} else {
		out_error("--proto '%s': say tcp, udp or icmp", proto);
		return 2;
	}
	if (pkt.pclass != ZT_PC_ICMP && dport < 0) {
		out_error("--dport is required with --proto %s", proto);
		return 2;
	}
	if (pkt.pclass == ZT_PC_ICMP && dport >= 0) {
		out_error("--dport has no meaning with --proto icmp");
		return 2;
	}
	if ((sni || http_host || detected >= 0) && pkt.pclass != ZT_PC_TCP) {
		out_error("--sni, --http-host and --detected-protocol need --proto tcp (the "
			  "proxy takes TCP)");
		return 2;
	}
	if (sni && http_host) {
		out_error("--sni is TLS and --http-host HTTP: a flow has one or the other");
		return 2;
	}
	if ((sni && detected >= 0 && detected != ZT_PROTO_TLS) ||
	    (http_host && detected >= 0 && detected != ZT_PROTO_HTTP)) {
		out_error("--sni goes with --detected-protocol tls only, --http-host with http");
		return 2;
	}
	if (ztctl_config_load(path, &cfg))
		goto out;
	/* Gateway interface i is ifindex i + 1 here. The packet arrives where
	 * it is told, else where the device with its source is declared. */
	for (i = 0; i < ZT_MAX_IFACES; i++)
		ifindex[i] = (__u32)i + 1;
	if (ifname) {
		for (i = 0; i < cfg.n_client_ifaces && strcmp(cfg.ifaces[i], ifname); i++)
			;
		if (i == cfg.n_client_ifaces) {
			out_error("--interface %s is not one of gateway.interface", ifname);
			goto out;
		}
		pkt.ifindex = (__u32)i + 1;
	}
	if (!ifname || vlan < 0) {
		const struct zt_cfg_device *dv = device_of(&cfg, &ps);

		if (dv && !ifname)
			pkt.ifindex = dv->iface;
		if (dv && vlan < 0)
			vlan = dv->vlan;
	}
	pkt.vlan = vlan < 0 ? 0 : (__u16)vlan;
	err = zt_config_policy(&cfg, ifindex, cfg.n_client_ifaces ? cfg.n_client_ifaces : 1, &pb);
	if (!err) {
		err = zt_policy_compile(&pb.in, &c);
		zt_policy_build_free(&pb);
	}
	if (err) {
		out_error("%s: compiling the policy: %s", path, strerror(-err));
		goto out;
	}
	pkt.family = ps.family;
	memcpy(pkt.src, ps.addr, 16);
	memcpy(pkt.dst, pd.addr, 16);
	pkt.dport = dport < 0 ? 0 : (__u16)dport;
	if (host) {
		/* The identity first: an IRI is looked up in its vnet. */
		memcpy(pkt.dst, (ps.family == ZT_AF_INET ? &cfg.iri4 : &cfg.iri6)->addr, 16);
		zt_policy_eval(&c, &pkt, &r);
		if (iri_for_host(&cfg, &c, hname, ps.family, r.vnet_id, &ie)) {
			zt_compiled_free(&c);
			goto out;
		}
		memcpy(pkt.dst, ie.key.addr, 16);
		c.iris = &ie;
		c.n_iris = 1;
		inet_ntop(ps.family == ZT_AF_INET ? AF_INET : AF_INET6, ie.key.addr, pool_dst,
			  sizeof(pool_dst));
	}
	/* As the proxy decides (l7.h): the same names for sni and host. */
	lf.iri_name = host ? hname : NULL;
	lf.dport = pkt.dport;
	lf.proto = sni ? ZT_PROTO_TLS : http_host ? ZT_PROTO_HTTP :
		   detected >= 0 ? (enum zt_proto)detected : ZT_PROTO_UNKNOWN;
	lf.name = sni ? sname : http_host ? hhname : NULL;
	la = (struct zt_l7_arg){ .cfg = &cfg, .flow = &lf };
	l7 = sni || http_host || detected >= 0;
	zt_policy_eval_l7(&c, &pkt, l7 ? zt_l7_match : NULL, &la, &r);
	print_result(&cfg, &r, src, host ? hname : dst, proto, dport, sni ? sname : NULL,
		     http_host ? hhname : NULL, l7 ? zt_l7_proto_name(lf.proto) : NULL);
	if (host) {
		out_text("         (to IRI %s, as the DNS server gives it)\n", pool_dst);
		c.iris = NULL;
		c.n_iris = 0;
	}
	zt_compiled_free(&c);
	rc = 0;
out:
	zt_config_free(&cfg);
	return rc;
}

int policy_main(int argc, char **argv)
{
	int rc = ztctl_verb(argc, argv, "policy", "test", usage);

	return rc >= 0 ? rc : test_main(argc - 1, argv + 1);
}
