// SPDX-License-Identifier: GPL-2.0
/* tunnels.c — the virtual_networks and tunnels sections, and the lookups
 * of their names that routes, devices and policies make. */
#include <stdlib.h>
#include <string.h>
#include "cfg_int.h"

__u32 cfg_find_vnet(struct cx *x, yaml_node_t *n)
{
	const char *s = cfg_scalar(x, n, "vnet");
	size_t i;

	if (!s)
		return 0;
	for (i = 0; i < x->c->n_vnets; i++)
		if (!strcmp(x->c->vnets[i].name, s))
			return (__u32)i + 1;
	cfg_errf(x, n, "unknown virtual network '%s' (define it under virtual_networks)", s);
	return 0;
}

void cfg_vnets(struct cx *x, yaml_node_t *l)
{
	static const char *const keys[] = { "name", "default", "comment", NULL };
	yaml_node_item_t *i;
	size_t j, n_default = 0;

	if (!l) {
		char *name = cfg_strdup(x, "default");

		if (!name || cfg_grow(x, (void **)&x->c->vnets, 0, sizeof(*x->c->vnets)) ||
		    cfg_grow(x, (void **)&x->vnet_line, 0, sizeof(int))) {
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
		cfg_errf(x, l, "virtual_networks must be a list");
		return;
	}
	for (i = l->data.sequence.items.start; i < l->data.sequence.items.top; i++) {
		yaml_node_t *v = cfg_node(x, *i), *n;
		struct zt_cfg_vnet vn = { 0 };
		const char *name;

		if (!cfg_is_map(x, v, "a virtual network"))
			continue;
		cfg_check_keys(x, v, "virtual network", keys);
		name = (n = cfg_get(x, v, "name")) ? cfg_scalar(x, n, "name") : NULL;
		if (!n)
			cfg_errf(x, v, "virtual network without a name");
		if (!name)
			continue;
		for (j = 0; j < x->c->n_vnets; j++)
			if (!strcmp(x->c->vnets[j].name, name))
				cfg_errf(x, n, "virtual network '%s' defined twice (first at "
					 "line %d)", name, x->vnet_line[j]);
		if ((n = cfg_get(x, v, "default")))
			cfg_parse_bool(x, n, "default", &vn.is_default);
		if (!(vn.name = cfg_strdup(x, name)) ||
		    cfg_grow(x, (void **)&x->c->vnets, x->c->n_vnets, sizeof(vn)) ||
		    cfg_grow(x, (void **)&x->vnet_line, x->c->n_vnets, sizeof(int))) {
			free(vn.name);
			return;
		}
		n_default += vn.is_default;
		x->vnet_line[x->c->n_vnets] = cfg_line_of(x, v);
		x->c->vnets[x->c->n_vnets++] = vn;
		if (vn.is_default)
			x->c->default_vnet = (__u32)x->c->n_vnets;
	}
	if (!x->c->n_vnets)
		cfg_errf(x, l, "virtual_networks is empty: define at least one, or leave the "
			 "key out");
	else if (n_default > 1)
		cfg_errf(x, l, "more than one virtual network is marked default: true");
	else if (!n_default && x->c->n_vnets == 1)
		x->c->default_vnet = 1;
	else if (!n_default)
		cfg_errf(x, l, "mark one virtual network default: true (devices and routes "
			 "without a vnet use it)");
}

void cfg_tunnels(struct cx *x, yaml_node_t *l)
{
	static const char *const keys[] = { "name", "vnet", "local", "private_interface",
					    "comment", NULL };
	yaml_node_item_t *i;
	size_t j;

	if (!l)
		return;
	if (l->type != YAML_SEQUENCE_NODE) {
		cfg_errf(x, l, "tunnels must be a list");
		return;
	}
	for (i = l->data.sequence.items.start; i < l->data.sequence.items.top; i++) {
		yaml_node_t *v = cfg_node(x, *i), *n;
		struct zt_cfg_tunnel t = { 0 };
		const char *name, *s;

		if (!cfg_is_map(x, v, "a tunnel"))
			continue;
		cfg_check_keys(x, v, "tunnel", keys);
		name = (n = cfg_get(x, v, "name")) ? cfg_scalar(x, n, "name") : NULL;
		if (!n)
			cfg_errf(x, v, "tunnel without a name");
		if (!name)
			continue;
		/* One word, short: it is a token's, a state file's line's
		 * and a log's, and the endpoint keeps it in 64 bytes. */
		if (strlen(name) > ZT_TUNNEL_NAME_MAX)
			cfg_errf(x, n, "tunnel name '%.20s...' is longer than %d characters", name,
				 ZT_TUNNEL_NAME_MAX);
		else if (!*name || name[strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
						  "0123456789._-")])
			cfg_errf(x, n, "tunnel name '%s' may only have letters, digits, '.', '_' "
				 "and '-'", name);
		for (j = 0; j < x->c->n_tunnels; j++)
			if (!strcmp(x->c->tunnels[j].name, name))
				cfg_errf(x, n, "tunnel '%s' defined twice (first at line %d)", name,
					 x->tunnel_line[j]);
		t.vnet = (n = cfg_get(x, v, "vnet")) ? cfg_find_vnet(x, n) : x->c->default_vnet;
		if ((n = cfg_get(x, v, "local")))
			cfg_parse_bool(x, n, "local", &t.local);
		if ((n = cfg_get(x, v, "private_interface")) &&
		    (s = cfg_scalar(x, n, "private_interface"))) {
			if (!t.local)
				cfg_errf(x, n, "private_interface is for local tunnels "
					 "(local: true): a remote tunnel's traffic leaves "
					 "through its connector");
			else if (!*s || strlen(s) >= 16 || strpbrk(s, "/ \t:"))
				cfg_errf(x, n, "'%s' is not a valid interface name", s);
			else
				t.private_interface = cfg_strdup(x, s);
		}
		if (!(t.name = cfg_strdup(x, name)) ||
		    cfg_grow(x, (void **)&x->c->tunnels, x->c->n_tunnels, sizeof(t)) ||
		    cfg_grow(x, (void **)&x->tunnel_line, x->c->n_tunnels, sizeof(int))) {
			free(t.name);
			free(t.private_interface);
			return;
		}
		x->tunnel_line[x->c->n_tunnels] = cfg_line_of(x, v);
		x->c->tunnels[x->c->n_tunnels++] = t;
	}
}

__u32 cfg_find_tunnel(struct cx *x, yaml_node_t *n)
{
	const char *s = cfg_scalar(x, n, "tunnel");
	size_t i;

	if (!s)
		return 0;
	for (i = 0; i < x->c->n_tunnels; i++)
		if (!strcmp(x->c->tunnels[i].name, s))
			return (__u32)i + 1;
	cfg_errf(x, n, "unknown tunnel '%s' (define it under tunnels)", s);
	return 0;
}
