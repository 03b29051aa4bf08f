// SPDX-License-Identifier: GPL-2.0
/* session.c — a tunnel connection's streams (session.h). The input side
 * reads frames incrementally: a header, then a DATA body straight into
 * its stream's buffer (never more than the window the stream was given)
 * or a record into a small buffer. The output side is one queue of
 * frames, bounded: data stops at half of out_max, and a peer that lets
 * even control frames pile past it is ended. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
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
	/* output */
	__u8 *out;
	size_t out_off, out_len, out_cap;
	struct zt_mux_stats st;
};

/* ---- output ------------------------------------------------------------- */

static size_t backlog(const struct zt_mux *m)
{
	return m->out_len - m->out_off;
}

/* One frame onto the queue: -ENOBUFS past out_max (the peer does not
 * read: the session is over), -EPIPE when it already is. */
static int put_frame(struct zt_mux *m, __u8 type, __u16 flags, __u32 id, __u32 len,
		     const void *body, size_t blen)
{
	struct zt_mux_hdr h = { .type = type, .flags = flags, .stream = id, .len = len };
	size_t need = ZT_MUX_HDR + blen;
	struct zt_buf b;

	if (m->dead)
		return -EPIPE;
	if (backlog(m) + need > m->lim.out_max) {
		m->dead = true;
		m->err = -ENOBUFS;
		m->why = "the peer does not read what it is sent";
		return -ENOBUFS;
	}
	if (m->out_off && m->out_off == m->out_len)
		m->out_off = m->out_len = 0;
	if (m->out_len + need > m->out_cap) {
		size_t cap = m->out_cap ? m->out_cap : 4096;
		__u8 *p;

		if (m->out_off) { /* compact before growing */
			memmove(m->out, m->out + m->out_off, backlog(m));
			m->out_len -= m->out_off;
			m->out_off = 0;
		}
		while (cap < m->out_len + need)
			cap *= 2;
		if (cap != m->out_cap) {
			p = realloc(m->out, cap);
			if (!p) {
				m->dead = true;
				m->err = -ENOBUFS;
				m->why = "out of memory";
				return -ENOMEM;
			}
			m->out = p;
			m->out_cap = cap;
		}
	}
	zt_buf_init(&b, m->out + m->out_len, need);
	zt_mux_hdr_put(&b, &h);
	zt_buf_put_bytes(&b, body, blen);
	m->out_len += need;
	m->st.frames_out++;
	return 0;
}

size_t zt_mux_out(const struct zt_mux *m, const __u8 **p)
{
	*p = m->out ? m->out + m->out_off : NULL;
	return backlog(m);
}

void zt_mux_out_done(struct zt_mux *m, size_t n)
{
	struct zt_mux_stream *s, *next;

	m->out_off += n < backlog(m) ? n : backlog(m);
	if (backlog(m) > m->lim.out_max / 4)
		return;
	/* Writers held back by the queue may go on. */
	for (s = m->head; s; s = next) {
		next = s->next;
		if (s->want_write) {
			s->want_write = false;
			m->ops->event(m->arg, s, ZT_MUXE_WINDOW);
		}
	}
}

/* ---- streams -------------------------------------------------------------- */

static __u32 slot(const struct zt_mux *m, __u32 id)
{
	return (id * 2654435761u) & (m->nbucket - 1);
}

static struct zt_mux_stream *find(const struct zt_mux *m, __u32 id)
{
	struct zt_mux_stream *s;

	for (s = m->bucket[slot(m, id)]; s; s = s->hnext)
		if (s->id == id)
			return s;
	return NULL;
}

static struct zt_mux_stream *stream_new(struct zt_mux *m, __u32 id, bool ours)
{
	struct zt_mux_stream *s = calloc(1, sizeof(*s));
	__u32 k;

	if (!s)
		return NULL;
	s->m = m;
	s->id = id;
	s->ours = ours;
	s->send_window = s->recv_window = s->win_size = ZT_MUX_WINDOW0;
	k = slot(m, id);
	s->hnext = m->bucket[k];
	m->bucket[k] = s;
	s->next = m->head;
	if (m->head)
		m->head->prev = s;
	m->head = s;
	s->linked = true;
	m->st.streams++;
	m->st.reserved += s->win_size;
	return s;
}

static void unlink_stream(struct zt_mux_stream *s)
{
	struct zt_mux *m = s->m;
	struct zt_mux_stream **pp;

	if (!s->linked)
		return;
	for (pp = &m->bucket[slot(m, s->id)]; *pp != s; pp = &(*pp)->hnext)
		;
	*pp = s->hnext;
	if (s->prev)
		s->prev->next = s->next;
	else
		m->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->linked = false;
}

static void stream_free(struct zt_mux_stream *s)
{
	struct zt_mux *m = s->m;

	unlink_stream(s);
	if (m->cur == s)
		m->cur = NULL;
	m->st.streams--;
	m->st.reserved -= s->win_size;
	m->st.buffered -= s->rlen;
	free(s->rbuf);
	free(s);
}

/* Room does not fit: at max_streams, or its window past mem_max. */
static int room(const struct zt_mux *m)
{
	if (m->st.streams >= m->lim.max_streams)
		return -EMFILE;
	if (m->st.reserved + ZT_MUX_WINDOW0 > m->lim.mem_max)
		return -ENOBUFS;
	return 0;
}

struct zt_mux_stream *zt_mux_open(struct zt_mux *m, const struct zt_mux_open *o, void *user,
				  int *err)
{
	__u8 body[ZT_MUX_REC_MAX];
	struct zt_mux_stream *s;
	struct zt_buf b;

	*err = m->dead ? -EPIPE : m->goaway_in || m->goaway_out ? -ESHUTDOWN :
	       m->next_out > 0xfffffffdu ? -EOVERFLOW : room(m);
	if (*err)
		return NULL;
	zt_buf_init(&b, body, sizeof(body));
	zt_mux_open_put(&b, o);
	if (b.err) {
		*err = -EINVAL;
		return NULL;
	}
	s = stream_new(m, m->next_out, true);
	if (!s) {
		*err = -ENOMEM;
		return NULL;
	}
	s->user = user;
	s->accepted = true;
	*err = put_frame(m, ZT_MUX_OPEN, ZT_MUX_SYN, s->id, (__u32)b.off, body, b.off);
	if (*err) {
		stream_free(s);
		return NULL;
	}
	m->next_out += 2;
	m->st.opened_out++;
	return s;
}

int zt_mux_accept(struct zt_mux_stream *s)
{
	if (s->ours || s->accepted || s->rst)
		return -EINVAL;
	s->accepted = true;
	return put_frame(s->m, ZT_MUX_WINDOW, ZT_MUX_ACK, s->id, 0, NULL, 0);
}

ssize_t zt_mux_write(struct zt_mux_stream *s, const void *p, size_t n)
{
	struct zt_mux *m = s->m;
	size_t k = n, room_out;
	int err;

	if (s->fin_out || s->rst || m->dead || !s->accepted)
		return -EPIPE;
	if (k > s->send_window)
		k = s->send_window;
	if (k > ZT_MUX_FRAME_DATA)
		k = ZT_MUX_FRAME_DATA;
	room_out = backlog(m) + ZT_MUX_HDR < m->lim.out_max / 2 ?
			   m->lim.out_max / 2 - backlog(m) - ZT_MUX_HDR : 0;
	if (k > room_out) {
		k = room_out;
		s->want_write = true;
	}
	if (!k)
		return 0;
	err = put_frame(m, ZT_MUX_DATA, 0, s->id, (__u32)k, p, k);
	if (err)
		return -EPIPE;
	s->send_window -= (__u32)k;
	m->st.bytes_out += k;
	return (ssize_t)k;
}

size_t zt_mux_peek(const struct zt_mux_stream *s, const __u8 **p)
{
	*p = s->rbuf ? s->rbuf + s->roff : NULL;
	return s->rlen;
}

void zt_mux_consume(struct zt_mux_stream *s, size_t n)
{
	struct zt_mux *m = s->m;
	__u32 grow = 0;

	if (n > s->rlen)
		n = s->rlen;
	s->roff += n;
	s->rlen -= n;
	s->pending += (__u32)n;
	m->st.buffered -= n;
	if (!s->rlen) { /* an idle stream holds no buffer */
		free(s->rbuf);
		s->rbuf = NULL;
		s->roff = s->rcap = 0;
	}
	if (s->pending < s->win_size / 2 || s->fin_in || s->rst || m->dead)
		return;
	/* Half the window read: give it back, and twice as much when the
	 * reader had caught up (it keeps pace), while mem_max allows. */
	if (!s->rlen && s->win_size < ZT_MUX_WINDOW_MAX &&
	    m->st.reserved + s->win_size <= m->lim.mem_max)
		grow = s->win_size;
	if (put_frame(m, ZT_MUX_WINDOW, 0, s->id, s->pending + grow, NULL, 0))
		return;
	s->recv_window += s->pending + grow;
	s->win_size += grow;
	m->st.reserved += grow;
	s->pending = 0;
}

int zt_mux_close(struct zt_mux_stream *s)
{
	if (s->fin_out || s->rst)
		return 0;
	s->fin_out = true;
	if (!s->accepted)
		return -EINVAL;
	return put_frame(s->m, ZT_MUX_WINDOW, ZT_MUX_FIN, s->id, 0, NULL, 0);
}

void zt_mux_release(struct zt_mux_stream *s, __u32 code)
{
	if (!s->rst && !(s->fin_in && s->fin_out) && s->linked)
		put_frame(s->m, ZT_MUX_WINDOW, ZT_MUX_RST, s->id, code, NULL, 0);
	stream_free(s);
}

__u32 zt_mux_id(const struct zt_mux_stream *s) { return s->id; }
void *zt_mux_user(const struct zt_mux_stream *s) { return s->user; }
void zt_mux_set_user(struct zt_mux_stream *s, void *user) { s->user = user; }
__u32 zt_mux_rst_code(const struct zt_mux_stream *s) { return s->rst_code; }
__u32 zt_mux_send_window(const struct zt_mux_stream *s) { return s->send_window; }
__u32 zt_mux_recv_window(const struct zt_mux_stream *s) { return s->recv_window; }

/* ---- the session --------------------------------------------------------- */

struct zt_mux *zt_mux_new(bool initiator, const struct zt_mux_limits *lim,
			  const struct zt_mux_ops *ops, void *arg)
{
	struct zt_mux *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (lim)
		m->lim = *lim;
	if (!m->lim.max_streams)
		m->lim.max_streams = 4096;
	if (m->lim.max_streams > 65536)
		m->lim.max_streams = 65536;
	if (!m->lim.mem_max)
		m->lim.mem_max = 256u << 20;
	if (!m->lim.out_max)
		m->lim.out_max = 4u << 20;
	if (m->lim.out_max < 2 * (ZT_MUX_HDR + ZT_MUX_FRAME_DATA))
		m->lim.out_max = 2 * (ZT_MUX_HDR + ZT_MUX_FRAME_DATA);
	for (m->nbucket = 64; m->nbucket < 2 * m->lim.max_streams; m->nbucket *= 2)
		;
	m->bucket = calloc(m->nbucket, sizeof(*m->bucket));
	if (!m->bucket) {
		free(m);
		return NULL;
	}
	m->ops = ops;
	m->arg = arg;
	m->initiator = initiator;
	m->next_out = initiator ? 1 : 2;
	return m;
}

void zt_mux_free(struct zt_mux *m)
{
	if (!m)
		return;
	while (m->head)
		stream_free(m->head);
	free(m->bucket);
	free(m->out);
	free(m);
}

void zt_mux_abort(struct zt_mux *m)
{
	struct zt_mux_stream *s;

	m->dead = true;
	if (!m->why)
		m->why = "the connection ended";
	/* Each is taken off the list before its owner hears (and releases it). */
	while ((s = m->head)) {
		unlink_stream(s);
		s->rst = true;
		s->rst_code = ZT_MUX_E_GONE;
		m->ops->event(m->arg, s, ZT_MUXE_RST);
	}
}

const char *zt_mux_why(const struct zt_mux *m) { return m->why ? m->why : "none"; }
const struct zt_mux_stats *zt_mux_stats(const struct zt_mux *m) { return &m->st; }
bool zt_mux_goaway_seen(const struct zt_mux *m) { return m->goaway_in; }
void zt_mux_set_ready(struct zt_mux *m) { m->ready = true; }

int zt_mux_hello(struct zt_mux *m, __u16 flags, const struct zt_mux_hello *h)
{
	__u8 body[ZT_MUX_REC_MAX];
	struct zt_buf b;

	zt_buf_init(&b, body, sizeof(body));
	if (h)
		zt_mux_hello_put(&b, h);
	if (b.err)
		return -EINVAL;
	return put_frame(m, ZT_MUX_HELLO, flags, 0, (__u32)b.off, body, b.off);
}

int zt_mux_ping(struct zt_mux *m, __u32 opaque)
{
	return put_frame(m, ZT_MUX_PING, ZT_MUX_SYN, 0, opaque, NULL, 0);
}

int zt_mux_goaway(struct zt_mux *m, __u32 code)
{
	m->goaway_out = true;
	return put_frame(m, ZT_MUX_GOAWAY, 0, 0, code, NULL, 0);
}

/* ---- input ------------------------------------------------------------------ */

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
	struct zt_mux_stream *s = find(m, m->h.stream);

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
	struct zt_mux_stream *s = find(m, m->h.stream);
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
	if (m->goaway_out || room(m)) {
		m->st.refused += !m->goaway_out;
		put_frame(m, ZT_MUX_WINDOW, ZT_MUX_RST, m->h.stream,
			  m->goaway_out ? ZT_MUX_E_DRAIN : ZT_MUX_E_BUSY, NULL, 0);
		return m->dead ? m->err : 0;
	}
	s = stream_new(m, m->h.stream, false);
	if (!s) {
		put_frame(m, ZT_MUX_WINDOW, ZT_MUX_RST, m->h.stream, ZT_MUX_E_BUSY, NULL, 0);
		return m->dead ? m->err : 0;
	}
	m->st.opened_in++;
	r = m->ops->open(m->arg, s, &o);
	if (r) {
		put_frame(m, ZT_MUX_WINDOW, ZT_MUX_RST, s->id, (__u32)r, NULL, 0);
		stream_free(s);
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
		if (m->h.flags == ZT_MUX_SYN)
			return put_frame(m, ZT_MUX_PING, ZT_MUX_ACK, 0, m->h.len, NULL, 0);
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
