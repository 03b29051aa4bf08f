// SPDX-License-Identifier: GPL-2.0
/* apply.c — see apply.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "apply.h"
#include "log.h"

static int sync_inner = -1, sync_outer = -1;

/* Updating a map-in-map slot makes the kernel wait for an RCU grace period
 * before returning, so no program still runs with a value it read earlier
 * (the kernel's own selftests rely on the same property). */
int zt_sync_rcu(void)
{
	__u32 key = 0;
	int val;

	if (sync_outer < 0) {
		LIBBPF_OPTS(bpf_map_create_opts, o);

		sync_inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "zt_sync_in", 4, 4, 1, NULL);
		if (sync_inner < 0)
			return -errno;
		o.inner_map_fd = sync_inner;
		sync_outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "zt_sync", 4, 4, 1, &o);
		if (sync_outer < 0)
			return -errno;
	}
	val = sync_inner;
	if (bpf_map_update_elem(sync_outer, &key, &val, BPF_ANY))
		return -errno;
	return 0;
}

static int array_write(int fd, __u32 first, const void *vals, __u32 n, size_t vsz)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	__u32 *keys, i, count = n;
	int err = 0;

	if (!n)
		return 0;
	keys = malloc((size_t)n * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		keys[i] = first + i;
	if (bpf_map_update_batch(fd, keys, vals, &count, &o)) {
		/* Kernels without batch support for this map type. */
		for (i = 0; i < n; i++)
			if (bpf_map_update_elem(fd, &keys[i], (const char *)vals + i * vsz,
						BPF_ANY)) {
				err = -errno;
				break;
			}
	}
	free(keys);
	return err;
}

/* ---- LPM tries ---------------------------------------------------------- */

union route_key {
	struct zt_route4_key v4;
	struct zt_route6_key v6;
};

static void route_key(const struct zt_prefix *p, __u32 vnet, union route_key *k)
{
	memset(k, 0, sizeof(*k));
	if (p->family == ZT_AF_INET) {
		k->v4.prefixlen = 32 + p->len;
		k->v4.vnet_id = vnet;
		memcpy(k->v4.addr, p->addr, 4);
	} else {
		k->v6.prefixlen = 32 + p->len;
		k->v6.vnet_id = vnet;
		memcpy(k->v6.addr, p->addr, 16);
	}
}

struct existing {
	struct zt_dst_entry e; /* prefix and vnet; e.dst unused */
	struct zt_route_val val;
	bool keep;
};

static int dump_trie(int fd, __u8 family, struct existing **out, size_t *n, size_t *cap)
{
	union route_key k, next;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct existing *x;

		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 1024;
			struct existing *nx = realloc(*out, nc * sizeof(**out));

			if (!nx)
				return -ENOMEM;
			*out = nx;
			*cap = nc;
		}
		x = &(*out)[*n];
		memset(x, 0, sizeof(*x));
		x->e.pfx.family = family;
		if (family == ZT_AF_INET) {
			x->e.pfx.len = (__u8)(next.v4.prefixlen - 32);
			x->e.vnet = next.v4.vnet_id;
			memcpy(x->e.pfx.addr, next.v4.addr, 4);
		} else {
			x->e.pfx.len = (__u8)(next.v6.prefixlen - 32);
			x->e.vnet = next.v6.vnet_id;
			memcpy(x->e.pfx.addr, next.v6.addr, 16);
		}
		if (bpf_map_lookup_elem(fd, &next, &x->val))
			return -errno;
		(*n)++;
		k = next;
		prev = &k;
	}
	return errno == ENOENT ? 0 : -errno;
}

/* A failed update takes back the prefixes it inserted, so the tries hold
 * no more than before it. */
static void unwind_new_dsts(const struct zt_map_fds *m, const struct zt_compiled *c,
			    size_t upto, const struct existing *ex, size_t n)
{
	size_t i;

	for (i = 0; i < upto; i++) {
		const struct zt_dst_entry *e = &c->dsts[i];
		union route_key k;

		if (bsearch(e, ex, n, sizeof(*ex), zt_dst_entry_cmp))
			continue;
		route_key(&e->pfx, e->vnet, &k);
		bpf_map_delete_elem(e->pfx.family == ZT_AF_INET ? m->routes4 : m->routes6, &k);
	}
}

static int apply_dsts(const struct zt_map_fds *m, const struct zt_compiled *c, __u32 t,
		      struct existing **ex_out, size_t *n_ex,
		      struct zt_apply_stats *st)
{
	struct existing *ex = NULL;
	size_t cap = 0, n = 0, i;
	int err;

	err = dump_trie(m->routes4, ZT_AF_INET, &ex, &n, &cap);
	if (!err)
		err = dump_trie(m->routes6, ZT_AF_INET6, &ex, &n, &cap);
	if (err)
		goto out;
	qsort(ex, n, sizeof(*ex), zt_dst_entry_cmp);

	for (i = 0; i < c->n_dsts; i++) {
		const struct zt_dst_entry *e = &c->dsts[i];
		int fd = e->pfx.family == ZT_AF_INET ? m->routes4 : m->routes6;
		struct existing *x = bsearch(e, ex, n, sizeof(*ex), zt_dst_entry_cmp);
		struct zt_route_val val;
		union route_key k;

		route_key(&e->pfx, e->vnet, &k);
		if (x) {
			x->keep = true;
			if (!memcmp(&x->val.half[t], &e->dst, sizeof(e->dst)))
				continue;
			val = x->val;
		} else {
			/* New prefix: in the active half it must resolve as the
			 * old tries resolved it, through its longest parent. */
			memset(&val, 0, sizeof(val));
			if (!bpf_map_lookup_elem(fd, &k, &val))
				memset(&val.half[t], 0, sizeof(val.half[t]));
			else
				memset(&val, 0, sizeof(val));
		}
		val.half[t] = e->dst;
		if (bpf_map_update_elem(fd, &k, &val, BPF_ANY)) {
			err = -errno;
			if (err == -ENOSPC)
				pr_warn("route table full: while an update is applied the old and "
					"the new prefixes must fit together (%u per family)\n",
					ZT_MAX_ROUTES);
			unwind_new_dsts(m, c, i, ex, n);
			goto out;
		}
		st->dst_written++;
	}
	/* Prefixes the new policy drops: resolve through their new parent
	 * until the flip, deleted after it. */
	for (i = 0; i < n; i++) {
		struct existing *x = &ex[i];
		const struct zt_dst_entry *p;
		int fd = x->e.pfx.family == ZT_AF_INET ? m->routes4 : m->routes6;
		union route_key k;

		if (x->keep)
			continue;
		p = zt_compiled_lookup(c, x->e.vnet, &x->e.pfx);
		if (p)
			x->val.half[t] = p->dst;
		else
			memset(&x->val.half[t], 0, sizeof(x->val.half[t]));
		route_key(&x->e.pfx, x->e.vnet, &k);
		if (bpf_map_update_elem(fd, &k, &x->val, BPF_EXIST)) {
			err = -errno;
			goto out;
		}
	}
out:
	if (err) {
		free(ex);
		ex = NULL;
		n = 0;
	}
	*ex_out = ex;
	*n_ex = n;
	return err;
}

/* ---- devices ------------------------------------------------------------ */

struct dev_existing {
	struct zt_dev_key key;
	struct zt_dev_val val;
	bool keep;
};

static int dev_key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct zt_dev_key));
}

static int apply_devs(const struct zt_map_fds *m, const struct zt_compiled *c, __u32 t,
		      struct dev_existing **ex_out, size_t *n_ex, struct zt_apply_stats *st)
{
	struct dev_existing *ex = NULL;
	struct zt_dev_key k, next;
	size_t n = 0, cap = 0, i;
	void *prev = NULL;
	int err = 0;

	while (!bpf_map_get_next_key(m->devices, prev, &next)) {
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 256;
			struct dev_existing *nx = realloc(ex, nc * sizeof(*ex));

			if (!nx) {
				err = -ENOMEM;
				goto out;
			}
			ex = nx;
			cap = nc;
		}
		memset(&ex[n], 0, sizeof(ex[n]));
		ex[n].key = next;
		if (bpf_map_lookup_elem(m->devices, &next, &ex[n].val)) {
			err = -errno;
			goto out;
		}
		n++;
		k = next;
		prev = &k;
	}
	qsort(ex, n, sizeof(*ex), dev_key_cmp);

	for (i = 0; i < c->n_devs; i++) {
		const struct zt_dev_entry *d = &c->devs[i];
		struct dev_existing *x = bsearch(&d->key, ex, n, sizeof(*ex), dev_key_cmp);
		struct zt_dev_val val;

		if (x) {
			x->keep = true;
			if (!memcmp(&x->val.half[t], &d->id, sizeof(d->id)))
				continue;
			val = x->val;
		} else {
			memset(&val, 0, sizeof(val)); /* unenrolled in the active half */
		}
		val.half[t] = d->id;
		if (bpf_map_update_elem(m->devices, &d->key, &val, BPF_ANY)) {
			err = -errno;
			goto out;
		}
		st->dev_written++;
	}
	for (i = 0; i < n; i++) {
		if (ex[i].keep)
			continue;
		memset(&ex[i].val.half[t], 0, sizeof(ex[i].val.half[t]));
		if (bpf_map_update_elem(m->devices, &ex[i].key, &ex[i].val, BPF_EXIST)) {
			err = -errno;
			goto out;
		}
	}
out:
	if (err) {
		free(ex);
		ex = NULL;
		n = 0;
	}
	*ex_out = ex;
	*n_ex = n;
	return err;
}

/* ---- driver ------------------------------------------------------------- */

int zt_apply(const struct zt_map_fds *m, const struct zt_compiled *c,
	     struct zt_apply_stats *st)
{
	struct dev_existing *dex = NULL;
	struct existing *ex = NULL;
	size_t n_ex = 0, n_dex = 0, i;
	struct zt_state s;
	__u32 zero = 0, a, t, gen;
	int err;

	memset(st, 0, sizeof(*st));
	if (bpf_map_lookup_elem(m->state, &zero, &s))
		return -errno;
	a = s.active & 1;
	t = !a;
	gen = (s.half[0].generation > s.half[1].generation ? s.half[0].generation
							     : s.half[1].generation) + 1;

	/* Everything the inactive half holds; packets do not read it yet. */
	err = array_write(m->sets, t * ZT_MAX_SETS, c->sets, c->n_sets, sizeof(*c->sets));
	if (!err)
		err = array_write(m->rules, t * ZT_MAX_RULES, c->rules, ZT_MAX_RULES,
				  sizeof(c->rules[0]));
	if (!err)
		err = array_write(m->ports, t * ZT_PCLASSES * ZT_PORTS, c->ports,
				  ZT_PCLASSES * ZT_PORTS, sizeof(__u32));
	if (!err)
		err = apply_dsts(m, c, t, &ex, &n_ex, st);
	if (!err)
		err = apply_devs(m, c, t, &dex, &n_dex, st);
	if (err)
		goto out;

	s.half[t] = c->cfg;
	s.half[t].generation = gen;
	if (bpf_map_update_elem(m->state, &zero, &s, BPF_ANY)) {
		err = -errno;
		goto out;
	}
	/* The flip: from here packets read the new half. */
	s.active = t;
	if (bpf_map_update_elem(m->state, &zero, &s, BPF_ANY)) {
		err = -errno;
		goto out;
	}
	st->generation = gen;
	err = zt_sync_rcu();
	if (err) {
		pr_warn("waiting for in-flight packets: %s; stale entries kept\n", strerror(-err));
		goto out;
	}
	for (i = 0; i < n_ex; i++) {
		union route_key k;

		if (ex[i].keep)
			continue;
		route_key(&ex[i].e.pfx, ex[i].e.vnet, &k);
		if (!bpf_map_delete_elem(ex[i].e.pfx.family == ZT_AF_INET ? m->routes4
									    : m->routes6, &k))
			st->dst_deleted++;
	}
	for (i = 0; i < n_dex; i++)
		if (!dex[i].keep && !bpf_map_delete_elem(m->devices, &dex[i].key))
			st->dev_deleted++;
out:
	free(ex);
	free(dex);
	return err;
}
