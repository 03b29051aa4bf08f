/* SPDX-License-Identifier: GPL-2.0 */
/* b64.h — base64url without padding (RFC 4648 §5), for tokens that are
 * pasted on command lines and into files. */
#ifndef ZT_B64_H
#define ZT_B64_H

#include <stddef.h>
#include <linux/types.h>

/* Characters zt_b64_encode writes for n bytes (without the NUL). */
#define ZT_B64_LEN(n) (((n) * 4 + 2) / 3)

/* out holds ZT_B64_LEN(n) + 1 bytes. */
void zt_b64_encode(const __u8 *in, size_t n, char *out);
/* Decodes s (its first len characters) into out (at most max bytes): the
 * byte count, or -EBADMSG for a character outside the alphabet, a length
 * no encoding has, non-zero bits left over, or more than max bytes. */
long zt_b64_decode(const char *s, size_t len, __u8 *out, size_t max);

#endif
