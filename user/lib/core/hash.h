/* SPDX-License-Identifier: GPL-2.0 */
/* hash.h — one 64-bit hash for user space (hash tables of rule bitmaps,
 * the route-list chunks of a config): 8 bytes per multiply, not
 * cryptographic; callers compare the bytes on a match. */
#ifndef ZT_HASH_H
#define ZT_HASH_H

#include <stddef.h>
#include <string.h>
#include <linux/types.h>

static inline __u64 zt_hash64(const void *data, size_t n, __u64 h)
{
	const char *p = data;
	__u64 w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 29;
	}
	w = 0;
	memcpy(&w, p, n);
	h = (h ^ w ^ ((__u64)n << 56)) * 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 32);
}

#endif
