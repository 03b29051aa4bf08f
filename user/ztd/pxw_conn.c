// SPDX-License-Identifier: GPL-2.0
/* pxw_conn.c — one proxied connection's life in a worker, up to the
 * relay: asked about at accept; read for detection when ztd says so
 * (bounded, with ztd's timeout for server-first protocols), asked about
 * again with what detection found; then reset, handed to ztd, or relayed
 * to the upstream socket ztd connected (a worker connects nowhere
 * itself) once that connect completes; its end told to ztd. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "clock.h"
#include "hash.h"
#include "log.h"
#include "sock.h"
#include "zt_abi.h"
#include "pxw.h"

/* A reset by disconnecting (connect to AF_UNSPEC: tcp_disconnect sends
 * RST), not SO_LINGER: a linger option would stay on a socket handed to
 * ztd, whose close it could make block. The address is its family alone
 * (all a disconnect reads): the seccomp filter lets a worker's connect
 * through only that short, which no connect to an address is. */
void pxw_rst(int fd)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };

	if (fd >= 0)
		connect(fd, &sa, sizeof(sa.sa_family));
}

static struct wconn **bucket(struct pxw *w, __u64 cid)
{
	return &w->hash[cid % PXW_HASH];
}

static struct wconn *find(struct pxw *w, __u64 cid)
{
	struct wconn *c;

	for (c = *bucket(w, cid); c && c->cid != cid; c = c->hnext)
		;
	return c;
}

void pxw_end(struct wconn *c, enum zt_px_end how, int err, bool quiet)
{
	struct pxw *w = c->w;
	struct wconn **pp;

	if (!quiet) {
		struct zt_pxm m = { .type = ZT_PXM_END };

		m.end.cid = c->cid;
		m.end.end = (__u8)how;
		m.end.err = (__u8)(err > 0 && err < 256 ? err : 0);
		m.end.up = c->cu.bytes;
		m.end.down = c->uc.bytes;
		pxw_send(w, &m);
	}
	if (how != ZT_PXE_CLOSED) {
		pxw_rst(c->c.fd);
		pxw_rst(c->u.fd);
	}
	zt_timer_stop(w->loop, &c->t);
	zt_io_del(w->loop, &c->c);
	zt_io_del(w->loop, &c->u);
	if (c->c.fd >= 0)
		close(c->c.fd);
	if (c->u.fd >= 0)
		close(c->u.fd);
	pxw_relay_free(c);
	free(c->buf);
	free(c->det);
	for (pp = bucket(w, c->cid); *pp && *pp != c; pp = &(*pp)->hnext)
		;
	if (*pp)
		*pp = c->hnext;
	if (c->prev)
		c->prev->next = c->next;
	else
		w->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	w->n--;
	free(c);
}

/* Asks ztd to decide c (final: with what detection found, d). At accept
 * its first bytes are read meanwhile (ztd will most often want them:
 * detection then does not wait for the answer, and the final ASK can
 * follow at once); after detection it waits, unwatched. */
static void ask(struct wconn *c, const struct zt_detected *d, bool timed_out)
{
	struct zt_pxm m = { .type = ZT_PXM_ASK };
	struct zt_pxm_ask *a = &m.ask;
	bool final = d != NULL;

	a->cid = c->cid;
	a->final = final;
	a->timed_out = timed_out;
	a->found = final && (c->len || d->why);
	a->family = c->family;
	memcpy(a->src, c->src, 16);
	memcpy(a->dst, c->dst, 16);
	a->sport = c->sport;
	a->dport = c->dport;
	a->ifindex = c->ifindex;
	if (final) {
		a->ech = d->ech;
		a->proto = (__u8)d->proto;
		a->why = (__u8)d->why;
		memcpy(a->name, d->name, sizeof(a->name));
	}
	c->waiting = true;
	/* Sent first: ztd must hear of every id (1, 2, 3...), even of one
	 * that ends at once. */
	pxw_send(c->w, &m);
	if (final) {
		/* What detection found is ztd's now. */
		free(c->det);
		c->det = NULL;
		c->final_asked = true;
		zt_timer_stop(c->w->loop, &c->t);
		px_watch(c->w->loop, &c->c, &c->cev, 0);
	} else if (px_watch(c->w->loop, &c->c, &c->cev, EPOLLIN)) {
		pxw_end(c, ZT_PXE_ERROR, 0, false);
	}
}

static void on_timer(struct zt_timer *t)
{
	struct wconn *c = pxw_of(t, struct wconn, t);

	if (c->st == ZT_PXS_DETECT) {
		/* Nothing (or not enough) in time: a server-first protocol. */
		struct zt_detected d = { .proto = ZT_PROTO_UNKNOWN };

		d.why = c->len ? ZT_DETECT_MALFORMED : ZT_DETECT_OTHER;
		ask(c, &d, true);
	} else if (c->st == ZT_PXS_CONNECT) {
		pxw_end(c, ZT_PXE_UPSTREAM, ETIMEDOUT, false);
	} else {
		pxw_end(c, ZT_PXE_IDLE, 0, false);
	}
}

static void on_client(struct zt_io *io, __u32 ev)
{
	struct wconn *c = pxw_of(io, struct wconn, c);
	ssize_t n;
	int err;

	if (c->st == ZT_PXS_RELAY) {
		pxw_relay_events(c, ev);
		return;
	}
	if (c->final_asked || c->st != ZT_PXS_DETECT)
		return; /* (not watched: an event of the same turn) */
	if ((!c->buf && !(c->buf = malloc(ZT_DETECT_MAX))) ||
	    (!c->det && !(c->det = calloc(1, sizeof(*c->det))))) {
		pxw_end(c, ZT_PXE_ERROR, 0, false);
		return;
	}
	n = recv(c->c.fd, c->buf + c->len, ZT_DETECT_MAX - c->len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		if (!c->len) { /* a wakeup with nothing: hold no buffer */
			free(c->buf);
			free(c->det);
			c->buf = NULL;
			c->det = NULL;
		}
		return;
	}
	if (n < 0) {
		pxw_end(c, ZT_PXE_RESET, 0, false);
		return;
	}
	if (n == 0) {
		/* The client finished sending: decided on what it sent, and
		 * its FIN passed on once that is delivered. */
		c->client_eof = true;
		err = zt_detect(c->buf, c->len, c->det);
		if (err == -EAGAIN) {
			c->det->proto = ZT_PROTO_UNKNOWN;
			c->det->why = c->len ? ZT_DETECT_MALFORMED : ZT_DETECT_OTHER;
		}
		ask(c, c->det, false);
		return;
	}
	c->len += (size_t)n;
	err = zt_detect(c->buf, c->len, c->det);
	if (err == -EAGAIN && c->len < ZT_DETECT_MAX)
		return;
	if (err == -EAGAIN) { /* cannot happen: detect decides at ZT_DETECT_MAX */
		c->det->proto = ZT_PROTO_UNKNOWN;
		c->det->why = ZT_DETECT_TOO_BIG;
	}
	ask(c, c->det, false);
}

static void on_upstream(struct zt_io *io, __u32 ev)
{
	struct wconn *c = pxw_of(io, struct wconn, u);
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (c->st == ZT_PXS_CONNECT) {
		if (getsockopt(c->u.fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) || soerr) {
			pxw_end(c, ZT_PXE_UPSTREAM, soerr ? soerr : errno, false);
			return;
		}
		pxw_relay_start(c);
		return;
	}
	pxw_relay_events(c, ev);
}

/* Hands c's socket to ztd, with the bytes detection read (a remote
 * tunnel's flow: ztd carries it), and forgets it: closed here without a
 * reset, ztd holds it. One ztd's socket pair cannot take now is ended
 * (ztd hears END). */
static void hand(struct wconn *c)
{
	static __u8 body[ZT_PXM_HAND_MAX];
	struct zt_pxm_hand h = { .cid = c->cid, .len = (__u16)c->len,
				 .bytes = c->buf ? c->buf : body };
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
			     .msg_controllen = sizeof(u.b) };
	struct cmsghdr *cm;
	struct zt_buf b;

	zt_buf_init(&b, body, sizeof(body));
	zt_pxm_hand_put(&b, &h);
	memset(&u, 0, sizeof(u));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &c->c.fd, sizeof(int));
	iov.iov_base = body;
	iov.iov_len = b.off;
	if (b.err || sendmsg(c->w->hand, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)b.off) {
		pxw_end(c, ZT_PXE_ERROR, 0, false);
		return;
	}
	pxw_end(c, ZT_PXE_CLOSED, 0, true);
}

void pxw_conn_answer(struct pxw *w, const struct zt_pxm_answer *a)
{
	struct wconn *c = find(w, a->cid);

	if (!c || !c->waiting)
		return; /* it ended meanwhile (END is on its way to ztd) */
	if (a->act == ZT_PXA_DETECT && c->final_asked)
		return; /* detection ended before this came: the final answer follows */
	c->waiting = false;
	if (a->act == ZT_PXA_RESET) {
		pxw_end(c, ZT_PXE_BLOCKED, 0, true);
	} else if (a->act == ZT_PXA_DETECT) {
		/* Read since accept (watched): now for detect_ms at most. */
		if (zt_timer_arm(w->loop, &c->t, a->detect_ms))
			pxw_end(c, ZT_PXE_ERROR, 0, false);
	} else if (a->act == ZT_PXA_HAND) {
		hand(c);
	} else { /* CONNECT comes on the hand-over pair, with its socket */
		pxw_end(c, ZT_PXE_ERROR, 0, false);
	}
}

void pxw_conn_upstream(struct pxw *w, __u64 cid, int fd)
{
	struct wconn *c = find(w, cid);

	if (!c || !c->waiting) { /* it ended meanwhile (END is on its way to ztd) */
		if (fd >= 0)
			close(fd);
		return;
	}
	c->waiting = false;
	if (fd < 0) {
		pxw_end(c, ZT_PXE_ERROR, 0, false);
		return;
	}
	/* Decided at accept, maybe while detection read: what it read goes
	 * first, and the client waits, unwatched, for the relay. */
	free(c->det);
	c->det = NULL;
	zt_timer_stop(w->loop, &c->t);
	c->st = ZT_PXS_CONNECT;
	c->u.fd = fd;
	if (px_watch(w->loop, &c->c, &c->cev, 0)) {
		close(fd);
		c->u.fd = -1;
		pxw_end(c, ZT_PXE_ERROR, 0, false);
		return;
	}
	if (px_watch(w->loop, &c->u, &c->uev, EPOLLOUT) ||
	    zt_timer_arm(w->loop, &c->t, PROXY_CONNECT_MS))
		pxw_end(c, ZT_PXE_ERROR, 0, false);
}

void pxw_conn_revoke(struct pxw *w, __u64 cid)
{
	struct wconn *c = find(w, cid);

	if (c)
		pxw_end(c, ZT_PXE_REVOKED, 0, false);
}

static void sockaddr_bytes(const struct sockaddr_storage *ss, __u8 *addr, __u16 *port)
{
	memset(addr, 0, 16);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		memcpy(addr, &a->sin_addr, 4);
		*port = ntohs(a->sin_port);
	} else {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		memcpy(addr, &a->sin6_addr, 16);
		*port = ntohs(a->sin6_port);
	}
}

/* At accept: when the bytes already there are enough for detection, c
 * takes them and is asked about once, with what they are (true). Else
 * (not enough, none, an error) they stay in the socket for the reads
 * that follow. */
static bool detected_at_accept(struct wconn *c)
{
	static __u8 peek[ZT_DETECT_MAX];
	struct zt_detected d = { 0 };
	ssize_t n;

	n = recv(c->c.fd, peek, sizeof(peek), MSG_DONTWAIT | MSG_PEEK);
	if (n <= 0 || zt_detect(peek, (size_t)n, &d) == -EAGAIN)
		return false;
	if (!(c->buf = malloc(ZT_DETECT_MAX)) || !(c->det = malloc(sizeof(*c->det))) ||
	    recv(c->c.fd, c->buf, (size_t)n, MSG_DONTWAIT) != n) {
		free(c->buf);
		free(c->det);
		c->buf = NULL;
		c->det = NULL;
		return false;
	}
	c->len = (size_t)n;
	*c->det = d;
	ask(c, c->det, false);
	return true;
}

/* A connection accepted from src to dst (its original destination):
 * ztd is asked at once (it may decide without the first bytes), with
 * what they are when they are there already. */
void pxw_conn_start(struct pxw *w, int fd, const struct sockaddr_storage *src,
		    const struct sockaddr_storage *dst)
{
	struct wconn *c = calloc(1, sizeof(*c));

	if (!c) {
		pxw_rst(fd);
		close(fd);
		return;
	}
	c->w = w;
	c->cid = ++w->last_cid;
	c->family = src->ss_family == AF_INET ? ZT_AF_INET : ZT_AF_INET6;
	sockaddr_bytes(src, c->src, &c->sport);
	sockaddr_bytes(dst, c->dst, &c->dport);
	c->ifindex = zt_sock_tcp_ifindex(fd, src->ss_family);
	c->c.fd = fd;
	c->c.cb = on_client;
	c->u.fd = -1;
	c->u.cb = on_upstream;
	c->t.cb = on_timer;
	c->cu.pipe[0] = c->cu.pipe[1] = c->uc.pipe[0] = c->uc.pipe[1] = -1;
	c->hnext = *bucket(w, c->cid);
	*bucket(w, c->cid) = c;
	c->next = w->head;
	if (w->head)
		w->head->prev = c;
	w->head = c;
	w->n++;
	if (!detected_at_accept(c))
		ask(c, NULL, false);
}
