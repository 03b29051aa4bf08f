// SPDX-License-Identifier: GPL-2.0
/* detect.c — see detect.h. The first byte chooses the reader (a TLS
 * record of type handshake is 0x16, an SSH line starts "SSH-", an HTTP
 * request with an upper-case method); each reader says whether it needs
 * more, and anything it refuses is `unknown`. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "detect.h"

static const char *const names[ZT_PROTO_MAX] = { "unknown", "tls", "http", "ssh" };

const char *zt_l7_proto_name(enum zt_proto p)
{
	return (unsigned)p < ZT_PROTO_MAX ? names[p] : "unknown";
}

int zt_l7_proto_parse(const char *s)
{
	int i;

	for (i = 0; i < ZT_PROTO_MAX; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

static int verdict(struct zt_detected *d, enum zt_proto p, int err)
{
	d->proto = err ? ZT_PROTO_UNKNOWN : p;
	d->why = !err ? ZT_DETECT_OK : err == -EMSGSIZE ? ZT_DETECT_TOO_BIG : ZT_DETECT_MALFORMED;
	if (err)
		d->name[0] = d->alpn[0] = d->ssh_software[0] = 0;
	return 0;
}

int zt_detect(const __u8 *stream, size_t len, struct zt_detected *d)
{
	int err;

	memset(d, 0, sizeof(*d));
	if (!len)
		return -EAGAIN;
	if (stream[0] == 0x16) {
		struct zt_tls_hello h;

		err = zt_tls_read_hello(stream, len, &h);
		if (err == -EAGAIN)
			return len >= ZT_DETECT_MAX ? verdict(d, ZT_PROTO_TLS, -EMSGSIZE) : err;
		if (!err) {
			snprintf(d->name, sizeof(d->name), "%s", h.sni);
			snprintf(d->alpn, sizeof(d->alpn), "%s", h.alpn);
			d->ech = h.ech;
		}
		return verdict(d, ZT_PROTO_TLS, err);
	}
	if (!memcmp(stream, "SSH-", len < 4 ? len : 4)) {
		struct zt_ssh_banner s;

		err = zt_ssh_read_banner(stream, len, &s);
		if (err == -EAGAIN)
			return err;
		if (!err)
			snprintf(d->ssh_software, sizeof(d->ssh_software), "%s", s.software);
		return verdict(d, ZT_PROTO_SSH, err);
	}
	if (isupper(stream[0])) {
		struct zt_http_head h;

		err = zt_http_read_head(stream, len, &h);
		if (err == -EAGAIN)
			return err;
		if (!err)
			snprintf(d->name, sizeof(d->name), "%s", h.host);
		if (!err || h.method[0]) /* a request line began: HTTP, broken */
			return verdict(d, ZT_PROTO_HTTP, err);
	}
	d->proto = ZT_PROTO_UNKNOWN;
	d->why = ZT_DETECT_OTHER;
	return 0;
}
