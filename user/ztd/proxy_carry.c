// SPDX-License-Identifier: GPL-2.0
/* proxy_carry.c — the hand-over socket pair (SOCK_SEQPACKET, one per
 * worker, a socket per message as SCM_RIGHTS), both ways: ztd gives a
 * worker the upstream socket it connected for a connection it allows
 * (proxy_give), and carries flows to a remote tunnel itself. Once ztd
 * allows one (proxy_conn.c), its worker hands ztd the client's socket
 * with the bytes detection read; ztd checks the socket is that connection's (a TCP
 * socket, both addresses) and bridges it to a stream of the tunnel's
 * connector (ztd_tunnel_carry), those bytes first. The connection is then
 * ztd's alone: its worker forgot it (a worker's death leaves it be), ztd
 * resets it when a reload revokes it and ends it after ZT_PXM_IDLE_MS with
 * no byte either way. A hand-over that does not parse, names no
 * connection waiting for one, or holds other than one descriptor ends the
 * worker; one whose socket is not that connection's (its client reset it
 * meanwhile) or could not be received (ztd out of descriptors) ends that
 * flow only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "bridge.h"
#include "clock.h"
#include "log.h"
#include "sock.h"
#include "mux.h"
#include "proxy_int.h"

#define HAND_BATCH 64 /* hand-overs read per wakeup */

static void rst_close(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/* One end of fd is family's addr:port, as ss (from getsockname or
 * getpeername) says. */
static bool same_end(const struct sockaddr_storage *ss, socklen_t sl, __u8 family,
		     const __u8 *addr, __u16 port)
{
	if (family == ZT_AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		return sl >= sizeof(*a) && a->sin_family == AF_INET && ntohs(a->sin_port) == port &&
		       !memcmp(&a->sin_addr, addr, 4);
	} else {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		return sl >= sizeof(*a) && a->sin6_family == AF_INET6 &&
		       ntohs(a->sin6_port) == port && !memcmp(&a->sin6_addr, addr, 16);
	}
}

/* fd is c's client socket: a connected TCP socket from c's source to c's
 * (original) destination. 0, -ENOTCONN (a TCP socket no longer
 * connected: its client reset it), or -EBADF (another socket). */
static int is_conn(const struct pconn *c, int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(int);
	int type = 0, proto = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &sl) || type != SOCK_STREAM ||
	    (sl = sizeof(int), getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &sl)) ||
	    proto != IPPROTO_TCP)
		return -EBADF;
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) ||
	    !same_end(&ss, sl, c->family, c->dst, c->dport))
		return -EBADF;
	sl = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &sl))
		return errno == ENOTCONN ? -ENOTCONN : -EBADF;
	return same_end(&ss, sl, c->family, c->src, c->sport) ? 0 : -EBADF;
}

/* A carried flow's end: logged (bytes each way, how) and forgotten. */
static void carried(void *arg, struct zt_bridge *b, const char *why, __u32 code, __u64 in,
		    __u64 out)
{
	struct pconn *c = arg;
	enum zt_px_end how = ZT_PXE_RESET;

	(void)b;
	c->bridge = NULL;
	c->up_bytes = in;
	c->down_bytes = out;
	if (c->aborted) {
		how = c->end;
	} else if (!why) {
		how = ZT_PXE_CLOSED;
	} else if (code >= ZT_MUX_E_RESOLVE && code <= ZT_MUX_E_FORBIDDEN) {
		/* The connector could not reach the origin, or would not. */
		how = ZT_PXE_UPSTREAM;
		c->px->st.upstream_failed++;
	}
	proxy_end(c, how);
}

/* The hand-over in body with fd (-1: none could be received): 0 (fd is
 * the flow's, or closed), -EBADF (another socket than the flow's: the
 * flow ended, fd closed), or -EBADMSG: no hand-over, or of no connection
 * waiting for one (fd left to the caller). */
static int hand(struct px_worker *w, int fd, const __u8 *body, size_t len)
{
	struct ztd_proxy *px = w->px;
	struct zt_mux_open o = { .proto = ZT_MUX_TCP };
	struct zt_pxm_hand h;
	struct zt_buf b;
	struct pconn *c;
	int err;

	zt_buf_init(&b, (__u8 *)body, len);
	if (zt_pxm_hand_get(&b, &h))
		return -EBADMSG;
	c = proxy_find(w, h.cid);
	if (!c || !c->handing)
		return -EBADMSG;
	/* The worker forgot it: ztd's alone from here. */
	proxy_detach(c);
	c->handing = false;
	err = fd < 0 ? -EMFILE : is_conn(c, fd);
	if (err) {
		/* The client reset it while it was handed, or ztd had no
		 * descriptor for it: this flow ends, no other. Another socket
		 * (its local address is not the flow's: no client can cause
		 * that) is a worker's lie: the caller ends the worker too.
		 * Closed as it is: ztd sets no option on a socket that is not
		 * the flow's. */
		if (fd >= 0)
			close(fd);
		if (err == -EMFILE && zt_mono_ms() / 1000 != px->hand_warn_sec)
			pr_warn("proxy worker %u: a handed socket could not be received (ztd is "
				"out of descriptors): its flow ends\n", w->idx);
		if (err == -EMFILE)
			px->hand_warn_sec = zt_mono_ms() / 1000;
		proxy_end(c, err == -ENOTCONN ? ZT_PXE_RESET : ZT_PXE_ERROR);
		return err == -EBADF ? -EBADF : 0;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (c->revoking) {
		rst_close(fd);
		proxy_end(c, ZT_PXE_REVOKED);
		return 0;
	}
	/* An IRI's flow goes by its hostname (the connector resolves it),
	 * any other by its address. */
	o.vnet = c->vnet;
	o.port = c->up_port;
	if (c->iri) {
		snprintf(o.hostname, sizeof(o.hostname), "%s", c->iri_name);
	} else {
		o.family = c->up_family;
		memcpy(o.addr, c->up_addr, 16);
	}
	c->st = ZT_PXS_RELAY;
	c->idle_ms = zt_mono_ms();
	c->bridge = ztd_tunnel_carry(px->d, c->tunnel, &o, fd, h.bytes, h.len, carried, c, &err);
	if (!c->bridge) /* (counted allowed: its connector went meanwhile) */
		proxy_end(c, err == -ENOTCONN ? ZT_PXE_NO_TUNNEL : ZT_PXE_ERROR);
	return 0;
}

static void lied(struct px_worker *w, const char *what)
{
	pr_warn("proxy worker %u (pid %d): %s: killed\n", w->idx, (int)w->pid, what);
	zt_io_del(w->px->d->loop, &w->hand);
	if (w->pid > 0)
		kill(w->pid, SIGKILL); /* its channel's close follows */
}

/* Reads up to max hand-overs (fewer: the pair is empty, or the worker
 * was found lying and is being ended). */
static void take_hands(struct px_worker *w, struct zt_io *io, unsigned max)
{
	static __u8 body[ZT_PXM_HAND_MAX + 1];
	unsigned i;

	for (i = 0; i < max && io->added; i++) {
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(4 * sizeof(int))];
		} u;
		struct iovec iov = { .iov_base = body, .iov_len = sizeof(body) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
				     .msg_controllen = sizeof(u.b) };
		unsigned extra;
		int fd, err;
		ssize_t n;

		n = recvmsg(io->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			lied(w, "its hand-over socket failed");
			return;
		}
		if (n == 0 && !mh.msg_controllen) {
			/* The worker is gone (its channel's close says so and
			 * follows), or sent an empty message: killed either way. */
			zt_io_del(w->px->d->loop, io);
			if (w->pid > 0)
				kill(w->pid, SIGKILL);
			return;
		}
		extra = zt_sock_take_fds(&mh, &fd);
		/* No descriptor with MSG_CTRUNC: ztd could not take one (out
		 * of descriptors): that flow is reset, in hand(). */
		if (n == 0 || extra || (mh.msg_flags & MSG_TRUNC) ||
		    (fd < 0 && !(mh.msg_flags & MSG_CTRUNC)) ||
		    (fd >= 0 && (mh.msg_flags & MSG_CTRUNC))) {
			if (fd >= 0)
				close(fd);
			lied(w, "a hand-over without exactly one socket");
			return;
		}
		err = hand(w, fd, body, (size_t)n);
		if (err == -EBADF) {
			lied(w, "a hand-over of a socket not its connection's");
			return;
		}
		if (err) {
			if (fd >= 0)
				close(fd);
			lied(w, "a hand-over of no connection waiting for one");
			return;
		}
	}
}

static void on_hand(struct zt_io *io, __u32 events)
{
	(void)events;
	take_hands(ztd_of(io, struct px_worker, hand), io, HAND_BATCH);
}

int proxy_give(struct px_worker *w, const struct zt_pxm *m, int fd)
{
	__u8 body[ZT_PXM_MAX];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { .iov_base = body };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
			     .msg_controllen = sizeof(u.b) };
	struct cmsghdr *cm;
	struct zt_buf b;
	int err = 0;

	zt_buf_init(&b, body, sizeof(body));
	zt_pxm_put(&b, m);
	memset(&u, 0, sizeof(u));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	iov.iov_len = b.off;
	if (b.err)
		err = -EINVAL;
	else if (sendmsg(w->hand.fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)b.off)
		err = -errno;
	if (err == -EAGAIN && w->pid > 0) {
		pr_warn("proxy worker %u (pid %d) does not read its hand-over socket pair: "
			"killed\n", w->idx, (int)w->pid);
		kill(w->pid, SIGKILL);
	}
	close(fd);
	return err;
}

int proxy_hand_open(struct px_worker *w, int fd)
{
	int err;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	w->hand.fd = fd;
	w->hand.cb = on_hand;
	err = zt_io_add(w->px->d->loop, &w->hand, EPOLLIN);
	if (err) {
		close(fd);
		w->hand.fd = -1;
	}
	return err;
}

void proxy_hand_close(struct px_worker *w)
{
	if (w->hand.fd < 0)
		return;
	/* What a worker handed over before it ended is carried: its flows
	 * are ztd's (unless it was found lying: then no longer watched). */
	take_hands(w, &w->hand, ~0u);
	zt_io_del(w->px->d->loop, &w->hand);
	close(w->hand.fd); /* sockets in flight in it go with it */
	w->hand.fd = -1;
}

void proxy_carry_abort(struct pconn *c, enum zt_px_end how)
{
	c->aborted = true;
	c->end = how;
	zt_bridge_abort(c->bridge, ZT_MUX_E_NONE, zt_px_end_name(how));
}

bool proxy_carry_tick(struct pconn *c, __u64 now)
{
	__u64 in, out;

	zt_bridge_bytes(c->bridge, &in, &out);
	c->up_bytes = in;
	c->down_bytes = out;
	if (in + out != c->idle_bytes) {
		c->idle_bytes = in + out;
		c->idle_ms = now;
		return false;
	}
	if (now - c->idle_ms < ZT_PXM_IDLE_MS)
		return false;
	proxy_carry_abort(c, ZT_PXE_IDLE);
	return true;
}
