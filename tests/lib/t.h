/* SPDX-License-Identifier: GPL-2.0 */
/* t.h — a minimal test runner: one "ok - name" or "not ok - name" line per
 * case (tests/run.sh counts them), with each failed assertion's location. */
#ifndef ZT_T_H
#define ZT_T_H

#include <stdbool.h>
#include <stdio.h>

extern int t_case_failed;

void t_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void t_run(const char *name, void (*fn)(void));
void t_skip(const char *name, const char *why);
/* Prints nothing more; returns the exit status for main(). */
int t_done(void);

#define T_ASSERT(cond, ...)                                              \
	do {                                                             \
		if (!(cond))                                             \
			t_fail(__FILE__, __LINE__, __VA_ARGS__);         \
	} while (0)

#define T_EQ(a, b)                                                       \
	do {                                                             \
		long long _a = (long long)(a), _b = (long long)(b);      \
		if (_a != _b)                                            \
			t_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", \
			       #a, _a, #b, _b);                          \
	} while (0)

#define T_RUN(fn) t_run(#fn, fn)

#endif
