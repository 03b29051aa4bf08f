// SPDX-License-Identifier: GPL-2.0
/* config_oom — test_config's out-of-memory cases: each allocation of a
 * load failing in turn, plain and through the route-list cache, refuses
 * the load with -ENOMEM and leaks nothing. The allocator wrappers the
 * Makefile links this binary with are here. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>
#include "config.h"
#include "config_test.h"
#include "../lib/t.h"

/* This binary is linked with malloc, calloc, realloc, strdup, asprintf and
 * free wrapped (-Wl,--wrap in the Makefile: valgrind replaces any function
 * named malloc, so they cannot simply be defined here) and with libyaml's
 * archive, so every allocation a load makes, the parser's and libyaml's,
 * passes through here. fail_nth(n) fails the nth allocation from then on;
 * live counts blocks handed out less blocks freed, a leak check that works
 * without valgrind's --leak-check=full. */
static unsigned long alloc_n, fail_at;
static long live;
static bool in_yaml, failed_in_yaml; /* inside yaml_parser_load (wrapped too) */
static void *before_fail;            /* the block handed out just before */

int __real_yaml_parser_load(yaml_parser_t *parser, yaml_document_t *doc);
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void __real_free(void *p);

static bool fail_now(void)
{
	if (!fail_at || ++alloc_n != fail_at)
		return false;
	failed_in_yaml = in_yaml;
	errno = ENOMEM;
	return true;
}

static void *handed(void *p)
{
	if (p) {
		live++;
		if (fail_at && alloc_n + 1 == fail_at)
			before_fail = p;
	}
	return p;
}

int __wrap_yaml_parser_load(yaml_parser_t *parser, yaml_document_t *doc)
{
	int ret;

	in_yaml = true;
	ret = __real_yaml_parser_load(parser, doc);
	in_yaml = false;
	return ret;
}

void *__wrap_malloc(size_t n)
{
	return handed(fail_now() ? NULL : __real_malloc(n));
}

void *__wrap_calloc(size_t n, size_t size)
{
	return handed(fail_now() ? NULL : __real_calloc(n, size));
}

void *__wrap_realloc(void *p, size_t n)
{
	void *q = fail_now() ? NULL : __real_realloc(p, n);

	if (!p)
		return handed(q);
	if (q && p == before_fail)
		before_fail = q;
	return q;
}

char *__wrap_strdup(const char *s)
{
	return handed(fail_now() ? NULL : __real_strdup(s));
}

int __wrap_asprintf(char **out, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (fail_now())
		return -1;
	va_start(ap, fmt);
	r = vasprintf(out, fmt, ap);
	va_end(ap);
	if (r >= 0)
		handed(*out);
	return r;
}

void __wrap_free(void *p)
{
	if (p) {
		live--;
		if (p == before_fail)
			before_fail = NULL;
	}
	__real_free(p);
}

static void fail_nth(unsigned long n)
{
	alloc_n = 0;
	fail_at = n;
	failed_in_yaml = false;
	before_fail = NULL;
}

/* Blocks lost since live was `before`, once everything the load made is
 * freed: none may be. libyaml 0.2.5 loses one of its own: a sequence's or
 * mapping's item stack, when it then cannot push the node (the error paths
 * of yaml_parser_load_sequence and _mapping), i.e. the block handed out
 * just before the one that failed. That one is given back here, so that
 * valgrind's leak check shows none either. */
static long lost(long before)
{
	/* Not free(): GCC takes that for the builtin, which changes no count. */
	if (failed_in_yaml && before_fail && live - before == 1)
		__wrap_free(before_fail);
	return live - before;
}

/* Whether the allocation fail_nth() named was reached; disarms. */
static bool failed(void)
{
	bool hit = fail_at && alloc_n >= fail_at;

	fail_at = 0;
	return hit;
}

/* Every section, each kind of list and optional string once. */
static const char *oomcfg =
	"gateway: {interface: zt0, log: {network: /n.jsonl, dns: /d.jsonl}, dns_listen: 10.9.0.1}\n"
	"virtual_networks: [{name: a, default: true}, {name: b}]\n"
	"tunnels: [{name: t}, {name: l, vnet: b, local: true, private_interface: eth1}]\n"
	"routes:\n"
	"  hostname: [{hostname: '*.x.local', tunnel: l, comment: h}]\n"
	"  cidr: [{network: 10.2.0.0/24, tunnel: l, comment: c}, {network: 10.1.0.0/24, tunnel: t}]\n"
	"devices: [{ip: 10.9.0.2, email: A@x.com, groups: [g], name: d}]\n"
	"network_policies:\n"
	"  - {name: p, precedence: 1, action: allow, match: {dst_ip: 10.0.0.0/8, dst_port: [22, 443],\n"
	"     user_email: a@x.com, user_group: g, vnet: b, sni: s.x}}\n"
	"  - {name: q, precedence: 2, action: allow, match: {host: a.x.local}}\n"
	"split_tunnels: {entries: [10.0.0.0/8]}\n"
	"dns_policies: [{name: r, precedence: 1, action: block, match: {host: b.x.local}}]\n";

/* Fails each allocation of parsing text in turn: every such parse is
 * refused with -ENOMEM and leaks nothing; the parse with nothing failing
 * that ends the loop gives want. */
static void parse_oom(const char *text, int want)
{
	struct zt_config c;
	struct zt_cfg_errors e;
	unsigned long n;
	int err;

	for (n = 1; !t_case_failed; n++) {
		long before = live, leaked;

		fail_nth(n);
		err = parse(text, &c, &e);
		if (!failed()) { /* the parse made fewer than n allocations */
			T_EQ(err, want);
			T_ASSERT(n > 100, "only %lu allocations: are they wrapped?", n - 1);
			if (!err)
				zt_config_free(&c);
			zt_cfg_errors_free(&e);
			T_EQ(live, before);
			return;
		}
		T_ASSERT(err == -ENOMEM, "allocation %lu failed: the parse returned %d", n, err);
		T_EQ(e.n, 0);
		zt_cfg_errors_free(&e);
		leaked = lost(before);
		T_ASSERT(!leaked, "allocation %lu failed: %ld blocks leaked", n, leaked);
	}
}

/* A reload through the route-list cache that runs out of memory: a cache
 * warmed with file `from` loads `to` with the nth allocation failing; the
 * load after it must agree with the plain parse, and nothing may leak. */
static void cached_oom(const char *from, const char *to)
{
	struct zt_config c;
	struct zt_cfg_errors e;
	unsigned long n;
	int err;

	for (n = 1; !t_case_failed; n++) {
		long before = live, leaked;
		struct zt_cfg_cache *cache = zt_cfg_cache_new();
		bool hit;

		T_EQ(zt_config_load_cached(from, cache, &c, &e), 0);
		zt_config_free(&c);
		zt_cfg_errors_free(&e);
		fail_nth(n);
		err = zt_config_load_cached(to, cache, &c, &e);
		hit = failed();
		if (!hit) {
			T_EQ(err, 0);
			T_ASSERT(n > 100, "only %lu allocations: are they wrapped?", n - 1);
			zt_config_free(&c);
		} else {
			T_ASSERT(err == -ENOMEM, "allocation %lu failed: the load returned %d", n,
				 err);
			T_EQ(e.n, 0);
		}
		zt_cfg_errors_free(&e);
		load_agrees(to, cache, 0);
		zt_cfg_cache_free(cache);
		leaked = lost(before);
		T_ASSERT(!leaked, "allocation %lu failed: %ld blocks leaked", n, leaked);
		if (!hit)
			return;
	}
}

void out_of_memory_refuses_the_load(void)
{
	char a[] = "/tmp/zt-cfgoom-a.XXXXXX", b[] = "/tmp/zt-cfgoom-b.XXXXXX";
	int fa = mkstemp(a), fb = mkstemp(b);
	char *t;

	parse_oom(oomcfg, 0);
	/* A message that cannot be allocated must not make a bad file good. */
	parse_oom("gateway: {interface: zt0}\ntunnels: [{name: t}]\n"
		  "routes: {cidr: [{network: 10.0.0.1/8, tunnel: nope}]}\n", -EINVAL);

	/* routes.cidr in the block layout the cache cuts into chunks: the
	 * same text again (its chunk reused), then one route changed (its
	 * chunk parsed again). */
	T_ASSERT(fa >= 0 && fb >= 0, "setup");
	close(fa);
	close(fb);
	t = big_config(6, -1, "dc", NULL);
	write_file(a, t);
	free(t);
	t = big_config(6, 4, "dc", NULL);
	write_file(b, t);
	free(t);
	cached_oom(a, a);
	cached_oom(a, b);
	unlink(a);
	unlink(b);
}
