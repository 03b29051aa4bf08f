// SPDX-License-Identifier: GPL-2.0
/* dns.c — `ztctl dns test NAME`: what the gateway's DNS server would answer
 * a name with, and why, decided by the same code as ztd's server (DNS
 * policies, hostname routes, upstreams) on the config file; the IRI shown
 * is the one ztd allocated, when it has (its state file). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include "dns.h"
#include "dnspolicy.h"
#include "iri.h"
#include "out.h"
#include "zt_abi.h"
#include "ztctl.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: ztctl [-j|-p] dns test NAME [--user EMAIL | --src IP] [--type TYPE] "
		"[--config FILE]\n\n"
		"What the gateway's DNS server would answer NAME with, and why: the DNS\n"
		"policy that decides, the hostname route and tunnel, and the initial\n"
		"resolved IP (the one ztd gave out, or that a new one would be allocated).\n"
		"  --user EMAIL  ask as this user's first device (default: an unenrolled source)\n"
		"  --src IP      ask from this source address\n"
		"  --type TYPE   A (default), AAAA, or another type name (MX, TXT, ...)\n"
		"  --config FILE the config to decide with (default: the one ztd runs)\n");
}

static __u32 cfg_vnet(void *arg, const char *name)
{
	const struct zt_config *c = arg;
	size_t i;

	for (i = 0; i < c->n_vnets; i++)
		if (!strcmp(c->vnets[i].name, name))
			return (__u32)i + 1;
	return 0;
}

static int test_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "user", required_argument, 0, 'u' },  { "src", required_argument, 0, 's' },
		{ "type", required_argument, 0, 't' },  { "config", required_argument, 0, 'c' },
		{ "help", no_argument, 0, 'h' },        { 0 }
	};
	const char *user = NULL, *src = NULL, *path = NULL, *why;
	char name[ZT_HOSTNAME_MAX + 1], ans[64] = "", state[600], tb[16];
	struct zt_config cfg = { 0 };
	struct zt_dns_table t = { 0 };
	struct zt_dns_decision dd;
	struct zt_iri_pool pool = { 0 };
	const struct zt_cfg_device *dev = NULL;
	__u16 qtype = ZT_DNS_T_A;
	__u32 vnet;
	size_t i, j, skipped;
	int opt, rc = 1;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'u': user = optarg; break;
		case 's': src = optarg; break;
		case 'c': path = optarg; break;
		case 't':
			if (zt_dns_type_parse(optarg, &qtype)) {
				out_error("--type '%s': say A, AAAA, MX, TXT, ... ", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default:
			return ztctl_usage_error("dns", "unknown or incomplete option",
					 argv[optind - 1]);
		}
	}
	if (optind != argc - 1) {
		out_error(optind < argc ? "one NAME only; see ztctl dns --help" :
			  "which name? see ztctl dns --help");
		return 2;
	}
	if (user && src) {
		out_error("--user and --src say the same thing: give one");
		return 2;
	}
	if (zt_hostname_norm(argv[optind], false, name, &why)) {
		out_error("'%s' %s", argv[optind], why);
		return 2;
	}
	if (ztctl_config_load(path, &cfg))
		return 1;
	if (zt_dns_table_build(&cfg, &t)) {
		out_error("out of memory");
		goto out;
	}
	if (user) {
		for (i = 0; i < cfg.n_devices && !dev; i++)
			if (!strcasecmp(cfg.users[cfg.devices[i].user - 1], user))
				dev = &cfg.devices[i];
		if (!dev) {
			out_error("no device of user '%s' in %s", user, cfg.path);
			goto out;
		}
	} else if (src) {
		struct zt_prefix p;
		long d;

		if (zt_prefix_parse(src, &p) || p.len != (p.family == ZT_AF_INET ? 32 : 128)) {
			out_error("--src '%s' is not an address", src);
			rc = 2;
			goto out;
		}
		d = zt_dns_device(&t, 0, 0, p.family, p.addr);
		dev = d >= 0 ? &cfg.devices[d] : NULL;
	}
	vnet = dev ? dev->vnet : cfg.default_vnet;
	zt_dns_decide(&cfg, &t, name, qtype, dev ? dev->user : 0, dev ? dev->groups : 0, vnet, &dd);

	if (dd.action == ZT_DNSA_IRI) {
		__u8 fam = qtype == ZT_DNS_T_A ? ZT_AF_INET : ZT_AF_INET6;
		const struct zt_prefix *pl = fam == ZT_AF_INET ? &cfg.iri4 : &cfg.iri6;
		char pb[ZT_PREFIX_STRLEN];

		snprintf(state, sizeof(state), "%s/iri.state", cfg.state_dir);
		zt_iri_pool_init(&pool, &cfg.iri4, &cfg.iri6, ZT_MAX_IRIS, 0);
		zt_iri_load(&pool, state, cfg_vnet, &cfg, &skipped);
		for (j = 0; j < pool.n; j++)
			if (pool.a[j].vnet == vnet && pool.a[j].family == fam &&
			    !strcmp(pool.a[j].name, name))
				inet_ntop(fam == ZT_AF_INET ? AF_INET : AF_INET6, pool.a[j].addr, ans,
					  sizeof(ans));
		if (!*ans)
			snprintf(ans, sizeof(ans), "a new IRI from %s", zt_prefix_str(pl, pb, sizeof(pb)));
	}
	out_obj_start(NULL);
	out_str("name", "%s", name);
	out_str("type", " %s", zt_dns_type_name(qtype, tb, sizeof(tb)));
	if (dev)
		out_str("user_email", " asked by %s", cfg.users[dev->user - 1]);
	else
		out_str("user_email", " asked by an unenrolled source", NULL);
	out_str("vnet", " (vnet %s)\n", cfg.vnets[vnet - 1].name);
	if (dd.policy >= 0)
		out_str("policy", "policy:  %s\n", cfg.dns_policies[dd.policy].name);
	else
		out_str("policy", "policy:  none\n", NULL);
	if (dd.route >= 0) {
		const struct zt_cfg_host_route *hr = &cfg.host_routes[dd.route];

		out_str("route", "route:   %s", hr->host);
		out_str("tunnel", " via tunnel %s\n", cfg.tunnels[hr->tunnel - 1].name);
	} else {
		out_str("route", "route:   none\n", NULL);
		out_str("tunnel", NULL, NULL);
	}
	out_str("action", "action:  %s", zt_dns_action_name(dd.action));
	out_str("rcode", " (%s)\n", dd.action == ZT_DNSA_FORWARD ? "the upstream's" :
		zt_dns_rcode_name(zt_dns_action_rcode(dd.action)));
	if (dd.action == ZT_DNSA_BLOCK)
		out_u64("ede", "EDE:     %llu (Blocked)\n", ZT_DNS_EDE_BLOCKED);
	if (*ans) {
		out_str("answer", "answer:  %s", ans);
		out_u64("ttl", " ttl %llu\n", cfg.dns_ttl);
	}
	out_obj_end();
	rc = 0;
out:
	zt_iri_pool_free(&pool);
	zt_dns_table_free(&t);
	zt_config_free(&cfg);
	return rc;
}

int dns_main(int argc, char **argv)
{
	int rc = ztctl_verb(argc, argv, "dns", "test", usage);

	return rc >= 0 ? rc : test_main(argc - 1, argv + 1);
}
