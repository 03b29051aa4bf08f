/* SPDX-License-Identifier: GPL-2.0 */
/* session_int.h — what session.c (streams, output, the session) and
 * session_in.c (reading frames) share: the structs and the helpers. */
#ifndef ZT_SESSION_INT_H
#define ZT_SESSION_INT_H

#include "session.h"

struct zt_mux_stream {
	struct zt_mux *m;
	struct zt_mux_stream *hnext;        /* hash chain */
	struct zt_mux_stream *prev, *next;  /* the session's list */
	void *user;
	__u32 id;
	__u32 send_window;                  /* what the peer lets this side send */
	__u32 recv_window;                  /* what the peer may still send */
	__u32 win_size;                     /* recv_window + buffered + pending */
	__u32 pending;                      /* consumed, not yet given back */
	__u32 rst_code;
	bool linked;                        /* in the hash and the list */
	bool orphan;                        /* on the orphans' list (after abort) */
	bool ours, accepted, acked, fin_in, fin_out, rst, want_write;
	__u8 *rbuf;
	size_t roff, rlen, rcap;
};

struct zt_mux {
	struct zt_mux_limits lim;
	const struct zt_mux_ops *ops;
	void *arg;
	bool initiator, ready, hello_seen, goaway_in, goaway_out, dead;
	int err;                            /* why the session is over: -EPROTO, -ENOBUFS */
	const char *why;
	/* input */
	__u8 hdr[ZT_MUX_HDR];
	size_t hdr_have;
	struct zt_mux_hdr h;
	bool in_body;
	size_t body_left;
	struct zt_mux_stream *cur;          /* DATA's stream; NULL: discard */
	__u8 rec[ZT_MUX_REC_MAX];
	size_t rec_have;
	__u32 last_in, next_out;
	/* streams */
	struct zt_mux_stream **bucket;
	__u32 nbucket;
	struct zt_mux_stream *head;
	struct zt_mux_stream *orphans;      /* aborted, not yet released by their owners */
	/* output */
	__u8 *out;
	size_t out_off, out_len, out_cap;
	struct zt_mux_stats st;
	size_t big_held;                    /* of lim.big: this session's streams' */
};

size_t mux_backlog(const struct zt_mux *m);
int mux_put_frame(struct zt_mux *m, __u8 type, __u16 flags, __u32 id, __u32 len, const void *body,
	      size_t blen);
struct zt_mux_stream *mux_find(const struct zt_mux *m, __u32 id);
struct zt_mux_stream *mux_stream_new(struct zt_mux *m, __u32 id, bool ours);
void mux_stream_free(struct zt_mux_stream *s);
int mux_room(const struct zt_mux *m);

#endif
