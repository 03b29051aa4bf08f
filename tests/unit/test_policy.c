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
};

static void make_world(struct world *w)
{
	size_t i, j;

	memset(w, 0, sizeof(*w));
	w->n_rules = 1 + rnd() % 40;
	w->n_routes = 1 + rnd() % 30;
	for (i = 0; i < w->n_rules; i++) {
		struct zt_rule_in *r = &w->rules[i];

		r->name = "r";
		r->precedence = rnd() % 100; /* ties: input order decides */
		r->action = rnd() % 2 ? ZT_ACT_ALLOW : ZT_ACT_BLOCK;
		r->l7 = rnd() % 8 == 0;
		r->n_dst = rnd() % 3;
		for (j = 0; j < r->n_dst; j++)
			w->dst[i][j] = rand_pfx(8);
		r->dst = w->dst[i];
		r->protos = rnd() % 3 ? 0 : (__u8)(1u << (rnd() % 4));
		r->n_ports = rnd() % 3 == 0 ? 1 + rnd() % 2 : 0;
		for (j = 0; j < r->n_ports; j++) {
			__u16 lo = (__u16)(rnd() % 100);

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
		if (best->l7) {
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
			p.dport = (__u16)(rnd() % 128);
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
	T_RUN(compiler_matches_naive_evaluator);
	return t_done();
}
