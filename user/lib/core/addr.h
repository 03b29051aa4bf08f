/* SPDX-License-Identifier: GPL-2.0 */
/* addr.h — IPv4/IPv6 prefixes: parse, format, containment. */
#ifndef ZT_ADDR_H
#define ZT_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>

struct zt_prefix {
	__u8 family; /* ZT_AF_INET or ZT_AF_INET6 */
	__u8 len;    /* prefix length in bits */
	__u8 addr[16];
};

#define ZT_PREFIX_STRLEN 64

/* "10.0.0.0/8", "fd00::/8", or a bare address (a host prefix). Returns 0,
 * -EINVAL for a malformed string, -ERANGE for a bad length, -EBADMSG when
 * host bits are set past the length. */
int zt_prefix_parse(const char *s, struct zt_prefix *p);
const char *zt_prefix_str(const struct zt_prefix *p, char *buf, size_t n);
const char *zt_addr_str(__u8 family, const __u8 *addr, char *buf, size_t n);
int zt_addr_bits(const struct zt_prefix *p);
bool zt_prefix_bit(const struct zt_prefix *p, int i);

/* Inline: these are the comparators of every million-route sort, merge
 * and containment walk. */

/* The first len bits of a and b (16-byte addresses) are equal. */
static inline bool zt_addr_bits_equal(const __u8 *a, const __u8 *b, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < 16 && len; i += 8) {
		unsigned int l = len > 64 ? 64 : len;
		__u64 x, y, m = l == 64 ? ~0ULL : ~(~0ULL >> l);

		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if ((__builtin_bswap64(x) ^ __builtin_bswap64(y)) & m)
			return false;
		len -= l;
	}
	return true;
}

static inline bool zt_prefix_contains(const struct zt_prefix *outer,
				      const struct zt_prefix *inner)
{
	return outer->family == inner->family && outer->len <= inner->len &&
	       zt_addr_bits_equal(outer->addr, inner->addr, outer->len);
}

/* One of a and b contains the other. */
static inline bool zt_prefix_overlaps(const struct zt_prefix *a, const struct zt_prefix *b)
{
	return a->family == b->family &&
	       zt_addr_bits_equal(a->addr, b->addr, a->len < b->len ? a->len : b->len);
}

/* Orders by family, address, then length: a prefix sorts right before the
 * prefixes it contains, which lets one pass with a stack find every
 * prefix's ancestors. */
static inline int zt_prefix_cmp(const struct zt_prefix *a, const struct zt_prefix *b)
{
	__u64 x, y;
	int i;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	for (i = 0; i < 16; i += 8) { /* memcmp's order, as big-endian words */
		memcpy(&x, a->addr + i, 8);
		memcpy(&y, b->addr + i, 8);
		if (x != y)
			return __builtin_bswap64(x) < __builtin_bswap64(y) ? -1 : 1;
	}
	return (int)a->len - (int)b->len;
}
/* Calls emit(arg, q) for each prefix of the fewest that cover p but none of
 * subs[] (of p's family; others are ignored), in address order. */
void zt_prefix_subtract(const struct zt_prefix *p, const struct zt_prefix *subs, size_t n,
			void (*emit)(void *arg, const struct zt_prefix *q), void *arg);

#endif
