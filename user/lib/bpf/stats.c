// SPDX-License-Identifier: GPL-2.0
/* stats.c — see stats.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "stats.h"
#include "zt_abi.h"

__u64 zt_stat_packets(int stats_fd, __u8 verdict, __u8 reason)
{
	int ncpus = libbpf_num_possible_cpus(), i;
	__u32 idx = (__u32)verdict * ZT_MAX_REASONS + reason;
	struct zt_stat *v = calloc((size_t)(ncpus > 0 ? ncpus : 1), sizeof(*v));
	__u64 sum = ~0ULL;

	if (v && ncpus > 0 && !bpf_map_lookup_elem(stats_fd, &idx, v))
		for (sum = 0, i = 0; i < ncpus; i++)
			sum += v[i].packets;
	free(v);
	return sum;
}

__u64 zt_counter_sum(int counters_fd, __u32 idx)
{
	int ncpus = libbpf_num_possible_cpus(), i;
	__u64 *v = calloc((size_t)(ncpus > 0 ? ncpus : 1), sizeof(*v));
	__u64 sum = ~0ULL;

	if (v && ncpus > 0 && !bpf_map_lookup_elem(counters_fd, &idx, v))
		for (sum = 0, i = 0; i < ncpus; i++)
			sum += v[i];
	free(v);
	return sum;
}

int zt_drop_waiting_read(int drop_last_fd, struct zt_drop_waiting *w)
{
	int ncpus = libbpf_num_possible_cpus(), c;
	struct zt_drop_last *v;
	__u32 i;

	w->n = 0;
	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	w->v = calloc((size_t)ncpus * ZT_DROP_SRCS, sizeof(*w->v));
	v = calloc((size_t)ncpus, sizeof(*v));
	if (!w->v || !v) {
		free(v);
		zt_drop_waiting_free(w);
		return -ENOMEM;
	}
	for (i = 0; i < ZT_DROP_SRCS; i++) {
		if (bpf_map_lookup_elem(drop_last_fd, &i, v))
			continue;
		for (c = 0; c < ncpus; c++)
			if (v[c].packets)
				w->v[w->n++] = v[c];
	}
	free(v);
	return 0;
}

void zt_drop_waiting_add(const struct zt_drop_waiting *w, const struct zt_flow_key *k,
			 __u64 *packets, __u64 *bytes)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (!memcmp(&w->v[i].key, k, sizeof(*k))) {
			*packets += w->v[i].packets;
			*bytes += w->v[i].bytes;
		}
}

void zt_drop_waiting_free(struct zt_drop_waiting *w)
{
	free(w->v);
	w->v = NULL;
	w->n = 0;
}
