// SPDX-License-Identifier: GPL-2.0
/* access.c — `ztctl access ssh|tcp` (seed 003's ProxyCommand access):
 * reach a host through its tunnel without a route to it. With the user
 * token `ztctl user token` made, dial the gateway's tunnel endpoint (TLS
 * 1.3, its key pinned by the token), say HELLO with the token, and open a
 * stream per connection to HOST:PORT; the gateway decides each with the
 * network policies as the token's user's and carries it through the
 * tunnel's connector. `ssh` joins the stream to stdin and stdout (for
 * ProxyCommand); `tcp` listens on a local port and opens a stream per
 * connection there. docs/access.md. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "sock.h"
#include "addr.h"
#include "bridge.h"
#include "clock.h"
#include "out.h"
#include "utoken.h"
#include "zt_abi.h"
#include "ztctl.h"

#define acc_of(p, m) ((struct access *)((char *)(p) - offsetof(struct access, m)))

#define ACC_DIAL_MS 5000      /* TCP to one gateway address */
#define ACC_HELLO_MS 10000    /* TLS and the token's answer */
#define ACC_KEEPALIVE_MS 5000
#define ACC_DEAD_MS 15000
#define ACC_PENDING 64        /* tcp: local connections waiting for the gateway */

struct access {
	struct zt_loop *loop;
	struct ssl_ctx_st *ctx;
	struct zt_utoken tok;
	struct zt_mux_open o;
	bool ssh;
	bool up, ready, dialled;
	struct zt_tconn t;
	struct zt_timer timer;     /* the answer's deadline, then keepalives */
	__u64 last_pong_ms;
	struct zt_io lis;          /* tcp: the local port */
	struct zt_rest rest;       /* ... accept ran out of descriptors */
	int pending[ACC_PENDING];
	unsigned n_pending;
	int sp;                    /* ssh: our end of the socket pair */
	int rc;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ztctl access ssh --hostname HOST [--port N] [--token-file FILE]\n"
		"       ztctl access tcp --hostname HOST[:PORT] --url [ADDR:]PORT [--port N]\n"
		"                        [--token-file FILE]\n\n"
		"Reaches HOST (a name of a hostname route, or an address of a route) through\n"
		"its remote tunnel's connector, with no route to it: dials the gateway named\n"
		"by the user token over TLS 1.3 (its key pinned), presents the token, and\n"
		"asks for HOST:PORT. The gateway decides with its network and DNS policies,\n"
		"as for the token's user.\n\n"
		"  ssh          the stream is stdin and stdout; in ~/.ssh/config:\n"
		"                 Host *.internal.example\n"
		"                   ProxyCommand ztctl access ssh --hostname %%h\n"
		"               (port 22 unless --port)\n"
		"  tcp          listen on ADDR:PORT (ADDR default 127.0.0.1) and carry each\n"
		"               connection there to HOST:PORT, until interrupted\n"
		"  --token-file the token 'ztctl user token' made (default $ZT_ACCESS_TOKEN_FILE,\n"
		"               else ~/.config/zt/access.token); keep it mode 0600\n\n"
		"Exit status: 0 the stream ended well, 1 refused or failed (the reason on\n"
		"stderr: the policy blocks it, no route, no connector, the origin refused,\n"
		"the token expired or was revoked), 2 bad usage.\n");
}

static const char *why_text(__u32 code)
{
	switch (code) {
	case ZT_MUX_E_POLICY: return "the gateway's policy blocks it";
	case ZT_MUX_E_NO_ROUTE: return "the gateway routes no remote tunnel to it";
	case ZT_MUX_E_NO_CONNECTOR: return "its tunnel's connector is not connected";
	case ZT_MUX_E_RESOLVE: return "the name does not resolve in the private network";
	case ZT_MUX_E_REFUSED: return "the host refused the connection";
	case ZT_MUX_E_UNREACHABLE: return "the host is unreachable from the connector";
	case ZT_MUX_E_TIMEOUT: return "the host did not answer";
	case ZT_MUX_E_FORBIDDEN: return "the connector's ingress rules refuse it";
	case ZT_MUX_E_BUSY: return "a limit of the gateway or connector";
	case ZT_MUX_E_GONE: return "the connection to the gateway ended";
	default: return zt_mux_err_name(code);
	}
}

static void fail(struct access *a, const char *fmt, const char *arg)
{
	fprintf(stderr, "ztctl access: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	a->rc = 1;
	if (a->ssh)
		zt_loop_stop(a->loop);
}

/* ---- the stream(s) ------------------------------------------------------------------ */

static void on_done(void *arg, struct zt_bridge *b, const char *why, __u32 code, __u64 in,
		    __u64 out)
{
	struct access *a = arg;
	char what[300], addr[INET6_ADDRSTRLEN];

	(void)b;
	(void)in;
	(void)out;
	if (a->o.hostname[0])
		snprintf(what, sizeof(what), "%s:%u", a->o.hostname, a->o.port);
	else
		snprintf(what, sizeof(what), a->o.family == ZT_AF_INET ? "%s:%u" : "[%s]:%u",
			 zt_addr_str(a->o.family, a->o.addr, addr, sizeof(addr)), a->o.port);
	if (code)
		fprintf(stderr, "ztctl access: %s: %s\n", what, why_text(code));
	else if (why && a->ssh)
		fprintf(stderr, "ztctl access: %s: %s\n", what, why);
	if (a->ssh) {
		a->rc = code ? 1 : 0;
		zt_loop_stop(a->loop);
	}
}

/* A stream for fd (a connection, or ssh's socket pair). */
static void carry(struct access *a, int fd)
{
	struct zt_mux_stream *s;
	int err = 0;

	s = zt_mux_open(a->t.mux, &a->o, NULL, &err);
	if (!s) {
		fprintf(stderr, "ztctl access: no stream: %s\n", strerror(-err));
		close(fd);
		if (a->ssh) {
			a->rc = 1;
			zt_loop_stop(a->loop);
		}
		return;
	}
	zt_bridge_new(&a->t, s, fd, false, on_done, a);
}

static void *pump(void *arg)
{
	int *fds = arg;
	char buf[65536];
	ssize_t n;

	while ((n = read(fds[0], buf, sizeof(buf))) > 0) {
		ssize_t off = 0, w;

		while (off < n) {
			w = write(fds[1], buf + off, (size_t)(n - off));
			if (w <= 0)
				return NULL;
			off += w;
		}
	}
	shutdown(fds[1], SHUT_WR); /* stdin's end: the stream's FIN */
	return NULL;
}

/* ---- the connection ---------------------------------------------------------------- */

static void on_up(struct zt_tconn *t)
{
	struct access *a = acc_of(t, t);
	struct zt_mux_hello h = { .version = ZT_MUX_ACCESS };
	struct zt_buf b;

	zt_buf_init(&b, h.cred, sizeof(h.cred));
	zt_utoken_cred_put(&b, &a->tok, true);
	h.cred_len = (__u16)b.off;
	zt_mux_hello(a->t.mux, ZT_MUX_SYN, &h);
}

/* tcp: the local connections that waited for the gateway are closed. */
static void drop_pending(struct access *a)
{
	while (a->n_pending)
		close(a->pending[--a->n_pending]);
}

static void on_down(struct zt_tconn *t, const char *why)
{
	struct access *a = acc_of(t, t);

	zt_timer_stop(a->loop, &a->timer);
	zt_tconn_free(&a->t);
	a->up = a->ready = false;
	drop_pending(a);
	if (a->ssh)
		fail(a, "the connection to the gateway ended: %s", why);
	else
		fprintf(stderr, "ztctl access: the connection to the gateway ended: %s\n", why);
}

static int on_hello(void *arg, __u16 flags, const struct zt_mux_hello *h)
{
	struct access *a = arg;
	unsigned i;

	(void)h;
	if (flags != ZT_MUX_ACK)
		return -EPROTO;
	zt_mux_set_ready(a->t.mux);
	a->ready = true;
	a->last_pong_ms = zt_mono_ms();
	zt_timer_arm(a->loop, &a->timer, ACC_KEEPALIVE_MS);
	if (a->ssh) {
		carry(a, a->sp);
	} else {
		for (i = 0; i < a->n_pending; i++)
			carry(a, a->pending[i]);
		a->n_pending = 0;
	}
	zt_tconn_flush(&a->t);
	return 0;
}

static int on_open(void *arg, struct zt_mux_stream *s, const struct zt_mux_open *o)
{
	(void)arg;
	(void)s;
	(void)o;
	return ZT_MUX_E_PROTO; /* the client opens streams, the gateway never */
}

static void on_event(void *arg, struct zt_mux_stream *s, unsigned evs)
{
	struct zt_bridge *b = zt_mux_user(s);

	(void)arg;
	if (b)
		zt_bridge_event(b, evs);
	else if (evs & ZT_MUXE_RST)
		zt_mux_release(s, ZT_MUX_E_NONE);
}

static void on_pong(void *arg, __u32 v)
{
	(void)v;
	((struct access *)arg)->last_pong_ms = zt_mono_ms();
}

static void on_goaway(void *arg, __u32 code)
{
	struct access *a = arg;

	if (code == ZT_MUX_GA_TOKEN) {
		fail(a, "%s", "the gateway refused the user token (expired, revoked, or not "
		     "signed by this gateway): ask the operator for a new one");
		a->rc = 1;
		zt_loop_stop(a->loop); /* tcp too: no connection will be taken */
	}
	else if (code != ZT_MUX_GA_NORMAL)
		fail(a, "the gateway said go away: %s", zt_mux_goaway_name(code));
}

static const struct zt_mux_ops ops = {
	.open = on_open, .event = on_event, .hello = on_hello, .pong = on_pong,
	.goaway = on_goaway,
};

static void on_timer(struct zt_timer *tm)
{
	struct access *a = acc_of(tm, timer);
	__u64 now = zt_mono_ms();

	if (!a->ready) {
		zt_tconn_free(&a->t);
		a->up = false;
		drop_pending(a);
		fail(a, "%s", "the gateway did not take the token in time");
		return;
	}
	if (now - a->last_pong_ms > ACC_DEAD_MS) {
		zt_tconn_free(&a->t);
		a->up = a->ready = false;
		drop_pending(a);
		fail(a, "%s", "the gateway stopped answering");
		return;
	}
	zt_mux_ping(a->t.mux, (__u32)now);
	zt_timer_arm(a->loop, &a->timer, ACC_KEEPALIVE_MS);
	zt_tconn_flush(&a->t);
}

/* TCP to the token's addresses in turn (ACC_DIAL_MS each), then TLS. */
static int dial(struct access *a)
{
	char where[INET6_ADDRSTRLEN + 8];
	int i, fd = -1, one = 1;

	for (i = 0; i < a->tok.n_addrs && fd < 0; i++) {
		const struct zt_token_addr *g = &a->tok.addrs[i];
		struct sockaddr_storage ss = { 0 };
		struct pollfd pfd;
		socklen_t sl, el = sizeof(int);
		int err = 0;

		sl = zt_sockaddr(g->family, g->addr, g->port, &ss);
		fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
		if ((connect(fd, (struct sockaddr *)&ss, sl) && errno != EINPROGRESS) ||
		    poll(&pfd, 1, ACC_DIAL_MS) != 1 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) || err) {
			fprintf(stderr, "ztctl access: gateway %s port %u: %s\n",
				zt_addr_str(g->family, g->addr, where, sizeof(where)), g->port,
				err ? strerror(err) : "no answer");
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0)
		return -ECONNREFUSED;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	a->t.on_up = on_up;
	a->t.on_down = on_down;
	if (zt_tconn_start(&a->t, a->loop, fd, a->ctx, false, NULL, &ops, a))
		return -EIO;
	a->up = true;
	a->timer.cb = on_timer;
	zt_timer_arm(a->loop, &a->timer, ACC_HELLO_MS);
	return 0;
}

/* ---- tcp: the local port ---------------------------------------------------------- */

static void on_accept(struct zt_io *io, __u32 events)
{
	struct access *a = acc_of(io, lis);
	int fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;

	(void)events;
	if (fd < 0) {
		zt_accept_rest(a->loop, io, &a->rest, errno, 100, "the local port");
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (a->ready) {
		carry(a, fd);
		zt_tconn_flush(&a->t);
		return;
	}
	if (a->n_pending >= ACC_PENDING) {
		close(fd);
		return;
	}
	a->pending[a->n_pending++] = fd;
	if (!a->up && dial(a)) {
		fprintf(stderr, "ztctl access: no gateway address answered; the waiting "
			"connections are closed\n");
		while (a->n_pending)
			close(a->pending[--a->n_pending]);
	}
}

static int listen_on(struct access *a, const char *url)
{
	struct sockaddr_storage ss = { 0 };
	struct zt_prefix p;
	char host[128] = "127.0.0.1";
	const char *port = url, *colon = strrchr(url, ':');
	unsigned long v;
	char *end;
	socklen_t sl;
	int fd, one = 1;

	if (colon) {
		size_t n = (size_t)(colon - url);

		if (url[0] == '[' && n >= 2 && url[n - 1] == ']')
			snprintf(host, sizeof(host), "%.*s", (int)(n - 2), url + 1);
		else
			snprintf(host, sizeof(host), "%.*s", (int)n, url);
		port = colon + 1;
	}
	if (!strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	v = strtoul(port, &end, 10);
	if (*end || !*port || !v || v > 65535 || zt_prefix_parse(host, &p)) {
		out_error("--url is [ADDRESS:]PORT (ADDRESS an IP address or localhost), not '%s'",
			  url);
		return -EINVAL;
	}
	sl = zt_sockaddr(p.family, p.addr, (__u16)v, &ss);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 128)) {
		out_error("--url %s: %s", url, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	if (!(p.family == ZT_AF_INET ? p.addr[0] == 127 :
	      !memcmp(p.addr, (const __u8[16]){ [15] = 1 }, 16)))
		fprintf(stderr, "ztctl access: warning: %s is not a loopback address: anyone who "
			"reaches it uses your token's access\n", host);
	a->lis.fd = fd;
	a->lis.cb = on_accept;
	return zt_io_add(a->loop, &a->lis, EPOLLIN);
}

/* ---- the command line ---------------------------------------------------------------- */

static int read_token(struct access *a, const char *path)
{
	char buf[ZT_UTOKEN_MAX + 64], def[4096];
	struct stat st;
	ssize_t n;
	int fd;

	if (!path)
		path = getenv("ZT_ACCESS_TOKEN_FILE");
	if (!path) {
		snprintf(def, sizeof(def), "%s/.config/zt/access.token",
			 getenv("HOME") ? getenv("HOME") : "");
		path = def;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		out_error("%s: %s (a user token from 'ztctl user token'; --token-file FILE)",
			  path, strerror(errno));
		return -1;
	}
	if (!fstat(fd, &st) && (st.st_mode & 077))
		fprintf(stderr, "ztctl access: warning: %s can be read by others (mode %03o): it "
			"is a credential; chmod 600 it\n", path, st.st_mode & 0777);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0 || (size_t)n == sizeof(buf) - 1) {
		out_error("%s: %s", path, n < 0 ? strerror(errno) : "too long to be a user token");
		return -1;
	}
	buf[n] = 0;
	if (zt_utoken_get(buf, &a->tok)) {
		out_error("%s: not a user token (ztu1....) from 'ztctl user token'", path);
		return -1;
	}
	if ((__u64)time(NULL) >= a->tok.expires) {
		out_error("%s: the token expired; ask the operator for a new one", path);
		return -1;
	}
	return 0;
}

/* HOST, HOST:PORT or [IPv6]:PORT into a->o (a name, or an address);
 * port: --port's (wins), or -1; ssh_port when neither says one (0: none). */
static int target(struct access *a, const char *arg, long port, long ssh_port)
{
	char host[ZT_HOSTNAME_MAX + 1];
	const char *colon = strrchr(arg, ':'), *ps = NULL;
	struct zt_prefix p;
	size_t n = strlen(arg);
	char *end = NULL;
	long v;

	if (colon && strchr(arg, ':') == colon) { /* HOST:PORT (not a bare IPv6 address) */
		n = (size_t)(colon - arg);
		ps = colon + 1;
	} else if (arg[0] == '[' && colon && colon[-1] == ']') {
		ps = colon + 1;
		arg++;
		n = (size_t)(colon - arg - 1);
	} else if (arg[0] == '[' && n > 2 && arg[n - 1] == ']') { /* [IPv6] */
		arg++;
		n -= 2;
	}
	if (ps) {
		v = strtol(ps, &end, 10);
		if (!*ps || *end || v <= 0 || v > 65535)
			return -EINVAL;
		if (port < 0)
			port = v;
	}
	if (port < 0)
		port = ssh_port;
	if (!n || n > ZT_HOSTNAME_MAX || port <= 0 || port > 65535)
		return -EINVAL;
	snprintf(host, sizeof(host), "%.*s", (int)n, arg);
	a->o.proto = ZT_MUX_TCP;
	a->o.port = (__u16)port;
	if (!zt_prefix_parse(host, &p) && p.len == zt_addr_bits(&p)) {
		a->o.family = p.family;
		memcpy(a->o.addr, p.addr, 16);
		return 0;
	}
	for (n = 0; host[n]; n++)
		if (host[n] <= 0x20 || host[n] >= 0x7f)
			return -EINVAL;
	snprintf(a->o.hostname, sizeof(a->o.hostname), "%s", host);
	return 0;
}

int access_main(int argc, char **argv)
{
	static struct access a;
	const char *hostname = NULL, *url = NULL, *token_file = NULL;
	static int fin[2], fout[2]; /* the copying threads' (they outlive a return) */
	char addr[INET6_ADDRSTRLEN];
	pthread_t in, out;
	int i, sp[2], err;
	long port = -1;
	char *end;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "ssh") && strcmp(argv[1], "tcp"))
		return ztctl_usage_error("access", "unknown verb", argv[1]);
	a.ssh = !strcmp(argv[1], "ssh");
	for (i = 2; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			return ztctl_usage_error("access", "a value is needed after", argv[i]);
		if (!strcmp(argv[i], "--hostname"))
			hostname = v;
		else if (!strcmp(argv[i], "--url") && !a.ssh)
			url = v;
		else if (!strcmp(argv[i], "--token-file"))
			token_file = v;
		else if (!strcmp(argv[i], "--port") &&
			 (port = strtol(v, &end, 10)) > 0 && port <= 65535 && !*end)
			;
		else
			return ztctl_usage_error("access", "unknown option, or a bad value, at",
						 argv[i]);
		i++;
	}
	if (!hostname || (!a.ssh && !url))
		return ztctl_usage_error("access", a.ssh ? "ssh needs --hostname HOST, after" :
				       "tcp needs --hostname HOST:PORT and --url [ADDR:]PORT, after",
				       argv[1]);
	if (target(&a, hostname, port, a.ssh ? 22 : 0))
		return ztctl_usage_error("access", a.ssh ? "--hostname is a host name or address, "
				       "not" : "--hostname is HOST:PORT (or --port N), not", hostname);
	if (read_token(&a, token_file))
		return 1;
	a.ctx = zt_tls_client(a.tok.pin);
	if (!a.ctx || zt_loop_new(&a.loop)) {
		out_error("cannot start TLS");
		return 1;
	}
	if (!a.ssh) {
		if (listen_on(&a, url))
			return 1;
		fprintf(stderr, "ztctl access: %s carried to %s%s%s:%u through the gateway\n", url,
			a.o.family == ZT_AF_INET6 ? "[" : "",
			a.o.hostname[0] ? a.o.hostname :
			zt_addr_str(a.o.family, a.o.addr, addr, sizeof(addr)),
			a.o.family == ZT_AF_INET6 ? "]" : "", a.o.port);
		err = zt_loop_run(a.loop);
		return err ? 1 : a.rc;
	}
	/* ssh: stdin and stdout through a socket pair the stream's bridge owns
	 * one end of; two threads copy (either may be a pipe). */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp)) {
		out_error("socketpair: %s", strerror(errno));
		return 1;
	}
	fcntl(sp[0], F_SETFL, O_NONBLOCK);
	a.sp = sp[0];
	if (dial(&a)) {
		out_error("no address of the gateway answered");
		return 1;
	}
	fin[0] = 0;
	fin[1] = sp[1];
	fout[0] = sp[1];
	fout[1] = 1;
	if (pthread_create(&in, NULL, pump, fin) || pthread_create(&out, NULL, pump, fout)) {
		out_error("cannot start a thread");
		return 1;
	}
	a.rc = 0;
	zt_loop_run(a.loop);
	/* What the stream sent is written out before exiting. */
	if (!a.rc)
		pthread_join(out, NULL);
	return a.rc;
}
