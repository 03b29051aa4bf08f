// SPDX-License-Identifier: GPL-2.0
/* pxw.c — a proxy worker process (pxw.h): started by ztd (proxy.c) as
 * `ztd --proxy-worker INDEX UID GID PPID LOGLEVEL` with its IPv4 and IPv6
 * listeners on descriptors 3 and 4, its channel to ztd on 5 and the
 * socket pair on which it hands ztd sockets on 6. It drops
 * to UID/GID (no capabilities, no new privileges) before it reads a byte
 * from anyone, runs under a seccomp filter (pxw_seccomp.c), dies with
 * ztd, and ends (resetting its connections) when ztd closes the channel. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/common_interface_defs.h>
#endif
#include "log.h"
#include "sock.h"
#include "pxw.h"

#define PXW_FD_L4  3
#define PXW_FD_L6  4
#define PXW_FD_CH  5

/* Past this, nothing can be said to ztd any more: the worker ends (ztd
 * sees its channel close, logs it and starts another). */
void pxw_send(struct pxw *w, const struct zt_pxm *m)
{
	__u8 body[ZT_PXM_MAX];
	struct zt_buf b;

	zt_buf_init(&b, body, sizeof(body));
	zt_pxm_put(&b, m);
	if (b.err || zt_chan_send(&w->ch, body, b.off) == -ENOBUFS) {
		pr_warn("proxy worker: ztd does not read its channel; exiting\n");
		_exit(1);
	}
}

static void accept_all(struct pxw *w, struct zt_io *io)
{
	struct sockaddr_storage src, dst;
	socklen_t sl, dl;
	int fd, k;

	if (zt_chan_queued(&w->ch) > PXW_CHAN_HIGH) {
		/* ztd is behind: nothing new until it has read (the
		 * backlog waits), rather than asks it cannot answer yet. */
		px_watch(w->loop, &w->l[0], &w->lev[0], 0);
		px_watch(w->loop, &w->l[1], &w->lev[1], 0);
		zt_timer_arm(w->loop, &w->resume, 100);
		return;
	}
	/* The asks of one batch leave in one write. */
	zt_chan_cork(&w->ch);
	for (k = 0; k < 64; k++) {
		sl = sizeof(src);
		dl = sizeof(dst);
		fd = accept4(io->fd, (struct sockaddr *)&src, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOMEM ||
			       errno == ENOBUFS)) {
			/* Out of descriptors or memory: the listeners rest
			 * 100 ms, not spin on a backlog they cannot take;
			 * the kernel's backlog, then the clients' SYN
			 * retries, wait meanwhile. ztd counts it. */
			struct zt_pxm m = { .type = ZT_PXM_EVENT, .event = ZT_PXEV_NOFILE };

			pxw_send(w, &m);
			px_watch(w->loop, &w->l[0], &w->lev[0], 0);
			px_watch(w->loop, &w->l[1], &w->lev[1], 0);
			zt_timer_arm(w->loop, &w->resume, 100);
			break;
		}
		if (fd < 0)
			break;
		if (getsockname(fd, (struct sockaddr *)&dst, &dl)) {
			close(fd);
			continue;
		}
		pxw_conn_start(w, fd, &src, &dst);
	}
	zt_chan_uncork(&w->ch);
}

static void on_resume(struct zt_timer *t)
{
	struct pxw *w = pxw_of(t, struct pxw, resume);

	if (px_watch(w->loop, &w->l[0], &w->lev[0], EPOLLIN) ||
	    px_watch(w->loop, &w->l[1], &w->lev[1], EPOLLIN))
		zt_timer_arm(w->loop, &w->resume, 100);
}

static void on_accept4(struct zt_io *io, __u32 ev)
{
	(void)ev;
	accept_all(pxw_of(io, struct pxw, l[0]), io);
}

static void on_accept6(struct zt_io *io, __u32 ev)
{
	(void)ev;
	accept_all(pxw_of(io, struct pxw, l[1]), io);
}

/* Once a second: each connection whose state or bytes changed, so that
 * ztctl proxy list is at most a second behind. */
static void on_progress(struct zt_timer *t)
{
	struct pxw *w = pxw_of(t, struct pxw, progress);
	struct zt_pxm m = { .type = ZT_PXM_PROGRESS };
	struct wconn *c;

	zt_timer_arm(w->loop, t, 1000);
	/* The pipes kept for new connections: no more than its connections
	 * use (they count against the user's pipe quota), none when idle. */
	while (w->n_pipes > 2 * w->n) {
		w->n_pipes--;
		close(w->pipes[w->n_pipes][0]);
		close(w->pipes[w->n_pipes][1]);
	}
	if (zt_chan_queued(&w->ch) > PXW_CHAN_HIGH)
		return; /* ztd is behind: the next second's says it all */
	zt_chan_cork(&w->ch);
	for (c = w->head; c; c = c->next) {
		__u64 bytes = c->cu.bytes + c->uc.bytes;

		if (c->rep_state == c->st && c->rep_bytes == bytes)
			continue;
		c->rep_state = (__u8)c->st;
		c->rep_bytes = bytes;
		m.prog.c[m.prog.n].cid = c->cid;
		m.prog.c[m.prog.n].state = (__u8)c->st;
		m.prog.c[m.prog.n].up = c->cu.bytes;
		m.prog.c[m.prog.n].down = c->uc.bytes;
		if (++m.prog.n == ZT_PXM_PROG_MAX) {
			pxw_send(w, &m);
			m.prog.n = 0;
		}
	}
	if (m.prog.n)
		pxw_send(w, &m);
	zt_chan_uncork(&w->ch);
}

static int on_msg(struct zt_chan *ch, const __u8 *body, size_t len)
{
	struct pxw *w = pxw_of(ch, struct pxw, ch);
	struct zt_pxm m;
	struct zt_buf b;

	zt_buf_init(&b, (__u8 *)body, len);
	if (zt_pxm_get(&b, &m))
		return -EBADMSG;
	if (m.type == ZT_PXM_ANSWER)
		pxw_conn_answer(w, &m.answer);
	else if (m.type == ZT_PXM_REVOKE)
		pxw_conn_revoke(w, m.revoke);
	else
		return -EBADMSG;
	return 0;
}

/* ztd is gone, or said what it never says: every connection reset, and
 * the worker exits (ztd, if it lives, starts another). */
static void quit(struct pxw *w)
{
	while (w->head)
		pxw_end(w->head, ZT_PXE_SHUTDOWN, 0, true);
	zt_io_del(w->loop, &w->given);
	zt_loop_stop(w->loop);
}

static void on_close(struct zt_chan *ch, int err)
{
	(void)err;
	quit(pxw_of(ch, struct pxw, ch));
}

/* The upstream sockets ztd connected, on the hand-over pair: an ANSWER
 * (CONNECT) with one socket each (none, with MSG_CTRUNC: this worker is
 * out of descriptors, and that connection ends). */
static void on_given(struct zt_io *io, __u32 ev)
{
	struct pxw *w = pxw_of(io, struct pxw, given);
	int i;

	(void)ev;
	for (i = 0; i < 64 && io->added; i++) {
		__u8 body[ZT_PXM_MAX];
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(4 * sizeof(int))];
		} u;
		struct iovec iov = { .iov_base = body, .iov_len = sizeof(body) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
				     .msg_controllen = sizeof(u.b) };
		struct zt_pxm m;
		struct zt_buf b;
		unsigned extra = 0;
		int fd = -1;
		ssize_t n;

		n = recvmsg(io->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n > 0)
			extra = zt_sock_take_fds(&mh, &fd);
		zt_buf_init(&b, body, n > 0 ? (size_t)n : 0);
		if (n <= 0 || zt_pxm_get(&b, &m) || m.type != ZT_PXM_ANSWER ||
		    m.answer.act != ZT_PXA_CONNECT || extra || (mh.msg_flags & MSG_TRUNC) ||
		    (fd < 0) != !!(mh.msg_flags & MSG_CTRUNC)) {
			if (fd >= 0)
				close(fd);
			if (n)
				pr_warn("proxy worker: ztd's hand-over pair failed or said what "
					"it never says; exiting\n");
			quit(w);
			return;
		}
		pxw_conn_upstream(w, m.answer.cid, fd);
	}
}

/* No capability in any set (checked, not assumed). */
static bool no_caps(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct c[2] = { 0 };
	int i;

	if (syscall(SYS_capget, &h, c))
		return false;
	for (i = 0; i < 2; i++)
		if (c[i].effective || c[i].permitted || c[i].inheritable)
			return false;
	return true;
}

/* To uid/gid for good, with no capabilities (a change of uid from root
 * clears them; the ambient set is cleared first) and none to gain by
 * exec, no process to start (RLIMIT_NPROC 0: a worker that forked could
 * outlive its restart); killed when ztd dies. */
static int drop(uid_t uid, gid_t gid, pid_t ppid)
{
	struct rlimit rl, none = { 0, 0 };
	FILE *f;
	unsigned long max = 1 << 20;

	/* Its connections' descriptors are ztd's to bound (max_connections);
	 * the worker's own limit is the kernel's, raised while it may. */
	f = fopen("/proc/sys/fs/nr_open", "re");
	if (f) {
		if (fscanf(f, "%lu", &max) != 1)
			max = 1 << 20;
		fclose(f);
	}
	rl.rlim_cur = rl.rlim_max = max;
	if (setrlimit(RLIMIT_NOFILE, &rl) && !getrlimit(RLIMIT_NOFILE, &rl)) {
		/* Without CAP_SYS_RESOURCE: as far as the hard limit goes. */
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (!uid || !gid) {
		pr_warn("proxy worker: refusing to run as root or group root\n");
		return -EPERM;
	}
	if (setrlimit(RLIMIT_NPROC, &none) ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) ||
	    setgroups(0, NULL) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0)) {
		pr_warn("proxy worker: dropping privileges: %s\n", strerror(errno));
		return -errno;
	}
	/* A change of uid clears the parent-death signal: set above, after
	 * it; ztd may have died before that. */
	if (getppid() != ppid || !setuid(0) || !no_caps()) {
		pr_warn("proxy worker: privileges left after dropping them; exiting\n");
		return -EPERM;
	}
	return 0;
}

static int parse_num(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || end == s || *end || *out > max ? -EINVAL : 0;
}

int ztd_proxy_worker_main(int argc, char **argv)
{
	static struct pxw w;
	unsigned long idx, uid, gid, ppid, level;
	sigset_t none;
	int err;

	if (argc != 7 || parse_num(argv[2], 63, &idx) || parse_num(argv[3], 0xfffffffe, &uid) ||
	    parse_num(argv[4], 0xfffffffe, &gid) || parse_num(argv[5], 1 << 30, &ppid) ||
	    parse_num(argv[6], 9, &level) || fcntl(PXW_FD_L4, F_GETFD) < 0 ||
	    fcntl(PXW_FD_L6, F_GETFD) < 0 || fcntl(PXW_FD_CH, F_GETFD) < 0 ||
	    fcntl(PXW_FD_HAND, F_GETFD) < 0) {
		fprintf(stderr, "ztd --proxy-worker is how ztd starts its proxy workers; "
			"it is not run by hand\n");
		return 2;
	}
	zt_log_level = (int)level;
	signal(SIGPIPE, SIG_IGN);
	/* Ended by ztd (its channel closing) or with it; a terminal's ^C is
	 * ztd's to act on. */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_NAME, "ztd-proxy", 0, 0, 0);
	if (drop((uid_t)uid, (gid_t)gid, (pid_t)ppid))
		return 1;
	err = zt_loop_new(&w.loop);
	if (err)
		return 1;
	w.l[0].fd = PXW_FD_L4;
	w.l[1].fd = PXW_FD_L6;
	w.l[0].cb = on_accept4;
	w.l[1].cb = on_accept6;
	w.resume.cb = on_resume;
	w.progress.cb = on_progress;
	w.ch.on_msg = on_msg;
	w.ch.on_close = on_close;
	/* Never a blocking accept or read, whatever they were handed as. */
	fcntl(PXW_FD_L4, F_SETFL, O_NONBLOCK);
	fcntl(PXW_FD_L6, F_SETFL, O_NONBLOCK);
	fcntl(PXW_FD_CH, F_SETFL, O_NONBLOCK);
	fcntl(PXW_FD_HAND, F_SETFL, O_NONBLOCK);
	w.hand = PXW_FD_HAND;
	w.given.fd = PXW_FD_HAND;
	w.given.cb = on_given;
	if (zt_chan_open(&w.ch, w.loop, PXW_FD_CH, PXW_CHAN_OUT) ||
	    zt_io_add(w.loop, &w.given, EPOLLIN) ||
	    px_watch(w.loop, &w.l[0], &w.lev[0], EPOLLIN) ||
	    px_watch(w.loop, &w.l[1], &w.lev[1], EPOLLIN) ||
	    zt_timer_arm(w.loop, &w.progress, 1000)) {
		pr_warn("proxy worker %lu: setting up its loop failed\n", idx);
		return 1;
	}
#ifdef __SANITIZE_ADDRESS__
	/* A sanitizer's report opens no file under the filter: it goes to
	 * ztd's log (and the worker, which dies of it, is counted). */
	__sanitizer_set_report_fd((void *)2);
#endif
	err = pxw_seccomp();
	if (err) {
		pr_warn("proxy worker %lu: installing its seccomp filter: %s\n", idx,
			strerror(-err));
		return 1;
	}
	pr_debug("proxy worker %lu: running as uid %lu\n", idx, uid);
	err = zt_loop_run(w.loop);
	/* _exit: no exit handlers to run under the filter (a sanitizer's
	 * leak check would need calls it does not allow). */
	_exit(err ? 1 : 0);
}
