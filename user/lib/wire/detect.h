/* SPDX-License-Identifier: GPL-2.0 */
/* detect.h — what a TCP stream is, from its first bytes: TLS (a
 * ClientHello: SNI, ALPN, ECH), HTTP/1.x (Host), SSH (the client's
 * identification line), or unknown. Pure: the proxy feeds it the bytes
 * it has peeked and decides `unknown` itself when the client sends
 * nothing in time (a server-first protocol). */
#ifndef ZT_DETECT_H
#define ZT_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "http.h"
#include "ssh_banner.h"
#include "tls.h"

/* Bytes a detection may need at most: a ClientHello of ZT_TLS_HELLO_MAX
 * in records of one byte each costs 6 bytes per byte; past this the
 * stream is `unknown` (too big). */
#define ZT_DETECT_MAX (ZT_TLS_HELLO_MAX + 4 + 5 * 64)

/* Values of the detected_protocol selector and the logs' names. */
enum zt_proto {
	ZT_PROTO_UNKNOWN = 0,
	ZT_PROTO_TLS     = 1,
	ZT_PROTO_HTTP    = 2,
	ZT_PROTO_SSH     = 3,
	ZT_PROTO_MAX
};

const char *zt_l7_proto_name(enum zt_proto p);
/* "tls" -> ZT_PROTO_TLS ...; -1 for none. */
int zt_l7_proto_parse(const char *s);

enum zt_detect_why {
	ZT_DETECT_OK = 0,     /* recognised and read whole */
	ZT_DETECT_OTHER,      /* none of the three: unknown */
	ZT_DETECT_MALFORMED,  /* started as one of them, then broken: unknown */
	ZT_DETECT_TOO_BIG,    /* past its bound: unknown */
};

struct zt_detected {
	enum zt_proto proto;
	enum zt_detect_why why;
	/* The name the client asked for: TLS SNI or HTTP Host (lower case;
	 * empty when none). */
	char name[ZT_HOSTNAME_MAX + 1];
	char alpn[ZT_TLS_ALPN_MAX + 1];
	bool ech;                          /* TLS: name is the outer SNI */
	char ssh_software[ZT_SSH_BANNER_MAX + 1];
};

/* 0: decided, *d filled; -EAGAIN: the bytes so far (len) are the start
 * of one of the three, read again with more. Never another error: what
 * is not recognised is decided `unknown` with its why. */
int zt_detect(const __u8 *stream, size_t len, struct zt_detected *d);

#endif
