// SPDX-License-Identifier: GPL-2.0
/* chan.c — a framed message channel over a stream socket (chan.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "chan.h"

static void watch(struct zt_chan *ch)
{
	__u32 ev = EPOLLIN | (zt_chan_queued(ch) ? EPOLLOUT : 0);

	if (ev != ch->ev && !zt_io_mod(ch->loop, &ch->io, ev))
		ch->ev = ev;
}

static void end(struct zt_chan *ch, int err)
{
	if (ch->dead)
		return;
	zt_chan_close(ch);
	if (ch->on_close)
		ch->on_close(ch, err);
}

/* Writes what it can of the queue: 0, or -errno when the socket failed. */
static int flush(struct zt_chan *ch)
{
	ssize_t n;

	while (zt_chan_queued(ch)) {
		n = send(ch->io.fd, ch->out + ch->out_off, zt_chan_queued(ch),
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		ch->out_off += (size_t)n;
	}
	if (ch->out_off == ch->out_len)
		ch->out_off = ch->out_len = 0;
	watch(ch);
	return 0;
}

static void on_io(struct zt_io *io, __u32 events)
{
	struct zt_chan *ch = (struct zt_chan *)((char *)io - offsetof(struct zt_chan, io));
	size_t off = 0, len;
	ssize_t n;
	int err;

	if ((events & EPOLLOUT) && (err = flush(ch))) {
		end(ch, err);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	n = recv(ch->io.fd, ch->in + ch->in_len, ZT_CHAN_IN - ch->in_len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		end(ch, n < 0 ? -errno : 0);
		return;
	}
	ch->in_len += (size_t)n;
	zt_chan_cork(ch);
	while (ch->in_len - off >= 2) {
		len = (size_t)ch->in[off] << 8 | ch->in[off + 1];
		if (len > ZT_CHAN_MAX) {
			end(ch, -EMSGSIZE);
			return;
		}
		if (ch->in_len - off - 2 < len)
			break;
		if (ch->on_msg(ch, ch->in + off + 2, len)) {
			end(ch, -EBADMSG);
			return;
		}
		if (ch->dead) /* closed from inside on_msg */
			return;
		off += 2 + len;
	}
	memmove(ch->in, ch->in + off, ch->in_len - off);
	ch->in_len -= off;
	zt_chan_uncork(ch);
}

void zt_chan_cork(struct zt_chan *ch)
{
	ch->cork++;
}

/* A failed write is the loop's to notice (on_close is never called from
 * inside a send). */
void zt_chan_uncork(struct zt_chan *ch)
{
	if (ch->cork && !--ch->cork && !ch->dead)
		flush(ch);
}

int zt_chan_open(struct zt_chan *ch, struct zt_loop *l, int fd, size_t out_max)
{
	int err;

	ch->loop = l;
	ch->io.fd = fd;
	ch->io.cb = on_io;
	ch->io.added = false;
	ch->in_len = ch->out_off = ch->out_len = ch->out_cap = 0;
	ch->cork = 0;
	ch->out = NULL;
	ch->out_max = out_max;
	ch->dead = false;
	ch->in = malloc(ZT_CHAN_IN);
	ch->ev = EPOLLIN;
	err = ch->in ? zt_io_add(l, &ch->io, EPOLLIN) : -ENOMEM;
	if (err) {
		free(ch->in);
		ch->in = NULL;
		ch->dead = true;
		close(fd);
		ch->io.fd = -1;
	}
	return err;
}

int zt_chan_send(struct zt_chan *ch, const void *body, size_t len)
{
	size_t need;

	if (ch->dead)
		return -EPIPE;
	if (len > ZT_CHAN_MAX)
		return -EMSGSIZE;
	if (zt_chan_queued(ch) + 2 + len > ch->out_max)
		return -ENOBUFS;
	if (ch->out_off && ch->out_len + 2 + len > ch->out_cap) {
		/* Room at the front: what is left moves there, once. */
		memmove(ch->out, ch->out + ch->out_off, zt_chan_queued(ch));
		ch->out_len -= ch->out_off;
		ch->out_off = 0;
	}
	need = ch->out_len + 2 + len;
	if (need > ch->out_cap) {
		size_t cap = ch->out_cap ? ch->out_cap : 4096;
		__u8 *p;

		while (cap < need)
			cap *= 2;
		p = realloc(ch->out, cap);
		if (!p)
			return -ENOBUFS;
		ch->out = p;
		ch->out_cap = cap;
	}
	ch->out[ch->out_len] = (__u8)(len >> 8);
	ch->out[ch->out_len + 1] = (__u8)len;
	memcpy(ch->out + ch->out_len + 2, body, len);
	ch->out_len = need;
	/* At once unless corked: a frame does not wait for the next turn of
	 * the loop. A failed socket is ended by the loop's next look at it
	 * (on_close is never called from inside a send). */
	if (ch->cork)
		return 0;
	return flush(ch) ? -EPIPE : 0;
}

void zt_chan_close(struct zt_chan *ch)
{
	if (ch->dead)
		return;
	ch->dead = true;
	zt_io_del(ch->loop, &ch->io);
	if (ch->io.fd >= 0)
		close(ch->io.fd);
	ch->io.fd = -1;
	free(ch->in);
	free(ch->out);
	ch->in = ch->out = NULL;
	ch->in_len = ch->out_off = ch->out_len = ch->out_cap = 0;
	ch->cork = 0;
}
