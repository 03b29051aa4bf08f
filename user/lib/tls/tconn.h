/* SPDX-License-Identifier: GPL-2.0 */
/* tconn.h — one tunnel connection: a TCP socket, TLS 1.3 over it, and a
 * stream session (session.h) over that, moved by the event loop. Reading
 * never waits on writing: what the session has to send goes out as the
 * socket takes it, and the session reads on meanwhile (its own limits say
 * when a peer that does not read is ended). ztd's tunnel endpoint and
 * ztconnector each keep several. */
#ifndef ZT_TCONN_H
#define ZT_TCONN_H

#include <stdbool.h>
#include "loop.h"
#include "session.h"
#include "tls.h"

struct zt_tconn {
	struct zt_io io;
	struct zt_loop *loop;
	struct ssl_st *ssl;
	struct zt_mux *mux;
	bool up;           /* TLS handshake done */
	bool down;         /* on_down was called */
	bool closing;      /* send what is queued, then end */
	bool busy;         /* inside the session's input (its callbacks): sending
			    * and ending wait until it returns */
	struct zt_timer flush_timer; /* zt_tconn_flush's: sends on the loop's next turn */
	__u32 watching;    /* the epoll events asked for */
	__u64 bytes_in, bytes_out; /* TLS bytes each way */
	/* TLS is up (the owner sends HELLO, or waits for it). */
	void (*on_up)(struct zt_tconn *c);
	/* It ended: why (a protocol error, closed, reset, a TLS failure). The
	 * last call for c: the owner may free it here. */
	void (*on_down)(struct zt_tconn *c, const char *why);
};

/* Starts c over fd (connected, non-blocking; c owns it from here), as
 * the TLS server or client, with a session of these limits and ops (arg
 * is the session's). 0 or -errno (fd is closed then). */
int zt_tconn_start(struct zt_tconn *c, struct zt_loop *l, int fd, struct ssl_ctx_st *ctx,
		   bool server, const struct zt_mux_limits *lim, const struct zt_mux_ops *ops,
		   void *arg);
/* After queueing frames: they are sent on the loop's next turn, never
 * from inside this call (so no caller's object, a bridge, a stream or c
 * itself, can be freed under it by what sending does: waking writers,
 * or the connection ending). */
void zt_tconn_flush(struct zt_tconn *c);
/* Sends what is queued (a GO_AWAY, a refusal) and then ends c (on_down;
 * never from inside this call when it comes from c's session callbacks). */
void zt_tconn_close_after_send(struct zt_tconn *c);
/* Ends c now: streams reset, socket closed; on_down is not called. */
void zt_tconn_free(struct zt_tconn *c);

#endif
