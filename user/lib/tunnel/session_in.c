// SPDX-License-Identifier: GPL-2.0
/* session_in.c — a session reading its peer's frames (session.h): a
 * header, then a DATA body straight into its stream's buffer (never more
 * than the window the stream was given) or a record into a small buffer;
 * each breach of the protocol ends the session with a reason. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "session_int.h"

static int proto(struct zt_mux *m, const char *why)
{
	m->dead = true;
	m->err = -EPROTO;
	m->why = why;
	return -EPROTO;
}

/* The peer's ids: even for the dialling side's peer, odd for the other. */
static bool peer_parity(const struct zt_mux *m, __u32 id)
{
	return (id & 1) == (m->initiator ? 0u : 1u);
}

/* A stream that existed and is gone: frames racing its reset are dropped. */
static bool old_id(const struct zt_mux *m, __u32 id)
{
	return peer_parity(m, id) ? id <= m->last_in : id < m->next_out;
}

static void event(struct zt_mux *m, struct zt_mux_stream *s, unsigned evs)
{
	if (evs)
		m->ops->event(m->arg, s, evs); /* s may be gone after */
}

/* ACK, FIN and RST on a DATA or WINDOW_UPDATE frame, into evs. */
static int flags_of(struct zt_mux *m, struct zt_mux_stream *s, __u16 flags, __u32 len,
		    bool window, unsigned *evs)
{
	if (flags & ZT_MUX_SYN)
		return proto(m, "SYN on a stream frame (streams open with OPEN)");
	if (flags & ZT_MUX_RST) {
		s->rst = true;
		s->rst_code = window ? len : ZT_MUX_E_NONE;
		*evs = ZT_MUXE_RST;
		return 0;
	}
	if (flags & ZT_MUX_ACK) {
		if (!s->ours)
			return proto(m, "ACK for a stream the peer opened");
		if (!s->acked)
			*evs |= ZT_MUXE_ACK;
		s->acked = true;
	}
	if (flags & ZT_MUX_FIN) {
		if (s->fin_in)
			return proto(m, "FIN twice on a stream");
		s->fin_in = true;
		*evs |= ZT_MUXE_FIN;
	}
	return 0;
}

/* Room in s's buffer for len bytes more (within its window). */
static int rbuf_room(struct zt_mux *m, struct zt_mux_stream *s, size_t len)
{
	size_t cap;
	__u8 *p;

	if (s->roff && s->roff + s->rlen + len > s->rcap) {
		memmove(s->rbuf, s->rbuf + s->roff, s->rlen);
		s->roff = 0;
	}
	if (s->rlen + len <= s->rcap)
		return 0;
	cap = s->rcap ? 2 * s->rcap : 16384;
	if (cap < s->rlen + len)
		cap = s->rlen + len;
	if (cap > s->win_size)
		cap = s->win_size;
	p = realloc(s->rbuf, cap);
	if (!p) {
		m->dead = true;
		m->err = -ENOBUFS;
		m->why = "out of memory";
		return -ENOBUFS;
	}
	s->rbuf = p;
	s->rcap = cap;
	return 0;
}

static int data_head(struct zt_mux *m)
{
	struct zt_mux_stream *s = mux_find(m, m->h.stream);

	m->cur = NULL;
	if (!s || s->rst) {
		if (!s && !old_id(m, m->h.stream))
			return proto(m, "DATA for a stream never opened");
		m->st.ignored++;
		return 0;
	}
	if (s->fin_in)
		return proto(m, "DATA after FIN");
	if (m->h.len > s->recv_window)
		return proto(m, "DATA past the stream's window");
	if (m->h.len && rbuf_room(m, s, m->h.len))
		return m->err;
	s->recv_window -= m->h.len;
	m->cur = s;
	return 0;
}

static int data_done(struct zt_mux *m)
{
	struct zt_mux_stream *s = m->cur;
	unsigned evs = m->h.len ? ZT_MUXE_DATA : 0;

	m->cur = NULL;
	if (!s)
		return 0;
	if (flags_of(m, s, m->h.flags, m->h.len, false, &evs))
		return -EPROTO;
	event(m, s, evs);
	return 0;
}

static int on_window(struct zt_mux *m)
{
	struct zt_mux_stream *s = mux_find(m, m->h.stream);
	unsigned evs = 0;

	if (!s || s->rst) {
		if (!s && !old_id(m, m->h.stream))
			return proto(m, "WINDOW_UPDATE for a stream never opened");
		m->st.ignored++;
		return 0;
	}
	if (!(m->h.flags & ZT_MUX_RST) && m->h.len) {
		if ((__u64)s->send_window + m->h.len > 0x7fffffffu)
			return proto(m, "a stream's window past 2^31 - 1");
		s->send_window += m->h.len;
		s->want_write = false;
		evs |= ZT_MUXE_WINDOW;
	}
	if (flags_of(m, s, m->h.flags, m->h.len, true, &evs))
		return -EPROTO;
	event(m, s, evs);
	return 0;
}

static int on_open(struct zt_mux *m)
{
	struct zt_mux_stream *s;
	struct zt_mux_open o;
	struct zt_buf b;
	int r;

	if (m->h.flags != ZT_MUX_SYN)
		return proto(m, "OPEN without SYN (or with another flag)");
	if (!peer_parity(m, m->h.stream) || m->h.stream <= m->last_in)
		return proto(m, "OPEN with an id of this side's or not above the last");
	m->last_in = m->h.stream;
	zt_buf_init(&b, m->rec, m->rec_have);
	if (zt_mux_open_get(&b, &o))
		return proto(m, "an OPEN that does not parse");
	if (m->goaway_out || mux_room(m)) {
		m->st.refused += !m->goaway_out;
		mux_put_frame(m, ZT_MUX_WINDOW, ZT_MUX_RST, m->h.stream,
			  m->goaway_out ? ZT_MUX_E_DRAIN : ZT_MUX_E_BUSY, NULL, 0);
		return m->dead ? m->err : 0;
	}
	s = mux_stream_new(m, m->h.stream, false);
	if (!s) {
		mux_put_frame(m, ZT_MUX_WINDOW, ZT_MUX_RST, m->h.stream, ZT_MUX_E_BUSY, NULL, 0);
		return m->dead ? m->err : 0;
	}
	m->st.opened_in++;
	r = m->ops->open(m->arg, s, &o);
	if (r) {
		mux_put_frame(m, ZT_MUX_WINDOW, ZT_MUX_RST, s->id, (__u32)r, NULL, 0);
		mux_stream_free(s);
	}
	return m->dead ? m->err : 0;
}

static int on_hello(struct zt_mux *m)
{
	struct zt_mux_hello h;
	struct zt_buf b;

	if (m->hello_seen)
		return proto(m, "HELLO twice");
	m->hello_seen = true;
	if (m->h.flags == ZT_MUX_SYN && !m->initiator) {
		zt_buf_init(&b, m->rec, m->rec_have);
		if (zt_mux_hello_get(&b, &h))
			return proto(m, "a HELLO that does not parse");
		if (m->ops->hello(m->arg, ZT_MUX_SYN, &h))
			return proto(m, "its HELLO was refused");
	} else if (m->h.flags == ZT_MUX_ACK && m->initiator && !m->rec_have) {
		if (m->ops->hello(m->arg, ZT_MUX_ACK, NULL))
			return proto(m, "the answer to its HELLO was refused");
	} else {
		return proto(m, "a HELLO this side does not take");
	}
	return m->dead ? m->err : 0;
}

/* A header is in: act on it, or get ready for its body. */
static int on_header(struct zt_mux *m)
{
	struct zt_buf b;

	zt_buf_init(&b, m->hdr, ZT_MUX_HDR);
	if (zt_mux_hdr_get(&b, &m->h))
		return proto(m, "a frame header that does not parse");
	m->st.frames_in++;
	if (!m->ready && m->h.type != ZT_MUX_HELLO && m->h.type != ZT_MUX_PING &&
	    m->h.type != ZT_MUX_GOAWAY)
		return proto(m, "a stream frame before HELLO was answered");
	switch (m->h.type) {
	case ZT_MUX_DATA:
		if (data_head(m))
			return m->err;
		m->body_left = m->h.len;
		m->in_body = m->h.len > 0;
		return m->in_body ? 0 : data_done(m);
	case ZT_MUX_OPEN:
	case ZT_MUX_HELLO:
		m->rec_have = 0;
		m->body_left = m->h.len;
		m->in_body = m->h.len > 0;
		if (m->in_body)
			return 0;
		return m->h.type == ZT_MUX_OPEN ? on_open(m) : on_hello(m);
	case ZT_MUX_WINDOW:
		return on_window(m);
	case ZT_MUX_PING:
		/* Before HELLO a peer gets a few answers queued, no more. */
		if (m->h.flags == ZT_MUX_SYN && !m->ready && mux_backlog(m) >= 16 * ZT_MUX_HDR)
			return proto(m, "PINGs before HELLO, their answers not read");
		if (m->h.flags == ZT_MUX_SYN)
			return mux_put_frame(m, ZT_MUX_PING, ZT_MUX_ACK, 0, m->h.len, NULL, 0);
		if (m->h.flags != ZT_MUX_ACK)
			return proto(m, "a PING with neither SYN nor ACK");
		if (m->ops->pong)
			m->ops->pong(m->arg, m->h.len);
		return 0;
	default: /* ZT_MUX_GOAWAY */
		if (m->h.flags)
			return proto(m, "a GO_AWAY with flags");
		m->goaway_in = true;
		if (m->ops->goaway)
			m->ops->goaway(m->arg, m->h.len);
		return 0;
	}
}

int zt_mux_input(struct zt_mux *m, const void *p, size_t n)
{
	const __u8 *q = p;
	size_t take;
	int err;

	while (n && !m->dead) {
		if (!m->in_body) {
			take = ZT_MUX_HDR - m->hdr_have;
			take = take < n ? take : n;
			memcpy(m->hdr + m->hdr_have, q, take);
			m->hdr_have += take;
			q += take;
			n -= take;
			if (m->hdr_have < ZT_MUX_HDR)
				break;
			m->hdr_have = 0;
			if ((err = on_header(m)))
				return err;
			continue;
		}
		take = m->body_left < n ? m->body_left : n;
		if (m->h.type != ZT_MUX_DATA) {
			memcpy(m->rec + m->rec_have, q, take);
			m->rec_have += take;
		} else if (m->cur) {
			struct zt_mux_stream *s = m->cur;

			memcpy(s->rbuf + s->roff + s->rlen, q, take);
			s->rlen += take;
			m->st.buffered += take;
			m->st.bytes_in += take;
		}
		q += take;
		n -= take;
		m->body_left -= take;
		if (m->body_left)
			continue;
		m->in_body = false;
		err = m->h.type == ZT_MUX_DATA ? data_done(m) :
		      m->h.type == ZT_MUX_OPEN ? on_open(m) : on_hello(m);
		if (err)
			return err;
	}
	return m->dead ? (m->err ? m->err : -EPIPE) : 0;
}
