// SPDX-License-Identifier: GPL-2.0
/* test_tbio — TLS over the socket layer of tbio.h, as the tunnel's
 * connections use it (tls.h): a handshake; 4 MiB each way at once over a socket pair whose buffers hold
 * a few records only, so that writes queue, fill the queue, wait for
 * room and go on, and the bytes arrive whole and in order; records read
 * ahead that poll does not show (zt_tls_pending says so: the owner must
 * read on); and close_notify sent when a connection is freed. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "../../user/lib/tls/tls.h" /* not wire/tls.h */
#include "../lib/t.h"

static char dir[] = "/tmp/zt-test-tbio.XXXXXX";
static struct ssl_ctx_st *sc, *cc;

#define TOTAL (4u << 20)

struct end {
	struct ssl_st *ssl;
	unsigned want;       /* the pattern it receives */
	__u8 *out;           /* what this end sends */
	size_t sent, got;
	unsigned waits;      /* writes the full queue refused (-EAGAIN) */
	bool bad_order;
};

/* Every 256-byte block differs from the others of 4 MiB (a record
 * moved or repeated shows). */
static __u8 pattern(size_t i, unsigned seed)
{
	return (__u8)(i ^ (i >> 8) ^ (i >> 16) ^ (i >> 24) ^ (seed * 77));
}

static int pair(struct ssl_st **srv, struct ssl_st **cli, int fds[2])
{
	__u8 pin[ZT_TLS_PIN_LEN];
	const char *why = NULL;
	int sz = 16384;

	if (!sc && (sc = zt_tls_server(dir, pin, &why)))
		cc = zt_tls_client(pin);

	if (!sc || !cc || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds))
		return -1;
	/* Small buffers: a few records fill the socket. */
	setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	*srv = zt_tls_new(sc, fds[0], true);
	*cli = zt_tls_new(cc, fds[1], false);
	return *srv && *cli ? 0 : -1;
}

static bool handshake(struct ssl_st *a, struct ssl_st *b)
{
	int ra = 0, rb = 0, i;
	bool ww;

	for (i = 0; i < 100 && (ra != 1 || rb != 1); i++) {
		if (ra != 1) {
			ra = zt_tls_handshake(a, &ww);
			zt_tls_flush(a); /* what the socket does not take: next round */
		}
		if (rb != 1) {
			rb = zt_tls_handshake(b, &ww);
			zt_tls_flush(b);
		}
		if ((ra < 0 && ra != -EAGAIN) || (rb < 0 && rb != -EAGAIN))
			return false;
	}
	return ra == 1 && rb == 1;
}

/* Moves what can move for e: sends (queue, flush), then reads until the
 * socket and the read-ahead are empty. false on a failure. */
static bool step(struct end *e)
{
	__u8 buf[16384];
	ssize_t n;
	size_t i;
	bool ww;
	int err;

	while (e->sent < TOTAL) {
		n = zt_tls_write(e->ssl, e->out + e->sent, TOTAL - e->sent, &ww);
		if (n == -EAGAIN) {
			e->waits++;
			break;
		}
		if (n < 0)
			return false;
		e->sent += (size_t)n;
	}
	err = zt_tls_flush(e->ssl);
	if (err && err != -EAGAIN)
		return false;
	for (;;) {
		n = zt_tls_read(e->ssl, buf, sizeof(buf), &ww);
		if (n == -EAGAIN)
			return true;
		if (n <= 0)
			return false;
		for (i = 0; i < (size_t)n; i++)
			e->bad_order |= buf[i] != pattern(e->got + i, e->want);
		e->got += (size_t)n;
	}
}

static void both_ways(void)
{
	struct end e[2] = { 0 };
	int fds[2], round;
	size_t i;

	if (pair(&e[0].ssl, &e[1].ssl, fds) || !handshake(e[0].ssl, e[1].ssl)) {
		T_ASSERT(0, "a TLS pair over a socket pair, through its handshake");
		return;
	}
	for (i = 0; i < 2; i++) {
		e[i].want = (unsigned)i + 1; /* the other's pattern */
		e[i].out = malloc(TOTAL);
		if (!e[i].out) {
			T_ASSERT(0, "memory");
			return;
		}
	}
	for (i = 0; i < TOTAL; i++) {
		e[0].out[i] = pattern(i, 2);
		e[1].out[i] = pattern(i, 1);
	}
	for (round = 0; round < 100000 && (e[0].got < TOTAL || e[1].got < TOTAL); round++)
		if (!step(&e[0]) || !step(&e[1]))
			break;
	T_EQ(e[0].sent, TOTAL);
	T_EQ(e[1].sent, TOTAL);
	T_EQ(e[0].got, TOTAL);
	T_EQ(e[1].got, TOTAL);
	T_ASSERT(!e[0].bad_order && !e[1].bad_order, "every byte in its place, both ways");
	T_ASSERT(e[0].waits && e[1].waits, "the queue filled and writes waited (%u, %u)",
		 e[0].waits, e[1].waits);
	T_ASSERT(!zt_tls_unsent(e[0].ssl) && !zt_tls_unsent(e[1].ssl), "nothing left queued");
	zt_tls_free(e[0].ssl);
	zt_tls_free(e[1].ssl);
	close(fds[0]);
	close(fds[1]);
	free(e[0].out);
	free(e[1].out);
}

static void read_ahead_and_close(void)
{
	struct ssl_st *srv, *cli;
	__u8 buf[16384], big[48 * 1024];
	struct pollfd p;
	int fds[2], sz = 1 << 20;
	ssize_t n, total = 0;
	bool ww;

	if (pair(&srv, &cli, fds) || !handshake(srv, cli)) {
		T_ASSERT(0, "a TLS pair through its handshake");
		return;
	}
	setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	memset(big, 'x', sizeof(big));
	/* Three records, queued: nothing is on the socket until the flush. */
	while (total < (ssize_t)sizeof(big) &&
	       (n = zt_tls_write(cli, big + total, sizeof(big) - total, &ww)) > 0)
		total += n; /* a record a call (SSL_MODE_ENABLE_PARTIAL_WRITE) */
	T_EQ(total, (ssize_t)sizeof(big));
	total = 0;
	p = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	T_EQ(poll(&p, 1, 0), 0);
	T_EQ(zt_tls_flush(cli), 0);
	T_ASSERT(!zt_tls_unsent(cli), "all sent in the flush");
	T_EQ(poll(&p, 1, 0), 1);
	/* One read takes one record; the others were read ahead with it. */
	n = zt_tls_read(srv, buf, sizeof(buf), &ww);
	T_EQ(n, 16384);
	total += n;
	p.revents = 0;
	T_EQ(poll(&p, 1, 0), 0);
	T_ASSERT(zt_tls_pending(srv) > 0, "the rest is pending though poll shows nothing (%zu)",
		 zt_tls_pending(srv));
	while ((n = zt_tls_read(srv, buf, sizeof(buf), &ww)) > 0)
		total += n;
	T_EQ(n, -EAGAIN);
	T_EQ(total, (ssize_t)sizeof(big));
	T_EQ(zt_tls_pending(srv), 0);
	/* Freed: its close_notify leaves (flushed by zt_tls_free). */
	zt_tls_free(cli);
	T_EQ(zt_tls_read(srv, buf, sizeof(buf), &ww), 0);
	zt_tls_free(srv);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	T_RUN(both_ways);
	T_RUN(read_ahead_and_close);
	zt_tls_ctx_free(sc);
	zt_tls_ctx_free(cc);
	{
		char p[96];

		snprintf(p, sizeof(p), "%s/gateway.key", dir);
		unlink(p);
		snprintf(p, sizeof(p), "%s/gateway.crt", dir);
		unlink(p);
		rmdir(dir);
	}
	return t_done();
}
