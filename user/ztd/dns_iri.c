// SPDX-License-Identifier: GPL-2.0
/* dns_iri.c — ztd's IRI allocations where the kernel sees them: the pool
 * restored from and saved to the state file, each fresh allocation
 * written to the iri map before its answer leaves, the map's last use
 * deciding which allocation may be reused, and the answers the programs
 * may give themselves (dns_cache, dns_listen). The allocation logic is
 * the library's (iri.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include "sort.h"
#include "clock.h"
#include "dnsreply.h"
#include "log.h"
#include "dns_int.h"

#define SAVE_MS 200           /* a changed pool is saved at most this often */

struct dns_iris {
	/* What an IRI resolves to in the policy in force: the last apply's
	 * rule sets by host pattern (only hosts and anydst_set are kept). */
	struct zt_compiled sets;
	char state_path[512];
	__u64 saved_ms;
	bool fast;                /* the programs answer cached names (no DNS log) */
};

static __u64 real_s(void)
{
	return (__u64)time(NULL);
}

static const char *vnet_name(void *arg, __u32 id)
{
	struct ztd *d = arg;

	return id && id <= d->cfg.n_vnets ? d->cfg.vnets[id - 1].name : NULL;
}

static __u32 vnet_id(void *arg, const char *name)
{
	struct ztd *d = arg;
	size_t i;

	for (i = 0; i < d->cfg.n_vnets; i++)
		if (!strcmp(d->cfg.vnets[i].name, name))
			return (__u32)i + 1;
	return 0;
}

static void iri_key(const struct zt_iri *a, struct zt_iri_key *k)
{
	memset(k, 0, sizeof(*k));
	k->vnet_id = a->vnet;
	k->family = a->family;
	memcpy(k->addr, a->addr, 16);
}

static void iri_dst(struct ztd *d, const struct zt_compiled *c, const struct zt_iri *a,
		    long r, struct zt_dst *dst)
{
	const struct zt_cfg_host_route *hr = &d->cfg.host_routes[r];

	zt_compiled_iri_dst(c, a->name, ZT_ROUTE_ID_HOST | (__u32)(r + 1), hr->tunnel,
			    d->cfg.tunnels[hr->tunnel - 1].local, dst);
}

/* The answer cache's key for a name (lower case, as allocations and
 * queries hold it); -1 when it is longer than the cache holds. */
static int cache_key(const char *name, __u32 vnet, __u16 qtype, struct zt_dns_key *k)
{
	int n;

	memset(k, 0, sizeof(*k));
	n = zt_dns_name_to_wire(name, k->name, sizeof(k->name));
	if (n < 0)
		return -1;
	k->len = (__u8)n;
	k->vnet = vnet;
	k->qtype = qtype;
	return 0;
}

/* Is an allocation the pool would reuse still in use? Answered by the
 * programs or reached by a packet (the map entry's last_ns, which the
 * programs refresh) within the reuse time: yes. No walk over the flows. */
static bool iri_in_use(void *arg, const struct zt_iri *a)
{
	struct ztd *d = arg;
	__u64 idle_ns = d->dns->pool.idle_s * 1000000000ULL, now = zt_bpf_now_ns();
	struct zt_iri_key k;
	struct zt_iri_val v;
	struct zt_dns_key ck;
	struct zt_dns_val cv;

	/* Answered by the programs lately: as busy as answered by ztd. Not:
	 * it may be given to another name, so the programs must forget it. */
	if (!cache_key(a->name, a->vnet, a->family == ZT_AF_INET ? ZT_DNS_T_A : ZT_DNS_T_AAAA,
		       &ck) && !bpf_map_lookup_elem(d->b.m.dns_cache, &ck, &cv)) {
		if (cv.last_ns + idle_ns > now)
			return true;
		bpf_map_delete_elem(d->b.m.dns_cache, &ck);
	}
	iri_key(a, &k);
	return !bpf_map_lookup_elem(d->b.m.iri, &k, &v) && v.last_ns && v.last_ns + idle_ns > now;
}

long dns_iri_get(struct ztd *d, const char *name, __u32 vnet, __u8 family, __u32 owner,
		 bool *fresh)
{
	return zt_iri_get(&d->dns->pool, name, vnet, family, real_s(), iri_in_use, d, owner,
			  fresh);
}

/* A fresh allocation goes into the map, both halves alike, before its
 * answer is sent (the next apply rewrites the inactive one anyway). */
int dns_iri_publish(struct ztd *d, const struct zt_iri *a, long r)
{
	struct zt_iri_key k;
	struct zt_iri_val v;

	/* A new epoch and no last use: flows and translations made for
	 * the name this address had are decided again. */
	memset(&v, 0, sizeof(v));
	v.epoch = a->epoch;
	iri_dst(d, &d->dns->iri->sets, a, r, &v.half[0]);
	v.half[1] = v.half[0];
	v.real_ok = a->real_ok;
	v.real_ttl = a->real_ttl;
	memcpy(v.real, a->real, 16);
	iri_key(a, &k);
	return bpf_map_update_elem(d->b.m.iri, &k, &v, BPF_ANY) ? -errno : 0;
}

/* The map entry follows the allocation's real address. */
void dns_iri_real_publish(struct ztd *d, const struct zt_iri *a)
{
	struct zt_iri_key k;
	struct zt_iri_val v;

	iri_key(a, &k);
	if (bpf_map_lookup_elem(d->b.m.iri, &k, &v))
		return; /* not routed now: the next apply writes it */
	v.real_ok = a->real_ok;
	v.real_ttl = a->real_ttl;
	memcpy(v.real, a->real, 16);
	bpf_map_update_elem(d->b.m.iri, &k, &v, BPF_EXIST);
}

int ztd_dns_iris(struct ztd *d, const struct zt_config *cfg, struct zt_compiled *c)
{
	struct ztd_dns *s = d->dns;
	struct zt_dns_table t;
	size_t i;
	int err;

	/* The allocations are checked against the new config's routes. */
	err = zt_dns_table_build(cfg, &t);
	if (err)
		return err;
	c->iris = calloc(s->pool.n + 1, sizeof(*c->iris));
	if (!c->iris) {
		zt_dns_table_free(&t);
		return -ENOMEM;
	}
	for (i = 0; i < s->pool.n; i++) {
		const struct zt_iri *a = &s->pool.a[i];
		long r = zt_host_index_find(&t.routes, a->name, a->vnet);
		const struct zt_cfg_host_route *hr;
		struct zt_iri_entry *e;

		struct zt_prefix h = { .family = a->family,
				       .len = a->family == ZT_AF_INET ? 32 : 128 };

		memcpy(h.addr, a->addr, 16);
		if (r < 0 || !zt_prefix_contains(a->family == ZT_AF_INET ? &cfg->iri4 : &cfg->iri6, &h))
			continue; /* not routed now (kept for when its route returns),
				   * or outside the new pool (released at the swap) */
		hr = &cfg->host_routes[r];
		e = &c->iris[c->n_iris++];
		iri_key(a, &e->key);
		zt_compiled_iri_dst(c, a->name, ZT_ROUTE_ID_HOST | (__u32)(r + 1), hr->tunnel,
				    cfg->tunnels[hr->tunnel - 1].local, &e->dst);
		e->resolved = a->real_ok;
		e->epoch = a->epoch;
		e->real_ttl = a->real_ttl;
		memcpy(e->real, a->real, 16);
	}
	zt_qsort(c->iris, c->n_iris, sizeof(*c->iris), zt_iri_key_cmp);
	zt_dns_table_free(&t);
	return 0;
}

void ztd_dns_applied(struct ztd *d, const struct zt_compiled *c)
{
	struct dns_iris *ir = d->dns->iri;
	struct zt_host_set *h = malloc((c->n_hosts + 1) * sizeof(*h));

	if (!h)
		return; /* keep the previous sets: new IRIs get older rule sets */
	memcpy(h, c->hosts, c->n_hosts * sizeof(*h));
	free(ir->sets.hosts);
	ir->sets.hosts = h;
	ir->sets.n_hosts = c->n_hosts;
	ir->sets.anydst_set = c->anydst_set;
}

bool ztd_dns_iri_name(const struct ztd *d, __u8 family, const __u8 *addr, struct zt_iri *out)
{
	long i;

	if (!d->dns)
		return false;
	i = zt_iri_find_addr(&d->dns->pool, family, addr);
	if (i < 0)
		return false;
	*out = d->dns->pool.a[i];
	return true;
}

bool dns_iri_local(const struct ztd *d, const struct zt_iri *a)
{
	long r = zt_host_index_find(&d->dns->table.routes, a->name, a->vnet);

	return r >= 0 && d->cfg.tunnels[d->cfg.host_routes[r].tunnel - 1].local;
}

void dns_iri_rr(const struct ztd *d, const struct zt_iri *a, __u16 qtype,
		struct zt_dns_rr *rr, char *ans, size_t n)
{
	/* The server asks for an allocation of qtype's family: never -EINVAL. */
	zt_dns_addr_rr(qtype, a->family, a->addr, d->cfg.dns_ttl, rr);
	inet_ntop(a->family == ZT_AF_INET ? AF_INET : AF_INET6, a->addr, ans, (socklen_t)n);
}

/* Caches an IRI answer for the programs to give themselves (bpf/lib/dns.h),
 * when nothing but the vnet decides it and ztd need not see the query (no
 * DNS log, the real address known for a local tunnel). q->name is lower
 * case, as the programs make the name they look up. */
void dns_cache_put(struct ztd *d, const struct zt_dns_query *q, const struct zt_iri *a)
{
	struct zt_dns_val v = { .ttl = d->cfg.dns_ttl, .generation = d->generation,
				.last_ns = zt_bpf_now_ns() };
	struct zt_dns_key k;

	if (!d->dns->iri->fast || (dns_iri_local(d, a) && !a->real_ok) ||
	    !zt_dns_same_for_all(&d->cfg, q->name) || cache_key(q->name, a->vnet, q->qtype, &k))
		return;
	memcpy(v.addr, a->addr, 16);
	bpf_map_update_elem(d->b.m.dns_cache, &k, &v, BPF_ANY);
}

/* Which of ztd's listen addresses the programs answer on: every IPv4 one
 * (UDP), unless ztd must log every query (dns log), then none. */
void dns_cache_listen_sync(struct ztd *d)
{
	struct zt_dns_listen_key k, next;
	__u8 one = 1;
	size_t i;

	while (!bpf_map_get_next_key(d->b.m.dns_listen, NULL, &next))
		if (bpf_map_delete_elem(d->b.m.dns_listen, &next))
			break;
	d->dns->iri->fast = !d->cfg.dns_log;
	for (i = 0; d->dns->iri->fast && i < d->cfg.n_dns_listen; i++) {
		const struct zt_cfg_endpoint *ep = &d->cfg.dns_listen[i];

		/* Not a wildcard: the programs would answer queries to any
		 * address, every resolver a client asks through zt. */
		if (ep->family != ZT_AF_INET || !memcmp(ep->addr, "\0\0\0\0", 4))
			continue;
		memset(&k, 0, sizeof(k));
		k.family = ZT_AF_INET;
		k.port = htons(ep->port);
		memcpy(k.addr, ep->addr, 4);
		bpf_map_update_elem(d->b.m.dns_listen, &k, &one, BPF_ANY);
	}
}

/* The highest epoch in the kernel's IRI map: with the state file lost,
 * an address the map still pairs with a name must get a new one. */
static __u32 map_epoch_max(struct ztd *d)
{
	struct zt_iri_key k, next;
	struct zt_iri_val v;
	void *prev = NULL;
	__u32 max = 0;

	while (!bpf_map_get_next_key(d->b.m.iri, prev, &next)) {
		k = next;
		prev = &k;
		if (!bpf_map_lookup_elem(d->b.m.iri, &k, &v) && v.epoch > max)
			max = v.epoch;
	}
	return max;
}

int dns_iri_open(struct ztd *d)
{
	struct ztd_dns *s = d->dns;
	struct dns_iris *ir = calloc(1, sizeof(*ir));
	size_t skipped = 0;
	int err;

	if (!ir)
		return -ENOMEM;
	s->iri = ir;
	err = zt_iri_pool_init(&s->pool, &d->cfg.iri4, &d->cfg.iri6, ZT_MAX_IRIS,
			       d->cfg.iri_reuse_s);
	if (err)
		return err;
	s->pool.owner_max = d->cfg.iri_wild_per_user;
	snprintf(ir->state_path, sizeof(ir->state_path), "%s/iri.state", d->cfg.state_dir);
	err = zt_iri_load(&s->pool, ir->state_path, vnet_id, d, &skipped);
	if (err && err != -ENOENT)
		pr_warn("DNS: reading %s: %s; starting with no IRI allocations\n", ir->state_path,
			strerror(-err));
	else if (!err)
		pr_info("DNS: %zu IRI allocations restored from %s%s\n", s->pool.n, ir->state_path,
			skipped ? " (some lines skipped: outside the pools or unknown vnets)" : "");
	zt_iri_epoch_floor(&s->pool, map_epoch_max(d));
	return 0;
}

void dns_iri_reload(struct ztd *d)
{
	struct ztd_dns *s = d->dns;
	size_t dropped;

	s->pool.idle_s = d->cfg.iri_reuse_s;
	s->pool.owner_max = d->cfg.iri_wild_per_user;
	/* Owners are user indexes, which a new config may give to others:
	 * counting starts again (each user may take its share once more). */
	zt_iri_pool_disown(&s->pool);
	dropped = zt_iri_pool_reprefix(&s->pool, &d->cfg.iri4, &d->cfg.iri6);
	if (dropped)
		pr_info("DNS: %zu IRI allocations outside the new pools released\n", dropped);
	snprintf(s->iri->state_path, sizeof(s->iri->state_path), "%s/iri.state",
		 d->cfg.state_dir);
}

static void save_state(struct ztd *d)
{
	struct ztd_dns *s = d->dns;
	struct dns_iris *ir = s->iri;
	int err;

	if (!s->pool.dirty)
		return;
	mkdir(d->cfg.state_dir, 0700);
	err = zt_iri_save(&s->pool, ir->state_path, vnet_name, d);
	if (err)
		pr_warn("DNS: saving IRI allocations to %s: %s\n", ir->state_path, strerror(-err));
	else
		s->pool.dirty = false;
	ir->saved_ms = zt_mono_ms();
}

void dns_iri_tick(struct ztd *d, __u64 now)
{
	if (d->dns->pool.dirty && d->dns->iri->saved_ms + SAVE_MS < now)
		save_state(d);
}

void dns_iri_close(struct ztd *d)
{
	struct ztd_dns *s = d->dns;

	if (s->iri) {
		save_state(d);
		free(s->iri->sets.hosts);
		free(s->iri);
		s->iri = NULL;
	}
	zt_iri_pool_free(&s->pool);
}
