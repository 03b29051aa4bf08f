/* SPDX-License-Identifier: GPL-2.0 */
/* iri.h — initial resolved IP allocation: one address from the pool per
 * {name, vnet, family}, sticky for as long as the allocation lives; when
 * the pool is full, the allocation idle longest (no answer for idle_s and
 * no flow, by the caller's in_use check) is reused; none idle -> -ENOSPC.
 * Allocations are saved to and loaded from a state file so that answers
 * clients cached stay valid across restarts. Pure: no maps, no sockets. */
#ifndef ZT_IRI_H
#define ZT_IRI_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "addr.h"
#include "hostname.h"

struct zt_iri {
	char  name[ZT_HOSTNAME_MAX + 1]; /* lower case */
	__u32 vnet;
	__u8  family;
	__u8  addr[16];
	__u64 last_answer;               /* seconds (CLOCK_REALTIME) */
	/* Different for every {address, name} pairing the pool ever made
	 * (the kernel's flows remember it: a reused address gets a new
	 * one). Saved with the allocation. */
	__u32 epoch;
	/* The server's address behind it (local tunnels), kept by ztd's
	 * resolver; not saved (resolved again after a restart). */
	__u8  real[16];
	bool  real_ok;
	bool  res_inflight;
	__u32 real_ttl;
	__u64 res_next_ms;               /* monotonic: when to resolve next; 0 now */
	/* Whose query through a wildcard route made it (zt_iri_get's owner;
	 * 0: an exact name, or loaded from the state file). */
	__u32 owner;
};

struct zt_iri_pool {
	struct zt_prefix pfx[2];         /* [0] IPv4, [1] IPv6 */
	struct zt_iri *a; size_t n, cap;
	size_t max;                      /* allocations at most (both families) */
	__u64 idle_s;                    /* reclaimable after this long unanswered */
	__u32 *by_name, *by_addr;        /* open addressing: index + 1, 0 empty */
	size_t slots;
	__u64 next[2];                   /* next offset to try in each pool */
	__u32 epoch;                     /* the last epoch given */
	bool dirty;                      /* changed since the last save */
	size_t owner_max;                /* allocations one owner may hold; 0: any */
	__u32 *owned; size_t n_owned;    /* allocations held, by owner */
};

/* max allocations; idle_s: how long unanswered before reuse. */
int zt_iri_pool_init(struct zt_iri_pool *p, const struct zt_prefix *v4,
		     const struct zt_prefix *v6, size_t max, __u64 idle_s);
void zt_iri_pool_free(struct zt_iri_pool *p);

/* New pool prefixes (a reload): allocations outside them are dropped.
 * Returns how many were dropped. */
size_t zt_iri_pool_reprefix(struct zt_iri_pool *p, const struct zt_prefix *v4,
			    const struct zt_prefix *v6);

/* The allocation for {name, vnet, family}, made when there is none.
 * in_use(arg, iri) says whether a flow still uses an allocation (only
 * asked when the pool is full). owner (0: none) is who asks for a name
 * through a wildcard, where every name is a new allocation: one owner
 * makes at most owner_max of those that live. Returns the index, -ENOSPC
 * (exhausted: nothing idle), -EDQUOT (the owner has owner_max), or
 * -EAFNOSUPPORT (no pool for family). *fresh says it was made now. */
long zt_iri_get(struct zt_iri_pool *p, const char *name, __u32 vnet, __u8 family, __u64 now,
		bool (*in_use)(void *arg, const struct zt_iri *iri), void *arg, __u32 owner,
		bool *fresh);
/* Forget every allocation's owner (their counts start again). */
void zt_iri_pool_disown(struct zt_iri_pool *p);

/* The allocation for {name, vnet, family}, or -1 (none is made). */
long zt_iri_find(const struct zt_iri_pool *p, const char *name, __u32 vnet, __u8 family);
/* The allocation holding addr, or -1. */
long zt_iri_find_addr(const struct zt_iri_pool *p, __u8 family, const __u8 *addr);

/* Epochs from here on are above floor (the highest the kernel's map
 * holds: after a lost state file, no new pairing may reuse one); loaded
 * allocations without one get theirs. */
void zt_iri_epoch_floor(struct zt_iri_pool *p, __u32 floor);

/* State file: one line per allocation, "FAMILY ADDRESS VNET_NAME NAME
 * LAST_ANSWER EPOCH" (files without EPOCH load too), written to a temporary file and renamed into place.
 * vnet_name(arg, id) and vnet_id(arg, name) (0: unknown) map vnets, whose
 * ids may change between configs. Load skips lines it cannot use (counted
 * in *skipped) and allocations outside the pools. */
int zt_iri_save(const struct zt_iri_pool *p, const char *path,
		const char *(*vnet_name)(void *arg, __u32 id), void *arg);
int zt_iri_load(struct zt_iri_pool *p, const char *path,
		__u32 (*vnet_id)(void *arg, const char *name), void *arg, size_t *skipped);

#endif
