/* SPDX-License-Identifier: GPL-2.0 */
/* pkt.h — packet fixtures: Ethernet (+ VLAN), IPv4 (+ options, fragments),
 * IPv6 (+ extension headers, fragments), TCP, UDP, ICMP(v6). */
#ifndef ZT_PKT_H
#define ZT_PKT_H

#include <stddef.h>
#include <linux/types.h>

struct pkt_spec {
	int    vlan;       /* VLAN tags in front of the IP header: 0, 1 or 2 */
	int    l3;         /* no Ethernet header */
	const char *src, *dst;
	__u8   proto;      /* IPPROTO_* */
	__u16  sport, dport;
	__u8   tcp_flags;  /* TCP: 0 is a SYN */
	__u8   icmp_type;
	__u16  icmp_id;
	int    ip_opts;    /* IPv4 option bytes (multiple of 4, <= 40) */
	int    ext_hdrs;   /* IPv6: destination-options headers before L4 */
	int    frag;       /* 0 none, 1 first (more fragments), 2 later */
	__u32  frag_id;
	int    payload;    /* payload bytes after the L4 header */
};

/* Returns the length written, or 0 if it does not fit. Also sets *l3_off
 * and *l4_off (may be NULL) so tests can damage headers. */
size_t pkt_build(const struct pkt_spec *s, __u8 *buf, size_t cap, size_t *l3_off,
		 size_t *l4_off);

#endif
