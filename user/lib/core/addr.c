// SPDX-License-Identifier: GPL-2.0
/* addr.c — prefix parsing and arithmetic shared by the compiler and ztctl. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "zt_abi.h"

_Static_assert(ZT_AF_INET == AF_INET && ZT_AF_INET6 == AF_INET6, "AF values");

int zt_addr_bits(const struct zt_prefix *p)
{
	return p->family == ZT_AF_INET ? 32 : 128;
}

bool zt_prefix_bit(const struct zt_prefix *p, int i)
{
	return (p->addr[i / 8] >> (7 - i % 8)) & 1;
}

int zt_prefix_parse(const char *s, struct zt_prefix *p)
{
	char buf[ZT_PREFIX_STRLEN];
	const char *slash;
	size_t alen;
	long len;
	int bits, i;

	memset(p, 0, sizeof(*p));
	if (!s)
		return -EINVAL;
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, p->addr) == 1)
		p->family = ZT_AF_INET;
	else if (inet_pton(AF_INET6, buf, p->addr) == 1)
		p->family = ZT_AF_INET6;
	else
		return -EINVAL;
	bits = zt_addr_bits(p);
	if (slash) {
		char *end;

		if (!slash[1] || slash[1] == '-' || slash[1] == '+')
			return -EINVAL;
		errno = 0;
		len = strtol(slash + 1, &end, 10);
		if (*end || errno)
			return -EINVAL;
		if (len < 0 || len > bits)
			return -ERANGE;
	} else {
		len = bits;
	}
	p->len = (__u8)len;
	for (i = p->len; i < bits; i++)
		if (zt_prefix_bit(p, i))
			return -EBADMSG;
	return 0;
}

const char *zt_addr_str(__u8 family, const __u8 *addr, char *buf, size_t n)
{
	if (!inet_ntop(family == ZT_AF_INET ? AF_INET : AF_INET6, addr, buf, n))
		snprintf(buf, n, "?");
	return buf;
}

const char *zt_prefix_str(const struct zt_prefix *p, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN];

	snprintf(buf, n, "%s/%u", zt_addr_str(p->family, p->addr, a, sizeof(a)), p->len);
	return buf;
}

void zt_prefix_subtract(const struct zt_prefix *p, const struct zt_prefix *subs, size_t n,
			void (*emit)(void *arg, const struct zt_prefix *q), void *arg)
{
	struct zt_prefix lo, hi;
	bool inside = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (subs[i].family != p->family)
			continue;
		if (zt_prefix_contains(&subs[i], p))
			return; /* all of p is removed */
		if (zt_prefix_contains(p, &subs[i]))
			inside = true;
	}
	if (!inside) {
		emit(arg, p);
		return;
	}
	/* A sub lies strictly inside p: split p in halves. */
	lo = *p;
	lo.len++;
	hi = lo;
	hi.addr[p->len / 8] |= (__u8)(0x80 >> (p->len % 8));
	zt_prefix_subtract(&lo, subs, n, emit, arg);
	zt_prefix_subtract(&hi, subs, n, emit, arg);
}
