// SPDX-License-Identifier: GPL-2.0
/* dns_cfg.c — the dns and initial_resolved_ips sections, and the check
 * that no route or device overlaps the IRI pools (named apart from
 * user/lib/dns.c, the DNS codec). */
#include "cfg_int.h"

void cfg_dns(struct cx *x, yaml_node_t *m)
{
	static const char *const keys[] = { "upstreams", "ttl", "upstream_timeout_ms",
					    "origin_resolvers", NULL };
	yaml_node_t *n;
	unsigned long v;

	if (!m || !cfg_is_map(x, m, "dns"))
		return;
	cfg_check_keys(x, m, "dns", keys);
	cfg_each(x, cfg_get(x, m, "upstreams"), "dns.upstreams", cfg_endpoint_item,
		 &(struct eplist){ "dns.upstreams", x->c->upstreams, &x->c->n_upstreams,
				   ZT_MAX_UPSTREAMS });
	cfg_each(x, cfg_get(x, m, "origin_resolvers"), "dns.origin_resolvers",
		 cfg_endpoint_item,
		 &(struct eplist){ "dns.origin_resolvers", x->c->resolvers, &x->c->n_resolvers,
				   ZT_MAX_UPSTREAMS });
	if ((n = cfg_get(x, m, "ttl")) && cfg_parse_uint(x, n, "dns.ttl", 1, 86400, &v))
		x->c->dns_ttl = (__u32)v;
	if ((n = cfg_get(x, m, "upstream_timeout_ms")) &&
	    cfg_parse_uint(x, n, "dns.upstream_timeout_ms", 10, 60000, &v))
		x->c->dns_timeout_ms = (__u32)v;
}

/* initial_resolved_ips: the pools DNS answers hostname routes from. */
void cfg_iri_pools(struct cx *x, yaml_node_t *m)
{
	static const char *const keys[] = { "ipv4", "ipv6", "reuse_after", "wildcard_per_user",
					    NULL };
	yaml_node_t *n;
	struct zt_prefix p;
	unsigned long v;

	if (!m || !cfg_is_map(x, m, "initial_resolved_ips"))
		return;
	cfg_check_keys(x, m, "initial_resolved_ips", keys);
	if ((n = cfg_get(x, m, "reuse_after")) &&
	    cfg_parse_uint(x, n, "initial_resolved_ips.reuse_after", 1, 7 * 86400, &v)) {
		/* A client may use an answer for its TTL, and ask again. */
		if (v < 2ULL * x->c->dns_ttl)
			cfg_errf(x, n, "initial_resolved_ips.reuse_after (%lu s) must be at least "
				 "twice dns.ttl (%u s): clients use an answer that long", v,
				 x->c->dns_ttl);
		else
			x->c->iri_reuse_s = (__u32)v;
	}
	if ((n = cfg_get(x, m, "wildcard_per_user")) &&
	    cfg_parse_uint(x, n, "initial_resolved_ips.wildcard_per_user", 0, ZT_MAX_IRIS, &v))
		x->c->iri_wild_per_user = (__u32)v;
	if ((n = cfg_get(x, m, "ipv4")) &&
	    cfg_parse_prefix(x, n, "initial_resolved_ips.ipv4", false, &p)) {
		if (p.family != ZT_AF_INET || p.len < 8 || p.len > 30)
			cfg_errf(x, n, "initial_resolved_ips.ipv4 must be an IPv4 prefix "
				 "from /8 to /30");
		else
			x->c->iri4 = p;
	}
	if ((n = cfg_get(x, m, "ipv6")) &&
	    cfg_parse_prefix(x, n, "initial_resolved_ips.ipv6", false, &p)) {
		if (p.family != ZT_AF_INET6 || p.len < 32 || p.len > 120)
			cfg_errf(x, n, "initial_resolved_ips.ipv6 must be an IPv6 prefix "
				 "from /32 to /120");
		else
			x->c->iri6 = p;
	}
}

/* A pool that overlaps a route or a device would turn their traffic into
 * IRI lookups: refused, naming what it overlaps. */
void cfg_iri_overlaps(struct cx *x, yaml_node_t *root)
{
	const struct zt_prefix *pools[2] = { &x->c->iri4, &x->c->iri6 };
	yaml_node_t *m = cfg_get(x, root, "initial_resolved_ips");
	size_t i, j, k;

	for (k = 0; k < 2; k++) {
		const struct zt_prefix *pl = pools[k];
		char a[ZT_PREFIX_STRLEN], b[ZT_PREFIX_STRLEN];

		for (i = 0; i < x->c->n_routes; i++) {
			const struct zt_cfg_route *r = &x->c->routes[i];

			if (zt_prefix_overlaps(pl, &r->pfx)) {
				cfg_errf_at(x, x->rpos[i].line, x->rpos[i].col,
					    "route %s overlaps the initial resolved IP pool %s; "
					    "choose another initial_resolved_ips range%s",
					    zt_prefix_str(&r->pfx, a, sizeof(a)),
					    zt_prefix_str(pl, b, sizeof(b)),
					    m ? "" : " (the default is used: set "
						     "initial_resolved_ips)");
				return;
			}
		}
		for (i = 0; i < x->c->n_devices; i++)
			for (j = 0; j < x->c->devices[i].n_addr; j++)
				if (zt_prefix_contains(pl, &x->c->devices[i].addr[j])) {
					cfg_errf(x, m, "device address %s is inside the initial "
						 "resolved IP pool %s",
						 zt_prefix_str(&x->c->devices[i].addr[j], a,
							       sizeof(a)),
						 zt_prefix_str(pl, b, sizeof(b)));
					return;
				}
	}
}
