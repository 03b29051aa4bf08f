// SPDX-License-Identifier: GPL-2.0
/* nat.c — see nat.h. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include "nat.h"
#include "zt_abi.h"

__u64 zt_nat_idle_limit_ns(__u8 proto, __u8 flags)
{
	__u64 s;

	if (proto == 6)
		s = flags & ZT_NAT_F_RST ? ZT_NAT_RST_IDLE : flags & ZT_NAT_F_FIN ? ZT_NAT_FIN_IDLE
		  : flags & ZT_NAT_F_EST ? ZT_NAT_TCP_IDLE : ZT_NAT_SYN_IDLE;
	else
		s = proto == 17 ? ZT_NAT_UDP_IDLE : ZT_NAT_ICMP_IDLE;
	return s * 1000000000ULL;
}

static size_t counts_len(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return ((size_t)ZT_NAT_COUNT_SLOTS * sizeof(__u64) + page - 1) / page * page;
}

int zt_nat_counts_map(int nat_count_fd, __u64 **counts)
{
	void *m = mmap(NULL, counts_len(), PROT_READ | PROT_WRITE, MAP_SHARED, nat_count_fd, 0);

	*counts = NULL;
	if (m == MAP_FAILED)
		return -errno;
	*counts = m;
	return 0;
}

void zt_nat_counts_unmap(__u64 *counts)
{
	if (counts)
		munmap(counts, counts_len());
}

/* One translation of device fewer. Never below zero: a count the programs
 * have not added yet is not taken away. */
static void count_put(__u64 *counts, __u32 device)
{
	__u64 v;

	if (!counts || device >= ZT_NAT_COUNT_SLOTS)
		return;
	v = __atomic_load_n(&counts[device], __ATOMIC_RELAXED);
	while (v && !__atomic_compare_exchange_n(&counts[device], &v, v - 1, false,
						 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static bool idle(__u64 now, __u64 last, __u8 proto, __u8 flags)
{
	return now >= last && now - last >= zt_nat_idle_limit_ns(proto, flags);
}

/* Idle pairs go together (judged by the later of their last packets), the
 * FWD entry first: no moment has a FWD entry without its port's claim. A
 * FWD entry whose REV entry is gone or another's has no port: it goes at
 * once (the programs drop it at its next packet too). */
static void gc_fwd(int fd, __u64 *counts, __u64 now, struct zt_nat_gc_stats *st)
{
	struct zt_flow_key key, next, rk;
	struct zt_nat v, r;
	bool more, pair;

	for (more = !bpf_map_get_next_key(fd, NULL, &key); more; key = next) {
		__u64 last;

		more = !bpf_map_get_next_key(fd, &key, &next);
		if (bpf_map_lookup_elem(fd, &key, &v) || v.dir != ZT_NAT_FWD)
			continue;
		zt_nat_rev_key(&key, &v, &rk);
		pair = !bpf_map_lookup_elem(fd, &rk, &r) && zt_nat_rev_owns(&key, &r);
		if (pair) {
			last = r.last_seen_ns > v.last_seen_ns ? r.last_seen_ns : v.last_seen_ns;
			if (!idle(now, last, key.proto, v.flags | r.flags))
				continue;
		}
		if (bpf_map_delete_elem(fd, &key))
			continue; /* the programs took it first, and its count */
		count_put(counts, v.device);
		if (pair) {
			bpf_map_delete_elem(fd, &rk);
			st->removed++;
		} else {
			st->stale++;
		}
	}
}

/* A REV entry without its FWD (a lost race) only holds a port: it goes
 * once idle (a new translation's FWD entry may be on its way). One with
 * its FWD is the pair's, judged above: a flow whose server never answers
 * keeps its port as long as its client sends. */
static void gc_rev(int fd, __u64 now, struct zt_nat_gc_stats *st)
{
	struct zt_flow_key key, next, fk, back;
	struct zt_nat v, f;
	bool more;

	for (more = !bpf_map_get_next_key(fd, NULL, &key); more; key = next) {
		more = !bpf_map_get_next_key(fd, &key, &next);
		if (bpf_map_lookup_elem(fd, &key, &v) || v.dir != ZT_NAT_REV)
			continue;
		zt_flow_key_rev(&fk, v.ifindex, key.family, key.proto, v.src, v.dst, v.sport,
				v.dport);
		if (!bpf_map_lookup_elem(fd, &fk, &f) && f.dir == ZT_NAT_FWD) {
			zt_nat_rev_key(&fk, &f, &back);
			if (!memcmp(&back, &key, sizeof(key)))
				continue;
		}
		if (idle(now, v.last_seen_ns, key.proto, v.flags) && !bpf_map_delete_elem(fd, &key))
			st->orphans++;
	}
}

int zt_nat_gc(int nat_fd, __u64 *counts, __u64 now_ns, struct zt_nat_gc_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (nat_fd < 0)
		return -EBADF;
	gc_fwd(nat_fd, counts, now_ns, st);
	gc_rev(nat_fd, now_ns, st);
	return 0;
}
