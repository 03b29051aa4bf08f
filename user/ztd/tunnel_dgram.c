// SPDX-License-Identifier: GPL-2.0
/* tunnel_dgram.c — datagram flows to remote tunnels: UDP (tunnel_udp.c
 * takes the datagrams) and ICMP echo (tunnel_icmp.c takes the echo
 * requests). A flow is its addresses (and ports, or echo identifier) on
 * the interface (and VLAN) it came in on. For its first datagram ztd
 * decides it again with the policy in force (who sent it, from which
 * client interface, to which route and tunnel, an IRI's name), makes its
 * socket, opens a stream on the tunnel's least busy connection and joins
 * the two with a datagram bridge (bridge.h). A flow ends after
 * gateway.connector_udp_idle_ms with nothing either way, when its
 * connection ends, or when a reload (or, for an IRI's, the IRI given to
 * another name) no longer allows it.
 *
 * Limits: TUN_UDP_FLOWS flows at once (fewer when ztd cannot get the
 * descriptors; an ICMP flow holds two), TUN_UDP_PER_CLIENT per device
 * (or address, unenrolled), TUN_UDP_PER_CONN on one connection; past
 * them a new flow's datagrams are dropped, counted and logged, and for a
 * second its next ones are dropped without a decision. The table's hash
 * is seeded at random. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/resource.h>
#include "bridge.h"
#include "clock.h"
#include "hash.h"
#include "iri.h"
#include "log.h"
#include "names.h"
#include "tunnel_int.h"
#include "zt_abi.h"

#define UDP_HASH 4096

/* The network log's line for a flow, when it ends (or is refused). */
static void udp_log(struct ztd_tunnels *tt, const struct tun_dgram *f, const char *end)
{
	const struct ztd *d = tt->d;
	const struct zt_cfg_device *dev = f->r.device_id && f->r.device_id <= d->cfg.n_devices ?
					  &d->cfg.devices[f->r.device_id - 1] : NULL;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], t[64];
	int af = f->family == ZT_AF_INET ? AF_INET : AF_INET6;
	const char *proto = f->proto == ZT_MUX_ICMP ? "icmp" : "udp";
	FILE *o = d->netlog;

	if (!o)
		return;
	inet_ntop(af, f->src, src, sizeof(src));
	inet_ntop(af, f->dst, dst, sizeof(dst));
	fprintf(o, "{\"time\":\"%s\",\"kind\":\"%s\",\"interface\":",
		zt_log_time(t, sizeof(t), (long long)zt_clock_ns(CLOCK_REALTIME)), proto);
	zt_json_str(o, zt_name(&d->names, ZT_N_IFACE, f->ifindex));
	fprintf(o, ",\"device\":");
	zt_json_str(o, zt_name(&d->names, ZT_N_DEVICE, f->r.device_id));
	fprintf(o, ",\"user_email\":");
	zt_json_str(o, dev ? zt_name(&d->names, ZT_N_USER, dev->user) : NULL);
	fprintf(o, ",\"src\":\"%s\",\"dst\":\"%s\",\"protocol\":\"%s\",\"src_port\":%u,"
		"\"dst_port\":%u,\"hostname\":", src, dst, proto, f->sport, f->dport);
	zt_json_str(o, f->host);
	fprintf(o, ",\"tunnel\":");
	zt_json_str(o, f->tunnel);
	fprintf(o, ",\"rule\":");
	zt_json_str(o, f->r.rule_id ? zt_name(&d->names, ZT_N_RULE, f->r.rule_id) : "");
	fprintf(o, ",\"rule_id\":%u,\"action\":\"%s\",\"bytes_up\":%llu,\"bytes_down\":%llu,"
		"\"dropped\":%llu,\"duration_ms\":%llu,\"end\":\"%s\",\"generation\":%u}\n",
		f->r.rule_id, f->tunnel[0] ? "steer" : "drop", (unsigned long long)f->up,
		(unsigned long long)f->down, (unsigned long long)f->dropped,
		(unsigned long long)(zt_mono_ms() - f->start_ms), end, d->generation);
}

/* ---- the flow table ---------------------------------------------------------- */

static __u64 key_hash(__u64 seed, __u32 ifindex, __u8 family, const __u8 *src, __u16 sport,
		      const __u8 *dst, __u16 dport)
{
	__u8 k[41];

	k[0] = family;
	memcpy(k + 1, src, 16);
	memcpy(k + 17, dst, 16);
	k[33] = (__u8)(sport >> 8);
	k[34] = (__u8)sport;
	k[35] = (__u8)(dport >> 8);
	k[36] = (__u8)dport;
	memcpy(k + 37, &ifindex, 4);
	return zt_hash64(k, sizeof(k), seed);
}

/* Seeded at start (a random seed): nobody can pick flows to share a
 * bucket of the table, or a slot of the refusal cache, with another's. */
static __u64 flow_hash(const struct tun_dgram *f)
{
	return key_hash(f->tt->hash_seed ^ ((__u64)f->proto << 32 | f->kvlan), f->in_ifindex,
			f->family, f->src, f->sport, f->dst, f->dport);
}

/* A flow is its 4-tuple on the interface it came in on: the same
 * addresses from another interface or VLAN are another flow (another
 * device, maybe another vnet). */
static struct tun_dgram *find(struct ztd_tunnels *tt, const struct tun_dgram *k)
{
	struct tun_dgram *f;

	for (f = tt->udp_hash[flow_hash(k) % UDP_HASH]; f; f = f->hnext)
		if (f->in_ifindex == k->in_ifindex && f->kvlan == k->kvlan && f->family == k->family &&
		    f->proto == k->proto &&
		    f->sport == k->sport && f->dport == k->dport && !memcmp(f->src, k->src, 16) &&
		    !memcmp(f->dst, k->dst, 16))
			return f;
	return NULL;
}

/* Whose share a flow takes: its device's (all its addresses count as
 * one), or its address's when it is no device. */
static void share_key(const struct tun_dgram *f, __u8 *family, __u8 addr[16])
{
	if (!f->r.device_id) {
		*family = f->family;
		memcpy(addr, f->src, 16);
		return;
	}
	/* ff00::/8 is multicast: no client sends from it. */
	*family = ZT_AF_INET6;
	memset(addr, 0, 16);
	addr[0] = 0xff;
	addr[1] = 0x7a;
	memcpy(addr + 12, &f->r.device_id, 4);
}

static int share_take(struct ztd_tunnels *tt, const struct tun_dgram *f)
{
	__u8 fam, a[16];

	share_key(f, &fam, a);
	return zt_share_take(&tt->udp_share, fam, a, TUN_UDP_PER_CLIENT);
}

static void share_give(struct ztd_tunnels *tt, const struct tun_dgram *f)
{
	__u8 fam, a[16];

	share_key(f, &fam, a);
	zt_share_give(&tt->udp_share, fam, a);
}

/* Flows lately refused: their datagrams are dropped for a second without
 * being decided again (a client sending on and on costs a look-up). */
static struct tun_dgram_refused *refused_slot(struct ztd_tunnels *tt, __u64 h)
{
	return &tt->udp_refused[h % TUN_UDP_REFUSED];
}

static void unlink_flow(struct ztd_tunnels *tt, struct tun_dgram *f)
{
	struct tun_dgram **pp = &tt->udp_hash[flow_hash(f) % UDP_HASH];

	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	if (f->prev)
		f->prev->next = f->next;
	else
		tt->udp_flows = f->next;
	if (f->next)
		f->next->prev = f->prev;
	tt->n_udp--;
	tt->udp_fds -= f->proto == ZT_MUX_ICMP ? 2 : 1;
	f->c->n_udp--;
	share_give(tt, f);
}

static void udp_done(void *arg, struct zt_bridge *b, const char *why, __u32 code, __u64 in,
		     __u64 out)
{
	struct tun_dgram *f = arg;
	struct ztd_tunnels *tt = f->tt;

	f->up = in;
	f->down = out;
	f->dropped = zt_bridge_dropped(b);
	tt->udp_dropped += f->dropped;
	unlink_flow(tt, f);
	tun_icmp_forget(f);
	pr_debug("tunnel %s: a %s flow ended: %s\n", f->tunnel,
		 f->proto == ZT_MUX_ICMP ? "ICMP" : "UDP", why ? why : "closed");
	udp_log(tt, f, f->revoked ? "revoked" : code == ZT_MUX_E_IDLE ? "idle" :
		       code == ZT_MUX_E_GONE ? "connection_lost" : code ? "reset" : "closed");
	free(f);
}

/* ---- the decision ------------------------------------------------------------ */

static bool no_l7(void *arg, __u32 idx)
{
	(void)arg;
	(void)idx;
	return false; /* a datagram has no SNI, Host or detected protocol */
}

/* Decides f with the policy in force, as the kernel did (and the proxy
 * does for TCP): the tunnel it may go to into f->tunnel (and f->host for
 * an IRI), or false. */
static bool decide(struct ztd_tunnels *tt, struct tun_dgram *f)
{
	struct ztd *d = tt->d;
	const struct zt_cfg_tunnel *t;
	struct zt_compiled cc;
	struct zt_eval_pkt p = { 0 };
	struct zt_eval_result any;
	struct zt_iri_entry ie;
	struct zt_iri a;

	f->tunnel[0] = 0;
	if (!d->policy)
		return false;
	cc = *d->policy;
	p.ifindex = f->ifindex;
	p.vlan = f->vlan;
	p.family = f->family;
	p.pclass = f->proto == ZT_MUX_ICMP ? ZT_PC_ICMP : ZT_PC_UDP;
	p.dport = f->dport;
	memcpy(p.src, f->src, 16);
	memcpy(p.dst, f->dst, 16);
	zt_policy_eval(&cc, &p, &any); /* its vnet: an IRI is looked up in it */
	cc.iris = NULL;
	cc.n_iris = 0;
	if (ztd_iri_entry(d, f->family, f->dst, any.vnet_id, &ie)) {
		/* The DNS server's name for it, of the same allocation. */
		if (!ztd_dns_iri_name(d, f->family, f->dst, &a) || a.epoch != ie.epoch ||
		    (f->host[0] && strcmp(f->host, a.name)))
			return false;
		snprintf(f->host, sizeof(f->host), "%s", a.name);
		cc.iris = &ie;
		cc.n_iris = 1;
	} else if (f->host[0]) {
		return false; /* it was an IRI's flow: the name is gone */
	}
	zt_policy_eval_l7(&cc, &p, no_l7, NULL, &f->r);
	t = ztd_route_tunnel(&d->cfg, f->r.route_id);
	if (f->r.verdict != ZT_V_STEER || !t || t->local)
		return false;
	snprintf(f->tunnel, sizeof(f->tunnel), "%s", t->name);
	return true;
}

/* ---- a new flow --------------------------------------------------------------- */


/* Refused: counted, remembered for a second (its next datagrams are
 * dropped without a decision), and logged within the proxy's budget for
 * refused flows. f is freed. */
static void refuse(struct ztd_tunnels *tt, struct tun_dgram *f, const char *end, __u64 *counter)
{
	__u64 h = flow_hash(f);
	struct tun_dgram_refused *r = refused_slot(tt, h);

	(*counter)++;
	r->key = h;
	r->until_ms = zt_mono_ms() + 1000;
	f->tunnel[0] = 0;
	if (zt_rate_ok(&tt->udp_log_rate, tt->d->cfg.proxy_blocked_logs, zt_mono_ms(), NULL))
		udp_log(tt, f, end);
	else
		tt->udp_log_suppressed++;
	free(f);
}

/* The first datagram of a flow (f filled with who and where): decided,
 * and when allowed carried; f is the table's or freed. */
static void new_flow(struct ztd_tunnels *tt, struct tun_dgram *f, const __u8 *p, size_t n)
{
	struct zt_mux_open o = { .proto = f->proto, .port = f->dport };
	const struct zt_cfg_tunnel *t;
	struct tun_state *ts;
	struct zt_mux_stream *s;
	struct gw_conn *c;
	int fd, err;
	__u64 h;

	if (!decide(tt, f)) {
		refuse(tt, f, "blocked", &tt->udp_blocked);
		return;
	}
	ts = tun_state_by_name(tt, f->tunnel);
	c = ts ? tun_least_busy(tt, (int)(ts - tt->ts)) : NULL;
	if (!c) {
		refuse(tt, f, "no_connector", &tt->udp_no_tunnel);
		return;
	}
	/* The connection's stream memory is the TCP flows' too: UDP takes
	 * at most a share of it. */
	if (tt->udp_fds + (f->proto == ZT_MUX_ICMP ? 2 : 1) > tt->udp_max ||
	    c->n_udp >= TUN_UDP_PER_CONN) {
		refuse(tt, f, "full", &tt->udp_full);
		return;
	}
	err = share_take(tt, f);
	if (err) {
		/* One client's share, or all of them: its new flows are
		 * dropped, everyone's live ones go on. */
		refuse(tt, f, err == -EDQUOT ? "per_client" : "full", &tt->udp_full);
		return;
	}
	fd = f->proto == ZT_MUX_ICMP ? tun_icmp_pair(f) : tun_udp_sock(f);
	if (fd < 0) {
		__u64 dropped;

		if (zt_rate_ok(&tt->flow_log, 10, zt_mono_ms(), &dropped))
			pr_info("tunnel %s: a %s flow to port %u: its socket: %s%s\n", f->tunnel,
				f->proto == ZT_MUX_ICMP ? "ICMP" : "UDP", f->dport, strerror(-fd),
				fd == -EADDRINUSE ?
				" (a socket of the gateway's own holds that port on every "
				"address)" : "");
		share_give(tt, f);
		refuse(tt, f, "error", &tt->udp_failed);
		return;
	}
	t = ztd_route_tunnel(&tt->d->cfg, f->r.route_id);
	o.vnet = t ? (__u16)t->vnet : 0;
	if (f->host[0]) {
		snprintf(o.hostname, sizeof(o.hostname), "%s", f->host);
	} else {
		o.family = f->family;
		memcpy(o.addr, f->dst, 16);
	}
	ts->streams++;
	s = zt_mux_open(c->t.mux, &o, NULL, &err);
	if (!s) {
		ts->failed++;
		close(fd);
		tun_icmp_forget(f);
		share_give(tt, f);
		refuse(tt, f, "no_connector", &tt->udp_failed);
		return;
	}
	f->tt = tt;
	f->c = c;
	f->start_ms = zt_mono_ms();
	f->b = zt_bridge_new_dgram(&c->t, s, fd, tt->d->cfg.connector_udp_idle_ms, udp_done, f);
	if (!f->b) {
		ts->failed++;
		tun_icmp_forget(f);
		share_give(tt, f);
		refuse(tt, f, "error", &tt->udp_failed);
		return;
	}
	if (f->proto == ZT_MUX_UDP)
		zt_bridge_dgram_guard(f->b, ZT_MARK_STEER);
	h = flow_hash(f) % UDP_HASH;
	f->hnext = tt->udp_hash[h];
	tt->udp_hash[h] = f;
	f->next = tt->udp_flows;
	if (f->next)
		f->next->prev = f;
	tt->udp_flows = f;
	tt->n_udp++;
	tt->udp_fds += f->proto == ZT_MUX_ICMP ? 2 : 1; /* ICMP: a socket pair */
	c->n_udp++;
	tt->udp_opened++;
	if (f->proto == ZT_MUX_ICMP)
		tun_icmp_sent(f, p, n);
	if (f->host[0] && !zt_timer_armed(&tt->udp_iri))
		zt_timer_arm(tt->d->loop, &tt->udp_iri, 1000);
	zt_bridge_dgram_in(f->b, p, n); /* may end it (the flow is freed) */
}

void tun_dgram_in(struct ztd_tunnels *tt, const struct tun_dgram *key, const __u8 *p, size_t n)
{
	struct tun_dgram *f = find(tt, key);
	struct tun_dgram_refused *r;
	__u64 h;

	if (f) { /* came before the flow's socket was found (UDP), or ICMP */
		if (f->proto == ZT_MUX_ICMP)
			tun_icmp_sent(f, p, n);
		zt_bridge_dgram_in(f->b, p, n);
		return;
	}
	h = flow_hash(key);
	r = refused_slot(tt, h);
	if (r->key == h && zt_mono_ms() < r->until_ms) {
		tt->udp_refused_again++;
		return;
	}
	f = malloc(sizeof(*f));
	if (!f) {
		tt->udp_failed++;
		return;
	}
	*f = *key;
	f->reply.fd = -1;
	f->tt = tt;
	f->ifindex = ztd_client_ifindex(tt->d, key->in_ifindex, &f->vlan);
	if (key->kvlan) /* ICMP: tc saw the tag on the parent interface */
		f->vlan = key->kvlan;
	f->start_ms = zt_mono_ms();
	new_flow(tt, f, p, n);
}


/* Each flow holds a descriptor in ztd: the soft limit goes up by as many
 * as the flows may hold, as far as the hard limit lets it, and the flows
 * are held to what is left once ztd's own needs are kept back (what is
 * open now, the DNS server's queries and TCP clients, and a reserve for
 * control clients, connectors and the ingress), never to descriptors the
 * rest of ztd needs. */
#define UDP_FD_RESERVE (ZTD_DNS_PENDING + ZTD_DNS_TCP_MAX + 1024)

static size_t fd_room(void)
{
	struct rlimit rl;
	size_t open_now = 0;
	struct dirent *e;
	DIR *dir;
	rlim_t want;

	dir = opendir("/proc/self/fd");
	if (!dir || getrlimit(RLIMIT_NOFILE, &rl)) {
		if (dir)
			closedir(dir);
		return 0;
	}
	while ((e = readdir(dir)))
		open_now += e->d_name[0] != '.';
	closedir(dir);
	want = (rlim_t)open_now + UDP_FD_RESERVE + TUN_UDP_FLOWS + 2 * TUN_ACCESS_FLOWS +
	       TUN_TCP_FLOWS;
	if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
		want = rl.rlim_max;
	if (want > rl.rlim_cur) {
		struct rlimit up = { want, rl.rlim_max };

		if (!setrlimit(RLIMIT_NOFILE, &up))
			rl = up;
	}
	return rl.rlim_cur > open_now + UDP_FD_RESERVE ?
		       (size_t)(rl.rlim_cur - open_now - UDP_FD_RESERVE) : 0;
}

/* UDP and ICMP flows, access streams' socket pairs (tunnel_access.c) and
 * the TCP flows the proxy hands ztd each get a budget of their own out of
 * room: none takes another's. Short of what all need, each gets its part
 * of the need (TCP flows 16 of 22, UDP 4, access 2): a low limit leaves
 * every kind some, never the first in line all of it. */
static void fd_split(size_t room, struct ztd_tunnels *tt)
{
	const size_t need = TUN_UDP_FLOWS + 2 * TUN_ACCESS_FLOWS + TUN_TCP_FLOWS;

	if (room >= need) {
		tt->udp_max = TUN_UDP_FLOWS;
		tt->access_fd_max = 2 * TUN_ACCESS_FLOWS;
		tt->tcp_max = TUN_TCP_FLOWS;
		return;
	}
	tt->udp_max = room * TUN_UDP_FLOWS / need;
	tt->access_fd_max = room * (2 * TUN_ACCESS_FLOWS) / need;
	tt->tcp_max = room - tt->udp_max - tt->access_fd_max;
}

static void on_udp_iri(struct zt_timer *t)
{
	struct ztd_tunnels *tt = ztd_of(t, struct ztd_tunnels, udp_iri);
	struct tun_dgram *f;
	bool any = false;

	tun_dgram_recheck(tt);
	for (f = tt->udp_flows; f && !any; f = f->next)
		any = f->host[0] != 0;
	if (any) /* an IRI can be given to another name: checked each second */
		zt_timer_arm(tt->d->loop, t, 1000);
}

int tun_dgram_open(struct ztd_tunnels *tt)
{
	tt->udp_iri.cb = on_udp_iri;
	if (getrandom(&tt->hash_seed, sizeof(tt->hash_seed), 0) != sizeof(tt->hash_seed))
		return -EIO;
	tt->udp_hash = calloc(UDP_HASH, sizeof(*tt->udp_hash));
	tt->udp_refused = calloc(TUN_UDP_REFUSED, sizeof(*tt->udp_refused));
	if (!tt->udp_hash || !tt->udp_refused || zt_share_init(&tt->udp_share, TUN_UDP_FLOWS))
		return -ENOMEM;
	fd_split(fd_room(), tt);
	if (tt->udp_max < TUN_UDP_FLOWS)
		pr_warn("tunnel endpoint: open files limited (RLIMIT_NOFILE): %zu descriptors for "
			"UDP and ICMP flows to remote tunnels, not %d\n", tt->udp_max, TUN_UDP_FLOWS);
	if (tt->access_fd_max < 2 * TUN_ACCESS_FLOWS)
		pr_warn("tunnel endpoint: open files limited (RLIMIT_NOFILE): %zu access streams "
			"at once, not %d\n", tt->access_fd_max / 2, TUN_ACCESS_FLOWS);
	if (tt->tcp_max < TUN_TCP_FLOWS)
		pr_warn("tunnel endpoint: open files limited (RLIMIT_NOFILE): %zu TCP flows to "
			"remote tunnels at once, not %d\n", tt->tcp_max, TUN_TCP_FLOWS);
	return 0;
}

void tun_dgram_close(struct ztd_tunnels *tt)
{
	/* Their bridges end with their connections (the flows are freed
	 * there); what is left is the table. */
	while (tt->udp_flows)
		zt_bridge_abort(tt->udp_flows->b, ZT_MUX_E_NONE, "ztd stopping");
	zt_timer_stop(tt->d->loop, &tt->udp_iri);
	free(tt->udp_hash);
	tt->udp_hash = NULL;
	free(tt->udp_refused);
	tt->udp_refused = NULL;
	zt_share_free(&tt->udp_share);
}


void tun_dgram_recheck(struct ztd_tunnels *tt)
{
	struct tun_dgram *f, *next;

	for (f = tt->udp_flows; f; f = next) {
		char was[sizeof(f->tunnel)];

		next = f->next;
		memcpy(was, f->tunnel, sizeof(was));
		if (decide(tt, f) && !strcmp(was, f->tunnel))
			continue;
		/* Not allowed any more, or its route goes to another tunnel
		 * now: the stream made for what it was is not this flow's. */
		memcpy(f->tunnel, was, sizeof(was));
		f->revoked = true;
		tt->udp_revoked++;
		zt_bridge_abort(f->b, ZT_MUX_E_NONE, "revoked");
	}
}
