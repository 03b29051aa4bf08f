// SPDX-License-Identifier: GPL-2.0
/* policy.c — the policy compiler (policy.h); its reference evaluator is
 * eval.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "detect.h"
#include "hash.h"
#include "policy.h"
#include "sort.h"

#define SLOTS (2 * ZT_MAX_SETS) /* open addressing, load <= 1/2 */

struct setpool {
	struct zt_bitmap *sets;
	__u32 n;
	__u32 *slots; /* set id + 1, 0 = empty */
};

static __u64 bitmap_hash(const struct zt_bitmap *b)
{
	return zt_hash64(b->w, sizeof(b->w), 1469598103934665603ULL);
}

static int set_intern(struct setpool *sp, const struct zt_bitmap *b, __u32 *id)
{
	__u64 i = bitmap_hash(b) % SLOTS;

	for (;; i = (i + 1) % SLOTS) {
		__u32 s = sp->slots[i];

		if (!s)
			break;
		if (!memcmp(&sp->sets[s - 1], b, sizeof(*b))) {
			*id = s - 1;
			return 0;
		}
	}
	if (sp->n >= ZT_MAX_SETS)
		return -E2BIG;
	sp->sets[sp->n] = *b;
	sp->slots[i] = sp->n + 1;
	*id = sp->n++;
	return 0;
}

static void bit_set(struct zt_bitmap *b, __u32 bit)
{
	b->w[bit / 64] |= 1ULL << (bit % 64);
}

static bool has_u32(const __u32 *v, size_t n, __u32 x)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

struct order {
	const struct zt_rule_in *r;
	__u32 idx;
};

static int order_cmp(const void *a, const void *b)
{
	const struct order *x = a, *y = b;

	if (x->r->precedence != y->r->precedence)
		return x->r->precedence < y->r->precedence ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* ---- rule bits ----------------------------------------------------------- */

/* A rule bit: its rule as the dimensions see it, for the destinations in
 * where. A rule with host or sni selectors takes two: for IRIs (the
 * names, decided here: the kernel knows which name an IRI is for) and
 * for CIDR destinations (the proxy reads the name off the wire: L7). */
#define W_IRI  0x1
#define W_CIDR 0x2

struct view {
	struct zt_rule_in r;
	__u8 where;
	bool l7;
};

static const struct zt_port_range port_https = { 443, 443 }, port_http = { 80, 80 };

/* v's ports narrowed to the one port p; false when its own leave p out. */
static bool narrow_port(struct zt_rule_in *v, const struct zt_port_range *p)
{
	size_t i;

	for (i = 0; i < v->n_ports; i++)
		if (p->lo >= v->ports[i].lo && p->lo <= v->ports[i].hi)
			break;
	if (v->n_ports && i == v->n_ports)
		return false;
	v->ports = p;
	v->n_ports = 1;
	return true;
}

static int view_push(struct view *v, __u32 *n, const struct zt_rule_in *r, __u8 where, bool l7)
{
	if (*n >= ZT_MAX_RULES)
		return -E2BIG;
	v[*n] = (struct view){ *r, where, l7 };
	(*n)++;
	return 0;
}

/* The bits of r. TCP only for sni and detected_protocol (the proxy takes
 * TCP; a rule whose protocols leave TCP out has none there), but to an
 * IRI an sni rule's own protocols hold, since the name is the IRI's: a
 * rule that names UDP there covers QUIC too. */
static int view_rule(const struct zt_policy_in *in, const struct zt_rule_in *r,
		     struct view *v, __u32 *n, __u32 *from)
{
	const __u8 tcp = 1u << ZT_PC_TCP;
	/* To a CIDR destination host is the HTTP Host only where the rule
	 * asks for HTTP: otherwise such a rule is for IRIs alone, decided in
	 * the kernel, and steers nothing. */
	bool http = r->n_hosts && (r->detected & (1u << ZT_PROTO_HTTP));
	struct zt_rule_in b = *r;
	int err;

	*from = *n;
	if (r->n_sni || r->detected) {
		if (r->protos && !(r->protos & tcp))
			return 0;
		b.protos = tcp;
	}
	if (!r->n_sni && !r->n_hosts)
		return view_push(v, n, &b, r->n_dst ? W_CIDR : W_IRI | W_CIDR, r->detected != 0);
	if (!r->n_dst) {
		struct zt_rule_in iri = b;

		if (!r->n_hosts) {
			iri.hosts = r->sni;
			iri.n_hosts = r->n_sni;
		}
		if (!r->detected && !r->n_hosts && r->protos)
			iri.protos = r->protos; /* the kernel's alone: not L7 */
		/* With both, the kernel goes by host; sni is the proxy's. */
		err = view_push(v, n, &iri, W_IRI, r->detected || (r->n_hosts && r->n_sni));
		if (err)
			return err;
	}
	/* On the wire sni is TLS and Host HTTP: no flow has both. */
	if ((r->n_hosts && !http) || (r->n_sni && r->n_hosts))
		return 0;
	b.hosts = NULL;
	b.n_hosts = 0;
	if (!in->l7_all_ports && !narrow_port(&b, r->n_sni ? &port_https : &port_http))
		return 0;
	return view_push(v, n, &b, W_CIDR, true);
}

/* ---- identity dimension ------------------------------------------------ */

static void ident_bitmap(const struct zt_compiled *c, const struct view *v,
			 __u32 user, __u64 groups, __u32 vnet, struct zt_bitmap *b)
{
	__u32 bit;

	memset(b, 0, sizeof(*b));
	for (bit = 0; bit < c->n_rules; bit++) {
		const struct zt_rule_in *r = &v[bit].r;

		if (r->n_users && !has_u32(r->users, r->n_users, user))
			continue;
		if (r->groups && !(r->groups & groups))
			continue;
		if (r->n_vnets && !has_u32(r->vnets, r->n_vnets, vnet))
			continue;
		bit_set(b, bit);
	}
}

int zt_dev_entry_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct zt_dev_entry *)a)->key,
		      &((const struct zt_dev_entry *)b)->key, sizeof(struct zt_dev_key));
}

static int compile_identities(const struct zt_policy_in *in, const struct view *v,
			      struct zt_compiled *c, struct setpool *sp)
{
	struct zt_bitmap b;
	size_t i;
	int err;

	ident_bitmap(c, v, 0, 0, in->default_vnet, &b);
	err = set_intern(sp, &b, &c->cfg.unenrolled_set);
	if (err)
		return err;
	c->devs = calloc(in->n_devices ? in->n_devices : 1, sizeof(*c->devs));
	if (!c->devs)
		return -ENOMEM;
	for (i = 0; i < in->n_devices; i++) {
		const struct zt_device_in *d = &in->devices[i];
		struct zt_dev_entry *e = &c->devs[i];

		if (!d->device_id || !d->user_id || d->addr.len != zt_addr_bits(&d->addr))
			return -EINVAL;
		e->key.ifindex = d->ifindex;
		e->key.vlan = d->vlan;
		e->key.family = d->addr.family;
		memcpy(e->key.addr, d->addr.addr, 16);
		e->id.device_id = d->device_id;
		e->id.user_id = d->user_id;
		e->id.vnet_id = d->vnet;
		e->id.groups = d->groups;
		ident_bitmap(c, v, d->user_id, d->groups, d->vnet, &b);
		err = set_intern(sp, &b, &e->id.id_set);
		if (err)
			return err;
	}
	c->n_devs = in->n_devices;
	zt_qsort(c->devs, c->n_devs, sizeof(*c->devs), zt_dev_entry_cmp);
	return 0;
}

/* ---- {protocol, port} dimension ------------------------------------------ */

static bool rule_port_match(const struct zt_rule_in *r, int pclass, __u32 port)
{
	size_t i;

	if (r->protos && !(r->protos & (1u << pclass)))
		return false;
	if (!r->n_ports)
		return true;
	if (pclass != ZT_PC_TCP && pclass != ZT_PC_UDP)
		return false; /* a port selector only ever matches TCP/UDP */
	for (i = 0; i < r->n_ports; i++)
		if (port >= r->ports[i].lo && port <= r->ports[i].hi)
			return true;
	return false;
}

static int u32_cmp(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static int compile_ports(const struct view *v, struct zt_compiled *c, struct setpool *sp)
{
	__u32 *cuts = NULL, n_cuts = 0, cap = 2, bit, set;
	struct zt_bitmap b;
	size_t i, j;
	int pc, err = 0;

	c->ports = calloc((size_t)ZT_PCLASSES * ZT_PORTS, sizeof(__u32));
	for (i = 0; i < c->n_rules; i++)
		cap += 2 * v[i].r.n_ports;
	cuts = malloc(cap * sizeof(*cuts));
	if (!c->ports || !cuts) {
		err = -ENOMEM;
		goto out;
	}
	/* Elementary intervals: every range start and end + 1 is a cut. */
	cuts[n_cuts++] = 0;
	cuts[n_cuts++] = ZT_PORTS;
	for (i = 0; i < c->n_rules; i++)
		for (j = 0; j < v[i].r.n_ports; j++) {
			cuts[n_cuts++] = v[i].r.ports[j].lo;
			cuts[n_cuts++] = (__u32)v[i].r.ports[j].hi + 1;
		}
	zt_qsort(cuts, n_cuts, sizeof(*cuts), u32_cmp);

	for (pc = 0; pc < ZT_PCLASSES; pc++) {
		bool ported = pc == ZT_PC_TCP || pc == ZT_PC_UDP;

		for (i = 0; i + 1 < n_cuts; i++) {
			__u32 lo = cuts[i], hi = cuts[i + 1], p;

			if (lo == hi || lo >= ZT_PORTS)
				continue;
			if (!ported && lo > 0)
				break; /* only port 0 is ever looked up */
			memset(&b, 0, sizeof(b));
			for (bit = 0; bit < c->n_rules; bit++)
				if (rule_port_match(&v[bit].r, pc, lo))
					bit_set(&b, bit);
			err = set_intern(sp, &b, &set);
			if (err)
				goto out;
			for (p = lo; p < hi && p < ZT_PORTS; p++)
				c->ports[(size_t)pc * ZT_PORTS + p] = set;
		}
	}
out:
	free(cuts);
	return err;
}

/* ---- destination dimension --------------------------------------------- */

struct dnode {
	struct zt_prefix pfx;
	__s32 route;   /* index into in->routes, -1: none at this prefix */
	__s32 rule;    /* rule bit, -1: none at this prefix */
};

static int dnode_cmp(const void *a, const void *b)
{
	const struct dnode *x = a, *y = b;
	int c = zt_prefix_cmp(&x->pfx, &y->pfx);

	if (c)
		return c;
	return x->route != y->route ? (x->route > y->route ? -1 : 1) : x->rule - y->rule;
}

int zt_dst_entry_cmp(const void *a, const void *b)
{
	const struct zt_dst_entry *x = a, *y = b;

	if (x->pfx.family != y->pfx.family)
		return x->pfx.family < y->pfx.family ? -1 : 1;
	if (x->vnet != y->vnet)
		return x->vnet < y->vnet ? -1 : 1;
	return zt_prefix_cmp(&x->pfx, &y->pfx);
}

struct frame {
	struct zt_prefix pfx;
	__s32 route;   /* longest route containing this prefix */
	__u32 set;     /* its destination rule set */
	const struct zt_bitmap *bits; /* its rules: own, or an ancestor's */
	struct zt_bitmap own;         /* when it adds rules of its own */
};

/* Two sorted node lists read as one: the routes and the rules' prefixes
 * (a million of the first, a few of the second: merged on the fly, not
 * copied into one array and sorted). */
struct nodes {
	const struct dnode *a; size_t na, ia;
	const struct dnode *b; size_t nb, ib;
};

static const struct dnode *nodes_peek(const struct nodes *n)
{
	if (n->ia < n->na && (n->ib >= n->nb || dnode_cmp(&n->a[n->ia], &n->b[n->ib]) <= 0))
		return &n->a[n->ia];
	return n->ib < n->nb ? &n->b[n->ib] : NULL;
}

static void nodes_next(struct nodes *n, const struct dnode *x)
{
	if (x == &n->a[n->ia])
		n->ia++;
	else
		n->ib++;
}

static int compile_vnet_dsts(const struct zt_policy_in *in, const struct view *v,
			     struct zt_compiled *c, struct setpool *sp, __u32 vnet,
			     __u32 anydst_set, const struct zt_bitmap *anydst,
			     struct dnode *rnodes, struct dnode *qnodes)
{
	struct frame *stack = NULL;
	struct nodes ns = { .a = rnodes, .b = qnodes };
	const struct dnode *x;
	size_t i, j, depth = 0;
	__u32 bit;
	int err = 0;

	for (i = 0; i < in->n_routes; i++)
		if (in->routes[i].vnet == vnet)
			rnodes[ns.na++] = (struct dnode){ in->routes[i].pfx, (__s32)i, -1 };
	for (bit = 0; bit < c->n_rules; bit++) {
		const struct zt_rule_in *r = &v[bit].r;

		for (j = 0; j < r->n_dst; j++)
			qnodes[ns.nb++] = (struct dnode){ r->dst[j], -1, (__s32)bit };
	}
	if (!ns.na && !ns.nb)
		return 0;
	err = zt_sort(rnodes, ns.na, sizeof(*rnodes), dnode_cmp); /* usually in order */
	if (!err)
		err = zt_sort(qnodes, ns.nb, sizeof(*qnodes), dnode_cmp);
	if (err)
		return err;
	stack = calloc(130, sizeof(*stack)); /* nesting depth <= 129 */
	if (!stack)
		return -ENOMEM;

	for (x = nodes_peek(&ns); x; ) {
		struct frame *top, *f;
		struct zt_dst_entry *e;
		bool own_rule = false, own_route = false;

		/* All nodes for one prefix fold into one entry. The frame is
		 * written in place: a rule bitmap is copied only where a
		 * prefix adds rules (a million routes add none). */
		while (depth && !zt_prefix_contains(&stack[depth - 1].pfx, &x->pfx))
			depth--;
		top = depth ? &stack[depth - 1] : NULL;
		f = &stack[depth];
		f->pfx = x->pfx;
		f->route = top ? top->route : -1;
		f->bits = top ? top->bits : anydst;
		f->set = top ? top->set : anydst_set;
		for (; x && !zt_prefix_cmp(&x->pfx, &f->pfx); nodes_next(&ns, x), x = nodes_peek(&ns)) {
			/* Duplicate routes (config validation refuses them):
			 * the first one given wins. */
			if (x->route >= 0 && (!own_route || x->route < f->route)) {
				f->route = x->route;
				own_route = true;
			}
			if (x->rule >= 0) {
				if (!own_rule) {
					f->own = *f->bits;
					f->bits = &f->own;
					own_rule = true;
				}
				bit_set(&f->own, (__u32)x->rule);
			}
		}
		if (own_rule) {
			err = set_intern(sp, &f->own, &f->set);
			if (err)
				goto out;
		}
		depth++;

		e = &c->dsts[c->n_dsts++];
		memset(e, 0, sizeof(*e));
		e->pfx = f->pfx;
		e->vnet = vnet;
		e->dst.dst_set = f->set;
		if (f->route >= 0) {
			const struct zt_route_in *rt = &in->routes[f->route];

			e->dst.route_id = rt->route_id;
			e->dst.tunnel_id = rt->tunnel_id;
			e->dst.flags = ZT_DST_F_ROUTED | (rt->local ? ZT_DST_F_LOCAL : 0) |
				       (rt->nat ? ZT_DST_F_NAT : 0);
		}
	}
out:
	free(stack);
	return err;
}

static int host_set_cmp(const void *a, const void *b)
{
	return strcmp(((const struct zt_host_set *)a)->pattern,
		      ((const struct zt_host_set *)b)->pattern);
}

/* One destination set per distinct host pattern: names under a pattern
 * match its rules; an exact name also matches the wildcard rules that
 * cover it. */
static int compile_hosts(const struct view *v, struct zt_compiled *c, struct setpool *sp,
			 const struct zt_bitmap *anydst)
{
	size_t n = 0, i, j, k;
	__u32 bit;
	int err;

	for (i = 0; i < c->n_rules; i++)
		n += v[i].r.n_hosts;
	c->hosts = calloc(n ? n : 1, sizeof(*c->hosts));
	if (!c->hosts)
		return -ENOMEM;
	for (i = 0; i < c->n_rules; i++)
		for (j = 0; j < v[i].r.n_hosts; j++)
			snprintf(c->hosts[c->n_hosts++].pattern, sizeof(c->hosts->pattern), "%s",
				 v[i].r.hosts[j]);
	zt_qsort(c->hosts, c->n_hosts, sizeof(*c->hosts), host_set_cmp);
	for (i = 0, k = 0; i < c->n_hosts; i++)
		if (!k || strcmp(c->hosts[i].pattern, c->hosts[k - 1].pattern))
			c->hosts[k++] = c->hosts[i];
	c->n_hosts = k;
	for (i = 0; i < c->n_hosts; i++) {
		struct zt_host_set *h = &c->hosts[i];
		struct zt_bitmap b = *anydst;
		bool wild = h->pattern[0] == '*';

		for (bit = 0; bit < c->n_rules; bit++) {
			const struct zt_rule_in *r = &v[bit].r;

			for (j = 0; j < r->n_hosts; j++)
				if (!strcmp(r->hosts[j], h->pattern) ||
				    (!wild && zt_hostname_match(r->hosts[j], h->pattern)))
					bit_set(&b, bit);
		}
		err = set_intern(sp, &b, &h->set);
		if (err)
			return err;
	}
	return 0;
}

static int compile_dsts(const struct zt_policy_in *in, const struct view *v,
			struct zt_compiled *c, struct setpool *sp)
{
	struct zt_bitmap anydst = { 0 }, anycidr = { 0 };
	struct dnode *nodes = NULL;
	__u32 *vnets = NULL, n_vnets = 0, anycidr_set, bit;
	size_t n_rule_pfx = 0, i, j;
	int err;

	/* Rules with no destination selector: anydst is in every IRI's set
	 * (but for those of names a host set covers, which add to it), and
	 * anycidr in every CIDR destination's, with the CIDR halves of host
	 * and sni rules. */
	for (bit = 0; bit < c->n_rules; bit++) {
		const struct zt_rule_in *r = &v[bit].r;

		if (!r->n_dst && !r->n_hosts) {
			if (v[bit].where & W_IRI)
				bit_set(&anydst, bit);
			bit_set(&anycidr, bit);
		}
		n_rule_pfx += r->n_dst;
	}
	err = set_intern(sp, &anydst, &c->anydst_set);
	if (!err)
		err = set_intern(sp, &anycidr, &anycidr_set);
	if (!err)
		err = compile_hosts(v, c, sp, &anydst);
	if (err)
		return err;

	/* Every vnet that has a route or a device, plus the listed ones. */
	vnets = malloc((in->n_vnets + in->n_routes + 1) * sizeof(*vnets));
	if (!vnets)
		return -ENOMEM;
	vnets[n_vnets++] = in->default_vnet;
	for (i = 0; i < in->n_vnets; i++)
		vnets[n_vnets++] = in->vnets[i];
	for (i = 0; i < in->n_routes; i++)
		if (!i || in->routes[i].vnet != in->routes[i - 1].vnet)
			vnets[n_vnets++] = in->routes[i].vnet;
	zt_qsort(vnets, n_vnets, sizeof(*vnets), u32_cmp);
	for (i = 0, j = 0; i < n_vnets; i++)
		if (!j || vnets[i] != vnets[j - 1])
			vnets[j++] = vnets[i];
	n_vnets = j; /* distinct: rule prefixes are placed once per vnet */

	/* Every entry is written whole: no need to clear these first. */
	c->dsts = malloc((in->n_routes + n_rule_pfx * n_vnets + 1) * sizeof(*c->dsts));
	nodes = malloc((in->n_routes + n_rule_pfx + 1) * sizeof(*nodes));
	if (!c->dsts || !nodes) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n_vnets; i++) {
		err = compile_vnet_dsts(in, v, c, sp, vnets[i], anycidr_set, &anycidr, nodes,
					nodes + in->n_routes);
		if (err)
			goto out;
	}
	/* Each vnet's entries come in prefix order, vnet after vnet: with one
	 * vnet that is the order of the tries already. */
	if (n_vnets > 1)
		err = zt_sort(c->dsts, c->n_dsts, sizeof(*c->dsts), zt_dst_entry_cmp);
out:
	free(nodes);
	free(vnets);
	return err;
}

/* ---- driver ------------------------------------------------------------- */

static void pool_mask(const struct zt_prefix *p, __u8 *addr, __u8 *mask, int bytes)
{
	int i;

	memset(addr, 0, bytes);
	memset(mask, 0, bytes);
	if (!p->len && !p->family)
		return;
	for (i = 0; i < p->len && i < bytes * 8; i++)
		mask[i / 8] |= 0x80 >> (i % 8);
	for (i = 0; i < bytes; i++)
		addr[i] = p->addr[i] & mask[i];
	if (!p->len) /* a /0 pool would swallow everything: treat as none */
		memset(mask, 0, bytes);
}

int zt_policy_compile(const struct zt_policy_in *in, struct zt_compiled *out)
{
	struct setpool sp = { 0 };
	struct order *ord = NULL;
	struct view *v = NULL;
	__u32 n = 0, from, k;
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	if (in->n_rules > ZT_MAX_RULES)
		return -E2BIG;
	for (i = 0; i < in->n_routes; i++)
		if (!in->routes[i].route_id)
			return -EINVAL;
	sp.sets = calloc(ZT_MAX_SETS, sizeof(*sp.sets));
	sp.slots = calloc(SLOTS, sizeof(*sp.slots));
	ord = calloc(in->n_rules + 1, sizeof(*ord));
	v = calloc(ZT_MAX_RULES, sizeof(*v));
	if (!sp.sets || !sp.slots || !ord || !v) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < in->n_rules; i++)
		ord[i] = (struct order){ &in->rules[i], (__u32)i };
	zt_qsort(ord, in->n_rules, sizeof(*ord), order_cmp);
	for (i = 0; i < in->n_rules; i++) {
		err = view_rule(in, ord[i].r, v, &n, &from);
		if (err)
			goto out;
		for (k = from; k < n; k++) {
			out->rule_index[k] = ord[i].idx;
			out->rules[k].rule_id = ord[i].idx + 1;
			out->rules[k].action = ord[i].r->action;
			out->rules[k].flags = (v[k].l7 ? ZT_RULE_F_L7 : 0) |
					      (!v[k].r.protos && !v[k].r.n_ports ? ZT_RULE_F_ANY : 0) |
					      (v[k].where == W_IRI ? ZT_RULE_F_IRI : 0) |
					      (v[k].where == W_CIDR ? ZT_RULE_F_CIDR : 0);
		}
	}
	out->n_rules = n;

	out->cfg.default_action = in->default_action;
	out->cfg.nwords = (__u8)((n + 63) / 64);
	out->cfg.default_vnet = in->default_vnet;
	pool_mask(&in->iri4, out->cfg.iri4_addr, out->cfg.iri4_mask, 4);
	pool_mask(&in->iri6, out->cfg.iri6_addr, out->cfg.iri6_mask, 16);

	err = compile_identities(in, v, out, &sp);
	if (!err)
		err = compile_ports(v, out, &sp);
	if (!err)
		err = compile_dsts(in, v, out, &sp);
out:
	free(v);
	free(ord);
	free(sp.slots);
	if (err) {
		free(sp.sets);
		zt_compiled_free(out);
		return err;
	}
	out->sets = sp.sets;
	out->n_sets = sp.n;
	return 0;
}

void zt_compiled_free(struct zt_compiled *c)
{
	free(c->sets);
	free(c->ports);
	free(c->dsts);
	free(c->devs);
	free(c->hosts);
	free(c->iris);
	memset(c, 0, sizeof(*c));
}

/* ---- IRIs ----------------------------------------------------------------- */

static const struct zt_host_set *host_find(const struct zt_compiled *c, const char *pattern)
{
	struct zt_host_set key;

	if (snprintf(key.pattern, sizeof(key.pattern), "%s", pattern) >= (int)sizeof(key.pattern))
		return NULL;
	return zt_bsearch(&key, c->hosts, c->n_hosts, sizeof(*c->hosts), host_set_cmp);
}

void zt_compiled_iri_dst(const struct zt_compiled *c, const char *name, __u32 route_id,
			 __u32 tunnel_id, bool local, struct zt_dst *d)
{
	const struct zt_host_set *h = host_find(c, name);
	const char *dot = strchr(name, '.');

	if (!h && dot && dot != name) {
		char w[ZT_HOSTNAME_MAX + 3];

		snprintf(w, sizeof(w), "*.%s", dot + 1);
		h = host_find(c, w);
	}
	d->route_id = route_id;
	d->tunnel_id = tunnel_id;
	d->dst_set = h ? h->set : c->anydst_set;
	/* A local tunnel's IRIs are always translated (the config parser,
	 * config/gateway.c, sees to it that such a tunnel has its
	 * private_interface). */
	d->flags = ZT_DST_F_ROUTED | (local ? ZT_DST_F_LOCAL | ZT_DST_F_NAT : 0);
}

int zt_iri_key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct zt_iri_key));
}
