/* SPDX-License-Identifier: GPL-2.0 */
/* out.h — one print call for both output forms (as iproute2's print_*):
 * a human table by default, JSON with -j, pretty JSON with -p. In human
 * mode the format is used and the key ignored; in JSON mode the reverse. */
#ifndef ZT_OUT_H
#define ZT_OUT_H

#include <stdbool.h>

enum zt_out_mode { ZT_OUT_HUMAN, ZT_OUT_JSON, ZT_OUT_PRETTY };

extern enum zt_out_mode zt_out_mode;

static inline bool zt_out_json(void) { return zt_out_mode != ZT_OUT_HUMAN; }

void out_obj_start(const char *key);  /* key NULL inside arrays / at top */
void out_obj_end(void);
void out_arr_start(const char *key);
void out_arr_end(void);
void out_str(const char *key, const char *fmt, const char *v);
void out_u64(const char *key, const char *fmt, unsigned long long v);
void out_bool(const char *key, const char *fmt, bool v);
/* Human mode only: text as is (headers, newlines). */
void out_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An error: {"error": "..."} in JSON mode, "ztctl: ..." on stderr otherwise. */
void out_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
