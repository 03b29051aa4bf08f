// SPDX-License-Identifier: GPL-2.0
/* routes.c — the routes section: routes.hostname, and routes.cidr read
 * whole or (cache.c) in chunks, then checked for a prefix routed twice. */
#include <stdlib.h>
#include <string.h>
#include "cfg_int.h"
#include "hostname.h"
#include "sort.h"

static const struct zt_cfg_route *sort_routes;

static int route_order(const void *a, const void *b)
{
	const struct zt_cfg_route *x = &sort_routes[*(const size_t *)a];
	const struct zt_cfg_route *y = &sort_routes[*(const size_t *)b];
	int c;

	if (x->vnet != y->vnet)
		return x->vnet < y->vnet ? -1 : 1;
	c = zt_prefix_cmp(&x->pfx, &y->pfx);
	if (c)
		return c;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* A prefix routed twice in one vnet, found by sorting (a million routes
 * are checked in a second, not compared pairwise; in one pass when they
 * come in order). */
static void dup_routes(struct cx *x)
{
	size_t n = x->c->n_routes, i, *ord;
	const struct zt_cfg_route *r = x->c->routes;

	if (n < 2)
		return;
	for (i = 1; i < n; i++) /* a generated table usually comes in order */
		if (r[i - 1].vnet > r[i].vnet ||
		    (r[i - 1].vnet == r[i].vnet && zt_prefix_cmp(&r[i - 1].pfx, &r[i].pfx) >= 0))
			break;
	if (i == n)
		return; /* strictly increasing: no prefix twice */
	ord = malloc(n * sizeof(*ord));
	if (!ord) {
		x->oom = true;
		return;
	}
	for (i = 0; i < n; i++)
		ord[i] = i;
	sort_routes = r;
	if (zt_sort(ord, n, sizeof(*ord), route_order)) {
		x->oom = true; /* its only error */
		free(ord);
		return;
	}
	for (i = 1; i < n; i++) {
		const struct zt_cfg_route *a = &r[ord[i - 1]], *b = &r[ord[i]];
		char buf[ZT_PREFIX_STRLEN];

		if (a->vnet == b->vnet && !zt_prefix_cmp(&a->pfx, &b->pfx))
			cfg_errf_at(x, x->rpos[ord[i]].line, x->rpos[ord[i]].col,
				    "route %s in vnet '%s' is defined twice (first at line %zu)",
				    zt_prefix_str(&b->pfx, buf, sizeof(buf)),
				    x->c->vnets[b->vnet - 1].name, x->rpos[ord[i - 1]].line);
	}
	free(ord);
}

/* A route's tunnel and vnet (the tunnel's unless named); false when wrong. */
static bool route_target(struct cx *x, yaml_node_t *v, const char *what, __u32 *tunnel,
			 __u32 *vnet)
{
	yaml_node_t *n;
	bool ok = true;

	if (!(n = cfg_get(x, v, "tunnel"))) {
		cfg_errf(x, v, "%s without a tunnel", what);
		ok = false;
	} else if (!(*tunnel = cfg_find_tunnel(x, n))) {
		ok = false;
	}
	if ((n = cfg_get(x, v, "vnet"))) {
		if (!(*vnet = cfg_find_vnet(x, n)))
			ok = false;
	} else if (*tunnel) {
		/* 0 when the tunnel's own vnet was wrong (reported there). */
		*vnet = x->c->tunnels[*tunnel - 1].vnet;
	}
	return ok && *vnet;
}

/* One item of routes.cidr: appended to the config's routes when valid. */
void cfg_route_item(struct cx *x, yaml_node_t *v)
{
	static const char *const rkeys[] = { "network", "tunnel", "vnet", "comment", NULL };
	struct zt_cfg_route r = { 0 };
	yaml_node_t *n;
	bool ok = true;
	const char *s;

	if (!cfg_is_map(x, v, "a route"))
		return;
	cfg_check_keys(x, v, "route", rkeys);
	if (!(n = cfg_get(x, v, "network"))) {
		cfg_errf(x, v, "route without a network");
		ok = false;
	} else {
		ok = cfg_parse_prefix(x, n, "network", false, &r.pfx);
	}
	ok &= route_target(x, v, "route", &r.tunnel, &r.vnet);
	if ((n = cfg_get(x, v, "comment")) && (s = cfg_scalar(x, n, "comment")))
		r.comment = cfg_strdup(x, s);
	if (!ok || cfg_grow(x, (void **)&x->rpos, x->c->n_routes, sizeof(*x->rpos)) ||
	    cfg_grow(x, (void **)&x->c->routes, x->c->n_routes, sizeof(r))) {
		free(r.comment);
		return;
	}
	x->rpos[x->c->n_routes] = (struct rpos){ cfg_file_line(x, v->start_mark.line) + 1,
						 v->start_mark.column + 1 };
	x->c->routes[x->c->n_routes++] = r;
}

/* One item of routes.hostname. */
static void host_route_item(struct cx *x, yaml_node_t *v)
{
	static const char *const keys[] = { "hostname", "tunnel", "vnet", "comment", NULL };
	struct zt_cfg_host_route r = { 0 };
	char host[ZT_HOSTNAME_MAX + 1];
	yaml_node_t *n, *hn;
	bool ok = true;
	const char *s;
	size_t j;

	if (!cfg_is_map(x, v, "a hostname route"))
		return;
	cfg_check_keys(x, v, "hostname route", keys);
	if (!(hn = cfg_get(x, v, "hostname"))) {
		cfg_errf(x, v, "hostname route without a hostname");
		ok = false;
	} else {
		ok = cfg_parse_host(x, hn, "hostname", host);
	}
	ok &= route_target(x, v, "hostname route", &r.tunnel, &r.vnet);
	if (!ok)
		return;
	for (j = 0; j < x->c->n_host_routes; j++)
		if (x->c->host_routes[j].vnet == r.vnet &&
		    !strcmp(x->c->host_routes[j].host, host)) {
			cfg_errf(x, hn, "hostname route '%s' in vnet '%s' is defined twice "
				 "(first at line %d)", host, x->c->vnets[r.vnet - 1].name,
				 x->host_line[j]);
			return;
		}
	if ((n = cfg_get(x, v, "comment")) && (s = cfg_scalar(x, n, "comment")))
		r.comment = cfg_strdup(x, s);
	if (!(r.host = cfg_strdup(x, host)) ||
	    cfg_grow(x, (void **)&x->host_line, x->c->n_host_routes, sizeof(int)) ||
	    cfg_grow(x, (void **)&x->c->host_routes, x->c->n_host_routes, sizeof(r))) {
		free(r.host);
		free(r.comment);
		return;
	}
	x->host_line[x->c->n_host_routes] = cfg_line_of(x, v);
	x->c->host_routes[x->c->n_host_routes++] = r;
}

void cfg_routes(struct cx *x, yaml_node_t *m)
{
	static const char *const keys[] = { "cidr", "hostname", NULL };
	yaml_node_item_t *i;
	yaml_node_t *l;

	if (!m || !cfg_is_map(x, m, "routes"))
		return;
	cfg_check_keys(x, m, "routes", keys);
	if ((l = cfg_get(x, m, "hostname"))) {
		if (l->type != YAML_SEQUENCE_NODE)
			cfg_errf(x, l, "routes.hostname must be a list");
		else
			for (i = l->data.sequence.items.start; i < l->data.sequence.items.top; i++)
				host_route_item(x, cfg_node(x, *i));
	}
	l = cfg_get(x, m, "cidr");
	if (!l)
		return;
	if (l->type != YAML_SEQUENCE_NODE) {
		cfg_errf(x, l, "routes.cidr must be a list");
		return;
	}
	for (i = l->data.sequence.items.start; i < l->data.sequence.items.top; i++)
		cfg_route_item(x, cfg_node(x, *i));
	if (x->ph_lines)
		cfg_cidr_chunks(x); /* the list's items, parsed apart */
	dup_routes(x);
}
