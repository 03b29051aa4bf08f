// SPDX-License-Identifier: GPL-2.0
/* tconn.c — see tconn.h. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "tconn.h"

#define READS_PER_TURN 16   /* then the loop serves others */

static void down(struct zt_tconn *c, const char *why)
{
	if (c->down)
		return;
	c->down = true;
	zt_io_del(c->loop, &c->io);
	zt_timer_stop(c->loop, &c->flush_timer);
	c->on_down(c, why);
}

static void watch(struct zt_tconn *c, __u32 ev)
{
	if (ev != c->watching && !zt_io_mod(c->loop, &c->io, ev))
		c->watching = ev;
}

/* Sends what the session has queued, as far as the socket takes it:
 * 0, or -errno when the connection failed. Sets *blocked when TLS waits.
 * The records leave together (tbio.h): one send for a burst. */
static int send_out(struct zt_tconn *c, bool *blocked)
{
	const __u8 *p;
	size_t n;
	ssize_t w;
	bool ww;
	int err;

	*blocked = false;
	while ((n = zt_mux_out(c->mux, &p)) > 0) {
		w = zt_tls_write(c->ssl, p, n, &ww);
		if (w == -EAGAIN) {
			*blocked = true;
			break;
		}
		if (w < 0)
			return (int)w;
		c->bytes_out += (size_t)w;
		zt_mux_out_done(c->mux, (size_t)w);
	}
	err = zt_tls_flush(c->ssl);
	if (err == -EAGAIN) {
		*blocked = true;
		return 0;
	}
	return err;
}

static void settle(struct zt_tconn *c)
{
	bool blocked = false;
	const __u8 *p;
	int err, round;

	for (round = 0; round < 8; round++) {
		err = send_out(c, &blocked);
		if (err) {
			down(c, err == -EPIPE || err == -ECONNRESET ? "connection reset" :
				zt_tls_error(c->ssl));
			return;
		}
		if (blocked)
			break;
		/* Room again: streams that waited for it write now (what
		 * they queue goes out in the next round). */
		c->busy = true;
		zt_mux_wake(c->mux);
		c->busy = false;
		if (c->down || !zt_mux_out(c->mux, &p))
			break;
	}
	if (c->down)
		return;
	if (c->closing && !zt_mux_out(c->mux, &p) && !zt_tls_unsent(c->ssl)) {
		down(c, "closed after its last words");
		return;
	}
	/* Output left (TLS waits, or the rounds ran out): the way out is
	 * watched. Closing, its input is not read. */
	if (zt_mux_out(c->mux, &p) || zt_tls_unsent(c->ssl))
		blocked = true;
	watch(c, c->closing ? EPOLLOUT : EPOLLIN | (blocked ? EPOLLOUT : 0));
}

static void on_io(struct zt_io *io, __u32 events);

static void on_flush(struct zt_timer *t)
{
	struct zt_tconn *c = (struct zt_tconn *)((char *)t - offsetof(struct zt_tconn, flush_timer));

	if (c->down || !c->up)
		return;
	if (zt_tls_pending(c->ssl) && !c->closing)
		on_io(&c->io, EPOLLIN); /* read ahead, which epoll does not show */
	else
		settle(c); /* the last use of c: it may end here */
}

static void on_io(struct zt_io *io, __u32 events)
{
	struct zt_tconn *c = (struct zt_tconn *)((char *)io - offsetof(struct zt_tconn, io));
	__u8 buf[16384];
	ssize_t r;
	bool ww;
	int i, err, fl;

	(void)events;
	if (!c->up) {
		err = zt_tls_handshake(c->ssl, &ww);
		if (err < 0 && err != -EAGAIN) { /* (a pin mismatch says so) */
			down(c, err == -EPROTO ? zt_tls_error(c->ssl) : "connection reset in TLS");
			return;
		}
		fl = zt_tls_flush(c->ssl); /* the flight it wrote */
		if (fl && fl != -EAGAIN) {
			down(c, "connection reset in TLS");
			return;
		}
		if (err == -EAGAIN) {
			watch(c, (ww ? EPOLLOUT : EPOLLIN) | (fl ? EPOLLOUT : 0));
			return;
		}
		c->up = true;
		c->on_up(c);
		if (c->down)
			return;
	}
	for (i = 0; i < READS_PER_TURN && !c->closing; i++) {
		r = zt_tls_read(c->ssl, buf, sizeof(buf), &ww);
		if (r == -EAGAIN)
			break;
		if (r == 0) {
			down(c, "closed by the peer");
			return;
		}
		if (r < 0) {
			down(c, r == -EPROTO ? zt_tls_error(c->ssl) : "connection reset");
			return;
		}
		c->bytes_in += (size_t)r;
		c->busy = true;
		err = zt_mux_input(c->mux, buf, (size_t)r);
		c->busy = false;
		if (c->down)
			return;
		if (err) {
			down(c, zt_mux_why(c->mux));
			return;
		}
	}
	if (!c->closing && zt_tls_pending(c->ssl))
		zt_tconn_flush(c); /* the rest next turn: epoll does not see it */
	settle(c);
}

int zt_tconn_start(struct zt_tconn *c, struct zt_loop *l, int fd, struct ssl_ctx_st *ctx,
		   bool server, const struct zt_mux_limits *lim, const struct zt_mux_ops *ops,
		   void *arg)
{
	int err, one = 1;

	/* Frames are written whole as they come: small ones (an OPEN, a
	 * window update) must not wait for the peer's delayed ACK. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->loop = l;
	c->io.fd = fd;
	c->io.cb = on_io;
	c->flush_timer.cb = on_flush;
	c->up = c->down = c->closing = c->busy = false;
	c->bytes_in = c->bytes_out = 0;
	c->ssl = zt_tls_new(ctx, fd, server);
	c->mux = zt_mux_new(!server, lim, ops, arg);
	if (!c->ssl || !c->mux) {
		err = -ENOMEM;
		goto fail;
	}
	c->watching = server ? EPOLLIN : EPOLLOUT;
	err = zt_io_add(l, &c->io, c->watching);
	if (err)
		goto fail;
	return 0;
fail:
	zt_mux_free(c->mux);
	zt_tls_free(c->ssl);
	c->mux = NULL;
	c->ssl = NULL;
	close(fd);
	return err;
}

void zt_tconn_flush(struct zt_tconn *c)
{
	if (!c->down && !zt_timer_armed(&c->flush_timer))
		zt_timer_arm(c->loop, &c->flush_timer, 0);
}

void zt_tconn_close_after_send(struct zt_tconn *c)
{
	c->closing = true;
	zt_tconn_flush(c);
}

void zt_tconn_free(struct zt_tconn *c)
{
	zt_timer_stop(c->loop, &c->flush_timer);
	if (!c->down)
		zt_io_del(c->loop, &c->io);
	c->down = true;
	if (c->mux)
		zt_mux_abort(c->mux);
	zt_mux_free(c->mux);
	zt_tls_free(c->ssl);
	if (c->io.fd >= 0)
		close(c->io.fd);
	c->io.fd = -1;
	c->mux = NULL;
	c->ssl = NULL;
}
