/* SPDX-License-Identifier: GPL-2.0 */
/* clock.h — the clocks ztd and ztctl read: monotonic time for their own
 * timers, and the coarse monotonic clock that bpf_ktime_get_coarse_ns()
 * reads, for comparing with the last-seen stamps the programs write. */
#ifndef ZT_CLOCK_H
#define ZT_CLOCK_H

#include <time.h>
#include <linux/types.h>

static inline __u64 zt_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static inline __u64 zt_mono_ms(void)
{
	return zt_clock_ns(CLOCK_MONOTONIC) / 1000000;
}

/* With the fraction, for timing what ztd does. */
static inline double zt_mono_msf(void)
{
	return (double)zt_clock_ns(CLOCK_MONOTONIC) / 1e6;
}

/* The clock of the programs' created_ns / last_seen_ns. */
static inline __u64 zt_bpf_now_ns(void)
{
	return zt_clock_ns(CLOCK_MONOTONIC_COARSE);
}

#endif
