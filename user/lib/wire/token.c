// SPDX-License-Identifier: GPL-2.0
/* token.c — see token.h. Record: u8 version (1), u8 name length + name,
 * id (16), secret (32), pin (32), u8 n (1..8), n x { u8 family, address
 * (4 or 16), u16 port (not 0) }. */
#include <ctype.h>
#include <string.h>
#include "b64.h"
#include "token.h"
#include "zt_abi.h"

int zt_token_put(const struct zt_token *t, char *out, size_t outsz)
{
	__u8 rec[ZT_TOKEN_REC_MAX];
	size_t nl = strnlen(t->name, ZT_MUX_NAME_MAX), i;
	struct zt_buf b;

	if (!t->n_addrs || t->n_addrs > ZT_TOKEN_ADDRS || outsz < ZT_TOKEN_MAX)
		return -EINVAL;
	zt_buf_init(&b, rec, sizeof(rec));
	zt_buf_put_u8(&b, 1);
	zt_buf_put_u8(&b, (__u8)nl);
	zt_buf_put_bytes(&b, t->name, nl);
	zt_buf_put_bytes(&b, t->id, sizeof(t->id));
	zt_buf_put_bytes(&b, t->secret, sizeof(t->secret));
	zt_buf_put_bytes(&b, t->pin, sizeof(t->pin));
	zt_buf_put_u8(&b, t->n_addrs);
	for (i = 0; i < t->n_addrs; i++) {
		zt_buf_put_u8(&b, t->addrs[i].family);
		zt_buf_put_bytes(&b, t->addrs[i].addr, t->addrs[i].family == ZT_AF_INET ? 4 : 16);
		zt_buf_put_u16(&b, t->addrs[i].port);
	}
	if (b.err)
		return -EINVAL;
	strcpy(out, ZT_TOKEN_PREFIX);
	zt_b64_encode(rec, b.off, out + strlen(ZT_TOKEN_PREFIX));
	return 0;
}

int zt_token_get(const char *s, struct zt_token *t)
{
	__u8 rec[ZT_TOKEN_REC_MAX], nl;
	size_t len, i;
	struct zt_buf b;
	__u8 version;
	long n;

	memset(t, 0, sizeof(*t));
	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (len < strlen(ZT_TOKEN_PREFIX) || strncmp(s, ZT_TOKEN_PREFIX, strlen(ZT_TOKEN_PREFIX)))
		return -EBADMSG;
	s += strlen(ZT_TOKEN_PREFIX);
	len -= strlen(ZT_TOKEN_PREFIX);
	n = zt_b64_decode(s, len, rec, sizeof(rec));
	if (n < 0)
		return -EBADMSG;
	zt_buf_init(&b, rec, (size_t)n);
	if (zt_buf_get_u8(&b, &version) || version != 1 || zt_buf_get_u8(&b, &nl) ||
	    nl > ZT_MUX_NAME_MAX || zt_buf_get_bytes(&b, t->name, nl) ||
	    zt_buf_get_bytes(&b, t->id, sizeof(t->id)) ||
	    zt_buf_get_bytes(&b, t->secret, sizeof(t->secret)) ||
	    zt_buf_get_bytes(&b, t->pin, sizeof(t->pin)) || zt_buf_get_u8(&b, &t->n_addrs) ||
	    !t->n_addrs || t->n_addrs > ZT_TOKEN_ADDRS)
		return -EBADMSG;
	for (i = 0; i < nl; i++)
		if (t->name[i] <= 0x20 || t->name[i] >= 0x7f)
			return -EBADMSG;
	for (i = 0; i < t->n_addrs; i++) {
		struct zt_token_addr *a = &t->addrs[i];

		if (zt_buf_get_u8(&b, &a->family) ||
		    (a->family != ZT_AF_INET && a->family != ZT_AF_INET6) ||
		    zt_buf_get_bytes(&b, a->addr, a->family == ZT_AF_INET ? 4 : 16) ||
		    zt_buf_get_u16(&b, &a->port) || !a->port)
			return -EBADMSG;
	}
	return zt_buf_left(&b) ? -EBADMSG : 0;
}
