/* SPDX-License-Identifier: GPL-2.0 */
/* utoken.h — a user's access token (`ztctl user token`, docs/access.md):
 * who the user is to the policy (email, groups, virtual network), when
 * the token was issued and when it expires, an id to revoke it by, and
 * ztd's Ed25519 signature over all of that (the credential, which an
 * access client presents in HELLO); then, for the client only, the pin
 * of the gateway's TLS key and the addresses to dial. As text: "ztu1."
 * and base64url. Pure: the signature is made and checked elsewhere (the
 * gateway's key never leaves ztd). */
#ifndef ZT_UTOKEN_H
#define ZT_UTOKEN_H

#include <linux/types.h>
#include "buf.h"
#include "token.h"

#define ZT_UTOKEN_PREFIX "ztu1."
#define ZT_UTOKEN_ID_LEN 16
#define ZT_UTOKEN_EMAIL_MAX 128
#define ZT_UTOKEN_VNET_MAX 63
#define ZT_UTOKEN_GROUPS_MAX 200  /* the groups' names, comma-separated */
#define ZT_UTOKEN_SIG_LEN 64
/* The credential: version, id, issued, expires, three names, signature. */
#define ZT_UTOKEN_CRED_MAX (1 + ZT_UTOKEN_ID_LEN + 8 + 8 + 1 + ZT_UTOKEN_EMAIL_MAX + 1 + \
			    ZT_UTOKEN_VNET_MAX + 1 + ZT_UTOKEN_GROUPS_MAX + ZT_UTOKEN_SIG_LEN)
#define ZT_UTOKEN_REC_MAX (ZT_UTOKEN_CRED_MAX + ZT_TOKEN_PIN_LEN + 1 + ZT_TOKEN_ADDRS * 19)
/* The text, with its NUL. */
#define ZT_UTOKEN_MAX (sizeof(ZT_UTOKEN_PREFIX) + (ZT_UTOKEN_REC_MAX * 4 + 2) / 3 + 1)

struct zt_utoken {
	__u8 id[ZT_UTOKEN_ID_LEN];
	__u64 issued, expires;                  /* unix seconds */
	char email[ZT_UTOKEN_EMAIL_MAX + 1];
	char vnet[ZT_UTOKEN_VNET_MAX + 1];      /* "": the default network */
	char groups[ZT_UTOKEN_GROUPS_MAX + 1];  /* "a,b"; "": none */
	__u8 sig[ZT_UTOKEN_SIG_LEN];
	/* the client's: */
	__u8 pin[ZT_TOKEN_PIN_LEN];
	__u8 n_addrs;
	struct zt_token_addr addrs[ZT_TOKEN_ADDRS];
};

/* The credential into b: with sig false, the bytes the signature covers
 * (everything before it). */
void zt_utoken_cred_put(struct zt_buf *b, const struct zt_utoken *t, bool sig);
/* A credential (all of b): 0, or -EBADMSG (a byte short or over, a name
 * that is empty where it may not be or not printable, expires before
 * issued). The signature is not checked here. */
int zt_utoken_cred_get(struct zt_buf *b, struct zt_utoken *t);
/* The text of t into out (ZT_UTOKEN_MAX bytes): 0 or -EINVAL. */
int zt_utoken_put(const struct zt_utoken *t, char *out, size_t outsz);
/* A token's text (surrounding white space allowed): 0, or -EBADMSG. */
int zt_utoken_get(const char *s, struct zt_utoken *t);
/* The id as 32 hex digits (out: 33 bytes). */
void zt_utoken_id_str(const __u8 *id, char *out);

#endif
