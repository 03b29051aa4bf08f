// SPDX-License-Identifier: GPL-2.0
/* session.c — a tunnel connection's streams (session.h): opening,
 * writing, reading and releasing them, and the output side: one queue of
 * frames, bounded (data stops at half of out_max, and a peer that lets
 * even control frames pile past it is ended). session_in.c reads. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "session_int.h"

/* ---- output ------------------------------------------------------------- */

size_t mux_backlog(const struct zt_mux *m)
{
	return m->out_len - m->out_off;
}

/* One frame onto the queue: -ENOBUFS past out_max (the peer does not
 * read: the session is over), -EPIPE when it already is. */
int mux_put_frame(struct zt_mux *m, __u8 type, __u16 flags, __u32 id, __u32 len,
		     const void *body, size_t blen)
{
	struct zt_mux_hdr h = { .type = type, .flags = flags, .stream = id, .len = len };
	size_t need = ZT_MUX_HDR + blen;
	struct zt_buf b;

	if (m->dead)
		return -EPIPE;
	if (mux_backlog(m) + need > m->lim.out_max) {
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
			memmove(m->out, m->out + m->out_off, mux_backlog(m));
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
	return mux_backlog(m);
}

void zt_mux_out_done(struct zt_mux *m, size_t n)
{
	m->out_off += n < mux_backlog(m) ? n : mux_backlog(m);
	if (!mux_backlog(m) && m->out_cap > 65536) {
		/* A burst's queue is not kept for a connection's life. */
		free(m->out);
		m->out = NULL;
		m->out_cap = m->out_off = m->out_len = 0;
	}
}

void zt_mux_wake(struct zt_mux *m)
{
	struct zt_mux_stream *s;

	/* From the head again after each: a callback may release any
	 * stream. Each is woken once (its flag is cleared first). */
	while (mux_backlog(m) <= m->lim.out_max / 4 && !m->dead) {
		for (s = m->head; s && !s->want_write; s = s->next)
			;
		if (!s)
			break;
		s->want_write = false;
		m->ops->event(m->arg, s, ZT_MUXE_WINDOW);
	}
}

/* ---- streams -------------------------------------------------------------- */

static __u32 slot(const struct zt_mux *m, __u32 id)
{
	return (id * 2654435761u) & (m->nbucket - 1);
}

struct zt_mux_stream *mux_find(const struct zt_mux *m, __u32 id)
{
	struct zt_mux_stream *s;

	for (s = m->bucket[slot(m, id)]; s; s = s->hnext)
		if (s->id == id)
			return s;
	return NULL;
}

struct zt_mux_stream *mux_stream_new(struct zt_mux *m, __u32 id, bool ours)
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

static void mux_unlink_stream(struct zt_mux_stream *s)
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

void mux_stream_free(struct zt_mux_stream *s)
{
	struct zt_mux *m = s->m;

	mux_unlink_stream(s);
	if (s->orphan) {
		if (s->prev)
			s->prev->next = s->next;
		else
			m->orphans = s->next;
		if (s->next)
			s->next->prev = s->prev;
	}
	if (m->cur == s)
		m->cur = NULL;
	m->st.streams--;
	m->st.reserved -= s->win_size;
	if (s->win_size > ZT_MUX_WINDOW_MAX && m->lim.big) {
		m->lim.big->used -= s->win_size - ZT_MUX_WINDOW_MAX;
		m->big_held -= s->win_size - ZT_MUX_WINDOW_MAX;
	}
	m->st.buffered -= s->rlen;
	free(s->rbuf);
	free(s);
}

/* Room does not fit: at max_streams, or its window past mem_max. */
int mux_room(const struct zt_mux *m)
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
	       m->next_out > 0xfffffffdu ? -EOVERFLOW : mux_room(m);
	if (*err)
		return NULL;
	zt_buf_init(&b, body, sizeof(body));
	zt_mux_open_put(&b, o);
	if (b.err) {
		*err = -EINVAL;
		return NULL;
	}
	s = mux_stream_new(m, m->next_out, true);
	if (!s) {
		*err = -ENOMEM;
		return NULL;
	}
	s->user = user;
	s->accepted = true;
	*err = mux_put_frame(m, ZT_MUX_OPEN, ZT_MUX_SYN, s->id, (__u32)b.off, body, b.off);
	if (*err) {
		mux_stream_free(s);
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
	return mux_put_frame(s->m, ZT_MUX_WINDOW, ZT_MUX_ACK, s->id, 0, NULL, 0);
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
	room_out = mux_backlog(m) + ZT_MUX_HDR < m->lim.out_max / 2 ?
			   m->lim.out_max / 2 - mux_backlog(m) - ZT_MUX_HDR : 0;
	if (k > room_out) {
		k = room_out;
		s->want_write = true;
	}
	if (!k)
		return 0;
	err = mux_put_frame(m, ZT_MUX_DATA, 0, s->id, (__u32)k, p, k);
	if (err)
		return -EPIPE;
	s->send_window -= (__u32)k;
	m->st.bytes_out += k;
	return (ssize_t)k;
}

size_t zt_mux_room(const struct zt_mux_stream *s)
{
	const struct zt_mux *m = s->m;
	size_t used = mux_backlog(m) + 2 * ZT_MUX_HDR; /* a datagram is at most two frames */

	if (s->fin_out || s->rst || m->dead || !s->accepted || used >= m->lim.out_max / 2)
		return 0;
	return m->lim.out_max / 2 - used < s->send_window ? m->lim.out_max / 2 - used :
							     s->send_window;
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
	if (!s->rlen && m->cur != s) { /* an idle stream holds no buffer (unless a
					 * DATA body is still coming into it) */
		free(s->rbuf);
		s->rbuf = NULL;
		s->roff = s->rcap = 0;
	}
	if (s->pending < s->win_size / 2 || s->fin_in || s->rst || m->dead)
		return;
	/* Half the window read: give it back, and twice as much when the
	 * reader had caught up (it keeps pace), while mem_max allows; past
	 * ZT_MUX_WINDOW_MAX, while the shared budget and the session's share
	 * of it do too. */
	if (!s->rlen && m->st.reserved + s->win_size <= m->lim.mem_max &&
	    (s->win_size < ZT_MUX_WINDOW_MAX ||
	     (s->win_size < ZT_MUX_WINDOW_BIG && m->lim.big &&
	      m->lim.big->used + s->win_size <= m->lim.big->max &&
	      m->big_held + s->win_size <= m->lim.big->max / ZT_MUX_BIG_SHARES)))
		grow = s->win_size;
	if (mux_put_frame(m, ZT_MUX_WINDOW, 0, s->id, s->pending + grow, NULL, 0))
		return;
	if (grow && s->win_size >= ZT_MUX_WINDOW_MAX) { /* (windows double from WINDOW0) */
		m->lim.big->used += grow;
		m->big_held += grow;
	}
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
	return mux_put_frame(s->m, ZT_MUX_WINDOW, ZT_MUX_FIN, s->id, 0, NULL, 0);
}

void zt_mux_release(struct zt_mux_stream *s, __u32 code)
{
	if (!s->rst && !(s->fin_in && s->fin_out) && s->linked)
		mux_put_frame(s->m, ZT_MUX_WINDOW, ZT_MUX_RST, s->id, code, NULL, 0);
	mux_stream_free(s);
}

__u32 zt_mux_id(const struct zt_mux_stream *s) { return s->id; }
void *zt_mux_user(const struct zt_mux_stream *s) { return s->user; }
void zt_mux_set_user(struct zt_mux_stream *s, void *user) { s->user = user; }
__u32 zt_mux_rst_code(const struct zt_mux_stream *s) { return s->rst_code; }
bool zt_mux_fin_seen(const struct zt_mux_stream *s) { return s->fin_in; }
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
		mux_stream_free(m->head);
	while (m->orphans)
		mux_stream_free(m->orphans);
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
	/* Each goes to the orphans before its owner hears (and releases it;
	 * one not released is freed with the session). */
	while ((s = m->head)) {
		mux_unlink_stream(s);
		s->orphan = true;
		s->prev = NULL;
		s->next = m->orphans;
		if (m->orphans)
			m->orphans->prev = s;
		m->orphans = s;
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
	return mux_put_frame(m, ZT_MUX_HELLO, flags, 0, (__u32)b.off, body, b.off);
}

int zt_mux_ping(struct zt_mux *m, __u32 opaque)
{
	return mux_put_frame(m, ZT_MUX_PING, ZT_MUX_SYN, 0, opaque, NULL, 0);
}

int zt_mux_goaway(struct zt_mux *m, __u32 code)
{
	m->goaway_out = true;
	return mux_put_frame(m, ZT_MUX_GOAWAY, 0, 0, code, NULL, 0);
}
