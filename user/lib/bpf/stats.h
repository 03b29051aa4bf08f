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

struct zt_drop_last;
struct zt_flow_key;
/* The packets of drops that wait in zt_drop_last (every CPU's slots) to
 * join their zt_drops entries' counts: read once, then asked per entry. */
struct zt_drop_waiting {
	struct zt_drop_last *v; /* the slots that hold packets */
	size_t n;
};
int zt_drop_waiting_read(int drop_last_fd, struct zt_drop_waiting *w);
/* Adds what waits for the drop keyed k to *packets and *bytes. */
void zt_drop_waiting_add(const struct zt_drop_waiting *w, const struct zt_flow_key *k,
			 __u64 *packets, __u64 *bytes);
void zt_drop_waiting_free(struct zt_drop_waiting *w);

#endif
