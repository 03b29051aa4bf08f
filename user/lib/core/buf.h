/* SPDX-License-Identifier: GPL-2.0 */
/* buf.h — the one bounds-checked reader (and its writer) for untrusted
 * bytes, after OpenSSH's sshbuf: every get either has all the bytes it
 * needs or returns -EBADMSG without consuming anything. Integers are
 * big-endian on the wire. */
#ifndef ZT_BUF_H
#define ZT_BUF_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>

struct zt_buf {
	__u8 *p;
	size_t len;   /* bytes valid (reader) or capacity (writer) */
	size_t off;   /* read or write position */
	int err;      /* writer: first error, sticky */
};

static inline void zt_buf_init(struct zt_buf *b, void *p, size_t len)
{
	b->p = p;
	b->len = len;
	b->off = 0;
	b->err = 0;
}

static inline size_t zt_buf_left(const struct zt_buf *b)
{
	return b->len - b->off;
}

static inline int zt_buf_get_bytes(struct zt_buf *b, void *out, size_t n)
{
	if (zt_buf_left(b) < n)
		return -EBADMSG;
	if (out)
		memcpy(out, b->p + b->off, n);
	b->off += n;
	return 0;
}

static inline int zt_buf_get_u8(struct zt_buf *b, __u8 *v)
{
	return zt_buf_get_bytes(b, v, 1);
}

static inline int zt_buf_get_u16(struct zt_buf *b, __u16 *v)
{
	__u8 x[2];

	if (zt_buf_get_bytes(b, x, 2))
		return -EBADMSG;
	*v = (__u16)(x[0] << 8 | x[1]);
	return 0;
}

static inline int zt_buf_get_u32(struct zt_buf *b, __u32 *v)
{
	__u8 x[4];

	if (zt_buf_get_bytes(b, x, 4))
		return -EBADMSG;
	*v = (__u32)x[0] << 24 | (__u32)x[1] << 16 | (__u32)x[2] << 8 | x[3];
	return 0;
}

static inline int zt_buf_get_u64(struct zt_buf *b, __u64 *v)
{
	__u32 hi, lo;
	size_t off = b->off;

	if (zt_buf_get_u32(b, &hi) || zt_buf_get_u32(b, &lo)) {
		b->off = off;
		return -EBADMSG;
	}
	*v = (__u64)hi << 32 | lo;
	return 0;
}

/* A u16-length-prefixed string into out (NUL-terminated): -EBADMSG when the
 * bytes are not all there, or it does not fit, or it holds a NUL. */
static inline int zt_buf_get_str(struct zt_buf *b, char *out, size_t outsz)
{
	size_t off = b->off;
	__u16 n;

	if (zt_buf_get_u16(b, &n))
		return -EBADMSG;
	if (n >= outsz || zt_buf_left(b) < n || memchr(b->p + b->off, 0, n)) {
		b->off = off;
		return -EBADMSG;
	}
	zt_buf_get_bytes(b, out, n);
	out[n] = 0;
	return 0;
}

/* A vector whose length is the next lenbytes (1, 2 or 3) big-endian bytes
 * (TLS's <0..2^8-1>, <0..2^16-1>, <0..2^24-1>), as a reader of its own in
 * *sub; consumed from b. -EBADMSG when not all of it is there. */
static inline int zt_buf_get_vec(struct zt_buf *b, int lenbytes, struct zt_buf *sub)
{
	size_t n = 0, i;

	if (lenbytes < 1 || lenbytes > 3 || zt_buf_left(b) < (size_t)lenbytes)
		return -EBADMSG;
	for (i = 0; i < (size_t)lenbytes; i++)
		n = n << 8 | b->p[b->off + i];
	if (zt_buf_left(b) - (size_t)lenbytes < n)
		return -EBADMSG;
	zt_buf_init(sub, b->p + b->off + lenbytes, n);
	b->off += (size_t)lenbytes + n;
	return 0;
}

/* Writer: a put that does not fit sets err (-EMSGSIZE) and writes nothing
 * more; check b->err once at the end. */
static inline void zt_buf_put_bytes(struct zt_buf *b, const void *v, size_t n)
{
	if (b->err || zt_buf_left(b) < n) {
		b->err = -EMSGSIZE;
		return;
	}
	if (n) /* memcpy from NULL is undefined even for 0 bytes (an empty body) */
		memcpy(b->p + b->off, v, n);
	b->off += n;
}

static inline void zt_buf_put_u8(struct zt_buf *b, __u8 v)
{
	zt_buf_put_bytes(b, &v, 1);
}

static inline void zt_buf_put_u16(struct zt_buf *b, __u16 v)
{
	__u8 x[2] = { (__u8)(v >> 8), (__u8)v };

	zt_buf_put_bytes(b, x, 2);
}

static inline void zt_buf_put_u32(struct zt_buf *b, __u32 v)
{
	__u8 x[4] = { (__u8)(v >> 24), (__u8)(v >> 16), (__u8)(v >> 8), (__u8)v };

	zt_buf_put_bytes(b, x, 4);
}

static inline void zt_buf_put_u64(struct zt_buf *b, __u64 v)
{
	zt_buf_put_u32(b, (__u32)(v >> 32));
	zt_buf_put_u32(b, (__u32)v);
}

/* A word: u8 length and printable ASCII without spaces (a hostname, a
 * connector's name, an email), at most max bytes, into out (max + 1
 * bytes, NUL-terminated); -EBADMSG otherwise. */
static inline int zt_buf_get_word(struct zt_buf *b, char *out, size_t max)
{
	__u8 n;
	size_t i;

	if (zt_buf_get_u8(b, &n) || n > max || zt_buf_get_bytes(b, out, n))
		return -EBADMSG;
	out[n] = 0;
	for (i = 0; i < n; i++)
		if (out[i] <= 0x20 || out[i] >= 0x7f)
			return -EBADMSG;
	return 0;
}

/* A word (at most max bytes of s; max below 256). */
static inline void zt_buf_put_word(struct zt_buf *b, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	zt_buf_put_u8(b, (__u8)n);
	zt_buf_put_bytes(b, s, n);
}

/* A string, u16-length-prefixed; longer than 65535 bytes is cut there. */
static inline void zt_buf_put_str(struct zt_buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n > 0xffff)
		n = 0xffff;
	zt_buf_put_u16(b, (__u16)n);
	zt_buf_put_bytes(b, s, n);
}

#endif
