/* SPDX-License-Identifier: GPL-2.0 */
/* cfg_int.h — what the files of the config parser share, and nothing
 * outside user/lib/config/ includes: the parse context, the YAML helpers
 * (yaml.c) and each section's entry point. */
#ifndef ZT_CFG_INT_H
#define ZT_CFG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>
#include "config.h"

/* Where a route is in the file, for messages about it after the parse. */
struct rpos {
	size_t line, col; /* 1-based */
};

/* One parse of one file: what it fills, where errors go, and how libyaml's
 * lines map back to the file's. */
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

/* ---- yaml.c: errors with positions, node walkers, value readers ---------- */

size_t cfg_file_line(const struct cx *x, size_t line);
void cfg_add_err(struct zt_cfg_errors *e, char *msg);
void cfg_errf_at(struct cx *x, size_t line, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* At node n (the top of the file when n is NULL). */
void cfg_errf(struct cx *x, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool cfg_yaml_oom(const yaml_parser_t *p);
/* buf loaded into x->doc with p: its top level, a map with only the keys
 * in top; NULL when it is not (said, or x->oom), with *loaded telling
 * whether x->doc must be deleted (p must be, when initialized: *loaded). */
yaml_node_t *cfg_load_root(struct cx *x, yaml_parser_t *p, const char *buf, size_t len,
			   const char *const *top, bool *loaded);

yaml_node_t *cfg_node(struct cx *x, int i);
int cfg_line_of(const struct cx *x, const yaml_node_t *n);
const char *cfg_scalar(struct cx *x, yaml_node_t *n, const char *what);
bool cfg_is_map(struct cx *x, yaml_node_t *n, const char *what);
void cfg_check_keys(struct cx *x, yaml_node_t *map, const char *what,
		    const char *const *allowed);
yaml_node_t *cfg_get(struct cx *x, yaml_node_t *map, const char *key);
typedef void (*item_fn)(struct cx *x, yaml_node_t *item, void *arg);
void cfg_each(struct cx *x, yaml_node_t *n, const char *what, item_fn fn, void *arg);

bool cfg_parse_bool(struct cx *x, yaml_node_t *n, const char *what, bool *out);
bool cfg_parse_uint(struct cx *x, yaml_node_t *n, const char *what, unsigned long lo,
		    unsigned long hi, unsigned long *out);
bool cfg_parse_prefix(struct cx *x, yaml_node_t *n, const char *what, bool host_only,
		      struct zt_prefix *p);
bool cfg_parse_port_range(struct cx *x, yaml_node_t *n, const char *what, unsigned long min,
			  __u16 *out_lo, __u16 *out_hi);
void cfg_parse_action(struct cx *x, yaml_node_t *n, const char *what, __u8 *out);
bool cfg_parse_host(struct cx *x, yaml_node_t *n, const char *what, char *out);

/* Where a list of endpoints goes, and its name in messages: the arg of
 * cfg_endpoint_item. */
struct eplist {
	const char *what;
	struct zt_cfg_endpoint *v;
	size_t *n, max;
	__u16 port;          /* when an entry names none (0: 53, DNS's) */
};
void cfg_endpoint_item(struct cx *x, yaml_node_t *n, void *arg);

char *cfg_strdup(struct cx *x, const char *s);
int cfg_grow(struct cx *x, void **p, size_t n, size_t size);

/* ---- sections, in the order config.c reads them ----------------------------- */

void cfg_vnets(struct cx *x, yaml_node_t *l);           /* tunnels.c */
__u32 cfg_find_vnet(struct cx *x, yaml_node_t *n);
void cfg_gateway(struct cx *x, yaml_node_t *g);         /* gateway.c */
void cfg_tunnels(struct cx *x, yaml_node_t *l);         /* tunnels.c */
__u32 cfg_find_tunnel(struct cx *x, yaml_node_t *n);
void cfg_routes(struct cx *x, yaml_node_t *m);          /* routes.c */
void cfg_route_item(struct cx *x, yaml_node_t *v);
void cfg_devices(struct cx *x, yaml_node_t *l);         /* devices.c */
__u32 cfg_intern_user(struct cx *x, const char *email);
bool cfg_intern_group(struct cx *x, yaml_node_t *n, const char *g, __u64 *bits);
bool cfg_valid_email(const char *s);
void cfg_policies(struct cx *x, yaml_node_t *l);        /* policies.c */
void cfg_split_tunnels(struct cx *x, yaml_node_t *m);   /* split.c */
void cfg_dns(struct cx *x, yaml_node_t *m);             /* dns_cfg.c */
void cfg_iri_pools(struct cx *x, yaml_node_t *m);
void cfg_dns_policies(struct cx *x, yaml_node_t *l);    /* policies.c */
void cfg_iri_overlaps(struct cx *x, yaml_node_t *root); /* dns_cfg.c */
void cfg_private_ifaces(struct cx *x);                  /* gateway.c */
void cfg_policy_free(struct zt_cfg_policy *p);          /* policies.c */

/* ---- cache.c: routes.cidr in chunks ------------------------------------------ */

/* Before the parse: when routes.cidr's items can be cut out of buf, *rest
 * is buf without them (one placeholder line, *rest_len long) and x maps
 * its lines back to the file's; otherwise *rest stays NULL. */
void cfg_cache_cut(struct cx *x, struct zt_cfg_cache *c, const char *buf, size_t len,
		   char **rest, size_t *rest_len);
/* In cfg_routes, after the rest of the list: the items cut out. */
void cfg_cidr_chunks(struct cx *x);
/* After the parse, whatever happened: drops what only it needed. */
void cfg_cache_end(struct zt_cfg_cache *c);
/* Whether the cache now holds buf (its chunks point into it). */
bool cfg_cache_holds(const struct zt_cfg_cache *c, const char *buf);

#endif
