// SPDX-License-Identifier: GPL-2.0
/* utoken.c — see utoken.h. Credential: u8 version (1), id (16), u64
 * issued, u64 expires, email, vnet, groups (each u8 length + printable
 * ASCII without spaces), signature (64). Token record: the credential,
 * pin (32), u8 n (1..8), n x { u8 family, address (4 or 16), u16 port }. */
#include <string.h>
#include "utoken.h"
#include "zt_abi.h"

static int get_name(struct zt_buf *b, char *out, size_t max, bool empty_ok)
{
	return zt_buf_get_word(b, out, max) || (!out[0] && !empty_ok) ? -EBADMSG : 0;
}

void zt_utoken_cred_put(struct zt_buf *b, const struct zt_utoken *t, bool sig)
{
	zt_buf_put_u8(b, 1);
	zt_buf_put_bytes(b, t->id, sizeof(t->id));
	zt_buf_put_u64(b, t->issued);
	zt_buf_put_u64(b, t->expires);
	zt_buf_put_word(b, t->email, ZT_UTOKEN_EMAIL_MAX);
	zt_buf_put_word(b, t->vnet, ZT_UTOKEN_VNET_MAX);
	zt_buf_put_word(b, t->groups, ZT_UTOKEN_GROUPS_MAX);
	if (sig)
		zt_buf_put_bytes(b, t->sig, sizeof(t->sig));
}

static int cred_get(struct zt_buf *b, struct zt_utoken *t)
{
	__u8 version;

	if (zt_buf_get_u8(b, &version) || version != 1 ||
	    zt_buf_get_bytes(b, t->id, sizeof(t->id)) || zt_buf_get_u64(b, &t->issued) ||
	    zt_buf_get_u64(b, &t->expires) || t->expires <= t->issued ||
	    get_name(b, t->email, ZT_UTOKEN_EMAIL_MAX, false) ||
	    get_name(b, t->vnet, ZT_UTOKEN_VNET_MAX, true) ||
	    get_name(b, t->groups, ZT_UTOKEN_GROUPS_MAX, true) ||
	    zt_buf_get_bytes(b, t->sig, sizeof(t->sig)))
		return -EBADMSG;
	return 0;
}

int zt_utoken_cred_get(struct zt_buf *b, struct zt_utoken *t)
{
	memset(t, 0, sizeof(*t));
	if (cred_get(b, t))
		return -EBADMSG;
	return zt_buf_left(b) ? -EBADMSG : 0;
}

int zt_utoken_put(const struct zt_utoken *t, char *out, size_t outsz)
{
	__u8 rec[ZT_UTOKEN_REC_MAX];
	struct zt_buf b;

	if (!t->n_addrs || t->n_addrs > ZT_TOKEN_ADDRS || outsz < ZT_UTOKEN_MAX)
		return -EINVAL;
	zt_buf_init(&b, rec, sizeof(rec));
	zt_utoken_cred_put(&b, t, true);
	zt_buf_put_bytes(&b, t->pin, sizeof(t->pin));
	zt_token_addrs_put(&b, t->n_addrs, t->addrs);
	if (b.err)
		return -EINVAL;
	zt_token_text_put(rec, b.off, ZT_UTOKEN_PREFIX, out);
	return 0;
}

int zt_utoken_get(const char *s, struct zt_utoken *t)
{
	__u8 rec[ZT_UTOKEN_REC_MAX];
	struct zt_buf b;
	size_t n;

	memset(t, 0, sizeof(*t));
	if (zt_token_text_get(s, ZT_UTOKEN_PREFIX, rec, sizeof(rec), &n))
		return -EBADMSG;
	zt_buf_init(&b, rec, n);
	if (cred_get(&b, t) || zt_buf_get_bytes(&b, t->pin, sizeof(t->pin)) ||
	    zt_token_addrs_get(&b, &t->n_addrs, t->addrs))
		return -EBADMSG;
	return zt_buf_left(&b) ? -EBADMSG : 0;
}

void zt_utoken_id_str(const __u8 *id, char *out)
{
	static const char h[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < ZT_UTOKEN_ID_LEN; i++) {
		out[2 * i] = h[id[i] >> 4];
		out[2 * i + 1] = h[id[i] & 15];
	}
	out[2 * ZT_UTOKEN_ID_LEN] = 0;
}
