// SPDX-License-Identifier: GPL-2.0
/* out.c — see out.h. */
#include <stdarg.h>
#include <stdio.h>
#include "out.h"

enum zt_out_mode zt_out_mode = ZT_OUT_HUMAN;

static int depth;
static bool need_comma[32];

static void indent(void)
{
	int i;

	if (zt_out_mode != ZT_OUT_PRETTY)
		return;
	putchar('\n');
	for (i = 0; i < depth; i++)
		fputs("  ", stdout);
}

static void json_string(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void member(const char *key)
{
	if (depth > 0 && need_comma[depth])
		putchar(',');
	if (depth > 0)
		indent();
	need_comma[depth] = true;
	if (key) {
		json_string(key);
		fputs(zt_out_mode == ZT_OUT_PRETTY ? ": " : ":", stdout);
	}
}

static void open_(const char *key, char c)
{
	if (!zt_out_json())
		return;
	member(key);
	putchar(c);
	if (depth < 31)
		depth++;
	need_comma[depth] = false;
}

static void close_(char c)
{
	bool had = need_comma[depth];

	if (!zt_out_json())
		return;
	if (depth > 0)
		depth--;
	if (had)
		indent();
	putchar(c);
	if (depth == 0)
		putchar('\n');
}

void out_obj_start(const char *key) { open_(key, '{'); }
void out_obj_end(void) { close_('}'); }
void out_arr_start(const char *key) { open_(key, '['); }
void out_arr_end(void) { close_(']'); }

void out_str(const char *key, const char *fmt, const char *v)
{
	if (zt_out_json()) {
		member(key);
		if (v)
			json_string(v);
		else
			fputs("null", stdout);
	} else if (fmt) {
		printf(fmt, v ? v : "-");
	}
}

void out_u64(const char *key, const char *fmt, unsigned long long v)
{
	if (zt_out_json()) {
		member(key);
		printf("%llu", v);
	} else if (fmt) {
		printf(fmt, v);
	}
}

void out_bool(const char *key, const char *fmt, bool v)
{
	if (zt_out_json()) {
		member(key);
		fputs(v ? "true" : "false", stdout);
	} else if (fmt) {
		printf(fmt, v ? "yes" : "no");
	}
}

void out_text(const char *fmt, ...)
{
	va_list ap;

	if (zt_out_json())
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void out_error(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (zt_out_json()) {
		depth = 0;
		need_comma[0] = false;
		printf("{\"error\":");
		json_string(buf);
		printf("}\n");
	} else {
		fprintf(stderr, "ztctl: %s\n", buf);
	}
}
