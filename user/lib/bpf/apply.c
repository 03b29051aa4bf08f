// SPDX-License-Identifier: GPL-2.0
/* apply.c — see apply.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "sort.h"
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

/* Writes vals[0..n) to keys first.., skipping the elements equal to old[]
 * (what that half already holds; NULL: unknown, write all). A reload
 * that changes one rule writes a handful of the 196k port entries. */
static int array_write(int fd, __u32 first, const void *vals, __u32 n, size_t vsz,
		       const void *old)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	__u32 *keys, i, count = 0;
	char *v;
	int err = 0;

	if (!n)
		return 0;
	keys = malloc((size_t)n * sizeof(*keys));
	v = malloc((size_t)n * vsz);
	if (!keys || !v) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *e = (const char *)vals + i * vsz;

		if (old && !memcmp(e, (const char *)old + i * vsz, vsz))
			continue;
		keys[count] = first + i;
		memcpy(v + (size_t)count * vsz, e, vsz);
		count++;
	}
	n = count;
	if (n && bpf_map_update_batch(fd, keys, v, &count, &o)) {
		/* Kernels without batch support for this map type. */
		for (i = 0; i < n; i++)
			if (bpf_map_update_elem(fd, &keys[i], v + (size_t)i * vsz, BPF_ANY)) {
				err = -errno;
				break;
			}
	}
out:
	free(keys);
	free(v);
	return err;
}

/* Keeps what was written to half t of an array (for array_write's old). */
static int keep_copy(void **slot, const void *vals, size_t bytes)
{
	void *p = realloc(*slot, bytes ? bytes : 1);

	if (!p)
		return -ENOMEM;
	memcpy(p, vals, bytes);
	*slot = p;
	return 0;
}

static void arrays_forget(struct zt_mirror *mir)
{
	int h;

	for (h = 0; h < 2; h++) {
		free(mir->sets[h]);
		free(mir->rules[h]);
		free(mir->ports[h]);
		mir->sets[h] = NULL;
		mir->rules[h] = NULL;
		mir->ports[h] = NULL;
		mir->n_sets[h] = 0;
	}
}

static int write_arrays(const struct zt_map_fds *m, const struct zt_compiled *c, __u32 t,
			struct zt_mirror *mir)
{
	const void *old_sets = mir->sets[t] && mir->n_sets[t] >= c->n_sets ? mir->sets[t] : NULL;
	int err;

	err = array_write(m->sets, t * ZT_MAX_SETS, c->sets, c->n_sets, sizeof(*c->sets),
			  old_sets);
	if (!err)
		err = array_write(m->rules, t * ZT_MAX_RULES, c->rules, ZT_MAX_RULES,
				  sizeof(c->rules[0]), mir->rules[t]);
	if (!err)
		err = array_write(m->ports, t * ZT_PCLASSES * ZT_PORTS, c->ports,
				  ZT_PCLASSES * ZT_PORTS, sizeof(__u32), mir->ports[t]);
	if (err)
		return err;
	if (keep_copy((void **)&mir->sets[t], c->sets, c->n_sets * sizeof(*c->sets)) ||
	    keep_copy((void **)&mir->rules[t], c->rules, sizeof(c->rules)) ||
	    keep_copy((void **)&mir->ports[t], c->ports,
		      (size_t)ZT_PCLASSES * ZT_PORTS * sizeof(__u32))) {
		arrays_forget(mir);
		return 0; /* written; the next apply writes all again */
	}
	mir->n_sets[t] = c->n_sets;
	return 0;
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
		k->v4.prefixlen = ZT_VNET_BITS + p->len;
		k->v4.vnet_id = vnet;
		memcpy(k->v4.addr, p->addr, 4);
	} else {
		k->v6.prefixlen = ZT_VNET_BITS + p->len;
		k->v6.vnet_id = vnet;
		memcpy(k->v6.addr, p->addr, 16);
	}
}

static int trie_fd(const struct zt_map_fds *m, const struct zt_prefix *p)
{
	return p->family == ZT_AF_INET ? m->routes4 : m->routes6;
}

/* Room for need elements in *p (capacity *cap, doubled until it fits). */
static int room(void **p, size_t *cap, size_t need, size_t size)
{
	size_t nc = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return 0;
	while (nc < need)
		nc *= 2;
	q = realloc(*p, nc * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = nc;
	return 0;
}

static int dump_trie(int fd, __u8 family, struct zt_mirror *mir)
{
	union route_key k, next;
	void *prev = NULL;
	int err;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct zt_mirror_dst *x;

		err = room((void **)&mir->dsts, &mir->cap, mir->n + 1, sizeof(*mir->dsts));
		if (err)
			return err;
		x = &mir->dsts[mir->n];
		memset(x, 0, sizeof(*x));
		x->e.pfx.family = family;
		if (family == ZT_AF_INET) {
			x->e.pfx.len = (__u8)(next.v4.prefixlen - ZT_VNET_BITS);
			x->e.vnet = next.v4.vnet_id;
			memcpy(x->e.pfx.addr, next.v4.addr, 4);
		} else {
			x->e.pfx.len = (__u8)(next.v6.prefixlen - ZT_VNET_BITS);
			x->e.vnet = next.v6.vnet_id;
			memcpy(x->e.pfx.addr, next.v6.addr, 16);
		}
		if (bpf_map_lookup_elem(fd, &next, &x->val))
			return -errno;
		mir->n++;
		k = next;
		prev = &k;
	}
	return errno == ENOENT ? 0 : -errno;
}

/* Reads what the tries hold: once after a start (adopting), or after a
 * failed update left the mirror unsure. */
static int mirror_load(const struct zt_map_fds *m, struct zt_mirror *mir)
{
	int err;

	mir->n = 0;
	mir->settle = 0;
	arrays_forget(mir); /* unknown: written in full once */
	err = dump_trie(m->routes4, ZT_AF_INET, mir);
	if (!err)
		err = dump_trie(m->routes6, ZT_AF_INET6, mir);
	if (err)
		return err;
	zt_qsort(mir->dsts, mir->n, sizeof(*mir->dsts), zt_dst_entry_cmp);
	mir->valid = true;
	return 0;
}

static void tail_free(struct zt_apply_tail *d)
{
	free(d->adds);
	free(d->drops);
	free(d->devs);
	free(d->iris);
	memset(d, 0, sizeof(*d));
}

/* A failed update takes back the prefixes it inserted, so the tries hold
 * no more than before it. */
static void unwind_adds(const struct zt_map_fds *m, const struct zt_apply_tail *d)
{
	size_t i;

	for (i = 0; i < d->n_adds; i++) {
		union route_key k;

		route_key(&d->adds[i].e.pfx, d->adds[i].e.vnet, &k);
		bpf_map_delete_elem(trie_fd(m, &d->adds[i].e.pfx), &k);
	}
}

static int write_dst(const struct zt_map_fds *m, const struct zt_dst_entry *e,
		     const struct zt_route_val *val, __u64 flags)
{
	union route_key k;

	route_key(&e->pfx, e->vnet, &k);
	if (bpf_map_update_elem(trie_fd(m, &e->pfx), &k, val, flags)) {
		if (errno == ENOSPC)
			pr_warn("route table full: while an update is applied the old and the "
				"new prefixes must fit together (%u per family)\n", ZT_MAX_ROUTES);
		return -errno;
	}
	return 0;
}

/* One merge walk of the compiled entries against the mirror (both sorted):
 * only entries whose inactive half differs are written, so a one-prefix
 * change costs one or two syscalls whatever the table size. */
static int apply_dsts(const struct zt_map_fds *m, const struct zt_compiled *c, __u32 t,
		      struct zt_mirror *mir, struct zt_apply_tail *d, struct zt_apply_stats *st)
{
	size_t i = 0, j = 0, cap_adds = 0, cap_drops = 0;
	int err = 0;

	while (i < c->n_dsts || j < mir->n) {
		const struct zt_dst_entry *e = i < c->n_dsts ? &c->dsts[i] : NULL;
		struct zt_mirror_dst *x = j < mir->n ? &mir->dsts[j] : NULL;
		int cmp = !e ? 1 : !x ? -1 : zt_dst_entry_cmp(e, &x->e);

		if (cmp > 0) { /* the new policy drops x: its new parent until the flip */
			const struct zt_dst_entry *p = zt_compiled_lookup(c, x->e.vnet, &x->e.pfx);

			if (p)
				x->val.half[t] = p->dst;
			else
				memset(&x->val.half[t], 0, sizeof(x->val.half[t]));
			err = write_dst(m, &x->e, &x->val, BPF_EXIST);
			if (err)
				break;
			err = room((void **)&d->drops, &cap_drops, d->n_drops + 1, sizeof(*d->drops));
			if (err)
				break;
			d->drops[d->n_drops++] = j++;
		} else if (cmp == 0) {
			if (memcmp(&x->val.half[t], &e->dst, sizeof(e->dst))) {
				struct zt_route_val val = x->val;

				val.half[t] = e->dst;
				err = write_dst(m, e, &val, BPF_EXIST);
				if (err)
					break;
				x->val = val;
				st->dst_written++;
			}
			i++;
			j++;
		} else { /* new prefix: the active half resolves as the old tries did */
			struct zt_mirror_dst a = { .e = *e };
			union route_key k;

			route_key(&e->pfx, e->vnet, &k);
			if (!bpf_map_lookup_elem(trie_fd(m, &e->pfx), &k, &a.val))
				memset(&a.val.half[t], 0, sizeof(a.val.half[t]));
			else
				memset(&a.val, 0, sizeof(a.val));
			a.val.half[t] = e->dst;
			err = room((void **)&d->adds, &cap_adds, d->n_adds + 1, sizeof(*d->adds));
			if (!err)
				err = write_dst(m, e, &a.val, BPF_NOEXIST);
			if (err)
				break;
			d->adds[d->n_adds++] = a;
			st->dst_written++;
			i++;
		}
	}
	return err;
}

/* After the flip: the mirror loses the dropped entries and gains the added
 * ones, in order, in place (a reload touches what it changed, not the
 * whole array). */
static int mirror_commit(struct zt_mirror *mir, const struct zt_apply_tail *d)
{
	size_t i, k, o, j;
	int err;

	if (d->n_drops) {
		o = d->drops[0];
		for (i = o, k = 0; i < mir->n; i++) {
			if (k < d->n_drops && d->drops[k] == i) {
				k++;
				continue;
			}
			mir->dsts[o++] = mir->dsts[i];
		}
		mir->n = o;
	}
	if (!d->n_adds)
		return 0;
	err = room((void **)&mir->dsts, &mir->cap, mir->n + d->n_adds, sizeof(*mir->dsts));
	if (err)
		return err;
	/* Merge from the back: only entries after an insertion move. */
	i = mir->n;
	j = d->n_adds;
	o = mir->n + d->n_adds;
	while (j) {
		if (i && zt_dst_entry_cmp(&mir->dsts[i - 1].e, &d->adds[j - 1].e) > 0)
			mir->dsts[--o] = mir->dsts[--i];
		else
			mir->dsts[--o] = d->adds[--j];
	}
	mir->n += d->n_adds;
	return 0;
}

int zt_apply_settle(const struct zt_map_fds *m, struct zt_mirror *mir, size_t budget)
{
	__u32 a = mir->active, t = !a;

	if (!mir->valid)
		return 0;
	if (!mir->settle) {
		/* The arrays first: what the active half holds, the inactive
		 * one gets (written only where it differs). */
		struct zt_compiled c = { .n_sets = mir->n_sets[a] };

		if (mir->sets[a] && mir->rules[a] && mir->ports[a]) {
			c.sets = mir->sets[a];
			c.ports = mir->ports[a];
			memcpy(c.rules, mir->rules[a], sizeof(c.rules));
			if (write_arrays(m, &c, t, mir)) {
				mir->valid = false;
				return 0;
			}
		}
	}
	while (mir->settle < mir->n && budget--) {
		struct zt_mirror_dst *x = &mir->dsts[mir->settle];

		if (memcmp(&x->val.half[t], &x->val.half[a], sizeof(x->val.half[a]))) {
			struct zt_route_val val = x->val;

			val.half[t] = val.half[a];
			if (write_dst(m, &x->e, &val, BPF_EXIST)) {
				mir->valid = false; /* read back at the next apply */
				return 0;
			}
			x->val = val;
			mir->settle_written++;
		}
		mir->settle++;
	}
	return mir->settle < mir->n;
}

void zt_mirror_free(struct zt_mirror *mir)
{
	tail_free(&mir->tail);
	arrays_forget(mir);
	free(mir->dsts);
	memset(mir, 0, sizeof(*mir));
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
	zt_qsort(ex, n, sizeof(*ex), dev_key_cmp);

	for (i = 0; i < c->n_devs; i++) {
		const struct zt_dev_entry *d = &c->devs[i];
		struct dev_existing *x = zt_bsearch(&d->key, ex, n, sizeof(*ex), dev_key_cmp);
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

/* ---- IRIs ------------------------------------------------------------------ */

/* The inactive half of every IRI the caller attached; an IRI new to the
 * map resolves to nothing in the active half until the flip. */
static int apply_iris(const struct zt_map_fds *m, const struct zt_compiled *c, __u32 t)
{
	size_t i;

	for (i = 0; i < c->n_iris; i++) {
		struct zt_iri_val v;

		if (bpf_map_lookup_elem(m->iri, &c->iris[i].key, &v))
			memset(&v, 0, sizeof(v));
		v.half[t] = c->iris[i].dst;
		v.epoch = c->iris[i].epoch;
		v.real_ok = c->iris[i].resolved;
		v.real_ttl = c->iris[i].real_ttl;
		memcpy(v.real, c->iris[i].real, sizeof(v.real));
		if (bpf_map_update_elem(m->iri, &c->iris[i].key, &v, BPF_ANY))
			return -errno;
	}
	return 0;
}

/* IRIs the caller no longer holds: resolving to nothing in the inactive
 * half from the flip on, deleted after it (zt_apply_finish). */
static int stale_iris(const struct zt_map_fds *m, const struct zt_compiled *c, __u32 t,
		      struct zt_apply_tail *d)
{
	struct zt_iri_key k, next;
	size_t cap = 0;
	void *prev = NULL;
	int err;

	while (!bpf_map_get_next_key(m->iri, prev, &next)) {
		struct zt_iri_val v;

		k = next;
		prev = &k;
		if (zt_bsearch(&k, c->iris, c->n_iris, sizeof(*c->iris), zt_iri_key_cmp))
			continue;
		if (bpf_map_lookup_elem(m->iri, &k, &v))
			continue; /* gone meanwhile */
		memset(&v.half[t], 0, sizeof(v.half[t]));
		if (bpf_map_update_elem(m->iri, &k, &v, BPF_EXIST) && errno != ENOENT)
			return -errno;
		err = room((void **)&d->iris, &cap, d->n_iris + 1, sizeof(*d->iris));
		if (err)
			return err;
		d->iris[d->n_iris++] = k;
	}
	return 0;
}

/* ---- driver ------------------------------------------------------------- */

int zt_apply_finish(const struct zt_map_fds *m, struct zt_mirror *mir)
{
	struct zt_apply_tail *d = &mir->tail;
	size_t i, deleted = 0;
	int err;

	if (!d->pending)
		return 0;
	err = zt_sync_rcu();
	if (err) {
		pr_warn("waiting for in-flight packets: %s; stale entries kept\n", strerror(-err));
		mir->valid = false;
		tail_free(d);
		return err;
	}
	for (i = 0; i < d->n_drops; i++) {
		const struct zt_mirror_dst *x = &mir->dsts[d->drops[i]];
		union route_key k;

		route_key(&x->e.pfx, x->e.vnet, &k);
		if (!bpf_map_delete_elem(trie_fd(m, &x->e.pfx), &k))
			deleted++;
	}
	for (i = 0; i < d->n_devs; i++)
		bpf_map_delete_elem(m->devices, &d->devs[i]);
	for (i = 0; i < d->n_iris; i++)
		bpf_map_delete_elem(m->iri, &d->iris[i]);
	err = mirror_commit(mir, d);
	if (err)
		mir->valid = false;
	tail_free(d);
	return err ? err : (int)deleted;
}

int zt_apply(const struct zt_map_fds *m, const struct zt_compiled *c,
	     struct zt_mirror *mir, struct zt_apply_stats *st)
{
	struct zt_mirror tmp = { 0 };
	struct zt_apply_tail *diff;
	struct dev_existing *dex = NULL;
	size_t n_dex = 0, i, cap = 0;
	struct zt_state s;
	__u32 zero = 0, a, t, gen;
	int err;

	memset(st, 0, sizeof(*st));
	if (!mir)
		mir = &tmp;
	zt_apply_finish(m, mir); /* the previous flip's tail first (failed: read back below) */
	diff = &mir->tail;
	if (bpf_map_lookup_elem(m->state, &zero, &s))
		return -errno;
	a = s.active & 1;
	t = !a;
	gen = (s.half[0].generation > s.half[1].generation ? s.half[0].generation
							     : s.half[1].generation) + 1;
	if (!mir->valid) {
		err = mirror_load(m, mir);
		if (err)
			goto out;
	}

	/* Everything the inactive half holds; packets do not read it yet. */
	err = write_arrays(m, c, t, mir);
	if (!err) {
		err = apply_dsts(m, c, t, mir, diff, st);
		if (err)
			unwind_adds(m, diff);
	}
	if (!err)
		err = apply_devs(m, c, t, &dex, &n_dex, st);
	if (!err)
		err = apply_iris(m, c, t);
	if (!err)
		err = stale_iris(m, c, t, diff);
	for (i = 0; !err && i < n_dex; i++)
		if (!dex[i].keep) {
			err = room((void **)&diff->devs, &cap, diff->n_devs + 1, sizeof(*diff->devs));
			if (!err)
				diff->devs[diff->n_devs++] = dex[i].key;
		}
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
	st->dst_deleted = diff->n_drops;
	st->dev_deleted = diff->n_devs;
	mir->active = t;
	mir->settle = 0;
	mir->settle_written = 0;
	diff->pending = true;
	if (mir == &tmp)
		err = zt_apply_finish(m, mir);
	err = err < 0 ? err : 0;
out:
	if (err) {
		mir->valid = false; /* the tries are read back next time */
		tail_free(diff);
	}
	zt_mirror_free(&tmp);
	free(dex);
	return err;
}
