/* SPDX-License-Identifier: GPL-2.0 */
/* sign.h — Ed25519 (BoringSSL's) for the user tokens ztd issues
 * (`ztctl user token`, docs/access.md): the key, a 32-byte seed kept in
 * one file of mode 0600 and made once, a signature, and its check. */
#ifndef ZT_SIGN_H
#define ZT_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define ZT_SIGN_SEED_LEN 32
#define ZT_SIGN_PUB_LEN 32
#define ZT_SIGN_LEN 64

/* The key in path: loaded, or made when there is no file. 0, or -errno
 * with *why (a file that is there and is not a key is an error, never
 * replaced: every token signed with it would stop working). */
int zt_sign_key(const char *path, __u8 seed[ZT_SIGN_SEED_LEN], __u8 pub[ZT_SIGN_PUB_LEN],
		const char **why);
/* sig over msg with the key of seed. 0 or -EIO. */
int zt_sign(const __u8 seed[ZT_SIGN_SEED_LEN], const void *msg, size_t n,
	    __u8 sig[ZT_SIGN_LEN]);
/* sig is pub's over msg. */
bool zt_sign_ok(const __u8 pub[ZT_SIGN_PUB_LEN], const void *msg, size_t n,
		const __u8 sig[ZT_SIGN_LEN]);

#endif
