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

/* tc hands a STEER packet to the proxy's socket (steer.h) or drops it:
 * with no proxy listening it is dropped and counted (no_proxy), a UDP
 * datagram or an ICMP echo request with no UDP socket of ztd's too
 * (no_proxy), and other ICMP (steer_proto). On the old code the
 * packet was only marked and went on to the stack, whose own look-up gave
 * it to whatever the gateway listens on at that port. The assignment
 * itself needs a packet at a real ingress: tests/netns/proxy.sh. */
static void tc_steers_or_fails_closed(void)
{
	struct pkt_spec s = TCP4(ADMIN, "10.3.0.1", 443);
	__u8 buf[256];
	size_t len = build(&s, buf, sizeof(buf));
	__u64 np = stat_packets(ZT_V_DROP, ZT_R_NO_PROXY);
	__u64 sp = stat_packets(ZT_V_DROP, ZT_R_STEER_PROTO);
	__u32 mark = 0;

	/* Before XDP nothing is cached: a miss must never pass undecided. */
	T_EQ(run_tc(buf, len, &mark), TC_ACT_SHOT);
	T_EQ(mark, 0);
	T_EQ(run_xdp(buf, len), XDP_PASS);        /* STEER (L7) */
	T_EQ(run_tc(buf, len, &mark), TC_ACT_SHOT); /* no proxy: ztd is not running */
	T_EQ(mark, 0);
	T_EQ(stat_packets(ZT_V_DROP, ZT_R_NO_PROXY) - np, 1);
	T_EQ(run_tc_full(buf, len, &mark), TC_ACT_SHOT);
	T_EQ(stat_packets(ZT_V_DROP, ZT_R_NO_PROXY) - np, 2);
	s = (struct pkt_spec){ .src = CAROL, .dst = "10.2.0.9", .proto = IPPROTO_UDP,
			       .dport = 53 };    /* STEER: b1's remote tunnel */
	len = build(&s, buf, sizeof(buf));
	T_EQ(run_xdp(buf, len), XDP_PASS);
	T_EQ(run_tc(buf, len, &mark), TC_ACT_SHOT);
	T_EQ(stat_packets(ZT_V_DROP, ZT_R_NO_PROXY) - np, 3);
	T_EQ(mark, 0);
	/* An echo request goes to ztd's ring only while ztd runs (its UDP
	 * socket is in zt_proxy): not queued for no one. */
	s = (struct pkt_spec){ .src = CAROL, .dst = "10.2.0.9", .proto = IPPROTO_ICMP,
			       .icmp_type = 8 };
	len = build(&s, buf, sizeof(buf));
	T_EQ(run_xdp(buf, len), XDP_PASS);
	T_EQ(run_tc(buf, len, &mark), TC_ACT_SHOT);
	T_EQ(stat_packets(ZT_V_DROP, ZT_R_NO_PROXY) - np, 4);
	/* Other ICMP no connector carries. */
	s.icmp_type = 13; /* timestamp */
	len = build(&s, buf, sizeof(buf));
	T_EQ(run_xdp(buf, len), XDP_PASS);
	T_EQ(run_tc(buf, len, &mark), TC_ACT_SHOT);
	T_EQ(stat_packets(ZT_V_DROP, ZT_R_STEER_PROTO) - sp, 1);
	T_EQ(mark, 0);
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
	T_RUN(tc_steers_or_fails_closed);
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
