/* SPDX-License-Identifier: GPL-2.0 */
/* csum.h — Internet checksums updated in place (RFC 1624): what a change of
 * some words does to a checksum, without reading what it covers. The NAT
 * rewrites tuples with these (nat.h); headers built whole (its too-big
 * errors, dns.h's answers) are summed by bpf_csum_diff and folded here. */
#ifndef ZT_BPF_CSUM_H
#define ZT_BPF_CSUM_H

#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include "zt_abi.h"

static __always_inline __u32 zt_csum_add(__u32 a, __u32 b)
{
	a += b;
	return a + (a < b);
}

static __always_inline __u16 zt_csum_fold(__u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}

/* d plus (new - old) over one 32-bit word. */
static __always_inline __u32 zt_csum_d32(__u32 d, const __u8 *old, const __u8 *new)
{
	__u32 o, n;

	__builtin_memcpy(&o, old, 4);
	__builtin_memcpy(&n, new, 4);
	return zt_csum_add(zt_csum_add(d, ~o), n);
}

static __always_inline __u32 zt_csum_d16(__u32 d, __u16 old, __u16 new)
{
	return zt_csum_add(zt_csum_add(d, (__u16)~old), new);
}

/* d plus the change of a 4- (IPv4) or 16-byte (IPv6) address. */
static __always_inline __u32 zt_csum_daddr(__u32 d, __u8 family, const __u8 *old,
					   const __u8 *new)
{
	d = zt_csum_d32(d, old, new);
	if (family == ZT_AF_INET6) {
		d = zt_csum_d32(d, old + 4, new + 4);
		d = zt_csum_d32(d, old + 8, new + 8);
		d = zt_csum_d32(d, old + 12, new + 12);
	}
	return d;
}

/* The checksum at *f after the data it covers changed by d. */
static __always_inline void zt_csum_apply(__u16 *f, __u32 d)
{
	*f = ~zt_csum_fold(zt_csum_add((__u16)~*f, d));
}

#endif
