// SPDX-License-Identifier: GPL-2.0
/* test_policy — prefixes and the policy compiler: parse errors, containment,
 * compile errors, and a randomized comparison of the compiled bitmaps
 * (zt_policy_eval, the kernel's algorithm) against a naive first-match scan
 * of the rules in precedence order. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "addr.h"
#include "detect.h"
#include "policy.h"
#include "../lib/t.h"

/* prefix_reads: TEXT parses as a prefix of FAMILY and LEN, and prints
 * back as AS. */
static void prefix_reads(const char *text, __u8 family, __u8 len, const char *as)
{
	struct zt_prefix p;
	char buf[ZT_PREFIX_STRLEN];

	T_EQ(zt_prefix_parse(text, &p), 0);
	T_EQ(p.family, family);
	T_EQ(p.len, len);
	T_ASSERT(!strcmp(zt_prefix_str(&p, buf, sizeof(buf)), as), "%s: %s", text, buf);
}

static void prefix_parse_valid(void)
{
	prefix_reads("10.0.0.0/8", ZT_AF_INET, 8, "10.0.0.0/8");
	prefix_reads("10.2.0.3", ZT_AF_INET, 32, "10.2.0.3/32");
	prefix_reads("fd7a:5a7e::/64", ZT_AF_INET6, 64, "fd7a:5a7e::/64");
	prefix_reads("::/0", ZT_AF_INET6, 0, "::/0");
}

static void prefix_parse_errors(void)
{
	struct zt_prefix p;

	T_EQ(zt_prefix_parse("10.0.0.0/33", &p), -ERANGE);
	T_EQ(zt_prefix_parse("fd00::/129", &p), -ERANGE);
	T_EQ(zt_prefix_parse("10.0.0.1/24", &p), -EBADMSG);
	T_EQ(zt_prefix_parse("10.0.0.0/", &p), -EINVAL);
	T_EQ(zt_prefix_parse("10.0.0.0/-1", &p), -EINVAL);
	T_EQ(zt_prefix_parse("10.0.0.0/8x", &p), -EINVAL);
	T_EQ(zt_prefix_parse("10.0.0/8", &p), -EINVAL);
	T_EQ(zt_prefix_parse("", &p), -EINVAL);
	T_EQ(zt_prefix_parse("/8", &p), -EINVAL);
	T_EQ(zt_prefix_parse("host.example/8", &p), -EINVAL);
	T_EQ(zt_prefix_parse(NULL, &p), -EINVAL);
	T_EQ(zt_prefix_parse("1111111111111111111111111111111111111111111111111111111111111111111", &p),
	     -EINVAL);
}

static void prefix_contains(void)
{
	struct zt_prefix a, b, c, d;

	zt_prefix_parse("172.16.0.0/12", &a);
	zt_prefix_parse("172.31.0.0/16", &b);
	zt_prefix_parse("172.32.0.0/16", &c);
	zt_prefix_parse("fd00::/8", &d);
	T_ASSERT(zt_prefix_contains(&a, &b), "/12 contains 172.31/16");
	T_ASSERT(!zt_prefix_contains(&b, &a), "/16 does not contain its /12");
	T_ASSERT(!zt_prefix_contains(&a, &c), "172.32/16 is outside");
	T_ASSERT(!zt_prefix_contains(&a, &d), "families differ");
	T_ASSERT(zt_prefix_contains(&a, &a), "a prefix contains itself");
}

static void compile_errors(void)
{
	static struct zt_rule_in many[ZT_MAX_RULES + 1];
	struct zt_device_in dev = { 1, { 0 }, 1, 1, 1, 0 };
	struct zt_route_in rt = { { 0 }, 1, 0, 1, false };
	struct zt_policy_in in = { .rules = many, .n_rules = ZT_MAX_RULES + 1, .default_vnet = 1 };
	struct zt_compiled c;

	T_EQ(zt_policy_compile(&in, &c), -E2BIG);
	in.n_rules = ZT_MAX_RULES; /* exactly the limit is fine */
	T_EQ(zt_policy_compile(&in, &c), 0);
	T_EQ(c.cfg.nwords, ZT_RULE_WORDS);
	zt_compiled_free(&c);

	in.n_rules = 0;
	zt_prefix_parse("10.10.0.0/24", &dev.addr); /* not a host */
	in.devices = &dev;
	in.n_devices = 1;
	T_EQ(zt_policy_compile(&in, &c), -EINVAL);
	in.n_devices = 0;
	zt_prefix_parse("10.0.0.0/8", &rt.pfx); /* route id 0 */
	in.routes = &rt;
	in.n_routes = 1;
	T_EQ(zt_policy_compile(&in, &c), -EINVAL);
}

static void nested_prefixes_carry_route_and_rules(void)
{
	struct zt_prefix r8, r16, h;
	struct zt_route_in rt[1];
	struct zt_rule_in rule = { .name = "x", .precedence = 1, .action = ZT_ACT_ALLOW };
	struct zt_policy_in in = { .rules = &rule, .n_rules = 1, .routes = rt, .n_routes = 1,
				   .default_vnet = 1, .default_action = ZT_ACT_BLOCK };
	const struct zt_dst_entry *e;
	struct zt_compiled c;

	zt_prefix_parse("10.0.0.0/8", &r8);
	zt_prefix_parse("10.1.0.0/16", &r16);
	rt[0] = (struct zt_route_in){ r8, 1, 7, 3, true };
	rule.dst = &r16;
	rule.n_dst = 1;
	T_EQ(zt_policy_compile(&in, &c), 0);
	T_EQ(c.n_dsts, 2);
	zt_prefix_parse("10.1.2.3", &h);
	e = zt_compiled_lookup(&c, 1, &h);
	T_ASSERT(e && e->pfx.len == 16, "10.1.2.3 resolves through the rule's /16");
	if (e) {
		T_EQ(e->dst.route_id, 7); /* the /8 route pushed into the /16 */
		T_EQ(e->dst.flags, ZT_DST_F_ROUTED | ZT_DST_F_LOCAL);
		T_EQ(c.sets[e->dst.dst_set].w[0], 1);
	}
	zt_prefix_parse("10.2.2.3", &h);
	e = zt_compiled_lookup(&c, 1, &h);
	T_ASSERT(e && e->pfx.len == 8, "10.2.2.3 resolves through the /8");
	if (e)
		T_EQ(c.sets[e->dst.dst_set].w[0], 0);
	T_ASSERT(!zt_compiled_lookup(&c, 2, &h), "vnet 2 has no entries");
	zt_compiled_free(&c);
}

/* ---- host, sni and detected_protocol: a bit for IRIs, a bit for CIDR ---- */

/* What a flow from the one device to dst (an IRI of name when name is
 * set) gets: verdict, reason, rule. */
struct l7w {
	struct zt_policy_in in;
	struct zt_compiled c;
	struct zt_iri_entry ie;
};

static void l7_eval(struct l7w *w, const char *name, const char *dst, __u8 pclass,
		    __u16 dport, struct zt_eval_result *r)
{
	struct zt_eval_pkt p = { .ifindex = 1, .family = ZT_AF_INET, .pclass = pclass,
				 .dport = dport };
	struct zt_prefix a;

	zt_prefix_parse("192.0.2.1", &a);
	memcpy(p.src, a.addr, 16);
	zt_prefix_parse(dst, &a);
	memcpy(p.dst, a.addr, 16);
	w->c.iris = NULL;
	w->c.n_iris = 0;
	if (name) {
		memset(&w->ie, 0, sizeof(w->ie));
		w->ie.key.vnet_id = 1;
		w->ie.key.family = ZT_AF_INET;
		memcpy(w->ie.key.addr, a.addr, 16);
		zt_compiled_iri_dst(&w->c, name, ZT_ROUTE_ID_HOST | 1, 1, true, &w->ie.dst);
		w->ie.resolved = true;
		w->c.iris = &w->ie;
		w->c.n_iris = 1;
	}
	zt_policy_eval(&w->c, &p, r);
	w->c.iris = NULL;
	w->c.n_iris = 0;
}

#define L7_IS(w, name, dst, pc, port, v, why, rule)                                      \
	do {                                                                               \
		struct zt_eval_result r_;                                                  \
		l7_eval(w, name, dst, pc, port, &r_);                                      \
		T_ASSERT(r_.verdict == (v) && r_.reason == (why) && r_.rule_id == (rule), \
			 "%s %s %u/%u: got %u/%u rule %u", name ? name : "", dst, pc, port, \
			 r_.verdict, r_.reason, r_.rule_id);                              \
	} while (0)

static void sni_and_host_split_iri_and_cidr(void)
{
	static char *const ssh[] = { "ssh.internal.local" }, *const wiki[] = { "*.wiki.local" },
			   *const web[] = { "*.web.local" };
	struct zt_rule_in rules[4] = {
		/* The seeds' example: decided in the kernel for the IRI. */
		{ .name = "sni", .precedence = 1, .action = ZT_ACT_ALLOW, .sni = ssh, .n_sni = 1 },
		{ .name = "host", .precedence = 2, .action = ZT_ACT_BLOCK, .hosts = wiki,
		  .n_hosts = 1 },
		{ .name = "ssh proto", .precedence = 9, .action = ZT_ACT_ALLOW,
		  .detected = 1u << ZT_PROTO_SSH },
		{ .name = "http host", .precedence = 4, .action = ZT_ACT_ALLOW, .hosts = web,
		  .n_hosts = 1, .detected = 1u << ZT_PROTO_HTTP },
	};
	struct zt_route_in rt[1];
	struct l7w w = { 0 };
	const __u8 T = ZT_PC_TCP, U = ZT_PC_UDP;

	rt[0] = (struct zt_route_in){ { 0 }, 1, 1, 1, true, true };
	zt_prefix_parse("10.0.0.0/8", &rt[0].pfx);
	w.in = (struct zt_policy_in){ .rules = rules, .n_rules = 4, .routes = rt, .n_routes = 1,
				     .default_vnet = 1, .default_action = ZT_ACT_BLOCK };
	zt_prefix_parse("100.80.0.0/16", &w.in.iri4);
	T_EQ(zt_policy_compile(&w.in, &w.c), 0);
	/* sni: IRI + CIDR/443; host: IRI only; host with detected http: IRI
	 * (L7) + CIDR/80; detected alone: one bit. */
	T_EQ(w.c.n_rules, 6);
	T_EQ(w.c.rules[0].flags, ZT_RULE_F_IRI); /* TCP: not F_ANY */
	T_EQ(w.c.rules[1].flags, ZT_RULE_F_L7 | ZT_RULE_F_CIDR);
	T_EQ(w.c.rules[0].rule_id, 1);
	T_EQ(w.c.rules[1].rule_id, 1);
	T_EQ(w.c.rules[2].flags, ZT_RULE_F_ANY | ZT_RULE_F_IRI);
	T_EQ(w.c.rules[3].flags, ZT_RULE_F_L7 | ZT_RULE_F_IRI);
	T_EQ(w.c.rules[4].flags, ZT_RULE_F_L7 | ZT_RULE_F_CIDR);
	T_EQ(w.c.rules[5].flags, ZT_RULE_F_L7);

	/* To the IRI of the sni name: allowed in the kernel, DIRECT, on any
	 * TCP port; never steered. UDP is not sni's. */
	L7_IS(&w, "ssh.internal.local", "100.80.0.7", T, 22, ZT_V_DIRECT, ZT_R_RULE, 1);
	L7_IS(&w, "ssh.internal.local", "100.80.0.7", T, 443, ZT_V_DIRECT, ZT_R_RULE, 1);
	L7_IS(&w, "ssh.internal.local", "100.80.0.7", U, 53, ZT_V_DROP, ZT_R_DEFAULT, 0);
	/* host blocks every protocol to its IRIs, in the kernel. */
	L7_IS(&w, "a.wiki.local", "100.80.0.8", U, 53, ZT_V_DROP, ZT_R_RULE, 2);
	L7_IS(&w, "a.wiki.local", "100.80.0.8", T, 22, ZT_V_DROP, ZT_R_RULE, 2);
	/* host with detected_protocol: the proxy checks the protocol. */
	L7_IS(&w, "a.web.local", "100.80.0.10", T, 22, ZT_V_STEER, ZT_R_L7, 4);
	/* Another IRI: only detected_protocol's rule (L7) is left. */
	L7_IS(&w, "db.internal.local", "100.80.0.9", T, 22, ZT_V_STEER, ZT_R_L7, 3);
	L7_IS(&w, "db.internal.local", "100.80.0.9", U, 22, ZT_V_DROP, ZT_R_DEFAULT, 0);
	/* CIDR: sni on 443, Host (with http) on 80, both to the proxy; a
	 * plain host rule is not there. */
	L7_IS(&w, NULL, "10.1.2.3", T, 443, ZT_V_STEER, ZT_R_L7, 1);
	L7_IS(&w, NULL, "10.1.2.3", T, 80, ZT_V_STEER, ZT_R_L7, 4);
	L7_IS(&w, NULL, "10.1.2.3", T, 22, ZT_V_STEER, ZT_R_L7, 3);
	L7_IS(&w, NULL, "10.1.2.3", U, 443, ZT_V_DROP, ZT_R_DEFAULT, 0);
	zt_compiled_free(&w.c);

	/* sni with protocol [tcp, udp]: to the IRI the name holds for UDP
	 * too (QUIC); the CIDR half is the proxy's, TCP on 443. */
	rules[0].protos = (1u << ZT_PC_TCP) | (1u << ZT_PC_UDP);
	T_EQ(zt_policy_compile(&w.in, &w.c), 0);
	L7_IS(&w, "ssh.internal.local", "100.80.0.7", U, 443, ZT_V_DIRECT, ZT_R_RULE, 1);
	L7_IS(&w, NULL, "10.1.2.3", U, 443, ZT_V_DROP, ZT_R_DEFAULT, 0);
	L7_IS(&w, NULL, "10.1.2.3", T, 443, ZT_V_STEER, ZT_R_L7, 1);
	zt_compiled_free(&w.c);
	rules[0].protos = 0;

	/* host with detected http and a dst: the HTTP Host at those
	 * addresses only, on 80; no IRI half. */
	{
		struct zt_prefix d;

		zt_prefix_parse("10.1.2.0/24", &d);
		rules[3].dst = &d;
		rules[3].n_dst = 1;
		T_EQ(zt_policy_compile(&w.in, &w.c), 0);
		L7_IS(&w, NULL, "10.1.2.3", T, 80, ZT_V_STEER, ZT_R_L7, 4);
		L7_IS(&w, NULL, "10.1.9.3", T, 80, ZT_V_STEER, ZT_R_L7, 3);
		L7_IS(&w, "a.web.local", "100.80.0.10", T, 80, ZT_V_STEER, ZT_R_L7, 3);
		zt_compiled_free(&w.c);
		rules[3].dst = NULL;
		rules[3].n_dst = 0;
	}

	/* detect_all_ports: the CIDR halves on every TCP port. */
	w.in.l7_all_ports = true;
	w.in.n_rules = 2;
	T_EQ(zt_policy_compile(&w.in, &w.c), 0);
	L7_IS(&w, NULL, "10.1.2.3", T, 8443, ZT_V_STEER, ZT_R_L7, 1);
	zt_compiled_free(&w.c);

	/* A port selector that leaves out 443: no CIDR half at all. */
	{
		static const struct zt_port_range p22 = { 22, 22 };

		w.in.l7_all_ports = false;
		rules[0].ports = &p22;
		rules[0].n_ports = 1;
		T_EQ(zt_policy_compile(&w.in, &w.c), 0);
		T_EQ(w.c.n_rules, 2);
		L7_IS(&w, "ssh.internal.local", "100.80.0.7", T, 22, ZT_V_DIRECT, ZT_R_RULE, 1);
		L7_IS(&w, "ssh.internal.local", "100.80.0.7", T, 443, ZT_V_DROP, ZT_R_DEFAULT, 0);
		L7_IS(&w, NULL, "10.1.2.3", T, 443, ZT_V_DROP, ZT_R_DEFAULT, 0);
		zt_compiled_free(&w.c);
		rules[0].ports = NULL;
		rules[0].n_ports = 0;
	}

	/* host and sni in one rule: the kernel goes by host, the proxy
	 * checks sni (L7 for the IRI); no CIDR half (TLS vs HTTP). */
	rules[0].hosts = wiki;
	rules[0].n_hosts = 1;
	w.in.n_rules = 1;
	T_EQ(zt_policy_compile(&w.in, &w.c), 0);
	T_EQ(w.c.n_rules, 1);
	T_EQ(w.c.rules[0].flags, ZT_RULE_F_L7 | ZT_RULE_F_IRI);
	L7_IS(&w, "a.wiki.local", "100.80.0.8", T, 443, ZT_V_STEER, ZT_R_L7, 1);
	L7_IS(&w, NULL, "10.1.2.3", T, 443, ZT_V_DROP, ZT_R_DEFAULT, 0);
	zt_compiled_free(&w.c);
	/* ... and its UDP is not the proxy's: the rule's own protocols are
	 * not taken to an L7 row (UDP there would be steered and dropped). */
	rules[0].protos = (1u << ZT_PC_TCP) | (1u << ZT_PC_UDP);
	T_EQ(zt_policy_compile(&w.in, &w.c), 0);
	L7_IS(&w, "a.wiki.local", "100.80.0.8", U, 443, ZT_V_DROP, ZT_R_DEFAULT, 0);
	zt_compiled_free(&w.c);
}

/* Each sni rule takes two bits: past ZT_MAX_RULES bits, -E2BIG. */
static void split_rules_count_against_the_limit(void)
{
	static struct zt_rule_in many[ZT_MAX_RULES / 2 + 1];
	static char *const h[] = { "a.example" };
	struct zt_policy_in in = { .rules = many, .n_rules = ZT_MAX_RULES / 2,
				   .default_vnet = 1 };
	struct zt_compiled c;
	size_t i;

	for (i = 0; i < ZT_MAX_RULES / 2 + 1; i++)
		many[i] = (struct zt_rule_in){ .name = "h", .sni = h, .n_sni = 1 };
	T_EQ(zt_policy_compile(&in, &c), 0);
	T_EQ(c.n_rules, ZT_MAX_RULES);
	zt_compiled_free(&c);
	in.n_rules++;
	T_EQ(zt_policy_compile(&in, &c), -E2BIG);
}

/* ---- randomized comparison against a naive evaluator --------------------- */

static unsigned rnd_state = 12345;
static unsigned rnd(void)
{
	rnd_state = rnd_state * 1103515245 + 12345;
	return (rnd_state >> 8) & 0xffffff;
}

static struct zt_prefix rand_pfx(int min_len)
{
	struct zt_prefix p = { .family = ZT_AF_INET };
	int len = min_len + (int)(rnd() % (25 - min_len)), i;
	__u32 a = 0x0a000000u | (rnd() & 0x0003ffffu); /* 10.0-3.x.x: collide often */

	a &= len ? ~0u << (32 - len) : 0;
	p.len = (__u8)len;
	for (i = 0; i < 4; i++)
		p.addr[i] = (__u8)(a >> (24 - 8 * i));
	return p;
}

struct world {
	struct zt_rule_in rules[40];
	struct zt_prefix dst[40][3];
	struct zt_port_range ports[40][2];
	__u32 users[40][2], vnets[40][1];
	struct zt_route_in routes[30];
	struct zt_device_in devs[6];
	size_t n_rules, n_routes;
	char *sni[1];
};

static void make_world(struct world *w)
{
	size_t i, j;

	memset(w, 0, sizeof(*w));
	w->sni[0] = "s.example";
	w->n_rules = 1 + rnd() % 40;
	w->n_routes = 1 + rnd() % 30;
	for (i = 0; i < w->n_rules; i++) {
		struct zt_rule_in *r = &w->rules[i];

		r->name = "r";
		r->precedence = rnd() % 100; /* ties: input order decides */
		r->action = rnd() % 2 ? ZT_ACT_ALLOW : ZT_ACT_BLOCK;
		/* An L7 selector: the proxy decides on 443 (sni) or any port
		 * (detected_protocol), TCP only. */
		r->n_sni = rnd() % 8 == 0;
		r->sni = w->sni;
		r->detected = !r->n_sni && rnd() % 8 == 0 ? 1u << (rnd() % 4) : 0;
		r->n_dst = rnd() % 3;
		for (j = 0; j < r->n_dst; j++)
			w->dst[i][j] = rand_pfx(8);
		r->dst = w->dst[i];
		r->protos = rnd() % 3 ? 0 : (__u8)(1u << (rnd() % 4));
		r->n_ports = rnd() % 3 == 0 ? 1 + rnd() % 2 : 0;
		for (j = 0; j < r->n_ports; j++) {
			__u16 lo = (__u16)(rnd() % 4 ? rnd() % 100 : 430 + rnd() % 20);

			w->ports[i][j] = (struct zt_port_range){ lo, (__u16)(lo + rnd() % 20) };
		}
		r->ports = w->ports[i];
		r->n_users = rnd() % 3 == 0 ? 1 + rnd() % 2 : 0;
		for (j = 0; j < r->n_users; j++)
			w->users[i][j] = 1 + rnd() % 3;
		r->users = w->users[i];
		r->groups = rnd() % 4 == 0 ? 1ULL << (rnd() % 2) : 0;
		r->n_vnets = rnd() % 4 == 0;
		w->vnets[i][0] = 1 + rnd() % 2;
		r->vnets = w->vnets[i];
	}
	for (i = 0; i < w->n_routes; i++)
		w->routes[i] = (struct zt_route_in){ rand_pfx(8), 1 + rnd() % 2, (__u32)i + 1,
						     rnd() % 3, rnd() % 2 == 0 };
	for (i = 0; i < 6; i++) {
		struct zt_device_in *d = &w->devs[i];

		d->ifindex = 1;
		zt_prefix_parse("192.0.2.1", &d->addr);
		d->addr.addr[3] = (__u8)(i + 1);
		d->device_id = (__u32)i + 1;
		d->user_id = 1 + rnd() % 3;
		d->vnet = 1 + rnd() % 2;
		d->groups = rnd() % 4;
	}
}

static bool has(const __u32 *v, size_t n, __u32 x)
{
	while (n--)
		if (v[n] == x)
			return true;
	return false;
}

static void naive(const struct world *w, const struct zt_eval_pkt *p, struct zt_eval_result *r)
{
	const struct zt_device_in *dev = NULL;
	const struct zt_route_in *route = NULL;
	const struct zt_rule_in *best = NULL;
	struct zt_prefix host = { .family = ZT_AF_INET, .len = 32 };
	__u32 vnet = 1, user = 0;
	__u64 groups = 0;
	size_t i, j, best_i = 0;
	__u8 action;

	memset(r, 0, sizeof(*r));
	memcpy(host.addr, p->dst, 4);
	for (i = 0; i < 6; i++)
		if (!memcmp(w->devs[i].addr.addr, p->src, 4))
			dev = &w->devs[i];
	if (dev) {
		vnet = dev->vnet;
		user = dev->user_id;
		groups = dev->groups;
		r->device_id = dev->device_id;
	}
	r->vnet_id = vnet;
	for (i = 0; i < w->n_routes; i++)
		if (w->routes[i].vnet == vnet && zt_prefix_contains(&w->routes[i].pfx, &host) &&
		    (!route || w->routes[i].pfx.len > route->pfx.len))
			route = &w->routes[i];
	if (!route) {
		r->verdict = ZT_V_PASS;
		r->reason = ZT_R_NO_ROUTE;
		return;
	}
	r->route_id = route->route_id;
	for (i = 0; i < w->n_rules; i++) {
		const struct zt_rule_in *x = &w->rules[i];
		bool dst_ok = !x->n_dst, port_ok = !x->n_ports;

		for (j = 0; j < x->n_dst; j++)
			dst_ok |= zt_prefix_contains(&x->dst[j], &host);
		if (x->protos && !(x->protos & (1u << p->pclass)))
			continue;
		if ((x->n_sni || x->detected) && p->pclass != ZT_PC_TCP)
			continue;
		if (x->n_sni && p->dport != 443)
			continue;
		for (j = 0; j < x->n_ports; j++)
			port_ok |= (p->pclass == ZT_PC_TCP || p->pclass == ZT_PC_UDP) &&
				   p->dport >= x->ports[j].lo && p->dport <= x->ports[j].hi;
		if (!dst_ok || !port_ok)
			continue;
		if (x->n_users && !has(x->users, x->n_users, user))
			continue;
		if (x->groups && !(x->groups & groups))
			continue;
		if (x->n_vnets && !has(x->vnets, x->n_vnets, vnet))
			continue;
		if (!best || x->precedence < best->precedence) {
			best = x;
			best_i = i;
		}
	}
	if (best) {
		r->rule_id = (__u32)best_i + 1;
		r->reason = ZT_R_RULE;
		if (best->n_sni || best->detected) {
			r->verdict = ZT_V_STEER;
			r->reason = ZT_R_L7;
			return;
		}
		action = best->action;
	} else {
		r->reason = ZT_R_DEFAULT;
		action = ZT_ACT_BLOCK;
	}
	r->verdict = action != ZT_ACT_ALLOW ? ZT_V_DROP :
		     route->local ? ZT_V_DIRECT : ZT_V_STEER;
}

static void compiler_matches_naive_evaluator(void)
{
	static struct world w;
	static const __u32 vn[] = { 1, 2 };
	int round, k, mismatches = 0;

	for (round = 0; round < 200; round++) {
		struct zt_policy_in in;
		struct zt_compiled c;

		make_world(&w);
		in = (struct zt_policy_in){ .rules = w.rules, .n_rules = w.n_rules,
			.routes = w.routes, .n_routes = w.n_routes, .devices = w.devs,
			.n_devices = 6, .vnets = vn, .n_vnets = 2, .default_vnet = 1,
			.default_action = ZT_ACT_BLOCK };
		if (zt_policy_compile(&in, &c)) {
			t_fail(__FILE__, __LINE__, "round %d: compile failed", round);
			return;
		}
		for (k = 0; k < 300; k++) {
			struct zt_eval_pkt p = { .ifindex = 1, .family = ZT_AF_INET };
			struct zt_eval_result a, b;
			struct zt_prefix h = rand_pfx(8);

			memcpy(p.dst, h.addr, 4);
			p.dst[3] = (__u8)rnd();
			p.src[0] = 192; p.src[1] = 0; p.src[2] = 2;
			p.src[3] = (__u8)(rnd() % 8); /* 0 and 7: unenrolled */
			p.pclass = (__u8)(rnd() % 4);
			p.dport = (__u16)(rnd() % 4 ? rnd() % 128 : 443);
			zt_policy_eval(&c, &p, &a);
			naive(&w, &p, &b);
			if (a.verdict != b.verdict || a.reason != b.reason ||
			    a.rule_id != b.rule_id || a.route_id != b.route_id) {
				if (mismatches++ < 5)
					t_fail(__FILE__, __LINE__,
					       "round %d: compiled %u/%u rule %u route %u, naive %u/%u rule %u route %u",
					       round, a.verdict, a.reason, a.rule_id, a.route_id,
					       b.verdict, b.reason, b.rule_id, b.route_id);
			}
		}
		zt_compiled_free(&c);
	}
}

int main(void)
{
	T_RUN(prefix_parse_valid);
	T_RUN(prefix_parse_errors);
	T_RUN(prefix_contains);
	T_RUN(compile_errors);
	T_RUN(nested_prefixes_carry_route_and_rules);
	T_RUN(sni_and_host_split_iri_and_cidr);
	T_RUN(split_rules_count_against_the_limit);
	T_RUN(compiler_matches_naive_evaluator);
	return t_done();
}
