// SPDX-License-Identifier: GPL-2.0
/* test_classifier — the XDP and tc programs through BPF_PROG_TEST_RUN with
 * packet fixtures: verdict, reason, counters, flow cache and events, and the
 * user-space reference evaluator (what `ztctl policy test` will use) agreeing
 * with the kernel on every policy case. Runs on the host and in the vmtest. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "apply.h"
#include "clock.h"
#include "config.h"
#include "loader.h"
#include "log.h"
#include "names.h"
#include "nat.h"
#include "policy.h"
#include "stats.h"
#include "zt_abi.h"
#include "xdp_ingress.skel.h"
#include "tc_ingress.skel.h"
#include "../lib/pkt.h"
#include "../lib/t.h"
#include "classifier.h"

struct zt_bpf B;
static char pin_root[64];
static __u16 next_sport = 20000;
static struct zt_compiled cur; /* what is applied now, for the evaluator */

/* ---- the policy the suite runs against --------------------------------- */

#define GROUP_DEVOPS (1ULL << 0)
enum { R_SSH_DEVOPS, R_BLOCK_BOB_5, R_BOB_WEB, R_SNI, R_ICMP, R_VNET2, R_CATCHALL,
       R_V6_SSH, N_RULES };

static struct zt_prefix p_10_2, p_10_2_5, p_10_3, p_10_8, p_fd2;
static struct zt_port_range ports_22[] = { { 22, 22 } }, ports_web[] = { { 8000, 8100 } },
			    ports_443[] = { { 443, 443 } };
static __u32 users_bob[] = { USER_BOB }, vnets_b1[] = { VNET_B1 };
static struct zt_rule_in rules[N_RULES];
static struct zt_route_in routes[6];
static struct zt_device_in devices[5];
__u32 vnets[2] = { VNET_DEFAULT, VNET_B1 };
static size_t n_rules_in_use = N_RULES, n_routes_in_use = 6;
/* ZT_CASES_OUT: every policy case the kernel decided under the full policy,
 * for tests/bpf/policy_test_agrees.sh to put to `ztctl policy test`. */
static FILE *cases_out;

static void build_policy(void)
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
		.action = ZT_ACT_ALLOW, .l7 = true, .dst = &p_10_3, .n_dst = 1, .protos = TCP,
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

static int apply_policy(size_t n_rules, size_t n_routes)
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


static __u64 counter(__u32 idx)
{
	return zt_counter_sum(B.m.counters, idx);
}

static int run_xdp(const __u8 *pkt, size_t len)
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
static int run_tc(const __u8 *pkt, size_t len, __u32 *mark)
{
	return run_tc_prog(B.tc->progs.zt_tc_ingress, pkt, len, mark);
}

/* The whole classifier at tc (a veth without XDP, zt_tc_ingress_eth). */
static int run_tc_full(const __u8 *pkt, size_t len, __u32 *mark)
{
	return run_tc_prog(B.tc->progs.zt_tc_ingress_eth, pkt, len, mark);
}

static size_t build(struct pkt_spec *s, __u8 *buf, size_t cap)
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
static void expect(struct pkt_spec s, __u8 verdict, __u8 reason, int rule_idx)
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


/* ---- cases ------------------------------------------------------------- */

static void non_ip_passes(void)
{
	__u8 arp[60] = { 0 };
	__u64 before = stat_packets(ZT_V_PASS, ZT_R_NON_IP);

	arp[12] = 0x08;
	arp[13] = 0x06;
	T_EQ(run_xdp(arp, sizeof(arp)), XDP_PASS);
	T_EQ(stat_packets(ZT_V_PASS, ZT_R_NON_IP) - before, 1);
}

static void truncated_ethernet_dropped(void)
{
	__u8 buf[256];
	struct pkt_spec s = TCP4(ADMIN, "10.2.0.9", 22);
	size_t len = build(&s, buf, sizeof(buf));
	__u64 before = stat_packets(ZT_V_DROP, ZT_R_BAD_ETH);

	/* The kernel hands XDP nothing shorter than an Ethernet header
	 * (test_run refuses it too), so the shortest runt is a cut tag. */
	(void)len;
	T_EQ(run_xdp(buf, 10), -EINVAL);
	s.vlan = 1;
	len = build(&s, buf, sizeof(buf));
	T_EQ(run_xdp(buf, 16), XDP_DROP); /* tag cut short */
	T_EQ(run_xdp(buf, 14), XDP_DROP); /* tag announced, absent */
	T_EQ(stat_packets(ZT_V_DROP, ZT_R_BAD_ETH) - before, 2);
}

static void truncated_ip_dropped(void)
{
	__u8 buf[256];
	struct pkt_spec s = TCP4(ADMIN, "10.2.0.9", 22), s6 = TCP4("fd00:10::2", "fd00:2::5", 22);
	size_t len;
	__u64 before = stat_packets(ZT_V_DROP, ZT_R_TRUNC_IP);

	len = build(&s, buf, sizeof(buf));
	T_EQ(run_xdp(buf, 14 + 12), XDP_DROP);      /* IPv4 header cut */
	T_EQ(run_xdp(buf, len - 4), XDP_DROP);      /* shorter than tot_len */
	len = build(&s6, buf, sizeof(buf));
	T_EQ(run_xdp(buf, 14 + 30), XDP_DROP);      /* IPv6 header cut */
	T_EQ(stat_packets(ZT_V_DROP, ZT_R_TRUNC_IP) - before, 3);
}

static void bad_ihl_dropped(void)
{
	__u8 buf[256];
	struct pkt_spec s = TCP4(ADMIN, "10.2.0.9", 22);
	size_t l3, len = pkt_build((s.sport = next_sport++, &s), buf, sizeof(buf), &l3, NULL);
	__u64 before = stat_packets(ZT_V_DROP, ZT_R_BAD_IP);

	buf[l3] = 0x44; /* IHL 4 */
	T_EQ(run_xdp(buf, len), XDP_DROP);
	buf[l3] = 0x55; /* version 5 */
	T_EQ(run_xdp(buf, len), XDP_DROP);
	T_EQ(stat_packets(ZT_V_DROP, ZT_R_BAD_IP) - before, 2);
}

static void truncated_l4_dropped(void)
{
	__u8 buf[256];
	struct pkt_spec s = TCP4(ADMIN, "10.2.0.9", 22);
	size_t l3, l4, len = pkt_build((s.sport = next_sport++, &s), buf, sizeof(buf), &l3, &l4);
	__u64 before = stat_packets(ZT_V_DROP, ZT_R_TRUNC_L4);

	/* A TCP header of 10 bytes, IP total length consistent with it. */
	len = l4 + 10;
	buf[l3 + 2] = 0;
	buf[l3 + 3] = (__u8)(len - l3);
	T_EQ(run_xdp(buf, len), XDP_DROP);
	/* A tiny first fragment hiding the ports: same drop. */
	s.frag = 1;
	s.frag_id = 77;
	len = pkt_build(&s, buf, sizeof(buf), &l3, &l4);
	len = l4 + 4;
	buf[l3 + 2] = 0;
	buf[l3 + 3] = (__u8)(len - l3);
	T_EQ(run_xdp(buf, len), XDP_DROP);
	T_EQ(stat_packets(ZT_V_DROP, ZT_R_TRUNC_L4) - before, 2);
}

static void ipv4_options_parsed(void)
{
	struct pkt_spec s = TCP4(ADMIN, "10.2.0.9", 22);

	s.ip_opts = 40;
	expect(s, ZT_V_DIRECT, ZT_R_RULE, R_SSH_DEVOPS);
	s = TCP4(ADMIN, "10.2.0.9", 23);
	s.ip_opts = 8;
	expect(s, ZT_V_DROP, ZT_R_RULE, R_CATCHALL);
}

/* fragment_pair: FIRST as the first fragment of datagram ID, decided as
 * given; returns the datagram's later fragment. */
static struct pkt_spec fragment_pair(struct pkt_spec first, __u32 id, __u8 verdict,
				     __u8 reason, int rule)
{
	first.frag = 1;
	first.frag_id = id;
	expect(first, verdict, reason, rule);
	first.frag = 2;
	return first;
}

/* xdp_verdict: what the XDP program does with S. */
static int xdp_verdict(struct pkt_spec *s)
{
	__u8 buf[256];
	size_t len = build(s, buf, sizeof(buf));

	return run_xdp(buf, len);
}

static void fragments_follow_first(void)
{
	struct pkt_spec later;
	__u64 c0 = counter(ZT_C_FRAG_LATER), d0 = stat_packets(ZT_V_DROP, ZT_R_FRAG);

	later = fragment_pair(TCP4(ADMIN, "10.2.0.9", 22), 4242, ZT_V_DIRECT, ZT_R_RULE,
			      R_SSH_DEVOPS);
	T_EQ(xdp_verdict(&later), XDP_PASS);
	T_EQ(counter(ZT_C_FRAG_LATER) - c0, 1);

	/* Blocked first fragment: its later fragments are dropped too. */
	later = fragment_pair(TCP4(ADMIN, "10.2.0.9", 23), 4343, ZT_V_DROP, ZT_R_RULE, R_CATCHALL);
	T_EQ(xdp_verdict(&later), XDP_DROP);

	/* A later fragment with no first: dropped with reason FRAG. */
	later.frag_id = 999;
	T_EQ(xdp_verdict(&later), XDP_DROP);
	T_EQ(stat_packets(ZT_V_DROP, ZT_R_FRAG) - d0, 1);

	/* IPv6 fragments likewise. */
	later = fragment_pair(TCP4("fd00:10::2", "fd00:2::5", 22), 0xabcdef, ZT_V_DIRECT,
			      ZT_R_RULE, R_V6_SSH);
	T_EQ(xdp_verdict(&later), XDP_PASS);
	later.frag_id = 1;
	T_EQ(xdp_verdict(&later), XDP_DROP);
}

static void ipv6_extension_headers(void)
{
	struct pkt_spec s = TCP4("fd00:10::2", "fd00:2::5", 22);
	__u8 buf[512];
	size_t len;
	__u64 before = stat_packets(ZT_V_DROP, ZT_R_IPV6_EXT);

	s.ext_hdrs = 3;
	expect(s, ZT_V_DIRECT, ZT_R_RULE, R_V6_SSH);
	s.ext_hdrs = 9; /* past the bound */
	s.sport = 0;
	len = build(&s, buf, sizeof(buf));
	T_EQ(run_xdp(buf, len), XDP_DROP);
	T_EQ(stat_packets(ZT_V_DROP, ZT_R_IPV6_EXT) - before, 1);
	/* Without the rule's port: no rule, default block. */
	s = TCP4("fd00:10::2", "fd00:2::5", 80);
	s.ext_hdrs = 1;
	expect(s, ZT_V_DROP, ZT_R_DEFAULT, -1);
}

static void vlan_tag(void)
{
	struct pkt_spec s = TCP4(ADMIN, "10.2.0.9", 22);
	__u8 buf[256];
	size_t len;

	/* Identity is bound to the VLAN too: admin's address tagged 100 is
	 * the device declared there (carol, vnet b1), and bob's tagged is
	 * nobody. Untagged, admin is admin. */
	s.vlan = 1;
	expect(s, ZT_V_STEER, ZT_R_RULE, R_VNET2);
	expect(TCP4(ADMIN, "10.2.0.9", 22), ZT_V_DIRECT, ZT_R_RULE, R_SSH_DEVOPS);
	s = TCP4(BOB, "10.2.0.6", 8080);
	expect(s, ZT_V_DIRECT, ZT_R_RULE, R_BOB_WEB);
	s.vlan = 1;
	s.sport = 0;
	expect(s, ZT_V_DROP, ZT_R_RULE, R_CATCHALL);
	s.vlan = 2;
	s.sport = 0;
	len = build(&s, buf, sizeof(buf));
	T_EQ(run_xdp(buf, len), XDP_DROP); /* two tags: not ours to guess */
}

static void unenrolled_source(void)
{
	/* Rules without identity selectors still apply; identity ones do not. */
	expect(TCP4(STRANGER, "10.2.0.9", 22), ZT_V_DROP, ZT_R_RULE, R_CATCHALL);
	expect(TCP4(STRANGER, "172.20.0.1", 8080), ZT_V_DROP, ZT_R_DEFAULT, -1);
	expect(TCP4(BOB, "172.20.0.1", 8080), ZT_V_DIRECT, ZT_R_RULE, R_BOB_WEB);
}

static void address_in_two_vnets(void)
{
	/* 10.2.0.0/24 is local in the default vnet and remote in b1net. */
	expect(TCP4(CAROL, "10.2.0.9", 80), ZT_V_STEER, ZT_R_RULE, R_VNET2);
	expect(TCP4(BOB, "10.2.0.9", 80), ZT_V_DROP, ZT_R_RULE, R_CATCHALL);
	/* 10.3.0.0/16 is routed only in the default vnet. */
	expect(TCP4(CAROL, "10.3.0.1", 80), ZT_V_PASS, ZT_R_NO_ROUTE, -1);
}

static void precedence_both_ways(void)
{
	/* Higher-precedence block beats a lower allow... */
	expect(TCP4(BOB, "10.2.0.5", 8080), ZT_V_DROP, ZT_R_RULE, R_BLOCK_BOB_5);
	expect(TCP4(BOB, "10.2.0.6", 8080), ZT_V_DIRECT, ZT_R_RULE, R_BOB_WEB);
	/* ...and a higher allow beats a lower block. */
	expect(TCP4(ADMIN, "10.2.0.9", 22), ZT_V_DIRECT, ZT_R_RULE, R_SSH_DEVOPS);
	expect(TCP4(BOB, "10.2.0.9", 22), ZT_V_DROP, ZT_R_RULE, R_CATCHALL);
	/* A longer route inside the /24 keeps the /24's rules. */
	expect(TCP4(ADMIN, "10.2.0.200", 22), ZT_V_DIRECT, ZT_R_RULE, R_SSH_DEVOPS);
}

static void port_range(void)
{
	expect(TCP4(BOB, "10.2.0.6", 8000), ZT_V_DIRECT, ZT_R_RULE, R_BOB_WEB);
	expect(TCP4(BOB, "10.2.0.6", 8100), ZT_V_DIRECT, ZT_R_RULE, R_BOB_WEB);
	expect(TCP4(BOB, "10.2.0.6", 7999), ZT_V_DROP, ZT_R_RULE, R_CATCHALL);
	expect(TCP4(BOB, "10.2.0.6", 8101), ZT_V_DROP, ZT_R_RULE, R_CATCHALL);
	/* UDP is not TCP: the TCP-only range does not match. */
	expect(((struct pkt_spec){ .src = BOB, .dst = "10.2.0.6", .proto = IPPROTO_UDP,
				   .dport = 8000 }), ZT_V_DROP, ZT_R_RULE, R_CATCHALL);
}

static void l7_rule_steers(void)
{
	expect(TCP4(ADMIN, "10.3.0.1", 443), ZT_V_STEER, ZT_R_L7, R_SNI);
	expect(TCP4(ADMIN, "10.3.0.1", 444), ZT_V_DROP, ZT_R_RULE, R_CATCHALL);
}

static void icmp_and_no_route(void)
{
	expect(((struct pkt_spec){ .src = BOB, .dst = "10.2.0.9", .proto = IPPROTO_ICMP,
				   .icmp_type = 8 }), ZT_V_DIRECT, ZT_R_RULE, R_ICMP);
	expect(((struct pkt_spec){ .src = BOB, .dst = "10.2.0.5", .proto = IPPROTO_ICMP,
				   .icmp_type = 8 }), ZT_V_DROP, ZT_R_RULE, R_BLOCK_BOB_5);
	/* Under the catch-all rule's prefix but not routed: not ours. */
	expect(TCP4(ADMIN, "10.200.0.1", 22), ZT_V_PASS, ZT_R_NO_ROUTE, -1);
	expect(TCP4(ADMIN, "198.18.0.1", 22), ZT_V_PASS, ZT_R_NO_ROUTE, -1);
}

/* iri_put: the IRI ADDR in the default vnet, for a name whose rules are
 * those of bob's web range (172.20.0.0/16), with the given route, tunnel,
 * flags and epoch; its key and value in *k and *v. False when the range
 * has no entry. */
static bool iri_put(const char *addr, __u32 route_id, __u32 tunnel_id, __u32 flags, __u32 epoch,
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

static void iri_destinations(void)
{
	struct zt_iri_key k;
	struct zt_iri_val v;

	expect(TCP4(BOB, "100.80.0.7", 8080), ZT_V_DROP, ZT_R_IRI_UNKNOWN, -1);
	/* A local tunnel's IRI whose server has no address yet: RESOLVE. */
	if (!iri_put("100.80.0.7", 9, 1, ZT_DST_F_ROUTED | ZT_DST_F_LOCAL, 0, &k, &v))
		return;
	expect(TCP4(BOB, "100.80.0.7", 8081), ZT_V_DROP, ZT_R_RESOLVE, -1);
	v.real_ok = 1;
	inet_pton(AF_INET, "10.2.0.9", v.real);
	T_ASSERT(!bpf_map_update_elem(B.m.iri, &k, &v, BPF_ANY), "iri resolved");
	{
		struct pkt_spec s = TCP4(BOB, "100.80.0.7", 8080);
		__u8 buf[256];
		size_t len = build(&s, buf, sizeof(buf));
		__u64 before = stat_packets(ZT_V_DIRECT, ZT_R_RULE);

		T_EQ(run_xdp(buf, len), XDP_PASS);
		T_EQ(stat_packets(ZT_V_DIRECT, ZT_R_RULE) - before, 1);
	}
	bpf_map_delete_elem(B.m.iri, &k);
}

static void flow_cache_hit(void)
{
	struct pkt_spec s = TCP4(BOB, "10.2.0.6", 8080);
	__u8 buf[256];
	size_t len = build(&s, buf, sizeof(buf));
	__u64 h0, n0;

	T_EQ(run_xdp(buf, len), XDP_PASS);
	h0 = counter(ZT_C_FLOW_HIT);
	n0 = counter(ZT_C_FLOW_NEW);
	T_EQ(run_xdp(buf, len), XDP_PASS);
	T_EQ(run_xdp(buf, len), XDP_PASS);
	T_EQ(counter(ZT_C_FLOW_HIT) - h0, 2);
	T_EQ(counter(ZT_C_FLOW_NEW) - n0, 0);
}

static void generation_change_reevaluates(void)
{
	struct pkt_spec s = TCP4(BOB, "10.2.0.6", 8080);
	__u8 buf[256];
	size_t len = build(&s, buf, sizeof(buf));
	struct zt_state st0, st1;
	__u32 zero = 0;
	__u64 stale0;

	T_EQ(run_xdp(buf, len), XDP_PASS); /* allowed, cached */
	bpf_map_lookup_elem(B.m.state, &zero, &st0);
	stale0 = counter(ZT_C_FLOW_STALE);

	/* The same rules without bob's web rule: the cached flow is cut. */
	rules[R_BOB_WEB].precedence = 5000;
	rules[R_BOB_WEB].action = ZT_ACT_BLOCK;
	T_EQ(apply_policy(N_RULES, 6), 0);
	bpf_map_lookup_elem(B.m.state, &zero, &st1);
	T_ASSERT(st1.active != st0.active, "active half did not flip");
	T_EQ(st1.half[st1.active].generation, st0.half[st0.active].generation + 1);
	T_EQ(run_xdp(buf, len), XDP_DROP);
	T_EQ(counter(ZT_C_FLOW_STALE) - stale0, 1);
	T_EQ(run_xdp(buf, len), XDP_DROP); /* and cached as dropped */

	/* Restore: allowed again. */
	rules[R_BOB_WEB].precedence = 30;
	rules[R_BOB_WEB].action = ZT_ACT_ALLOW;
	T_EQ(apply_policy(N_RULES, 6), 0);
	T_EQ(run_xdp(buf, len), XDP_PASS);
}

static size_t map_entries(int fd, size_t key_size)
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

/* A blocked sender that takes a new source port for every packet (issue
 * 14 A9): one entry in zt_drops, none in zt_flows, so it can push no
 * other device's flow out; every packet after the first a drop hit; and a
 * policy that now allows it decides again. On the old code each packet
 * made a flow of its own. */
static void blocked_flood_is_one_entry(void)
{
	struct pkt_spec ok = TCP4(BOB, "10.2.0.6", 8080), s;
	__u8 obuf[256];
	size_t olen = build(&ok, obuf, sizeof(obuf)), flows0, drops0;
	__u64 hit0, new0;
	int i;

	T_EQ(run_xdp(obuf, olen), XDP_PASS); /* bob's flow, cached */
	flows0 = map_entries(B.m.flows, sizeof(struct zt_flow_key));
	drops0 = map_entries(B.m.drops, sizeof(struct zt_flow_key));
	hit0 = counter(ZT_C_DROP_HIT);
	new0 = counter(ZT_C_FLOW_NEW);
	for (i = 0; i < 200; i++) {
		s = TCP4(STRANGER, "10.2.0.77", 5000);
		T_EQ(xdp_verdict(&s), XDP_DROP);
	}
	T_EQ(map_entries(B.m.flows, sizeof(struct zt_flow_key)), flows0);
	T_EQ(map_entries(B.m.drops, sizeof(struct zt_flow_key)), drops0 + 1);
	T_EQ(counter(ZT_C_FLOW_NEW) - new0, 1);
	T_EQ(counter(ZT_C_DROP_HIT) - hit0, 199);
	/* Another destination port is another decision. */
	s = TCP4(STRANGER, "10.2.0.77", 5001);
	T_EQ(xdp_verdict(&s), XDP_DROP);
	T_EQ(counter(ZT_C_FLOW_NEW) - new0, 2);
	/* Its slot in zt_drop_srcs taken by another address: decided
	 * again (a new decision, not a hit), and the slot is its own again. */
	for (i = 0; i < ZT_DROP_SRCS; i++) {
		__u32 idx = (__u32)i;
		struct zt_drop_src other = { .addr = { 10, 99, 0, 1 } };

		bpf_map_update_elem(B.m.drop_srcs, &idx, &other, BPF_ANY);
	}
	new0 = counter(ZT_C_FLOW_NEW);
	hit0 = counter(ZT_C_DROP_HIT);
	for (i = 0; i < 2; i++) {
		s = TCP4(STRANGER, "10.2.0.77", 5000);
		T_EQ(xdp_verdict(&s), XDP_DROP);
	}
	T_EQ(counter(ZT_C_FLOW_NEW) - new0, 1);
	T_EQ(counter(ZT_C_DROP_HIT) - hit0, 1);
	/* A policy under which the catch-all allows: decided again, allowed,
	 * and that drop entry is gone (the other port's stays, unused). */
	rules[R_CATCHALL].action = ZT_ACT_ALLOW;
	T_EQ(apply_policy(N_RULES, 6), 0);
	s = TCP4(STRANGER, "10.2.0.77", 5000);
	T_EQ(xdp_verdict(&s), XDP_PASS);
	{
		struct zt_flow_key k = { .ifindex = 1, .family = ZT_AF_INET,
					 .proto = IPPROTO_TCP, .dport = htons(5000) };
		struct zt_flow f;

		inet_pton(AF_INET, STRANGER, k.src);
		inet_pton(AF_INET, "10.2.0.77", k.dst);
		T_ASSERT(bpf_map_lookup_elem(B.m.drops, &k, &f) && errno == ENOENT,
			 "the drop decided under the old policy is still cached");
		k.dport = htons(5001);
		T_ASSERT(!bpf_map_lookup_elem(B.m.drops, &k, &f), "port 5001's drop entry");
	}
	rules[R_CATCHALL].action = ZT_ACT_BLOCK;
	T_EQ(apply_policy(N_RULES, 6), 0);
	T_EQ(xdp_verdict(&s), XDP_DROP); /* the cached allowed flow is cut */
}

static size_t trie_entries(int fd)
{
	struct zt_route6_key k, next;
	void *prev = NULL;
	size_t n = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		n++;
		k = next;
		prev = &k;
	}
	return n;
}

static void update_removes_stale_routes(void)
{
	size_t before = trie_entries(B.m.routes4);

	expect(TCP4(BOB, "172.20.0.1", 8080), ZT_V_DIRECT, ZT_R_RULE, R_BOB_WEB);
	/* Drop routes[4] (172.20.0.0/16) and routes[5]. */
	T_EQ(apply_policy(N_RULES, 4), 0);
	T_EQ(trie_entries(B.m.routes4), before - 2);
	expect(TCP4(BOB, "172.20.0.1", 8080), ZT_V_PASS, ZT_R_NO_ROUTE, -1);
	T_EQ(apply_policy(N_RULES, 6), 0);
	T_EQ(trie_entries(B.m.routes4), before);
	expect(TCP4(BOB, "172.20.0.1", 8080), ZT_V_DIRECT, ZT_R_RULE, R_BOB_WEB);
}

static int count_event(void *ctx, void *data, size_t len)
{
	struct zt_event *want = ctx, *e = data;

	if (len >= sizeof(*e) && e->type == want->type && !memcmp(e->dst, want->dst, 16) &&
	    e->dport == want->dport && e->verdict == want->verdict &&
	    e->rule_id == want->rule_id && e->user_id == want->user_id)
		want->pad2++;
	return 0;
}

static void events_for_new_flows(void)
{
	struct zt_event want = { .type = ZT_EV_FLOW, .verdict = ZT_V_DIRECT,
				 .rule_id = R_BOB_WEB + 1, .user_id = USER_BOB };
	struct ring_buffer *rb = ring_buffer__new(B.m.events, count_event, &want, NULL);
	struct pkt_spec s = TCP4(BOB, "10.2.0.6", 8081);
	__u8 buf[256];
	size_t len = build(&s, buf, sizeof(buf));

	T_ASSERT(rb, "ring buffer");
	if (!rb)
		return;
	ring_buffer__consume(rb); /* drain earlier cases */
	want.pad2 = 0;
	inet_pton(AF_INET, "10.2.0.6", want.dst);
	want.dport = htons(8081);
	run_xdp(buf, len);
	run_xdp(buf, len); /* a hit: no second event */
	ring_buffer__consume(rb);
	T_EQ(want.pad2, 1);
	ring_buffer__free(rb);
}

static int count_any(void *ctx, void *data, size_t len)
{
	(void)data;
	(void)len;
	(*(int *)ctx)++;
	return 0;
}

static void drop_events_rate_limited(void)
{
	struct zt_state st;
	__u32 zero = 0;
	int n = 0, i;
	struct ring_buffer *rb = ring_buffer__new(B.m.events, count_any, &n, NULL);
	__u8 runt[16] = { 0 };
	__u64 lim0 = counter(ZT_C_EVENT_LIMITED);

	T_ASSERT(rb, "ring buffer");
	if (!rb)
		return;
	runt[12] = 0x81; /* a VLAN tag cut short */
	ring_buffer__consume(rb);
	n = 0;
	bpf_map_lookup_elem(B.m.state, &zero, &st);
	st.drop_events_per_sec = 3;
	bpf_map_update_elem(B.m.state, &zero, &st, BPF_ANY);
	sleep(1); /* refill to exactly the burst */
	for (i = 0; i < 20; i++)
		run_xdp(runt, sizeof(runt));
	ring_buffer__consume(rb);
	T_ASSERT(n >= 3 && n <= 4, "%d drop events for 20 drops at 3/s", n);
	T_ASSERT(counter(ZT_C_EVENT_LIMITED) - lim0 >= 16, "limited counter");
	st.drop_events_per_sec = 100;
	bpf_map_update_elem(B.m.state, &zero, &st, BPF_ANY);
	ring_buffer__free(rb);
}

static void tc_marks_steered_flows(void)
{
	struct pkt_spec s = TCP4(ADMIN, "10.3.0.1", 443);
	__u8 buf[256];
	size_t len = build(&s, buf, sizeof(buf));
	__u32 mark = 0;

	/* Before XDP nothing is cached: a miss must never pass undecided. */
	T_EQ(run_tc(buf, len, &mark), TC_ACT_SHOT);
	T_EQ(mark, 0);
	T_EQ(run_xdp(buf, len), XDP_PASS);        /* STEER (L7) */
	T_EQ(run_tc(buf, len, &mark), TC_ACT_OK);
	T_EQ(mark, ZT_MARK_STEER);
	s = TCP4(ADMIN, "10.2.0.9", 22);           /* DIRECT: no mark */
	len = build(&s, buf, sizeof(buf));
	T_EQ(run_xdp(buf, len), XDP_PASS);
	T_EQ(run_tc(buf, len, &mark), TC_ACT_OK);
	T_EQ(mark, 0);
}

/* A flow whose XDP entry is gone (evicted from a full map) reaches tc:
 * dropped and counted, never passed. It passed on the old code. */
static void tc_decides_on_cache_miss(void)
{
	struct pkt_spec s = TCP4(BOB, "10.2.0.5", 22); /* blocked: bob to .5 */
	__u8 buf[256];
	size_t len = build(&s, buf, sizeof(buf));
	__u64 before = counter(ZT_C_TC_MISS);
	__u32 mark = 0;

	T_EQ(run_tc(buf, len, &mark), TC_ACT_SHOT);
	T_EQ(counter(ZT_C_TC_MISS) - before, 1);
	/* A later fragment whose first XDP never saw: dropped at tc too. */
	s.frag = 2;
	s.frag_id = 5151;
	len = build(&s, buf, sizeof(buf));
	T_EQ(run_tc(buf, len, &mark), TC_ACT_SHOT);
}

/* An IRI given to another name (a new epoch): a flow cached as allowed
 * under the old name is decided again, here blocked. On the old code the
 * cache hit kept the old verdict. */
static void iri_reuse_invalidates_flows(void)
{
	struct zt_iri_key k;
	struct zt_iri_val v, got;
	struct pkt_spec s = TCP4(BOB, "100.80.0.9", 8080), f1, f2;
	__u8 buf[256];
	size_t len;
	__u64 stale0 = counter(ZT_C_FLOW_STALE);

	if (!iri_put("100.80.0.9", ZT_ROUTE_ID_HOST | 1, 2, ZT_DST_F_ROUTED, 7, &k, &v))
		return;
	len = build(&s, buf, sizeof(buf));
	T_EQ(run_xdp(buf, len), XDP_PASS);  /* bob's web range: STEER (remote tunnel) */
	T_EQ(run_xdp(buf, len), XDP_PASS);  /* a hit */
	T_ASSERT(!bpf_map_lookup_elem(B.m.iri, &k, &got) && got.last_ns > 0,
		 "a packet to the IRI records its last use");
	/* The same flow's first fragment, for its later ones. */
	f1 = s;
	f1.frag = 1;
	f1.frag_id = 6161;
	f1.sport = 0;
	len = build(&f1, buf, sizeof(buf));
	T_EQ(run_xdp(buf, len), XDP_PASS);
	f2 = f1;
	f2.frag = 2;
	/* Reused: another name whose rules leave bob nothing (no rule set). */
	v.half[0].dst_set = v.half[1].dst_set = 0;
	v.epoch = 8;
	T_ASSERT(!bpf_map_update_elem(B.m.iri, &k, &v, BPF_ANY), "iri reuse");
	len = build(&s, buf, sizeof(buf));
	T_EQ(run_xdp(buf, len), XDP_DROP);
	T_EQ(counter(ZT_C_FLOW_STALE) - stale0, 1);
	len = build(&f2, buf, sizeof(buf));
	T_EQ(run_xdp(buf, len), XDP_DROP);  /* the old first fragment's verdict is void */
	bpf_map_delete_elem(B.m.iri, &k);
	/* And an IRI that went away: no longer allowed either. */
	len = build(&s, buf, sizeof(buf));
	T_EQ(run_xdp(buf, len), XDP_DROP);
}

/* A source and destination no rule connects (the default blocks): one
 * drop for every protocol and port, so a sender trying a new port on every
 * packet is decided once; where a rule names some port, drops stay per
 * port (another port might be allowed). On the old code each port was a
 * decision and an entry of its own. */
static void port_scan_is_one_entry(void)
{
	struct zt_flow_key any = { .ifindex = 1, .family = ZT_AF_INET,
				   .vlan = ZT_FLOW_KEY_ANY };
	struct pkt_spec s;
	struct zt_flow f;
	__u8 buf[256];
	size_t len, drops0 = map_entries(B.m.drops, sizeof(struct zt_flow_key));
	__u64 new0 = counter(ZT_C_FLOW_NEW), hit0 = counter(ZT_C_DROP_HIT);
	__u64 def0 = stat_packets(ZT_V_DROP, ZT_R_DEFAULT), waiting = 0, wbytes = 0;
	struct zt_drop_waiting w;
	int i;

	for (i = 0; i < 100; i++) {
		s = TCP4(STRANGER, "172.20.0.9", 1000 + i);
		len = build(&s, buf, sizeof(buf));
		T_EQ(run_xdp(buf, len), XDP_DROP);
	}
	s = (struct pkt_spec){ .src = STRANGER, .dst = "172.20.0.9", .proto = IPPROTO_ICMP };
	len = build(&s, buf, sizeof(buf));
	T_EQ(run_xdp(buf, len), XDP_DROP);
	T_EQ(counter(ZT_C_FLOW_NEW) - new0, 1);
	T_EQ(counter(ZT_C_DROP_HIT) - hit0, 100);
	T_EQ(stat_packets(ZT_V_DROP, ZT_R_DEFAULT) - def0, 101);
	T_EQ(map_entries(B.m.drops, sizeof(struct zt_flow_key)), drops0 + 1);
	inet_pton(AF_INET, STRANGER, any.src);
	inet_pton(AF_INET, "172.20.0.9", any.dst);
	/* Its later packets matched this CPU's zt_drop_last slot, without a
	 * zt_drops look-up: counted there, in batches into the entry. */
	T_EQ(zt_drop_waiting_read(B.m.drop_last, &w), 0);
	zt_drop_waiting_add(&w, &any, &waiting, &wbytes);
	zt_drop_waiting_free(&w);
	T_ASSERT(!bpf_map_lookup_elem(B.m.drops, &any, &f) && f.reason == ZT_R_DEFAULT &&
		 f.packets + waiting == 101 && waiting > 0,
		 "the drop for every port: %llu packets and %llu waiting", f.packets,
		 (unsigned long long)waiting);
	/* The slot is for that destination only: another is decided. Its
	 * next packet takes the slot, and what waited there for the first
	 * destination joins that entry. */
	s = TCP4(STRANGER, "172.20.0.10", 1000);
	len = build(&s, buf, sizeof(buf));
	T_EQ(run_xdp(buf, len), XDP_DROP);
	T_EQ(counter(ZT_C_FLOW_NEW) - new0, 2);
	T_EQ(run_xdp(buf, len), XDP_DROP);
	T_EQ(counter(ZT_C_FLOW_NEW) - new0, 2);
	waiting = 0;
	T_EQ(zt_drop_waiting_read(B.m.drop_last, &w), 0);
	zt_drop_waiting_add(&w, &any, &waiting, &wbytes);
	zt_drop_waiting_free(&w);
	T_ASSERT(!bpf_map_lookup_elem(B.m.drops, &any, &f) && f.packets + waiting == 101,
		 "after the switch: %llu packets and %llu waiting", f.packets,
		 (unsigned long long)waiting);
	/* Bob has a rule to 172.20.0.0/16 on 8000-8100: his drop to port
	 * 22 there is for port 22 alone, and 8080 is still his. */
	expect(TCP4(BOB, "172.20.0.9", 22), ZT_V_DROP, ZT_R_DEFAULT, -1);
	memcpy(any.src, (__u8[4]){ 10, 10, 0, 3 }, 4);
	T_ASSERT(bpf_map_lookup_elem(B.m.drops, &any, &f), "bob's drop taken for every port");
	expect(TCP4(BOB, "172.20.0.9", 8080), ZT_V_DIRECT, ZT_R_RULE, R_BOB_WEB);
}

/* A sender the policy blocks does not keep an IRI in use: its packets
 * leave the entry's last use alone, so the address can still go to
 * another name; an allowed one records it. On the old code every
 * evaluated packet to the IRI did. */
static void blocked_sender_leaves_iri_idle(void)
{
	struct zt_iri_key k;
	struct zt_iri_val v, got;
	struct pkt_spec s;
	__u8 buf[256];
	size_t len;
	int i;

	if (!iri_put("100.80.0.10", ZT_ROUTE_ID_HOST | 2, 2, ZT_DST_F_ROUTED, 9, &k, &v))
		return;
	for (i = 0; i < 3; i++) { /* new destination ports: each one decided */
		s = TCP4(STRANGER, "100.80.0.10", 8080 + i);
		len = build(&s, buf, sizeof(buf));
		T_EQ(run_xdp(buf, len), XDP_DROP);
	}
	T_ASSERT(!bpf_map_lookup_elem(B.m.iri, &k, &got) && got.last_ns == 0,
		 "a blocked sender refreshed the IRI's last use");
	s = TCP4(BOB, "100.80.0.10", 8080);
	len = build(&s, buf, sizeof(buf));
	T_EQ(run_xdp(buf, len), XDP_PASS);
	T_ASSERT(!bpf_map_lookup_elem(B.m.iri, &k, &got) && got.last_ns > 0,
		 "an allowed flow records the IRI's last use");
	bpf_map_delete_elem(B.m.iri, &k);
}

/* Fragments: a first fragment's verdict holds only in its policy
 * generation; IPv6 later fragments are found when more extension headers
 * follow the fragment header in the first one (their keys differed). */
static void fragment_verdicts_bounded(void)
{
	struct pkt_spec first = TCP4(ADMIN, "10.2.0.9", 22), later;
	__u8 buf[256];
	size_t len, l3, l4;

	later = fragment_pair(first, 7171, ZT_V_DIRECT, ZT_R_RULE, R_SSH_DEVOPS);
	T_EQ(apply_policy(N_RULES, 6), 0); /* a new generation, same rules */
	T_EQ(xdp_verdict(&later), XDP_DROP);

	/* IPv6: [fragment -> destination options -> TCP] in the first,
	 * [fragment(next header: destination options)] in the later. */
	first = TCP4("fd00:10::2", "fd00:2::5", 22);
	first.frag = 1;
	first.frag_id = 0x717171;
	first.ext_hdrs = 1;
	first.sport = next_sport++;
	len = pkt_build(&first, buf, sizeof(buf), &l3, &l4);
	/* pkt_build wrote [dstopts][frag]: swap them. */
	buf[l3 + 6] = IPPROTO_FRAGMENT;
	buf[l3 + 40] = IPPROTO_DSTOPTS;    /* fragment header first */
	buf[l3 + 41] = 0;
	buf[l3 + 42] = 0;
	buf[l3 + 43] = 1;                  /* offset 0, more fragments */
	buf[l3 + 44] = 0x00; buf[l3 + 45] = 0x71; buf[l3 + 46] = 0x71; buf[l3 + 47] = 0x71;
	buf[l3 + 48] = IPPROTO_TCP;        /* then the destination options */
	buf[l3 + 49] = 0; buf[l3 + 50] = 1; buf[l3 + 51] = 4;
	memset(buf + l3 + 52, 0, 4);
	T_EQ(run_xdp(buf, len), XDP_PASS);
	later = first;
	later.frag = 2;
	later.ext_hdrs = 0;
	len = pkt_build(&later, buf, sizeof(buf), &l3, &l4);
	buf[l3 + 40] = IPPROTO_DSTOPTS;    /* what the datagram's fragments all say */
	T_EQ(run_xdp(buf, len), XDP_PASS);
}

/* Source routes would carry a packet past the destination decided for:
 * IPv4 LSRR/SSRR options and IPv6 routing headers with segments left are
 * dropped (reason src_route); other options still pass. */
static void source_routes_dropped(void)
{
	struct pkt_spec s = TCP4(ADMIN, "10.2.0.9", 22);
	__u8 buf[256];
	size_t len, l3, l4;
	__u64 d0 = stat_packets(ZT_V_DROP, ZT_R_SRC_ROUTE), b0 = stat_packets(ZT_V_DROP, ZT_R_BAD_IP);
	__u8 lsrr[] = { 1, 131, 7, 4, 10, 2, 0, 5 }; /* NOP, LSRR via 10.2.0.5 */
	__u8 ra[] = { 148, 4, 0, 0, 1, 137, 3, 4 };   /* router alert, NOP, SSRR */
	__u32 mark;

	s.ip_opts = 8;
	s.sport = next_sport++;
	len = pkt_build(&s, buf, sizeof(buf), &l3, &l4);
	memcpy(buf + l3 + 20, lsrr, sizeof(lsrr));
	T_EQ(run_xdp(buf, len), XDP_DROP);
	T_EQ(run_tc_full(buf, len, &mark), TC_ACT_SHOT);
	s.sport = next_sport++;
	len = pkt_build(&s, buf, sizeof(buf), &l3, &l4);
	memcpy(buf + l3 + 20, ra, sizeof(ra));
	T_EQ(run_xdp(buf, len), XDP_DROP);
	T_EQ(stat_packets(ZT_V_DROP, ZT_R_SRC_ROUTE) - d0, 3);
	/* Router alert alone passes; an option longer than the header is malformed. */
	s.sport = next_sport++;
	len = pkt_build(&s, buf, sizeof(buf), &l3, &l4);
	memcpy(buf + l3 + 20, ra, 4);
	T_EQ(run_xdp(buf, len), XDP_PASS);
	s.sport = next_sport++;
	len = pkt_build(&s, buf, sizeof(buf), &l3, &l4);
	buf[l3 + 20] = 68; /* timestamp, 12 bytes in an 8-byte option area */
	buf[l3 + 21] = 12;
	T_EQ(run_xdp(buf, len), XDP_DROP);
	T_EQ(stat_packets(ZT_V_DROP, ZT_R_BAD_IP) - b0, 1);

	/* IPv6: a segment routing header (type 4) with segments left. */
	s = TCP4("fd00:10::2", "fd00:2::5", 22);
	s.ext_hdrs = 1;
	s.sport = next_sport++;
	len = pkt_build(&s, buf, sizeof(buf), &l3, &l4);
	buf[l3 + 6] = IPPROTO_ROUTING;
	buf[l3 + 42] = 4;  /* type: SRH */
	buf[l3 + 43] = 1;  /* segments left */
	T_EQ(run_xdp(buf, len), XDP_DROP);
	T_EQ(stat_packets(ZT_V_DROP, ZT_R_SRC_ROUTE) - d0, 4);
	buf[l3 + 43] = 0;  /* none left: the destination is the last one */
	T_EQ(run_xdp(buf, len), XDP_PASS);
}

static void full_flow_map_lru(void)
{
	const __u32 chunk = 65536;
	struct zt_flow_key *keys = calloc(chunk, sizeof(*keys));
	struct zt_flow *vals = calloc(chunk, sizeof(*vals));
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	__u32 i, done = 0, count;
	int k;

	T_ASSERT(keys && vals, "memory");
	if (!keys || !vals)
		goto out;
	/* Fill the map to its default size with flows that would pass
	 * anything (stale generation 0, verdict PASS). */
	while (done < ZT_MAX_FLOWS) {
		for (i = 0; i < chunk; i++) {
			__u32 n = done + i;

			keys[i].ifindex = 99;
			keys[i].family = ZT_AF_INET;
			keys[i].proto = IPPROTO_TCP;
			memcpy(keys[i].src, &n, 4);
			vals[i].verdict = ZT_V_PASS;
		}
		count = chunk;
		if (bpf_map_update_batch(B.m.flows, keys, vals, &count, &o)) {
			t_fail(__FILE__, __LINE__, "batch fill: %s", strerror(errno));
			goto out;
		}
		done += chunk;
	}
	/* New flows still get the right verdict and are cached. */
	for (k = 0; k < 32; k++) {
		expect(TCP4(BOB, "10.2.0.9", 22), ZT_V_DROP, ZT_R_RULE, R_CATCHALL);
		expect(TCP4(ADMIN, "10.2.0.9", 22), ZT_V_DIRECT, ZT_R_RULE, R_SSH_DEVOPS);
	}
out:
	free(keys);
	free(vals);
}

int main(void)
{
	cpu_set_t cpus;
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Per-CPU counters and the per-CPU rate limit: stay on one CPU. */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	zt_log_level = ZT_LOG_WARN;
	snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/zt-test-%d", (int)getpid());
	if (getenv("ZT_CASES_OUT"))
		cases_out = fopen(getenv("ZT_CASES_OUT"), "w");
	err = zt_bpf_open(&B, pin_root);
	if (err) {
		printf("not ok - load programs and maps (default sizes): %s\n", strerror(-err));
		zt_bpf_unpin_all(pin_root);
		return 1;
	}
	printf("ok - load programs and maps (default sizes)\n");
	build_policy();
	err = apply_policy(N_RULES, 6);
	if (err) {
		printf("not ok - compile and apply the suite policy: %s\n", strerror(-err));
		return 1;
	}

	T_RUN(non_ip_passes);
	T_RUN(truncated_ethernet_dropped);
	T_RUN(truncated_ip_dropped);
	T_RUN(bad_ihl_dropped);
	T_RUN(truncated_l4_dropped);
	T_RUN(ipv4_options_parsed);
	T_RUN(fragments_follow_first);
	T_RUN(ipv6_extension_headers);
	T_RUN(vlan_tag);
	T_RUN(unenrolled_source);
	T_RUN(address_in_two_vnets);
	T_RUN(precedence_both_ways);
	T_RUN(port_range);
	T_RUN(l7_rule_steers);
	T_RUN(icmp_and_no_route);
	T_RUN(iri_destinations);
	T_RUN(flow_cache_hit);
	T_RUN(generation_change_reevaluates);
	T_RUN(blocked_flood_is_one_entry);
	T_RUN(port_scan_is_one_entry);
	T_RUN(update_removes_stale_routes);
	T_RUN(events_for_new_flows);
	T_RUN(drop_events_rate_limited);
	T_RUN(tc_marks_steered_flows);
	T_RUN(tc_decides_on_cache_miss);
	T_RUN(iri_reuse_invalidates_flows);
	T_RUN(blocked_sender_leaves_iri_idle);
	T_RUN(fragment_verdicts_bounded);
	T_RUN(source_routes_dropped);
	nat_cases();
	if (apply_policy(N_RULES, 6))
		printf("not ok - the suite policy again after the NAT cases\n");
	T_RUN(full_flow_map_lru);

	if (cases_out)
		fclose(cases_out);
	zt_bpf_close(&B);
	zt_compiled_free(&cur);
	zt_bpf_unpin_all(pin_root);
	return t_done();
}
