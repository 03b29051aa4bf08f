// SPDX-License-Identifier: GPL-2.0
/* log.c — see log.h. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include "log.h"

int zt_log_level = ZT_LOG_INFO;
FILE *zt_log_tee;

static const char *const level_names[] = { "warning", "info", "debug" };

void zt_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > zt_log_level)
		return;
	fprintf(stderr, "zt: %s: ", level_names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (level == ZT_LOG_WARN && zt_log_tee) {
		va_start(ap, fmt);
		vfprintf(zt_log_tee, fmt, ap);
		va_end(ap);
	}
}

void zt_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

const char *zt_log_time(char *buf, size_t len, long long real_ns)
{
	time_t secs = (time_t)(real_ns / 1000000000);
	char t[32];
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", t, (int)((real_ns / 1000000) % 1000));
	return buf;
}

bool zt_rate_say(struct zt_rate *r, __u32 per_sec, __u64 now_ms, const char *what)
{
	__u64 dropped;
	bool ok = zt_rate_ok(r, per_sec, now_ms, &dropped);

	if (dropped)
		pr_warn("%llu more lines about %s not written\n", (unsigned long long)dropped,
			what);
	return ok;
}
