// SPDX-License-Identifier: GPL-2.0
/* pxw_relay.c — a proxied flow's bytes, both ways, with splice(2)
 * through a pipe per direction: they never cross into the worker's memory. A
 * FIN from one side is passed on as a FIN (half-close) once what it sent
 * is delivered; a reset from either side resets both; the flow ends when
 * both directions have ended, or after ZT_PXM_IDLE_MS with no byte. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "clock.h"
#include "log.h"
#include "pxw.h"

/* A pipe is born PROXY_PIPE big (Linux's 16 pages; 2 once the workers'
 * user is past fs.pipe-user-pages-soft): no F_SETPIPE_SZ. One kept from
 * an earlier connection saves making it (and closing it) at all. */
_Static_assert(PROXY_PIPE == 16 * 4096, "the size a pipe is made with");
static int dir_open(struct pxw *w, struct px_dir *d)
{
	int sz;

	if (w->n_pipes) { /* an empty one a connection gave back */
		w->n_pipes--;
		d->pipe[0] = w->pipes[w->n_pipes][0];
		d->pipe[1] = w->pipes[w->n_pipes][1];
		d->cap = PROXY_PIPE;
		return 0;
	}
	if (pipe2(d->pipe, O_NONBLOCK | O_CLOEXEC))
		return -errno;
	/* Its real size: past the user's pipe quota the kernel makes them
	 * smaller (and such a one is never kept for another connection). */
	sz = fcntl(d->pipe[1], F_GETPIPE_SZ);
	d->cap = sz > 0 ? (size_t)sz : PROXY_PIPE;
	return 0;
}

/* A direction that keeps filling its pipe is a bulk flow: a bigger pipe
 * moves it with fewer splices (while the count of big ones allows). */
static void dir_grow(struct pxw *w, struct px_dir *d)
{
	int n;

	if (d->cap >= PROXY_PIPE_BIG || d->nogrow || ++d->fills < 8 ||
	    w->big_pipes >= PROXY_BIG_PIPES)
		return;
	n = fcntl(d->pipe[1], F_SETPIPE_SZ, PROXY_PIPE_BIG);
	d->nogrow = n < PROXY_PIPE_BIG; /* not asked again on every fill */
	if (n >= PROXY_PIPE_BIG) {
		d->cap = (size_t)n;
		w->big_pipes++;
	}
}

void pxw_relay_free(struct wconn *c)
{
	struct px_dir *d[2] = { &c->cu, &c->uc };
	int i;

	struct pxw *w = c->w;

	for (i = 0; i < 2; i++) {
		if (d[i]->pipe[0] < 0)
			continue;
		/* Kept for the next connection only when empty (queued
		 * counts every byte spliced in and out: nothing of this flow
		 * can reach another) and of the size pipes are born with. */
		if (!d[i]->queued && d[i]->cap == PROXY_PIPE && w->n_pipes < PXW_PIPE_POOL) {
			w->pipes[w->n_pipes][0] = d[i]->pipe[0];
			w->pipes[w->n_pipes][1] = d[i]->pipe[1];
			w->n_pipes++;
		} else {
			close(d[i]->pipe[0]);
			close(d[i]->pipe[1]);
		}
		if (d[i]->cap >= PROXY_PIPE_BIG)
			w->big_pipes--;
		d[i]->cap = 0;
		d[i]->pipe[0] = d[i]->pipe[1] = -1;
	}
}

/* Moves what it can from `from` to `to` through d: 0, or -ECONNRESET
 * (a side reset, or another error). */
static int pump(struct pxw *w, struct px_dir *d, int from, int to)
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
			dir_grow(w, d);
	}
	if (!d->shut && !d->queued) {
		shutdown(to, SHUT_WR);
		d->shut = true;
	}
	return 0;
}

/* The events each socket waits for now, or the end. */
static void rearm(struct wconn *c)
{
	struct zt_loop *l = c->w->loop;
	__u32 ce = 0, ue = 0;

	if (c->cu.shut && c->uc.shut) {
		pxw_end(c, ZT_PXE_CLOSED, 0, false);
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
		pxw_end(c, ZT_PXE_ERROR, 0, false);
}

/* Sends p[*sent..len) upstream: 0 all sent, 1 the socket is full, -1 it
 * failed. */
static int send_head(struct wconn *c, const __u8 *p, size_t len, size_t *sent)
{
	ssize_t n;

	while (*sent < len) {
		n = send(c->u.fd, p + *sent, len - *sent, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			return 1;
		if (n <= 0)
			return -1;
		*sent += (size_t)n;
	}
	return 0;
}

static void step(struct wconn *c)
{
	__u64 moved = c->cu.bytes + c->uc.bytes;
	size_t sent = c->sent;
	int r;

	/* The bytes detection read first. */
	r = send_head(c, c->buf, c->len, &sent);
	c->cu.bytes += (__u64)(sent - c->sent);
	c->sent = sent;
	if (c->buf && c->sent == c->len) { /* its memory back: the rest is spliced */
		free(c->buf);
		c->buf = NULL;
	}
	if (r > 0) {
		rearm(c);
		return;
	}
	if (r < 0) {
		pxw_end(c, ZT_PXE_RESET, 0, false);
		return;
	}
	if (pump(c->w, &c->cu, c->c.fd, c->u.fd) || pump(c->w, &c->uc, c->u.fd, c->c.fd)) {
		pxw_end(c, ZT_PXE_RESET, 0, false);
		return;
	}
	/* Idle means no byte moved: readiness alone does not count. */
	if (c->cu.bytes + c->uc.bytes != moved)
		zt_timer_arm(c->w->loop, &c->t, ZT_PXM_IDLE_MS);
	rearm(c);
}

void pxw_relay_start(struct wconn *c)
{
	struct zt_loop *l = c->w->loop;

	if (dir_open(c->w, &c->cu) || dir_open(c->w, &c->uc)) {
		pxw_end(c, ZT_PXE_ERROR, 0, false);
		return;
	}
	c->st = ZT_PXS_RELAY;
	c->cu.eof = c->client_eof; /* its FIN came during detection */
	zt_timer_arm(l, &c->t, ZT_PXM_IDLE_MS);
	step(c);
}

void pxw_relay_events(struct wconn *c, __u32 ev)
{
	if (ev & EPOLLERR) {
		pxw_end(c, ZT_PXE_RESET, 0, false);
		return;
	}
	step(c);
}
