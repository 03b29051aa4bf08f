/* SPDX-License-Identifier: GPL-2.0 */
/* token.h — what `ztctl tunnel create` gives a connector, as one line:
 * "zt1." and base64url of a record (docs/tunnel.md, "Tokens"): the
 * tunnel's name, id and secret, the pin of the gateway's TLS key, and the
 * addresses to dial. The secret is in it: a token is a credential. */
#ifndef ZT_TOKEN_H
#define ZT_TOKEN_H

#include <linux/types.h>
#include "mux.h"

#define ZT_TOKEN_PREFIX "zt1."
#define ZT_TOKEN_ADDRS 8
#define ZT_TOKEN_PIN_LEN 32
#define ZT_TOKEN_REC_MAX (1 + 1 + ZT_MUX_NAME_MAX + ZT_MUX_ID_LEN + ZT_MUX_SECRET_LEN + \
			  ZT_TOKEN_PIN_LEN + 1 + ZT_TOKEN_ADDRS * 19)
/* The text, with its NUL. */
#define ZT_TOKEN_MAX (sizeof(ZT_TOKEN_PREFIX) + (ZT_TOKEN_REC_MAX * 4 + 2) / 3 + 1)

struct zt_token {
	char name[ZT_MUX_NAME_MAX + 1];
	__u8 id[ZT_MUX_ID_LEN];
	__u8 secret[ZT_MUX_SECRET_LEN];
	__u8 pin[ZT_TOKEN_PIN_LEN];
	__u8 n_addrs;
	struct zt_token_addr {
		__u8 family;   /* ZT_AF_INET or ZT_AF_INET6 */
		__u8 addr[16];
		__u16 port;
	} addrs[ZT_TOKEN_ADDRS];
};

/* What the two kinds of token share (utoken.h is a user's): the text, a
 * prefix and base64url of a record, white space around it allowed (the
 * record's length into *n, or -EBADMSG); the addresses to dial, u8 n
 * (1..8) and each family, address and port (not 0). */
int zt_token_text_get(const char *s, const char *prefix, __u8 *rec, size_t max, size_t *n);
void zt_token_text_put(const __u8 *rec, size_t n, const char *prefix, char *out);
void zt_token_addrs_put(struct zt_buf *b, __u8 n, const struct zt_token_addr *a);
int zt_token_addrs_get(struct zt_buf *b, __u8 *n, struct zt_token_addr *a);

/* The text of t into out (ZT_TOKEN_MAX bytes): 0 or -EINVAL. */
int zt_token_put(const struct zt_token *t, char *out, size_t outsz);
/* A token's text (surrounding white space allowed): 0, or -EBADMSG. */
int zt_token_get(const char *s, struct zt_token *t);

#endif
