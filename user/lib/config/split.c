// SPDX-License-Identifier: GPL-2.0
/* split.c — the split_tunnels section: what clients send through zt. */
#include <string.h>
#include "cfg_int.h"

static void split_item(struct cx *x, yaml_node_t *n, void *arg)
{
	struct zt_prefix p;

	(void)arg;
	if (n && n->type == YAML_MAPPING_NODE) {
		static const char *const keys[] = { "address", "description", NULL };

		cfg_check_keys(x, n, "split tunnel entry", keys);
		if (!(n = cfg_get(x, n, "address"))) {
			cfg_errf(x, n, "split tunnel entry without an address");
			return;
		}
	}
	if (!cfg_parse_prefix(x, n, "split tunnel entry", false, &p) ||
	    cfg_grow(x, (void **)&x->c->split, x->c->n_split, sizeof(p)))
		return;
	x->c->split[x->c->n_split++] = p;
}

void cfg_split_tunnels(struct cx *x, yaml_node_t *m)
{
	static const char *const keys[] = { "mode", "entries", NULL };
	yaml_node_t *n, *l;
	yaml_node_item_t *i;
	const char *s;

	if (!m || !cfg_is_map(x, m, "split_tunnels"))
		return;
	cfg_check_keys(x, m, "split_tunnels", keys);
	if ((n = cfg_get(x, m, "mode")) && (s = cfg_scalar(x, n, "split_tunnels.mode"))) {
		if (!strcmp(s, "include"))
			x->c->split_include = true;
		else if (strcmp(s, "exclude"))
			cfg_errf(x, n, "split_tunnels.mode must be include or exclude, not '%s'",
				 s);
	}
	l = cfg_get(x, m, "entries");
	if (!l)
		return;
	if (l->type != YAML_SEQUENCE_NODE) {
		cfg_errf(x, l, "split_tunnels.entries must be a list");
		return;
	}
	for (i = l->data.sequence.items.start; i < l->data.sequence.items.top; i++)
		split_item(x, cfg_node(x, *i), NULL);
}
