// SPDX-License-Identifier: GPL-2.0
/* yaml.c — the config parser's YAML helpers (cfg_int.h): errors recorded
 * with their file position rather than stopping at the first, walks over
 * libyaml's nodes, and the readers of values every section uses. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "cfg_int.h"
#include "hostname.h"

size_t cfg_file_line(const struct cx *x, size_t line)
{
	if (x->in_chunk)
		return line + x->chunk_line;
	if (x->ph_lines && line > x->ph_line)
		return line + x->ph_lines - 1;
	return line;
}

void cfg_add_err(struct zt_cfg_errors *e, char *msg)
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
	cfg_add_err(x->e, msg);
}

void cfg_errf_at(struct cx *x, size_t line, size_t col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrf_at(x, line, col, fmt, ap);
	va_end(ap);
}

void cfg_errf(struct cx *x, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrf_at(x, n ? cfg_file_line(x, n->start_mark.line) + 1 : 1,
		 n ? n->start_mark.column + 1 : 1, fmt, ap);
	va_end(ap);
}

/* Why yaml_parser_load failed: out of memory, not the text. libyaml's
 * loader returns failure with no error set when it cannot copy a node's
 * default tag: that too is out of memory. */
bool cfg_yaml_oom(const yaml_parser_t *p)
{
	return p->error == YAML_MEMORY_ERROR || p->error == YAML_NO_ERROR;
}

static void yaml_syntax(struct cx *x, const yaml_parser_t *p)
{
	char *msg = NULL;

	if (cfg_yaml_oom(p))
		x->oom = true;
	else if (asprintf(&msg, "%s:%zu:%zu: YAML syntax: %s%s%s", x->file,
			  cfg_file_line(x, p->problem_mark.line) + 1, p->problem_mark.column + 1,
			  p->problem ? p->problem : "error", p->context ? " " : "",
			  p->context ? p->context : "") < 0)
		x->oom = true;
	else
		cfg_add_err(x->e, msg);
}

yaml_node_t *cfg_load_root(struct cx *x, yaml_parser_t *p, const char *buf, size_t len,
			   const char *const *top, bool *loaded)
{
	yaml_node_t *root;

	*loaded = false;
	yaml_parser_set_input_string(p, (const unsigned char *)buf, len);
	if (!yaml_parser_load(p, x->doc)) {
		yaml_syntax(x, p);
		return NULL;
	}
	*loaded = true;
	root = yaml_document_get_root_node(x->doc);
	if (!root) {
		cfg_errf(x, NULL, "the file is empty");
		return NULL;
	}
	if (!cfg_is_map(x, root, "the top level"))
		return NULL;
	cfg_check_keys(x, root, "the top level", top);
	return root;
}

yaml_node_t *cfg_node(struct cx *x, int i)
{
	return yaml_document_get_node(x->doc, i);
}

int cfg_line_of(const struct cx *x, const yaml_node_t *n)
{
	return (int)cfg_file_line(x, n->start_mark.line) + 1;
}

const char *cfg_scalar(struct cx *x, yaml_node_t *n, const char *what)
{
	if (!n || n->type != YAML_SCALAR_NODE) {
		cfg_errf(x, n, "%s must be a single value", what);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

bool cfg_is_map(struct cx *x, yaml_node_t *n, const char *what)
{
	if (n && n->type == YAML_MAPPING_NODE)
		return true;
	cfg_errf(x, n, "%s must be a mapping (key: value)", what);
	return false;
}

/* Checks a mapping's keys against allowed[] (NULL-terminated): unknown and
 * repeated keys are errors. */
void cfg_check_keys(struct cx *x, yaml_node_t *map, const char *what,
		    const char *const *allowed)
{
	yaml_node_pair_t *p, *q;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = cfg_node(x, p->key);
		const char *ks = k && k->type == YAML_SCALAR_NODE ?
				 (const char *)k->data.scalar.value : NULL;
		const char *const *a;

		if (!ks) {
			cfg_errf(x, k, "%s: keys must be plain words", what);
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
			cfg_errf(x, k, "unknown key '%s' in %s (known: %s)", ks, what, list);
			continue;
		}
		for (q = map->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *k2 = cfg_node(x, q->key);

			if (k2 && k2->type == YAML_SCALAR_NODE &&
			    !strcmp((const char *)k2->data.scalar.value, ks)) {
				cfg_errf(x, k, "key '%s' repeated in %s (first at line %d)", ks,
					 what, cfg_line_of(x, k2));
				break;
			}
		}
	}
}

yaml_node_t *cfg_get(struct cx *x, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = cfg_node(x, p->key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)k->data.scalar.value, key))
			return cfg_node(x, p->value);
	}
	return NULL;
}

/* A value that may be one scalar or a list of them: calls fn for each. */
void cfg_each(struct cx *x, yaml_node_t *n, const char *what, item_fn fn, void *arg)
{
	yaml_node_item_t *i;

	if (!n)
		return;
	if (n->type == YAML_SCALAR_NODE) {
		fn(x, n, arg);
		return;
	}
	if (n->type != YAML_SEQUENCE_NODE) {
		cfg_errf(x, n, "%s must be a value or a list of values", what);
		return;
	}
	for (i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++)
		fn(x, cfg_node(x, *i), arg);
}

bool cfg_parse_bool(struct cx *x, yaml_node_t *n, const char *what, bool *out)
{
	const char *s = cfg_scalar(x, n, what);

	if (!s)
		return false;
	if (!strcmp(s, "true") || !strcmp(s, "yes")) {
		*out = true;
	} else if (!strcmp(s, "false") || !strcmp(s, "no")) {
		*out = false;
	} else {
		cfg_errf(x, n, "%s must be true or false, not '%s'", what, s);
		return false;
	}
	return true;
}

bool cfg_parse_uint(struct cx *x, yaml_node_t *n, const char *what, unsigned long lo,
		    unsigned long hi, unsigned long *out)
{
	const char *s = cfg_scalar(x, n, what);
	char *end;
	unsigned long v;

	if (!s)
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || s[0] == '-' || v < lo || v > hi) {
		cfg_errf(x, n, "%s must be a whole number from %lu to %lu, not '%s'", what, lo,
			 hi, s);
		return false;
	}
	*out = v;
	return true;
}

bool cfg_parse_prefix(struct cx *x, yaml_node_t *n, const char *what, bool host_only,
		      struct zt_prefix *p)
{
	const char *s = cfg_scalar(x, n, what);
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
			cfg_errf(x, n, "%s '%s' has host bits set; did you mean %s?", what, s,
				 zt_prefix_str(&q, want, sizeof(want)));
		} else {
			cfg_errf(x, n, "%s '%s' has host bits set", what, s);
		}
		return false;
	}
	if (err) {
		cfg_errf(x, n, "%s '%s' is not a valid %s", what, s,
			 host_only ? "IP address" : "IP address or CIDR prefix");
		return false;
	}
	if (host_only && p->len != zt_addr_bits(p)) {
		cfg_errf(x, n, "%s '%s' must be a single address, not a prefix", what, s);
		return false;
	}
	return true;
}

void cfg_parse_action(struct cx *x, yaml_node_t *n, const char *what, __u8 *out)
{
	const char *s = cfg_scalar(x, n, what);

	if (!s)
		return;
	if (!strcmp(s, "allow"))
		*out = ZT_ACT_ALLOW;
	else if (!strcmp(s, "block"))
		*out = ZT_ACT_BLOCK;
	else
		cfg_errf(x, n, "%s must be allow or block, not '%s'", what, s);
}

/* "10.0.0.1:53", "[fd00::1]:53", or an address alone (port dflt). */
static bool parse_endpoint(struct cx *x, yaml_node_t *n, const char *what, __u16 dflt,
			   struct zt_cfg_endpoint *ep)
{
	const char *s = cfg_scalar(x, n, what), *port = NULL;
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
		cfg_errf(x, n, "%s '%s' must be ADDRESS, ADDRESS:PORT or [IPv6]:PORT",
			 what, (const char *)n->data.scalar.value);
		return false;
	}
	return true;
}

void cfg_endpoint_item(struct cx *x, yaml_node_t *n, void *arg)
{
	const struct eplist *l = arg;
	struct zt_cfg_endpoint ep;

	if (!parse_endpoint(x, n, l->what, l->port ? l->port : 53, &ep))
		return;
	if (*l->n == l->max) {
		cfg_errf(x, n, "%s: at most %zu addresses", l->what, l->max);
		return;
	}
	l->v[(*l->n)++] = ep;
}

/* "PORT" or "LOW-HIGH" within [min, 65535] into *lo, *hi; false (with an
 * error naming what) otherwise. */
bool cfg_parse_port_range(struct cx *x, yaml_node_t *n, const char *what, unsigned long min,
			  __u16 *out_lo, __u16 *out_hi)
{
	const char *s = cfg_scalar(x, n, what);
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
		cfg_errf(x, n, "%s '%s' must be a port (%lu-65535) or a range LOW-HIGH", what, s,
			 min);
		return false;
	}
	*out_lo = (__u16)lo;
	*out_hi = (__u16)hi;
	return true;
}

/* A hostname pattern (route, policy selector) into its stored form. */
bool cfg_parse_host(struct cx *x, yaml_node_t *n, const char *what, char *out)
{
	const char *s = cfg_scalar(x, n, what), *why;

	if (!s)
		return false;
	if (zt_hostname_norm(s, true, out, &why)) {
		cfg_errf(x, n, "%s '%s' %s", what, s, why);
		return false;
	}
	return true;
}

/* Out of memory is no reason to stop ztd: an allocation that fails sets
 * x->oom, the caller drops what it was building, and the whole load is
 * refused with -ENOMEM (nothing NULL is ever stored where a name goes). */
char *cfg_strdup(struct cx *x, const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		x->oom = true;
	return d;
}

/* Room for element n of the array at *p, grown only through here:
 * capacity doubles at each power of two, so a million routes are not a
 * million reallocs. -ENOMEM (*p as it was) when out of memory. */
int cfg_grow(struct cx *x, void **p, size_t n, size_t size)
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
