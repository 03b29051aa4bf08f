// SPDX-License-Identifier: GPL-2.0
/* mux.c — the tunnel's frames (mux.h): the header and the two records
 * of zt's own, each value's range checked on the way in. */
#include <string.h>
#include "zt_abi.h"
#include "mux.h"

static const char *const err_names[ZT_MUX_E_MAX] = {
	[ZT_MUX_E_NONE] = "reset", [ZT_MUX_E_RESOLVE] = "resolve_failed",
	[ZT_MUX_E_REFUSED] = "refused", [ZT_MUX_E_UNREACHABLE] = "unreachable",
	[ZT_MUX_E_TIMEOUT] = "timeout", [ZT_MUX_E_FORBIDDEN] = "forbidden",
	[ZT_MUX_E_BUSY] = "busy", [ZT_MUX_E_PROTO] = "protocol", [ZT_MUX_E_GONE] = "connection_lost",
	[ZT_MUX_E_DRAIN] = "draining", [ZT_MUX_E_IDLE] = "idle",
	[ZT_MUX_E_POLICY] = "blocked", [ZT_MUX_E_NO_ROUTE] = "no_route",
	[ZT_MUX_E_NO_CONNECTOR] = "no_connector",
};

const char *zt_mux_err_name(__u32 e)
{
	return e < ZT_MUX_E_MAX ? err_names[e] : "unknown";
}

static const char *const goaway_names[ZT_MUX_GA_MAX] = {
	[ZT_MUX_GA_NORMAL] = "normal", [ZT_MUX_GA_PROTOCOL] = "protocol error",
	[ZT_MUX_GA_INTERNAL] = "internal error", [ZT_MUX_GA_AUTH] = "tunnel id or secret refused",
	[ZT_MUX_GA_VERSION] = "protocol version not spoken",
	[ZT_MUX_GA_TOKEN] = "user token refused",
};

const char *zt_mux_goaway_name(__u32 code)
{
	return code < ZT_MUX_GA_MAX ? goaway_names[code] : "unknown";
}

int zt_mux_hdr_get(struct zt_buf *b, struct zt_mux_hdr *h)
{
	size_t off = b->off;
	__u8 version;
	bool zero;

	if (zt_buf_get_u8(b, &version) || zt_buf_get_u8(b, &h->type) ||
	    zt_buf_get_u16(b, &h->flags) || zt_buf_get_u32(b, &h->stream) ||
	    zt_buf_get_u32(b, &h->len))
		goto bad;
	if (version != ZT_MUX_VERSION || h->type >= ZT_MUX_TYPE_MAX || (h->flags & ~ZT_MUX_FLAGS))
		goto bad;
	zero = h->type == ZT_MUX_PING || h->type == ZT_MUX_GOAWAY || h->type == ZT_MUX_HELLO;
	if (zero != (h->stream == 0))
		goto bad;
	if ((h->type == ZT_MUX_OPEN || h->type == ZT_MUX_HELLO) && h->len > ZT_MUX_REC_MAX)
		goto bad;
	return 0;
bad:
	b->off = off;
	return -EBADMSG;
}

void zt_mux_hdr_put(struct zt_buf *b, const struct zt_mux_hdr *h)
{
	zt_buf_put_u8(b, ZT_MUX_VERSION);
	zt_buf_put_u8(b, h->type);
	zt_buf_put_u16(b, h->flags);
	zt_buf_put_u32(b, h->stream);
	zt_buf_put_u32(b, h->len);
}

/* A u8-length-prefixed string of at most max characters, printable
 * ASCII without space (a hostname, a connector's name). */
/* OPEN: proto u8, family u8, vnet u16, port u16, address (4 or 16 bytes
 * by family; none for 0), hostname (u8 length + bytes). */
int zt_mux_open_get(struct zt_buf *b, struct zt_mux_open *o)
{
	size_t alen;

	memset(o, 0, sizeof(*o));
	if (zt_buf_get_u8(b, &o->proto) || zt_buf_get_u8(b, &o->family) ||
	    zt_buf_get_u16(b, &o->vnet) || zt_buf_get_u16(b, &o->port))
		return -EBADMSG;
	if (o->proto == 0 || o->proto >= ZT_MUX_PROTO_MAX)
		return -EBADMSG;
	if (o->family == ZT_AF_INET)
		alen = 4;
	else if (o->family == ZT_AF_INET6)
		alen = 16;
	else if (o->family == 0)
		alen = 0;
	else
		return -EBADMSG;
	if (zt_buf_get_bytes(b, o->addr, alen) || zt_buf_get_word(b, o->hostname, ZT_HOSTNAME_MAX))
		return -EBADMSG;
	/* No address needs a name to resolve; ICMP has no port, the others one. */
	if ((o->family == 0 && !o->hostname[0]) || (o->proto == ZT_MUX_ICMP) != (o->port == 0))
		return -EBADMSG;
	return zt_buf_left(b) ? -EBADMSG : 0;
}

void zt_mux_open_put(struct zt_buf *b, const struct zt_mux_open *o)
{
	zt_buf_put_u8(b, o->proto);
	zt_buf_put_u8(b, o->family);
	zt_buf_put_u16(b, o->vnet);
	zt_buf_put_u16(b, o->port);
	zt_buf_put_bytes(b, o->addr, o->family == ZT_AF_INET ? 4 : o->family == ZT_AF_INET6 ? 16 : 0);
	zt_buf_put_word(b, o->hostname, ZT_HOSTNAME_MAX);
}

/* HELLO: version u16, then for a connector (1) tunnel id (16), secret
 * (32), connection u8, of u8, name; for an access client (2) u16 length
 * and the credential. */
int zt_mux_hello_get(struct zt_buf *b, struct zt_mux_hello *h)
{
	memset(h, 0, sizeof(*h));
	if (zt_buf_get_u16(b, &h->version))
		return -EBADMSG;
	if (h->version == ZT_MUX_ACCESS) {
		if (zt_buf_get_u16(b, &h->cred_len) || !h->cred_len ||
		    h->cred_len > ZT_MUX_CRED_MAX || zt_buf_get_bytes(b, h->cred, h->cred_len))
			return -EBADMSG;
		return zt_buf_left(b) ? -EBADMSG : 0;
	}
	if (h->version != ZT_MUX_PROTO) {
		b->off = b->len; /* not read: answered GO_AWAY (version) */
		return 0;
	}
	if (zt_buf_get_bytes(b, h->tunnel, ZT_MUX_ID_LEN) ||
	    zt_buf_get_bytes(b, h->secret, ZT_MUX_SECRET_LEN) || zt_buf_get_u8(b, &h->conn) ||
	    zt_buf_get_u8(b, &h->of) || !h->of || h->of > ZT_MUX_CONNS_MAX || h->conn >= h->of ||
	    zt_buf_get_word(b, h->name, ZT_MUX_NAME_MAX))
		return -EBADMSG;
	return zt_buf_left(b) ? -EBADMSG : 0;
}

void zt_mux_hello_put(struct zt_buf *b, const struct zt_mux_hello *h)
{
	zt_buf_put_u16(b, h->version);
	if (h->version == ZT_MUX_ACCESS) {
		zt_buf_put_u16(b, h->cred_len);
		zt_buf_put_bytes(b, h->cred, h->cred_len);
		return;
	}
	zt_buf_put_bytes(b, h->tunnel, ZT_MUX_ID_LEN);
	zt_buf_put_bytes(b, h->secret, ZT_MUX_SECRET_LEN);
	zt_buf_put_u8(b, h->conn);
	zt_buf_put_u8(b, h->of);
	zt_buf_put_word(b, h->name, ZT_MUX_NAME_MAX);
}
