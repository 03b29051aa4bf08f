/* SPDX-License-Identifier: GPL-2.0 */
/* session.h — one tunnel connection's streams over the frames of mux.h,
 * as yamux carries them (docs/tunnel.md): streams opened by either side
 * (the connector, which dials, odd ids; the gateway even), a receive
 * window per stream that the reader's consumption re-opens, windows that
 * grow for streams whose reader keeps up, and a cap on the memory all
 * windows of a session may hold at once: a stream that would pass it is
 * refused (ZT_MUX_E_BUSY), never buffered past it. A slow stream holds
 * at most its own window and never stalls the others.
 *
 * No I/O and no clock: the owner feeds the bytes it read to
 * zt_mux_input, sends what zt_mux_out gives, and hears of streams through
 * ops (from zt_mux_input, zt_mux_wake and zt_mux_abort only). Callbacks
 * may open, write, close and release streams, never free or abort the
 * session (do that once the call has returned). ztd's tunnel endpoint and
 * ztconnector use it alike. */
#ifndef ZT_SESSION_H
#define ZT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include "mux.h"

#define ZT_MUX_WINDOW0 (64 * 1024)       /* a stream's window at open: both sides assume it */
#define ZT_MUX_WINDOW_MAX (1024 * 1024)  /* ... grown to at most on the session's mem_max */
#define ZT_MUX_WINDOW_BIG (4 * 1024 * 1024) /* ... and on to this on a shared budget */
#define ZT_MUX_BIG_BUDGET (64u << 20)    /* what ztd and the connector give it */
#define ZT_MUX_BIG_SHARES 8              /* a session takes at most 1/8 of it */
#define ZT_MUX_FRAME_DATA (64 * 1024)    /* a DATA frame this side sends: body at most */

struct zt_mux;
struct zt_mux_stream;

/* The part of windows past ZT_MUX_WINDOW_MAX, shared by the sessions
 * that point to it (one process, one loop: no lock). A window grows past
 * ZT_MUX_WINDOW_MAX only while used stays within max, and its session's
 * part within max / ZT_MUX_BIG_SHARES (one session, a busy tunnel
 * connection or an access client, never takes what all the others
 * share); what a stream took comes back when it goes. */
struct zt_mux_budget {
	size_t used, max;
};

struct zt_mux_limits {
	__u32 max_streams;  /* live at once (0: 4096; at most 65536) */
	size_t mem_max;     /* receive windows all streams hold (0: 256 MiB) */
	size_t out_max;     /* bytes queued to send before the peer is deemed
			     * not to read (0: 4 MiB); data writes stop at half */
	struct zt_mux_budget *big; /* NULL: windows stop at ZT_MUX_WINDOW_MAX */
};

/* What happened to a stream: a mask of these per call. */
enum {
	ZT_MUXE_DATA = 0x1,   /* bytes to zt_mux_peek */
	ZT_MUXE_WINDOW = 0x2, /* zt_mux_write may take more */
	ZT_MUXE_ACK = 0x4,    /* the peer accepted a stream this side opened */
	ZT_MUXE_FIN = 0x8,    /* the peer sends nothing more (after what is buffered) */
	ZT_MUXE_RST = 0x10,   /* reset or refused: zt_mux_rst_code says why; release it */
};

struct zt_mux_ops {
	/* The peer opened s to o: return 0 and s is the owner's (zt_mux_accept
	 * once the origin answers, or zt_mux_release with a code), or an enum
	 * zt_mux_err to refuse it at once (then s is gone: not released). */
	int (*open)(void *arg, struct zt_mux_stream *s, const struct zt_mux_open *o);
	void (*event)(void *arg, struct zt_mux_stream *s, unsigned evs);
	/* HELLO with SYN (h: a connector's) or ACK (h NULL: the gateway took
	 * it). Non-zero: a protocol error, the session ends. */
	int (*hello)(void *arg, __u16 flags, const struct zt_mux_hello *h);
	void (*pong)(void *arg, __u32 opaque);     /* may be NULL */
	void (*goaway)(void *arg, __u32 code);     /* may be NULL */
};

struct zt_mux_stats {
	__u64 opened_in, opened_out;  /* streams opened by the peer, by this side */
	__u64 refused;                /* the peer's opens refused at a limit */
	__u64 ignored;                /* frames for streams already gone */
	__u64 frames_in, frames_out;
	__u64 bytes_in, bytes_out;    /* stream data, each way */
	__u32 streams;                /* live now */
	size_t reserved;              /* receive windows held, all streams */
	size_t buffered;              /* received bytes not yet consumed */
};

struct zt_mux *zt_mux_new(bool initiator, const struct zt_mux_limits *lim,
			  const struct zt_mux_ops *ops, void *arg);
/* Frees the session and every stream left (their owners must forget them). */
void zt_mux_free(struct zt_mux *m);
/* Bytes read from the connection. 0, or the session is over: -EPROTO (a
 * frame that breaks the protocol; zt_mux_why says which) or -ENOBUFS (the
 * peer does not read what it is sent). */
int zt_mux_input(struct zt_mux *m, const void *p, size_t n);
const char *zt_mux_why(const struct zt_mux *m);
/* What to send next (the bytes stay until zt_mux_out_done). */
size_t zt_mux_out(const struct zt_mux *m, const __u8 **p);
void zt_mux_out_done(struct zt_mux *m, size_t n);
/* Once what was sent made room: streams whose writes it held back get
 * ZT_MUXE_WINDOW (call it outside the session's other calls). */
void zt_mux_wake(struct zt_mux *m);
/* After HELLO: streams may open (until then only HELLO, PING, GO_AWAY). */
void zt_mux_set_ready(struct zt_mux *m);
int zt_mux_hello(struct zt_mux *m, __u16 flags, const struct zt_mux_hello *h);
int zt_mux_ping(struct zt_mux *m, __u32 opaque);
/* No more streams from the peer (those live go on); code on the wire. */
int zt_mux_goaway(struct zt_mux *m, __u32 code);
bool zt_mux_goaway_seen(const struct zt_mux *m);
/* The connection is gone: every stream's owner gets ZT_MUXE_RST with
 * ZT_MUX_E_GONE (and releases it). */
void zt_mux_abort(struct zt_mux *m);
const struct zt_mux_stats *zt_mux_stats(const struct zt_mux *m);

/* A stream to o (its OPEN sent; data may follow before the ACK): NULL with
 * *err -ESHUTDOWN (GO_AWAY either way), -EMFILE (max_streams), -ENOBUFS
 * (mem_max), -EOVERFLOW (ids used up), -EPIPE (session over). */
struct zt_mux_stream *zt_mux_open(struct zt_mux *m, const struct zt_mux_open *o, void *user,
				  int *err);
int zt_mux_accept(struct zt_mux_stream *s);
/* Bytes taken (at most the send window; 0: none now, a later
 * ZT_MUXE_WINDOW says when), or -EPIPE (closed, reset, session over). */
ssize_t zt_mux_write(struct zt_mux_stream *s, const void *p, size_t n);
/* Bytes zt_mux_write calls would take now, one after another (a whole
 * datagram goes only when it fits). 0 when closed, reset or over. */
size_t zt_mux_room(const struct zt_mux_stream *s);
/* Received bytes in order: peek, then consume what was used. */
size_t zt_mux_peek(const struct zt_mux_stream *s, const __u8 **p);
void zt_mux_consume(struct zt_mux_stream *s, size_t n);
/* This side sends nothing more (FIN). */
int zt_mux_close(struct zt_mux_stream *s);
/* The owner is done with s: unless both sides finished (or it was
 * reset), the peer is told with a RST carrying code. s is freed. */
void zt_mux_release(struct zt_mux_stream *s, __u32 code);

__u32 zt_mux_id(const struct zt_mux_stream *s);
void *zt_mux_user(const struct zt_mux_stream *s);
void zt_mux_set_user(struct zt_mux_stream *s, void *user);
__u32 zt_mux_rst_code(const struct zt_mux_stream *s);
/* The peer sent FIN on s (its bytes may still be buffered). */
bool zt_mux_fin_seen(const struct zt_mux_stream *s);
__u32 zt_mux_send_window(const struct zt_mux_stream *s);
__u32 zt_mux_recv_window(const struct zt_mux_stream *s);

#endif
