/* SPDX-License-Identifier: GPL-2.0 */
/* log.h — leveled logging to stderr (libbpf's output is routed through
 * it by zt_log_route_libbpf, in bpf/maps.h). */
#ifndef ZT_LOG_H
#define ZT_LOG_H

enum zt_log_level { ZT_LOG_WARN = 0, ZT_LOG_INFO = 1, ZT_LOG_DEBUG = 2 };

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

extern int zt_log_level;
/* When set, warnings are also written here, without the prefix (ztd hands
 * a reload's warnings back to the ztctl that asked for it). */
extern FILE *zt_log_tee;
void zt_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A JSON string value, escaped, for the JSON-lines logs. */
void zt_json_str(FILE *f, const char *s);
/* Real time now as "2026-01-02T03:04:05.678Z" into buf (>= 32 bytes). */
const char *zt_log_time(char *buf, size_t len, long long real_ns);

/* A budget of lines a second for what anyone can make happen (a refused
 * connection, a failed stream): zt_rate_ok says whether one more may be
 * written now; *dropped (when not NULL) gets how many were not written in
 * the second that just ended, once, to say so. */
struct zt_rate {
	__u64 sec;
	__u32 n;
	__u64 dropped;
};

static inline bool zt_rate_ok(struct zt_rate *r, __u32 per_sec, __u64 now_ms, __u64 *dropped)
{
	if (dropped)
		*dropped = 0;
	if (now_ms / 1000 != r->sec) {
		if (dropped)
			*dropped = r->dropped;
		r->sec = now_ms / 1000;
		r->n = 0;
		r->dropped = 0;
	}
	if (r->n < per_sec) {
		r->n++;
		return true;
	}
	r->dropped++;
	return false;
}

/* zt_rate_ok for lines about what: those of the second before that were
 * not written are said in one warning. */
bool zt_rate_say(struct zt_rate *r, __u32 per_sec, __u64 now_ms, const char *what);

#define pr_warn(...)  zt_log(ZT_LOG_WARN, __VA_ARGS__)
#define pr_info(...)  zt_log(ZT_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) zt_log(ZT_LOG_DEBUG, __VA_ARGS__)

#endif
