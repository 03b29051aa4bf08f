/* SPDX-License-Identifier: GPL-2.0 */
/* apply.h — writes a compiled policy half into the maps so that packets see
 * the old rule set or the new one, never a mix: the inactive half is filled,
 * zt_state.active flips, an RCU grace period passes (no packet still reads
 * the old half), then entries only the old half used are deleted. */
#ifndef ZT_APPLY_H
#define ZT_APPLY_H

#include "maps.h"
#include <stdbool.h>
#include "policy.h"

struct zt_apply_stats {
	__u32 generation;     /* the generation now in force */
	size_t dst_written, dst_deleted, dev_written, dev_deleted;
};

/* What the route tries hold, both halves, sorted as zt_compiled.dsts: kept
 * by ztd between reloads so that a reload is one merge walk in memory and
 * writes only the entries that change. Zeroed (valid false) it is read
 * from the maps at the next zt_apply. */
struct zt_mirror_dst {
	struct zt_dst_entry e; /* prefix and vnet; e.dst unused */
	struct zt_route_val val;
};

/* What a flip left to do once no packet reads the old half (zt_apply_finish):
 * entries only the old half used, deleted after an RCU grace period. */
struct zt_apply_tail {
	struct zt_mirror_dst *adds; size_t n_adds;  /* sorted, as zt_compiled.dsts */
	size_t *drops; size_t n_drops;               /* indices into the mirror */
	struct zt_dev_key *devs; size_t n_devs;      /* devices to delete */
	struct zt_iri_key *iris; size_t n_iris;      /* IRIs to delete */
	bool pending;
};

struct zt_mirror {
	struct zt_mirror_dst *dsts; size_t n, cap;
	struct zt_apply_tail tail; /* the last flip's, until zt_apply_finish */
	__u32 active;          /* the half packets read since the last apply */
	size_t settle;         /* zt_apply_settle's position */
	size_t settle_written; /* entries it wrote since the last apply */
	/* What each half of the rule, set and port arrays was last given
	 * (NULL: unknown), so that only the elements that differ are written. */
	struct zt_bitmap *sets[2]; __u32 n_sets[2];
	struct zt_rule *rules[2];
	__u32 *ports[2];
	bool valid;
};

/* mir may be NULL: the tries are read for this call only. On error mir is
 * marked invalid (read back next time) and packets keep the old half.
 * With a mirror, zt_apply returns at the flip (the new policy is in force)
 * and leaves the deletions that must wait for in-flight packets in
 * mir->tail: the caller runs zt_apply_finish soon after (the next zt_apply
 * runs it first). Until then the entries only the old policy had stay in
 * the maps holding the new policy's answer in the active half. Without a
 * mirror, zt_apply finishes before it returns. */
int zt_apply(const struct zt_map_fds *m, const struct zt_compiled *c,
	     struct zt_mirror *mir, struct zt_apply_stats *st);

/* Waits for the RCU grace period after the last flip, deletes what only the
 * old policy used and updates the mirror. Nothing to do: returns 0 at once.
 * Returns the number of route prefixes deleted, or -errno (the mirror is
 * then read back at the next apply). */
int zt_apply_finish(const struct zt_map_fds *m, struct zt_mirror *mir);

/* Copies the active half into the inactive one for up to budget entries,
 * so that the next reload writes only what it changes (a fresh table, or
 * a prefix a reload added, differs in its halves until settled). Only the
 * inactive half is written: packets never see it. Returns 1 while work
 * remains, 0 when done (or when the mirror went invalid). */
int zt_apply_settle(const struct zt_map_fds *m, struct zt_mirror *mir, size_t budget);
void zt_mirror_free(struct zt_mirror *mir);

/* Waits until no BPF program still runs with values read before the call. */
int zt_sync_rcu(void);

#endif
