// SPDX-License-Identifier: GPL-2.0
/* maps.c — `ztctl maps dump [WHAT]`: what the kernel holds, read from the
 * pinned maps (so it works while ztd is down), ids resolved to the names
 * ztd recorded, per-CPU values summed unless --per-cpu. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "sort.h"
#include "addr.h"
#include "clock.h"
#include "maps.h"
#include "iri.h"
#include "names.h"
#include "out.h"
#include "stats.h"
#include "zt_abi.h"
#include "ztctl.h"

static struct zt_names N;
static struct zt_map_fds M;
static struct zt_state S;
static bool per_cpu;

static void usage(FILE *f)
{
	fprintf(f, "usage: ztctl [-j|-p] maps dump [routes|devices|iri|flows|drops|nat|policy|\n"
		"       stats]... "
		"[--per-cpu]\n\n"
		"Prints what the kernel holds (all sections when none is named):\n"
		"  routes   destination prefixes per vnet: route, tunnel, rule set\n"
		"  devices  enrolled source addresses per interface: device, user, vnet\n"
		"  iri      the IRI pools and the initial resolved IPs DNS allocated: hostname,\n"
		"           route, tunnel, the server's real address (local tunnels),\n"
		"           seconds since last answered and since a packet last reached\n"
		"           it, its epoch (new when the address goes to another name),\n"
		"           flows made for its current name\n"
		"  flows    the flow cache: 5-tuple, verdict, rule, packets, bytes, seconds idle\n"
		"  drops    drop verdicts, kept for every source port (a flood that changes\n"
		"           it is one entry), or for every protocol and port (dst addr:*,\n"
		"           protocol any): source, destination, rule, packets, age\n"
		"  nat      the DIRECT path's translations: the client's tuple, the SNAT\n"
		"           address and port, the real destination, the private interface,\n"
		"           packets each way, seconds idle\n"
		"  policy   generation, default action, the rules in precedence order\n"
		"  stats    packets and bytes by verdict and reason, and other counters\n"
		"  --per-cpu  stats per CPU instead of summed\n"
		"Reads the maps pinned under the pin root; works while ztd is down.\n");
}

static const char *nm(enum zt_name_kind k, __u32 id, char *buf, size_t n)
{
	const char *s = zt_name(&N, k, id);

	if (s)
		return s;
	snprintf(buf, n, "%u", id);
	return buf;
}

static __u32 active(void)
{
	return S.active & 1;
}

/* The routed trie entries of the active half, read once (two syscalls an
 * entry: at a million routes the walk is the cost of a dump) and shared
 * by the routes section and the route names of the others. */
struct route_row {
	struct zt_prefix pfx;
	__u32 vnet;
	struct zt_dst d;
};
static struct route_row *rows;
static size_t n_rows;
static bool rows_loaded;
/* A route is named by its prefix: of the entries that carry its id, the
 * shortest is the route's own (the others are rule prefixes inside it). */
static struct zt_prefix *route_pfx;
static size_t n_route_pfx;

static void rows_add(const struct route_row *r)
{
	static size_t cap;

	if (n_rows == cap) {
		size_t nc = cap ? cap * 2 : 1024;
		struct route_row *nr = realloc(rows, nc * sizeof(*nr));

		if (!nr)
			return; /* shown as far as memory allowed */
		rows = nr;
		cap = nc;
	}
	rows[n_rows++] = *r;
}

static void name_route(const struct route_row *r)
{
	__u32 id = r->d.route_id;

	if (!id)
		return;
	if (id >= n_route_pfx) {
		size_t nn = (size_t)id * 2;
		struct zt_prefix *np = realloc(route_pfx, nn * sizeof(*np));

		if (!np)
			return;
		memset(np + n_route_pfx, 0, (nn - n_route_pfx) * sizeof(*np));
		route_pfx = np;
		n_route_pfx = nn;
	}
	if (!route_pfx[id].family || route_pfx[id].len > r->pfx.len)
		route_pfx[id] = r->pfx;
}

static void rows_load(void)
{
	union { struct zt_route4_key k4; struct zt_route6_key k6; } k, next;
	size_t i;
	int fam;

	if (rows_loaded)
		return;
	rows_loaded = true;
	for (fam = 0; fam < 2; fam++) {
		int fd = fam ? M.routes6 : M.routes4;
		void *prev = NULL;

		while (!bpf_map_get_next_key(fd, prev, &next)) {
			struct route_row r = { .pfx.family = fam ? ZT_AF_INET6 : ZT_AF_INET };
			struct zt_route_val v;

			k = next;
			prev = &k;
			if (bpf_map_lookup_elem(fd, &k, &v))
				continue;
			r.d = v.half[active()];
			if (!(r.d.flags & ZT_DST_F_ROUTED))
				continue; /* an entry only a rule needs */
			r.pfx.len = (__u8)(k.k4.prefixlen - ZT_VNET_BITS);
			memcpy(r.pfx.addr, fam ? (void *)k.k6.addr : (void *)k.k4.addr, fam ? 16 : 4);
			r.vnet = k.k4.vnet_id;
			rows_add(&r);
		}
	}
	for (i = 0; i < n_rows; i++)
		name_route(&rows[i]);
}

static const char *route_nm(__u32 id, char *buf, size_t n)
{
	if (id & ZT_ROUTE_ID_HOST)
		return nm(ZT_N_HOSTROUTE, id & ~ZT_ROUTE_ID_HOST, buf, n);
	rows_load();
	if (id < n_route_pfx && route_pfx[id].family)
		return zt_prefix_str(&route_pfx[id], buf, n);
	snprintf(buf, n, "%u", id);
	return buf;
}

static void dump_routes(void)
{
	size_t i;

	out_text("%-28s %-10s %-18s %-12s %-8s\n", "PREFIX", "VNET", "ROUTE", "TUNNEL",
		 "PATH");
	out_arr_start("routes");
	rows_load();
	for (i = 0; i < n_rows; i++) {
		const struct route_row *r = &rows[i];
		char pfx[ZT_PREFIX_STRLEN], b1[16], b2[ZT_PREFIX_STRLEN], b3[16];

		out_obj_start(NULL);
		out_str("prefix", "%-28s ", zt_prefix_str(&r->pfx, pfx, sizeof(pfx)));
		out_str("vnet", "%-10s ", nm(ZT_N_VNET, r->vnet, b1, sizeof(b1)));
		out_u64("route_id", NULL, r->d.route_id);
		out_str("route", "%-18s ", route_nm(r->d.route_id, b2, sizeof(b2)));
		out_str("tunnel", "%-12s ", nm(ZT_N_TUNNEL, r->d.tunnel_id, b3, sizeof(b3)));
		out_str("path", "%-8s\n", r->d.flags & ZT_DST_F_LOCAL ? "direct" : "steer");
		out_obj_end();
	}
	out_arr_end();
}

static void dump_devices(void)
{
	struct zt_dev_key k, next;
	void *prev = NULL;

	out_text("%-10s %-40s %-16s %-26s %-10s\n", "INTERFACE", "ADDRESS", "DEVICE", "USER",
		 "VNET");
	out_arr_start("devices");
	while (!bpf_map_get_next_key(M.devices, prev, &next)) {
		struct zt_dev_val v;
		const struct zt_ident *id;
		char a[64], ifn[IF_NAMESIZE], b1[16], b2[16], b3[16];

		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(M.devices, &k, &v))
			continue;
		id = &v.half[active()];
		if (id->device_id == ZT_ID_NONE)
			continue;
		inet_ntop(k.family == ZT_AF_INET6 ? AF_INET6 : AF_INET, k.addr, a, sizeof(a));
		if (!if_indextoname(k.ifindex, ifn))
			snprintf(ifn, sizeof(ifn), "#%u", k.ifindex);
		out_obj_start(NULL);
		out_str("interface", "%-10s ", ifn);
		out_str("address", "%-40s ", a);
		out_str("device", "%-16s ", nm(ZT_N_DEVICE, id->device_id, b1, sizeof(b1)));
		out_str("user_email", "%-26s ", nm(ZT_N_USER, id->user_id, b2, sizeof(b2)));
		out_str("vnet", "%-10s\n", nm(ZT_N_VNET, id->vnet_id, b3, sizeof(b3)));
		out_u64("device_id", NULL, id->device_id);
		out_u64("user_id", NULL, id->user_id);
		out_obj_end();
	}
	out_arr_end();
}

static __u32 vnet_by_name(void *arg, const char *name)
{
	__u32 i;

	(void)arg;
	for (i = 0; i < N.n[ZT_N_VNET]; i++)
		if (N.v[ZT_N_VNET][i] && !strcmp(N.v[ZT_N_VNET][i], name))
			return i;
	return 0;
}

struct iri_row {
	struct zt_iri_key k;
	struct zt_dst d;
	__u64 flows;
	bool real_ok;
	__u32 real_ttl;
	__u8 real[16];
	__u32 epoch;
	__u64 last_ns;
};

static int iri_row_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct zt_iri_key));
}

/* Initial resolved IPs the DNS server allocated, and the pools: the name
 * and age from ztd's state file, the flows from the flow cache. */
static void dump_iri(void)
{
	const struct zt_half_cfg *h = &S.half[active()];
	struct zt_iri_key k, next;
	struct zt_flow_key fk, fnext;
	struct zt_iri_pool pool = { 0 };
	struct zt_prefix p4 = { .family = ZT_AF_INET }, p6 = { .family = ZT_AF_INET6 };
	struct iri_row *rows_ = NULL;
	size_t n = 0, cap = 0, i, skipped;
	void *prev = NULL;
	char a[64], m[64];
	__u64 now = (__u64)time(NULL), now_ns = zt_bpf_now_ns();

	inet_ntop(AF_INET, h->iri4_addr, a, sizeof(a));
	inet_ntop(AF_INET, h->iri4_mask, m, sizeof(m));
	out_obj_start("pools");
	out_str("ipv4", "pools: %s", a);
	out_str("ipv4_mask", " mask %s", m);
	inet_ntop(AF_INET6, h->iri6_addr, a, sizeof(a));
	inet_ntop(AF_INET6, h->iri6_mask, m, sizeof(m));
	out_str("ipv6", ", %s", a);
	out_str("ipv6_mask", " mask %s\n", m);
	out_obj_end();
	while (!bpf_map_get_next_key(M.iri, prev, &next)) {
		struct zt_iri_val v;

		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(M.iri, &k, &v) ||
		    !(v.half[active()].flags & ZT_DST_F_ROUTED))
			continue;
		if (n == cap) {
			struct iri_row *q = realloc(rows_, (cap = cap ? 2 * cap : 64) * sizeof(*q));

			if (!q)
				break;
			rows_ = q;
		}
		rows_[n++] = (struct iri_row){ k, v.half[active()], 0, v.real_ok, v.real_ttl, { 0 },
					       v.epoch, v.last_ns };
		memcpy(rows_[n - 1].real, v.real, 16);
	}
	zt_qsort(rows_, n, sizeof(*rows_), iri_row_cmp);
	prev = NULL;
	while (n && !bpf_map_get_next_key(M.flows, prev, &fnext)) {
		struct zt_flow fv;
		struct iri_row key = { 0 }, *r;

		fk = fnext;
		prev = &fk;
		if (bpf_map_lookup_elem(M.flows, &fk, &fv))
			continue;
		key.k.vnet_id = fv.vnet_id;
		key.k.family = fk.family;
		memcpy(key.k.addr, fk.dst, 16);
		r = zt_bsearch(&key, rows_, n, sizeof(*rows_), iri_row_cmp);
		if (r && (fv.route_id & ZT_ROUTE_ID_HOST) && fv.iri_epoch == r->epoch)
			r->flows++; /* made for the name it has now */
	}
	/* Every address can be in the file: the pools are for the lookups. */
	zt_iri_pool_init(&pool, &p4, &p6, ZT_MAX_IRIS, 0);
	if (N.iri_state)
		zt_iri_load(&pool, N.iri_state, vnet_by_name, NULL, &skipped);
	out_text("%-26s %-28s %-10s %-18s %-12s %-7s %-26s %8s %8s %6s\n", "ADDRESS", "HOSTNAME",
		 "VNET", "ROUTE", "TUNNEL", "PATH", "REAL ADDRESS", "ANSWERED", "USED", "FLOWS");
	out_arr_start("iri");
	for (i = 0; i < n; i++) {
		const struct iri_row *r = &rows_[i];
		long j = zt_iri_find_addr(&pool, r->k.family, r->k.addr);
		const struct zt_iri *ia = j >= 0 && pool.a[j].vnet == r->k.vnet_id ? &pool.a[j] : NULL;
		char b1[16], b2[ZT_PREFIX_STRLEN], b3[16], age[32] = "-", real[64] = "-",
		     used[32] = "-";

		inet_ntop(r->k.family == ZT_AF_INET6 ? AF_INET6 : AF_INET, r->k.addr, a, sizeof(a));
		if (ia)
			snprintf(age, sizeof(age), "%llus",
				 (unsigned long long)(now > ia->last_answer ? now - ia->last_answer : 0));
		if (r->last_ns)
			snprintf(used, sizeof(used), "%llus", (unsigned long long)
				 (now_ns > r->last_ns ? (now_ns - r->last_ns) / 1000000000ULL : 0));
		if (r->real_ok)
			inet_ntop(r->k.family == ZT_AF_INET6 ? AF_INET6 : AF_INET, r->real, real,
				  sizeof(real));
		else if (r->d.flags & ZT_DST_F_LOCAL)
			snprintf(real, sizeof(real), "unresolved");
		out_obj_start(NULL);
		out_str("address", "%-26s ", a);
		out_str("hostname", "%-28s ", ia ? ia->name : "?");
		out_str("vnet", "%-10s ", nm(ZT_N_VNET, r->k.vnet_id, b1, sizeof(b1)));
		out_str("route", "%-18s ", route_nm(r->d.route_id, b2, sizeof(b2)));
		out_str("tunnel", "%-12s ", nm(ZT_N_TUNNEL, r->d.tunnel_id, b3, sizeof(b3)));
		out_str("path", "%-7s ", r->d.flags & ZT_DST_F_LOCAL ? "direct" : "steer");
		out_str("real_address", "%-26s ", real);
		if (r->real_ok)
			out_u64("real_ttl", NULL, r->real_ttl);
		out_str("answered_ago", "%8s ", age);
		if (ia)
			out_u64("last_answer", NULL, ia->last_answer);
		out_str("used_ago", "%8s ", used);
		out_u64("epoch", NULL, r->epoch);
		out_u64("flows", "%6llu\n", r->flows);
		out_obj_end();
	}
	out_arr_end();
	zt_iri_pool_free(&pool);
	free(rows_);
}

/* "a.b.c.d:port" or "[v6]:port". */
static const char *endpoint(char *buf, size_t n, __u8 family, const __u8 *addr, __be16 port)
{
	char a[INET6_ADDRSTRLEN];
	int af = family == ZT_AF_INET6 ? AF_INET6 : AF_INET;

	inet_ntop(af, addr, a, sizeof(a));
	snprintf(buf, n, af == AF_INET6 ? "[%s]:%u" : "%s:%u", a, ntohs(port));
	return buf;
}

/* An address with every port: "addr:*". */
static void any_port(char *buf, size_t n, __u8 family, const __u8 *addr)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(family == ZT_AF_INET6 ? AF_INET6 : AF_INET, addr, a, sizeof(a));
	snprintf(buf, n, family == ZT_AF_INET6 ? "[%s]:*" : "%s:*", a);
}

/* The flow cache, or (drops) the drop verdicts kept for every source port
 * of a flow: those show since when the source has been dropped, not how
 * long it has been quiet (a hit does not write the time). */
static void dump_cache(int fd, const char *name, bool drops)
{
	struct zt_flow_key k, next;
	struct zt_drop_waiting w = { 0 };
	void *prev = NULL;
	__u64 now_ns = zt_bpf_now_ns();

	/* A drop's latest packets may still wait in zt_drop_last: counted
	 * with it (a map that cannot be read adds nothing). */
	if (drops)
		zt_drop_waiting_read(M.drop_last, &w);

	out_text("%-42s %-42s %-6s %-7s %-9s %-24s %10s %12s %8s\n", "SOURCE", "DESTINATION",
		 "PROTO", "VERDICT", "REASON", "RULE", "PACKETS", "BYTES", drops ? "AGE" : "IDLE");
	out_arr_start(name);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct zt_flow f;
		char s[80], d[80], pb[8], rb[16], idle[32];
		bool any;
		__u64 t;

		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, &f))
			continue;
		if (drops)
			zt_drop_waiting_add(&w, &k, &f.packets, &f.bytes);
		any = drops && (k.vlan & ZT_FLOW_KEY_ANY);
		if (drops)
			any_port(s, sizeof(s), k.family, k.src);
		else
			endpoint(s, sizeof(s), k.family, k.src, k.sport);
		if (any)
			any_port(d, sizeof(d), k.family, k.dst);
		else
			endpoint(d, sizeof(d), k.family, k.dst, k.dport);
		t = drops ? f.created_ns : f.last_seen_ns;
		snprintf(idle, sizeof(idle), "%.1fs", now_ns > t ? (double)(now_ns - t) / 1e9 : 0.0);
		out_obj_start(NULL);
		out_str("src", "%-42s ", s);
		out_str("dst", "%-42s ", d);
		out_str("protocol", "%-6s ", any ? "any" : zt_proto_name(k.proto, pb, sizeof(pb)));
		out_str("verdict", "%-7s ", zt_verdict_name(f.verdict));
		out_str("reason", "%-9s ", zt_reason_name(f.reason));
		out_str("rule", "%-24.24s ", f.rule_id ? nm(ZT_N_RULE, f.rule_id, rb, sizeof(rb)) : "-");
		out_u64("packets", "%10llu ", f.packets);
		out_u64("bytes", "%12llu ", f.bytes);
		out_str(drops ? "age" : "idle", "%8s\n", idle);
		out_u64("rule_id", NULL, f.rule_id);
		out_u64("generation", NULL, f.generation);
		out_bool("current", NULL,
			 f.generation == S.half[active()].generation);
		out_obj_end();
	}
	out_arr_end();
	zt_drop_waiting_free(&w);
}

static void dump_flows(void)
{
	dump_cache(M.flows, "flows", false);
}

static void dump_drops(void)
{
	dump_cache(M.drops, "drops", true);
}

/* One row per DIRECT flow: its FWD entry, joined with its REV entry. */
static void dump_nat(void)
{
	struct zt_flow_key k, next, rk;
	void *prev = NULL;
	__u64 now_ns = zt_bpf_now_ns();

	out_text("%-6s %-42s %-42s %-42s %-42s %-8s %10s %10s %8s\n", "PROTO", "CLIENT",
		 "DESTINATION", "SNAT", "REAL DESTINATION", "VIA", "PACKETS", "REPLIES", "IDLE");
	out_arr_start("nat");
	while (!bpf_map_get_next_key(M.nat, prev, &next)) {
		struct zt_nat f, r;
		char c[80], d[80], sn[80], rd[80], a[INET6_ADDRSTRLEN], pb[8], ib[16], idle[32];
		char db[16];
		int af = next.family == ZT_AF_INET6 ? AF_INET6 : AF_INET;
		bool pair;
		__u64 last;
		__u8 fl;

		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(M.nat, &k, &f) || f.dir != ZT_NAT_FWD)
			continue;
		zt_nat_rev_key(&k, &f, &rk);
		pair = !bpf_map_lookup_elem(M.nat, &rk, &r) && zt_nat_rev_owns(&k, &r);
		last = pair && r.last_seen_ns > f.last_seen_ns ? r.last_seen_ns : f.last_seen_ns;
		fl = f.flags | (pair ? r.flags : 0);
		snprintf(idle, sizeof(idle), "%.1fs",
			 now_ns > last ? (double)(now_ns - last) / 1e9 : 0.0);
		endpoint(c, sizeof(c), k.family, k.src, k.sport);
		endpoint(d, sizeof(d), k.family, k.dst, k.dport);
		endpoint(sn, sizeof(sn), k.family, f.src, f.sport);
		endpoint(rd, sizeof(rd), k.family, f.dst, f.dport);
		out_obj_start(NULL);
		out_str("protocol", "%-6s ", zt_proto_name(k.proto, pb, sizeof(pb)));
		out_str("client", "%-42s ", c);
		out_str("destination", "%-42s ", d);
		out_str("snat", "%-42s ", sn);
		out_str("real_destination", "%-42s ", rd);
		out_str("interface", "%-8s ", nm(ZT_N_IFACE, f.ifindex, ib, sizeof(ib)));
		out_u64("packets", "%10llu ", f.packets);
		out_u64("reply_packets", "%10llu ", pair ? r.packets : 0);
		out_str("idle", "%8s\n", idle);
		out_str("src", NULL, inet_ntop(af, k.src, a, sizeof(a)));
		out_u64("src_port", NULL, ntohs(k.sport));
		out_str("dst", NULL, inet_ntop(af, k.dst, a, sizeof(a)));
		out_u64("dst_port", NULL, ntohs(k.dport));
		out_str("snat_src", NULL, inet_ntop(af, f.src, a, sizeof(a)));
		out_u64("snat_port", NULL, ntohs(f.sport));
		out_str("real_dst", NULL, inet_ntop(af, f.dst, a, sizeof(a)));
		out_str("client_interface", NULL, nm(ZT_N_IFACE, k.ifindex, ib, sizeof(ib)));
		out_u64("device_id", NULL, f.device);
		out_str("device", NULL, f.device ? nm(ZT_N_DEVICE, f.device, db, sizeof(db)) :
			"unenrolled");
		out_u64("bytes", NULL, f.bytes);
		out_u64("reply_bytes", NULL, pair ? r.bytes : 0);
		out_bool("reply_entry", NULL, pair);
		out_bool("closing", NULL, fl & (ZT_NAT_F_FIN | ZT_NAT_F_RST));
		if (k.proto == IPPROTO_TCP)
			out_str("state", NULL, fl & ZT_NAT_F_RST ? "reset" : fl & ZT_NAT_F_FIN ?
				"closing" : fl & ZT_NAT_F_EST ? "established" : "embryonic");
		out_obj_end();
	}
	out_arr_end();
}

static void dump_policy(void)
{
	const struct zt_half_cfg *h = &S.half[active()];
	__u32 bit, base = active() * ZT_MAX_RULES;
	char b[16];

	out_obj_start("policy");
	out_u64("generation", "generation %llu, ", h->generation);
	out_str("default_action", "default action %s, ",
		h->default_action == ZT_ACT_ALLOW ? "allow" : "block");
	out_str("config", "config %s\n", N.config);
	out_text("%-5s %-6s %-40s %-6s %-5s %s\n", "ORDER", "ID", "RULE", "ACTION", "FOR", "L7");
	out_arr_start("rules");
	for (bit = 0; bit < (__u32)h->nwords * 64; bit++) {
		__u32 idx = base + bit;
		struct zt_rule r;

		if (bpf_map_lookup_elem(M.rules, &idx, &r) || !r.rule_id)
			continue;
		out_obj_start(NULL);
		out_u64("order", "%-5llu ", bit);
		out_u64("rule_id", "%-6llu ", r.rule_id);
		out_str("rule", "%-40s ", nm(ZT_N_RULE, r.rule_id, b, sizeof(b)));
		out_str("action", "%-6s ", r.action == ZT_ACT_ALLOW ? "allow" : "block");
		/* A rule with host or sni selectors has a bit for each. */
		out_str("for", "%-5s ", r.flags & ZT_RULE_F_IRI ? "iri" :
					r.flags & ZT_RULE_F_CIDR ? "cidr" : "any");
		out_bool("l7", "%s\n", r.flags & ZT_RULE_F_L7);
		out_obj_end();
	}
	out_arr_end();
	out_obj_end();
}

static void dump_stats(void)
{
	static const char *const cnames[] = {
#define ZT_C_NAME(up, low) #low,
		ZT_COUNTERS(ZT_C_NAME)
#undef ZT_C_NAME
	};
	int ncpus = libbpf_num_possible_cpus(), cpu;
	struct zt_stat *v = calloc((size_t)ncpus, sizeof(*v));
	__u64 *c = calloc((size_t)ncpus, sizeof(*c));
	__u32 i;

	_Static_assert(sizeof(cnames) / sizeof(cnames[0]) == ZT_C_MAX, "counter names");
	if (!v || !c)
		goto out;
	out_text("%-8s %-12s %-5s %14s %16s\n", "VERDICT", "REASON", "CPU", "PACKETS", "BYTES");
	out_arr_start("stats");
	for (i = 0; i < ZT_V_MAX * ZT_MAX_REASONS; i++) {
		__u64 p = 0, by = 0;

		if (bpf_map_lookup_elem(M.stats, &i, v))
			continue;
		for (cpu = 0; cpu < ncpus; cpu++) {
			p += v[cpu].packets;
			by += v[cpu].bytes;
		}
		if (!p)
			continue;
		for (cpu = per_cpu ? 0 : -1; cpu < (per_cpu ? ncpus : 0); cpu++) {
			char cb[16];

			if (cpu >= 0 && !v[cpu].packets)
				continue;
			snprintf(cb, sizeof(cb), cpu < 0 ? "all" : "%d", cpu);
			out_obj_start(NULL);
			out_str("verdict", "%-8s ", zt_verdict_name((__u8)(i / ZT_MAX_REASONS)));
			out_str("reason", "%-12s ", zt_reason_name((__u8)(i % ZT_MAX_REASONS)));
			if (cpu >= 0)
				out_u64("cpu", "%-5llu ", (unsigned long long)cpu);
			else
				out_text("%-5s ", cb);
			out_u64("packets", "%14llu ", cpu < 0 ? p : v[cpu].packets);
			out_u64("bytes", "%16llu\n", cpu < 0 ? by : v[cpu].bytes);
			out_obj_end();
		}
	}
	out_arr_end();
	out_text("\n");
	out_obj_start("counters");
	for (i = 0; i < ZT_C_MAX; i++) {
		__u64 sum = 0;

		if (bpf_map_lookup_elem(M.counters, &i, c))
			continue;
		for (cpu = 0; cpu < ncpus; cpu++)
			sum += c[cpu];
		out_text("%-14s ", cnames[i]);
		out_u64(cnames[i], "%llu\n", sum);
	}
	out_obj_end();
out:
	free(v);
	free(c);
}

int maps_main(int argc, char **argv)
{
	static const struct { const char *name; void (*fn)(void); } what[] = {
		{ "policy", dump_policy }, { "routes", dump_routes }, { "devices", dump_devices },
		{ "iri", dump_iri }, { "flows", dump_flows }, { "drops", dump_drops },
		{ "nat", dump_nat },
		{ "stats", dump_stats },
	};
	const size_t nw = sizeof(what) / sizeof(what[0]);
	bool want[sizeof(what) / sizeof(what[0])] = { 0 }, any = false;
	__u32 zero = 0;
	size_t k;
	int i, err;

	err = ztctl_verb(argc, argv, "maps", "dump", usage);
	if (err >= 0)
		return err;
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--per-cpu")) {
			per_cpu = true;
			continue;
		}
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		for (k = 0; k < nw && strcmp(argv[i], what[k].name); k++)
			;
		if (k == nw) {
			char names[128] = "";

			for (k = 0; k < nw; k++)
				snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
					 k ? ", " : "", what[k].name);
			out_error("unknown section '%s' (%s)", argv[i], names);
			return 2;
		}
		want[k] = any = true;
	}
	err = zt_maps_open_pinned(ztctl_pin_root, &M);
	if (err) {
		if (err == -ENOENT)
			out_error("no zt maps are pinned under %s: ztd has not run on this node "
				  "(or was removed with ztd --detach)", ztctl_pin_root);
		else if (err == -EPROTO)
			out_error("the maps under %s belong to an incompatible zt build",
				  ztctl_pin_root);
		else
			out_error("opening the maps under %s: %s", ztctl_pin_root, strerror(-err));
		return 1;
	}
	if (bpf_map_lookup_elem(M.state, &zero, &S)) {
		out_error("reading zt_state: %s", strerror(errno));
		return 1;
	}
	zt_names_read(ztctl_names_path, &N);
	out_obj_start(NULL);
	for (k = 0; k < nw; k++) {
		if (any && !want[k])
			continue;
		if (!any && !zt_out_json())
			printf("== %s\n", what[k].name);
		what[k].fn();
		if (!any && !zt_out_json() && k + 1 < nw)
			printf("\n");
	}
	out_obj_end();
	zt_names_free(&N);
	zt_maps_close(&M);
	return 0;
}
