// SPDX-License-Identifier: GPL-2.0
/* tbio.c — see tbio.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <openssl/bio.h>
#include "tbio.h"

struct tbio {
	int fd;
	__u8 *r;          /* read ahead, not yet taken (freed when empty) */
	size_t roff, rlen;
	__u8 *w;          /* taken, not yet sent (freed when empty) */
	size_t woff, wlen, wcap;
};

static BIO_METHOD *method;

/* Sends what is queued: 0 (all sent), -EAGAIN (the socket is full), or
 * -errno. */
static int send_queued(struct tbio *t)
{
	ssize_t n;

	while (t->wlen) {
		n = send(t->fd, t->w + t->woff, t->wlen, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -EAGAIN : -errno;
		t->woff += (size_t)n;
		t->wlen -= (size_t)n;
	}
	free(t->w);
	t->w = NULL;
	t->woff = t->wcap = 0;
	return 0;
}

static int tb_write(BIO *b, const char *p, int n)
{
	struct tbio *t = BIO_get_data(b);
	size_t take, cap;
	__u8 *w;
	int err;

	BIO_clear_retry_flags(b);
	if (n <= 0)
		return 0;
	if (t->wlen == ZT_TBIO_WBUF) { /* full: make room */
		err = send_queued(t);
		if (err && err != -EAGAIN) {
			errno = -err;
			return -1;
		}
		if (t->wlen == ZT_TBIO_WBUF) {
			BIO_set_retry_write(b);
			errno = EAGAIN;
			return -1;
		}
	}
	if (t->woff && t->woff + t->wlen + (size_t)n > t->wcap) {
		memmove(t->w, t->w + t->woff, t->wlen);
		t->woff = 0;
	}
	/* The queue grows as writes come (a keepalive takes 32 KiB, a
	 * burst up to ZT_TBIO_WBUF). */
	for (cap = t->wcap ? t->wcap : 32 * 1024; cap < t->wlen + (size_t)n && cap < ZT_TBIO_WBUF;)
		cap *= 2;
	if (cap > t->wcap) {
		w = realloc(t->w, cap);
		if (!w) {
			errno = ENOMEM;
			return -1;
		}
		t->w = w;
		t->wcap = cap;
	}
	take = t->wcap - t->woff - t->wlen;
	take = (size_t)n < take ? (size_t)n : take;
	memcpy(t->w + t->woff + t->wlen, p, take);
	t->wlen += take;
	return (int)take;
}

static int tb_read(BIO *b, char *p, int n)
{
	struct tbio *t = BIO_get_data(b);
	ssize_t got;
	size_t take;

	BIO_clear_retry_flags(b);
	if (n <= 0)
		return 0;
	if (!t->rlen) {
		if (!t->r && !(t->r = malloc(ZT_TBIO_RBUF))) {
			errno = ENOMEM;
			return -1;
		}
		do
			got = recv(t->fd, t->r, ZT_TBIO_RBUF, MSG_DONTWAIT);
		while (got < 0 && errno == EINTR);
		if (got <= 0) {
			int e = errno;

			free(t->r);
			t->r = NULL;
			errno = e;
			if (got < 0 && e == EAGAIN)
				BIO_set_retry_read(b);
			return got < 0 ? -1 : 0;
		}
		t->roff = 0;
		t->rlen = (size_t)got;
	}
	take = (size_t)n < t->rlen ? (size_t)n : t->rlen;
	memcpy(p, t->r + t->roff, take);
	t->roff += take;
	t->rlen -= take;
	if (!t->rlen) { /* an idle connection holds no buffer */
		free(t->r);
		t->r = NULL;
	}
	return (int)take;
}

static long tb_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct tbio *t = BIO_get_data(b);
	int err;

	(void)num;
	(void)ptr;
	BIO_clear_retry_flags(b);
	if (cmd != BIO_CTRL_FLUSH)
		return 0;
	/* A handshake flight: what the socket does not take now stays
	 * queued for zt_tbio_flush (the owner watches for room). */
	err = send_queued(t);
	return err == 0 || err == -EAGAIN ? 1 : 0;
}

static int tb_destroy(BIO *b)
{
	struct tbio *t = BIO_get_data(b);

	if (t) {
		free(t->r);
		free(t->w);
		free(t);
	}
	BIO_set_data(b, NULL);
	return 1;
}

BIO *zt_tbio_new(int fd)
{
	struct tbio *t;
	BIO *b;

	if (!method) {
		BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "zt socket");

		if (!m || !BIO_meth_set_write(m, tb_write) || !BIO_meth_set_read(m, tb_read) ||
		    !BIO_meth_set_ctrl(m, tb_ctrl) || !BIO_meth_set_destroy(m, tb_destroy)) {
			BIO_meth_free(m);
			return NULL;
		}
		method = m;
	}
	t = calloc(1, sizeof(*t));
	b = t ? BIO_new(method) : NULL;
	if (!b) {
		free(t);
		return NULL;
	}
	t->fd = fd;
	BIO_set_data(b, t);
	BIO_set_init(b, 1);
	return b;
}

int zt_tbio_flush(BIO *b)
{
	return send_queued(BIO_get_data(b));
}

size_t zt_tbio_unsent(BIO *b)
{
	return ((struct tbio *)BIO_get_data(b))->wlen;
}

size_t zt_tbio_unread(BIO *b)
{
	return ((struct tbio *)BIO_get_data(b))->rlen;
}
