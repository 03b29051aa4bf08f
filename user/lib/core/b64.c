// SPDX-License-Identifier: GPL-2.0
/* b64.c — see b64.h. */
#include <errno.h>
#include "b64.h"

static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void zt_b64_encode(const __u8 *in, size_t n, char *out)
{
	size_t i;
	__u32 v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (__u32)in[i] << 16 | (__u32)in[i + 1] << 8 | in[i + 2];
		*out++ = abc[v >> 18];
		*out++ = abc[(v >> 12) & 63];
		*out++ = abc[(v >> 6) & 63];
		*out++ = abc[v & 63];
	}
	if (n - i == 1) {
		v = (__u32)in[i] << 16;
		*out++ = abc[v >> 18];
		*out++ = abc[(v >> 12) & 63];
	} else if (n - i == 2) {
		v = (__u32)in[i] << 16 | (__u32)in[i + 1] << 8;
		*out++ = abc[v >> 18];
		*out++ = abc[(v >> 12) & 63];
		*out++ = abc[(v >> 6) & 63];
	}
	*out = 0;
}

static int val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '-' ? 62 : c == '_' ? 63 : -1;
}

long zt_b64_decode(const char *s, size_t len, __u8 *out, size_t max)
{
	size_t i, n = 0;
	__u32 acc = 0;
	int bits = 0, v;

	if (len % 4 == 1)
		return -EBADMSG;
	for (i = 0; i < len; i++) {
		if ((v = val(s[i])) < 0)
			return -EBADMSG;
		acc = acc << 6 | (__u32)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == max)
				return -EBADMSG;
			out[n++] = (__u8)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return acc ? -EBADMSG : (long)n;
}
