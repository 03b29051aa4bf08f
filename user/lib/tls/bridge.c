// SPDX-License-Identifier: GPL-2.0
/* bridge.c — see bridge.h. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "bridge.h"
#include "clock.h"

struct zt_bridge {
	struct zt_io io;
	struct zt_timer timer;        /* the connect's deadline, or the OPEN's */
	struct zt_tconn *t;
	struct zt_mux_stream *s;
	__u8 *buf;                    /* read from the socket, not yet taken by the stream */
	size_t off, len;
	bool connecting;
	bool opening;                 /* a stream this side opened, not accepted yet */
	bool sock_eof;                /* the socket's peer finished sending */
	bool fin_sent;                /* ... and the stream was told (FIN) */
	bool fin_in;                  /* the stream's peer finished sending */
	bool wr_shut;                 /* ... and the socket was told (shutdown) */
	bool dgram;                   /* a datagram bridge: a UDP socket, framed */
	__u32 idle_ms;                /* ... ended after this long with nothing either way */
	__u64 last_ms;                /* ... its last datagram */
	__u64 dropped;                /* ... datagrams dropped */
	bool kick;                    /* ... the stream has bytes to move on the next turn */
	__u32 want_mark;              /* ... only datagrams with this mark (0: any) */
	__u64 foreign;                /* ... datagrams without it */
	__u32 watching;
	__u64 in, out;
	zt_bridge_done_fn done;
	void *arg;
};

static void dstep(struct zt_bridge *b);

#define bridge_of(p, m) ((struct zt_bridge *)((char *)(p) - offsetof(struct zt_bridge, m)))

static void finish(struct zt_bridge *b, const char *why, __u32 code, bool rst_sock,
		   bool rst_stream)
{
	struct zt_loop *l = b->t->loop;

	zt_timer_stop(l, &b->timer);
	zt_io_del(l, &b->io);
	if (rst_sock) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(b->io.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(b->io.fd);
	if (b->s) {
		zt_mux_set_user(b->s, NULL);
		zt_mux_release(b->s, rst_stream ? code : ZT_MUX_E_NONE);
		b->s = NULL;
	}
	zt_tconn_flush(b->t);
	b->done(b->arg, b, why, code, b->in, b->out);
	free(b->buf);
	free(b);
}

void zt_bridge_abort(struct zt_bridge *b, __u32 code, const char *why)
{
	finish(b, why, code, true, true);
}

static void watch(struct zt_bridge *b, __u32 ev)
{
	if (ev == b->watching)
		return;
	if (zt_io_mod(b->t->loop, &b->io, ev)) {
		zt_bridge_abort(b, ZT_MUX_E_NONE, "cannot watch the socket");
		return;
	}
	b->watching = ev;
}

/* Moves what can move each way, then watches for what waits. */
static void step(struct zt_bridge *b)
{
	const __u8 *p;
	__u32 ev = 0;
	ssize_t n;
	size_t k;

	/* stream -> socket */
	while ((k = zt_mux_peek(b->s, &p)) > 0) {
		n = send(b->io.fd, p, k, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN) {
			ev |= EPOLLOUT;
			break;
		}
		if (n <= 0) {
			finish(b, "the socket was reset", ZT_MUX_E_NONE, true, true);
			return;
		}
		zt_mux_consume(b->s, (size_t)n);
		b->out += (__u64)n;
	}
	if (b->fin_in && !zt_mux_peek(b->s, &p) && !b->wr_shut) {
		shutdown(b->io.fd, SHUT_WR);
		b->wr_shut = true;
	}
	/* socket -> stream, as far as its window goes */
	for (;;) {
		if (b->off < b->len) {
			n = zt_mux_write(b->s, b->buf + b->off, b->len - b->off);
			if (n < 0) {
				finish(b, "the tunnel connection ended", ZT_MUX_E_GONE, true, false);
				return;
			}
			b->off += (size_t)n;
			b->in += (__u64)n;
			if (b->off < b->len)
				break; /* a WINDOW event says when it takes more */
		}
		if (b->sock_eof)
			break;
		if (!b->buf && !(b->buf = malloc(ZT_BRIDGE_BUF))) {
			finish(b, "out of memory", ZT_MUX_E_NONE, true, true);
			return;
		}
		n = recv(b->io.fd, b->buf, ZT_BRIDGE_BUF, MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN) {
			ev |= EPOLLIN;
			break;
		}
		if (n < 0) {
			finish(b, "the socket was reset", ZT_MUX_E_NONE, true, true);
			return;
		}
		b->off = 0;
		b->len = (size_t)n;
		if (!n)
			b->sock_eof = true;
	}
	if (b->off == b->len && b->buf) { /* an idle flow holds no buffer */
		free(b->buf);
		b->buf = NULL;
		b->off = b->len = 0;
	}
	if (b->sock_eof && b->off == b->len && !b->fin_sent) {
		zt_mux_close(b->s);
		b->fin_sent = true;
	}
	zt_tconn_flush(b->t);
	if (b->fin_sent && b->wr_shut) {
		finish(b, NULL, ZT_MUX_E_NONE, false, false);
		return;
	}
	watch(b, ev);
}

static __u32 err_code(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return ZT_MUX_E_REFUSED;
	case ETIMEDOUT:
		return ZT_MUX_E_TIMEOUT;
	default:
		return ZT_MUX_E_UNREACHABLE;
	}
}

static void on_io(struct zt_io *io, __u32 events)
{
	struct zt_bridge *b = bridge_of(io, io);
	int err = 0;
	socklen_t el = sizeof(err);

	if (b->dgram) {
		dstep(b);
		return;
	}
	if (b->connecting) {
		if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &el) || err) {
			finish(b, "the origin did not take the connection", err_code(err), false,
			       true);
			return;
		}
		b->connecting = false;
		zt_timer_stop(b->t->loop, &b->timer);
		if (zt_mux_accept(b->s)) {
			finish(b, "the tunnel connection ended", ZT_MUX_E_GONE, true, false);
			return;
		}
	} else if ((events & EPOLLERR) && !(events & (EPOLLIN | EPOLLOUT))) {
		finish(b, "the socket failed", ZT_MUX_E_NONE, true, true);
		return;
	}
	step(b);
}

/* ---- datagrams ------------------------------------------------------------- */

/* One datagram read at a time, for every datagram bridge (one thread):
 * two bytes for its length, then its bytes. An idle flow holds no buffer. */
static __u8 dbuf[2 + ZT_BRIDGE_BUF];

/* The datagram in dbuf + 2 (n bytes) onto the stream, whole, or dropped. */
static int dgram_push(struct zt_bridge *b, size_t n)
{
	size_t off = 0;
	ssize_t k;

	if (n > ZT_DGRAM_MAX || zt_mux_room(b->s) < n + 2) {
		b->dropped++;
		return 0;
	}
	dbuf[0] = (__u8)(n >> 8);
	dbuf[1] = (__u8)n;
	while (off < n + 2) {
		k = zt_mux_write(b->s, dbuf + off, n + 2 - off);
		if (k <= 0) { /* the room was there: the session is over */
			finish(b, "the tunnel connection ended", ZT_MUX_E_GONE, false, false);
			return -EPIPE;
		}
		off += (size_t)k;
	}
	b->in += n;
	b->last_ms = zt_mono_ms();
	return 0;
}

/* A datagram read from the socket into dbuf + 2: its length, 0 when none
 * is waiting (EAGAIN), -1 for one dropped (an ICMP error for an earlier
 * one, or without the mark the guard wants), or -2 when the socket
 * failed. */
static ssize_t dgram_read(struct zt_bridge *b)
{
	union {
		struct cmsghdr h;
		__u8 b[64];
	} ctl;
	struct iovec iov = { dbuf + 2, sizeof(dbuf) - 2 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	__u32 mark = 0;
	ssize_t n;

	if (b->want_mark) {
		mh.msg_control = ctl.b;
		mh.msg_controllen = sizeof(ctl.b);
	}
	n = recvmsg(b->io.fd, &mh, MSG_DONTWAIT);
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n < 0 && (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH ||
		      errno == EHOSTDOWN || errno == ENONET || errno == EACCES ||
		      errno == ENOPROTOOPT || errno == EMSGSIZE))
		return -1; /* an ICMP error about an earlier datagram */
	if (n < 0)
		return -2;
	if (!b->want_mark)
		return n;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_MARK &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(mark)))
			memcpy(&mark, CMSG_DATA(cm), sizeof(mark));
	if (mark != b->want_mark) {
		b->foreign++;
		return -1;
	}
	return n;
}

static void dstep(struct zt_bridge *b)
{
	const __u8 *p;
	size_t k, len;
	ssize_t n;
	int i;

	/* stream -> socket: whole datagrams, each sent or dropped; a
	 * bounded batch (a window of 1 MiB holds many small ones), the
	 * rest on the loop's next turn */
	for (i = 0; i < 64 && (k = zt_mux_peek(b->s, &p)) >= 2; i++) {
		len = (size_t)p[0] << 8 | p[1];
		if (len > ZT_DGRAM_MAX) {
			finish(b, "a datagram frame longer than a datagram", ZT_MUX_E_PROTO, true,
			       true);
			return;
		}
		if (k < len + 2)
			break; /* the rest of it is coming */
		if (send(b->io.fd, p + 2, len, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)len)
			b->dropped++;
		else
			b->out += len;
		zt_mux_consume(b->s, len + 2);
		b->last_ms = zt_mono_ms();
	}
	if (i == 64 && zt_mux_peek(b->s, &p) >= 2) {
		b->kick = true;
		zt_timer_arm(b->t->loop, &b->timer, 0);
	}
	if (b->fin_in && !b->kick) {
		/* The peer sends no more: a partial frame left is never whole. */
		finish(b, NULL, ZT_MUX_E_NONE, false, true);
		return;
	}
	/* socket -> stream: a bounded batch, then the loop's other work */
	for (i = 0; i < 64; i++) {
		n = dgram_read(b);
		if (!n)
			break;
		if (n == -1) {
			b->dropped++;
			continue;
		}
		if (n < 0) {
			finish(b, "the socket failed", ZT_MUX_E_UNREACHABLE, false, true);
			return;
		}
		if (dgram_push(b, (size_t)n))
			return;
	}
	zt_tconn_flush(b->t);
}

void zt_bridge_dgram_guard(struct zt_bridge *b, __u32 mark)
{
	b->want_mark = mark;
}

void zt_bridge_dgram_in(struct zt_bridge *b, const void *p, size_t n)
{
	if (n > ZT_DGRAM_MAX) {
		b->dropped++;
		return;
	}
	memcpy(dbuf + 2, p, n);
	if (!dgram_push(b, n))
		zt_tconn_flush(b->t);
}

__u64 zt_bridge_dropped(const struct zt_bridge *b)
{
	return b->dropped;
}

void zt_bridge_bytes(const struct zt_bridge *b, __u64 *in, __u64 *out)
{
	*in = b->in;
	*out = b->out;
}

static void on_timer(struct zt_timer *t)
{
	struct zt_bridge *b = bridge_of(t, timer);
	__u64 now = zt_mono_ms();

	if (!b->dgram) {
		if (b->opening)
			finish(b, "the connector did not take the stream in time",
			       ZT_MUX_E_TIMEOUT, true, true);
		else
			finish(b, "the origin did not answer in time", ZT_MUX_E_TIMEOUT, false,
			       true);
		return;
	}
	if (b->kick) {
		b->kick = false;
		zt_timer_arm(b->t->loop, &b->timer, b->idle_ms);
		dstep(b);
		return;
	}
	if (now - b->last_ms >= b->idle_ms) {
		finish(b, "idle", ZT_MUX_E_IDLE, false, true);
		return;
	}
	zt_timer_arm(b->t->loop, &b->timer, b->idle_ms - (now - b->last_ms));
}

/* A bridge of fd and s, watching ev; NULL (fd closed, s released) when
 * out of memory. */
static struct zt_bridge *bridge_make(struct zt_tconn *t, struct zt_mux_stream *s, int fd,
				     bool dgram, __u32 ev, zt_bridge_done_fn done, void *arg)
{
	struct zt_bridge *b = calloc(1, sizeof(*b));

	if (b) {
		b->t = t;
		b->s = s;
		b->io.fd = fd;
		b->io.cb = on_io;
		b->timer.cb = on_timer;
		b->dgram = dgram;
		b->fin_in = zt_mux_fin_seen(s); /* before the bridge: no event said it */
		b->done = done;
		b->arg = arg;
		b->watching = ev;
		zt_mux_set_user(s, b);
		if (!zt_io_add(t->loop, &b->io, ev))
			return b;
		zt_mux_set_user(s, NULL);
		free(b);
	}
	zt_mux_release(s, ZT_MUX_E_BUSY);
	close(fd);
	return NULL;
}

int zt_bridge_new(struct zt_tconn *t, struct zt_mux_stream *s, int fd, bool connecting,
		  zt_bridge_done_fn done, void *arg)
{
	struct zt_bridge *b = bridge_make(t, s, fd, false, connecting ? EPOLLOUT : EPOLLIN, done,
					  arg);

	if (!b)
		return -ENOMEM;
	b->connecting = connecting;
	if (connecting)
		zt_timer_arm(t->loop, &b->timer, ZT_BRIDGE_CONNECT_MS);
	else
		step(b);
	return 0;
}

struct zt_bridge *zt_bridge_carry(struct zt_tconn *t, struct zt_mux_stream *s, int fd,
				  const void *pre, size_t pre_len, zt_bridge_done_fn done,
				  void *arg)
{
	__u8 *buf = NULL;
	struct zt_bridge *b;

	if (pre_len > ZT_BRIDGE_BUF || (pre_len && !(buf = malloc(ZT_BRIDGE_BUF)))) {
		zt_mux_release(s, ZT_MUX_E_BUSY);
		close(fd);
		return NULL;
	}
	/* A connected socket is writable: the first turn's EPOLLOUT runs step. */
	b = bridge_make(t, s, fd, false, EPOLLIN | EPOLLOUT, done, arg);
	if (!b) {
		free(buf);
		return NULL;
	}
	if (pre_len) {
		memcpy(buf, pre, pre_len);
		b->buf = buf;
		b->len = pre_len;
	}
	b->opening = true;
	zt_timer_arm(t->loop, &b->timer, ZT_BRIDGE_OPEN_MS);
	return b;
}

struct zt_bridge *zt_bridge_new_dgram(struct zt_tconn *t, struct zt_mux_stream *s, int fd,
				      __u32 idle_ms, zt_bridge_done_fn done, void *arg)
{
	struct zt_bridge *b = bridge_make(t, s, fd, true, EPOLLIN, done, arg);

	if (!b)
		return NULL;
	b->idle_ms = idle_ms ? idle_ms : 1;
	b->last_ms = zt_mono_ms();
	/* A new socket has nothing yet. The stream may: datagrams that came
	 * while the connector resolved its name. They are moved on the
	 * loop's next turn (never before this returns). */
	b->kick = b->fin_in || zt_mux_peek(s, &(const __u8 *){ NULL }) > 0;
	zt_timer_arm(t->loop, &b->timer, b->kick ? 0 : b->idle_ms);
	return b;
}

void zt_bridge_event(struct zt_bridge *b, unsigned evs)
{
	if (evs & ZT_MUXE_RST) {
		__u32 code = zt_mux_rst_code(b->s);

		finish(b, code == ZT_MUX_E_GONE ? "the tunnel connection ended" :
			  "the stream was reset", code, true, false);
		return;
	}
	if ((evs & ZT_MUXE_ACK) && b->opening) {
		b->opening = false;
		zt_timer_stop(b->t->loop, &b->timer);
	}
	if (evs & ZT_MUXE_FIN)
		b->fin_in = true;
	if (b->dgram)
		dstep(b);
	else if (!b->connecting)
		step(b);
}
