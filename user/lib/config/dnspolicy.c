// SPDX-License-Identifier: GPL-2.0
/* dnspolicy.c — see dnspolicy.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "sort.h"
#include "dns.h"
#include "dnspolicy.h"

static const struct zt_config *order_cfg;

static int prec_cmp(const void *a, const void *b)
{
	__u32 x = order_cfg->dns_policies[*(const size_t *)a].precedence;
	__u32 y = order_cfg->dns_policies[*(const size_t *)b].precedence;

	return x < y ? -1 : x > y;
}

static int dev_cmp(const void *a, const void *b)
{
	const struct zt_dns_dev *x = a, *y = b;

	int c;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	c = memcmp(x->addr, y->addr, 16);
	if (c)
		return c;
	if (x->iface != y->iface)
		return x->iface < y->iface ? -1 : 1;
	return x->vlan < y->vlan ? -1 : x->vlan > y->vlan;
}

int zt_dns_table_build(const struct zt_config *c, struct zt_dns_table *t)
{
	const char **pat = calloc(c->n_host_routes + 1, sizeof(*pat));
	__u32 *vn = calloc(c->n_host_routes + 1, sizeof(*vn));
	size_t i, j, n = 0;
	int err = -ENOMEM;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < c->n_devices; i++)
		n += c->devices[i].n_addr;
	t->order = calloc(c->n_dns_policies + 1, sizeof(*t->order));
	t->devs = calloc(n + 1, sizeof(*t->devs));
	if (!pat || !vn || !t->order || !t->devs)
		goto out;
	for (i = 0; i < c->n_host_routes; i++) {
		pat[i] = c->host_routes[i].host;
		vn[i] = c->host_routes[i].vnet;
	}
	err = zt_host_index_build(&t->routes, pat, vn, c->n_host_routes);
	if (err)
		goto out;
	for (i = 0; i < c->n_dns_policies; i++)
		t->order[i] = i;
	order_cfg = c;
	zt_qsort(t->order, c->n_dns_policies, sizeof(*t->order), prec_cmp);
	for (i = 0; i < c->n_devices; i++)
		for (j = 0; j < c->devices[i].n_addr; j++) {
			struct zt_dns_dev *d = &t->devs[t->n_devs++];

			d->family = c->devices[i].addr[j].family;
			memcpy(d->addr, c->devices[i].addr[j].addr, 16);
			d->iface = c->devices[i].iface;
			d->vlan = c->devices[i].vlan;
			d->device = i;
		}
	zt_qsort(t->devs, t->n_devs, sizeof(*t->devs), dev_cmp);
out:
	free(pat);
	free(vn);
	if (err)
		zt_dns_table_free(t);
	return err;
}

void zt_dns_table_free(struct zt_dns_table *t)
{
	zt_host_index_free(&t->routes);
	free(t->order);
	free(t->devs);
	memset(t, 0, sizeof(*t));
}

long zt_dns_device(const struct zt_dns_table *t, __u32 iface, __u16 vlan, __u8 family,
		   const __u8 *addr)
{
	struct zt_dns_dev key = { .family = family, .iface = iface, .vlan = vlan };
	size_t lo = 0, hi = t->n_devs, m;

	memcpy(key.addr, addr, 16);
	/* The first entry not below {family, addr, iface, vlan}. */
	while (lo < hi) {
		m = lo + (hi - lo) / 2;
		if (dev_cmp(&t->devs[m], &key) < 0)
			lo = m + 1;
		else
			hi = m;
	}
	if (lo == t->n_devs || t->devs[lo].family != family || memcmp(t->devs[lo].addr, addr, 16))
		return -1;
	if (!iface) /* any interface (the first device with the address) */
		return (long)t->devs[lo].device;
	return t->devs[lo].iface == iface && t->devs[lo].vlan == vlan ? (long)t->devs[lo].device : -1;
}

static bool has_user(const struct zt_cfg_policy *p, __u32 user)
{
	size_t i;

	for (i = 0; i < p->n_users; i++)
		if (p->users[i] == user)
			return true;
	return false;
}

static bool policy_matches(const struct zt_cfg_policy *p, const char *name, __u32 user,
			   __u64 groups)
{
	size_t i;

	if (p->n_users && !has_user(p, user))
		return false;
	if (p->groups && !(p->groups & groups))
		return false;
	if (!p->n_hosts)
		return true;
	for (i = 0; i < p->n_hosts; i++)
		if (zt_hostname_match(p->hosts[i], name))
			return true;
	return false;
}

void zt_dns_decide(const struct zt_config *c, const struct zt_dns_table *t, const char *name,
		   __u16 qtype, __u32 user, __u64 groups, __u32 vnet, struct zt_dns_decision *d)
{
	size_t i;

	d->route = -1;
	d->policy = -1;
	for (i = 0; i < c->n_dns_policies; i++) {
		const struct zt_cfg_policy *p = &c->dns_policies[t->order[i]];

		if (!policy_matches(p, name, user, groups))
			continue;
		d->policy = (long)t->order[i];
		if (p->action == ZT_ACT_BLOCK) {
			d->action = ZT_DNSA_BLOCK;
			return;
		}
		break;
	}
	/* A name with octets no host name holds (the codec writes them
	 * \DDD) is never routed, whatever wildcard its parent has. */
	if (!strchr(name, '\\'))
		d->route = zt_host_index_find(&t->routes, name, vnet);
	if (d->route >= 0)
		d->action = qtype == ZT_DNS_T_A || qtype == ZT_DNS_T_AAAA ? ZT_DNSA_IRI
									   : ZT_DNSA_NODATA;
	else
		d->action = c->n_upstreams ? ZT_DNSA_FORWARD : ZT_DNSA_REFUSE;
}

bool zt_dns_same_for_all(const struct zt_config *c, const char *name)
{
	size_t i, j;

	for (i = 0; i < c->n_dns_policies; i++) {
		const struct zt_cfg_policy *p = &c->dns_policies[i];
		bool host = !p->n_hosts;

		for (j = 0; j < p->n_hosts && !host; j++)
			host = zt_hostname_match(p->hosts[j], name);
		if (host && (p->n_users || p->groups))
			return false;
	}
	return true;
}

int zt_dns_action_rcode(enum zt_dns_action a)
{
	switch (a) {
	case ZT_DNSA_BLOCK:   return ZT_DNS_NXDOMAIN;
	case ZT_DNSA_REFUSE:  return ZT_DNS_REFUSED;
	case ZT_DNSA_FORWARD: return -1;
	default:              return ZT_DNS_NOERROR;
	}
}

const char *zt_dns_action_name(enum zt_dns_action a)
{
	static const char *const n[] = { "answer", "nodata", "block", "forward", "refuse" };

	return (unsigned)a < sizeof(n) / sizeof(n[0]) ? n[a] : "?";
}
