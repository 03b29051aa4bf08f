/* SPDX-License-Identifier: GPL-2.0 */
/* classifier.h — what test_classifier.c (the classifier's cases and main)
 * and nat_cases.c (the DIRECT path's translations) share: the programs,
 * the suite's names for its vnets, users and addresses, and helpers. */
#ifndef ZT_TEST_CLASSIFIER_H
#define ZT_TEST_CLASSIFIER_H

#include <stdlib.h>
#include "loader.h"
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

static inline __u64 stat_packets(__u8 verdict, __u8 reason)
{
	return zt_stat_packets(B.m.stats, verdict, reason);
}

/* The DIRECT path's cases, in a network namespace and under a policy of
 * their own (nat_cases.c); the caller applies its policy again after. */
void nat_cases(void);

#endif
