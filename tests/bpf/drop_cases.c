// SPDX-License-Identifier: GPL-2.0
/* drop_cases — test_classifier's cases for what a blocked sender costs:
 * the drop cache (one entry whatever the source port, one for every port
 * where no rule could allow another, the per-CPU slot a flood's next
 * packets match) and an IRI's last use, which a blocked sender does not
 * keep. Run by test_classifier's main. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "policy.h"
#include "stats.h"
#include "zt_abi.h"
#include "xdp_ingress.skel.h"
#include "../lib/pkt.h"
#include "../lib/t.h"
#include "classifier.h"

/* A blocked sender that takes a new source port for every packet (issue
 * 14 A9): one entry in zt_drops, none in zt_flows, so it can push no
 * other device's flow out; every packet after the first a drop hit; and a
 * policy that now allows it decides again. On the old code each packet
 * made a flow of its own. */
void blocked_flood_is_one_entry(void)
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

/* A source and destination no rule connects (the default blocks): one
 * drop for every protocol and port, so a sender trying a new port on every
 * packet is decided once; where a rule names some port, drops stay per
 * port (another port might be allowed). On the old code each port was a
 * decision and an entry of its own. */
void port_scan_is_one_entry(void)
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
void blocked_sender_leaves_iri_idle(void)
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
