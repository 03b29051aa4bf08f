/* SPDX-License-Identifier: GPL-2.0 */
/* config_test.h — what the files of the test_config binary share:
 * test_config.c (the example, each mistake and its position, main),
 * config_cache.c (the route-list cache), config_dns.c (the DNS and
 * hostname keys), config_oom.c (each allocation of a load failing) and
 * config_l7.c (the L7 selectors). */
#ifndef ZT_TEST_CONFIG_H
#define ZT_TEST_CONFIG_H

#include <stdbool.h>
#include <string.h>
#include "config.h"

static inline int parse(const char *text, struct zt_config *c, struct zt_cfg_errors *e)
{
	return zt_config_parse("t.yaml", text, strlen(text), c, e);
}

/* Does some error contain needle? */
static inline bool has_err(const struct zt_cfg_errors *e, const char *needle)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (strstr(e->msg[i], needle))
			return true;
	return false;
}

/* config_cache.c: a config of n routes (see there), a file written, and a
 * file loaded both ways (plain and through cache) with the results
 * compared. */
char *big_config(int n, int edit, const char *tunnel, const char *extra);
void write_file(const char *path, const char *text);
void load_agrees(const char *path, struct zt_cfg_cache *cache, int want_err);

/* The cases of the other files, which main runs. */
void route_cache_agrees_with_plain_parse(void);
void dns_keys_parse(void);
void hostname_mistakes_reported(void);
void hostname_index_lookup(void);
void out_of_memory_refuses_the_load(void);
void l7_selectors_match_as_the_proxy(void);
void l7_selector_mistakes_reported(void);

#endif
