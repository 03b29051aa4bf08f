// SPDX-License-Identifier: GPL-2.0
/* proxy_relay.c — a proxied flow's bytes, both ways, with splice(2)
 * through a pipe per direction: they never cross into ztd's memory. A
 * FIN from one side is passed on as a FIN (half-close) once what it sent
 * is delivered; a reset from either side resets both; the flow ends when
 * both directions have ended, or after PROXY_IDLE_MS with no byte. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "clock.h"
#include "log.h"
#include "proxy_int.h"

/* A pipe is born PROXY_PIPE big (Linux's 16 pages; ztd is not held to
 * pipe-user-pages-soft): no F_SETPIPE_SZ, two syscalls fewer on every
 * connection. A smaller one would only splice less at a time. */
_Static_assert(PROXY_PIPE == 16 * 4096, "the size a pipe is made with");
static int dir_open(struct px_dir *d)
{
	if (pipe2(d->pipe, O_NONBLOCK | O_CLOEXEC))
		return -errno;
	d->cap = PROXY_PIPE;
	return 0;
}

/* A direction that keeps filling its pipe is a bulk flow: a bigger pipe
 * moves it with fewer splices (while the count of big ones allows). */
static void dir_grow(struct ztd_proxy *px, struct px_dir *d)
{
	int n;

	if (d->cap >= PROXY_PIPE_BIG || ++d->fills < 8 || px->big_pipes >= PROXY_BIG_PIPES)
		return;
	n = fcntl(d->pipe[1], F_SETPIPE_SZ, PROXY_PIPE_BIG);
	if (n >= PROXY_PIPE_BIG) {
		d->cap = (size_t)n;
		px->big_pipes++;
	}
}

void proxy_relay_free(struct pconn *c)
{
	struct px_dir *d[2] = { &c->cu, &c->uc };
	int i;

	for (i = 0; i < 2; i++) {
		if (d[i]->cap >= PROXY_PIPE_BIG)
			c->px->big_pipes--;
		d[i]->cap = 0;
		if (d[i]->pipe[0] >= 0) {
			close(d[i]->pipe[0]);
			close(d[i]->pipe[1]);
			d[i]->pipe[0] = d[i]->pipe[1] = -1;
		}
	}
}

/* Moves what it can from `from` to `to` through d: 0, or -ECONNRESET
 * (a side reset, or another error). */
static int pump(struct ztd_proxy *px, struct px_dir *d, int from, int to)
{
	ssize_t n;

	for (;;) {
		if (d->queued) {
			n = splice(d->pipe[0], NULL, to, NULL, d->queued,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n < 0)
				return errno == EAGAIN ? 0 : -ECONNRESET;
			d->queued -= (size_t)n;
			d->bytes += (__u64)n;
			if (d->queued)
				return 0; /* the sink is full */
		}
		if (d->eof)
			break;
		n = splice(from, NULL, d->pipe[1], NULL, d->cap,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n < 0)
			return errno == EAGAIN ? 0 : -ECONNRESET;
		if (!n) {
			d->eof = true;
			break;
		}
		d->queued += (size_t)n;
		if (d->queued >= d->cap)
			dir_grow(px, d);
	}
	if (!d->shut && !d->queued) {
		shutdown(to, SHUT_WR);
		d->shut = true;
	}
	return 0;
}

/* The events each socket waits for now, or the end. */
static void rearm(struct pconn *c)
{
	struct zt_loop *l = c->px->d->loop;
	__u32 ce = 0, ue = 0;

	if (c->cu.shut && c->uc.shut) {
		proxy_end(c, PX_END_CLOSED);
		return;
	}
	/* A source is read only while its pipe is empty: with bytes still
	 * waiting for the sink, its readiness would only spin the loop. */
	if (!c->cu.eof && !c->cu.queued && c->sent == c->len)
		ce |= EPOLLIN;
	if (c->uc.queued)
		ce |= EPOLLOUT;
	if (!c->uc.eof && !c->uc.queued)
		ue |= EPOLLIN;
	if (c->cu.queued || c->sent < c->len)
		ue |= EPOLLOUT;
	if (px_watch(l, &c->c, &c->cev, ce) || px_watch(l, &c->u, &c->uev, ue))
		proxy_end(c, PX_END_ERROR);
}

static void step(struct pconn *c)
{
	__u64 moved = c->cu.bytes + c->uc.bytes;
	ssize_t n;

	/* The bytes detection read go first. */
	while (c->sent < c->len) {
		n = send(c->u.fd, c->buf + c->sent, c->len - c->sent, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN) {
			rearm(c);
			return;
		}
		if (n <= 0) {
			proxy_end(c, PX_END_RESET);
			return;
		}
		c->sent += (size_t)n;
		c->cu.bytes += (__u64)n;
		if (c->sent == c->len) { /* its memory back: the rest is spliced */
			free(c->buf);
			c->buf = NULL;
		}
	}
	if (pump(c->px, &c->cu, c->c.fd, c->u.fd) || pump(c->px, &c->uc, c->u.fd, c->c.fd)) {
		proxy_end(c, PX_END_RESET);
		return;
	}
	/* Idle means no byte moved: readiness alone does not count. */
	if (c->cu.bytes + c->uc.bytes != moved)
		zt_timer_arm(c->px->d->loop, &c->t, PROXY_IDLE_MS);
	rearm(c);
}

void proxy_relay_start(struct pconn *c)
{
	struct zt_loop *l = c->px->d->loop;

	if (dir_open(&c->cu) || dir_open(&c->uc)) {
		proxy_end(c, PX_END_ERROR);
		return;
	}
	c->st = PX_RELAY;
	c->cu.eof = c->client_eof; /* its FIN came during detection */
	zt_timer_arm(l, &c->t, PROXY_IDLE_MS);
	step(c);
}

void proxy_relay_events(struct pconn *c, struct zt_io *io, __u32 ev)
{
	(void)io;
	if (ev & EPOLLERR) {
		proxy_end(c, PX_END_RESET);
		return;
	}
	step(c);
}
