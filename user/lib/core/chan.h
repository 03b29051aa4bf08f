/* SPDX-License-Identifier: GPL-2.0 */
/* chan.h — a framed message channel over a stream socket (ztd and a proxy
 * worker, one socket pair each): frames of a u16 big-endian length and
 * that many bytes, read in as large chunks as arrive (many frames per
 * read under load) and written at once, with what the peer has not taken
 * yet kept in a bounded buffer and written when the socket can take it.
 *
 * Corked (zt_chan_cork), frames wait in the buffer until the last
 * uncork: many frames made in one turn of the loop go in one write. The
 * channel corks itself while it hands a read's frames to on_msg, so the
 * answers to a batch leave together.
 *
 * The owner embeds it and gives two callbacks: on_msg for each whole
 * frame (return non-zero to stop: the channel is then closed as a bad
 * peer), on_close once when it ends (the peer closed, an error, a frame
 * past ZT_CHAN_MAX, or the write buffer past its bound). After on_close
 * the fd is closed and nothing more is called back; zt_chan_open may be
 * called on it again, but not from inside its own callbacks. */
#ifndef ZT_CHAN_H
#define ZT_CHAN_H

#include <stddef.h>
#include <linux/types.h>
#include "loop.h"

#define ZT_CHAN_MAX 4096          /* a frame's body at most */
#define ZT_CHAN_IN  (64 * 1024)   /* read at once */

struct zt_chan {
	struct zt_io io;
	struct zt_loop *loop;
	__u8 *in;                     /* ZT_CHAN_IN: a frame cut by a read waits here */
	size_t in_len;
	__u8 *out;                    /* what the peer has not taken yet: */
	size_t out_off, out_len;      /* ... from out_off to out_len */
	size_t out_cap, out_max;
	unsigned cork;
	__u32 ev;
	bool dead;
	int (*on_msg)(struct zt_chan *ch, const __u8 *body, size_t len);
	void (*on_close)(struct zt_chan *ch, int err);
};

/* Starts ch on fd (non-blocking; it is the channel's now, closed by it).
 * out_max: bytes it may hold for a peer that does not read. 0 or -errno. */
int zt_chan_open(struct zt_chan *ch, struct zt_loop *l, int fd, size_t out_max);
/* One frame; 0, -EMSGSIZE (body too big), -ENOBUFS (the peer is not
 * reading: past out_max, nothing queued), -EPIPE (closed, or the socket
 * failed: on_close follows from the loop, never from inside this call). */
int zt_chan_send(struct zt_chan *ch, const void *body, size_t len);
/* Frames sent while corked wait for the last uncork (which writes them). */
void zt_chan_cork(struct zt_chan *ch);
void zt_chan_uncork(struct zt_chan *ch);
/* Bytes queued for the peer. */
static inline size_t zt_chan_queued(const struct zt_chan *ch)
{
	return ch->out_len - ch->out_off;
}
/* Closes it now, without calling on_close. */
void zt_chan_close(struct zt_chan *ch);

#endif
