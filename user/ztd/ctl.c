// SPDX-License-Identifier: GPL-2.0
/* ctl.c — ztd's control socket: a fixed table of requests (as OpenSSH's
 * monitor.c), each with its permission, each body read through the
 * bounds-checked reader. A client gets one reply and is closed; garbage gets
 * an error reply; a silent client is dropped after ZT_CTL_IDLE_MS (a timer
 * each). Nothing here blocks the daemon's loop. Protocol: include/zt_ctl.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "buf.h"
#include "ctl_msg.h"
#include "ctl_tunnel.h"
#include "log.h"
#include "ztd.h"

_Static_assert(ZT_MAX_IFACES <= ZT_CTL_MAX_IFACES, "STATUS carries every interface");

struct ctl_client {
	struct zt_io io;
	struct zt_timer idle;     /* dropped when it fires */
	struct ztd_ctl *c;
	bool used;
};

struct ztd_ctl {
	struct ztd *d;
	struct zt_io lis;
	struct zt_rest rest; /* accept ran out of descriptors */
	struct ctl_client cl[ZT_CTL_MAX_CLIENTS];
	size_t n;
};

/* ---- requests --------------------------------------------------------------- */

/* A handler reads its body from req and writes its reply body to out;
 * returns 0 or -errno with why filled. */
typedef int (*ctl_fn)(struct ztd *d, struct zt_buf *req, struct zt_buf *out,
		      char *why, size_t whysz);

static int do_status(struct ztd *d, struct zt_buf *req, struct zt_buf *out,
		     char *why, size_t whysz)
{
	static struct zt_ctl_status s;
	struct ztd_dns_stats ds;
	struct ztd_proxy_stats ps;
	size_t i, k = 0;

	(void)req; (void)why; (void)whysz;
	memset(&s, 0, sizeof(s));
	s.pid = (__u32)getpid();
	s.started = (__u64)d->started;
	s.generation = d->generation;
	snprintf(s.config, sizeof(s.config), "%s", d->config_path);
	s.rules = (__u32)d->cfg.n_policies;
	s.routes = (__u32)d->cfg.n_routes;
	s.devices = (__u32)d->cfg.n_devices;
	s.reloads = d->reloads;
	s.reloads_refused = d->reloads_refused;
	s.n_ifaces = (__u8)d->cfg.n_ifaces;
	for (i = 0; i < d->cfg.n_ifaces; i++) {
		s.ifaces[i].ifindex = d->ifindex[i];
		snprintf(s.ifaces[i].name, sizeof(s.ifaces[i].name), "%s", d->cfg.ifaces[i]);
		s.ifaces[i].mode = (__u8)d->mode[i];
	}
	/* DNS: listeners, IRIs, counters (zeros when there is no server). */
	ztd_dns_stats(d, &ds);
	s.dns_listen = (__u32)d->cfg.n_dns_listen;
	s.dns_iris = (__u32)ds.iris;
#define PUT_STAT(f, name) s.dns[k++] = ds.f;
	ZT_DNS_STATS(PUT_STAT)
#undef PUT_STAT
	ztd_proxy_stats(d, &ps);
	s.proxy_live = ps.live;
	k = 0;
#define PUT_STAT(f, name) s.proxy[k++] = ps.f;
	ZT_PROXY_STATS(PUT_STAT)
#undef PUT_STAT
	ztd_tunnel_stats(d, s.tunnel);
	zt_ctl_status_put(out, &s);
	return 0;
}

static int do_reload(struct ztd *d, struct zt_buf *req, struct zt_buf *out,
		     char *why, size_t whysz)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	(void)req;
	f = open_memstream(&text, &len);
	zt_log_tee = f;
	err = ztd_reload(d);
	zt_log_tee = NULL;
	if (f)
		fclose(f);
	if (err)
		snprintf(why, whysz, "%s", text && *text ? text : strerror(-err));
	free(text);
	zt_ctl_reload_put(out, &(struct zt_ctl_reload){ .generation = d->generation });
	return err;
}

static int do_proxy_list(struct ztd *d, struct zt_buf *req, struct zt_buf *out,
			 char *why, size_t whysz)
{
	static struct zt_ctl_proxy_page p;
	__u64 after;

	if (zt_buf_get_u64(req, &after)) {
		snprintf(why, whysz, "proxy list needs the id to list after (u64)");
		return -EBADMSG;
	}
	ztd_proxy_list(d, after, &p);
	zt_ctl_proxy_page_put(out, &p);
	return 0;
}

static int do_tunnel(struct ztd *d, struct zt_buf *req, struct zt_buf *out, char *why,
		     size_t whysz)
{
	static char token[ZT_TOKEN_MAX];
	struct zt_ctl_tunnel_req r;
	int err;

	if (zt_ctl_tunnel_req_get(req, &r)) {
		snprintf(why, whysz, "tunnel needs an operation (1-4) and a name");
		return -EBADMSG;
	}
	err = ztd_tunnel_op(d, r.op, r.name, token, sizeof(token), why, whysz);
	zt_buf_put_str(out, err ? "" : token);
	return err;
}

static int do_tunnel_list(struct ztd *d, struct zt_buf *req, struct zt_buf *out, char *why,
			  size_t whysz)
{
	static struct zt_ctl_tunnel_list l;
	char name[ZT_CTL_NAME_MAX];
	int err;

	if (zt_buf_get_str(req, name, sizeof(name))) {
		snprintf(why, whysz, "tunnel list needs a name (or an empty one)");
		return -EBADMSG;
	}
	err = ztd_tunnel_list(d, name, &l);
	if (err) {
		snprintf(why, whysz, "no tunnel '%s' in the config", name);
		return err;
	}
	zt_ctl_tunnel_list_put(out, &l);
	return 0;
}

static int do_user(struct ztd *d, struct zt_buf *req, struct zt_buf *out, char *why,
		   size_t whysz)
{
	static struct zt_ctl_user_reply a;
	struct zt_ctl_user_req q;
	int err;

	memset(&a, 0, sizeof(a));
	if (zt_ctl_user_req_get(req, &q)) {
		snprintf(why, whysz, "user needs an operation (1-2), an email, groups, a vnet, "
			 "a lifetime and an id");
		return -EBADMSG;
	}
	err = ztd_user_op(d, &q, &a, why, whysz);
	zt_ctl_user_reply_put(out, &a);
	return err;
}

static const struct {
	__u16 type;
	const char *name;
	bool admin;      /* changes state: root or ztd's own user only */
	ctl_fn fn;
} requests[] = {
	{ ZT_CTL_STATUS, "status", false, do_status },
	{ ZT_CTL_RELOAD, "reload", true,  do_reload },
	{ ZT_CTL_PROXY_LIST, "proxy list", false, do_proxy_list },
	/* Tokens are credentials: only root may ask for one. */
	{ ZT_CTL_TUNNEL, "tunnel", true, do_tunnel },
	{ ZT_CTL_TUNNEL_LIST, "tunnel list", false, do_tunnel_list },
	/* ... and so is a user's token. */
	{ ZT_CTL_USER, "user", true, do_user },
};

/* Parses one request and writes the whole reply message into out. */
static void handle(struct ztd *d, const struct ucred *peer, __u8 *msg, size_t len,
		   bool truncated, struct zt_buf *out)
{
	static __u8 body[ZT_CTL_MAX_REPLY];
	static char why[ZT_CTL_MAX_REPLY / 2];
	struct zt_buf req, rb;
	struct zt_ctl_hdr h = { 0 };
	__u16 type = 0;
	size_t i = sizeof(requests) / sizeof(requests[0]); /* none yet */
	int err = -EBADMSG;

	why[0] = 0;
	zt_buf_init(&req, msg, len);
	zt_buf_init(&rb, body, sizeof(body));
	if (truncated) {
		snprintf(why, sizeof(why), "request longer than %d bytes", ZT_CTL_MAX_REQ);
		goto reply;
	}
	if (zt_ctl_hdr_get(&req, &h)) {
		snprintf(why, sizeof(why), "not a zt control request");
		goto reply;
	}
	type = h.type;
	if (h.version != ZT_CTL_VERSION) {
		err = -EPROTONOSUPPORT;
		snprintf(why, sizeof(why), "protocol version %u; this ztd speaks %u: use the "
			 "ztctl of the same build", h.version, ZT_CTL_VERSION);
		goto reply;
	}
	for (i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
		if (requests[i].type == type)
			break;
	if (i == sizeof(requests) / sizeof(requests[0])) {
		err = -EOPNOTSUPP;
		snprintf(why, sizeof(why), "unknown request type %u", type);
		goto reply;
	}
	if (requests[i].admin && peer->uid != 0 && peer->uid != geteuid()) {
		err = -EPERM;
		snprintf(why, sizeof(why), "%s needs root", requests[i].name);
		pr_info("control: %s refused to uid %u\n", requests[i].name, peer->uid);
		goto reply;
	}
	pr_debug("control: %s from pid %d\n", requests[i].name, peer->pid);
	err = requests[i].fn(d, &req, &rb, why, sizeof(why));
	if (!err && zt_buf_left(&req)) {
		/* What the handler did not read is garbage. */
		err = -EBADMSG;
		snprintf(why, sizeof(why), "%zu unexpected bytes after the %s request",
			 zt_buf_left(&req), requests[i].name);
	}
	if (!err && rb.err) {
		err = rb.err;
		snprintf(why, sizeof(why), "reply too long");
	}
reply:
	if (err && !why[0])
		snprintf(why, sizeof(why), "%s", strerror(-err));
	if (err && i == sizeof(requests) / sizeof(requests[0]))
		pr_info("control: request refused: %s\n", why);
	zt_ctl_hdr_put(out, type);
	zt_buf_put_u32(out, (__u32)err);
	zt_buf_put_str(out, why);
	zt_buf_put_bytes(out, body, rb.err ? 0 : rb.off);
}

/* ---- the socket ------------------------------------------------------------- */

static void drop_client(struct ctl_client *cl)
{
	struct ztd_ctl *c = cl->c;

	zt_io_del(c->d->loop, &cl->io);
	zt_timer_stop(c->d->loop, &cl->idle);
	close(cl->io.fd);
	cl->used = false;
	c->n--;
}

static void on_client(struct zt_io *io, __u32 events)
{
	static __u8 reply[ZT_CTL_MAX_REPLY];
	struct ctl_client *cl = ztd_of(io, struct ctl_client, io);
	__u8 msg[ZT_CTL_MAX_REQ];
	struct ucred peer = { 0 };
	socklen_t sl = sizeof(peer);
	struct zt_buf out;
	ssize_t n;
	int fd = io->fd;

	(void)events;
	n = recv(fd, msg, sizeof(msg), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) { /* hung up, or an error: nothing to answer */
		drop_client(cl);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &sl))
		peer.uid = (uid_t)-1;
	zt_buf_init(&out, reply, sizeof(reply));
	handle(cl->c->d, &peer, msg, (size_t)n > sizeof(msg) ? sizeof(msg) : (size_t)n,
	       (size_t)n > sizeof(msg), &out);
	/* Non-blocking: a client that does not read its reply loses it. */
	if (!out.err)
		send(fd, reply, out.off, MSG_DONTWAIT | MSG_NOSIGNAL);
	drop_client(cl);
}

static void on_idle(struct zt_timer *t)
{
	pr_info("control: dropping a client silent for %d ms\n", ZT_CTL_IDLE_MS);
	drop_client(ztd_of(t, struct ctl_client, idle));
}

static void on_accept(struct zt_io *io, __u32 events)
{
	struct ztd_ctl *c = ztd_of(io, struct ztd_ctl, lis);
	struct ctl_client *cl;
	size_t i;
	int fd;

	(void)events;
	while ((fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		for (i = 0; i < ZT_CTL_MAX_CLIENTS && c->cl[i].used; i++)
			;
		if (i == ZT_CTL_MAX_CLIENTS) {
			pr_info("control: %d clients already; refusing one\n", ZT_CTL_MAX_CLIENTS);
			close(fd);
			continue;
		}
		cl = &c->cl[i];
		*cl = (struct ctl_client){ .io = { .fd = fd, .cb = on_client },
					   .idle = { .cb = on_idle }, .c = c };
		if (zt_io_add(c->d->loop, &cl->io, EPOLLIN) ||
		    zt_timer_arm(c->d->loop, &cl->idle, ZT_CTL_IDLE_MS)) {
			zt_io_del(c->d->loop, &cl->io);
			close(fd);
			continue;
		}
		cl->used = true;
		c->n++;
	}
	zt_accept_rest(c->d->loop, io, &c->rest, errno, 100, "the control socket");
}

int ztd_ctl_open(struct ztd *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ztd_ctl *c;
	mode_t old;
	int fd, err;

	if (strlen(d->ctl_path) >= sizeof(sa.sun_path)) {
		pr_warn("control socket path %s is too long\n", d->ctl_path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, d->ctl_path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Someone answering there is a running ztd; a refused connection is
	 * the socket of one that died (SIGKILL), which we replace. */
	if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)) || errno == EAGAIN) {
		pr_warn("another ztd is running with control socket %s; stop it first "
			"(systemctl stop ztd, or kill the process)\n", d->ctl_path);
		close(fd);
		return -EADDRINUSE;
	}
	close(fd);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	unlink(d->ctl_path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		free(c);
		return err;
	}
	old = umask(0177); /* the socket is born 0600: no window at 0755 */
	err = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old);
	if (!err && listen(fd, ZT_CTL_MAX_CLIENTS))
		err = -errno;
	c->d = d;
	c->lis = (struct zt_io){ .fd = fd, .cb = on_accept };
	if (!err)
		err = zt_io_add(d->loop, &c->lis, EPOLLIN);
	if (err) {
		pr_warn("control socket %s: %s\n", d->ctl_path, strerror(-err));
		close(fd);
		free(c);
		return err;
	}
	d->ctl = c;
	return 0;
}

void ztd_ctl_close(struct ztd *d)
{
	struct ztd_ctl *c = d->ctl;
	size_t i;

	if (!c)
		return;
	for (i = 0; i < ZT_CTL_MAX_CLIENTS; i++)
		if (c->cl[i].used)
			drop_client(&c->cl[i]);
	zt_timer_stop(d->loop, &c->rest.t);
	zt_io_del(d->loop, &c->lis);
	close(c->lis.fd);
	unlink(d->ctl_path);
	free(c);
	d->ctl = NULL;
}
