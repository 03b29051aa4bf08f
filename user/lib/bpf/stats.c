// SPDX-License-Identifier: GPL-2.0
/* stats.c — see stats.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "sort.h"
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

static int key_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct zt_drop_last *)a)->key, &((const struct zt_drop_last *)b)->key,
		      sizeof(struct zt_flow_key));
}

int zt_drop_waiting_read(int drop_last_fd, struct zt_drop_waiting *w)
{
	int ncpus = libbpf_num_possible_cpus(), c;
	struct zt_drop_last *v;
	size_t j;
	__u32 i;

	w->v = NULL;
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
	/* Sorted by key, one element per key (CPUs' slots summed): a
	 * binary search per entry of a table that may hold 64k. */
	zt_qsort(w->v, w->n, sizeof(*w->v), key_cmp);
	for (i = 0, j = 0; i < w->n; i++) {
		if (j && !key_cmp(&w->v[j - 1], &w->v[i])) {
			w->v[j - 1].packets += w->v[i].packets;
			w->v[j - 1].bytes += w->v[i].bytes;
		} else {
			w->v[j++] = w->v[i];
		}
	}
	w->n = j;
	return 0;
}

void zt_drop_waiting_add(const struct zt_drop_waiting *w, const struct zt_flow_key *k,
			 __u64 *packets, __u64 *bytes)
{
	struct zt_drop_last key;
	const struct zt_drop_last *e;

	memcpy(&key.key, k, sizeof(*k));
	e = zt_bsearch(&key, w->v, w->n, sizeof(*w->v), key_cmp);
	if (e) {
		*packets += e->packets;
		*bytes += e->bytes;
	}
}

void zt_drop_waiting_free(struct zt_drop_waiting *w)
{
	free(w->v);
	w->v = NULL;
	w->n = 0;
}
