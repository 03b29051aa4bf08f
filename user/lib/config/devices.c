// SPDX-License-Identifier: GPL-2.0
/* devices.c — the devices section, and the users (emails) and groups that
 * devices and policies name, each given its id as first seen. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "cfg_int.h"

/* The user id of email (case-folded), added if new; 0 when out of memory. */
__u32 cfg_intern_user(struct cx *x, const char *email)
{
	struct zt_config *c = x->c;
	char *low = cfg_strdup(x, email);
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
	if (cfg_grow(x, (void **)&c->users, c->n_users, sizeof(*c->users))) {
		free(low);
		return 0;
	}
	c->users[c->n_users++] = low;
	return (__u32)c->n_users;
}

bool cfg_intern_group(struct cx *x, yaml_node_t *n, const char *g, __u64 *bits)
{
	struct zt_config *c = x->c;
	size_t i;

	for (i = 0; i < c->n_groups; i++)
		if (!strcmp(c->groups[i], g))
			break;
	if (i == c->n_groups) {
		char *d;

		if (c->n_groups == ZT_MAX_GROUPS) {
			cfg_errf(x, n, "group '%s': at most %d distinct groups", g, ZT_MAX_GROUPS);
			return false;
		}
		if (!(d = cfg_strdup(x, g)))
			return false;
		c->groups[c->n_groups++] = d;
	}
	*bits |= 1ULL << i;
	return true;
}

bool cfg_valid_email(const char *s)
{
	const char *at = strchr(s, '@');

	return at && at != s && at[1] && !strchr(at + 1, '@') && !strpbrk(s, " \t\"\\");
}

static void dev_ip(struct cx *x, yaml_node_t *n, void *arg)
{
	struct zt_cfg_device *d = arg;
	struct zt_prefix p;

	if (!cfg_parse_prefix(x, n, "device ip", true, &p))
		return;
	if (d->n_addr == 4) {
		cfg_errf(x, n, "at most 4 addresses per device");
		return;
	}
	d->addr[d->n_addr++] = p;
}

static void dev_group(struct cx *x, yaml_node_t *n, void *arg)
{
	const char *s = cfg_scalar(x, n, "group");

	if (s)
		cfg_intern_group(x, n, s, arg);
}

/* A device's interface (one of gateway.interface; may be left out when
 * there is only one) and VLAN. Returns false after an error. */
static bool dev_where(struct cx *x, yaml_node_t *v, struct zt_cfg_device *d)
{
	yaml_node_t *n = cfg_get(x, v, "interface");
	unsigned long vid;
	const char *s;
	size_t i;

	if (!n) {
		if (x->c->n_ifaces == 1) {
			d->iface = 1;
		} else if (x->c->n_ifaces > 1) {
			cfg_errf(x, v, "device without an interface: gateway.interface has %zu, "
				 "say which one the device is on (interface: NAME)",
				 x->c->n_ifaces);
			return false;
		}
	} else if ((s = cfg_scalar(x, n, "interface"))) {
		for (i = 0; i < x->c->n_ifaces; i++)
			if (!strcmp(x->c->ifaces[i], s))
				d->iface = (__u32)i + 1;
		if (!d->iface) {
			cfg_errf(x, n, "device interface '%s' is not one of gateway.interface", s);
			return false;
		}
	} else {
		return false;
	}
	if ((n = cfg_get(x, v, "vlan"))) {
		if (!cfg_parse_uint(x, n, "vlan", 1, 4094, &vid))
			return false;
		d->vlan = (__u16)vid;
	}
	return true;
}

void cfg_devices(struct cx *x, yaml_node_t *l)
{
	static const char *const keys[] = { "ip", "email", "groups", "vnet", "name", "interface",
					    "vlan", NULL };
	yaml_node_item_t *i;
	size_t j, k, a;

	if (!l)
		return;
	if (l->type != YAML_SEQUENCE_NODE) {
		cfg_errf(x, l, "devices must be a list");
		return;
	}
	for (i = l->data.sequence.items.start; i < l->data.sequence.items.top; i++) {
		yaml_node_t *v = cfg_node(x, *i), *n;
		struct zt_cfg_device d = { 0 };
		const char *s;
		bool ok = true;

		if (!cfg_is_map(x, v, "a device"))
			continue;
		cfg_check_keys(x, v, "device", keys);
		if (!(n = cfg_get(x, v, "ip"))) {
			cfg_errf(x, v, "device without an ip");
			ok = false;
		}
		cfg_each(x, n, "ip", dev_ip, &d);
		if (!(n = cfg_get(x, v, "email"))) {
			cfg_errf(x, v, "device without an email (the user it belongs to)");
			ok = false;
		} else if ((s = cfg_scalar(x, n, "email"))) {
			if (!cfg_valid_email(s)) {
				cfg_errf(x, n, "'%s' is not an email address", s);
				ok = false;
			} else if (!(d.user = cfg_intern_user(x, s))) {
				ok = false; /* out of memory */
			}
		}
		cfg_each(x, cfg_get(x, v, "groups"), "groups", dev_group, &d.groups);
		d.vnet = (n = cfg_get(x, v, "vnet")) ? cfg_find_vnet(x, n) : x->c->default_vnet;
		if (!dev_where(x, v, &d))
			ok = false;
		if ((n = cfg_get(x, v, "name")) && (s = cfg_scalar(x, n, "name")))
			d.name = cfg_strdup(x, s);
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

						cfg_errf(x, v, "address %s belongs to another "
							 "device already",
							 zt_addr_str(d.addr[a].family,
								     d.addr[a].addr, b,
								     sizeof(b)));
						ok = false;
					}
		if (!ok) {
			free(d.name);
			continue;
		}
		if (cfg_grow(x, (void **)&x->c->devices, x->c->n_devices, sizeof(d))) {
			free(d.name);
			return;
		}
		x->c->devices[x->c->n_devices++] = d;
	}
}
