/* SPDX-License-Identifier: GPL-2.0 */
/* dns_msg.h — DNS messages the unit tests write for the codec and the
 * server to read: a header, a query, an OPT record. */
#ifndef ZT_TEST_DNS_MSG_H
#define ZT_TEST_DNS_MSG_H

#include "buf.h"
#include "dns.h"

static inline __u16 t_u16_at(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

/* The 12-byte header: id, flags and the four section counts. */
static inline void t_dns_header(struct zt_buf *b, __u16 id, __u16 flags, __u16 qd, __u16 an,
				__u16 ns, __u16 ar)
{
	zt_buf_put_u16(b, id);
	zt_buf_put_u16(b, flags);
	zt_buf_put_u16(b, qd);
	zt_buf_put_u16(b, an);
	zt_buf_put_u16(b, ns);
	zt_buf_put_u16(b, ar);
}

/* An OPT record (EDNS): the root name, the UDP size, the TTL field
 * (extended rcode, version, flags), no options. */
static inline void t_dns_opt(struct zt_buf *b, __u16 size, __u32 ttl)
{
	zt_buf_put_u8(b, 0);
	zt_buf_put_u16(b, ZT_DNS_T_OPT);
	zt_buf_put_u16(b, size);
	zt_buf_put_u32(b, ttl);
	zt_buf_put_u16(b, 0);
}

/* A query into out (cap bytes): id, flags, name, type, class IN, and an
 * OPT of opt_size and opt_ttl when opt_size >= 0. Its length. */
static inline size_t t_dns_query(__u8 *out, size_t cap, __u16 id, __u16 flags, const char *name,
				 __u16 type, int opt_size, __u32 opt_ttl)
{
	__u8 wire[ZT_DNS_NAME_MAX];
	struct zt_buf b;
	int n = zt_dns_name_to_wire(name, wire, sizeof(wire));

	zt_buf_init(&b, out, cap);
	t_dns_header(&b, id, flags, 1, 0, 0, opt_size >= 0 ? 1 : 0);
	zt_buf_put_bytes(&b, wire, n > 0 ? (size_t)n : 0);
	zt_buf_put_u16(&b, type);
	zt_buf_put_u16(&b, ZT_DNS_C_IN);
	if (opt_size >= 0)
		t_dns_opt(&b, (__u16)opt_size, opt_ttl);
	return b.off;
}

#endif
