// SPDX-License-Identifier: GPL-2.0
/* dnstcp.c — see dnstcp.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "dnstcp.h"

int zt_dns_tcp_next(const __u8 *buf, size_t len, size_t *off, const __u8 **msg,
		    size_t *mlen)
{
	size_t at = *off, n;

	if (at > len)
		return -EINVAL;
	if (len - at < 2)
		return 0;
	n = (size_t)(buf[at] << 8 | buf[at + 1]);
	if (len - at - 2 < n)
		return 0;
	*msg = buf + at + 2;
	*mlen = n;
	*off = at + 2 + n;
	return 1;
}

int zt_dns_tcp_put(struct zt_dns_tcp_out *o, const __u8 *msg, size_t len, size_t max)
{
	size_t need;

	if (len > 0xffff)
		return -EMSGSIZE;
	need = o->len + 2 + len;
	if (need > max)
		return -ENOBUFS;
	if (need > o->cap) {
		size_t nc = o->cap ? o->cap : 4096;
		__u8 *q;

		while (nc < need)
			nc *= 2;
		q = realloc(o->p, nc);
		if (!q)
			return -ENOMEM;
		o->p = q;
		o->cap = nc;
	}
	o->p[o->len] = (__u8)(len >> 8);
	o->p[o->len + 1] = (__u8)len;
	memcpy(o->p + o->len + 2, msg, len);
	o->len = need;
	return 0;
}

void zt_dns_tcp_sent(struct zt_dns_tcp_out *o, size_t n)
{
	if (n > o->len)
		n = o->len;
	if (!n)
		return;
	memmove(o->p, o->p + n, o->len - n);
	o->len -= n;
}

void zt_dns_tcp_out_free(struct zt_dns_tcp_out *o)
{
	free(o->p);
	*o = (struct zt_dns_tcp_out){ 0 };
}
