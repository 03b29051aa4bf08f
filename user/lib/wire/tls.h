/* SPDX-License-Identifier: GPL-2.0 */
/* tls.h — a TLS ClientHello read from the first bytes of a TCP stream, for
 * the proxy's protocol detection (issue 15): reassembled across TLS
 * records (a client may cut its handshake into records of any size, which
 * is a common way around middleboxes), bounded, and read only through the
 * bounds-checked reader. What it gives: the SNI (host_name), the ALPN
 * protocols, and whether the hello carries Encrypted Client Hello (then
 * the SNI is the outer, public one). */
#ifndef ZT_TLS_H
#define ZT_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* The largest ClientHello (handshake message body) it reassembles:
 * post-quantum key shares make hellos of 1.5-2 KB, padding more. */
#define ZT_TLS_HELLO_MAX  16384
#define ZT_TLS_RECORD_MAX 16384 /* a TLSPlaintext record's length, at most (RFC 8446) */

#define ZT_TLS_NAME_MAX 253            /* a DNS name in text */
#define ZT_TLS_ALPN_MAX 128            /* ALPN protocols, comma-separated */

#define ZT_TLS_EXT_SNI  0x0000
#define ZT_TLS_EXT_ALPN 0x0010
#define ZT_TLS_EXT_ECH  0xfe0d

struct zt_tls_hello {
	__u16 version;                    /* legacy_version */
	bool has_sni;
	char sni[ZT_TLS_NAME_MAX + 1];    /* lower case */
	char alpn[ZT_TLS_ALPN_MAX + 1];   /* "h2,http/1.1"; cut at a whole name */
	bool ech;                         /* encrypted_client_hello present */
	size_t consumed;                  /* stream bytes the records took */
};

/* Reads the ClientHello at the start of stream (len bytes so far):
 *   0        a whole one: *h filled;
 *   -EAGAIN  all so far is a ClientHello's beginning: wait for more;
 *   -EBADMSG not TLS, not a ClientHello, or malformed (decided `unknown`);
 *   -EMSGSIZE a hello larger than ZT_TLS_HELLO_MAX. */
int zt_tls_read_hello(const __u8 *stream, size_t len, struct zt_tls_hello *h);

#endif
