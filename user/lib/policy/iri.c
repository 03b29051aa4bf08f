// SPDX-License-Identifier: GPL-2.0
/* iri.c — see iri.h. Two open-addressing indexes (by name, by address)
 * over one array; they are rebuilt whole when an allocation is reused or
 * dropped, which only happens when the pool is full or on a reload. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include "file.h"
#include "hash.h"
#include "iri.h"
#include "zt_abi.h"

static int fam_idx(__u8 family)
{
	return family == ZT_AF_INET6;
}

static __u64 name_hash(const char *name, __u32 vnet, __u8 family)
{
	return zt_hash64(name, strlen(name), ((__u64)vnet << 8 | family) * 0x9e3779b97f4a7c15ULL);
}

static __u64 addr_hash(__u8 family, const __u8 *addr)
{
	return zt_hash64(addr, 16, family);
}

static void index_add(struct zt_iri_pool *p, size_t i)
{
	const struct zt_iri *a = &p->a[i];
	size_t s;

	for (s = name_hash(a->name, a->vnet, a->family) % p->slots; p->by_name[s];
	     s = (s + 1) % p->slots)
		;
	p->by_name[s] = (__u32)i + 1;
	for (s = addr_hash(a->family, a->addr) % p->slots; p->by_addr[s]; s = (s + 1) % p->slots)
		;
	p->by_addr[s] = (__u32)i + 1;
}

/* Room for one more allocation: index p->n is then usable. */
static int room(struct zt_iri_pool *p)
{
	size_t nc = p->cap ? 2 * p->cap : 64;
	struct zt_iri *q;

	if (p->n < p->cap)
		return 0;
	q = realloc(p->a, nc * sizeof(*q));
	if (!q)
		return -ENOMEM;
	p->a = q;
	p->cap = nc;
	return 0;
}

/* An allocation of owner's made (d 1) or gone (d -1); d 0 makes room for
 * owner's count. */
static int own(struct zt_iri_pool *p, __u32 owner, int d)
{
	__u32 *q;

	if (!owner)
		return 0;
	if (owner >= p->n_owned) {
		if (d < 0)
			return 0;
		q = realloc(p->owned, ((size_t)owner + 1) * sizeof(*q));
		if (!q)
			return -ENOMEM;
		memset(q + p->n_owned, 0, ((size_t)owner + 1 - p->n_owned) * sizeof(*q));
		p->owned = q;
		p->n_owned = (size_t)owner + 1;
	}
	if (d > 0)
		p->owned[owner]++;
	else if (d < 0 && p->owned[owner])
		p->owned[owner]--;
	return 0;
}

static void reindex(struct zt_iri_pool *p)
{
	size_t i;

	memset(p->by_name, 0, p->slots * sizeof(*p->by_name));
	memset(p->by_addr, 0, p->slots * sizeof(*p->by_addr));
	for (i = 0; i < p->n; i++)
		index_add(p, i);
}

int zt_iri_pool_init(struct zt_iri_pool *p, const struct zt_prefix *v4,
		     const struct zt_prefix *v6, size_t max, __u64 idle_s)
{
	memset(p, 0, sizeof(*p));
	p->pfx[0] = *v4;
	p->pfx[1] = *v6;
	p->max = max;
	p->idle_s = idle_s;
	p->next[0] = p->next[1] = 1; /* offset 0 is the network address */
	p->slots = 2 * max + 1;
	p->by_name = calloc(p->slots, sizeof(*p->by_name));
	p->by_addr = calloc(p->slots, sizeof(*p->by_addr));
	if (!p->by_name || !p->by_addr) {
		zt_iri_pool_free(p);
		return -ENOMEM;
	}
	return 0;
}

void zt_iri_pool_free(struct zt_iri_pool *p)
{
	free(p->owned);
	free(p->a);
	free(p->by_name);
	free(p->by_addr);
	memset(p, 0, sizeof(*p));
}

void zt_iri_pool_disown(struct zt_iri_pool *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		p->a[i].owner = 0;
	free(p->owned);
	p->owned = NULL;
	p->n_owned = 0;
}

static bool in_pool(const struct zt_iri_pool *p, __u8 family, const __u8 *addr)
{
	struct zt_prefix h = { .family = family, .len = family == ZT_AF_INET ? 32 : 128 };
	const struct zt_prefix *pl = &p->pfx[fam_idx(family)];

	memcpy(h.addr, addr, 16);
	return pl->family == family && zt_prefix_contains(pl, &h);
}

size_t zt_iri_pool_reprefix(struct zt_iri_pool *p, const struct zt_prefix *v4,
			    const struct zt_prefix *v6)
{
	size_t i, k = 0;

	p->pfx[0] = *v4;
	p->pfx[1] = *v6;
	for (i = 0; i < p->n; i++) {
		if (in_pool(p, p->a[i].family, p->a[i].addr))
			p->a[k++] = p->a[i];
		else
			own(p, p->a[i].owner, -1);
	}
	if (k == p->n)
		return 0;
	i = p->n - k;
	p->n = k;
	p->dirty = true;
	reindex(p);
	return i;
}

static long find_name(const struct zt_iri_pool *p, const char *name, __u32 vnet, __u8 family)
{
	size_t s;

	for (s = name_hash(name, vnet, family) % p->slots; p->by_name[s]; s = (s + 1) % p->slots) {
		const struct zt_iri *a = &p->a[p->by_name[s] - 1];

		if (a->vnet == vnet && a->family == family && !strcmp(a->name, name))
			return (long)p->by_name[s] - 1;
	}
	return -1;
}

long zt_iri_find(const struct zt_iri_pool *p, const char *name, __u32 vnet, __u8 family)
{
	return find_name(p, name, vnet, family);
}

long zt_iri_find_addr(const struct zt_iri_pool *p, __u8 family, const __u8 *addr)
{
	size_t s;

	for (s = addr_hash(family, addr) % p->slots; p->by_addr[s]; s = (s + 1) % p->slots) {
		const struct zt_iri *a = &p->a[p->by_addr[s] - 1];

		if (a->family == family && !memcmp(a->addr, addr, 16))
			return (long)p->by_addr[s] - 1;
	}
	return -1;
}

/* Pool address at offset off (host part), or false past the end. IPv4
 * leaves out the network and broadcast addresses. */
static bool pool_addr(const struct zt_prefix *pl, __u64 off, __u8 *addr)
{
	int bits = (pl->family == ZT_AF_INET ? 32 : 128) - pl->len, i;
	__u64 size = bits >= 63 ? ~0ULL : (1ULL << bits);

	if (pl->family == ZT_AF_INET) {
		if (off == 0 || off >= size - 1)
			return false;
	} else if (off == 0 || off >= size) {
		return false;
	}
	memcpy(addr, pl->addr, 16);
	for (i = 15; i >= 0 && off; i--, off >>= 8)
		addr[i - (pl->family == ZT_AF_INET ? 12 : 0)] |= (__u8)off;
	return true;
}

/* A free address: from the next offset on, wrapping to the first. */
static bool free_addr(struct zt_iri_pool *p, __u8 family, __u8 *addr)
{
	int f = fam_idx(family);
	__u64 tries;

	for (tries = 0; tries < p->max + 2; tries++) {
		memset(addr, 0, 16);
		if (!pool_addr(&p->pfx[f], p->next[f], addr)) {
			if (p->next[f] <= 1)
				return false; /* not even one address */
			p->next[f] = 1;
			continue;
		}
		p->next[f]++;
		if (zt_iri_find_addr(p, family, addr) < 0)
			return true;
	}
	return false;
}

long zt_iri_get(struct zt_iri_pool *p, const char *name, __u32 vnet, __u8 family, __u64 now,
		bool (*in_use)(void *arg, const struct zt_iri *iri), void *arg, __u32 owner,
		bool *fresh)
{
	struct zt_iri *a;
	__u8 addr[16];
	long i = find_name(p, name, vnet, family), best = -1;
	size_t j;

	*fresh = false;
	if (i >= 0) {
		p->a[i].last_answer = now;
		return i;
	}
	if (p->pfx[fam_idx(family)].family != family || strlen(name) > ZT_HOSTNAME_MAX)
		return -EAFNOSUPPORT;
	if (owner && p->owner_max && owner < p->n_owned && p->owned[owner] >= p->owner_max)
		return -EDQUOT;
	if (own(p, owner, 0))
		return -ENOMEM; /* room for its count, before anything changes */
	if (p->n < p->max && free_addr(p, family, addr)) {
		if (room(p))
			return -ENOMEM;
		i = (long)p->n++;
		a = &p->a[i];
		memset(a, 0, sizeof(*a));
		memcpy(a->addr, addr, 16);
		a->family = family;
	} else {
		/* Full: reuse the allocation unanswered longest, if idle and
		 * no flow still uses it. */
		for (j = 0; j < p->n; j++) {
			const struct zt_iri *c = &p->a[j];

			if (c->family != family || c->last_answer + p->idle_s > now)
				continue;
			if (best >= 0 && c->last_answer >= p->a[best].last_answer)
				continue;
			if (in_use && in_use(arg, c))
				continue;
			best = (long)j;
		}
		if (best < 0)
			return -ENOSPC;
		i = best;
		a = &p->a[i];
		/* A new name: what was resolved for the old one is void. */
		own(p, a->owner, -1);
		memset(a->real, 0, sizeof(a->real));
		a->real_ok = a->res_inflight = false;
		a->real_ttl = 0;
		a->res_next_ms = 0;
	}
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->vnet = vnet;
	a->last_answer = now;
	a->owner = owner;
	own(p, owner, 1);
	a->epoch = ++p->epoch ? p->epoch : ++p->epoch;
	if (best >= 0)
		reindex(p);
	else
		index_add(p, (size_t)i);
	p->dirty = true;
	*fresh = true;
	return i;
}

int zt_iri_save(const struct zt_iri_pool *p, const char *path,
		const char *(*vnet_name)(void *arg, __u32 id), void *arg)
{
	char *tmp = NULL, a[64];
	size_t i;
	FILE *f;
	int err = 0;

	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	f = fopen(tmp, "we");
	if (!f) {
		err = -errno;
		goto out;
	}
	fprintf(f, "# zt IRI allocations: family address vnet name last_answer epoch\n");
	for (i = 0; i < p->n; i++) {
		const struct zt_iri *x = &p->a[i];
		const char *vn = vnet_name(arg, x->vnet);

		if (!vn)
			continue;
		inet_ntop(x->family == ZT_AF_INET ? AF_INET : AF_INET6, x->addr, a, sizeof(a));
		fprintf(f, "%s %s %s %s %llu %u\n", x->family == ZT_AF_INET ? "ipv4" : "ipv6", a, vn,
			x->name, (unsigned long long)x->last_answer, x->epoch);
	}
	err = zt_file_commit(f, tmp, path);
out:
	free(tmp);
	return err;
}

int zt_iri_load(struct zt_iri_pool *p, const char *path,
		__u32 (*vnet_id)(void *arg, const char *name), void *arg, size_t *skipped)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "re");

	*skipped = 0;
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char fam[8], addr[64], vn[256], name[ZT_HOSTNAME_MAX + 1], norm[ZT_HOSTNAME_MAX + 1];
		unsigned long long last;
		unsigned epoch = 0;
		struct zt_iri *x;
		const char *why;
		__u8 family, a[16] = { 0 };
		__u32 vnet;

		if (line[0] == '#')
			continue;
		if (sscanf(line, "%7s %63s %255s %253s %llu %u", fam, addr, vn, name, &last,
			   &epoch) < 5 ||
		    (strcmp(fam, "ipv4") && strcmp(fam, "ipv6"))) {
			(*skipped)++;
			continue;
		}
		family = fam[3] == '4' ? ZT_AF_INET : ZT_AF_INET6;
		vnet = vnet_id(arg, vn);
		if (!vnet || inet_pton(family == ZT_AF_INET ? AF_INET : AF_INET6, addr, a) != 1 ||
		    !in_pool(p, family, a) || zt_hostname_norm(name, false, norm, &why) ||
		    zt_iri_find_addr(p, family, a) >= 0 || find_name(p, norm, vnet, family) >= 0 ||
		    p->n >= p->max) {
			(*skipped)++;
			continue;
		}
		if (room(p))
			break;
		x = &p->a[p->n];
		memset(x, 0, sizeof(*x));
		snprintf(x->name, sizeof(x->name), "%s", norm);
		x->vnet = vnet;
		x->family = family;
		memcpy(x->addr, a, 16);
		x->last_answer = last;
		x->epoch = epoch;
		if (epoch > p->epoch)
			p->epoch = epoch;
		index_add(p, p->n++);
	}
	free(line);
	fclose(f);
	return 0;
}

void zt_iri_epoch_floor(struct zt_iri_pool *p, __u32 floor)
{
	size_t i;

	if (p->epoch < floor)
		p->epoch = floor;
	for (i = 0; i < p->n; i++)
		if (!p->a[i].epoch)
			p->a[i].epoch = ++p->epoch ? p->epoch : ++p->epoch;
}
