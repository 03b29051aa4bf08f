// SPDX-License-Identifier: GPL-2.0
/* origin.c — see origin.h. */
#include <errno.h>
#include <string.h>
#include "origin.h"

__u32 zt_origin_ttl(__u32 ttl, bool hosts)
{
	if (hosts)
		return ZT_ORIGIN_HOSTS_S;
	return ttl < ZT_ORIGIN_TTL_MIN ? ZT_ORIGIN_TTL_MIN :
	       ttl > ZT_ORIGIN_TTL_MAX ? ZT_ORIGIN_TTL_MAX : ttl;
}

enum zt_origin_change zt_origin_record(struct zt_iri *a, int n, const __u8 *addr, __u32 ttl,
				       bool hosts, __u64 now_ms)
{
	bool changed;

	a->res_inflight = false;
	if (n > 0) {
		changed = !a->real_ok || memcmp(a->real, addr, 16);
		ttl = zt_origin_ttl(ttl, hosts);
		memcpy(a->real, addr, 16);
		a->real_ok = true;
		a->real_ttl = ttl;
		a->res_next_ms = now_ms + (__u64)ttl * 1000;
		return changed ? ZT_ORIGIN_NEW : ZT_ORIGIN_SAME;
	}
	if (n == 0 || n == -ENOENT) {
		a->real_ok = false;
		a->res_next_ms = now_ms + ZT_ORIGIN_NEG_MS;
		return ZT_ORIGIN_NONE;
	}
	a->res_next_ms = now_ms + ZT_ORIGIN_RETRY_MS; /* the old address stays meanwhile */
	return ZT_ORIGIN_FAILED;
}
