// SPDX-License-Identifier: GPL-2.0
/* test_sign — the user tokens' Ed25519 key and signatures (sign.h): the
 * key file made once, mode 0600, and the same key read back from it; a
 * file that is not a key, or that others can read, refused and left as it
 * is; a token's credential signed and checked, and refused with any one
 * bit of it or of the signature changed, or under another key. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sign.h"
#include "utoken.h"
#include "../lib/t.h"

static char dir[] = "/tmp/zt-test-sign.XXXXXX";

static void key_file(void)
{
	__u8 seed[32], pub[32], seed2[32], pub2[32];
	char path[128], bad[128];
	const char *why = NULL;
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/users.key", dir);
	T_EQ(zt_sign_key(path, seed, pub, &why), 0);
	T_ASSERT(!stat(path, &st) && (st.st_mode & 0777) == 0600 && st.st_size == 32,
		 "made with mode 0600 and 32 bytes");
	T_EQ(zt_sign_key(path, seed2, pub2, &why), 0);
	T_ASSERT(!memcmp(seed, seed2, 32) && !memcmp(pub, pub2, 32), "the same key read back");
	snprintf(bad, sizeof(bad), "%s/short.key", dir);
	fd = open(bad, O_WRONLY | O_CREAT, 0600);
	T_ASSERT(fd >= 0 && write(fd, "short", 5) == 5, "a short file");
	close(fd);
	T_EQ(zt_sign_key(bad, seed2, pub2, &why), -EINVAL);
	T_ASSERT(why && strstr(why, "not 32 bytes"), "why: %s", why ? why : "");
	T_ASSERT(!stat(bad, &st) && st.st_size == 5, "left as it was");
	chmod(path, 0644);
	T_EQ(zt_sign_key(path, seed2, pub2, &why), -EPERM);
	T_ASSERT(why && strstr(why, "others can read it"), "why: %s", why ? why : "");
	unlink(path);
	unlink(bad);
}

static void signatures(void)
{
	struct zt_utoken t = { .issued = 1000, .expires = 2000, .email = "a@example.com",
			       .vnet = "staging", .groups = "ops,dev" }, g;
	__u8 seed[32], pub[32], seed2[32], pub2[32], msg[ZT_UTOKEN_CRED_MAX];
	__u8 cred[ZT_UTOKEN_CRED_MAX];
	const char *why;
	char path[128];
	struct zt_buf b;
	size_t n, c, i;
	int bit, bad = 0;

	snprintf(path, sizeof(path), "%s/a.key", dir);
	T_EQ(zt_sign_key(path, seed, pub, &why), 0);
	snprintf(path, sizeof(path), "%s/b.key", dir);
	T_EQ(zt_sign_key(path, seed2, pub2, &why), 0);
	memset(t.id, 7, sizeof(t.id));
	zt_buf_init(&b, msg, sizeof(msg));
	zt_utoken_cred_put(&b, &t, false);
	n = b.off;
	T_EQ(zt_sign(seed, msg, n, t.sig), 0);
	zt_buf_init(&b, cred, sizeof(cred));
	zt_utoken_cred_put(&b, &t, true);
	c = b.off;
	T_EQ(c, n + ZT_UTOKEN_SIG_LEN);
	zt_buf_init(&b, cred, c);
	T_EQ(zt_utoken_cred_get(&b, &g), 0);
	T_ASSERT(zt_sign_ok(pub, cred, c - ZT_UTOKEN_SIG_LEN, g.sig), "signed and checked");
	T_ASSERT(!zt_sign_ok(pub2, cred, c - ZT_UTOKEN_SIG_LEN, g.sig), "another key's: refused");
	for (i = 0; i < c; i++)
		for (bit = 0; bit < 8; bit++) {
			cred[i] ^= (__u8)(1 << bit);
			bad += zt_sign_ok(pub, cred, c - ZT_UTOKEN_SIG_LEN,
					  cred + c - ZT_UTOKEN_SIG_LEN);
			cred[i] ^= (__u8)(1 << bit);
		}
	T_EQ(bad, 0); /* every one of the credential's bits is covered */
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	T_RUN(key_file);
	T_RUN(signatures);
	rmdir(dir);
	return t_done();
}
