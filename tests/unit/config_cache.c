// SPDX-License-Identifier: GPL-2.0
/* config_cache — test_config's cases for the route-list cache ztd reloads
 * through: whatever the edit, a load through the cache gives what the
 * plain parse gives, errors included, and reuses what did not change. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config.h"
#include "config_test.h"
#include "../lib/t.h"

/* A config of n routes (route i is 10.(i>>8).(i&255).0/24, some with a
 * comment, some in vnet b), with `edit` applied: -1 none, else route edit
 * moved to 11.x; extra text appended to the rules when given. */
char *big_config(int n, int edit, const char *tunnel, const char *extra)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int i;

	fprintf(f, "gateway: {interface: zt0}\n"
		   "virtual_networks: [{name: a, default: true}, {name: b}]\n"
		   "tunnels:\n  - {name: %s}\n  - {name: tb, vnet: b}\nroutes:\n  cidr:\n", tunnel);
	for (i = 0; i < n; i++) {
		int o = i == edit ? 11 : 10;

		if (i % 97 == 5)
			fprintf(f, "    # a comment line\n\n");
		if (i % 50 == 3)
			fprintf(f, "    - network: %d.%d.%d.0/24\n      tunnel: %s\n      comment: r%d\n",
				o, i >> 8, i & 255, tunnel, i);
		else
			fprintf(f, "    - {network: %d.%d.%d.0/24, tunnel: %s}\n", o, i >> 8, i & 255,
				i % 7 ? tunnel : "tb");
	}
	fprintf(f, "network_policies:\n"
		   "  - {name: p, precedence: 1, action: allow, match: {protocol: tcp}}\n%s",
		extra ? extra : "");
	fclose(f);
	return buf;
}

void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

/* Loads path both ways; the results (routes, positions in errors) agree. */
void load_agrees(const char *path, struct zt_cfg_cache *cache, int want_err)
{
	struct zt_config a, b;
	struct zt_cfg_errors ea, eb;
	int ra = zt_config_load(path, &a, &ea), rb = zt_config_load_cached(path, cache, &b, &eb);
	size_t i;

	T_EQ(ra, rb);
	T_ASSERT((ra != 0) == want_err, "%s: %s", want_err ? "no error" : "error",
		 ea.n ? ea.msg[0] : "-");
	T_EQ(ea.n, eb.n);
	for (i = 0; i < ea.n && i < eb.n; i++)
		T_ASSERT(!strcmp(ea.msg[i], eb.msg[i]), "plain '%s' cached '%s'", ea.msg[i],
			 eb.msg[i]);
	T_EQ(a.n_routes, b.n_routes);
	for (i = 0; i < a.n_routes && i < b.n_routes; i++) {
		const struct zt_cfg_route *x = &a.routes[i], *y = &b.routes[i];

		T_ASSERT(!zt_prefix_cmp(&x->pfx, &y->pfx) && x->vnet == y->vnet &&
			 x->tunnel == y->tunnel &&
			 !strcmp(x->comment ? x->comment : "", y->comment ? y->comment : ""),
			 "route %zu differs", i);
	}
	T_EQ(a.n_policies, b.n_policies);
	zt_config_free(&a);
	zt_config_free(&b);
	zt_cfg_errors_free(&ea);
	zt_cfg_errors_free(&eb);
}

/* base with the first `from` replaced by `to`, written and loaded both
 * ways; the edited text becomes the base of the next edit. */
static void edit_load(const char *path, struct zt_cfg_cache *cache, char **base,
		      const char *from, const char *to, int want_err)
{
	char *at = strstr(*base, from), *t = NULL;

	T_ASSERT(at != NULL, "'%s' is in the config", from);
	if (!at)
		return;
	if (asprintf(&t, "%.*s%s%s", (int)(at - *base), *base, to, at + strlen(from)) < 0)
		abort();
	write_file(path, t);
	load_agrees(path, cache, want_err);
	free(*base);
	*base = t;
}

void route_cache_agrees_with_plain_parse(void)
{
	char path[] = "/tmp/zt-cfgcache.XXXXXX";
	struct zt_cfg_cache *cache = zt_cfg_cache_new();
	size_t reused, parsed, first;
	int fd = mkstemp(path);
	char *t;

	T_ASSERT(fd >= 0 && cache, "setup");
	close(fd);
	t = big_config(20000, -1, "dc", NULL);
	write_file(path, t);
	free(t);
	load_agrees(path, cache, 0);
	zt_cfg_cache_stats(cache, &reused, &first);
	T_ASSERT(first > 10 && reused == 0, "first load parses every chunk (%zu)", first);

	/* One route changed: one chunk parsed again, the rest reused. */
	t = big_config(20000, 12345, "dc", NULL);
	write_file(path, t);
	free(t);
	load_agrees(path, cache, 0);
	zt_cfg_cache_stats(cache, &reused, &parsed);
	T_ASSERT(parsed >= 1 && parsed <= 2 && reused + parsed >= first - 1,
		 "one edit: %zu parsed, %zu reused", parsed, reused);

	/* Errors inside and after the list: the same messages and lines. */
	t = big_config(20000, -1, "dc", "  - {name: q, precedence: 2, action: allow, bogus: 1}\n");
	write_file(path, t);
	free(t);
	load_agrees(path, cache, 1);
	t = big_config(20000, -1, "dc", NULL);
	memcpy(strstr(t, "10.30.57.0/24"), "10.30.57.1/24", 13); /* host bits */
	write_file(path, t);
	free(t);
	load_agrees(path, cache, 1);
	/* The same file again: refused again. A chunk that had an error is
	 * never reused (it once was, as a chunk of no routes: the second
	 * reload of a broken file was accepted without them). */
	load_agrees(path, cache, 1);
	t = big_config(20000, 4, "dc", NULL); /* 11.0.4.0/24 ... */
	memcpy(strstr(t, "10.0.9.0/24"), "11.0.4.0/24", 11); /* ... twice */
	write_file(path, t);
	free(t);
	load_agrees(path, cache, 1);

	/* Edits the splitter must resynchronise after: the first and last
	 * routes, lines inserted before the list (every line moves), routes
	 * inserted and deleted in the middle, the list grown and shortened at
	 * its end, the text after it changed; an error after a shift is
	 * placed on its new line. */
	t = big_config(20000, -1, "dc", NULL);
	write_file(path, t);
	load_agrees(path, cache, 0);
	edit_load(path, cache, &t, "10.0.0.0/24", "11.0.0.0/24", 0);
	edit_load(path, cache, &t, "10.78.31.0/24", "11.78.31.0/24", 0);
	edit_load(path, cache, &t, "routes:\n", "# moved\n\nroutes:\n", 0);
	edit_load(path, cache, &t, "routes:\n", "# moved\nroutes:\n", 0);
	edit_load(path, cache, &t, "    - {network: 10.40.0.0/24",
		  "    - {network: 12.0.0.0/24, tunnel: dc}\n    - {network: 12.0.1.0/24, tunnel: dc}\n"
		  "    - {network: 10.40.0.0/24", 0);
	edit_load(path, cache, &t, "    - {network: 10.40.2.0/24, tunnel: dc}\n", "", 0);
	edit_load(path, cache, &t, "network_policies:",
		  "    - {network: 12.1.0.0/24, tunnel: dc}\nnetwork_policies:", 0);
	edit_load(path, cache, &t, "    - {network: 12.1.0.0/24, tunnel: dc}\nnetwork_policies:",
		  "    - network: 12.1.0.0/24\n      tunnel: dc\n\n      comment: now in block style\n"
		  "network_policies:", 0);
	edit_load(path, cache, &t, "    - {network: 11.78.31.0/24, tunnel: tb}\n", "", 0);
	edit_load(path, cache, &t, "precedence: 1,", "precedence: 2,", 0);
	edit_load(path, cache, &t, "routes:\n", "# moved\n\n\nroutes:\n", 0);
	free(t);
	t = big_config(20000, -1, "dc", NULL);
	memcpy(strstr(t, "10.60.2.0/24"), "10.60.2.9/24", 12);
	edit_load(path, cache, &t, "routes:\n", "# moved\nroutes:\n", 1);
	free(t);

	/* A renamed tunnel: cached routes resolved with the old names go. */
	t = big_config(20000, -1, "dc2", NULL);
	write_file(path, t);
	free(t);
	load_agrees(path, cache, 0);
	zt_cfg_cache_stats(cache, &reused, &parsed);
	T_EQ(reused, 0);

	/* An anchor sign in the list (here in a comment): the plain parse. */
	t = big_config(300, -1, "dc", NULL);
	memcpy(strstr(t, "# a comment line"), "# a comment & ln", 16);
	write_file(path, t);
	free(t);
	load_agrees(path, cache, 0);
	zt_cfg_cache_stats(cache, &reused, &parsed);
	T_EQ(reused + parsed, 0);
	unlink(path);
	zt_cfg_cache_free(cache);
}
