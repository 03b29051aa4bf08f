// SPDX-License-Identifier: GPL-2.0
/* token.c — see token.h. Record: u8 version (1), u8 name length + name,
 * id (16), secret (32), pin (32), u8 n (1..8), n x { u8 family, address
 * (4 or 16), u16 port (not 0) }. */
#include <ctype.h>
#include <string.h>
#include "b64.h"
#include "token.h"
#include "zt_abi.h"

int zt_token_text_get(const char *s, const char *prefix, __u8 *rec, size_t max, size_t *n)
{
	size_t len, pl = strlen(prefix);
	long r;

	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (len < pl || strncmp(s, prefix, pl))
		return -EBADMSG;
	r = zt_b64_decode(s + pl, len - pl, rec, max);
	if (r < 0)
		return -EBADMSG;
	*n = (size_t)r;
	return 0;
}

void zt_token_text_put(const __u8 *rec, size_t n, const char *prefix, char *out)
{
	strcpy(out, prefix);
	zt_b64_encode(rec, n, out + strlen(prefix));
}

void zt_token_addrs_put(struct zt_buf *b, __u8 n, const struct zt_token_addr *a)
{
	size_t i;

	zt_buf_put_u8(b, n);
	for (i = 0; i < n; i++) {
		zt_buf_put_u8(b, a[i].family);
		zt_buf_put_bytes(b, a[i].addr, a[i].family == ZT_AF_INET ? 4 : 16);
		zt_buf_put_u16(b, a[i].port);
	}
}

int zt_token_addrs_get(struct zt_buf *b, __u8 *n, struct zt_token_addr *a)
{
	size_t i;

	if (zt_buf_get_u8(b, n) || !*n || *n > ZT_TOKEN_ADDRS)
		return -EBADMSG;
	for (i = 0; i < *n; i++)
		if (zt_buf_get_u8(b, &a[i].family) ||
		    (a[i].family != ZT_AF_INET && a[i].family != ZT_AF_INET6) ||
		    zt_buf_get_bytes(b, a[i].addr, a[i].family == ZT_AF_INET ? 4 : 16) ||
		    zt_buf_get_u16(b, &a[i].port) || !a[i].port)
			return -EBADMSG;
	return 0;
}

int zt_token_put(const struct zt_token *t, char *out, size_t outsz)
{
	__u8 rec[ZT_TOKEN_REC_MAX];
	size_t nl = strnlen(t->name, ZT_MUX_NAME_MAX);
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
	zt_token_addrs_put(&b, t->n_addrs, t->addrs);
	if (b.err)
		return -EINVAL;
	zt_token_text_put(rec, b.off, ZT_TOKEN_PREFIX, out);
	return 0;
}

int zt_token_get(const char *s, struct zt_token *t)
{
	__u8 rec[ZT_TOKEN_REC_MAX], nl;
	struct zt_buf b;
	__u8 version;
	size_t n, i;

	memset(t, 0, sizeof(*t));
	if (zt_token_text_get(s, ZT_TOKEN_PREFIX, rec, sizeof(rec), &n))
		return -EBADMSG;
	zt_buf_init(&b, rec, n);
	if (zt_buf_get_u8(&b, &version) || version != 1 || zt_buf_get_u8(&b, &nl) ||
	    nl > ZT_MUX_NAME_MAX || zt_buf_get_bytes(&b, t->name, nl) ||
	    zt_buf_get_bytes(&b, t->id, sizeof(t->id)) ||
	    zt_buf_get_bytes(&b, t->secret, sizeof(t->secret)) ||
	    zt_buf_get_bytes(&b, t->pin, sizeof(t->pin)) ||
	    zt_token_addrs_get(&b, &t->n_addrs, t->addrs))
		return -EBADMSG;
	for (i = 0; i < nl; i++)
		if (t->name[i] <= 0x20 || t->name[i] >= 0x7f)
			return -EBADMSG;
	return zt_buf_left(&b) ? -EBADMSG : 0;
}
