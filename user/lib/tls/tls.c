// SPDX-License-Identifier: GPL-2.0
/* tls.c — see tls.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/bytestring.h>
#include <openssl/ec_key.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include "file.h"
#include "tbio.h"
#include "tls.h"

/* Per connection: the pin a client checks, and why its check failed. */
static int ex_pin = -1;

struct pin_state {
	__u8 pin[ZT_TLS_PIN_LEN];
	bool mismatch;
};

static int spki_pin(X509 *x, __u8 pin[ZT_TLS_PIN_LEN])
{
	__u8 *der = NULL;
	int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);

	if (n <= 0)
		return -EINVAL;
	SHA256(der, (size_t)n, pin);
	OPENSSL_free(der);
	return 0;
}

/* ---- the gateway's identity -------------------------------------------------- */

static EVP_PKEY *make_key(void)
{
	EC_KEY *ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
	EVP_PKEY *k = EVP_PKEY_new();

	if (!ec || !k || !EC_KEY_generate_key(ec) || !EVP_PKEY_assign_EC_KEY(k, ec)) {
		EC_KEY_free(ec);
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

static X509 *make_cert(EVP_PKEY *k)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	ASN1_TIME *t0 = NULL, *t1 = NULL;
	__u8 serial[16];
	BIGNUM *bn = NULL;
	time_t now = time(NULL);
	int ok = 0;

	RAND_bytes(serial, sizeof(serial));
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	t0 = ASN1_TIME_set(NULL, now - 3600);
	t1 = ASN1_TIME_set(NULL, now + 100L * 365 * 86400);
	if (x && name && bn && t0 && t1 && X509_set_version(x, X509_VERSION_3) &&
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const __u8 *)"zt gateway", -1,
				       -1, 0) &&
	    X509_set_subject_name(x, name) && X509_set_issuer_name(x, name) &&
	    X509_set1_notBefore(x, t0) && X509_set1_notAfter(x, t1) && X509_set_pubkey(x, k) &&
	    X509_sign(x, k, EVP_sha256()))
		ok = 1;
	BN_free(bn);
	ASN1_TIME_free(t0);
	ASN1_TIME_free(t1);
	X509_NAME_free(name);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Writes what put writes to path, whole (path.tmp, then renamed), mode. */
static int write_pem(const char *path, mode_t mode, int (*put)(FILE *, void *), void *obj)
{
	char tmp[4096 + 8];
	FILE *f = zt_file_create(path, mode, tmp, sizeof(tmp));

	if (!f)
		return -errno;
	/* On disk before it is renamed in: a key lost to a crash would
	 * make every connector's token useless. */
	if (!put(f, obj) || fflush(f) || fsync(fileno(f))) {
		fclose(f);
		unlink(tmp);
		return -EIO;
	}
	return zt_file_commit(f, tmp, path);
}

static int put_key(FILE *f, void *k)
{
	return PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
}

static int put_cert(FILE *f, void *x)
{
	return PEM_write_X509(f, x);
}

/* The key and certificate in dir: loaded, or made when neither exists. */
static int identity(const char *dir, EVP_PKEY **k, X509 **x, const char **why)
{
	char kp[4096], cp[4096];
	struct stat st;
	bool have_k, have_c;
	FILE *f;

	snprintf(kp, sizeof(kp), "%s/gateway.key", dir);
	snprintf(cp, sizeof(cp), "%s/gateway.crt", dir);
	have_k = !stat(kp, &st);
	have_c = !stat(cp, &st);
	if (have_k != have_c) {
		*why = have_k ? "gateway.key is there but gateway.crt is not: remove the key to make "
				"a new identity (connectors must then get new tokens)" :
				"gateway.crt is there but gateway.key is not";
		return -ENOENT;
	}
	if (!have_k) {
		if (mkdir(dir, 0700) && errno != EEXIST) {
			*why = "cannot make the TLS directory";
			return -errno;
		}
		*k = make_key();
		*x = *k ? make_cert(*k) : NULL;
		if (!*x) {
			*why = "cannot make a key and certificate";
			return -ENOMEM;
		}
		if (write_pem(kp, 0600, put_key, *k) || write_pem(cp, 0644, put_cert, *x)) {
			*why = "cannot write gateway.key or gateway.crt";
			unlink(kp);
			return -EIO;
		}
		return 0;
	}
	f = fopen(kp, "re");
	*k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	f = fopen(cp, "re");
	*x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	if (!*k || !*x || !X509_check_private_key(*x, *k)) {
		*why = "gateway.key or gateway.crt does not load, or they do not match";
		return -EINVAL;
	}
	return 0;
}

static SSL_CTX *ctx13(bool server)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());

	if (!ctx)
		return NULL;
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (server)
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return ctx;
}

SSL_CTX *zt_tls_server(const char *dir, __u8 pin[ZT_TLS_PIN_LEN], const char **why)
{
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	SSL_CTX *ctx = NULL;

	if (identity(dir, &k, &x, why))
		goto out;
	ctx = ctx13(true);
	if (!ctx || !SSL_CTX_use_certificate(ctx, x) || !SSL_CTX_use_PrivateKey(ctx, k) ||
	    spki_pin(x, pin)) {
		*why = "cannot set up TLS with the gateway's key";
		SSL_CTX_free(ctx);
		ctx = NULL;
	}
out:
	EVP_PKEY_free(k);
	X509_free(x);
	return ctx;
}

/* The client's check: the leaf's public key has the pin, whatever else. */
static enum ssl_verify_result_t verify_pin(SSL *ssl, __u8 *alert)
{
	const STACK_OF(CRYPTO_BUFFER) *chain = SSL_get0_peer_certificates(ssl);
	struct pin_state *ps = SSL_get_ex_data(ssl, ex_pin);
	__u8 got[ZT_TLS_PIN_LEN];
	CRYPTO_BUFFER *leaf;
	const __u8 *p;
	X509 *x;
	int bad;

	*alert = SSL_AD_BAD_CERTIFICATE;
	if (!ps || !chain || !sk_CRYPTO_BUFFER_num(chain))
		return ssl_verify_invalid;
	leaf = sk_CRYPTO_BUFFER_value(chain, 0);
	p = CRYPTO_BUFFER_data(leaf);
	x = d2i_X509(NULL, &p, (long)CRYPTO_BUFFER_len(leaf));
	bad = !x || spki_pin(x, got) || CRYPTO_memcmp(got, ps->pin, sizeof(got));
	X509_free(x);
	ps->mismatch = bad;
	return bad ? ssl_verify_invalid : ssl_verify_ok;
}

SSL_CTX *zt_tls_client(const __u8 pin[ZT_TLS_PIN_LEN])
{
	SSL_CTX *ctx = ctx13(false);
	struct pin_state *ps;

	if (!ctx)
		return NULL;
	if (ex_pin < 0)
		ex_pin = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	ps = OPENSSL_malloc(sizeof(*ps));
	if (!ps || ex_pin < 0) {
		OPENSSL_free(ps);
		SSL_CTX_free(ctx);
		return NULL;
	}
	memcpy(ps->pin, pin, ZT_TLS_PIN_LEN);
	ps->mismatch = false;
	SSL_CTX_set_app_data(ctx, ps);
	SSL_CTX_set_custom_verify(ctx, SSL_VERIFY_PEER, verify_pin);
	return ctx;
}

void zt_tls_ctx_free(SSL_CTX *ctx)
{
	if (!ctx)
		return;
	OPENSSL_free(SSL_CTX_get_app_data(ctx));
	SSL_CTX_free(ctx);
}

SSL *zt_tls_new(SSL_CTX *ctx, int fd, bool server)
{
	struct pin_state *cps = SSL_CTX_get_app_data(ctx), *ps = NULL;
	SSL *ssl = SSL_new(ctx);
	BIO *bio;

	if (!ssl)
		return NULL;
	if (!server) {
		ps = OPENSSL_malloc(sizeof(*ps));
		if (!ps || !cps || !SSL_set_ex_data(ssl, ex_pin, ps)) {
			OPENSSL_free(ps);
			SSL_free(ssl);
			return NULL;
		}
		*ps = *cps;
	}
	bio = zt_tbio_new(fd);
	if (!bio) {
		zt_tls_free(ssl);
		return NULL;
	}
	SSL_set_bio(ssl, bio, bio); /* one reference for both */
	if (server)
		SSL_set_accept_state(ssl);
	else
		SSL_set_connect_state(ssl);
	return ssl;
}

void zt_tls_free(SSL *ssl)
{
	if (!ssl)
		return;
	/* close_notify, as far as the socket takes it now (never waits). */
	if (SSL_is_init_finished(ssl)) {
		ERR_clear_error();
		SSL_shutdown(ssl);
		zt_tls_flush(ssl);
	}
	if (ex_pin >= 0)
		OPENSSL_free(SSL_get_ex_data(ssl, ex_pin));
	SSL_free(ssl);
}

/* r from an SSL call -> the convention of tls.h. */
static int result(SSL *ssl, int r, bool *want_write)
{
	int e = SSL_get_error(ssl, r);

	*want_write = false;
	switch (e) {
	case SSL_ERROR_WANT_READ:
		return -EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		*want_write = true;
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		/* r 0: the peer closed without close_notify; else the
		 * socket's error (never a wait: errno may be stale). */
		if (r == 0)
			return 0;
		return errno && errno != EAGAIN && errno != EINTR ? -errno : -ECONNRESET;
	default:
		return -EPROTO;
	}
}

int zt_tls_handshake(SSL *ssl, bool *want_write)
{
	int r;

	ERR_clear_error();
	errno = 0;
	r = SSL_do_handshake(ssl);
	if (r == 1)
		return 1;
	r = result(ssl, r, want_write);
	return r == 0 ? -ECONNRESET : r;
}

ssize_t zt_tls_read(SSL *ssl, void *buf, size_t n, bool *want_write)
{
	int r;

	ERR_clear_error();
	errno = 0;
	r = SSL_read(ssl, buf, n > 0x40000000 ? 0x40000000 : (int)n);
	return r > 0 ? r : result(ssl, r, want_write);
}

ssize_t zt_tls_write(SSL *ssl, const void *buf, size_t n, bool *want_write)
{
	int r;

	ERR_clear_error();
	errno = 0;
	r = SSL_write(ssl, buf, n > 0x40000000 ? 0x40000000 : (int)n);
	if (r > 0)
		return r;
	r = result(ssl, r, want_write);
	return r == 0 ? -EPIPE : r;
}

int zt_tls_flush(SSL *ssl)
{
	BIO *b = SSL_get_wbio(ssl);

	return b ? zt_tbio_flush(b) : 0;
}

bool zt_tls_unsent(const SSL *ssl)
{
	BIO *b = SSL_get_wbio(ssl);

	return b && zt_tbio_unsent(b);
}

size_t zt_tls_pending(const SSL *ssl)
{
	BIO *b = SSL_get_rbio(ssl);

	return (size_t)SSL_pending(ssl) + (b ? zt_tbio_unread(b) : 0);
}

const char *zt_tls_error(const SSL *ssl)
{
	struct pin_state *ps = ex_pin >= 0 ? SSL_get_ex_data(ssl, ex_pin) : NULL;
	uint32_t e;

	if (ps && ps->mismatch)
		return "the gateway's certificate does not have the pinned key";
	e = ERR_peek_last_error();
	return e ? ERR_reason_error_string(e) : "connection closed during TLS";
}

int zt_tls_random(void *p, size_t n)
{
	return RAND_bytes(p, n) == 1 ? 0 : -EIO;
}
