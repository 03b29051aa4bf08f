/* SPDX-License-Identifier: GPL-2.0 */
/* stats.h — the per-CPU counters summed over every CPU: one place for the
 * tests, the benchmark and the tools that read zt_stats and zt_counters. */
#ifndef ZT_STATS_H
#define ZT_STATS_H

#include <linux/types.h>

/* Packets counted under (verdict, reason); ~0 when the map cannot be read. */
__u64 zt_stat_packets(int stats_fd, __u8 verdict, __u8 reason);
/* Counter idx (enum zt_counter); ~0 when the map cannot be read. */
__u64 zt_counter_sum(int counters_fd, __u32 idx);

#endif
