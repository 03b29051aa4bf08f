/* SPDX-License-Identifier: GPL-2.0 */
/* hostname.h — hostname patterns as routes and SNI selectors use them:
 * exact, or one leftmost wildcard label ("*.internal.local" matches
 * "foo.internal.local", not "foo.bar.internal.local" nor "internal.local").
 * Case-insensitive; one trailing dot ignored. */
#ifndef ZT_HOSTNAME_H
#define ZT_HOSTNAME_H

#include <stdbool.h>

bool zt_hostname_match(const char *pattern, const char *name);

#endif
