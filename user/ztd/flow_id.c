// SPDX-License-Identifier: GPL-2.0
/* flow_id.c — who a flow ztd takes over from the kernel is and where it
 * goes, as the kernel's programs decided it: the client interface it came
 * in on, the IRI its destination is (from the kernel's own table) and the
 * tunnel of its route. The proxy (TCP) and the UDP flows to remote
 * tunnels (tunnel_udp.c) decide with these. */
#include <string.h>
#include <bpf/bpf.h>
#include "nl.h"
#include "ztd.h"

__u32 ztd_client_ifindex(const struct ztd *d, __u32 ifindex, __u16 *vlan)
{
	__u32 parent;
	size_t i;

	*vlan = 0;
	for (i = 0; i < d->cfg.n_client_ifaces; i++)
		if (d->ifindex[i] == ifindex)
			return ifindex;
	if (ifindex == (__u32)-1 || zt_nl_vlan_of(ifindex, &parent, vlan))
		return 0;
	for (i = 0; i < d->cfg.n_client_ifaces; i++)
		if (d->ifindex[i] == parent)
			return parent;
	*vlan = 0;
	return 0;
}

bool ztd_in_iri_pool(const struct zt_config *cfg, __u8 family, const __u8 *a)
{
	struct zt_prefix pa = { .family = family, .len = family == ZT_AF_INET ? 32 : 128 };

	memcpy(pa.addr, a, 16);
	return zt_prefix_contains(family == ZT_AF_INET ? &cfg->iri4 : &cfg->iri6, &pa);
}

bool ztd_iri_entry(const struct ztd *d, __u8 family, const __u8 *dst, __u32 vnet,
		   struct zt_iri_entry *e)
{
	struct zt_iri_val v;
	struct zt_state st;
	__u32 zero = 0;

	memset(e, 0, sizeof(*e));
	if (!ztd_in_iri_pool(&d->cfg, family, dst))
		return false; /* two look-ups saved on every CIDR flow */
	e->key.vnet_id = vnet;
	e->key.family = family;
	memcpy(e->key.addr, dst, 16);
	if (bpf_map_lookup_elem(d->b.m.iri, &e->key, &v) ||
	    bpf_map_lookup_elem(d->b.m.state, &zero, &st))
		return false;
	e->dst = v.half[st.active & 1];
	e->resolved = v.real_ok;
	e->epoch = v.epoch;
	memcpy(e->real, v.real, 16);
	return true;
}

const struct zt_cfg_tunnel *ztd_route_tunnel(const struct zt_config *cfg, __u32 route_id)
{
	__u32 i = (route_id & ~ZT_ROUTE_ID_HOST) - 1, t;

	if (!(route_id & ~ZT_ROUTE_ID_HOST))
		return NULL;
	if (route_id & ZT_ROUTE_ID_HOST)
		t = i < cfg->n_host_routes ? cfg->host_routes[i].tunnel : 0;
	else
		t = i < cfg->n_routes ? cfg->routes[i].tunnel : 0;
	return t && t <= cfg->n_tunnels ? &cfg->tunnels[t - 1] : NULL;
}
