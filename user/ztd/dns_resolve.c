// SPDX-License-Identifier: GPL-2.0
/* dns_resolve.c — the real address behind an IRI of a local tunnel, which
 * the DIRECT path sends its flows to. c-ares resolves the name as the
 * system does (/etc/hosts, DNS) without blocking, on ztd's loop
 * (ares_loop.h); each allocation is asked again when its
 * answer's TTL runs out (origin.c's arithmetic), and answers held for it
 * are released when its address is known. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <ares.h>
#include "ares_loop.h"
#include "clock.h"
#include "log.h"
#include "origin.h"
#include "dns_int.h"

#define RQ_MAX         256    /* resolutions in flight */
#define RES_SCAN_MS    200    /* how often allocations are checked for it */
#define RES_TIMEOUT_MS 1000   /* per try; c-ares doubles it each round of the servers */
#define RES_TRIES      2      /* tries per server: 3 s in all with one server */

/* One resolution of an IRI's name in flight (c-ares' callback argument):
 * the allocation is found again by these, as it may go meanwhile. */
struct rq {
	bool used;
	struct ztd *d;
	char name[ZT_HOSTNAME_MAX + 1];
	__u32 vnet;
	__u8 family;
};

struct dns_res {
	struct ztd *d;
	struct rq rq[RQ_MAX];
	size_t n_rq;
	struct zt_ares a;         /* a.ch NULL: none could be made (tried again
				   * every ZT_ORIGIN_RETRY_MS) */
	__u64 scan_ms, open_ms;
};

/* The origin resolver: the system resolver's semantics (/etc/hosts and DNS
 * in nsswitch.conf's order; resolv.conf's nameservers and options), with
 * dns.origin_resolvers in place of those nameservers when the config names
 * some. Names are asked as they are (no search list: routes name FQDNs).
 * Made anew at each reload, so edits of those files apply from then on. */
static int res_open(struct ztd *d)
{
	struct dns_res *r = d->dns->res;
	struct zt_ares_server srv[ZT_MAX_UPSTREAMS];
	size_t i, n = d->cfg.n_resolvers;
	int err;

	r->open_ms = zt_mono_ms();
	for (i = 0; i < n; i++) {
		const struct zt_cfg_endpoint *e = &d->cfg.resolvers[i];

		srv[i].family = e->family == ZT_AF_INET ? AF_INET : AF_INET6;
		memcpy(srv[i].addr, e->addr, 16);
		srv[i].port = e->port;
	}
	err = zt_ares_open(&r->a, d->loop, RES_TIMEOUT_MS, RES_TRIES, srv, n);
	if (err == ARES_SUCCESS)
		return 0;
	pr_warn("DNS: setting up the origin resolver: %s; names behind IRIs of local tunnels "
		"do not resolve (trying again in %d s)\n", ares_strerror(err),
		ZT_ORIGIN_RETRY_MS / 1000);
	return err == ARES_ENOMEM ? -ENOMEM : -EIO;
}

/* Ends every resolution in flight (each one's callback sees
 * ARES_EDESTRUCTION and leaves its allocation to be asked again). */
static void res_close(struct ztd *d)
{
	zt_ares_close(&d->dns->res->a);
}

/* What a resolution gave (see zt_origin_record), logged when it is news
 * and written to the map when the address changed. */
static void resolve_record(struct ztd *d, struct rq *q, int n, const __u8 *addr, __u32 ttl,
			   bool hosts)
{
	struct ztd_dns *s = d->dns;
	long i = zt_iri_find(&s->pool, q->name, q->vnet, q->family);
	char b[64];
	struct zt_iri *a;
	bool was_ok, first;

	q->used = false;
	s->res->n_rq--;
	if (i < 0)
		return; /* the allocation went meanwhile */
	a = &s->pool.a[i];
	was_ok = a->real_ok;
	first = !a->res_next_ms;
	switch (zt_origin_record(a, n, addr, ttl, hosts, zt_mono_ms())) {
	case ZT_ORIGIN_SAME:
		break;
	case ZT_ORIGIN_NEW:
		inet_ntop(a->family == ZT_AF_INET ? AF_INET : AF_INET6, addr, b, sizeof(b));
		if (hosts)
			pr_info("DNS: %s resolves to %s (/etc/hosts, read again every %u s): "
				"the DIRECT path's target\n", a->name, b, a->real_ttl);
		else
			pr_info("DNS: %s resolves to %s (ttl %u s): the DIRECT path's target\n",
				a->name, b, a->real_ttl);
		dns_iri_real_publish(d, a);
		break;
	case ZT_ORIGIN_NONE:
		if (was_ok || first)
			pr_warn("DNS: %s has no %s address (%s): flows to its IRI are dropped "
				"(reason resolve)\n", a->name, a->family == ZT_AF_INET ? "IPv4" : "IPv6",
				n ? "NXDOMAIN" : "no record");
		dns_iri_real_publish(d, a);
		break;
	case ZT_ORIGIN_FAILED:
		if (!was_ok && first)
			pr_warn("DNS: cannot resolve %s yet (%s): flows to its IRI are dropped "
				"(reason resolve); retrying every %d s\n", a->name,
				n == -ETIMEDOUT ? "no answer" : "the resolver failed",
				ZT_ORIGIN_RETRY_MS / 1000);
		break;
	}
}

/* Whether addr, given with TTL 0 and no CNAME, is name's line in
 * /etc/hosts: c-ares says nothing of where an address came from, and a
 * DNS answer with TTL 0 is rare (it is then kept ZT_ORIGIN_TTL_MIN). */
static bool in_hosts(ares_channel ch, const char *name, int family, const void *addr)
{
	struct hostent *he = NULL;
	bool found = false;
	char **p;

	if (ares_gethostbyname_file(ch, name, family, &he) != ARES_SUCCESS)
		return false;
	for (p = he->h_addr_list; *p && !found; p++)
		found = !memcmp(*p, addr, family == AF_INET ? 4 : 16);
	ares_free_hostent(he);
	return found;
}

/* c-ares' answer for one rq: its first address of the family asked for,
 * with the smallest TTL of the records that led to it. Recorded, then the
 * answers held for it are sent: the IRI's map entry has its real address
 * (or never will soon). */
static void resolved(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	struct rq *q = arg;
	struct ztd *d = q->d;
	struct dns_res *r = d->dns->res;
	const struct ares_addrinfo_node *nd;
	const struct ares_addrinfo_cname *cn;
	__u8 addr[16] = { 0 };
	bool hosts = false;
	int ttl, n;

	(void)timeouts;
	if (status == ARES_EDESTRUCTION) { /* a reload's new channel asks again */
		long i = zt_iri_find(&d->dns->pool, q->name, q->vnet, q->family);

		if (i >= 0)
			d->dns->pool.a[i].res_inflight = false;
		q->used = false;
		r->n_rq--;
		return;
	}
	for (nd = ai && status == ARES_SUCCESS ? ai->nodes : NULL; nd; nd = nd->ai_next)
		if (nd->ai_family == (q->family == ZT_AF_INET ? AF_INET : AF_INET6))
			break;
	if (nd) {
		if (nd->ai_family == AF_INET)
			memcpy(addr, &((const struct sockaddr_in *)nd->ai_addr)->sin_addr, 4);
		else
			memcpy(addr, &((const struct sockaddr_in6 *)nd->ai_addr)->sin6_addr, 16);
		ttl = nd->ai_ttl;
		for (cn = ai->cnames; cn; cn = cn->next)
			if (cn->ttl < ttl)
				ttl = cn->ttl;
		ttl = ttl < 0 ? 0 : ttl; /* RFC 2181: a TTL with the top bit set is 0 */
		hosts = !ttl && !ai->cnames && in_hosts(r->a.ch, q->name, nd->ai_family, addr);
		n = 1;
	} else {
		ttl = 0;
		n = status == ARES_SUCCESS || status == ARES_ENODATA ? 0 :
		    status == ARES_ENOTFOUND || status == ARES_EBADNAME ? -ENOENT :
		    status == ARES_ETIMEOUT ? -ETIMEDOUT : -EAGAIN;
	}
	ares_freeaddrinfo(ai);
	resolve_record(d, q, n, addr, (__u32)ttl, hosts);
	dns_release(d, q->name, q->vnet, q->family);
}

void dns_resolve_start(struct ztd *d, size_t i)
{
	struct dns_res *r = d->dns->res;
	struct zt_iri *a = &d->dns->pool.a[i];
	struct ares_addrinfo_hints h = { .ai_flags = ARES_AI_NOSORT,
					 .ai_family = a->family == ZT_AF_INET ? AF_INET : AF_INET6 };
	struct rq *q = NULL;
	size_t k;

	if (!r->a.ch) {
		a->res_next_ms = zt_mono_ms() + ZT_ORIGIN_RETRY_MS;
		return;
	}
	for (k = 0; k < RQ_MAX && !q; k++)
		if (!r->rq[k].used)
			q = &r->rq[k];
	if (!q)
		return; /* the next scan tries again */
	*q = (struct rq){ .used = true, .d = d, .vnet = a->vnet, .family = a->family };
	snprintf(q->name, sizeof(q->name), "%s", a->name);
	r->n_rq++;
	a->res_inflight = true;
	/* May call resolved() before it returns (a name in /etc/hosts). */
	ares_getaddrinfo(r->a.ch, q->name, NULL, &h, resolved, q);
	zt_ares_arm(&r->a);
}

void dns_resolve_tick(struct ztd *d, __u64 now)
{
	struct ztd_dns *s = d->dns;
	struct dns_res *r = s->res;
	size_t k;

	if (!r->a.ch && r->open_ms + ZT_ORIGIN_RETRY_MS <= now)
		res_open(d);
	if (r->scan_ms + RES_SCAN_MS > now)
		return;
	r->scan_ms = now;
	for (k = 0; k < s->pool.n; k++) {
		struct zt_iri *a = &s->pool.a[k];

		if (!a->res_inflight && a->res_next_ms <= now && dns_iri_local(d, a))
			dns_resolve_start(d, k);
	}
}

int dns_resolve_open(struct ztd *d)
{
	int err;

	d->dns->res = calloc(1, sizeof(*d->dns->res));
	if (!d->dns->res)
		return -ENOMEM;
	d->dns->res->d = d;
	err = ares_library_init(ARES_LIB_INIT_ALL);
	if (err != ARES_SUCCESS)
		return err == ARES_ENOMEM ? -ENOMEM : -EIO;
	res_open(d); /* without it, the rest works (and it is tried again) */
	return 0;
}

/* Other origin_resolvers, or an edited resolv.conf or nsswitch.conf: what
 * is in flight is asked again of the new resolver. */
void dns_resolve_reload(struct ztd *d)
{
	res_close(d);
	res_open(d);
	d->dns->res->scan_ms = 0; /* routes may have moved to a local tunnel */
}

/* Before the pool its callbacks look in is freed. */
void dns_resolve_close(struct ztd *d)
{
	if (!d->dns->res)
		return;
	res_close(d);
	ares_library_cleanup();
	free(d->dns->res);
	d->dns->res = NULL;
}
