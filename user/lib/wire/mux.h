/* SPDX-License-Identifier: GPL-2.0 */
/* mux.h — the tunnel's frames (docs/tunnel.md): yamux's 12-byte header
 * (version 0, type, flags, stream id, length; big-endian) with its four
 * types and four flags, and two types of zt's own: OPEN (a stream's
 * first frame, saying where it goes) and HELLO (a connector presenting
 * its tunnel's id and secret on stream 0). One get and one put per
 * record, through the bounds-checked reader: a frame that does not parse
 * ends its connection. The session that carries streams over frames is
 * user/lib/tunnel/session.h. */
#ifndef ZT_MUX_H
#define ZT_MUX_H

#include <stdbool.h>
#include <linux/types.h>
#include "buf.h"
#include "hostname.h"

#define ZT_MUX_HDR 12
#define ZT_MUX_VERSION 0
#define ZT_MUX_PROTO 1            /* HELLO's version of what follows: a connector's */
#define ZT_MUX_ACCESS 2           /* ... a user's access credential (docs/access.md) */
#define ZT_MUX_REC_MAX 512        /* an OPEN, HELLO or its answer: bytes at most */
#define ZT_MUX_ID_LEN 16          /* a tunnel's id */
#define ZT_MUX_SECRET_LEN 32      /* a tunnel's secret */
#define ZT_MUX_NAME_MAX 63        /* a connector's name for itself */

enum zt_mux_type {
	ZT_MUX_DATA = 0,   /* yamux: bytes of a stream (length: how many) */
	ZT_MUX_WINDOW = 1, /* yamux: the sender may send length bytes more */
	ZT_MUX_PING = 2,   /* yamux: stream 0; length: an opaque value echoed */
	ZT_MUX_GOAWAY = 3, /* yamux: stream 0; length: enum zt_mux_goaway */
	ZT_MUX_OPEN = 4,   /* zt: SYN, body struct zt_mux_open */
	ZT_MUX_HELLO = 5,  /* zt: stream 0; SYN + struct zt_mux_hello, ACK + answer */
	ZT_MUX_TYPE_MAX
};

enum {
	ZT_MUX_SYN = 0x1,
	ZT_MUX_ACK = 0x2,
	ZT_MUX_FIN = 0x4,
	ZT_MUX_RST = 0x8,
	ZT_MUX_FLAGS = 0xf,
};

/* Why a stream was refused or reset: a RST's length. */
enum zt_mux_err {
	ZT_MUX_E_NONE = 0,        /* reset by its user */
	ZT_MUX_E_RESOLVE = 1,     /* the hostname did not resolve */
	ZT_MUX_E_REFUSED = 2,     /* the origin refused */
	ZT_MUX_E_UNREACHABLE = 3, /* no route to the origin */
	ZT_MUX_E_TIMEOUT = 4,     /* the origin did not answer */
	ZT_MUX_E_FORBIDDEN = 5,   /* the connector's ingress rules refuse it */
	ZT_MUX_E_BUSY = 6,        /* a limit: streams, memory */
	ZT_MUX_E_PROTO = 7,       /* a protocol it does not carry */
	ZT_MUX_E_GONE = 8,        /* its connection ended (never on the wire) */
	ZT_MUX_E_DRAIN = 9,       /* the connector is draining */
	ZT_MUX_E_IDLE = 10,       /* a datagram flow with nothing either way for its idle time */
	/* zt: the gateway refusing an access client's stream */
	ZT_MUX_E_POLICY = 11,     /* the policy blocks it */
	ZT_MUX_E_NO_ROUTE = 12,   /* no route of a remote tunnel covers it */
	ZT_MUX_E_NO_CONNECTOR = 13, /* its tunnel's connector is not connected */
	ZT_MUX_E_MAX
};
const char *zt_mux_err_name(__u32 e);

/* GO_AWAY's length: yamux's three, and zt's. */
enum zt_mux_goaway {
	ZT_MUX_GA_NORMAL = 0,
	ZT_MUX_GA_PROTOCOL = 1,
	ZT_MUX_GA_INTERNAL = 2,
	ZT_MUX_GA_AUTH = 3,       /* zt: the tunnel's id or secret is wrong */
	ZT_MUX_GA_VERSION = 4,    /* zt: HELLO's version is not spoken */
	ZT_MUX_GA_TOKEN = 5,      /* zt: the user's access token is refused */
	ZT_MUX_GA_MAX
};
const char *zt_mux_goaway_name(__u32 code);

struct zt_mux_hdr {
	__u8 type;
	__u16 flags;
	__u32 stream;
	__u32 len;
};

/* A header: -EBADMSG when fewer than 12 bytes, another version, an
 * unknown type or flag, a type on the wrong stream (PING, GO_AWAY and
 * HELLO on 0, the others never), or a record's length past
 * ZT_MUX_REC_MAX. A DATA frame's length is the session's to bound. */
int zt_mux_hdr_get(struct zt_buf *b, struct zt_mux_hdr *h);
void zt_mux_hdr_put(struct zt_buf *b, const struct zt_mux_hdr *h);

enum zt_mux_proto { ZT_MUX_TCP = 1, ZT_MUX_UDP = 2, ZT_MUX_ICMP = 3, ZT_MUX_PROTO_MAX };

/* Where a stream goes: its vnet, the destination (an address, or for an
 * IRI its hostname too, which the connector resolves), the protocol. */
struct zt_mux_open {
	__u8 proto;     /* enum zt_mux_proto */
	__u8 family;    /* ZT_AF_INET or ZT_AF_INET6; 0 with a hostname: either */
	__u16 vnet;
	__u16 port;     /* 0 for ICMP */
	__u8 addr[16];  /* IPv4 in the first 4 */
	char hostname[ZT_HOSTNAME_MAX + 1]; /* "" for an address */
};
int zt_mux_open_get(struct zt_buf *b, struct zt_mux_open *o);
void zt_mux_open_put(struct zt_buf *b, const struct zt_mux_open *o);

/* A connector's (or an access client's) first frame on each connection.
 * Another version's record is taken whole and not read (the gateway
 * answers GO_AWAY ZT_MUX_GA_VERSION). */
#define ZT_MUX_CONNS_MAX 16
#define ZT_MUX_CRED_MAX (ZT_MUX_REC_MAX - 4)
struct zt_mux_hello {
	__u16 version;                  /* ZT_MUX_PROTO */
	__u8 tunnel[ZT_MUX_ID_LEN];
	__u8 secret[ZT_MUX_SECRET_LEN];
	__u8 conn;                      /* which of its connections (0..of-1) */
	__u8 of;                        /* how many it keeps (1..16) */
	char name[ZT_MUX_NAME_MAX + 1]; /* the connector's host, for the operator */
	/* version ZT_MUX_ACCESS: none of the above, but a user's signed
	 * credential (utoken.h), checked by the gateway */
	__u16 cred_len;
	__u8 cred[ZT_MUX_CRED_MAX];
};
int zt_mux_hello_get(struct zt_buf *b, struct zt_mux_hello *h);
void zt_mux_hello_put(struct zt_buf *b, const struct zt_mux_hello *h);

#endif
