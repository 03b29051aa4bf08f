/* SPDX-License-Identifier: GPL-2.0 */
/* nat.h — the DIRECT path's translations (zt_nat) from user space: which
 * idle time ends one, and their removal, a pair at a time. ztd runs it
 * every 5 s; the tests run it with a clock of their own. */
#ifndef ZT_NAT_H
#define ZT_NAT_H

#include <stddef.h>
#include <linux/types.h>

/* Idle timeouts (seconds), modelled on conntrack's. A TCP translation is
 * embryonic from its SYN until the server's SYN-ACK (conntrack gives
 * SYN_SENT 120 s; here 30 s, since a client that retries sends a new SYN,
 * which makes a new one), then established (conntrack: 5 days; here 2 h),
 * closing after a FIN (30 s: conntrack's LAST_ACK, shorter than its
 * FIN_WAIT and TIME_WAIT of 120 s) and done after a RST (10 s: conntrack's
 * CLOSE). Measured from the pair's last packet either way. */
#define ZT_NAT_TCP_IDLE   7200
#define ZT_NAT_SYN_IDLE   30
#define ZT_NAT_FIN_IDLE   30
#define ZT_NAT_RST_IDLE   10
#define ZT_NAT_UDP_IDLE   60
#define ZT_NAT_ICMP_IDLE  30

/* How long a translation of protocol proto with (both entries') flags
 * ZT_NAT_F_* may stay idle. */
__u64 zt_nat_idle_limit_ns(__u8 proto, __u8 flags);

struct zt_nat_gc_stats {
	size_t removed;  /* pairs idle past their timeout */
	size_t stale;    /* FWD entries without their REV (no port): at once */
	size_t orphans;  /* REV entries without their FWD, once idle */
};

/* The zt_nat_count map (translations per device id, ZT_NAT_COUNT_SLOTS
 * of them) mapped into this process, to give counts back with the atomics
 * the programs use. Returns 0 or -errno. */
int zt_nat_counts_map(int nat_count_fd, __u64 **counts);
void zt_nat_counts_unmap(__u64 *counts);

/* Removes from the zt_nat map at nat_fd what is done at now_ns (the
 * programs' bpf_ktime_get_coarse_ns() clock), and gives each removed FWD
 * entry's count back to its device in counts (from zt_nat_counts_map).
 * Returns 0 or -errno. */
int zt_nat_gc(int nat_fd, __u64 *counts, __u64 now_ns, struct zt_nat_gc_stats *st);

#endif
