/* SPDX-License-Identifier: GPL-2.0 */
/* hostname.h — hostname patterns as hostname routes, DNS policies and SNI
 * selectors use them: exact, or one wildcard as the whole leftmost label
 * ("*.internal.local" matches "foo.internal.local", not
 * "foo.bar.internal.local" nor "internal.local"). Case-insensitive; one
 * trailing dot ignored. */
#ifndef ZT_HOSTNAME_H
#define ZT_HOSTNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define ZT_HOSTNAME_MAX 253 /* characters; 255 octets on the wire */

bool zt_hostname_match(const char *pattern, const char *name);

/* A pattern as the config gives it -> its stored form: leading and
 * trailing dots trimmed, lower case, labels of 1-63 letters, digits, '-'
 * or '_', at most ZT_HOSTNAME_MAX characters, and (when wild is allowed)
 * "*" only as the whole leftmost label of a name with at least one more.
 * Returns 0, or -EINVAL with *why saying what is wrong. */
int zt_hostname_norm(const char *in, bool allow_wild, char out[ZT_HOSTNAME_MAX + 1],
		     const char **why);

/* Stored patterns indexed for lookup by name and vnet: the exact pattern
 * first, else the wildcard one label up. */
struct zt_host_index {
	struct zt_host_ent {
		const char *suffix; /* the pattern without a leading "*." */
		__u32 vnet;
		bool wild;
		size_t idx;         /* caller's index */
	} *e;
	size_t n;
};

/* patterns[i] (stored form) in vnet vnets[i]; the strings must outlive
 * the index. Returns 0 or -ENOMEM. */
int zt_host_index_build(struct zt_host_index *ix, const char *const *patterns,
			const __u32 *vnets, size_t n);
/* The caller's index of the pattern name (lower case, no trailing dot)
 * falls under in vnet, or -1. */
long zt_host_index_find(const struct zt_host_index *ix, const char *name, __u32 vnet);
void zt_host_index_free(struct zt_host_index *ix);

#endif
