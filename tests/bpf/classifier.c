// SPDX-License-Identifier: GPL-2.0
/* classifier — test_classifier's fixture: the programs, the policy its
 * cases run against, and running a packet through XDP or tc and checking
 * what came of it (expect: verdict, counters, the cached flow or drop,
 * the user-space evaluator agreeing). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "apply.h"
#include "loader.h"
#include "names.h"
#include "policy.h"
#include "stats.h"
#include "zt_abi.h"
#include "xdp_ingress.skel.h"
#include "tc_ingress.skel.h"
#include "../lib/pkt.h"
#include "../lib/t.h"
#include "classifier.h"

struct zt_bpf B;
char pin_root[64];
__u16 next_sport = 20000;
struct zt_compiled cur; /* what is applied now, for the evaluator */

/* ---- the policy the suite runs against --------------------------------- */

#define GROUP_DEVOPS (1ULL << 0)

static struct zt_prefix p_10_2, p_10_2_5, p_10_3, p_10_8, p_fd2;
static struct zt_port_range ports_22[] = { { 22, 22 } }, ports_web[] = { { 8000, 8100 } },
			    ports_443[] = { { 443, 443 } };
static __u32 users_bob[] = { USER_BOB }, vnets_b1[] = { VNET_B1 };
static char *const sni_app[] = { "app.example" };
struct zt_rule_in rules[N_RULES];
static struct zt_route_in routes[6];
static struct zt_device_in devices[5];
__u32 vnets[2] = { VNET_DEFAULT, VNET_B1 };
static size_t n_rules_in_use = N_RULES, n_routes_in_use = 6;
/* ZT_CASES_OUT: every policy case the kernel decided under the full policy,
 * for tests/bpf/policy_test_agrees.sh to put to `ztctl policy test`. */
FILE *cases_out;

void build_policy(void)
{
	p_10_2 = PFX("10.2.0.0/24");
	p_10_2_5 = PFX("10.2.0.5/32");
	p_10_3 = PFX("10.3.0.0/16");
	p_10_8 = PFX("10.0.0.0/8");
	p_fd2 = PFX("fd00:2::/64");
#define TCP (1u << ZT_PC_TCP)
	rules[R_SSH_DEVOPS] = (struct zt_rule_in){ .name = "ssh for devops", .precedence = 10,
		.action = ZT_ACT_ALLOW, .dst = &p_10_2, .n_dst = 1, .protos = TCP,
		.ports = ports_22, .n_ports = 1, .groups = GROUP_DEVOPS };
	rules[R_BLOCK_BOB_5] = (struct zt_rule_in){ .name = "block bob to .5", .precedence = 20,
		.action = ZT_ACT_BLOCK, .dst = &p_10_2_5, .n_dst = 1, .users = users_bob,
		.n_users = 1 };
	rules[R_BOB_WEB] = (struct zt_rule_in){ .name = "bob web range", .precedence = 30,
		.action = ZT_ACT_ALLOW, .protos = TCP, .ports = ports_web, .n_ports = 1,
		.users = users_bob, .n_users = 1 };
	rules[R_SNI] = (struct zt_rule_in){ .name = "sni", .precedence = 40,
		.action = ZT_ACT_ALLOW, .sni = sni_app, .n_sni = 1, .dst = &p_10_3, .n_dst = 1,
		.protos = TCP,
		.ports = ports_443, .n_ports = 1 };
	rules[R_ICMP] = (struct zt_rule_in){ .name = "icmp", .precedence = 50,
		.action = ZT_ACT_ALLOW, .dst = &p_10_2, .n_dst = 1,
		.protos = 1u << ZT_PC_ICMP };
	rules[R_VNET2] = (struct zt_rule_in){ .name = "vnet b1 allow", .precedence = 60,
		.action = ZT_ACT_ALLOW, .vnets = vnets_b1, .n_vnets = 1 };
	rules[R_CATCHALL] = (struct zt_rule_in){ .name = "catch-all", .precedence = 1000,
		.action = ZT_ACT_BLOCK, .dst = &p_10_8, .n_dst = 1 };
	rules[R_V6_SSH] = (struct zt_rule_in){ .name = "v6 ssh", .precedence = 70,
		.action = ZT_ACT_ALLOW, .dst = &p_fd2, .n_dst = 1, .protos = TCP,
		.ports = ports_22, .n_ports = 1 };

	routes[0] = (struct zt_route_in){ PFX("10.2.0.0/24"), VNET_DEFAULT, 1, 1, true };
	routes[1] = (struct zt_route_in){ PFX("10.2.0.0/24"), VNET_B1, 2, 2, false };
	routes[2] = (struct zt_route_in){ PFX("10.3.0.0/16"), VNET_DEFAULT, 3, 2, false };
	routes[3] = (struct zt_route_in){ PFX("fd00:2::/64"), VNET_DEFAULT, 4, 1, true };
	routes[4] = (struct zt_route_in){ PFX("172.20.0.0/16"), VNET_DEFAULT, 5, 1, true };
	routes[5] = (struct zt_route_in){ PFX("10.2.0.128/25"), VNET_DEFAULT, 6, 1, true };

	devices[0] = (struct zt_device_in){ 1, PFX("10.10.0.2"), 1, USER_ADMIN, VNET_DEFAULT,
					    GROUP_DEVOPS };
	devices[1] = (struct zt_device_in){ 1, PFX("10.10.0.3"), 2, USER_BOB, VNET_DEFAULT, 0 };
	devices[2] = (struct zt_device_in){ 1, PFX("10.10.0.4"), 3, USER_CAROL, VNET_B1, 0 };
	devices[3] = (struct zt_device_in){ 1, PFX("fd00:10::2"), 4, USER_ADMIN, VNET_DEFAULT,
					    GROUP_DEVOPS };
	/* admin's address, on VLAN 100 of the same interface: carol's. */
	devices[4] = (struct zt_device_in){ 1, PFX("10.10.0.2"), 5, USER_CAROL, VNET_B1, 0, 100 };
}

int apply_policy(size_t n_rules, size_t n_routes)
{
	struct zt_policy_in in = {
		.rules = rules, .n_rules = n_rules,
		.routes = routes, .n_routes = n_routes,
		.devices = devices, .n_devices = 5,
		.vnets = vnets, .n_vnets = 2,
		.default_vnet = VNET_DEFAULT, .default_action = ZT_ACT_BLOCK,
		.iri4 = PFX("100.80.0.0/16"), .iri6 = PFX("fd7a:5a7e::/64"),
	};
	struct zt_apply_stats st;
	int err;

	zt_compiled_free(&cur);
	err = zt_policy_compile(&in, &cur);
	if (err)
		return err;
	n_rules_in_use = n_rules;
	n_routes_in_use = n_routes;
	return zt_apply(&B.m, &cur, NULL, &st);
}

/* ---- running packets ---------------------------------------------------- */


__u64 counter(__u32 idx)
{
	return zt_counter_sum(B.m.counters, idx);
}

int run_xdp(const __u8 *pkt, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = (__u32)len,
		    .repeat = 1);

	if (bpf_prog_test_run_opts(bpf_program__fd(B.xdp->progs.zt_xdp_ingress), &o))
		return -errno;
	return (int)o.retval;
}

/* A tc program on the packet: its verdict, and the mark it set. */
static int run_tc_prog(struct bpf_program *prog, const __u8 *pkt, size_t len, __u32 *mark)
{
	struct __sk_buff skb = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = (__u32)len,
		    .ctx_in = &skb, .ctx_size_in = sizeof(skb), .ctx_out = &skb,
		    .ctx_size_out = sizeof(skb), .repeat = 1);

	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &o))
		return -errno;
	*mark = skb.mark;
	return (int)o.retval;
}

/* After XDP (zt_tc_ingress). */
int run_tc(const __u8 *pkt, size_t len, __u32 *mark)
{
	return run_tc_prog(B.tc->progs.zt_tc_ingress, pkt, len, mark);
}

/* The whole classifier at tc (a veth without XDP, zt_tc_ingress_eth). */
int run_tc_full(const __u8 *pkt, size_t len, __u32 *mark)
{
	return run_tc_prog(B.tc->progs.zt_tc_ingress_eth, pkt, len, mark);
}

size_t build(struct pkt_spec *s, __u8 *buf, size_t cap)
{
	if (!s->sport && (s->proto == IPPROTO_TCP || s->proto == IPPROTO_UDP))
		s->sport = next_sport++;
	if (!s->icmp_id && (s->proto == IPPROTO_ICMP || s->proto == IPPROTO_ICMPV6))
		s->icmp_id = next_sport++;
	return pkt_build(s, buf, cap, NULL, NULL);
}

static void evaluator_agrees(const struct pkt_spec *s, __u8 verdict, __u8 reason, __u32 rule)
{
	struct zt_eval_pkt ep = { .ifindex = 1 };
	struct zt_eval_result r;
	bool v6 = strchr(s->dst, ':') != NULL;

	ep.family = v6 ? ZT_AF_INET6 : ZT_AF_INET;
	ep.vlan = s->vlan == 1 ? 100 : 0; /* pkt_build's first tag */
	inet_pton(v6 ? AF_INET6 : AF_INET, s->src, ep.src);
	inet_pton(v6 ? AF_INET6 : AF_INET, s->dst, ep.dst);
	ep.pclass = s->proto == IPPROTO_TCP ? ZT_PC_TCP : s->proto == IPPROTO_UDP ? ZT_PC_UDP :
		    (s->proto == IPPROTO_ICMP || s->proto == IPPROTO_ICMPV6) ? ZT_PC_ICMP :
		    ZT_PC_OTHER;
	ep.dport = s->dport;
	zt_policy_eval(&cur, &ep, &r);
	if (cases_out && n_rules_in_use == N_RULES && n_routes_in_use == 6 &&
	    ep.pclass != ZT_PC_OTHER && !ep.vlan) {
		const char *pc = ep.pclass == ZT_PC_TCP ? "tcp" : ep.pclass == ZT_PC_UDP ? "udp" :
				 "icmp";

		fprintf(cases_out, "%s %s %s %u %s %s %s\n", s->src, s->dst, pc,
			ep.pclass == ZT_PC_ICMP ? 0 : s->dport, zt_verdict_name(verdict),
			zt_reason_name(reason), rule ? rules[rule - 1].name : "-");
	}
	T_ASSERT(r.verdict == verdict && r.reason == reason && r.rule_id == rule,
		 "policy evaluator says verdict %u reason %u rule %u; kernel %u %u %u",
		 r.verdict, r.reason, r.rule_id, verdict, reason, rule);
}

/* The zt_drops entry that decides flow key k: the one for all its
 * protocols and ports, else the one for its own; 0 when found. */
static int drop_entry(const struct zt_flow_key *k, struct zt_flow *f)
{
	struct zt_flow_key a = *k;

	a.sport = a.dport = 0;
	a.proto = 0;
	a.vlan |= ZT_FLOW_KEY_ANY;
	if (!bpf_map_lookup_elem(B.m.drops, &a, f))
		return 0;
	a = *k;
	a.sport = 0;
	return bpf_map_lookup_elem(B.m.drops, &a, f);
}

/* Sends one packet of a new flow and checks the verdict, that exactly its
 * (verdict, reason) counter moved, the cached flow, and the evaluator. */
void expect(struct pkt_spec s, __u8 verdict, __u8 reason, int rule_idx)
{
	__u32 rule = rule_idx < 0 ? 0 : (__u32)rule_idx + 1;
	__u8 buf[512];
	size_t len = build(&s, buf, sizeof(buf));
	__u64 before = stat_packets(verdict, reason);
	int ret = run_xdp(buf, len);

	T_ASSERT(ret == (verdict == ZT_V_DROP ? XDP_DROP : XDP_PASS),
		 "%s -> %s:%u proto %u: XDP returned %d, verdict %u reason %u expected",
		 s.src, s.dst, s.dport, s.proto, ret, verdict, reason);
	T_EQ(stat_packets(verdict, reason) - before, 1);
	if (reason <= ZT_R_L7 && reason != ZT_R_NON_IP && !s.frag) {
		struct zt_flow_key k = { .ifindex = 1, .proto = s.proto };
		struct zt_flow f;
		bool v6 = strchr(s.dst, ':') != NULL;

		k.family = v6 ? ZT_AF_INET6 : ZT_AF_INET;
		k.vlan = s.vlan == 1 ? 100 : 0;
		inet_pton(v6 ? AF_INET6 : AF_INET, s.src, k.src);
		inet_pton(v6 ? AF_INET6 : AF_INET, s.dst, k.dst);
		if (s.proto == IPPROTO_ICMP || s.proto == IPPROTO_ICMPV6) {
			k.sport = htons(s.icmp_id);
		} else {
			k.sport = htons(s.sport);
			k.dport = htons(s.dport);
		}
		if (verdict != ZT_V_DROP) {
			T_ASSERT(!bpf_map_lookup_elem(B.m.flows, &k, &f), "flow not cached");
		} else {
			/* A drop is no flow: kept for every source port (and
			 * perhaps every protocol and port). */
			T_ASSERT(bpf_map_lookup_elem(B.m.flows, &k, &f), "drop cached as a flow");
			T_ASSERT(!drop_entry(&k, &f), "drop not cached");
		}
		T_EQ(f.verdict, verdict);
		T_EQ(f.rule_id, rule);
		evaluator_agrees(&s, verdict, reason, rule);
	}
}

/* fragment_pair: FIRST as the first fragment of datagram ID, decided as
 * given; returns the datagram's later fragment. */
struct pkt_spec fragment_pair(struct pkt_spec first, __u32 id, __u8 verdict,
				     __u8 reason, int rule)
{
	first.frag = 1;
	first.frag_id = id;
	expect(first, verdict, reason, rule);
	first.frag = 2;
	return first;
}

/* xdp_verdict: what the XDP program does with S. */
int xdp_verdict(struct pkt_spec *s)
{
	__u8 buf[256];
	size_t len = build(s, buf, sizeof(buf));

	return run_xdp(buf, len);
}

size_t map_entries(int fd, size_t key_size)
{
	__u8 k[64], next[64];
	void *prev = NULL;
	size_t n = 0;

	if (key_size > sizeof(k))
		return 0;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		n++;
		memcpy(k, next, key_size);
		prev = k;
	}
	return n;
}

/* iri_put: the IRI ADDR in the default vnet, for a name whose rules are
 * those of bob's web range (172.20.0.0/16), with the given route, tunnel,
 * flags and epoch; its key and value in *k and *v. False when the range
 * has no entry. */
bool iri_put(const char *addr, __u32 route_id, __u32 tunnel_id, __u32 flags, __u32 epoch,
		    struct zt_iri_key *k, struct zt_iri_val *v)
{
	struct zt_prefix any = PFX("172.20.0.0/16");
	const struct zt_dst_entry *e = zt_compiled_lookup(&cur, VNET_DEFAULT, &any);

	*k = (struct zt_iri_key){ .vnet_id = VNET_DEFAULT, .family = ZT_AF_INET };
	*v = (struct zt_iri_val){ 0 };
	T_ASSERT(e, "no entry for 172.20.0.0/16");
	if (!e)
		return false;
	inet_pton(AF_INET, addr, k->addr);
	v->half[0] = v->half[1] = (struct zt_dst){ .route_id = route_id, .tunnel_id = tunnel_id,
		.dst_set = e->dst.dst_set, .flags = flags };
	v->epoch = epoch;
	T_ASSERT(!bpf_map_update_elem(B.m.iri, k, v, BPF_ANY), "iri insert");
	return true;
}
