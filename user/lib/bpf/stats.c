// SPDX-License-Identifier: GPL-2.0
/* stats.c — see stats.h. */
#include <stdlib.h>
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
