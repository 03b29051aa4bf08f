// SPDX-License-Identifier: GPL-2.0
/* dns.c — ztd's DNS server: UDP and TCP on gateway.dns_listen. A query is
 * read with the bounds-checked codec, decided by dnspolicy (policy, then
 * hostname routes, then upstreams), and answered at once — or, when
 * forwarded, when the upstream answers or its timeout passes. Nothing
 * blocks: sockets are non-blocking, TCP clients are buffered and dropped
 * when idle, so a bad or slow client never delays the others, and each
 * client address has a bounded share of the TCP slots and of the queries
 * waiting, so none can take them all. A forwarded query goes from a
 * socket of its own (a random port, a random id: RFC 5452). Hostname
 * answers come from the IRI pool; a fresh IRI is in the kernel's iri map
 * before its answer leaves, and on a local tunnel the answer also waits
 * (up to HOLD_MS) for the name's real address to be there. That address
 * comes from c-ares, which resolves as the system does (/etc/hosts, DNS)
 * without blocking, its sockets polled in the same loop. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <ares.h>
#include <bpf/bpf.h>
#include "dns.h"
#include "dnspolicy.h"
#include "iri.h"
#include "clock.h"
#include "log.h"
#include "ztd.h"

#define TCP_IDLE_MS   10000   /* a TCP client without a whole message this long is closed */
#define TCP_OUT_MAX   (256 * 1024) /* a client not reading its answers is closed */
#define UDP_BATCH     32      /* datagrams per recvmmsg/sendmmsg */
#define UDP_ROUNDS    4       /* batches per socket per loop turn */
#define UP_READS      4       /* datagrams read per forwarded query's socket per turn */
/* Resolving the real addresses behind IRIs of local tunnels */
#define RQ_MAX        256     /* resolutions in flight */
#define RES_SCAN_MS   200     /* how often allocations are checked for it */
#define RES_TIMEOUT_MS 1000   /* per try; c-ares doubles it each round of the servers */
#define RES_TRIES     2       /* tries per server: 3 s in all with one server */
#define HOLD_MS       1000    /* an IRI answer waits this long at most for its real address */
#define RES_RETRY_MS  5000    /* after a timeout or SERVFAIL (the old address kept) */
#define RES_NEG_MS    30000   /* after NXDOMAIN or no address */
#define RES_TTL_MIN   5
#define RES_TTL_MAX   3600
#define RES_HOSTS_S   60      /* /etc/hosts has no TTL: read again this often */

_Static_assert(ZTD_DNS_RES_FDS == ARES_GETSOCK_MAXNUM, "ztd_dns_pollfds has room for ares_getsock");

struct tcp_client {
	int fd;
	__u32 gen;                /* forwarded answers find the client by this */
	__u64 last_ms;
	/* ifindex: where the query arrived (IP_PKTINFO; 0 for TCP, whose
	 * handshake already ties it to the link its address is routed on). */
	struct src { __u8 family, addr[16]; __u16 port; __u32 ifindex; } from;
	__u8 in[2 + ZT_DNS_TCP_MAX];
	size_t in_len;
	__u8 *out;
	size_t out_len, out_cap;
	bool closing;             /* dropped: closed once the caller is done with it */
};

struct pending {
	bool used;
	__u16 id;                 /* the id sent upstream */
	size_t up;                /* index into upstreams */
	int fd;                   /* forwarded: its own socket, connect()ed to the
				   * upstream (a fresh port per try); else -1 */
	bool retried;
	__u64 deadline_ms;
	struct zt_dns_query q;
	struct src from;
	int ufd;                  /* UDP: the socket the query came on; -1: TCP */
	int slot;                 /* TCP: the client's slot, -1: UDP */
	__u32 tcp_gen;            /* and its generation (the slot may be reused) */
	long device;
	/* Not forwarded: an IRI answer held until ztd knows the name's real
	 * address (hold()), for the allocation {q.name, vnet, q's family}. */
	bool hold;
	__u32 vnet;
	long route;
};

/* One resolution of an IRI's name in flight (c-ares' callback argument):
 * the allocation is found again by these, as it may go meanwhile. */
struct rq {
	bool used;
	struct ztd *d;
	char name[ZT_HOSTNAME_MAX + 1];
	__u32 vnet;
	__u8 family;
};

struct ztd_dns {
	int udp[ZT_MAX_DNS_LISTEN], tcp[ZT_MAX_DNS_LISTEN];
	struct zt_cfg_endpoint ep[ZT_MAX_DNS_LISTEN];
	size_t n;
	struct tcp_client *clients[ZTD_DNS_TCP_MAX];
	__u32 tcp_gen;
	struct pending pend[ZTD_DNS_PENDING];
	size_t n_pending;         /* used entries: the timeout scan is skipped at 0 */
	/* Where ztd_dns_pollfds put the forwarded queries' sockets: from
	 * pfd_up_at on, pfd_pend[k] is the pending entry of the k-th. */
	size_t pfd_up_at, n_pfd_up;
	__u16 pfd_pend[ZTD_DNS_PENDING];
	struct rq rq[RQ_MAX];
	size_t n_rq;
	ares_channel res;         /* NULL: none could be made (tried again every RES_RETRY_MS) */
	__u64 res_scan_ms, res_open_ms;
	ares_socket_t res_fds[ZTD_DNS_RES_FDS]; /* what ztd_dns_pollfds gave poll */
	size_t n_res_fds;
	struct zt_dns_table table;
	struct zt_iri_pool pool;
	/* What an IRI resolves to in the policy in force: the last apply's
	 * rule sets by host pattern (only hosts and anydst_set are kept). */
	struct zt_compiled sets;
	char state_path[512];
	__u64 saved_ms;
	FILE *log;
	bool fast;                /* the programs answer cached names (no DNS log) */
	struct ztd_dns_stats st;
	/* Answers to one batch of datagrams, sent with one sendmmsg. */
	struct {
		size_t n;
		__u8 buf[UDP_BATCH][ZT_DNS_UDP_MAX];
		size_t len[UDP_BATCH];
		struct sockaddr_storage to[UDP_BATCH];
		socklen_t tolen[UDP_BATCH];
	} out;
	__u8 in[UDP_BATCH][ZT_DNS_UDP_MAX];
	/* IRIs flows use, gathered once per exhausted allocation */
};

static __u64 real_s(void)
{
	return (__u64)time(NULL);
}

static socklen_t to_sockaddr(__u8 family, const __u8 *addr, __u16 port,
			     struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == ZT_AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		memcpy(&s->sin_addr, addr, 4);
		return sizeof(*s);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	memcpy(&s6->sin6_addr, addr, 16);
	return sizeof(*s6);
}

/* The gateway interface (index + 1) a datagram came in on: its device
 * is the one declared there. A query that came in elsewhere (not a
 * gateway interface) is nobody's: 0 is kept for TCP only. */
static __u32 src_iface(const struct ztd *d, const struct src *from)
{
	size_t i;

	if (!from->ifindex)
		return 0;
	for (i = 0; i < d->cfg.n_client_ifaces; i++)
		if (d->ifindex[i] == from->ifindex)
			return (__u32)i + 1;
	return (__u32)-1;
}

/* The ifindex a datagram arrived on, from its IP_PKTINFO/IPV6_PKTINFO
 * (bind_one asks for them on every UDP listener). */
static __u32 pktinfo_ifindex(struct msghdr *m)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
			return (__u32)((struct in_pktinfo *)CMSG_DATA(c))->ipi_ifindex;
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO)
			return ((struct in6_pktinfo *)CMSG_DATA(c))->ipi6_ifindex;
	}
	return (__u32)-1; /* not said: no interface's, so nobody's */
}

static void from_sockaddr(const struct sockaddr_storage *ss, struct src *s)
{
	memset(s, 0, sizeof(*s));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		s->family = ZT_AF_INET;
		memcpy(s->addr, &a->sin_addr, 4);
		s->port = ntohs(a->sin_port);
	} else {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		s->family = ZT_AF_INET6;
		memcpy(s->addr, &a->sin6_addr, 16);
		s->port = ntohs(a->sin6_port);
	}
}

/* The same client: its address, whatever the port (shares are per host). */
static bool same_host(const struct src *a, const struct src *b)
{
	return a->family == b->family && !memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* ---- IRIs ------------------------------------------------------------------ */

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

/* A fresh allocation goes into the map, both halves alike, before its
 * answer is sent (the next apply rewrites the inactive one anyway). */
static int iri_publish(struct ztd *d, const struct zt_iri *a, long r)
{
	struct zt_iri_key k;
	struct zt_iri_val v;

	/* A new epoch and no last use: flows and translations made for
	 * the name this address had are decided again. */
	memset(&v, 0, sizeof(v));
	v.epoch = a->epoch;
	iri_dst(d, &d->dns->sets, a, r, &v.half[0]);
	v.half[1] = v.half[0];
	v.real_ok = a->real_ok;
	v.real_ttl = a->real_ttl;
	memcpy(v.real, a->real, 16);
	iri_key(a, &k);
	return bpf_map_update_elem(d->b.m.iri, &k, &v, BPF_ANY) ? -errno : 0;
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
	qsort(c->iris, c->n_iris, sizeof(*c->iris), zt_iri_key_cmp);
	zt_dns_table_free(&t);
	return 0;
}

void ztd_dns_applied(struct ztd *d, const struct zt_compiled *c)
{
	struct ztd_dns *s = d->dns;
	struct zt_host_set *h = malloc((c->n_hosts + 1) * sizeof(*h));

	if (!h)
		return; /* keep the previous sets: new IRIs get older rule sets */
	memcpy(h, c->hosts, c->n_hosts * sizeof(*h));
	free(s->sets.hosts);
	s->sets.hosts = h;
	s->sets.n_hosts = c->n_hosts;
	s->sets.anydst_set = c->anydst_set;
}

/* ---- the real address behind an IRI (local tunnels) ------------------------------ */

/* The origin resolver: the system resolver's semantics (/etc/hosts and DNS
 * in nsswitch.conf's order; resolv.conf's nameservers and options), with
 * dns.origin_resolvers in place of those nameservers when the config names
 * some. Names are asked as they are (no search list: routes name FQDNs).
 * Made anew at each reload, so edits of those files apply from then on. */
static int res_open(struct ztd *d)
{
	struct ztd_dns *s = d->dns;
	struct ares_options o = { .timeout = RES_TIMEOUT_MS, .tries = RES_TRIES, .ndomains = 0 };
	struct ares_addr_port_node srv[ZT_MAX_UPSTREAMS];
	size_t i, n = d->cfg.n_resolvers;
	int err;

	s->res_open_ms = zt_mono_ms();
	err = ares_init_options(&s->res, &o, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_DOMAINS);
	if (err != ARES_SUCCESS) {
		s->res = NULL;
		goto fail;
	}
	for (i = 0; i < n; i++) {
		const struct zt_cfg_endpoint *e = &d->cfg.resolvers[i];

		memset(&srv[i], 0, sizeof(srv[i]));
		srv[i].next = i + 1 < n ? &srv[i + 1] : NULL;
		srv[i].family = e->family == ZT_AF_INET ? AF_INET : AF_INET6;
		memcpy(&srv[i].addr, e->addr, e->family == ZT_AF_INET ? 4 : 16);
		srv[i].udp_port = srv[i].tcp_port = e->port;
	}
	err = n ? ares_set_servers_ports(s->res, srv) : ARES_SUCCESS;
	if (err == ARES_SUCCESS)
		return 0;
	ares_destroy(s->res);
	s->res = NULL;
fail:
	pr_warn("DNS: setting up the origin resolver: %s; names behind IRIs of local tunnels "
		"do not resolve (trying again in %d s)\n", ares_strerror(err), RES_RETRY_MS / 1000);
	return err == ARES_ENOMEM ? -ENOMEM : -EIO;
}

/* Ends every resolution in flight (each one's callback sees
 * ARES_EDESTRUCTION and leaves its allocation to be asked again). */
static void res_close(struct ztd_dns *s)
{
	if (!s->res)
		return;
	ares_destroy(s->res);
	s->res = NULL;
	s->n_res_fds = 0;
}

static bool on_local_tunnel(struct ztd *d, const struct zt_iri *a)
{
	long r = zt_host_index_find(&d->dns->table.routes, a->name, a->vnet);

	return r >= 0 && d->cfg.tunnels[d->cfg.host_routes[r].tunnel - 1].local;
}

/* Caches an IRI answer for the programs to give themselves (bpf/lib/dns.h),
 * when nothing but the vnet decides it and ztd need not see the query (no
 * DNS log, the real address known for a local tunnel). q->name is lower
 * case, as the programs make the name they look up. */
static void cache_put(struct ztd *d, const struct zt_dns_query *q, const struct zt_iri *a)
{
	struct zt_dns_val v = { .ttl = d->cfg.dns_ttl, .generation = d->generation,
				.last_ns = zt_bpf_now_ns() };
	struct zt_dns_key k;

	if (!d->dns->fast || (on_local_tunnel(d, a) && !a->real_ok) ||
	    !zt_dns_same_for_all(&d->cfg, q->name) || cache_key(q->name, a->vnet, q->qtype, &k))
		return;
	memcpy(v.addr, a->addr, 16);
	bpf_map_update_elem(d->b.m.dns_cache, &k, &v, BPF_ANY);
}

/* Which of ztd's listen addresses the programs answer on: every IPv4 one
 * (UDP), unless ztd must log every query (dns log), then none. */
static void cache_listen_sync(struct ztd *d)
{
	struct zt_dns_listen_key k, next;
	__u8 one = 1;
	size_t i;

	while (!bpf_map_get_next_key(d->b.m.dns_listen, NULL, &next))
		if (bpf_map_delete_elem(d->b.m.dns_listen, &next))
			break;
	d->dns->fast = !d->cfg.dns_log;
	for (i = 0; d->dns->fast && i < d->cfg.n_dns_listen; i++) {
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

/* The map entry follows the allocation's real address. */
static void real_publish(struct ztd *d, const struct zt_iri *a)
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

/* What a resolution gave: n addresses (addr the first) with ttl, or err
 * (-ENOENT: the name does not exist; -EAGAIN, -ETIMEDOUT: try again).
 * hosts: addr is /etc/hosts', which has no TTL. */
static void resolve_record(struct ztd *d, struct rq *q, int n, const __u8 *addr, __u32 ttl,
			   bool hosts)
{
	struct ztd_dns *s = d->dns;
	long i = zt_iri_find(&s->pool, q->name, q->vnet, q->family);
	char b[64];
	struct zt_iri *a;

	q->used = false;
	s->n_rq--;
	if (i < 0)
		return; /* the allocation went meanwhile */
	a = &s->pool.a[i];
	a->res_inflight = false;
	if (n > 0) {
		bool changed = !a->real_ok || memcmp(a->real, addr, 16);

		ttl = hosts ? RES_HOSTS_S :
		      ttl < RES_TTL_MIN ? RES_TTL_MIN : ttl > RES_TTL_MAX ? RES_TTL_MAX : ttl;
		memcpy(a->real, addr, 16);
		a->real_ok = true;
		a->real_ttl = ttl;
		a->res_next_ms = zt_mono_ms() + (__u64)ttl * 1000;
		if (changed) {
			inet_ntop(a->family == ZT_AF_INET ? AF_INET : AF_INET6, addr, b, sizeof(b));
			if (hosts)
				pr_info("DNS: %s resolves to %s (/etc/hosts, read again every %u s): "
					"the DIRECT path's target\n", a->name, b, ttl);
			else
				pr_info("DNS: %s resolves to %s (ttl %u s): the DIRECT path's target\n",
					a->name, b, ttl);
			real_publish(d, a);
		}
		return;
	}
	if (n == 0 || n == -ENOENT) {
		if (a->real_ok || !a->res_next_ms)
			pr_warn("DNS: %s has no %s address (%s): flows to its IRI are dropped "
				"(reason resolve)\n", a->name, a->family == ZT_AF_INET ? "IPv4" : "IPv6",
				n ? "NXDOMAIN" : "no record");
		a->real_ok = false;
		a->res_next_ms = zt_mono_ms() + RES_NEG_MS;
		real_publish(d, a);
		return;
	}
	if (!a->real_ok && !a->res_next_ms)
		pr_warn("DNS: cannot resolve %s yet (%s): flows to its IRI are dropped (reason "
			"resolve); retrying every %d s\n", a->name,
			n == -ETIMEDOUT ? "no answer" : "the resolver failed", RES_RETRY_MS / 1000);
	a->res_next_ms = zt_mono_ms() + RES_RETRY_MS; /* the old address stays meanwhile */
}

static void held_answer(struct ztd *d, struct pending *p);

/* Records a resolution's outcome, then sends the answers held for it:
 * the IRI's map entry has its real address (or never will soon). */
static void resolve_done(struct ztd *d, struct rq *q, int n, const __u8 *addr, __u32 ttl,
			 bool hosts)
{
	struct ztd_dns *s = d->dns;
	size_t i;

	resolve_record(d, q, n, addr, ttl, hosts);
	for (i = 0; i < ZTD_DNS_PENDING && s->n_pending; i++) {
		struct pending *p = &s->pend[i];

		if (p->used && p->hold && p->vnet == q->vnet &&
		    (p->q.qtype == ZT_DNS_T_A) == (q->family == ZT_AF_INET) &&
		    !strcmp(p->q.name, q->name))
			held_answer(d, p);
	}
}

/* Whether addr, given with TTL 0 and no CNAME, is name's line in
 * /etc/hosts: c-ares says nothing of where an address came from, and a
 * DNS answer with TTL 0 is rare (it is then kept RES_TTL_MIN). */
static bool in_hosts(ares_channel res, const char *name, int family, const void *addr)
{
	struct hostent *he = NULL;
	bool found = false;
	char **p;

	if (ares_gethostbyname_file(res, name, family, &he) != ARES_SUCCESS)
		return false;
	for (p = he->h_addr_list; *p && !found; p++)
		found = !memcmp(*p, addr, family == AF_INET ? 4 : 16);
	ares_free_hostent(he);
	return found;
}

/* c-ares' answer for one rq: its first address of the family asked for,
 * with the smallest TTL of the records that led to it. */
static void resolved(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	struct rq *q = arg;
	struct ztd *d = q->d;
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
		d->dns->n_rq--;
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
		hosts = !ttl && !ai->cnames && in_hosts(d->dns->res, q->name, nd->ai_family, addr);
		n = 1;
	} else {
		ttl = 0;
		n = status == ARES_SUCCESS || status == ARES_ENODATA ? 0 :
		    status == ARES_ENOTFOUND || status == ARES_EBADNAME ? -ENOENT :
		    status == ARES_ETIMEOUT ? -ETIMEDOUT : -EAGAIN;
	}
	ares_freeaddrinfo(ai);
	resolve_done(d, q, n, addr, (__u32)ttl, hosts);
}

static void resolve_start(struct ztd *d, size_t i)
{
	struct ztd_dns *s = d->dns;
	struct zt_iri *a = &s->pool.a[i];
	struct ares_addrinfo_hints h = { .ai_flags = ARES_AI_NOSORT,
					 .ai_family = a->family == ZT_AF_INET ? AF_INET : AF_INET6 };
	struct rq *q = NULL;
	size_t k;

	if (!s->res) {
		a->res_next_ms = zt_mono_ms() + RES_RETRY_MS;
		return;
	}
	for (k = 0; k < RQ_MAX && !q; k++)
		if (!s->rq[k].used)
			q = &s->rq[k];
	if (!q)
		return; /* the next scan tries again */
	*q = (struct rq){ .used = true, .d = d, .vnet = a->vnet, .family = a->family };
	snprintf(q->name, sizeof(q->name), "%s", a->name);
	s->n_rq++;
	a->res_inflight = true;
	/* May call resolved() before it returns (a name in /etc/hosts). */
	ares_getaddrinfo(s->res, q->name, NULL, &h, resolved, q);
}

static void resolve_tick(struct ztd *d, __u64 now)
{
	struct ztd_dns *s = d->dns;
	size_t k;

	if (s->res && s->n_rq) /* timeouts: c-ares retries, or gives up and calls back */
		ares_process_fd(s->res, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	if (!s->res && s->res_open_ms + RES_RETRY_MS <= now)
		res_open(d);
	if (s->res_scan_ms + RES_SCAN_MS > now)
		return;
	s->res_scan_ms = now;
	for (k = 0; k < s->pool.n; k++) {
		struct zt_iri *a = &s->pool.a[k];

		if (!a->res_inflight && a->res_next_ms <= now && on_local_tunnel(d, a))
			resolve_start(d, k);
	}
}

/* ---- the log ----------------------------------------------------------------- */

static void dns_log(struct ztd *d, const struct zt_dns_query *q, const struct src *from,
		    long device, const char *action, int rcode, const char *answer, long route,
		    long policy)
{
	FILE *f = d->dns->log;
	const struct zt_cfg_device *dev = device >= 0 ? &d->cfg.devices[device] : NULL;
	char t[40], a[64], tb[16];

	if (!f)
		return;
	inet_ntop(from->family == ZT_AF_INET ? AF_INET : AF_INET6, from->addr, a, sizeof(a));
	fprintf(f, "{\"time\":\"%s\",\"src\":\"%s\",\"device\":",
		zt_log_time(t, sizeof(t), (long long)zt_clock_ns(CLOCK_REALTIME)), a);
	zt_json_str(f, dev ? (dev->name ? dev->name : "") : "");
	fprintf(f, ",\"user_email\":");
	zt_json_str(f, dev ? d->cfg.users[dev->user - 1] : "");
	fprintf(f, ",\"vnet\":");
	zt_json_str(f, d->cfg.vnets[(dev ? dev->vnet : d->cfg.default_vnet) - 1].name);
	fprintf(f, ",\"name\":");
	zt_json_str(f, q->name);
	fprintf(f, ",\"type\":\"%s\",\"action\":\"%s\",\"rcode\":\"%s\",\"answer\":",
		zt_dns_type_name(q->qtype, tb, sizeof(tb)), action, zt_dns_rcode_name(rcode));
	zt_json_str(f, answer ? answer : "");
	fprintf(f, ",\"route\":");
	zt_json_str(f, route >= 0 ? d->cfg.host_routes[route].host : "");
	fprintf(f, ",\"policy\":");
	zt_json_str(f, policy >= 0 ? d->cfg.dns_policies[policy].name : "");
	fprintf(f, "}\n");
}

/* ---- answering ------------------------------------------------------------------ */

/* Sends a forwarded query to upstream p->up, from a socket of its own
 * (RFC 5452): connect()ed, so the kernel gives it a random ephemeral port
 * and passes on only the upstream's datagrams; and a random id. An
 * off-path spoofer must guess both, per query. A retry gets new ones. */
static int forward(struct ztd *d, struct pending *p)
{
	const struct zt_cfg_endpoint *u = &d->cfg.upstreams[p->up];
	struct sockaddr_storage ss;
	socklen_t sl = to_sockaddr(u->family, u->addr, u->port, &ss);
	__u8 buf[ZT_DNS_NAME_MAX + 64];
	int len, fd, err;

	if (p->fd >= 0) {
		close(p->fd);
		p->fd = -1;
	}
	/* No predictable fallback: without randomness, no query. */
	if (getrandom(&p->id, sizeof(p->id), GRND_NONBLOCK) != sizeof(p->id))
		return -EAGAIN;
	len = zt_dns_write_query(&p->q, p->id, buf, sizeof(buf));
	if (len < 0)
		return len;
	fd = socket(u->family == ZT_AF_INET ? AF_INET : AF_INET6,
		    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, sl) ||
	    send(fd, buf, (size_t)len, MSG_DONTWAIT) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	p->fd = fd;
	p->deadline_ms = zt_mono_ms() + d->cfg.dns_timeout_ms;
	return 0;
}

static void tcp_queue(struct ztd *d, struct tcp_client *c, const __u8 *msg, size_t len);

/* A forwarded query's TCP client, if it is still connected. */
static struct tcp_client *pending_client(struct ztd_dns *s, const struct pending *p)
{
	struct tcp_client *c = p->slot >= 0 ? s->clients[p->slot] : NULL;

	return c && c->gen == p->tcp_gen ? c : NULL;
}

/* The reply to a forwarded query, to the client that asked. */
static void deliver_pending(struct ztd *d, const struct pending *p, const __u8 *msg,
			    size_t len);

static void deliver_pending(struct ztd *d, const struct pending *p, const __u8 *msg,
			    size_t len)
{
	struct tcp_client *c = pending_client(d->dns, p);
	struct sockaddr_storage ss;
	socklen_t sl;

	if (p->slot >= 0) {
		if (c)
			tcp_queue(d, c, msg, len);
		return;
	}
	sl = to_sockaddr(p->from.family, p->from.addr, p->from.port, &ss);
	if (sendto(p->ufd, msg, len, MSG_DONTWAIT, (struct sockaddr *)&ss, sl) < 0)
		d->dns->st.send_failed++;
}

/* A free pending entry for a query from `from`, counted as used: -ENOSPC
 * when all are taken, -EDQUOT when from has ZTD_DNS_PENDING_PER_CLIENT
 * already (the table is shared: no one client may fill it). */
static int pending_new(struct ztd_dns *s, const struct src *from, struct pending **pp)
{
	struct pending *free_p = NULL;
	size_t i, seen = 0, mine = 0;

	for (i = 0; i < ZTD_DNS_PENDING && (!free_p || seen < s->n_pending); i++) {
		struct pending *p = &s->pend[i];

		if (!p->used) {
			free_p = free_p ? free_p : p;
			continue;
		}
		seen++;
		if (same_host(&p->from, from) && ++mine >= ZTD_DNS_PENDING_PER_CLIENT)
			return -EDQUOT;
	}
	if (!free_p)
		return -ENOSPC;
	s->n_pending++;
	*pp = free_p;
	return 0;
}

static void pending_free(struct ztd_dns *s, struct pending *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->used = false;
	s->n_pending--;
}

/* The answer record for allocation a; its address as text into ans. */
static void iri_rr(const struct ztd *d, const struct zt_iri *a, __u16 qtype,
		   struct zt_dns_rr *rr, char *ans, size_t n)
{
	rr->type = qtype;
	rr->ttl = d->cfg.dns_ttl;
	rr->rdlen = a->family == ZT_AF_INET ? 4 : 16;
	memcpy(rr->rdata, a->addr, 16);
	inet_ntop(a->family == ZT_AF_INET ? AF_INET : AF_INET6, rr->rdata, ans, (socklen_t)n);
}

/* Holds the IRI answer to q while ztd resolves the name's real address
 * (for a local tunnel): answered at once, the client's first packet would
 * find no address in the map and be dropped as `resolve` (its TCP would
 * retransmit a second later). Sent by resolve_done, or after HOLD_MS.
 * Returns false when no entry is free (answer now). */
static bool hold(struct ztd *d, const struct zt_dns_query *q, const struct src *from, int ufd,
		 int slot, __u32 tcp_gen, long device, __u32 vnet, long route)
{
	struct pending *p;

	if (pending_new(d->dns, from, &p))
		return false;
	*p = (struct pending){ .used = true, .hold = true, .q = *q, .from = *from, .ufd = ufd,
			       .fd = -1,
			       .slot = slot, .tcp_gen = tcp_gen, .device = device,
			       .vnet = vnet, .route = route,
			       .deadline_ms = zt_mono_ms() + HOLD_MS };
	return true;
}

static void held_answer(struct ztd *d, struct pending *p)
{
	struct ztd_dns *s = d->dns;
	long i = zt_iri_find(&s->pool, p->q.name, p->vnet,
			     p->q.qtype == ZT_DNS_T_A ? ZT_AF_INET : ZT_AF_INET6);
	struct zt_dns_reply r = { .rcode = ZT_DNS_SERVFAIL, .ede = -1 };
	__u8 out[ZT_DNS_UDP_MAX];
	struct zt_dns_rr rr;
	char ans[64] = "";
	int len;

	if (i >= 0) { /* else the allocation went meanwhile (a reload) */
		iri_rr(d, &s->pool.a[i], p->q.qtype, &rr, ans, sizeof(ans));
		r = (struct zt_dns_reply){ .rcode = ZT_DNS_NOERROR, .aa = true, .an = &rr,
					   .n_an = 1, .ede = -1 };
		s->st.answered++;
		cache_put(d, &p->q, &s->pool.a[i]);
	}
	len = zt_dns_write_reply(&p->q, &r, out,
				 p->slot >= 0 ? sizeof(out) : zt_dns_udp_limit(&p->q));
	if (len > 0)
		deliver_pending(d, p, out, (size_t)len);
	dns_log(d, &p->q, &p->from, p->device, i >= 0 ? "answer" : "iri-gone", r.rcode, ans,
		p->route, -1);
	pending_free(s, p);
}

/* Answers (or forwards) one query. Returns the reply length in out, 0 for
 * no reply now (dropped, forwarded, or held). */
static size_t answer(struct ztd *d, const __u8 *msg, size_t len, int ufd, int slot,
		     const struct src *from, __u8 *out, size_t outsz)
{
	struct tcp_client *tcp = slot >= 0 ? d->dns->clients[slot] : NULL;
	struct ztd_dns *s = d->dns;
	struct zt_dns_query q;
	struct zt_dns_reply r = { .rcode = ZT_DNS_NOERROR, .ede = -1 };
	struct zt_dns_rr rr;
	struct zt_dns_decision dd = { .route = -1, .policy = -1 };
	const struct zt_cfg_device *dev;
	const char *action = "answer";
	char ans[64] = "", ede[300];
	long device;
	size_t limit;
	int err, n;

	s->st.queries++;
	err = zt_dns_parse_query(msg, len, &q);
	if (err == -ENOMSG) {
		s->st.dropped++;
		return 0;
	}
	limit = tcp ? ZT_DNS_TCP_MAX : zt_dns_udp_limit(&q);
	if (limit > outsz)
		limit = outsz;
	device = zt_dns_device(&s->table, src_iface(d, from), from->family, from->addr);
	dev = device >= 0 ? &d->cfg.devices[device] : NULL;
	if (err) {
		r.rcode = err == -EOPNOTSUPP ? ZT_DNS_NOTIMP :
			  err == -EPROTONOSUPPORT ? ZT_DNS_BADVERS : ZT_DNS_FORMERR;
		s->st.formerr += r.rcode == ZT_DNS_FORMERR;
		action = "malformed";
		goto reply;
	}
	if (q.qclass != ZT_DNS_C_IN) {
		r.rcode = ZT_DNS_REFUSED;
		action = "refuse";
		goto reply;
	}
	zt_dns_decide(&d->cfg, &s->table, q.name, q.qtype, dev ? dev->user : 0,
		      dev ? dev->groups : 0, dev ? dev->vnet : d->cfg.default_vnet, &dd);
	action = zt_dns_action_name(dd.action);
	r.rcode = zt_dns_action_rcode(dd.action); /* FORWARD sets its own below */
	switch (dd.action) {
	case ZT_DNSA_BLOCK:
		r.ede = ZT_DNS_EDE_BLOCKED;
		snprintf(ede, sizeof(ede), "blocked by DNS policy '%s'",
			 d->cfg.dns_policies[dd.policy].name);
		r.ede_text = ede;
		s->st.blocked++;
		break;
	case ZT_DNSA_NODATA:
		r.aa = true;
		break;
	case ZT_DNSA_REFUSE:
		s->st.refused++;
		break;
	case ZT_DNSA_FORWARD: {
		struct pending *p;

		err = pending_new(s, from, &p);
		if (err) {
			r.rcode = ZT_DNS_SERVFAIL;
			action = err == -EDQUOT ? "forward-limited" : "forward-busy";
			s->st.pending_limited += err == -EDQUOT;
			s->st.pending_full += err != -EDQUOT;
			break;
		}
		*p = (struct pending){ .used = true, .q = q, .from = *from, .ufd = ufd,
				       .fd = -1, .slot = slot, .tcp_gen = tcp ? tcp->gen : 0,
				       .device = device };
		if (forward(d, p)) {
			pending_free(s, p);
			s->st.send_failed++;
			r.rcode = ZT_DNS_SERVFAIL;
			action = "forward-failed";
			break;
		}
		s->st.forwarded++;
		return 0; /* answered when upstream answers */
	}
	case ZT_DNSA_IRI: {
		__u8 fam = q.qtype == ZT_DNS_T_A ? ZT_AF_INET : ZT_AF_INET6;
		__u32 vnet = dev ? dev->vnet : d->cfg.default_vnet;
		bool fresh;
		long i;

		/* Through a wildcard every name is a new IRI: counted against
		 * the user asking (unenrolled askers are one user). */
		__u32 owner = d->cfg.host_routes[dd.route].host[0] == '*' ?
			      (dev ? dev->user : 0) + 1 : 0;

		r.aa = true;
		i = zt_iri_get(&s->pool, q.name, vnet, fam, real_s(), iri_in_use, d, owner,
			       &fresh);
		if (i == -EAFNOSUPPORT) {
			action = "nodata";
			break; /* no pool for this family: NODATA */
		}
		if (i == -EDQUOT) {
			r.rcode = ZT_DNS_SERVFAIL;
			action = "iri-user-limit";
			s->st.iri_limited++;
			break;
		}
		if (i < 0) {
			r.rcode = ZT_DNS_SERVFAIL;
			action = "pool-exhausted";
			s->st.exhausted++;
			pr_warn("DNS: no initial resolved IP left for %s (%s pool %s full, none "
				"idle): answering SERVFAIL\n", q.name, fam == ZT_AF_INET ? "IPv4" : "IPv6",
				fam == ZT_AF_INET ? "ipv4" : "ipv6");
			break;
		}
		if (fresh && iri_publish(d, &s->pool.a[i], dd.route)) {
			r.rcode = ZT_DNS_SERVFAIL;
			action = "iri-map-full";
			pr_warn("DNS: writing the IRI for %s to the iri map: %s\n", q.name,
				strerror(errno));
			break;
		}
		if (fresh && on_local_tunnel(d, &s->pool.a[i]))
			resolve_start(d, (size_t)i);
		if (!s->pool.a[i].real_ok && s->pool.a[i].res_inflight &&
		    hold(d, &q, from, ufd, slot, tcp ? tcp->gen : 0, device, vnet, dd.route))
			return 0;
		iri_rr(d, &s->pool.a[i], q.qtype, &rr, ans, sizeof(ans));
		r.an = &rr;
		r.n_an = 1;
		s->st.answered++;
		cache_put(d, &q, &s->pool.a[i]);
		break;
	}
	}
	/* Negative answers of zt's own (a policy block, a routed name without
	 * records of the type) carry an SOA, so resolvers cache them as long
	 * as positive ones. */
	r.soa = r.rcode == ZT_DNS_NXDOMAIN || (r.rcode == ZT_DNS_NOERROR && !r.n_an);
	r.soa_ttl = d->cfg.dns_ttl;
reply:
	n = zt_dns_write_reply(&q, &r, out, limit);
	if (n < 0) {
		s->st.dropped++;
		return 0;
	}
	dns_log(d, &q, from, device, action, r.rcode, ans, dd.route, dd.policy);
	return (size_t)n;
}

typedef void (*datagram_fn)(struct ztd *d, int fd, const __u8 *msg, size_t len,
			    const struct src *from);

/* The answers queued by a batch, in one syscall. */
static void udp_flush(struct ztd *d, int fd)
{
	struct ztd_dns *s = d->dns;
	struct mmsghdr mm[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	size_t i;
	int n;

	for (i = 0; i < s->out.n; i++) {
		iov[i] = (struct iovec){ s->out.buf[i], s->out.len[i] };
		mm[i].msg_hdr = (struct msghdr){ .msg_name = &s->out.to[i],
						 .msg_namelen = s->out.tolen[i],
						 .msg_iov = &iov[i], .msg_iovlen = 1 };
	}
	n = s->out.n ? sendmmsg(fd, mm, (unsigned)s->out.n, MSG_DONTWAIT) : 0;
	if (n < (int)s->out.n)
		s->st.send_failed += s->out.n - (size_t)(n > 0 ? n : 0);
	s->out.n = 0;
}

/* Datagrams waiting on fd, UDP_BATCH per recvmmsg, each to fn; a short
 * batch means the queue is empty (no extra call to find EAGAIN). */
static void each_datagram(struct ztd *d, int fd, datagram_fn fn)
{
	struct ztd_dns *s = d->dns;
	struct mmsghdr mm[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	struct sockaddr_storage ss[UDP_BATCH];
	/* IP_PKTINFO: the interface it came in on decides whose it is. */
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} cm[UDP_BATCH];
	int r, i, n;

	for (r = 0; r < UDP_ROUNDS; r++) {
		for (i = 0; i < UDP_BATCH; i++) {
			iov[i] = (struct iovec){ s->in[i], sizeof(s->in[i]) };
			mm[i].msg_hdr = (struct msghdr){ .msg_name = &ss[i],
							 .msg_namelen = sizeof(ss[i]),
							 .msg_iov = &iov[i], .msg_iovlen = 1,
							 .msg_control = cm[i].buf,
							 .msg_controllen = sizeof(cm[i].buf) };
		}
		n = recvmmsg(fd, mm, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (i = 0; i < n; i++) {
			struct src from;

			from_sockaddr(&ss[i], &from);
			from.ifindex = pktinfo_ifindex(&mm[i].msg_hdr);
			/* Longer than 4096 octets: cut, so it reads as malformed. */
			fn(d, fd, s->in[i], mm[i].msg_len, &from);
		}
		udp_flush(d, fd);
		if (n < UDP_BATCH)
			return;
	}
}

/* No answer from p's upstream (its time passed, or it refused): one
 * more try at the next upstream, then SERVFAIL. */
static void upstream_failed(struct ztd *d, struct pending *p)
{
	struct zt_dns_reply r = { .rcode = ZT_DNS_SERVFAIL, .ede = -1 };
	__u8 out[ZT_DNS_UDP_MAX];
	int len;

	if (!p->retried && d->cfg.n_upstreams > 1) {
		p->retried = true;
		p->up = (p->up + 1) % d->cfg.n_upstreams;
		if (!forward(d, p))
			return;
	}
	d->dns->st.upstream_timeout++;
	len = zt_dns_write_reply(&p->q, &r, out, zt_dns_udp_limit(&p->q));
	if (len > 0)
		deliver_pending(d, p, out, (size_t)len);
	dns_log(d, &p->q, &p->from, p->device, "forward-timeout", ZT_DNS_SERVFAIL, NULL, -1, -1);
	pending_free(d->dns, p);
}

/* What came on a forwarded query's socket: only its upstream's datagrams
 * (connect()ed). The one that answers the question asked, under the id
 * sent, is relayed to the client; anything else is counted and ignored,
 * and the query waits on (RFC 5452 section 9.1). */
static void upstream_read(struct ztd *d, struct pending *p)
{
	struct ztd_dns *s = d->dns;
	__u8 out[ZT_DNS_TCP_MAX];
	int k, len, err;

	for (k = 0; k < UP_READS && p->used && p->fd >= 0; k++) {
		ssize_t n = recv(p->fd, s->in[0], sizeof(s->in[0]), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == ECONNREFUSED) /* port unreachable: none will come */
				upstream_failed(d, p);
			return;
		}
		err = zt_dns_match_response(s->in[0], (size_t)n, &p->q, p->id);
		if (err) {
			s->st.upstream_mismatch += err == -ESRCH;
			s->st.upstream_bad += err != -ESRCH;
			continue;
		}
		len = zt_dns_relay(s->in[0], (size_t)n, &p->q, p->id, out,
				   p->slot >= 0 ? ZT_DNS_TCP_MAX : zt_dns_udp_limit(&p->q));
		if (len < 0) {
			s->st.upstream_bad++;
			continue;
		}
		deliver_pending(d, p, out, (size_t)len);
		dns_log(d, &p->q, &p->from, p->device, "forward", out[3] & 0xf, NULL, -1, -1);
		pending_free(s, p);
		return;
	}
}

static void client_query(struct ztd *d, int fd, const __u8 *in, size_t n,
			 const struct src *from)
{
	struct ztd_dns *s = d->dns;
	size_t k = s->out.n;
	size_t len = answer(d, in, n, fd, -1, from, s->out.buf[k], sizeof(s->out.buf[k]));

	if (!len)
		return;
	s->out.len[k] = len;
	s->out.tolen[k] = to_sockaddr(from->family, from->addr, from->port, &s->out.to[k]);
	s->out.n++;
}

/* ---- TCP --------------------------------------------------------------------------- */

static void tcp_close(struct ztd *d, size_t i)
{
	struct tcp_client *c = d->dns->clients[i];

	close(c->fd);
	free(c->out);
	free(c);
	d->dns->clients[i] = NULL;
}

/* Queues one answer. A client whose unsent answers would pass
 * TCP_OUT_MAX is not reading them: it is marked closing (counted), and
 * whoever holds it closes it once done (tcp_read's loop must not go on
 * over its buffer, so nothing here frees or resets it). */
static void tcp_queue(struct ztd *d, struct tcp_client *c, const __u8 *msg, size_t len)
{
	if (c->closing)
		return;
	if (c->out_len + 2 + len > TCP_OUT_MAX)
		goto drop;
	if (c->out_len + 2 + len > c->out_cap) {
		size_t nc = c->out_cap ? c->out_cap : 4096;
		__u8 *q;

		while (nc < c->out_len + 2 + len)
			nc *= 2;
		q = realloc(c->out, nc);
		if (!q)
			goto drop;
		c->out = q;
		c->out_cap = nc;
	}
	c->out[c->out_len] = (__u8)(len >> 8);
	c->out[c->out_len + 1] = (__u8)len;
	memcpy(c->out + c->out_len + 2, msg, len);
	c->out_len += 2 + len;
	c->last_ms = zt_mono_ms(); /* an exchange done: idle from now */
	return;
drop:
	d->dns->st.tcp_dropped++;
	c->closing = true;
}

static void tcp_accept(struct ztd *d, int lfd)
{
	struct ztd_dns *s = d->dns;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct tcp_client *c;
	struct src from;
	size_t i, slot = ZTD_DNS_TCP_MAX, mine = 0;
	int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	from_sockaddr(&ss, &from);
	for (i = 0; i < ZTD_DNS_TCP_MAX; i++) {
		if (!s->clients[i])
			slot = slot < ZTD_DNS_TCP_MAX ? slot : i;
		else
			mine += same_host(&s->clients[i]->from, &from);
	}
	if (mine >= ZTD_DNS_TCP_PER_CLIENT) { /* the slots are shared: its share is taken */
		s->st.tcp_limited++;
		close(fd);
		return;
	}
	if (slot == ZTD_DNS_TCP_MAX || !(c = calloc(1, sizeof(*c)))) {
		s->st.tcp_dropped++;
		close(fd);
		return;
	}
	c->fd = fd;
	c->gen = ++s->tcp_gen;
	c->last_ms = zt_mono_ms(); /* its first message is due within TCP_IDLE_MS */
	c->from = from;
	s->clients[slot] = c;
	s->st.tcp++;
}

/* Reads what a client sent and answers each whole message in it. Only a
 * whole message makes it active again: a client that trickles bytes is
 * as idle as a silent one. */
static void tcp_read(struct ztd *d, size_t i)
{
	struct tcp_client *c = d->dns->clients[i];
	__u8 out[ZT_DNS_TCP_MAX];
	ssize_t n = read(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
	size_t off = 0;

	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			tcp_close(d, i);
		return;
	}
	c->in_len += (size_t)n;
	while (!c->closing && c->in_len - off >= 2) {
		size_t mlen = (size_t)(c->in[off] << 8 | c->in[off + 1]), len;

		if (c->in_len - off < 2 + mlen)
			break;
		c->last_ms = zt_mono_ms();
		len = answer(d, c->in + off + 2, mlen, -1, (int)i, &c->from, out, sizeof(out));
		if (len)
			tcp_queue(d, c, out, len);
		off += 2 + mlen;
	}
	if (c->closing) {
		tcp_close(d, i);
		return;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
}

static void tcp_write(struct ztd *d, size_t i)
{
	struct tcp_client *c = d->dns->clients[i];
	/* MSG_NOSIGNAL: a peer that reset must not raise SIGPIPE */
	ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);

	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			tcp_close(d, i);
		return;
	}
	memmove(c->out, c->out + n, c->out_len - (size_t)n);
	c->out_len -= (size_t)n;
}

/* ---- sockets and the loop ----------------------------------------------------------- */

static int bind_one(const struct zt_cfg_endpoint *ep, int type)
{
	struct sockaddr_storage ss;
	socklen_t sl = to_sockaddr(ep->family, ep->addr, ep->port, &ss);
	int fd = socket(ep->family == ZT_AF_INET ? AF_INET : AF_INET6,
			type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1, err;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ep->family == ZT_AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if ((type == SOCK_DGRAM &&
	     (ep->family == ZT_AF_INET ? setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) :
	      setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)))) ||
	    bind(fd, (struct sockaddr *)&ss, sl) || (type == SOCK_STREAM && listen(fd, 64))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static const char *ep_str(const struct zt_cfg_endpoint *ep, char *buf, size_t len)
{
	char a[64];

	inet_ntop(ep->family == ZT_AF_INET ? AF_INET : AF_INET6, ep->addr, a, sizeof(a));
	snprintf(buf, len, ep->family == ZT_AF_INET ? "%s:%u" : "[%s]:%u", a, ep->port);
	return buf;
}

static void close_listeners(struct ztd_dns *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		close(s->udp[i]);
		close(s->tcp[i]);
	}
	s->n = 0;
}

/* (Re)binds the listeners when cfg names other addresses; on failure the
 * old ones stay. */
static int listen_all(struct ztd_dns *s, const struct zt_config *cfg)
{
	int udp[ZT_MAX_DNS_LISTEN], tcp[ZT_MAX_DNS_LISTEN];
	char b[80];
	size_t i, j;
	int err = 0;

	if (s->n == cfg->n_dns_listen && !memcmp(s->ep, cfg->dns_listen, s->n * sizeof(*s->ep)))
		return 0;
	close_listeners(s); /* a port cannot be bound twice */
	for (i = 0; i < cfg->n_dns_listen; i++) {
		udp[i] = bind_one(&cfg->dns_listen[i], SOCK_DGRAM);
		tcp[i] = udp[i] < 0 ? udp[i] : bind_one(&cfg->dns_listen[i], SOCK_STREAM);
		if (udp[i] < 0 || tcp[i] < 0) {
			err = udp[i] < 0 ? udp[i] : tcp[i];
			pr_warn("DNS: listening on %s: %s\n", ep_str(&cfg->dns_listen[i], b, sizeof(b)),
				strerror(-err));
			if (udp[i] >= 0)
				close(udp[i]);
			for (j = 0; j < i; j++) {
				close(udp[j]);
				close(tcp[j]);
			}
			return err;
		}
	}
	for (i = 0; i < cfg->n_dns_listen; i++) {
		s->udp[i] = udp[i];
		s->tcp[i] = tcp[i];
		s->ep[i] = cfg->dns_listen[i];
		pr_info("DNS: answering on %s (UDP and TCP)\n", ep_str(&s->ep[i], b, sizeof(b)));
	}
	s->n = cfg->n_dns_listen;
	return 0;
}

static int open_dns_log(struct ztd_dns *s, const struct zt_config *cfg)
{
	FILE *f = NULL;

	if (cfg->dns_log) {
		f = fopen(cfg->dns_log, "ae");
		if (!f) {
			int err = -errno;

			pr_warn("opening DNS log %s: %s\n", cfg->dns_log, strerror(errno));
			return err;
		}
		/* Buffered, flushed once per loop turn: not a write per query. */
		setvbuf(f, NULL, _IOFBF, 64 * 1024);
	}
	if (s->log)
		fclose(s->log);
	s->log = f;
	return 0;
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

/* Each forwarded query has a socket of its own: with every pending entry
 * and TCP slot taken, ztd holds ZTD_DNS_PENDING + ZTD_DNS_TCP_MAX
 * descriptors more than at rest, past the usual soft limit of 1024. It is
 * raised (poll, not select, watches them); short of it, the queries past
 * the limit get SERVFAIL (send_failed). */
static void fd_limit(void)
{
	const rlim_t want = ZTD_DNS_PENDING + ZTD_DNS_TCP_MAX + 1024;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur < want)
		pr_warn("DNS: open files limited to %llu (RLIMIT_NOFILE): with %d queries waiting "
			"for upstreams and %d TCP clients ztd may need %llu; queries past it "
			"get SERVFAIL\n", (unsigned long long)rl.rlim_cur, ZTD_DNS_PENDING,
			ZTD_DNS_TCP_MAX, (unsigned long long)want);
}

int ztd_dns_open(struct ztd *d)
{
	struct ztd_dns *s = calloc(1, sizeof(*s));
	size_t skipped = 0;
	int err;

	if (!s)
		return -ENOMEM;
	d->dns = s;
	fd_limit();
	err = zt_iri_pool_init(&s->pool, &d->cfg.iri4, &d->cfg.iri6, ZT_MAX_IRIS,
			       d->cfg.iri_reuse_s);
	if (err)
		return err;
	s->pool.owner_max = d->cfg.iri_wild_per_user;
	snprintf(s->state_path, sizeof(s->state_path), "%s/iri.state", d->cfg.state_dir);
	err = zt_iri_load(&s->pool, s->state_path, vnet_id, d, &skipped);
	if (err && err != -ENOENT)
		pr_warn("DNS: reading %s: %s; starting with no IRI allocations\n", s->state_path,
			strerror(-err));
	else if (!err)
		pr_info("DNS: %zu IRI allocations restored from %s%s\n", s->pool.n, s->state_path,
			skipped ? " (some lines skipped: outside the pools or unknown vnets)" : "");
	zt_iri_epoch_floor(&s->pool, map_epoch_max(d));
	err = ares_library_init(ARES_LIB_INIT_ALL);
	if (err != ARES_SUCCESS)
		return err == ARES_ENOMEM ? -ENOMEM : -EIO;
	res_open(d); /* without it, the rest works (and it is tried again) */
	err = zt_dns_table_build(&d->cfg, &s->table);
	if (!err)
		err = listen_all(s, &d->cfg);
	if (!err)
		err = open_dns_log(s, &d->cfg);
	cache_listen_sync(d);
	return err;
}

/* Queries still waiting hold indexes into the config's devices and
 * hostname routes: after a reload, those of the new one (or none). */
static void pending_reindex(struct ztd *d)
{
	struct ztd_dns *s = d->dns;
	size_t i;

	for (i = 0; i < ZTD_DNS_PENDING; i++) {
		struct pending *p = &s->pend[i];

		if (!p->used)
			continue;
		p->device = zt_dns_device(&s->table, src_iface(d, &p->from), p->from.family,
					  p->from.addr);
		p->route = p->hold ? zt_host_index_find(&s->table.routes, p->q.name, p->vnet) : -1;
	}
}

int ztd_dns_reload(struct ztd *d)
{
	struct ztd_dns *s = d->dns;
	struct zt_dns_table t;
	size_t dropped;
	int err;

	err = zt_dns_table_build(&d->cfg, &t);
	if (err)
		return err;
	zt_dns_table_free(&s->table);
	s->table = t;
	pending_reindex(d);
	s->pool.idle_s = d->cfg.iri_reuse_s;
	s->pool.owner_max = d->cfg.iri_wild_per_user;
	/* Owners are user indexes, which a new config may give to others:
	 * counting starts again (each user may take its share once more). */
	zt_iri_pool_disown(&s->pool);
	dropped = zt_iri_pool_reprefix(&s->pool, &d->cfg.iri4, &d->cfg.iri6);
	if (dropped)
		pr_info("DNS: %zu IRI allocations outside the new pools released\n", dropped);
	snprintf(s->state_path, sizeof(s->state_path), "%s/iri.state", d->cfg.state_dir);
	/* Other origin_resolvers, or an edited resolv.conf or nsswitch.conf:
	 * what is in flight is asked again of the new resolver. */
	res_close(s);
	res_open(d);
	s->res_scan_ms = 0; /* routes may have moved to a local tunnel */
	err = listen_all(s, &d->cfg);
	open_dns_log(s, &d->cfg);
	cache_listen_sync(d);
	return err;
}

static void save_state(struct ztd *d)
{
	struct ztd_dns *s = d->dns;
	int err;

	if (!s->pool.dirty)
		return;
	mkdir(d->cfg.state_dir, 0700);
	err = zt_iri_save(&s->pool, s->state_path, vnet_name, d);
	if (err)
		pr_warn("DNS: saving IRI allocations to %s: %s\n", s->state_path, strerror(-err));
	else
		s->pool.dirty = false;
	s->saved_ms = zt_mono_ms();
}

void ztd_dns_close(struct ztd *d)
{
	struct ztd_dns *s = d->dns;
	size_t i;

	if (!s)
		return;
	save_state(d);
	res_close(s); /* before the pool its callbacks look in */
	ares_library_cleanup();
	close_listeners(s);
	for (i = 0; i < ZTD_DNS_TCP_MAX; i++)
		if (s->clients[i])
			tcp_close(d, i);
	for (i = 0; i < ZTD_DNS_PENDING; i++)
		if (s->pend[i].used && s->pend[i].fd >= 0)
			close(s->pend[i].fd);
	if (s->log)
		fclose(s->log);
	zt_dns_table_free(&s->table);
	zt_iri_pool_free(&s->pool);
	free(s->sets.hosts);
	free(s);
	d->dns = NULL;
}

size_t ztd_dns_pollfds(struct ztd *d, struct pollfd *p, size_t max)
{
	struct ztd_dns *s = d->dns;
	size_t n = 0, i, seen;

	if (!s)
		return 0;
	for (i = 0; i < s->n && n + 2 <= max; i++) {
		p[n++] = (struct pollfd){ .fd = s->udp[i], .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = s->tcp[i], .events = POLLIN };
	}
	s->n_res_fds = 0;
	if (s->res && s->n_rq) {
		int bits = ares_getsock(s->res, s->res_fds, ZTD_DNS_RES_FDS);

		for (i = 0; i < ZTD_DNS_RES_FDS && n < max; i++) {
			short ev = (ARES_GETSOCK_READABLE(bits, i) ? POLLIN : 0) |
				   (ARES_GETSOCK_WRITABLE(bits, i) ? POLLOUT : 0);

			if (!ev)
				break; /* ares_getsock fills from the start */
			p[n++] = (struct pollfd){ .fd = s->res_fds[i], .events = ev };
			s->n_res_fds++;
		}
	}
	for (i = 0; i < ZTD_DNS_TCP_MAX && n < max; i++)
		if (s->clients[i])
			p[n++] = (struct pollfd){ .fd = s->clients[i]->fd,
						  .events = POLLIN | (s->clients[i]->out_len ?
								      POLLOUT : 0) };
	/* Last, so that ztd_dns_serve finds their entries by position. */
	s->pfd_up_at = n;
	s->n_pfd_up = 0;
	for (i = 0, seen = 0; i < ZTD_DNS_PENDING && seen < s->n_pending && n < max; i++) {
		const struct pending *q = &s->pend[i];

		if (!q->used)
			continue;
		seen++;
		if (q->fd < 0)
			continue;
		p[n++] = (struct pollfd){ .fd = q->fd, .events = POLLIN };
		s->pfd_pend[s->n_pfd_up++] = (__u16)i;
	}
	return n;
}

void ztd_dns_serve(struct ztd *d, const struct pollfd *p, size_t n)
{
	struct ztd_dns *s = d->dns;
	size_t i, j;

	if (!s)
		return;
	for (i = 0; i < n; i++) {
		if (!p[i].revents)
			continue;
		if (i >= s->pfd_up_at && i - s->pfd_up_at < s->n_pfd_up) {
			/* The entry may have ended, or been reused, since poll:
			 * a read that finds nothing, or another's, is harmless. */
			struct pending *q = &s->pend[s->pfd_pend[i - s->pfd_up_at]];

			if (q->used && q->fd == p[i].fd)
				upstream_read(d, q);
			continue;
		}
		for (j = 0; j < s->n; j++) {
			if (p[i].fd == s->udp[j])
				each_datagram(d, p[i].fd, client_query);
			else if (p[i].fd == s->tcp[j])
				tcp_accept(d, p[i].fd);
		}
		for (j = 0; j < s->n_res_fds && s->res; j++)
			if (p[i].fd == s->res_fds[j]) {
				ares_process_fd(s->res,
						p[i].revents & (POLLIN | POLLERR | POLLHUP) ?
						p[i].fd : ARES_SOCKET_BAD,
						p[i].revents & POLLOUT ? p[i].fd : ARES_SOCKET_BAD);
				break;
			}
		for (j = 0; j < ZTD_DNS_TCP_MAX; j++) {
			struct tcp_client *c = s->clients[j];

			if (!c || c->fd != p[i].fd)
				continue;
			if (p[i].revents & (POLLIN | POLLHUP | POLLERR))
				tcp_read(d, j);
			if (s->clients[j] && (p[i].revents & POLLOUT))
				tcp_write(d, j);
			break;
		}
	}
}

void ztd_dns_tick(struct ztd *d)
{
	struct ztd_dns *s = d->dns;
	__u64 now = zt_mono_ms();
	size_t i;

	if (!s)
		return;
	for (i = 0; i < ZTD_DNS_PENDING && s->n_pending; i++) {
		struct pending *p = &s->pend[i];

		if (!p->used || p->deadline_ms > now)
			continue;
		if (p->hold) /* no real address in time: the answer goes anyway */
			held_answer(d, p);
		else
			upstream_failed(d, p);
	}
	for (i = 0; i < ZTD_DNS_TCP_MAX; i++)
		if (s->clients[i] && (s->clients[i]->closing ||
				      s->clients[i]->last_ms + TCP_IDLE_MS < now))
			tcp_close(d, i);
	if (s->log)
		fflush(s->log);
	resolve_tick(d, now);
	if (s->pool.dirty && s->saved_ms + 200 < now)
		save_state(d);
}

void ztd_dns_stats(const struct ztd *d, struct ztd_dns_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!d->dns)
		return;
	*out = d->dns->st;
	out->iris = d->dns->pool.n;
}
