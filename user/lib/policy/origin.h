/* SPDX-License-Identifier: GPL-2.0 */
/* origin.h — the real address behind an IRI of a local tunnel, as ztd's
 * origin resolver learns it: how long an answer is kept (its TTL, within
 * [ZT_ORIGIN_TTL_MIN, ZT_ORIGIN_TTL_MAX]; /etc/hosts has none and is read
 * again every ZT_ORIGIN_HOSTS_S), when a failure is asked again, and what
 * the allocation's map entry must be told. Pure: the resolver and the map
 * are the caller's. */
#ifndef ZT_ORIGIN_H
#define ZT_ORIGIN_H

#include <stdbool.h>
#include <linux/types.h>
#include "iri.h"

#define ZT_ORIGIN_TTL_MIN  5
#define ZT_ORIGIN_TTL_MAX  3600
#define ZT_ORIGIN_HOSTS_S  60      /* /etc/hosts has no TTL: read again this often */
#define ZT_ORIGIN_RETRY_MS 5000    /* after a timeout or SERVFAIL (the old address kept) */
#define ZT_ORIGIN_NEG_MS   30000   /* after NXDOMAIN or no address */

/* How long an address given with ttl is kept (from /etc/hosts: hosts). */
__u32 zt_origin_ttl(__u32 ttl, bool hosts);

enum zt_origin_change {
	ZT_ORIGIN_SAME,    /* the address it had, kept for another TTL */
	ZT_ORIGIN_NEW,     /* an address, and not the one it had: the map follows */
	ZT_ORIGIN_NONE,    /* no address (NXDOMAIN, no record): the map follows,
			    * flows to the IRI are dropped */
	ZT_ORIGIN_FAILED,  /* no answer: whatever it had stays, asked again soon */
};

/* Records in a what resolving its name gave at now_ms: n >= 1 addresses,
 * addr the first (16 octets, zero-filled), with ttl (hosts: from
 * /etc/hosts); 0 (no record) or -ENOENT (NXDOMAIN); another -errno (no
 * answer, a failed resolver). Sets its real address, TTL and when to ask
 * next, and ends its resolution in flight. */
enum zt_origin_change zt_origin_record(struct zt_iri *a, int n, const __u8 *addr, __u32 ttl,
				       bool hosts, __u64 now_ms);

#endif
