// SPDX-License-Identifier: GPL-2.0
/* bridge.c — from a parsed config to the policy compiler's input: ids
 * given by position, devices bound to their interfaces' ifindexes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"

int zt_config_policy(const struct zt_config *c, const __u32 *ifindex, size_t n_if,
		     struct zt_policy_build *b)
{
	size_t i, j, nd = 0;

	memset(b, 0, sizeof(*b));
	b->rules = calloc(c->n_policies + 1, sizeof(*b->rules));
	b->routes = calloc(c->n_routes + 1, sizeof(*b->routes));
	for (i = 0; i < c->n_devices; i++)
		nd += c->devices[i].n_addr;
	b->devices = calloc(nd + 1, sizeof(*b->devices));
	b->vnets = calloc(c->n_vnets + 1, sizeof(*b->vnets));
	if (!b->rules || !b->routes || !b->devices || !b->vnets) {
		zt_policy_build_free(b);
		return -ENOMEM;
	}
	for (i = 0; i < c->n_policies; i++) {
		const struct zt_cfg_policy *p = &c->policies[i];

		b->rules[i] = (struct zt_rule_in){
			.name = p->name, .precedence = p->precedence, .action = p->action,
			.dst = p->dst, .n_dst = p->n_dst,
			.protos = p->protos, .ports = p->ports, .n_ports = p->n_ports,
			.users = p->users, .n_users = p->n_users, .groups = p->groups,
			.vnets = p->vnets, .n_vnets = p->n_vnets,
			.hosts = p->hosts, .n_hosts = p->n_hosts,
			.sni = p->sni, .n_sni = p->n_sni, .detected = p->detected,
		};
	}
	for (i = 0; i < c->n_routes; i++) {
		const struct zt_cfg_route *r = &c->routes[i];

		b->routes[i] = (struct zt_route_in){
			.pfx = r->pfx, .vnet = r->vnet, .route_id = (__u32)i + 1,
			.tunnel_id = r->tunnel, .local = c->tunnels[r->tunnel - 1].local,
			.nat = c->tunnels[r->tunnel - 1].private_interface != NULL,
		};
	}
	nd = 0;
	for (i = 0; i < c->n_devices; i++) {
		const struct zt_cfg_device *dv = &c->devices[i];

		/* On its own interface and VLAN only: there the address is
		 * the device's; elsewhere anyone could claim it. */
		if (!dv->iface || dv->iface > n_if)
			continue;
		for (j = 0; j < dv->n_addr; j++)
			b->devices[nd++] = (struct zt_device_in){
				.ifindex = ifindex[dv->iface - 1], .vlan = dv->vlan,
				.addr = dv->addr[j], .device_id = (__u32)i + 1,
				.user_id = dv->user, .vnet = dv->vnet, .groups = dv->groups,
			};
	}
	for (i = 0; i < c->n_vnets; i++)
		b->vnets[i] = (__u32)i + 1;
	b->in = (struct zt_policy_in){
		.rules = b->rules, .n_rules = c->n_policies,
		.routes = b->routes, .n_routes = c->n_routes,
		.devices = b->devices, .n_devices = nd,
		.vnets = b->vnets, .n_vnets = c->n_vnets,
		.default_vnet = c->default_vnet, .default_action = c->default_action,
	};
	b->in.iri4 = c->iri4;
	b->in.iri6 = c->iri6;
	b->in.l7_all_ports = c->proxy_detect_all;
	return 0;
}

void zt_policy_build_free(struct zt_policy_build *b)
{
	free(b->rules);
	free(b->routes);
	free(b->devices);
	free(b->vnets);
	memset(b, 0, sizeof(*b));
}
