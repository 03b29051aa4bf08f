// SPDX-License-Identifier: GPL-2.0
/* hostname.c — see hostname.h. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "sort.h"
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

int zt_hostname_norm(const char *in, bool allow_wild, char out[ZT_HOSTNAME_MAX + 1],
		     const char **why)
{
	size_t n = strlen(in), i, label = 0;
	const char *s = in;

	while (n && *s == '.') {
		s++;
		n--;
	}
	while (n && s[n - 1] == '.')
		n--;
	*why = NULL;
	if (!n)
		*why = "is empty";
	else if (n > ZT_HOSTNAME_MAX)
		*why = "is longer than 253 characters (the most a DNS name holds)";
	for (i = 0; i < n && !*why; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '.') {
			if (!label)
				*why = "has an empty label (two dots in a row)";
			label = 0;
		} else if (ch == '*') {
			if (!allow_wild)
				*why = "holds '*': wildcards are not allowed here";
			else if (i)
				*why = memchr(s, '*', i) ? "has more than one wildcard" :
				       s[i - 1] == '.' ? "has a wildcard that is not the leftmost label" :
				       "has a partial wildcard: '*' must be a whole label";
			else if (n == 1 || s[1] != '.')
				*why = n == 1 ? "is only a wildcard: say which domain it is under" :
				       "has a partial wildcard: '*' must be a whole label";
			label++;
		} else if (isalnum(ch) || ch == '-' || ch == '_') {
			if (++label > 63)
				*why = "has a label longer than 63 characters";
		} else {
			*why = "holds a character a host name cannot (letters, digits, '-', '_' "
			       "and dots only)";
		}
	}
	if (*why)
		return -EINVAL;
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[n] = 0;
	return 0;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct zt_host_ent *x = a, *y = b;

	if (x->vnet != y->vnet)
		return x->vnet < y->vnet ? -1 : 1;
	if (x->wild != y->wild)
		return x->wild ? 1 : -1;
	return strcmp(x->suffix, y->suffix);
}

int zt_host_index_build(struct zt_host_index *ix, const char *const *patterns,
			const __u32 *vnets, size_t n)
{
	size_t i;

	ix->n = 0;
	ix->e = calloc(n ? n : 1, sizeof(*ix->e));
	if (!ix->e)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		bool wild = patterns[i][0] == '*';

		ix->e[i] = (struct zt_host_ent){ wild ? patterns[i] + 2 : patterns[i], vnets[i],
						 wild, i };
	}
	ix->n = n;
	zt_qsort(ix->e, n, sizeof(*ix->e), ent_cmp);
	return 0;
}

static long find(const struct zt_host_index *ix, const char *suffix, __u32 vnet, bool wild)
{
	struct zt_host_ent key = { suffix, vnet, wild, 0 };
	const struct zt_host_ent *e = zt_bsearch(&key, ix->e, ix->n, sizeof(*ix->e), ent_cmp);

	return e ? (long)e->idx : -1;
}

long zt_host_index_find(const struct zt_host_index *ix, const char *name, __u32 vnet)
{
	const char *dot = strchr(name, '.');
	long i = find(ix, name, vnet, false);

	if (i >= 0 || !dot || dot == name)
		return i;
	return find(ix, dot + 1, vnet, true);
}

void zt_host_index_free(struct zt_host_index *ix)
{
	free(ix->e);
	ix->e = NULL;
	ix->n = 0;
}
