// SPDX-License-Identifier: GPL-2.0
/* config.c — see config.h. libyaml loads the document with the position of
 * every node; each section is then checked against a fixed table of keys,
 * and every problem is recorded rather than stopping at the first. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <yaml.h>
#include "config.h"
#include "hash.h"
#include "hostname.h"
#include "sort.h"

struct cx {
	const char *file;
	yaml_document_t *doc;
	struct zt_cfg_errors *e;
	struct zt_config *c;
	int *vnet_line;     /* where each vnet, tunnel, policy was defined */
	int *tunnel_line;
	int *policy_line;
	int *dns_policy_line;
	int *host_line;
	struct zt_cfg_cache *cache; /* routes.cidr parsed apart, in chunks */
	struct rpos *rpos;          /* where each route is, for dup_routes */
	/* Lines as libyaml saw them -> lines of the file (0-based): a chunk
	 * starts at chunk_line; in the rest of the document the routes list
	 * is one placeholder line at ph_line standing for ph_lines lines. */
	bool in_chunk;
	size_t chunk_line, ph_line, ph_lines;
	bool oom; /* an allocation failed: the load is refused whole, -ENOMEM */
};

struct rpos {
	size_t line, col; /* 1-based */
};

static size_t file_line(const struct cx *x, size_t line)
{
	if (x->in_chunk)
		return line + x->chunk_line;
	if (x->ph_lines && line > x->ph_line)
		return line + x->ph_lines - 1;
	return line;
}

static void add_err(struct zt_cfg_errors *e, char *msg)
{
	if (!msg)
		return;
	if (e->n >= ZT_CFG_MAX_ERRORS) {
		e->dropped++;
		free(msg);
		return;
	}
	e->msg[e->n++] = msg;
}

static void verrf_at(struct cx *x, size_t line, size_t col, const char *fmt, va_list ap)
{
	char body[512], *msg = NULL;

	vsnprintf(body, sizeof(body), fmt, ap);
	if (asprintf(&msg, "%s:%zu:%zu: %s", x->file, line, col, body) < 0) {
		msg = NULL;
		x->oom = true; /* an error lost must not let the file through */
	}
	add_err(x->e, msg);
}

static void errf_at(struct cx *x, size_t line, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void errf_at(struct cx *x, size_t line, size_t col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrf_at(x, line, col, fmt, ap);
	va_end(ap);
}

static void errf(struct cx *x, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void errf(struct cx *x, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrf_at(x, n ? file_line(x, n->start_mark.line) + 1 : 1,
		 n ? n->start_mark.column + 1 : 1, fmt, ap);
	va_end(ap);
}

/* Why yaml_parser_load failed: out of memory, not the text. libyaml's
 * loader returns failure with no error set when it cannot copy a node's
 * default tag: that too is out of memory. */
static bool yaml_oom(const yaml_parser_t *p)
{
	return p->error == YAML_MEMORY_ERROR || p->error == YAML_NO_ERROR;
}

static yaml_node_t *nd(struct cx *x, int i)
{
	return yaml_document_get_node(x->doc, i);
}

static int line_of(const struct cx *x, const yaml_node_t *n)
{
	return (int)file_line(x, n->start_mark.line) + 1;
}

static const char *scalar(struct cx *x, yaml_node_t *n, const char *what)
{
	if (!n || n->type != YAML_SCALAR_NODE) {
		errf(x, n, "%s must be a single value", what);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

static bool is_map(struct cx *x, yaml_node_t *n, const char *what)
{
	if (n && n->type == YAML_MAPPING_NODE)
		return true;
	errf(x, n, "%s must be a mapping (key: value)", what);
	return false;
}

/* Checks a mapping's keys against allowed[] (NULL-terminated): unknown and
 * repeated keys are errors. */
static void check_keys(struct cx *x, yaml_node_t *map, const char *what,
		       const char *const *allowed)
{
	yaml_node_pair_t *p, *q;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = nd(x, p->key);
		const char *ks = k && k->type == YAML_SCALAR_NODE ?
				 (const char *)k->data.scalar.value : NULL;
		const char *const *a;

		if (!ks) {
			errf(x, k, "%s: keys must be plain words", what);
			continue;
		}
		for (a = allowed; *a && strcmp(*a, ks); a++)
			;
		if (!*a) {
			char list[256] = "";

			for (a = allowed; *a; a++) {
				strncat(list, *a, sizeof(list) - strlen(list) - 3);
				if (a[1])
					strncat(list, ", ", sizeof(list) - strlen(list) - 1);
			}
			errf(x, k, "unknown key '%s' in %s (known: %s)", ks, what, list);
			continue;
		}
		for (q = map->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *k2 = nd(x, q->key);

			if (k2 && k2->type == YAML_SCALAR_NODE &&
			    !strcmp((const char *)k2->data.scalar.value, ks)) {
				errf(x, k, "key '%s' repeated in %s (first at line %d)", ks, what,
				     line_of(x, k2));
				break;
			}
		}
	}
}

static yaml_node_t *get(struct cx *x, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = nd(x, p->key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)k->data.scalar.value, key))
			return nd(x, p->value);
	}
	return NULL;
}

/* A value that may be one scalar or a list of them: calls fn for each. */
typedef void (*item_fn)(struct cx *x, yaml_node_t *item, void *arg);
static void each(struct cx *x, yaml_node_t *n, const char *what, item_fn fn, void *arg)
{
	yaml_node_item_t *i;

	if (!n)
		return;
	if (n->type == YAML_SCALAR_NODE) {
		fn(x, n, arg);
		return;
	}
	if (n->type != YAML_SEQUENCE_NODE) {
		errf(x, n, "%s must be a value or a list of values", what);
		return;
	}
	for (i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++)
		fn(x, nd(x, *i), arg);
}

static bool parse_bool(struct cx *x, yaml_node_t *n, const char *what, bool *out)
{
	const char *s = scalar(x, n, what);

	if (!s)
		return false;
	if (!strcmp(s, "true") || !strcmp(s, "yes")) {
		*out = true;
	} else if (!strcmp(s, "false") || !strcmp(s, "no")) {
		*out = false;
	} else {
		errf(x, n, "%s must be true or false, not '%s'", what, s);
		return false;
	}
	return true;
}

static bool parse_uint(struct cx *x, yaml_node_t *n, const char *what, unsigned long lo,
		       unsigned long hi, unsigned long *out)
{
	const char *s = scalar(x, n, what);
	char *end;
	unsigned long v;

	if (!s)
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || s[0] == '-' || v < lo || v > hi) {
		errf(x, n, "%s must be a whole number from %lu to %lu, not '%s'", what, lo, hi, s);
		return false;
	}
	*out = v;
	return true;
}

static bool parse_prefix(struct cx *x, yaml_node_t *n, const char *what, bool host_only,
			 struct zt_prefix *p)
{
	const char *s = scalar(x, n, what);
	int err;

	if (!s)
		return false;
	err = zt_prefix_parse(s, p);
	if (err == -EBADMSG) {
		struct zt_prefix q;
		char want[ZT_PREFIX_STRLEN];
		char tmp[ZT_PREFIX_STRLEN + 8];
		const char *slash = strchr(s, '/');

		snprintf(tmp, sizeof(tmp), "%.*s", (int)(slash ? slash - s : 0), s);
		/* Suggest the network the operator probably meant. */
		if (slash && !zt_prefix_parse(tmp, &q)) {
			int i, bits = zt_addr_bits(&q);

			q.len = (__u8)atoi(slash + 1);
			for (i = q.len; i < bits; i++)
				q.addr[i / 8] &= (__u8)~(0x80 >> (i % 8));
			errf(x, n, "%s '%s' has host bits set; did you mean %s?", what, s,
			     zt_prefix_str(&q, want, sizeof(want)));
		} else {
			errf(x, n, "%s '%s' has host bits set", what, s);
		}
		return false;
	}
	if (err) {
		errf(x, n, "%s '%s' is not a valid %s", what, s,
		     host_only ? "IP address" : "IP address or CIDR prefix");
		return false;
	}
	if (host_only && p->len != zt_addr_bits(p)) {
		errf(x, n, "%s '%s' must be a single address, not a prefix", what, s);
		return false;
	}
	return true;
}

/* Out of memory is no reason to stop ztd: an allocation that fails sets
 * x->oom, the caller drops what it was building, and the whole load is
 * refused with -ENOMEM (nothing NULL is ever stored where a name goes). */
static char *xstrdup(struct cx *x, const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		x->oom = true;
	return d;
}

/* Room for element n of the array at *p, grown only through here:
 * capacity doubles at each power of two, so a million routes are not a
 * million reallocs. -ENOMEM (*p as it was) when out of memory. */
static int grow(struct cx *x, void **p, size_t n, size_t size)
{
	void *q = *p;

	if (n == 0 || !(n & (n - 1)))
		q = realloc(*p, (n ? 2 * n : 1) * size);
	if (!q) {
		x->oom = true;
		return -ENOMEM;
	}
	memset((char *)q + n * size, 0, size);
	*p = q;
	return 0;
}

/* The user id of email (case-folded), added if new; 0 when out of memory. */
static __u32 intern_user(struct cx *x, const char *email)
{
	struct zt_config *c = x->c;
	char *low = xstrdup(x, email);
	size_t i;

	if (!low)
		return 0;
	for (i = 0; low[i]; i++)
		low[i] = (char)tolower((unsigned char)low[i]);
	for (i = 0; i < c->n_users; i++)
		if (!strcmp(c->users[i], low)) {
			free(low);
			return (__u32)i + 1;
		}
	if (grow(x, (void **)&c->users, c->n_users, sizeof(*c->users))) {
		free(low);
		return 0;
	}
	c->users[c->n_users++] = low;
	return (__u32)c->n_users;
}

static bool intern_group(struct cx *x, yaml_node_t *n, const char *g, __u64 *bits)
{
	struct zt_config *c = x->c;
	size_t i;

	for (i = 0; i < c->n_groups; i++)
		if (!strcmp(c->groups[i], g))
			break;
	if (i == c->n_groups) {
		char *d;

		if (c->n_groups == ZT_MAX_GROUPS) {
			errf(x, n, "group '%s': at most %d distinct groups", g, ZT_MAX_GROUPS);
			return false;
		}
		if (!(d = xstrdup(x, g)))
			return false;
		c->groups[c->n_groups++] = d;
	}
	*bits |= 1ULL << i;
	return true;
}

static bool valid_email(const char *s)
{
	const char *at = strchr(s, '@');

	return at && at != s && at[1] && !strchr(at + 1, '@') && !strpbrk(s, " \t\"\\");
}

static __u32 find_vnet(struct cx *x, yaml_node_t *n)
{
	const char *s = scalar(x, n, "vnet");
	size_t i;

	if (!s)
		return 0;
	for (i = 0; i < x->c->n_vnets; i++)
		if (!strcmp(x->c->vnets[i].name, s))
			return (__u32)i + 1;
	errf(x, n, "unknown virtual network '%s' (define it under virtual_networks)", s);
	return 0;
}

/* ---- sections ------------------------------------------------------------ */

static void iface_item(struct cx *x, yaml_node_t *n, void *arg)
{
	const char *s = scalar(x, n, "gateway.interface");
	char *d;

	(void)arg;
	if (!s)
		return;
	if (!*s || strlen(s) >= 16 || strpbrk(s, "/ \t:")) {
		errf(x, n, "'%s' is not a valid interface name", s);
		return;
	}
	if (x->c->n_ifaces == ZT_MAX_IFACES) {
		errf(x, n, "at most %d gateway interfaces", ZT_MAX_IFACES);
		return;
	}
	if ((d = xstrdup(x, s)))
		x->c->ifaces[x->c->n_ifaces++] = d;
}

static void parse_action(struct cx *x, yaml_node_t *n, const char *what, __u8 *out)
{
	const char *s = scalar(x, n, what);

	if (!s)
		return;
	if (!strcmp(s, "allow"))
		*out = ZT_ACT_ALLOW;
	else if (!strcmp(s, "block"))
		*out = ZT_ACT_BLOCK;
	else
		errf(x, n, "%s must be allow or block, not '%s'", what, s);
}

/* "10.0.0.1:53", "[fd00::1]:53", or an address alone (port dflt). */
static bool parse_endpoint(struct cx *x, yaml_node_t *n, const char *what, __u16 dflt,
			   struct zt_cfg_endpoint *ep)
{
	const char *s = scalar(x, n, what), *port = NULL;
	char host[INET6_ADDRSTRLEN + 2];
	size_t hl;

	if (!s)
		return false;
	memset(ep, 0, sizeof(*ep));
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		hl = end ? (size_t)(end - s - 1) : 0;
		if (end && end[1] == ':')
			port = end + 2;
		else if (!end || end[1])
			hl = 0;
		s++;
	} else {
		const char *colon = strchr(s, ':');

		/* One colon: IPv4 with a port; more: a bare IPv6 address. */
		hl = colon && !strchr(colon + 1, ':') ? (size_t)(colon - s) : strlen(s);
		if (colon && !strchr(colon + 1, ':'))
			port = colon + 1;
	}
	if (hl && hl < sizeof(host)) {
		memcpy(host, s, hl);
		host[hl] = 0;
		if (inet_pton(AF_INET, host, ep->addr) == 1)
			ep->family = ZT_AF_INET;
		else if (inet_pton(AF_INET6, host, ep->addr) == 1)
			ep->family = ZT_AF_INET6;
	}
	ep->port = dflt;
	if (port) {
		char *end;
		unsigned long v = strtoul(port, &end, 10);

		if (!*port || *end || v < 1 || v > 65535)
			ep->family = 0;
		ep->port = (__u16)v;
	}
	if (!ep->family) {
		errf(x, n, "%s '%s' must be ADDRESS, ADDRESS:PORT or [IPv6]:PORT",
		     what, (const char *)n->data.scalar.value);
		return false;
	}
	return true;
}

/* Where a list of endpoints goes, and its name in messages. */
struct eplist {
	const char *what;
	struct zt_cfg_endpoint *v;
	size_t *n, max;
};

static void endpoint_item(struct cx *x, yaml_node_t *n, void *arg)
{
	const struct eplist *l = arg;
	struct zt_cfg_endpoint ep;

	if (!parse_endpoint(x, n, l->what, 53, &ep))
		return;
	if (*l->n == l->max) {
		errf(x, n, "%s: at most %zu addresses", l->what, l->max);
		return;
	}
	l->v[(*l->n)++] = ep;
}

/* An absolute path under key in map n into *out. */
static void abs_path(struct cx *x, yaml_node_t *m, const char *key, const char *what,
		     char **out)
{
	yaml_node_t *p = get(x, m, key);
	const char *s;

	if (!p || !(s = scalar(x, p, what)))
		return;
	if (s[0] != '/')
		errf(x, p, "%s must be an absolute path", what);
	else
		*out = xstrdup(x, s);
}

static bool parse_port_range(struct cx *x, yaml_node_t *n, const char *what, unsigned long min,
			     __u16 *out_lo, __u16 *out_hi);

static void gateway(struct cx *x, yaml_node_t *g)
{
	static const char *const keys[] = { "interface", "default_action", "log",
					    "drop_events_per_sec", "dns_listen", "state_dir",
					    "nat_ports", "nat_per_device", "xdp_redirect_veth",
					    NULL };
	yaml_node_t *n;
	unsigned long v;

	if (!g) {
		errf(x, NULL, "missing section 'gateway' (at least gateway.interface)");
		return;
	}
	if (!is_map(x, g, "gateway"))
		return;
	check_keys(x, g, "gateway", keys);
	n = get(x, g, "interface");
	if (!n)
		errf(x, g, "gateway.interface is required: the interface client devices arrive on");
	each(x, n, "gateway.interface", iface_item, NULL);
	if ((n = get(x, g, "default_action")))
		parse_action(x, n, "gateway.default_action", &x->c->default_action);
	if ((n = get(x, g, "drop_events_per_sec")) &&
	    parse_uint(x, n, "gateway.drop_events_per_sec", 0, 1000000, &v))
		x->c->drop_events_per_sec = (__u32)v;
	each(x, get(x, g, "dns_listen"), "gateway.dns_listen", endpoint_item,
	     &(struct eplist){ "gateway.dns_listen", x->c->dns_listen, &x->c->n_dns_listen,
			       ZT_MAX_DNS_LISTEN });
	abs_path(x, g, "state_dir", "gateway.state_dir", &x->c->state_dir);
	/* Below the kernel's default ephemeral range they would collide with
	 * this node's own connections; 1024 is the floor. */
	if ((n = get(x, g, "nat_ports")))
		parse_port_range(x, n, "gateway.nat_ports", 1024, &x->c->nat_port_lo,
				 &x->c->nat_port_hi);
	if ((n = get(x, g, "nat_per_device")) &&
	    parse_uint(x, n, "gateway.nat_per_device", 1, ZT_MAX_NAT / 2, &v))
		x->c->nat_per_device = (__u32)v;
	if ((n = get(x, g, "xdp_redirect_veth")))
		parse_bool(x, n, "gateway.xdp_redirect_veth", &x->c->xdp_redirect_veth);
	if ((n = get(x, g, "log")) && is_map(x, n, "gateway.log")) {
		static const char *const lk[] = { "network", "dns", NULL };

		check_keys(x, n, "gateway.log", lk);
		abs_path(x, n, "network", "gateway.log.network", &x->c->network_log);
		abs_path(x, n, "dns", "gateway.log.dns", &x->c->dns_log);
	}
}

static void dns(struct cx *x, yaml_node_t *m)
{
	static const char *const keys[] = { "upstreams", "ttl", "upstream_timeout_ms",
					    "origin_resolvers", NULL };
	yaml_node_t *n;
	unsigned long v;

	if (!m || !is_map(x, m, "dns"))
		return;
	check_keys(x, m, "dns", keys);
	each(x, get(x, m, "upstreams"), "dns.upstreams", endpoint_item,
	     &(struct eplist){ "dns.upstreams", x->c->upstreams, &x->c->n_upstreams,
			       ZT_MAX_UPSTREAMS });
	each(x, get(x, m, "origin_resolvers"), "dns.origin_resolvers", endpoint_item,
	     &(struct eplist){ "dns.origin_resolvers", x->c->resolvers, &x->c->n_resolvers,
			       ZT_MAX_UPSTREAMS });
	if ((n = get(x, m, "ttl")) && parse_uint(x, n, "dns.ttl", 1, 86400, &v))
		x->c->dns_ttl = (__u32)v;
	if ((n = get(x, m, "upstream_timeout_ms")) &&
	    parse_uint(x, n, "dns.upstream_timeout_ms", 10, 60000, &v))
		x->c->dns_timeout_ms = (__u32)v;
}

/* initial_resolved_ips: the pools DNS answers hostname routes from. */
static void iri_pools(struct cx *x, yaml_node_t *m)
{
	static const char *const keys[] = { "ipv4", "ipv6", "reuse_after", "wildcard_per_user",
					    NULL };
	yaml_node_t *n;
	struct zt_prefix p;
	unsigned long v;

	if (!m || !is_map(x, m, "initial_resolved_ips"))
		return;
	check_keys(x, m, "initial_resolved_ips", keys);
	if ((n = get(x, m, "reuse_after")) &&
	    parse_uint(x, n, "initial_resolved_ips.reuse_after", 1, 7 * 86400, &v)) {
		/* A client may use an answer for its TTL, and ask again. */
		if (v < 2ULL * x->c->dns_ttl)
			errf(x, n, "initial_resolved_ips.reuse_after (%lu s) must be at least twice "
			     "dns.ttl (%u s): clients use an answer that long", v, x->c->dns_ttl);
		else
			x->c->iri_reuse_s = (__u32)v;
	}
	if ((n = get(x, m, "wildcard_per_user")) &&
	    parse_uint(x, n, "initial_resolved_ips.wildcard_per_user", 0, ZT_MAX_IRIS, &v))
		x->c->iri_wild_per_user = (__u32)v;
	if ((n = get(x, m, "ipv4")) && parse_prefix(x, n, "initial_resolved_ips.ipv4", false, &p)) {
		if (p.family != ZT_AF_INET || p.len < 8 || p.len > 30)
			errf(x, n, "initial_resolved_ips.ipv4 must be an IPv4 prefix from /8 to /30");
		else
			x->c->iri4 = p;
	}
	if ((n = get(x, m, "ipv6")) && parse_prefix(x, n, "initial_resolved_ips.ipv6", false, &p)) {
		if (p.family != ZT_AF_INET6 || p.len < 32 || p.len > 120)
			errf(x, n, "initial_resolved_ips.ipv6 must be an IPv6 prefix from /32 to /120");
		else
			x->c->iri6 = p;
	}
}

/* A pool that overlaps a route or a device would turn their traffic into
 * IRI lookups: refused, naming what it overlaps. */
static void iri_overlaps(struct cx *x, yaml_node_t *root)
{
	const struct zt_prefix *pools[2] = { &x->c->iri4, &x->c->iri6 };
	yaml_node_t *m = get(x, root, "initial_resolved_ips");
	size_t i, j, k;

	for (k = 0; k < 2; k++) {
		const struct zt_prefix *pl = pools[k];
		char a[ZT_PREFIX_STRLEN], b[ZT_PREFIX_STRLEN];

		for (i = 0; i < x->c->n_routes; i++) {
			const struct zt_cfg_route *r = &x->c->routes[i];

			if (zt_prefix_overlaps(pl, &r->pfx)) {
				errf_at(x, x->rpos[i].line, x->rpos[i].col,
					"route %s overlaps the initial resolved IP pool %s; "
					"choose another initial_resolved_ips range%s",
					zt_prefix_str(&r->pfx, a, sizeof(a)),
					zt_prefix_str(pl, b, sizeof(b)),
					m ? "" : " (the default is used: set initial_resolved_ips)");
				return;
			}
		}
		for (i = 0; i < x->c->n_devices; i++)
			for (j = 0; j < x->c->devices[i].n_addr; j++)
				if (zt_prefix_contains(pl, &x->c->devices[i].addr[j])) {
					errf(x, m, "device address %s is inside the initial resolved "
					     "IP pool %s", zt_prefix_str(&x->c->devices[i].addr[j], a,
									 sizeof(a)),
					     zt_prefix_str(pl, b, sizeof(b)));
					return;
				}
	}
}

static void vnets(struct cx *x, yaml_node_t *l)
{
	static const char *const keys[] = { "name", "default", "comment", NULL };
	yaml_node_item_t *i;
	size_t j, n_default = 0;

	if (!l) {
		char *name = xstrdup(x, "default");

		if (!name || grow(x, (void **)&x->c->vnets, 0, sizeof(*x->c->vnets)) ||
		    grow(x, (void **)&x->vnet_line, 0, sizeof(int))) {
			free(name);
			return;
		}
		x->c->vnets[0].name = name;
		x->c->vnets[0].is_default = true;
		x->c->n_vnets = 1;
		x->c->default_vnet = 1;
		return;
	}
	if (l->type != YAML_SEQUENCE_NODE) {
		errf(x, l, "virtual_networks must be a list");
		return;
	}
	for (i = l->data.sequence.items.start; i < l->data.sequence.items.top; i++) {
		yaml_node_t *v = nd(x, *i), *n;
		struct zt_cfg_vnet vn = { 0 };
		const char *name;

		if (!is_map(x, v, "a virtual network"))
			continue;
		check_keys(x, v, "virtual network", keys);
		name = (n = get(x, v, "name")) ? scalar(x, n, "name") : NULL;
		if (!n)
			errf(x, v, "virtual network without a name");
		if (!name)
			continue;
		for (j = 0; j < x->c->n_vnets; j++)
			if (!strcmp(x->c->vnets[j].name, name))
				errf(x, n, "virtual network '%s' defined twice (first at line %d)",
				     name, x->vnet_line[j]);
		if ((n = get(x, v, "default")))
			parse_bool(x, n, "default", &vn.is_default);
		if (!(vn.name = xstrdup(x, name)) ||
		    grow(x, (void **)&x->c->vnets, x->c->n_vnets, sizeof(vn)) ||
		    grow(x, (void **)&x->vnet_line, x->c->n_vnets, sizeof(int))) {
			free(vn.name);
			return;
		}
		n_default += vn.is_default;
		x->vnet_line[x->c->n_vnets] = line_of(x, v);
		x->c->vnets[x->c->n_vnets++] = vn;
		if (vn.is_default)
			x->c->default_vnet = (__u32)x->c->n_vnets;
	}
	if (!x->c->n_vnets)
		errf(x, l, "virtual_networks is empty: define at least one, or leave the key out");
	else if (n_default > 1)
		errf(x, l, "more than one virtual network is marked default: true");
	else if (!n_default && x->c->n_vnets == 1)
		x->c->default_vnet = 1;
	else if (!n_default)
		errf(x, l, "mark one virtual network default: true (devices and routes "
		     "without a vnet use it)");
}

static void tunnels(struct cx *x, yaml_node_t *l)
{
	static const char *const keys[] = { "name", "vnet", "local", "private_interface",
					    "comment", NULL };
	yaml_node_item_t *i;
	size_t j;

	if (!l)
		return;
	if (l->type != YAML_SEQUENCE_NODE) {
		errf(x, l, "tunnels must be a list");
		return;
	}
	for (i = l->data.sequence.items.start; i < l->data.sequence.items.top; i++) {
		yaml_node_t *v = nd(x, *i), *n;
		struct zt_cfg_tunnel t = { 0 };
		const char *name, *s;

		if (!is_map(x, v, "a tunnel"))
			continue;
		check_keys(x, v, "tunnel", keys);
		name = (n = get(x, v, "name")) ? scalar(x, n, "name") : NULL;
		if (!n)
			errf(x, v, "tunnel without a name");
		if (!name)
			continue;
		for (j = 0; j < x->c->n_tunnels; j++)
			if (!strcmp(x->c->tunnels[j].name, name))
				errf(x, n, "tunnel '%s' defined twice (first at line %d)", name,
				     x->tunnel_line[j]);
		t.vnet = (n = get(x, v, "vnet")) ? find_vnet(x, n) : x->c->default_vnet;
		if ((n = get(x, v, "local")))
			parse_bool(x, n, "local", &t.local);
		if ((n = get(x, v, "private_interface")) &&
		    (s = scalar(x, n, "private_interface"))) {
			if (!t.local)
				errf(x, n, "private_interface is for local tunnels (local: true): "
				     "a remote tunnel's traffic leaves through its connector");
			else if (!*s || strlen(s) >= 16 || strpbrk(s, "/ \t:"))
				errf(x, n, "'%s' is not a valid interface name", s);
			else
				t.private_interface = xstrdup(x, s);
		}
		if (!(t.name = xstrdup(x, name)) ||
		    grow(x, (void **)&x->c->tunnels, x->c->n_tunnels, sizeof(t)) ||
		    grow(x, (void **)&x->tunnel_line, x->c->n_tunnels, sizeof(int))) {
			free(t.name);
			free(t.private_interface);
			return;
		}
		x->tunnel_line[x->c->n_tunnels] = line_of(x, v);
		x->c->tunnels[x->c->n_tunnels++] = t;
	}
}

static __u32 find_tunnel(struct cx *x, yaml_node_t *n)
{
	const char *s = scalar(x, n, "tunnel");
	size_t i;

	if (!s)
		return 0;
	for (i = 0; i < x->c->n_tunnels; i++)
		if (!strcmp(x->c->tunnels[i].name, s))
			return (__u32)i + 1;
	errf(x, n, "unknown tunnel '%s' (define it under tunnels)", s);
	return 0;
}

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
			errf_at(x, x->rpos[ord[i]].line, x->rpos[ord[i]].col,
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

	if (!(n = get(x, v, "tunnel"))) {
		errf(x, v, "%s without a tunnel", what);
		ok = false;
	} else if (!(*tunnel = find_tunnel(x, n))) {
		ok = false;
	}
	if ((n = get(x, v, "vnet"))) {
		if (!(*vnet = find_vnet(x, n)))
			ok = false;
	} else if (*tunnel) {
		/* 0 when the tunnel's own vnet was wrong (reported there). */
		*vnet = x->c->tunnels[*tunnel - 1].vnet;
	}
	return ok && *vnet;
}

/* One item of routes.cidr: appended to the config's routes when valid. */
static void route_item(struct cx *x, yaml_node_t *v)
{
	static const char *const rkeys[] = { "network", "tunnel", "vnet", "comment", NULL };
	struct zt_cfg_route r = { 0 };
	yaml_node_t *n;
	bool ok = true;
	const char *s;

	if (!is_map(x, v, "a route"))
		return;
	check_keys(x, v, "route", rkeys);
	if (!(n = get(x, v, "network"))) {
		errf(x, v, "route without a network");
		ok = false;
	} else {
		ok = parse_prefix(x, n, "network", false, &r.pfx);
	}
	ok &= route_target(x, v, "route", &r.tunnel, &r.vnet);
	if ((n = get(x, v, "comment")) && (s = scalar(x, n, "comment")))
		r.comment = xstrdup(x, s);
	if (!ok || grow(x, (void **)&x->rpos, x->c->n_routes, sizeof(*x->rpos)) ||
	    grow(x, (void **)&x->c->routes, x->c->n_routes, sizeof(r))) {
		free(r.comment);
		return;
	}
	x->rpos[x->c->n_routes] = (struct rpos){ file_line(x, v->start_mark.line) + 1,
						 v->start_mark.column + 1 };
	x->c->routes[x->c->n_routes++] = r;
}

static void cidr_chunks(struct cx *x);

/* A hostname pattern (route, policy selector) into its stored form. */
static bool parse_host(struct cx *x, yaml_node_t *n, const char *what, char *out)
{
	const char *s = scalar(x, n, what), *why;

	if (!s)
		return false;
	if (zt_hostname_norm(s, true, out, &why)) {
		errf(x, n, "%s '%s' %s", what, s, why);
		return false;
	}
	return true;
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

	if (!is_map(x, v, "a hostname route"))
		return;
	check_keys(x, v, "hostname route", keys);
	if (!(hn = get(x, v, "hostname"))) {
		errf(x, v, "hostname route without a hostname");
		ok = false;
	} else {
		ok = parse_host(x, hn, "hostname", host);
	}
	ok &= route_target(x, v, "hostname route", &r.tunnel, &r.vnet);
	if (!ok)
		return;
	for (j = 0; j < x->c->n_host_routes; j++)
		if (x->c->host_routes[j].vnet == r.vnet && !strcmp(x->c->host_routes[j].host, host)) {
			errf(x, hn, "hostname route '%s' in vnet '%s' is defined twice (first at "
			     "line %d)", host, x->c->vnets[r.vnet - 1].name, x->host_line[j]);
			return;
		}
	if ((n = get(x, v, "comment")) && (s = scalar(x, n, "comment")))
		r.comment = xstrdup(x, s);
	if (!(r.host = xstrdup(x, host)) ||
	    grow(x, (void **)&x->host_line, x->c->n_host_routes, sizeof(int)) ||
	    grow(x, (void **)&x->c->host_routes, x->c->n_host_routes, sizeof(r))) {
		free(r.host);
		free(r.comment);
		return;
	}
	x->host_line[x->c->n_host_routes] = line_of(x, v);
	x->c->host_routes[x->c->n_host_routes++] = r;
}

static void routes(struct cx *x, yaml_node_t *m)
{
	static const char *const keys[] = { "cidr", "hostname", NULL };
	yaml_node_item_t *i;
	yaml_node_t *l;

	if (!m || !is_map(x, m, "routes"))
		return;
	check_keys(x, m, "routes", keys);
	if ((l = get(x, m, "hostname"))) {
		if (l->type != YAML_SEQUENCE_NODE)
			errf(x, l, "routes.hostname must be a list");
		else
			for (i = l->data.sequence.items.start; i < l->data.sequence.items.top; i++)
				host_route_item(x, nd(x, *i));
	}
	l = get(x, m, "cidr");
	if (!l)
		return;
	if (l->type != YAML_SEQUENCE_NODE) {
		errf(x, l, "routes.cidr must be a list");
		return;
	}
	for (i = l->data.sequence.items.start; i < l->data.sequence.items.top; i++)
		route_item(x, nd(x, *i));
	if (x->ph_lines)
		cidr_chunks(x); /* the list's items, parsed apart */
	dup_routes(x);
}

static void dev_ip(struct cx *x, yaml_node_t *n, void *arg)
{
	struct zt_cfg_device *d = arg;
	struct zt_prefix p;

	if (!parse_prefix(x, n, "device ip", true, &p))
		return;
	if (d->n_addr == 4) {
		errf(x, n, "at most 4 addresses per device");
		return;
	}
	d->addr[d->n_addr++] = p;
}

static void dev_group(struct cx *x, yaml_node_t *n, void *arg)
{
	const char *s = scalar(x, n, "group");

	if (s)
		intern_group(x, n, s, arg);
}

/* A device's interface (one of gateway.interface; may be left out when
 * there is only one) and VLAN. Returns false after an error. */
static bool dev_where(struct cx *x, yaml_node_t *v, struct zt_cfg_device *d)
{
	yaml_node_t *n = get(x, v, "interface");
	unsigned long vid;
	const char *s;
	size_t i;

	if (!n) {
		if (x->c->n_ifaces == 1) {
			d->iface = 1;
		} else if (x->c->n_ifaces > 1) {
			errf(x, v, "device without an interface: gateway.interface has %zu, say "
			     "which one the device is on (interface: NAME)", x->c->n_ifaces);
			return false;
		}
	} else if ((s = scalar(x, n, "interface"))) {
		for (i = 0; i < x->c->n_ifaces; i++)
			if (!strcmp(x->c->ifaces[i], s))
				d->iface = (__u32)i + 1;
		if (!d->iface) {
			errf(x, n, "device interface '%s' is not one of gateway.interface", s);
			return false;
		}
	} else {
		return false;
	}
	if ((n = get(x, v, "vlan"))) {
		if (!parse_uint(x, n, "vlan", 1, 4094, &vid))
			return false;
		d->vlan = (__u16)vid;
	}
	return true;
}

static void devices(struct cx *x, yaml_node_t *l)
{
	static const char *const keys[] = { "ip", "email", "groups", "vnet", "name", "interface",
					    "vlan", NULL };
	yaml_node_item_t *i;
	size_t j, k, a;

	if (!l)
		return;
	if (l->type != YAML_SEQUENCE_NODE) {
		errf(x, l, "devices must be a list");
		return;
	}
	for (i = l->data.sequence.items.start; i < l->data.sequence.items.top; i++) {
		yaml_node_t *v = nd(x, *i), *n;
		struct zt_cfg_device d = { 0 };
		const char *s;
		bool ok = true;

		if (!is_map(x, v, "a device"))
			continue;
		check_keys(x, v, "device", keys);
		if (!(n = get(x, v, "ip"))) {
			errf(x, v, "device without an ip");
			ok = false;
		}
		each(x, n, "ip", dev_ip, &d);
		if (!(n = get(x, v, "email"))) {
			errf(x, v, "device without an email (the user it belongs to)");
			ok = false;
		} else if ((s = scalar(x, n, "email"))) {
			if (!valid_email(s)) {
				errf(x, n, "'%s' is not an email address", s);
				ok = false;
			} else if (!(d.user = intern_user(x, s))) {
				ok = false; /* out of memory */
			}
		}
		each(x, get(x, v, "groups"), "groups", dev_group, &d.groups);
		d.vnet = (n = get(x, v, "vnet")) ? find_vnet(x, n) : x->c->default_vnet;
		if (!dev_where(x, v, &d))
			ok = false;
		if ((n = get(x, v, "name")) && (s = scalar(x, n, "name")))
			d.name = xstrdup(x, s);
		if (!ok || !d.n_addr || !d.vnet) {
			free(d.name);
			continue;
		}
		/* Identity is keyed by {interface, VLAN, address}: there one
		 * address is one device, whatever its vnet. */
		for (a = 0; a < d.n_addr; a++)
			for (j = 0; j < x->c->n_devices; j++)
				for (k = 0; k < x->c->devices[j].n_addr; k++)
					if (x->c->devices[j].iface == d.iface &&
					    x->c->devices[j].vlan == d.vlan &&
					    !zt_prefix_cmp(&x->c->devices[j].addr[k], &d.addr[a])) {
						char b[ZT_PREFIX_STRLEN];

						errf(x, v, "address %s belongs to another device "
						     "already", zt_addr_str(d.addr[a].family,
									    d.addr[a].addr, b,
									    sizeof(b)));
						ok = false;
					}
		if (!ok) {
			free(d.name);
			continue;
		}
		if (grow(x, (void **)&x->c->devices, x->c->n_devices, sizeof(d))) {
			free(d.name);
			return;
		}
		x->c->devices[x->c->n_devices++] = d;
	}
}

/* ---- network policies ------------------------------------------------------ */

static void m_dst(struct cx *x, yaml_node_t *n, void *arg)
{
	struct zt_cfg_policy *p = arg;
	struct zt_prefix pf;

	if (!parse_prefix(x, n, "dst_ip", false, &pf) ||
	    grow(x, (void **)&p->dst, p->n_dst, sizeof(pf)))
		return;
	p->dst[p->n_dst++] = pf;
}

/* "PORT" or "LOW-HIGH" within [min, 65535] into *lo, *hi; false (with an
 * error naming what) otherwise. */
static bool parse_port_range(struct cx *x, yaml_node_t *n, const char *what, unsigned long min,
			     __u16 *out_lo, __u16 *out_hi)
{
	const char *s = scalar(x, n, what);
	unsigned long lo, hi;
	char *end;

	if (!s)
		return false;
	errno = 0;
	lo = strtoul(s, &end, 10);
	hi = lo;
	if (end != s && *end == '-') {
		const char *h = end + 1;

		hi = strtoul(h, &end, 10);
		if (end == h)
			end = (char *)h - 1; /* force the error below */
	}
	if (end == s || *end || errno || s[0] == '-' || lo < min || hi > 65535 || lo > hi) {
		errf(x, n, "%s '%s' must be a port (%lu-65535) or a range LOW-HIGH", what, s, min);
		return false;
	}
	*out_lo = (__u16)lo;
	*out_hi = (__u16)hi;
	return true;
}

static void m_port(struct cx *x, yaml_node_t *n, void *arg)
{
	struct zt_cfg_policy *p = arg;
	struct zt_port_range r;

	if (!parse_port_range(x, n, "dst_port", 1, &r.lo, &r.hi) ||
	    grow(x, (void **)&p->ports, p->n_ports, sizeof(*p->ports)))
		return;
	p->ports[p->n_ports++] = r;
}

static void m_proto(struct cx *x, yaml_node_t *n, void *arg)
{
	struct zt_cfg_policy *p = arg;
	const char *s = scalar(x, n, "protocol");

	if (!s)
		return;
	if (!strcasecmp(s, "tcp"))
		p->protos |= 1u << ZT_PC_TCP;
	else if (!strcasecmp(s, "udp"))
		p->protos |= 1u << ZT_PC_UDP;
	else if (!strcasecmp(s, "icmp"))
		p->protos |= 1u << ZT_PC_ICMP;
	else
		errf(x, n, "protocol must be tcp, udp or icmp, not '%s'", s);
}

static void m_email(struct cx *x, yaml_node_t *n, void *arg)
{
	struct zt_cfg_policy *p = arg;
	const char *s = scalar(x, n, "user_email");
	__u32 u;

	if (!s)
		return;
	if (!valid_email(s)) {
		errf(x, n, "'%s' is not an email address", s);
		return;
	}
	if (!(u = intern_user(x, s)) || grow(x, (void **)&p->users, p->n_users, sizeof(*p->users)))
		return;
	p->users[p->n_users++] = u;
}

static void m_group(struct cx *x, yaml_node_t *n, void *arg)
{
	struct zt_cfg_policy *p = arg;
	const char *s = scalar(x, n, "user_group");

	if (s)
		intern_group(x, n, s, &p->groups);
}

static void m_vnet(struct cx *x, yaml_node_t *n, void *arg)
{
	struct zt_cfg_policy *p = arg;
	__u32 v = find_vnet(x, n);

	if (!v || grow(x, (void **)&p->vnets, p->n_vnets, sizeof(*p->vnets)))
		return;
	p->vnets[p->n_vnets++] = v;
}

static void m_sni(struct cx *x, yaml_node_t *n, void *arg)
{
	struct zt_cfg_policy *p = arg;
	const char *s = scalar(x, n, "sni");
	char *d;

	if (!s)
		return;
	if (!*s || strlen(s) > 253 || strpbrk(s, " \t/:")) {
		errf(x, n, "sni '%s' is not a host name", s);
		return;
	}
	if (!(d = xstrdup(x, s)) || grow(x, (void **)&p->sni, p->n_sni, sizeof(*p->sni))) {
		free(d);
		return;
	}
	p->sni[p->n_sni++] = d;
}

static void m_host(struct cx *x, yaml_node_t *n, void *arg)
{
	struct zt_cfg_policy *p = arg;
	char host[ZT_HOSTNAME_MAX + 1], *d;

	if (!parse_host(x, n, "host", host))
		return;
	if (!(d = xstrdup(x, host)) || grow(x, (void **)&p->hosts, p->n_hosts, sizeof(*p->hosts))) {
		free(d);
		return;
	}
	p->hosts[p->n_hosts++] = d;
}

static void policy_free(struct zt_cfg_policy *p)
{
	size_t k;

	free(p->name);
	free(p->dst);
	free(p->ports);
	free(p->users);
	free(p->vnets);
	for (k = 0; k < p->n_sni; k++)
		free(p->sni[k]);
	free(p->sni);
	for (k = 0; k < p->n_hosts; k++)
		free(p->hosts[k]);
	free(p->hosts);
}

/* What differs between the network and the DNS policy lists. */
struct plist {
	const char *section, *kind, *plural;
	const char *const *mkeys;
	const item_fn *fns;
	const char *empty_hint;
	struct zt_cfg_policy **arr;
	size_t *n;
	int **lines;
};

static void policy_list(struct cx *x, yaml_node_t *l, const struct plist *pl)
{
	static const char *const keys[] = { "name", "precedence", "action", "match",
					    "comment", NULL };
	yaml_node_item_t *i;
	size_t j, k;

	if (!l)
		return;
	if (l->type != YAML_SEQUENCE_NODE) {
		errf(x, l, "%s must be a list", pl->section);
		return;
	}
	for (i = l->data.sequence.items.start; i < l->data.sequence.items.top; i++) {
		yaml_node_t *v = nd(x, *i), *n, *m;
		struct zt_cfg_policy p = { 0 };
		const char *name = NULL;
		unsigned long prec = 0;
		bool ok = true;

		if (!is_map(x, v, pl->kind))
			continue;
		check_keys(x, v, pl->kind, keys);
		if (!(n = get(x, v, "name")) || !(name = scalar(x, n, "name"))) {
			if (!n)
				errf(x, v, "%s without a name", pl->kind);
			ok = false;
		} else {
			for (j = 0; j < *pl->n; j++)
				if (!strcmp((*pl->arr)[j].name, name)) {
					errf(x, n, "policy name '%s' used twice (first at line %d)",
					     name, (*pl->lines)[j]);
					ok = false;
				}
		}
		if (!(n = get(x, v, "precedence"))) {
			errf(x, v, "%s without a precedence (lower decides first)", pl->kind);
			ok = false;
		} else if (!parse_uint(x, n, "precedence", 0, INT_MAX, &prec)) {
			ok = false;
		} else {
			for (j = 0; j < *pl->n; j++)
				if ((*pl->arr)[j].precedence == prec) {
					errf(x, n, "precedence %lu is already used by policy '%s' "
					     "(line %d)", prec, (*pl->arr)[j].name, (*pl->lines)[j]);
					ok = false;
				}
		}
		if (!(n = get(x, v, "action"))) {
			errf(x, v, "%s without an action (allow or block)", pl->kind);
			ok = false;
		} else {
			size_t before = x->e->n + x->e->dropped;

			parse_action(x, n, "action", &p.action);
			ok &= x->e->n + x->e->dropped == before;
		}
		m = get(x, v, "match");
		if (!m) {
			errf(x, v, "%s without a match", pl->kind);
			ok = false;
		} else if (is_map(x, m, "match")) {
			size_t before = x->e->n + x->e->dropped;

			check_keys(x, m, "match", pl->mkeys);
			if (m->data.mapping.pairs.top == m->data.mapping.pairs.start)
				errf(x, m, "match is empty: a rule without selectors would match "
				     "everything; %s", pl->empty_hint);
			for (k = 0; pl->mkeys[k]; k++)
				each(x, get(x, m, pl->mkeys[k]), pl->mkeys[k], pl->fns[k], &p);
			if (p.n_dst && p.n_hosts)
				errf(x, m, "dst_ip and host cannot be combined in one rule: a "
				     "hostname route's traffic is selected by host, a CIDR "
				     "route's by dst_ip");
			ok &= x->e->n + x->e->dropped == before;
		} else {
			ok = false;
		}
		if (*pl->n == ZT_MAX_RULES) {
			errf(x, v, "too many %s: at most %d", pl->plural, ZT_MAX_RULES);
			ok = false;
		}
		if (!ok) {
			policy_free(&p);
			continue;
		}
		p.precedence = (__u32)prec;
		if (!(p.name = xstrdup(x, name)) || grow(x, (void **)pl->arr, *pl->n, sizeof(p)) ||
		    grow(x, (void **)pl->lines, *pl->n, sizeof(int))) {
			policy_free(&p);
			return;
		}
		(*pl->lines)[*pl->n] = line_of(x, v);
		(*pl->arr)[(*pl->n)++] = p;
	}
}

static void policies(struct cx *x, yaml_node_t *l)
{
	static const char *const mkeys[] = { "dst_ip", "dst_port", "protocol", "user_email",
					     "user_group", "vnet", "sni", "host", NULL };
	static const item_fn fns[] = { m_dst, m_port, m_proto, m_email, m_group, m_vnet,
				       m_sni, m_host };
	const struct plist pl = {
		"network_policies", "network policy", "network policies", mkeys, fns,
		"say dst_ip: [0.0.0.0/0, ::/0] if that is meant",
		&x->c->policies, &x->c->n_policies, &x->policy_line,
	};

	policy_list(x, l, &pl);
}

static void dns_policies(struct cx *x, yaml_node_t *l)
{
	static const char *const mkeys[] = { "host", "user_email", "user_group", NULL };
	static const item_fn fns[] = { m_host, m_email, m_group };
	const struct plist pl = {
		"dns_policies", "DNS policy", "DNS policies", mkeys, fns,
		"name the hosts it is for",
		&x->c->dns_policies, &x->c->n_dns_policies, &x->dns_policy_line,
	};

	policy_list(x, l, &pl);
}

static void split_item(struct cx *x, yaml_node_t *n, void *arg)
{
	struct zt_prefix p;

	(void)arg;
	if (n && n->type == YAML_MAPPING_NODE) {
		static const char *const keys[] = { "address", "description", NULL };

		check_keys(x, n, "split tunnel entry", keys);
		if (!(n = get(x, n, "address"))) {
			errf(x, n, "split tunnel entry without an address");
			return;
		}
	}
	if (!parse_prefix(x, n, "split tunnel entry", false, &p) ||
	    grow(x, (void **)&x->c->split, x->c->n_split, sizeof(p)))
		return;
	x->c->split[x->c->n_split++] = p;
}

static void split_tunnels(struct cx *x, yaml_node_t *m)
{
	static const char *const keys[] = { "mode", "entries", NULL };
	yaml_node_t *n, *l;
	yaml_node_item_t *i;
	const char *s;

	if (!m || !is_map(x, m, "split_tunnels"))
		return;
	check_keys(x, m, "split_tunnels", keys);
	if ((n = get(x, m, "mode")) && (s = scalar(x, n, "split_tunnels.mode"))) {
		if (!strcmp(s, "include"))
			x->c->split_include = true;
		else if (strcmp(s, "exclude"))
			errf(x, n, "split_tunnels.mode must be include or exclude, not '%s'", s);
	}
	l = get(x, m, "entries");
	if (!l)
		return;
	if (l->type != YAML_SEQUENCE_NODE) {
		errf(x, l, "split_tunnels.entries must be a list");
		return;
	}
	for (i = l->data.sequence.items.start; i < l->data.sequence.items.top; i++)
		split_item(x, nd(x, *i), NULL);
}

/* ---- routes.cidr in chunks ------------------------------------------------------
 *
 * A million routes are ~45 MB of YAML that libyaml reads in seconds; a
 * reload that changes one of them must not. When routes.cidr is a block
 * list in a block mapping (how a generated route table is written), its
 * items are cut out of the document, the rest is parsed as usual with one
 * placeholder line, and the items are split into chunks at content-defined
 * boundaries (an item whose hash ends in 9 zero bits closes a chunk), so an
 * edit changes one chunk and an insertion shifts no boundary. Each chunk is
 * parsed alone with the same route_item(); its routes are kept in the cache
 * with its text and reused while the text, and the vnet and tunnel names
 * they were resolved with, are unchanged. The splitter first tries the
 * previous file's next chunk at memcmp speed and reads items one by one only
 * where the text differs, so an unchanged million-route list costs one
 * comparison, not a line scan. Anything unusual in the list (anchors,
 * aliases, tabs, CRs) and any error fall back to the plain parse of the
 * whole file, so results and messages never differ. */

#define CHUNK_MASK  511u   /* ~512 items per chunk */
#define CHUNK_MAX   4096u

struct cchunk {
	__u64 hash;
	const char *text; size_t len;    /* into the cache's buffer */
	size_t line, lines;              /* its first line (0-based), its line count */
	struct zt_cfg_route *routes; struct rpos *pos; size_t n; /* pos: from line */
	struct cchunk *same;             /* during a parse: the old chunk of this text */
	bool at_end;                     /* closed by the list's end, not a boundary */
	bool ok;                         /* parsed without an error: routes are right */
	bool taken;
};

struct zt_cfg_cache {
	char *buf;                       /* the text the chunks point into */
	__u64 ctx;                       /* names the routes were resolved with */
	struct cchunk *ch; size_t n;
	const char *cur;                 /* during a parse: the file's text */
	size_t start, end, line;         /* the list's items in cur */
	size_t ind;                      /* their indentation */
	struct cchunk *nw; size_t n_nw;  /* during a parse: its chunks */
	size_t *slot, n_slot;            /* during a parse: old chunks by hash */
	size_t lines;                    /* during a parse: the list's line count */
	size_t reused, parsed;           /* chunks, in the last parse */
};

struct zt_cfg_cache *zt_cfg_cache_new(void)
{
	return calloc(1, sizeof(struct zt_cfg_cache));
}

static void chunk_free(struct cchunk *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->routes[i].comment);
	free(c->routes);
	free(c->pos);
	c->routes = NULL;
	c->pos = NULL;
	c->n = 0;
}

static void cache_drop(struct zt_cfg_cache *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		chunk_free(&c->ch[i]);
	free(c->ch);
	c->ch = NULL;
	c->n = 0;
}

void zt_cfg_cache_free(struct zt_cfg_cache *c)
{
	if (!c)
		return;
	cache_drop(c);
	free(c->buf);
	free(c);
}

void zt_cfg_cache_stats(const struct zt_cfg_cache *c, size_t *reused, size_t *parsed)
{
	*reused = c ? c->reused : 0;
	*parsed = c ? c->parsed : 0;
}

static size_t indent_of(const char *l, const char *end)
{
	const char *p = l;

	while (p < end && *p == ' ')
		p++;
	return (size_t)(p - l);
}

/* A line with nothing but spaces or a comment. */
static bool blank_line(const char *l, const char *end)
{
	l += indent_of(l, end);
	return l >= end || *l == '\n' || *l == '#';
}

static const char *next_line(const char *l, const char *end)
{
	const char *nl = memchr(l, '\n', (size_t)(end - l));

	return nl ? nl + 1 : end;
}

/* key: at l (after its indentation), then only spaces or a comment. */
static bool key_line(const char *l, const char *end, const char *key)
{
	size_t k = strlen(key);

	if ((size_t)(end - l) < k || memcmp(l, key, k))
		return false;
	l += k;
	while (l < end && *l == ' ')
		l++;
	return l >= end || *l == '\n' || *l == '#';
}

static bool item_line(const char *l, const char *end, size_t ind)
{
	return indent_of(l, end) == ind && l + ind < end && l[ind] == '-' &&
	       (l + ind + 1 >= end || l[ind + 1] == ' ' || l[ind + 1] == '\n');
}

/* Whether the line at l would end the item before it (an item's lines go
 * on through blank lines and deeper indentation). */
static bool item_ends(const char *l, const char *end, size_t ind)
{
	return l >= end || item_line(l, end, ind) ||
	       (!blank_line(l, end) && indent_of(l, end) <= ind);
}

/* The old chunks by hash (slot: index + 1, 0 = empty), built on first use. */
static int old_slots(struct zt_cfg_cache *c)
{
	size_t i;

	if (c->slot)
		return 0;
	c->n_slot = 16;
	while (c->n_slot < 2 * c->n)
		c->n_slot *= 2;
	c->slot = calloc(c->n_slot, sizeof(*c->slot));
	if (!c->slot)
		return -ENOMEM;
	for (i = 0; i < c->n; i++) {
		size_t j = c->ch[i].hash & (c->n_slot - 1);

		while (c->slot[j])
			j = (j + 1) & (c->n_slot - 1);
		c->slot[j] = i + 1;
	}
	return 0;
}

static void slots_free(struct zt_cfg_cache *c)
{
	free(c->slot);
	c->slot = NULL;
	c->n_slot = 0;
}

static struct cchunk *cache_find(struct cx *x, struct zt_cfg_cache *c, const char *text,
				 size_t len, __u64 h)
{
	size_t i;

	if (old_slots(c)) {
		x->oom = true;
		return NULL;
	}
	for (i = h & (c->n_slot - 1); c->slot[i]; i = (i + 1) & (c->n_slot - 1)) {
		struct cchunk *o = &c->ch[c->slot[i] - 1];

		if (o->hash == h && o->len == len && o->ok && !o->taken &&
		    !memcmp(o->text, text, len))
			return o;
	}
	return NULL;
}

/* The previous file's chunk o, if the text at l is its text and would be
 * cut the same way here (what follows ends its last item, and the list
 * goes on or ends as it did). */
static bool chunk_same(const struct cchunk *o, const char *l, const char *end, size_t ind)
{
	const char *e = l + o->len;

	return o->len <= (size_t)(end - l) && o->ok && !o->taken && !memcmp(o->text, l, o->len) &&
	       item_ends(e, end, ind) && (o->at_end ? !item_line(e, end, ind) : true);
}

/* From the first item at c->start: each item is its line and what is
 * indented under it (or blank); the list ends at the first other line.
 * Chunks close after an item whose hash ends in CHUNK_MASK zero bits.
 * Where the text is the previous file's next chunk, that chunk is taken
 * whole (same text, same cut); only differing text is read item by item,
 * and after it the old chunk of the same text, if any, is where the
 * comparison picks up again. */
static bool split_chunks(struct cx *x, struct zt_cfg_cache *c, const char *b, size_t len)
{
	const char *end = b + len, *l = b + c->start;
	size_t line = c->line, next = 0, n = 0;

	c->nw = NULL;
	while (l < end && item_line(l, end, c->ind)) {
		const char *cs = l;
		size_t cline = line, items = 0;
		bool cut = false;
		struct cchunk *o = next < c->n ? &c->ch[next] : NULL;
		__u64 h = 0;

		if (grow(x, (void **)&c->nw, n, sizeof(*c->nw))) {
			free(c->nw);
			c->nw = NULL;
			return false;
		}
		if (o && chunk_same(o, l, end, c->ind)) {
			c->nw[n++] = (struct cchunk){ .hash = o->hash, .text = l, .len = o->len,
						      .line = line, .lines = o->lines,
						      .at_end = o->at_end, .same = o };
			l += o->len;
			line += o->lines;
			next++;
			continue;
		}
		for (;;) {
			const char *it = l;
			__u64 hi;

			l = next_line(l, end);
			line++;
			while (!item_ends(l, end, c->ind)) {
				l = next_line(l, end);
				line++;
			}
			hi = zt_hash64(it, (size_t)(l - it), 0x2a);
			h = zt_hash64((const char *)&hi, sizeof(hi), h);
			cut = !(hi & CHUNK_MASK) || ++items >= CHUNK_MAX;
			if (cut || l >= end || !item_line(l, end, c->ind))
				break;
		}
		/* Unusual text sends the whole file to the plain parse. */
		if (memchr(cs, '&', (size_t)(l - cs)) || memchr(cs, '*', (size_t)(l - cs)) ||
		    memchr(cs, '\t', (size_t)(l - cs)) || memchr(cs, '\r', (size_t)(l - cs))) {
			free(c->nw);
			c->nw = NULL;
			return false;
		}
		c->nw[n] = (struct cchunk){ .hash = h, .text = cs, .len = (size_t)(l - cs),
					    .line = cline, .lines = line - cline,
					    .at_end = !cut };
		o = cache_find(x, c, cs, (size_t)(l - cs), h);
		c->nw[n].same = o;
		if (o)
			next = (size_t)(o - c->ch) + 1;
		else if (next < c->n)
			next++; /* an edit in place: the next chunk may well be the same */
		n++;
	}
	c->n_nw = n;
	c->end = (size_t)(l - b);
	c->lines = line - c->line;
	return n > 0;
}

/* The first top-level "routes:" line at or after l, or NULL. */
static const char *routes_key(const char *l, const char *end)
{
	while (l < end) {
		const char *s;

		if (key_line(l, end, "routes:"))
			return l;
		s = memmem(l, (size_t)(end - l), "\nroutes:", 8);
		l = s ? s + 1 : end;
	}
	return NULL;
}

/* Finds routes.cidr's items in the block layout; false for anything else.
 * The list's lines are all indented, so a second top-level "routes:" can
 * only be after it. */
static bool find_cidr_items(struct cx *x, struct zt_cfg_cache *c, const char *b, size_t len)
{
	const char *end = b + len, *l, *r = routes_key(b, end);
	size_t line = 0, i1 = 0, ind;
	bool in_cidr = false;

	if (!r)
		return false;
	for (l = b; l < r; l = next_line(l, end))
		line++;
	for (l = next_line(r, end), line++; l < end; l = next_line(l, end), line++) {
		size_t in;

		if (blank_line(l, end))
			continue;
		in = indent_of(l, end);
		if (in_cidr)
			break;
		if (!in)
			return false; /* routes ended without cidr */
		if (!i1)
			i1 = in;
		if (in == i1 && key_line(l + in, end, "cidr:"))
			in_cidr = true;
	}
	if (!in_cidr || l >= end)
		return false;
	ind = indent_of(l, end);
	if (ind < i1 || !item_line(l, end, ind))
		return false;
	c->start = (size_t)(l - b);
	c->line = line;
	c->ind = ind;
	if (!split_chunks(x, c, b, len))
		return false;
	if (routes_key(b + c->end, end)) {
		free(c->nw);
		c->nw = NULL;
		return false;
	}
	c->cur = b;
	return true;
}

static __u64 names_hash(const struct zt_config *c)
{
	__u64 h = 0x5a7e;
	size_t i;

	for (i = 0; i < c->n_vnets; i++)
		h = zt_hash64(c->vnets[i].name, strlen(c->vnets[i].name) + 1, h);
	for (i = 0; i < c->n_tunnels; i++) {
		h = zt_hash64(c->tunnels[i].name, strlen(c->tunnels[i].name) + 1, h);
		h = zt_hash64((const char *)&c->tunnels[i].vnet, sizeof(c->tunnels[i].vnet), h);
	}
	return h;
}

/* Room for `want` elements in an array grow() keeps (capacity: n's power
 * of two), in one step; -ENOMEM as grow(). */
static int grow_to(struct cx *x, void **p, size_t n, size_t want, size_t size)
{
	size_t cap = 1;
	void *q;

	while (cap < want || cap < n)
		cap *= 2;
	q = realloc(*p, cap * size);
	if (!q) {
		x->oom = true;
		return -ENOMEM;
	}
	*p = q;
	return 0;
}

/* Appends k routes with their positions (lines from `line`). */
static void add_routes(struct cx *x, const struct zt_cfg_route *r, const struct rpos *pos,
		       size_t k, size_t line)
{
	size_t n = x->c->n_routes, i;

	if (!k || grow_to(x, (void **)&x->c->routes, n, n + k, sizeof(*r)) ||
	    grow_to(x, (void **)&x->rpos, n, n + k, sizeof(*pos)))
		return;
	memcpy(x->c->routes + n, r, k * sizeof(*r));
	for (i = 0; i < k; i++) {
		if (r[i].comment)
			x->c->routes[n + i].comment = xstrdup(x, r[i].comment);
		x->rpos[n + i] = (struct rpos){ pos[i].line + line, pos[i].col };
	}
	x->c->n_routes = n + k;
}

/* Parses one chunk's items into the config; keeps a copy in ch when it
 * had no error (and every route of it could be kept). */
static void chunk_parse(struct cx *x, struct cchunk *ch)
{
	yaml_document_t *outer = x->doc, doc;
	size_t n0 = x->c->n_routes, e0 = x->e->n + x->e->dropped, i, k;
	struct zt_cfg_route *routes;
	struct rpos *pos;
	yaml_parser_t parser;
	yaml_node_t *root;

	if (!yaml_parser_initialize(&parser)) {
		x->oom = true;
		return;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)ch->text, ch->len);
	x->in_chunk = true;
	x->chunk_line = ch->line;
	if (!yaml_parser_load(&parser, &doc)) {
		if (yaml_oom(&parser))
			x->oom = true;
		else
			errf_at(x, ch->line + parser.problem_mark.line + 1,
				parser.problem_mark.column + 1, "YAML syntax: %s",
				parser.problem ? parser.problem : "error");
		goto out;
	}
	x->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root && root->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *it;

		for (it = root->data.sequence.items.start; it < root->data.sequence.items.top; it++)
			route_item(x, nd(x, *it));
	} else {
		errf(x, root, "routes.cidr must be a list");
	}
	yaml_document_delete(&doc);
	x->doc = outer;
	if (x->oom || x->e->n + x->e->dropped != e0)
		goto out;
	k = x->c->n_routes - n0;
	routes = malloc((k + 1) * sizeof(*routes));
	pos = malloc((k + 1) * sizeof(*pos));
	if (!routes || !pos) {
		free(routes);
		free(pos);
		x->oom = true;
		goto out;
	}
	for (i = 0; i < k; i++) {
		routes[i] = x->c->routes[n0 + i];
		if (routes[i].comment)
			routes[i].comment = xstrdup(x, routes[i].comment);
		pos[i] = x->rpos[n0 + i];
		pos[i].line -= ch->line;
	}
	ch->routes = routes;
	ch->pos = pos;
	ch->n = k;
	if (x->oom) /* a comment could not be copied: not kept */
		chunk_free(ch);
	else
		ch->ok = true;
out:
	x->in_chunk = false;
	yaml_parser_delete(&parser);
}

static void cidr_chunks(struct cx *x)
{
	struct zt_cfg_cache *c = x->cache;
	struct cchunk *nw = c->nw;
	size_t i, k = 0;
	__u64 ctx = names_hash(x->c);

	if (ctx != c->ctx) { /* routes resolved against other names: none reused */
		for (i = 0; i < c->n_nw; i++)
			nw[i].same = NULL;
		slots_free(c);
		cache_drop(c);
	}
	c->ctx = ctx;
	for (i = 0; i < c->n_nw; i++) {
		struct cchunk *o = nw[i].same;

		if (o && o->ok && !o->taken)
			k += o->n;
	}
	/* One allocation for the routes the list will have (about). Out of
	 * memory here or below, the chunks are still all gone through: the
	 * routes of reused ones must reach the new cache, not leak. */
	if (!grow_to(x, (void **)&x->c->routes, x->c->n_routes, x->c->n_routes + k,
		     sizeof(*x->c->routes)))
		grow_to(x, (void **)&x->rpos, x->c->n_routes, x->c->n_routes + k,
			sizeof(*x->rpos));
	c->reused = c->parsed = 0;
	for (i = 0; i < c->n_nw; i++) {
		struct cchunk *o = nw[i].same;

		nw[i].same = NULL; /* the old chunks go below */
		if (!o || !o->ok || o->taken)
			o = cache_find(x, c, nw[i].text, nw[i].len, nw[i].hash);
		if (o && o->ok) {
			o->taken = true;
			nw[i].routes = o->routes;
			nw[i].pos = o->pos;
			nw[i].n = o->n;
			nw[i].ok = true;
			o->routes = NULL;
			o->pos = NULL;
			o->n = 0;
			c->reused++;
			add_routes(x, nw[i].routes, nw[i].pos, nw[i].n, nw[i].line);
		} else {
			chunk_parse(x, &nw[i]); /* appends the routes itself */
			c->parsed++;
		}
	}
	slots_free(c);
	cache_drop(c);
	c->ch = nw;
	c->n = c->n_nw;
	c->nw = NULL;
	c->n_nw = 0;
	if (c->buf != c->cur) {
		free(c->buf);
		c->buf = (char *)c->cur; /* the chunks point into it; the caller lets go */
	}
}

/* ---- entry points ------------------------------------------------------------ */

/* After gateway.interface: the local tunnels' private interfaces (each once),
 * where the DIRECT path's translations happen; and what they require. */
static void private_ifaces(struct cx *x)
{
	struct zt_config *c = x->c;
	size_t i, j;

	c->n_client_ifaces = c->n_ifaces;
	for (i = 0; i < c->n_tunnels; i++) {
		const char *p = c->tunnels[i].private_interface;
		bool dup = false;

		if (!p)
			continue;
		for (j = 0; j < c->n_ifaces; j++)
			if (!strcmp(c->ifaces[j], p)) {
				if (j < c->n_client_ifaces)
					errf_at(x, (size_t)x->tunnel_line[i], 1,
						"tunnel '%s': private_interface %s is also a "
					     "gateway.interface; clients and the private network need "
					     "separate interfaces", c->tunnels[i].name, p);
				dup = true;
			}
		if (dup)
			continue;
		if (c->n_ifaces == ZT_MAX_IFACES) {
			errf_at(x, (size_t)x->tunnel_line[i], 1, "at most %d interfaces (gateway and private) in all",
			     ZT_MAX_IFACES);
			return;
		}
		if (!(c->ifaces[c->n_ifaces] = xstrdup(x, p)))
			return;
		c->n_ifaces++;
	}
	/* An IRI only means something once translated to the real address. */
	for (i = 0; i < c->n_host_routes; i++) {
		const struct zt_cfg_tunnel *t = &c->tunnels[c->host_routes[i].tunnel - 1];

		if (t->local && !t->private_interface)
			errf_at(x, (size_t)x->host_line[i], 1, "hostname route '%s' goes to local tunnel '%s', which has no "
			     "private_interface: set it, so IRIs can be translated to the real "
			     "address there", c->host_routes[i].host, t->name);
	}
}

static int parse(const char *name, const char *buf, size_t len, struct zt_cfg_cache *cache,
		 struct zt_config *out, struct zt_cfg_errors *errs)
{
	static const char *const top[] = { "gateway", "virtual_networks", "tunnels", "routes",
					   "devices", "network_policies", "split_tunnels", "dns",
					   "initial_resolved_ips", "dns_policies", NULL };
	yaml_parser_t parser;
	yaml_document_t doc;
	struct cx x = { .file = name, .doc = &doc, .e = errs, .c = out };
	yaml_node_t *root;
	char *rest = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	memset(errs, 0, sizeof(*errs));
	if (!(out->path = xstrdup(&x, name)))
		goto out;
	out->default_action = ZT_ACT_BLOCK;
	out->drop_events_per_sec = 100;
	out->dns_ttl = ZT_DNS_TTL_DEFAULT;
	out->dns_timeout_ms = ZT_DNS_TIMEOUT_DEFAULT_MS;
	out->nat_port_lo = ZT_NAT_PORT_LO_DEFAULT;
	out->nat_port_hi = ZT_NAT_PORT_HI_DEFAULT;
	out->nat_per_device = ZT_NAT_PER_DEVICE_DEFAULT;
	zt_prefix_parse(ZT_IRI4_DEFAULT, &out->iri4);
	out->iri_wild_per_user = ZT_IRI_WILD_PER_USER_DEFAULT;
	zt_prefix_parse(ZT_IRI6_DEFAULT, &out->iri6);
	if (cache)
		cache->reused = cache->parsed = 0;
	if (cache && find_cidr_items(&x, cache, buf, len)) {
		/* The document without the list's items: one placeholder line. */
		size_t ph = cache->ind > 0 ? cache->ind : 1, k, nl = cache->lines;
		rest = malloc(cache->start + ph + 3 + (len - cache->end) + 1);
		if (!rest) {
			x.oom = true;
			goto out;
		}
		memcpy(rest, buf, cache->start);
		k = cache->start;
		memset(rest + k, ' ', ph);
		k += ph;
		memcpy(rest + k, "[]\n", 3);
		k += 3;
		memcpy(rest + k, buf + cache->end, len - cache->end);
		k += len - cache->end;
		x.cache = cache;
		x.ph_line = cache->line;
		x.ph_lines = nl;
		buf = rest;
		len = k;
	}
	if (x.oom) /* in find_cidr_items */
		goto out;
	if (!yaml_parser_initialize(&parser)) {
		x.oom = true;
		goto out;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		char *msg = NULL;

		if (yaml_oom(&parser))
			x.oom = true;
		else if (asprintf(&msg, "%s:%zu:%zu: YAML syntax: %s%s%s", name,
				  file_line(&x, parser.problem_mark.line) + 1,
				  parser.problem_mark.column + 1,
				  parser.problem ? parser.problem : "error",
				  parser.context ? " " : "",
				  parser.context ? parser.context : "") < 0)
			x.oom = true;
		else
			add_err(errs, msg);
		yaml_parser_delete(&parser);
		goto out;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		errf(&x, NULL, "the file is empty");
	} else if (is_map(&x, root, "the top level")) {
		check_keys(&x, root, "the top level", top);
		vnets(&x, get(&x, root, "virtual_networks"));
		gateway(&x, get(&x, root, "gateway"));
		tunnels(&x, get(&x, root, "tunnels"));
		routes(&x, get(&x, root, "routes"));
		devices(&x, get(&x, root, "devices"));
		policies(&x, get(&x, root, "network_policies"));
		split_tunnels(&x, get(&x, root, "split_tunnels"));
		dns(&x, get(&x, root, "dns"));
		iri_pools(&x, get(&x, root, "initial_resolved_ips"));
		if (!out->iri_reuse_s) /* not set: the default, or twice a long TTL */
			out->iri_reuse_s = 2 * out->dns_ttl > ZT_IRI_REUSE_DEFAULT_S ?
					   2 * out->dns_ttl : ZT_IRI_REUSE_DEFAULT_S;
		dns_policies(&x, get(&x, root, "dns_policies"));
		iri_overlaps(&x, root);
		private_ifaces(&x);
		if (!out->state_dir)
			out->state_dir = xstrdup(&x, ZT_STATE_DIR_DEFAULT);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
out:
	/* Out of memory, what was read is incomplete and its errors may be
	 * false (a vnet not kept, then "unknown vnet"): only ENOMEM is said. */
	if (x.oom)
		zt_cfg_errors_free(errs);
	ret = x.oom ? -ENOMEM : errs->n ? -EINVAL : 0;
	if (cache && cache->nw) { /* the list was never reached */
		free(cache->nw);
		cache->nw = NULL;
	}
	if (cache)
		slots_free(cache);
	free(rest);
	free(x.vnet_line);
	free(x.tunnel_line);
	free(x.policy_line);
	free(x.dns_policy_line);
	free(x.host_line);
	free(x.rpos);
	if (ret)
		zt_config_free(out);
	return ret;
}

int zt_config_parse(const char *name, const char *buf, size_t len, struct zt_config *out,
		    struct zt_cfg_errors *errs)
{
	return parse(name, buf, len, NULL, out, errs);
}

/* The whole file in one allocation of its size (a 45 MB route table read
 * through a doubling buffer would be copied a dozen times). */
static int read_file(const char *path, char **out, size_t *out_len)
{
	FILE *f = fopen(path, "r");
	size_t len = 0, cap;
	struct stat st;
	char *buf;
	int ret = 0;

	if (!f)
		return -errno;
	if (fstat(fileno(f), &st)) {
		ret = -errno;
		fclose(f);
		return ret;
	}
	cap = (size_t)st.st_size + 1; /* + 1: the end is seen in one read */
	if (cap < 4096)
		cap = 4096; /* pipes and /proc files say 0 */
	buf = malloc(cap);
	for (;;) {
		size_t got;

		if (!buf) {
			ret = -ENOMEM;
			break;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (ferror(f)) {
			ret = -EIO;
			break;
		}
		if (len < cap) {
			if (!got)
				break;
			continue;
		}
		if (cap >= (128u << 20)) {
			ret = -EFBIG;
			break;
		}
		cap *= 2;
		{
			char *nb = realloc(buf, cap);

			if (!nb)
				free(buf);
			buf = nb;
		}
	}
	fclose(f);
	if (ret) {
		free(buf);
		return ret;
	}
	*out = buf;
	*out_len = len;
	return 0;
}

int zt_config_load_cached(const char *path, struct zt_cfg_cache *cache, struct zt_config *out,
			  struct zt_cfg_errors *errs)
{
	char *buf = NULL;
	size_t len = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	memset(errs, 0, sizeof(*errs));
	ret = read_file(path, &buf, &len);
	if (ret)
		return ret;
	ret = parse(path, buf ? buf : "", len, cache, out, errs);
	if (ret == -EINVAL && cache) {
		/* Messages exactly as the plain parse words and places them. */
		zt_cfg_errors_free(errs);
		ret = parse(path, buf ? buf : "", len, NULL, out, errs);
	}
	if (!cache || cache->buf != buf)
		free(buf);
	return ret;
}

int zt_config_load(const char *path, struct zt_config *out, struct zt_cfg_errors *errs)
{
	return zt_config_load_cached(path, NULL, out, errs);
}

void zt_config_free(struct zt_config *c)
{
	size_t i;

	free(c->path);
	for (i = 0; i < c->n_ifaces; i++)
		free(c->ifaces[i]);
	free(c->network_log);
	for (i = 0; i < c->n_vnets; i++)
		free(c->vnets[i].name);
	free(c->vnets);
	for (i = 0; i < c->n_tunnels; i++) {
		free(c->tunnels[i].name);
		free(c->tunnels[i].private_interface);
	}
	free(c->tunnels);
	for (i = 0; i < c->n_routes; i++)
		free(c->routes[i].comment);
	free(c->routes);
	for (i = 0; i < c->n_devices; i++)
		free(c->devices[i].name);
	free(c->devices);
	for (i = 0; i < c->n_policies; i++)
		policy_free(&c->policies[i]);
	free(c->policies);
	for (i = 0; i < c->n_dns_policies; i++)
		policy_free(&c->dns_policies[i]);
	free(c->dns_policies);
	for (i = 0; i < c->n_host_routes; i++) {
		free(c->host_routes[i].host);
		free(c->host_routes[i].comment);
	}
	free(c->host_routes);
	free(c->dns_log);
	free(c->state_dir);
	for (i = 0; i < c->n_users; i++)
		free(c->users[i]);
	free(c->users);
	for (i = 0; i < c->n_groups; i++)
		free(c->groups[i]);
	free(c->split);
	memset(c, 0, sizeof(*c));
}

void zt_cfg_errors_print(const struct zt_cfg_errors *e, FILE *f)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		fprintf(f, "%s\n", e->msg[i]);
	if (e->dropped)
		fprintf(f, "(%zu more errors not shown)\n", e->dropped);
}

void zt_cfg_errors_free(struct zt_cfg_errors *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		free(e->msg[i]);
	memset(e, 0, sizeof(*e));
}

/* ---- compiler input ------------------------------------------------------------ */

int zt_config_policy(const struct zt_config *c, const __u32 *ifindex, size_t n_if,
		     struct zt_policy_build *b)
{
	size_t i, j, nd = 0;

	memset(b, 0, sizeof(*b));
	b->rules = calloc(c->n_policies + 1, sizeof(*b->rules));
	b->routes = calloc(c->n_routes + 1, sizeof(*b->routes));
	for (i = 0; i < c->n_devices; i++)
		nd += c->devices[i].n_addr;
	b->devices = calloc(nd + 1, sizeof(*b->devices));
	b->vnets = calloc(c->n_vnets + 1, sizeof(*b->vnets));
	if (!b->rules || !b->routes || !b->devices || !b->vnets) {
		zt_policy_build_free(b);
		return -ENOMEM;
	}
	for (i = 0; i < c->n_policies; i++) {
		const struct zt_cfg_policy *p = &c->policies[i];

		b->rules[i] = (struct zt_rule_in){
			.name = p->name, .precedence = p->precedence, .action = p->action,
			.l7 = p->n_sni > 0, .dst = p->dst, .n_dst = p->n_dst,
			.protos = p->protos, .ports = p->ports, .n_ports = p->n_ports,
			.users = p->users, .n_users = p->n_users, .groups = p->groups,
			.vnets = p->vnets, .n_vnets = p->n_vnets,
			.hosts = p->hosts, .n_hosts = p->n_hosts,
		};
	}
	for (i = 0; i < c->n_routes; i++) {
		const struct zt_cfg_route *r = &c->routes[i];

		b->routes[i] = (struct zt_route_in){
			.pfx = r->pfx, .vnet = r->vnet, .route_id = (__u32)i + 1,
			.tunnel_id = r->tunnel, .local = c->tunnels[r->tunnel - 1].local,
			.nat = c->tunnels[r->tunnel - 1].private_interface != NULL,
		};
	}
	nd = 0;
	for (i = 0; i < c->n_devices; i++) {
		const struct zt_cfg_device *dv = &c->devices[i];

		/* On its own interface and VLAN only: there the address is
		 * the device's; elsewhere anyone could claim it. */
		if (!dv->iface || dv->iface > n_if)
			continue;
		for (j = 0; j < dv->n_addr; j++)
			b->devices[nd++] = (struct zt_device_in){
				.ifindex = ifindex[dv->iface - 1], .vlan = dv->vlan,
				.addr = dv->addr[j], .device_id = (__u32)i + 1,
				.user_id = dv->user, .vnet = dv->vnet, .groups = dv->groups,
			};
	}
	for (i = 0; i < c->n_vnets; i++)
		b->vnets[i] = (__u32)i + 1;
	b->in = (struct zt_policy_in){
		.rules = b->rules, .n_rules = c->n_policies,
		.routes = b->routes, .n_routes = c->n_routes,
		.devices = b->devices, .n_devices = nd,
		.vnets = b->vnets, .n_vnets = c->n_vnets,
		.default_vnet = c->default_vnet, .default_action = c->default_action,
	};
	b->in.iri4 = c->iri4;
	b->in.iri6 = c->iri6;
	return 0;
}

void zt_policy_build_free(struct zt_policy_build *b)
{
	free(b->rules);
	free(b->routes);
	free(b->devices);
	free(b->vnets);
	memset(b, 0, sizeof(*b));
}
