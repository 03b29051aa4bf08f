// SPDX-License-Identifier: GPL-2.0
/* tls.c — see tls.h. RFC 8446 (records, ClientHello), RFC 6066 (SNI),
 * RFC 7301 (ALPN), draft-ietf-tls-esni (ECH's extension type). */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include "buf.h"
#include "tls.h"

#define REC_HANDSHAKE 22
#define HS_CLIENT_HELLO 1

/* A host_name as a DNS name: 1..253 bytes of letters, digits, '-' and
 * '_' in labels of 1..63, no trailing dot (RFC 6066); lower-cased into out.
 * Anything else is not a name a policy can match. */
static int host_name(struct zt_buf *n, char *out)
{
	size_t i, label = 0;

	if (!n->len || n->len > ZT_TLS_NAME_MAX)
		return -EBADMSG;
	for (i = 0; i < n->len; i++) {
		__u8 c = n->p[i];

		if (c == '.') {
			if (!label || i + 1 == n->len)
				return -EBADMSG;
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				return -EBADMSG;
		} else {
			return -EBADMSG;
		}
		out[i] = (char)tolower(c);
	}
	out[i] = 0;
	return 0;
}

/* server_name: a list with at most one host_name (other name types are
 * passed over); a second host_name is malformed, since a middlebox and a
 * server could each take another. */
static int ext_sni(struct zt_buf *e, struct zt_tls_hello *h)
{
	struct zt_buf list, name;
	__u8 type;

	if (zt_buf_get_vec(e, 2, &list) || zt_buf_left(e) || !list.len)
		return -EBADMSG;
	while (zt_buf_left(&list)) {
		if (zt_buf_get_u8(&list, &type) || zt_buf_get_vec(&list, 2, &name))
			return -EBADMSG;
		if (type)
			continue;
		if (h->has_sni || host_name(&name, h->sni))
			return -EBADMSG;
		h->has_sni = true;
	}
	return h->has_sni ? 0 : -EBADMSG;
}

/* application_layer_protocol_negotiation: the names, comma-separated, as
 * many whole printable ones as fit (the rest are still read). */
static int ext_alpn(struct zt_buf *e, struct zt_tls_hello *h)
{
	struct zt_buf list, name;
	size_t used = 0, i;
	bool printable;

	if (zt_buf_get_vec(e, 2, &list) || zt_buf_left(e) || !list.len)
		return -EBADMSG;
	while (zt_buf_left(&list)) {
		if (zt_buf_get_vec(&list, 1, &name) || !name.len)
			return -EBADMSG;
		for (printable = true, i = 0; i < name.len; i++)
			printable &= name.p[i] > 0x20 && name.p[i] < 0x7f && name.p[i] != ',';
		if (!printable || used + !!used + name.len > ZT_TLS_ALPN_MAX)
			continue;
		if (used)
			h->alpn[used++] = ',';
		memcpy(h->alpn + used, name.p, name.len);
		used += name.len;
		h->alpn[used] = 0;
	}
	return 0;
}

/* The ClientHello body: version, random, session id, cipher suites,
 * compression methods, then extensions (absent in very old clients). */
static int hello_body(struct zt_buf *m, struct zt_tls_hello *h)
{
	struct zt_buf v, exts, e;
	bool seen_sni = false, seen_alpn = false;
	__u16 type;
	int err;

	if (zt_buf_get_u16(m, &h->version) || zt_buf_get_bytes(m, NULL, 32) ||
	    zt_buf_get_vec(m, 1, &v) || v.len > 32 ||
	    zt_buf_get_vec(m, 2, &v) || v.len < 2 || v.len % 2 ||
	    zt_buf_get_vec(m, 1, &v) || !v.len)
		return -EBADMSG;
	if (!zt_buf_left(m))
		return 0;
	if (zt_buf_get_vec(m, 2, &exts) || zt_buf_left(m))
		return -EBADMSG;
	while (zt_buf_left(&exts)) {
		if (zt_buf_get_u16(&exts, &type) || zt_buf_get_vec(&exts, 2, &e))
			return -EBADMSG;
		err = 0;
		if (type == ZT_TLS_EXT_SNI) {
			err = seen_sni ? -EBADMSG : ext_sni(&e, h);
			seen_sni = true;
		} else if (type == ZT_TLS_EXT_ALPN) {
			err = seen_alpn ? -EBADMSG : ext_alpn(&e, h);
			seen_alpn = true;
		} else if (type == ZT_TLS_EXT_ECH) {
			h->ech = true;
		}
		if (err)
			return err;
	}
	return 0;
}

/* The handshake header in msg[0..4): a ClientHello's, of a body this
 * reader takes; *need, the message's whole length. */
static int hello_header(const __u8 *msg, size_t *need)
{
	__u32 body = (__u32)msg[1] << 16 | (__u32)msg[2] << 8 | msg[3];

	if (msg[0] != HS_CLIENT_HELLO)
		return -EBADMSG;
	if (body > ZT_TLS_HELLO_MAX)
		return -EMSGSIZE;
	*need = 4 + body;
	return 0;
}

int zt_tls_read_hello(const __u8 *stream, size_t len, struct zt_tls_hello *h)
{
	__u8 msg[4 + ZT_TLS_HELLO_MAX];
	size_t have = 0, need = 4, n;
	struct zt_buf b, rec, m;
	__u8 type;
	__u16 ver, rlen;
	int err;

	memset(h, 0, sizeof(*h));
	zt_buf_init(&b, (void *)stream, len);
	while (have < need) {
		/* What a record header there is so far must be a handshake
		 * record's, or this is not TLS at all. */
		if (zt_buf_left(&b) >= 1 && b.p[b.off] != REC_HANDSHAKE)
			return -EBADMSG;
		if (zt_buf_left(&b) >= 2 && b.p[b.off + 1] != 3)
			return -EBADMSG;
		if (zt_buf_left(&b) < 5)
			return -EAGAIN;
		zt_buf_get_u8(&b, &type);
		zt_buf_get_u16(&b, &ver);
		zt_buf_get_u16(&b, &rlen);
		b.off -= 2;
		if (!rlen || rlen > ZT_TLS_RECORD_MAX)
			return -EBADMSG;
		if (zt_buf_get_vec(&b, 2, &rec)) {
			/* Not all of the record yet; what there is may
			 * already say this is no hello, or too large. */
			rec.p = b.p + b.off + 2;
			rec.len = zt_buf_left(&b) - 2;
			if (have < 4) {
				n = rec.len < 4 - have ? rec.len : 4 - have;
				memcpy(msg + have, rec.p, n);
				if (have + n == 4 && (err = hello_header(msg, &need)))
					return err;
			}
			return -EAGAIN;
		}
		if (have + rec.len > sizeof(msg))
			return -EMSGSIZE;
		memcpy(msg + have, rec.p, rec.len);
		if (have < 4 && have + rec.len >= 4 && (err = hello_header(msg, &need)))
			return err;
		have += rec.len;
		/* Nothing follows a ClientHello in the client's first
		 * handshake records. */
		if (have > need)
			return -EBADMSG;
	}
	h->consumed = b.off;
	zt_buf_init(&m, msg + 4, need - 4);
	return hello_body(&m, h);
}
