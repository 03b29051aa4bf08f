/* SPDX-License-Identifier: GPL-2.0 */
/* apply.h — writes a compiled policy half into the maps so that packets see
 * the old rule set or the new one, never a mix: the inactive half is filled,
 * zt_state.active flips, an RCU grace period passes (no packet still reads
 * the old half), then entries only the old half used are deleted. */
#ifndef ZT_APPLY_H
#define ZT_APPLY_H

#include "loader.h"
#include "policy.h"

struct zt_apply_stats {
	__u32 generation;     /* the generation now in force */
	size_t dst_written, dst_deleted, dev_written, dev_deleted;
};

int zt_apply(const struct zt_map_fds *m, const struct zt_compiled *c,
	     struct zt_apply_stats *st);

/* Waits until no BPF program still runs with values read before the call. */
int zt_sync_rcu(void);

#endif
