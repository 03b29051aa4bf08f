// SPDX-License-Identifier: GPL-2.0
/* connector.c — see connector.h. libyaml loads the file with the
 * position of every node; the checks are yaml.c's, as for ztd's config. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "cfg_int.h"
#include "connector.h"

struct ing {
	struct zt_connector_cfg *out;
	yaml_node_t *last;         /* the last rule's node */
	size_t any_at;             /* a rule that matches everything: its index + 1 */
	yaml_node_t *any_node;
};

/* "dial", "refuse" or "tcp://HOST:PORT" (HOST an address, [IPv6] or a
 * name). */
static void service(struct cx *x, yaml_node_t *n, struct zt_ingress_rule *r)
{
	const char *s = cfg_scalar(x, n, "service"), *why = NULL, *colon;
	char host[ZT_HOSTNAME_MAX + 3];
	struct zt_prefix p;
	unsigned long port;
	size_t hl;
	char *end;

	if (!s)
		return;
	if (!strcmp(s, "dial")) {
		r->service = ZT_INGRESS_DIAL;
		return;
	}
	if (!strcmp(s, "refuse")) {
		r->service = ZT_INGRESS_REFUSE;
		return;
	}
	colon = strrchr(s, ':');
	if (strncmp(s, "tcp://", 6) || !colon || colon < s + 7) {
		cfg_errf(x, n, "service '%s' is not dial, refuse or tcp://HOST:PORT", s);
		return;
	}
	hl = (size_t)(colon - (s + 6));
	port = strtoul(colon + 1, &end, 10);
	if (*end || colon[1] < '0' || colon[1] > '9' || !port || port > 65535) {
		cfg_errf(x, n, "service '%s': the port must be 1 to 65535", s);
		return;
	}
	if (hl >= sizeof(host)) {
		cfg_errf(x, n, "service '%s': the host is too long", s);
		return;
	}
	memcpy(host, s + 6, hl);
	host[hl] = 0;
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = 0;
		if (zt_prefix_parse(host, &p) || p.family != ZT_AF_INET6 || p.len != 128) {
			cfg_errf(x, n, "service '%s': '[%s]' is not an IPv6 address", s, host);
			return;
		}
	} else if (strchr(host, ':')) {
		cfg_errf(x, n, "service '%s': an IPv6 address goes in brackets, tcp://[ADDR]:PORT",
			 s);
		return;
	} else if (zt_prefix_parse(host, &p) || p.len != zt_addr_bits(&p)) {
		char norm[ZT_HOSTNAME_MAX + 1];

		if (zt_hostname_norm(host, false, norm, &why)) {
			cfg_errf(x, n, "service '%s': '%s' %s", s, host, why);
			return;
		}
		memcpy(host, norm, strlen(norm) + 1);
	}
	if (strlen(host) >= sizeof(r->target)) {
		cfg_errf(x, n, "service '%s': the host is too long", s);
		return;
	}
	r->service = ZT_INGRESS_TCP;
	memcpy(r->target, host, strlen(host) + 1);
	r->target_port = (__u16)port;
}

static void rule(struct cx *x, yaml_node_t *n, void *arg)
{
	static const char *const keys[] = { "hostname", "port", "service", "comment", NULL };
	struct ing *g = arg;
	struct zt_connector_cfg *c = g->out;
	struct zt_ingress_rule r = { .line = (unsigned)cfg_line_of(x, n) };
	yaml_node_t *h, *pt, *sv;
	unsigned long port;

	g->last = n;
	if (!cfg_is_map(x, n, "an ingress rule"))
		return;
	cfg_check_keys(x, n, "an ingress rule", keys);
	h = cfg_get(x, n, "hostname");
	pt = cfg_get(x, n, "port");
	sv = cfg_get(x, n, "service");
	if (h && cfg_parse_host(x, h, "hostname", r.host)) {
		struct zt_prefix a;

		if (!zt_prefix_parse(r.host, &a))
			cfg_errf(x, h, "hostname '%s' is an address: a stream to an address has no "
				 "name, and meets only rules without a hostname", r.host);
	}
	if (pt && cfg_parse_uint(x, pt, "port", 1, 65535, &port))
		r.port = (__u16)port;
	if (!sv)
		cfg_errf(x, n, "an ingress rule needs a service (dial, refuse or tcp://HOST:PORT)");
	else
		service(x, sv, &r);
	/* The gateway decides by port: a rule that sends a name's streams
	 * elsewhere must say which port it takes, or every port the gateway
	 * allows to the name would reach the target. */
	if (sv && r.service == ZT_INGRESS_TCP && !pt)
		cfg_errf(x, n, "a tcp:// rule needs the port it takes (port: N): without one, "
			 "every port the gateway allows to the name would reach its target");
	if (!h && !pt && !g->any_at) {
		g->any_at = c->n_ingress + 1;
		g->any_node = n;
	}
	if (c->n_ingress >= ZT_INGRESS_MAX) {
		cfg_errf(x, n, "at most %d ingress rules", ZT_INGRESS_MAX);
		return;
	}
	if (cfg_grow(x, (void **)&c->ingress, c->n_ingress, sizeof(r)))
		return;
	c->ingress[c->n_ingress++] = r;
}

static void ingress(struct cx *x, yaml_node_t *n, struct zt_connector_cfg *c)
{
	struct ing g = { .out = c };

	if (!n)
		return;
	if (n->type != YAML_SEQUENCE_NODE) {
		cfg_errf(x, n, "ingress must be a list of rules");
		return;
	}
	cfg_each(x, n, "ingress", rule, &g);
	if (!g.last) {
		cfg_errf(x, n, "ingress needs at least its last rule, one that matches everything "
			 "(- service: refuse, or - service: dial)");
		return;
	}
	if (!g.any_at)
		cfg_errf(x, g.last, "the last ingress rule must match everything (no hostname, no "
			 "port): add '- service: refuse' (or '- service: dial') after it");
	else if (g.any_at != c->n_ingress)
		cfg_errf(x, g.any_node, "this ingress rule matches everything: the rules after it "
			 "could never match (move it last)");
}

static char *str(struct cx *x, yaml_node_t *root, const char *key)
{
	yaml_node_t *n = cfg_get(x, root, key);
	const char *s = n ? cfg_scalar(x, n, key) : NULL;

	return s ? cfg_strdup(x, s) : NULL;
}

int zt_connector_cfg_parse(const char *name, const char *buf, size_t len,
			   struct zt_connector_cfg *out, struct zt_cfg_errors *errs)
{
	static const char *const top[] = { "token", "token_file", "connections", "name", "user",
					   "resolver", "ingress", NULL };
	struct zt_config dummy;
	yaml_parser_t parser;
	yaml_document_t doc;
	struct cx x = { .file = name, .doc = &doc, .e = errs, .c = &dummy };
	yaml_node_t *root, *n;
	unsigned long v;
	bool loaded;
	int ret;

	memset(&dummy, 0, sizeof(dummy));
	memset(out, 0, sizeof(*out));
	memset(errs, 0, sizeof(*errs));
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	root = cfg_load_root(&x, &parser, buf, len, top, &loaded);
	if (root) {
		out->token = str(&x, root, "token");
		out->token_file = str(&x, root, "token_file");
		out->name = str(&x, root, "name");
		out->user = str(&x, root, "user");
		out->resolver = str(&x, root, "resolver");
		n = cfg_get(&x, root, "connections");
		if (n && cfg_parse_uint(&x, n, "connections", 1, 16, &v))
			out->connections = (unsigned)v;
		if (out->token && out->token_file)
			cfg_errf(&x, root, "give token or token_file, not both");
		ingress(&x, cfg_get(&x, root, "ingress"), out);
	}
	if (loaded)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (x.oom)
		zt_cfg_errors_free(errs);
	ret = x.oom ? -ENOMEM : errs->n ? -EINVAL : 0;
	if (ret)
		zt_connector_cfg_free(out);
	return ret;
}

int zt_connector_cfg_load(const char *path, struct zt_connector_cfg *out,
			  struct zt_cfg_errors *errs)
{
	char buf[65536];
	size_t n;
	FILE *f = fopen(path, "re");

	memset(out, 0, sizeof(*out));
	memset(errs, 0, sizeof(*errs));
	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf), f);
	if (ferror(f) || n == sizeof(buf)) {
		fclose(f);
		return n == sizeof(buf) ? -EFBIG : -EIO;
	}
	fclose(f);
	return zt_connector_cfg_parse(path, buf, n, out, errs);
}

void zt_connector_cfg_free(struct zt_connector_cfg *c)
{
	free(c->token);
	free(c->token_file);
	free(c->name);
	free(c->user);
	free(c->resolver);
	free(c->ingress);
	memset(c, 0, sizeof(*c));
}

long zt_ingress_match(const struct zt_ingress_rule *r, size_t n, const char *hostname,
		      __u16 port)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (r[i].port && r[i].port != port)
			continue;
		if (r[i].host[0] && (!hostname[0] || !zt_hostname_match(r[i].host, hostname)))
			continue;
		return (long)i;
	}
	return -1;
}
