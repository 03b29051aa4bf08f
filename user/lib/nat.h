/* SPDX-License-Identifier: GPL-2.0 */
/* nat.h — the DIRECT path's translations (zt_nat) from user space: which
 * idle time ends one, and their removal, a pair at a time. ztd runs it
 * every 5 s; the tests run it with a clock of their own. */
#ifndef ZT_NAT_H
#define ZT_NAT_H

#include <stddef.h>
#include <linux/types.h>

/* Idle timeouts (seconds), as conntrack's defaults would have them. */
#define ZT_NAT_TCP_IDLE   7200
#define ZT_NAT_FIN_IDLE   30
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

/* Removes from the zt_nat map at nat_fd what is done at now_ns (the
 * programs' bpf_ktime_get_coarse_ns() clock). Returns 0 or -errno. */
int zt_nat_gc(int nat_fd, __u64 now_ns, struct zt_nat_gc_stats *st);

#endif
