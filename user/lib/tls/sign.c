// SPDX-License-Identifier: GPL-2.0
/* sign.c — see sign.h. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/curve25519.h>
#include <openssl/mem.h>
#include <openssl/rand.h>
#include "file.h"
#include "sign.h"

static int make(const char *path, __u8 *seed, const char **why)
{
	char tmp[4096 + 8];
	FILE *f;

	RAND_bytes(seed, ZT_SIGN_SEED_LEN);
	f = zt_file_create(path, 0600, tmp, sizeof(tmp));
	if (!f) {
		*why = "cannot create the user-token key";
		return -errno;
	}
	/* On disk before it is renamed in: a key lost to a crash would
	 * void every token issued. */
	if (fwrite(seed, 1, ZT_SIGN_SEED_LEN, f) != ZT_SIGN_SEED_LEN || fflush(f) ||
	    fsync(fileno(f))) {
		fclose(f);
		unlink(tmp);
		*why = "cannot write the user-token key";
		return -EIO;
	}
	*why = "cannot write the user-token key";
	return zt_file_commit(f, tmp, path);
}

int zt_sign_key(const char *path, __u8 seed[ZT_SIGN_SEED_LEN], __u8 pub[ZT_SIGN_PUB_LEN],
		const char **why)
{
	__u8 priv[64], extra;
	struct stat st;
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		err = make(path, seed, why);
	} else if (fd < 0) {
		*why = "cannot open the user-token key";
		err = -errno;
	} else {
		n = read(fd, seed, ZT_SIGN_SEED_LEN);
		if (n != ZT_SIGN_SEED_LEN || read(fd, &extra, 1) != 0) {
			*why = "the user-token key is not 32 bytes";
			err = -EINVAL;
		} else if (fstat(fd, &st) || (st.st_mode & 077) || st.st_uid != geteuid()) {
			*why = "the user-token key is another user's, or others can read it "
			       "(chown it to ztd's user, chmod 600 it)";
			err = -EPERM;
		}
		close(fd);
	}
	if (err)
		return err;
	ED25519_keypair_from_seed(pub, priv, seed);
	OPENSSL_cleanse(priv, sizeof(priv));
	return 0;
}

int zt_sign(const __u8 seed[ZT_SIGN_SEED_LEN], const void *msg, size_t n,
	    __u8 sig[ZT_SIGN_LEN])
{
	__u8 pub[32], priv[64];
	int ok;

	ED25519_keypair_from_seed(pub, priv, seed);
	ok = ED25519_sign(sig, msg, n, priv);
	OPENSSL_cleanse(priv, sizeof(priv));
	return ok ? 0 : -EIO;
}

bool zt_sign_ok(const __u8 pub[ZT_SIGN_PUB_LEN], const void *msg, size_t n,
		const __u8 sig[ZT_SIGN_LEN])
{
	return ED25519_verify(msg, n, sig, pub) == 1;
}
