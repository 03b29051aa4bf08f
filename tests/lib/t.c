// SPDX-License-Identifier: GPL-2.0
/* t.c — see t.h. */
#include <stdarg.h>
#include <stdio.h>
#include "t.h"

int t_case_failed;
static int n_pass, n_fail, n_skip;

void t_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	t_case_failed = 1;
	printf("#   %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

void t_run(const char *name, void (*fn)(void))
{
	t_case_failed = 0;
	fflush(stdout);
	fn();
	if (t_case_failed)
		n_fail++;
	else
		n_pass++;
	printf("%s - %s\n", t_case_failed ? "not ok" : "ok", name);
	fflush(stdout);
}

void t_skip(const char *name, const char *why)
{
	n_skip++;
	printf("skip - %s: %s\n", name, why);
}

int t_done(void)
{
	printf("# %d passed, %d failed, %d skipped\n", n_pass, n_fail, n_skip);
	return n_fail ? 1 : 0;
}
