/* SPDX-License-Identifier: GPL-2.0 */
/* tls.h — BoringSSL as the tunnel endpoint and ztconnector use it: TLS
 * 1.3 only; the gateway's identity (an ECDSA P-256 key and a self-signed
 * certificate, made once in the state directory and kept); its pin (the
 * SHA-256 of the certificate's public key); a client that accepts the
 * pinned key and nothing else (no CA, no name: the pin is the trust).
 * The types are BoringSSL's, opaque here: only user/lib/tls/ includes
 * its headers (linked from /usr/lib/x86_64-linux-gnu/android with an
 * rpath; never with OpenSSL in the same binary). */
#ifndef ZT_TLS_CONN_H
#define ZT_TLS_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

#define ZT_TLS_PIN_LEN 32

struct ssl_st;
struct ssl_ctx_st;

/* The gateway's key and certificate in dir (gateway.key, mode 0600, and
 * gateway.crt), made when absent; a server context for them, and the
 * pin. NULL with *why on failure (a file that is there and does not load
 * is an error, never replaced). */
struct ssl_ctx_st *zt_tls_server(const char *dir, __u8 pin[ZT_TLS_PIN_LEN], const char **why);
/* A client context that takes a server whose key has this pin only. */
struct ssl_ctx_st *zt_tls_client(const __u8 pin[ZT_TLS_PIN_LEN]);
void zt_tls_ctx_free(struct ssl_ctx_st *ctx);

/* A connection over fd (non-blocking), server or client side. */
struct ssl_st *zt_tls_new(struct ssl_ctx_st *ctx, int fd, bool server);
void zt_tls_free(struct ssl_st *ssl);

/* The non-blocking steps. Each returns > 0 (bytes, or 1: handshake done),
 * -EAGAIN with *want_write saying which readiness to wait for, 0 on a
 * clean close (read), or another -errno (-EPROTO: the TLS layer failed;
 * zt_tls_error says why). */
int zt_tls_handshake(struct ssl_st *ssl, bool *want_write);
ssize_t zt_tls_read(struct ssl_st *ssl, void *buf, size_t n, bool *want_write);
ssize_t zt_tls_write(struct ssl_st *ssl, const void *buf, size_t n, bool *want_write);
/* What TLS wrote is queued (tbio.h): zt_tls_flush sends it, 0 when
 * nothing is left, -EAGAIN when the socket is full (watch for room while
 * zt_tls_unsent), or -errno. Flush before waiting on the socket. */
int zt_tls_flush(struct ssl_st *ssl);
bool zt_tls_unsent(const struct ssl_st *ssl);
/* Bytes read from the socket or decrypted and waiting, which polling the
 * socket does not show: read on before waiting. */
size_t zt_tls_pending(const struct ssl_st *ssl);
/* Why the last step failed: BoringSSL's reason, or "pin mismatch". */
const char *zt_tls_error(const struct ssl_st *ssl);

/* Random bytes from the system (BoringSSL's RAND_bytes). */
int zt_tls_random(void *p, size_t n);

#endif
