// SPDX-License-Identifier: GPL-2.0
/* hostname.c — see hostname.h. */
#include <string.h>
#include <strings.h>
#include "hostname.h"

/* Length without one trailing dot. */
static size_t trimmed(const char *s)
{
	size_t n = strlen(s);

	return n && s[n - 1] == '.' ? n - 1 : n;
}

bool zt_hostname_match(const char *pattern, const char *name)
{
	size_t pn = trimmed(pattern), nn = trimmed(name), sn;
	const char *dot;

	if (!nn)
		return false;
	if (pn < 2 || pattern[0] != '*' || pattern[1] != '.')
		return pn == nn && !strncasecmp(pattern, name, nn);
	/* "*.suffix": name is "label.suffix" with a non-empty label. */
	sn = pn - 2;
	dot = memchr(name, '.', nn);
	if (!dot || dot == name)
		return false;
	return (size_t)(name + nn - (dot + 1)) == sn && !strncasecmp(dot + 1, pattern + 2, sn);
}
