// SPDX-License-Identifier: GPL-2.0
/* pkt.c — see pkt.h. The IPv4 header checksum is right (the kernel checks
 * it when a fixture is injected into a real device); L4 checksums are left
 * zero, which the classifier never reads and UDP over IPv4 allows. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include "pkt.h"

static void put16(__u8 *p, __u16 v) { p[0] = v >> 8; p[1] = v & 0xff; }
static void put32(__u8 *p, __u32 v) { put16(p, v >> 16); put16(p + 2, v & 0xffff); }

static __u16 ip_csum(const __u8 *p, size_t len)
{
	__u32 sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (__u32)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

size_t pkt_build(const struct pkt_spec *s, __u8 *buf, size_t cap, size_t *l3_off,
		 size_t *l4_off)
{
	__u8 a4[4], a6[16];
	bool v6 = strchr(s->dst, ':') != NULL;
	size_t off = 0, l3, l4, l4len, iplen;
	int i;

	memset(buf, 0, cap);
	if (!s->l3) {
		if (cap < 14 + 8)
			return 0;
		memcpy(buf, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
		off = 12;
		for (i = 0; i < s->vlan; i++) {
			put16(buf + off, 0x8100);
			put16(buf + off + 2, (__u16)(100 + i));
			off += 4;
		}
		put16(buf + off, v6 ? 0x86dd : 0x0800);
		off += 2;
	}
	l3 = off;
	switch (s->proto) {
	case IPPROTO_TCP:  l4len = 20; break;
	case IPPROTO_UDP:  l4len = 8; break;
	default:           l4len = 8; break; /* ICMP and others */
	}
	if (s->frag == 2)
		l4len = 0; /* a later fragment carries no L4 header */
	if (!v6) {
		size_t hl = 20 + (size_t)s->ip_opts;

		iplen = hl + l4len + (size_t)s->payload;
		if (off + iplen > cap)
			return 0;
		buf[off] = (__u8)(0x40 | (hl / 4));
		put16(buf + off + 2, (__u16)iplen);
		put16(buf + off + 4, (__u16)s->frag_id);
		if (s->frag == 1)
			put16(buf + off + 6, 0x2000);
		else if (s->frag == 2)
			put16(buf + off + 6, 185); /* offset 1480 bytes */
		buf[off + 8] = 64;
		buf[off + 9] = s->proto;
		inet_pton(AF_INET, s->src, a4);
		memcpy(buf + off + 12, a4, 4);
		inet_pton(AF_INET, s->dst, a4);
		memcpy(buf + off + 16, a4, 4);
		for (i = 0; i < s->ip_opts; i++)
			buf[off + 20 + i] = 1; /* NOP options */
		put16(buf + off + 10, ip_csum(buf + off, hl));
		off += hl;
	} else {
		size_t ext = (size_t)s->ext_hdrs * 8 + (s->frag ? 8 : 0);
		__u8 *nh;

		iplen = 40 + ext + l4len + (size_t)s->payload;
		if (off + iplen > cap)
			return 0;
		buf[off] = 0x60;
		put16(buf + off + 4, (__u16)(iplen - 40));
		buf[off + 7] = 64;
		inet_pton(AF_INET6, s->src, a6);
		memcpy(buf + off + 8, a6, 16);
		inet_pton(AF_INET6, s->dst, a6);
		memcpy(buf + off + 24, a6, 16);
		nh = buf + off + 6;
		off += 40;
		for (i = 0; i < s->ext_hdrs; i++) {
			*nh = IPPROTO_DSTOPTS;
			nh = buf + off;
			buf[off + 1] = 0; /* 8 bytes */
			buf[off + 2] = 1; /* PadN */
			buf[off + 3] = 4;
			off += 8;
		}
		if (s->frag) {
			*nh = IPPROTO_FRAGMENT;
			nh = buf + off;
			put16(buf + off + 2, s->frag == 1 ? 1 : (1480 | 0));
			put32(buf + off + 4, s->frag_id);
			off += 8;
		}
		*nh = s->proto;
	}
	l4 = off;
	if (l4len) {
		if (s->proto == IPPROTO_TCP || s->proto == IPPROTO_UDP) {
			put16(buf + off, s->sport);
			put16(buf + off + 2, s->dport);
			if (s->proto == IPPROTO_TCP) {
				buf[off + 12] = 0x50;
				buf[off + 13] = s->tcp_flags ? s->tcp_flags : 0x02;
			} else {
				put16(buf + off + 4, (__u16)(8 + s->payload));
			}
		} else {
			buf[off] = s->icmp_type;
			put16(buf + off + 4, s->icmp_id);
		}
	}
	off += l4len + (size_t)s->payload;
	if (l3_off)
		*l3_off = l3;
	if (l4_off)
		*l4_off = l4;
	return off;
}
