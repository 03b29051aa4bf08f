/* SPDX-License-Identifier: GPL-2.0 */
/* classifier.h — what test_classifier's files share: the fixture
 * (classifier.c: the programs, the suite's policy and its names for
 * vnets, users, addresses and rules, running packets and checking what
 * came of them), the classifier's cases and main (test_classifier.c),
 * the drop cache's (drop_cases.c) and the DIRECT path's (nat_cases.c). */
#ifndef ZT_TEST_CLASSIFIER_H
#define ZT_TEST_CLASSIFIER_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include "loader.h"
#include "policy.h"
#include "stats.h"
#include "../lib/pkt.h"

#define PFX(s) ({ struct zt_prefix _p; if (zt_prefix_parse(s, &_p)) abort(); _p; })

enum { VNET_DEFAULT = 1, VNET_B1 = 2 };
enum { USER_ADMIN = 1, USER_BOB = 2, USER_CAROL = 3 };

#define TCP4(src_, dst_, port) ((struct pkt_spec){ .src = src_, .dst = dst_, \
	.proto = IPPROTO_TCP, .dport = port })
#define ADMIN "10.10.0.2"
#define BOB   "10.10.0.3"
#define CAROL "10.10.0.4"
#define STRANGER "10.10.0.99"

extern struct zt_bpf B;      /* the programs and maps, loaded by main */
extern __u32 vnets[2];       /* the suite's vnets: default, b1 */

/* ---- classifier.c: the policy the suite runs against --------------------- */
#define GROUP_DEVOPS (1ULL << 0)
enum { R_SSH_DEVOPS, R_BLOCK_BOB_5, R_BOB_WEB, R_SNI, R_ICMP, R_VNET2, R_CATCHALL,
       R_V6_SSH, N_RULES };
extern struct zt_rule_in rules[N_RULES];
extern struct zt_compiled cur;   /* what is applied now, for the evaluator */
extern char pin_root[64];
extern __u16 next_sport;         /* the source port build() gives next */
/* ZT_CASES_OUT: every policy case the kernel decided under the full
 * policy, for tests/bpf/policy_test_agrees.sh (opened by main). */
extern FILE *cases_out;
void build_policy(void);
/* The first n_rules rules and n_routes routes, compiled and applied. */
int apply_policy(size_t n_rules, size_t n_routes);

/* ---- classifier.c: running packets ---------------------------------------- */
__u64 counter(__u32 idx);
/* XDP's verdict on the packet (or -errno). */
int run_xdp(const __u8 *pkt, size_t len);
/* tc after XDP (zt_tc_ingress); the whole classifier at tc
 * (zt_tc_ingress_eth): the verdict, and the mark set. */
int run_tc(const __u8 *pkt, size_t len, __u32 *mark);
int run_tc_full(const __u8 *pkt, size_t len, __u32 *mark);
/* pkt_build, with the next source port (or ICMP id) when s has none. */
size_t build(struct pkt_spec *s, __u8 *buf, size_t cap);
/* Sends one packet of a new flow and checks the verdict, that exactly its
 * (verdict, reason) counter moved, the cached flow, and the evaluator. */
void expect(struct pkt_spec s, __u8 verdict, __u8 reason, int rule_idx);
struct pkt_spec fragment_pair(struct pkt_spec first, __u32 id, __u8 verdict, __u8 reason,
			      int rule);
int xdp_verdict(struct pkt_spec *s);
/* Entries in a hash map with keys of key_size bytes. */
size_t map_entries(int fd, size_t key_size);
bool iri_put(const char *addr, __u32 route_id, __u32 tunnel_id, __u32 flags, __u32 epoch,
	     struct zt_iri_key *k, struct zt_iri_val *v);

static inline __u64 stat_packets(__u8 verdict, __u8 reason)
{
	return zt_stat_packets(B.m.stats, verdict, reason);
}

/* drop_cases.c */
void blocked_flood_is_one_entry(void);
void port_scan_is_one_entry(void);
void blocked_sender_leaves_iri_idle(void);

/* The DIRECT path's cases, in a network namespace and under a policy of
 * their own (nat_cases.c); the caller applies its policy again after. */
void nat_cases(void);

#endif
