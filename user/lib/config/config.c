// SPDX-License-Identifier: GPL-2.0
/* config.c — see config.h. libyaml loads the document with the position of
 * every node; each section (one file each in this directory) is then
 * checked against a fixed table of keys, and every problem is recorded
 * rather than stopping at the first. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cfg_int.h"

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
	size_t rest_len = 0;
	bool loaded;
	int ret;

	memset(out, 0, sizeof(*out));
	memset(errs, 0, sizeof(*errs));
	if (!(out->path = cfg_strdup(&x, name)))
		goto out;
	out->default_action = ZT_DEFAULT_ACTION_DEFAULT;
	out->drop_events_per_sec = ZT_DROP_EVENTS_DEFAULT;
	out->dns_ttl = ZT_DNS_TTL_DEFAULT;
	out->dns_timeout_ms = ZT_DNS_TIMEOUT_DEFAULT_MS;
	out->nat_port_lo = ZT_NAT_PORT_LO_DEFAULT;
	out->nat_port_hi = ZT_NAT_PORT_HI_DEFAULT;
	out->nat_per_device = ZT_NAT_PER_DEVICE_DEFAULT;
	out->proxy_max_conns = ZT_PROXY_MAX_CONNS_DEFAULT;
	out->proxy_per_client = ZT_PROXY_PER_CLIENT_DEFAULT;
	out->proxy_detect_ms = ZT_PROXY_DETECT_MS_DEFAULT;
	out->connector_udp_idle_ms = ZT_CONNECTOR_UDP_IDLE_MS_DEFAULT;
	out->proxy_blocked_logs = ZT_PROXY_BLOCKED_LOGS_DEFAULT;
	zt_prefix_parse(ZT_IRI4_DEFAULT, &out->iri4);
	out->iri_wild_per_user = ZT_IRI_WILD_PER_USER_DEFAULT;
	zt_prefix_parse(ZT_IRI6_DEFAULT, &out->iri6);
	if (cache)
		cfg_cache_cut(&x, cache, buf, len, &rest, &rest_len);
	if (rest) {
		buf = rest;
		len = rest_len;
	}
	if (x.oom) /* in cfg_cache_cut */
		goto out;
	if (!yaml_parser_initialize(&parser)) {
		x.oom = true;
		goto out;
	}
	root = cfg_load_root(&x, &parser, buf, len, top, &loaded);
	if (root) {
		cfg_vnets(&x, cfg_get(&x, root, "virtual_networks"));
		cfg_gateway(&x, cfg_get(&x, root, "gateway"));
		cfg_tunnels(&x, cfg_get(&x, root, "tunnels"));
		cfg_routes(&x, cfg_get(&x, root, "routes"));
		cfg_devices(&x, cfg_get(&x, root, "devices"));
		cfg_policies(&x, cfg_get(&x, root, "network_policies"));
		cfg_split_tunnels(&x, cfg_get(&x, root, "split_tunnels"));
		cfg_dns(&x, cfg_get(&x, root, "dns"));
		cfg_iri_pools(&x, cfg_get(&x, root, "initial_resolved_ips"));
		if (!out->iri_reuse_s) /* not set: the default, or twice a long TTL */
			out->iri_reuse_s = 2 * out->dns_ttl > ZT_IRI_REUSE_DEFAULT_S ?
					   2 * out->dns_ttl : ZT_IRI_REUSE_DEFAULT_S;
		cfg_dns_policies(&x, cfg_get(&x, root, "dns_policies"));
		cfg_iri_overlaps(&x, root);
		cfg_private_ifaces(&x);
		if (!out->state_dir)
			out->state_dir = cfg_strdup(&x, ZT_STATE_DIR_DEFAULT);
	}
	if (loaded)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
out:
	/* Out of memory, what was read is incomplete and its errors may be
	 * false (a vnet not kept, then "unknown vnet"): only ENOMEM is said. */
	if (x.oom)
		zt_cfg_errors_free(errs);
	ret = x.oom ? -ENOMEM : errs->n ? -EINVAL : 0;
	if (cache)
		cfg_cache_end(cache);
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
	if (!cfg_cache_holds(cache, buf))
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
		cfg_policy_free(&c->policies[i]);
	free(c->policies);
	for (i = 0; i < c->n_dns_policies; i++)
		cfg_policy_free(&c->dns_policies[i]);
	free(c->dns_policies);
	for (i = 0; i < c->n_host_routes; i++) {
		free(c->host_routes[i].host);
		free(c->host_routes[i].comment);
	}
	free(c->host_routes);
	free(c->dns_log);
	free(c->state_dir);
	free(c->proxy_user);
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
