// SPDX-License-Identifier: GPL-2.0
/* test_tls — the ClientHello reader of the proxy's protocol detection: a
 * hello reads back its SNI, ALPN and ECH; the same hello cut into records
 * of every size from 1 byte up reads the same; every prefix of a stream is
 * "wait for more", never an answer; a hello of 16 KiB reads, a larger one
 * is refused as too large; what is not a ClientHello, malformed lengths,
 * a second host_name, bad names and trailing bytes are malformed; random
 * corruption never crashes (valgrind and ASan in make check). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "tls.h"
#include "../lib/t.h"

/* A ClientHello handshake message (header and body) into out: sni (NULL:
 * no server_name), a second host_name when sni2, ALPN names, ECH, and
 * pad bytes of padding (extension 21). Its length. */
static size_t hello(__u8 *out, size_t cap, const char *sni, const char *sni2, bool alpn,
		    bool ech, size_t pad)
{
	struct zt_buf b;
	size_t ext_at, len_at, n;
	__u8 zero[32] = { 0 };

	zt_buf_init(&b, out, cap);
	zt_buf_put_u8(&b, 1);              /* client_hello */
	zt_buf_put_u8(&b, 0);              /* length, below */
	zt_buf_put_u16(&b, 0);
	zt_buf_put_u16(&b, 0x0303);
	zt_buf_put_bytes(&b, zero, 32);    /* random */
	zt_buf_put_u8(&b, 32);             /* session id */
	zt_buf_put_bytes(&b, zero, 32);
	zt_buf_put_u16(&b, 4);             /* two cipher suites */
	zt_buf_put_u16(&b, 0x1301);
	zt_buf_put_u16(&b, 0x1302);
	zt_buf_put_u8(&b, 1);              /* null compression */
	zt_buf_put_u8(&b, 0);
	ext_at = b.off;
	zt_buf_put_u16(&b, 0);             /* extensions' length, below */
	if (sni) {
		n = strlen(sni) + (sni2 ? 3 + strlen(sni2) : 0);
		zt_buf_put_u16(&b, 0);     /* server_name */
		zt_buf_put_u16(&b, (__u16)(2 + 3 + n));
		zt_buf_put_u16(&b, (__u16)(3 + n));
		zt_buf_put_u8(&b, 0);
		zt_buf_put_u16(&b, (__u16)strlen(sni));
		zt_buf_put_bytes(&b, sni, strlen(sni));
		if (sni2) {
			zt_buf_put_u8(&b, 0);
			zt_buf_put_u16(&b, (__u16)strlen(sni2));
			zt_buf_put_bytes(&b, sni2, strlen(sni2));
		}
	}
	if (alpn) {                        /* h2, http/1.1 */
		zt_buf_put_u16(&b, 16);
		zt_buf_put_u16(&b, 2 + 3 + 9);
		zt_buf_put_u16(&b, 3 + 9);
		zt_buf_put_u8(&b, 2);
		zt_buf_put_bytes(&b, "h2", 2);
		zt_buf_put_u8(&b, 8);
		zt_buf_put_bytes(&b, "http/1.1", 8);
	}
	if (ech) {
		zt_buf_put_u16(&b, 0xfe0d);
		zt_buf_put_u16(&b, 4);
		zt_buf_put_u32(&b, 0);
	}
	if (pad) {
		zt_buf_put_u16(&b, 21);
		zt_buf_put_u16(&b, (__u16)pad);
		for (n = 0; n < pad; n++)
			zt_buf_put_u8(&b, 0);
	}
	if (b.err)
		abort();
	n = b.off - ext_at - 2;
	out[ext_at] = (__u8)(n >> 8);
	out[ext_at + 1] = (__u8)n;
	len_at = b.off - 4;
	out[1] = (__u8)(len_at >> 16);
	out[2] = (__u8)(len_at >> 8);
	out[3] = (__u8)len_at;
	return b.off;
}

/* The handshake message msg in records of at most rec bytes each. */
static size_t records(const __u8 *msg, size_t len, size_t rec, __u8 *out, size_t cap)
{
	struct zt_buf b;
	size_t off, n;

	zt_buf_init(&b, out, cap);
	for (off = 0; off < len; off += n) {
		n = len - off < rec ? len - off : rec;
		zt_buf_put_u8(&b, 22);
		zt_buf_put_u16(&b, 0x0301);
		zt_buf_put_u16(&b, (__u16)n);
		zt_buf_put_bytes(&b, msg + off, n);
	}
	if (b.err)
		abort();
	return b.off;
}

static __u8 msg[40000], stream[80000];

static void reads_back(void)
{
	struct zt_tls_hello h;
	size_t n = hello(msg, sizeof(msg), "SSH.Internal.local", NULL, true, false, 0);
	size_t s = records(msg, n, 16384, stream, sizeof(stream));

	/* Application data after the hello is not the hello's. */
	stream[s] = 23;
	T_EQ(zt_tls_read_hello(stream, s + 1, &h), 0);
	T_ASSERT(h.has_sni && !strcmp(h.sni, "ssh.internal.local"), "sni %s", h.sni);
	T_ASSERT(!strcmp(h.alpn, "h2,http/1.1"), "alpn %s", h.alpn);
	T_EQ(h.version, 0x0303);
	T_ASSERT(!h.ech, "no ECH");
	T_EQ(h.consumed, s);
	/* ECH: the SNI is the outer one; no SNI at all is a hello too. */
	n = hello(msg, sizeof(msg), "public.example.com", NULL, false, true, 0);
	s = records(msg, n, 16384, stream, sizeof(stream));
	T_EQ(zt_tls_read_hello(stream, s, &h), 0);
	T_ASSERT(h.ech && !strcmp(h.sni, "public.example.com") && !h.alpn[0], "ech");
	n = hello(msg, sizeof(msg), NULL, NULL, false, false, 0);
	s = records(msg, n, 16384, stream, sizeof(stream));
	T_EQ(zt_tls_read_hello(stream, s, &h), 0);
	T_ASSERT(!h.has_sni && !h.sni[0], "no sni");
}

/* Every record size from 1 byte up, and every prefix of each stream:
 * the same hello, or "wait for more". */
static void any_records_any_prefix(void)
{
	struct zt_tls_hello h;
	size_t n = hello(msg, sizeof(msg), "a.example.com", NULL, true, false, 1500);
	size_t rec, s, cut;
	int bad = 0;

	for (rec = 1; rec <= n + 1 && !bad; rec += rec < 64 ? 1 : 97) {
		s = records(msg, n, rec, stream, sizeof(stream));
		if (zt_tls_read_hello(stream, s, &h) || strcmp(h.sni, "a.example.com") ||
		    h.consumed != s)
			bad = (int)rec;
		for (cut = 0; cut < s && !bad; cut += rec < 8 ? 37 : 1)
			if (zt_tls_read_hello(stream, cut, &h) != -EAGAIN)
				bad = (int)rec;
	}
	T_ASSERT(!bad, "records of %d bytes", bad);
}

static void sizes(void)
{
	struct zt_tls_hello h;
	size_t base = hello(msg, sizeof(msg), "big.example.com", NULL, false, false, 0);
	size_t n = hello(msg, sizeof(msg), "big.example.com", NULL, false, false,
			 ZT_TLS_HELLO_MAX - (base - 4) - 4);
	size_t s;

	T_EQ(n - 4, ZT_TLS_HELLO_MAX); /* the largest it takes */
	s = records(msg, n, 1000, stream, sizeof(stream));
	T_EQ(zt_tls_read_hello(stream, s, &h), 0);
	T_ASSERT(!strcmp(h.sni, "big.example.com"), "16 KiB hello");
	n = hello(msg, sizeof(msg), "big.example.com", NULL, false, false,
		  ZT_TLS_HELLO_MAX - (base - 4) - 3);
	s = records(msg, n, 16384, stream, sizeof(stream));
	T_EQ(zt_tls_read_hello(stream, 9, &h), -EMSGSIZE); /* known from its header */
	T_EQ(zt_tls_read_hello(stream, s, &h), -EMSGSIZE);
}

static void malformed(void)
{
	struct zt_tls_hello h;
	size_t n = hello(msg, sizeof(msg), "ok.example.com", NULL, false, false, 0), s;
	static const char *const names[] = { "a..b", ".a", "a.", "a b", "a/b", "", NULL };
	size_t i;

	T_EQ(zt_tls_read_hello((const __u8 *)"GET / HTTP/1.1\r\n", 16, &h), -EBADMSG);
	T_EQ(zt_tls_read_hello((const __u8 *)"SSH-2.0-OpenSSH", 15, &h), -EBADMSG);
	T_EQ(zt_tls_read_hello((const __u8 *)"\x16", 1, &h), -EAGAIN);
	T_EQ(zt_tls_read_hello((const __u8 *)"\x16\x02", 2, &h), -EBADMSG);
	T_EQ(zt_tls_read_hello((const __u8 *)"\x16\x03\x01\x00\x00", 5, &h), -EBADMSG);
	T_EQ(zt_tls_read_hello((const __u8 *)"\x16\x03\x01\x40\x01", 5, &h), -EBADMSG);
	/* Another handshake message first. */
	s = records(msg, n, 16384, stream, sizeof(stream));
	stream[5] = 2;
	T_EQ(zt_tls_read_hello(stream, s, &h), -EBADMSG);
	/* A record that holds more than the hello. */
	memcpy(msg + n, "\x01\x00\x00\x00", 4);
	s = records(msg, n + 4, 16384, stream, sizeof(stream));
	T_EQ(zt_tls_read_hello(stream, s, &h), -EBADMSG);
	/* Two host_names: a middlebox and a server could each take another. */
	n = hello(msg, sizeof(msg), "a.example.com", "b.example.com", false, false, 0);
	s = records(msg, n, 16384, stream, sizeof(stream));
	T_EQ(zt_tls_read_hello(stream, s, &h), -EBADMSG);
	for (i = 0; names[i]; i++) {
		n = hello(msg, sizeof(msg), names[i], NULL, false, false, 0);
		s = records(msg, n, 16384, stream, sizeof(stream));
		T_ASSERT(zt_tls_read_hello(stream, s, &h) == -EBADMSG, "name '%s' taken", names[i]);
	}
	/* The extensions' length one too long and one too short. */
	n = hello(msg, sizeof(msg), "ok.example.com", NULL, true, false, 0);
	msg[4 + 2 + 32 + 1 + 32 + 2 + 4 + 2 + 1]++;
	s = records(msg, n, 16384, stream, sizeof(stream));
	T_EQ(zt_tls_read_hello(stream, s, &h), -EBADMSG);
	msg[4 + 2 + 32 + 1 + 32 + 2 + 4 + 2 + 1] -= 2;
	s = records(msg, n, 16384, stream, sizeof(stream));
	T_EQ(zt_tls_read_hello(stream, s, &h), -EBADMSG);
}

static void random_bytes_never_crash(void)
{
	struct zt_tls_hello h;
	size_t n = hello(msg, sizeof(msg), "r.example.com", NULL, true, true, 300), s, i;
	int k, seen = 0;

	s = records(msg, n, 100, stream, sizeof(stream));
	srand(7);
	for (k = 0; k < 20000; k++) {
		static __u8 c[4096];

		memcpy(c, stream, s);
		for (i = 0; i < 1 + (size_t)(rand() % 4); i++)
			c[(size_t)rand() % s] = (__u8)rand();
		switch (zt_tls_read_hello(c, s, &h)) {
		case 0:
			seen |= 1;
			T_ASSERT(!h.has_sni || strlen(h.sni) <= ZT_TLS_NAME_MAX, "name");
			break;
		case -EAGAIN: seen |= 2; break;
		case -EBADMSG: seen |= 4; break;
		case -EMSGSIZE: seen |= 8; break;
		default: T_ASSERT(0, "an answer outside the four"); break;
		}
	}
	T_ASSERT((seen & 5) == 5, "corruption gave both hellos and malformed ones (%d)", seen);
}

int main(void)
{
	T_RUN(reads_back);
	T_RUN(any_records_any_prefix);
	T_RUN(sizes);
	T_RUN(malformed);
	T_RUN(random_bytes_never_crash);
	return t_done();
}
