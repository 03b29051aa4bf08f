// SPDX-License-Identifier: GPL-2.0
/* log.c — see log.h. */
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>
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

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf warnings are our info, its info our debug. */
	int ours = level == LIBBPF_WARN ? ZT_LOG_INFO : ZT_LOG_DEBUG;

	if (ours > zt_log_level)
		return 0;
	fprintf(stderr, "zt: libbpf: ");
	return vfprintf(stderr, fmt, ap);
}

void zt_log_route_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
