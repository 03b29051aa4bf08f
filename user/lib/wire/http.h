/* SPDX-License-Identifier: GPL-2.0 */
/* http.h — an HTTP/1.x request head read from the first bytes of a TCP
 * stream, for the proxy's protocol detection: the request line and the
 * Host header, bounded, read only through the bounds-checked reader. */
#ifndef ZT_HTTP_H
#define ZT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "hostname.h"

#define ZT_HTTP_HEAD_MAX   8192 /* request line and headers, with the blank line */
#define ZT_HTTP_METHOD_MAX 16

struct zt_http_head {
	char method[ZT_HTTP_METHOD_MAX + 1];
	bool has_host;
	/* The Host header's name, lower case, without a port; empty when
	 * the header holds an address or anything else that is no name. */
	char host[ZT_HOSTNAME_MAX + 1];
	size_t consumed;  /* bytes of the head, with its blank line */
};

/* Reads the request head at the start of stream (len bytes so far):
 *   0         a whole head: *h filled;
 *   -EAGAIN   all so far may be a request's beginning: wait for more;
 *   -EBADMSG  not HTTP/1.x, or malformed (two Host headers, a bare CR or
 *             LF, a header line without a colon, ...);
 *   -EMSGSIZE no end of the head within ZT_HTTP_HEAD_MAX bytes. */
int zt_http_read_head(const __u8 *stream, size_t len, struct zt_http_head *h);

#endif
