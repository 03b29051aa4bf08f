/* SPDX-License-Identifier: GPL-2.0 */
/* addr.h — IPv4/IPv6 prefixes: parse, format, containment. */
#ifndef ZT_ADDR_H
#define ZT_ADDR_H

#include <stdbool.h>
#include <stddef.h>
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
bool zt_prefix_contains(const struct zt_prefix *outer, const struct zt_prefix *inner);
int zt_prefix_cmp(const struct zt_prefix *a, const struct zt_prefix *b);
bool zt_prefix_bit(const struct zt_prefix *p, int i);
/* Calls emit(arg, q) for each prefix of the fewest that cover p but none of
 * subs[] (of p's family; others are ignored), in address order. */
void zt_prefix_subtract(const struct zt_prefix *p, const struct zt_prefix *subs, size_t n,
			void (*emit)(void *arg, const struct zt_prefix *q), void *arg);

#endif
