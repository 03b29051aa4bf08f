// SPDX-License-Identifier: GPL-2.0
/* test_seccomp — a proxy worker's seccomp filter (user/ztd/pxw_seccomp.c):
 * what a worker does passes (an upstream socket taken from ztd, a socket
 * handed to ztd, a reset, pipes, the heap, stderr), and a call a
 * compromised worker would want traps (any socket made, any connect to
 * an address, any socket option): the worker says which and exits 3. Each case runs in a child that execs this test
 * again (so it runs natively, not under valgrind, which follows no exec),
 * sets no_new_privs as a worker has, installs the filter and tries one
 * thing. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "../lib/t.h"

int pxw_seccomp(void); /* user/ztd/pxw.h */

static const char *self;

/* A socket (fd) sent on sock as a worker hands ztd one: 0 or -1. */
static int hand(int sock, int fd)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { .iov_base = "h", .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
			     .msg_controllen = sizeof(u.b) };
	struct cmsghdr *cm;

	memset(&u, 0, sizeof(u));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &mh, MSG_DONTWAIT) == 1 ? 0 : -1;
}

/* A socket received on sock as a worker takes one from ztd: it, or -1. */
static int take(int sock)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} u;
	char x;
	struct iovec iov = { .iov_base = &x, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
			     .msg_controllen = sizeof(u.b) };
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) != 1 ||
	    !(cm = CMSG_FIRSTHDR(&mh)) || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* In the child: one case under the filter; 0 when it ran through. Its
 * descriptors 3 and 4 stand for a worker's listeners, 6 for its
 * hand-over socket pair (7 is another socket pair's end); fd is a TCP
 * socket made before the filter, and one more waits in 6 as ztd gives
 * a worker its upstream sockets. */
static int child(const char *what)
{
	int fd, up, p[2], one = 1, sv[2], sv2[2];
	struct linger l = { 1, 0 };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char x = 'x';
	struct iovec iov = { .iov_base = &x, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	void *m;

	/* All four ends above 20 first: placing one on 3, 4, 6 or 7 (where
	 * a socket pair may have been made: 3 is taken when run under
	 * flock) must not close another. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv2) || (sv[0] = fcntl(sv[0], F_DUPFD, 20)) < 0 ||
	    (sv[1] = fcntl(sv[1], F_DUPFD, 20)) < 0 || (sv2[0] = fcntl(sv2[0], F_DUPFD, 20)) < 0 ||
	    (sv2[1] = fcntl(sv2[1], F_DUPFD, 20)) < 0 || dup2(sv[0], 6) != 6 ||
	    dup2(sv2[0], 7) != 7 || dup2(2, 3) != 3 || dup2(2, 4) != 4)
		return 9;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	up = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || up < 0 || hand(sv[1], up) || close(up) || hand(sv2[1], fd) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || pxw_seccomp())
		return 9;
	if (!strcmp(what, "worker")) {
		char *b = malloc(1 << 22);

		up = take(6);
		if (!b || up < 0 || pipe2(p, O_CLOEXEC) || write(p[1], "x", 1) != 1 ||
		    fcntl(p[1], F_SETPIPE_SZ, 1 << 20) < 0 || fcntl(p[1], F_GETPIPE_SZ) < 0 ||
		    send(6, "x", 1, MSG_DONTWAIT) != 1 || hand(6, up) ||
		    connect(up, &(struct sockaddr){ .sa_family = AF_UNSPEC }, sizeof(sa_family_t)))
			return 8;
		memset(b, 1, 1 << 22);
		free(b);
		shutdown(up, SHUT_WR);
		close(up);
		fprintf(stderr, "# the worker's calls pass\n");
		return 0;
	}
	if (!strcmp(what, "socket"))
		fd = socket(AF_INET, SOCK_STREAM, 0);
	else if (!strcmp(what, "connect"))
		fd = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	else if (!strcmp(what, "connect-long-unspec"))
		fd = connect(fd, &(struct sockaddr){ .sa_family = AF_UNSPEC }, sizeof(struct sockaddr));
	else if (!strcmp(what, "sendto-address"))
		fd = (int)sendto(fd, "x", 1, 0, (struct sockaddr *)&sin, sizeof(sin));
	else if (!strcmp(what, "fastopen"))
		fd = (int)sendto(fd, "x", 1, MSG_FASTOPEN, NULL, 0);
	else if (!strcmp(what, "sendmsg-address"))
		fd = (int)(mh.msg_name = &sin, mh.msg_namelen = sizeof(sin), sendmsg(fd, &mh, 0));
	else if (!strcmp(what, "fastopen-hand"))
		fd = (int)sendmsg(6, &mh, MSG_FASTOPEN | MSG_DONTWAIT);
	else if (!strcmp(what, "close-hand"))
		fd = close(6);
	else if (!strcmp(what, "close-listener"))
		fd = close(3);
	else if (!strcmp(what, "recvmsg"))
		fd = (int)recvmsg(7, &mh, MSG_DONTWAIT);
	else if (!strcmp(what, "nodelay"))
		fd = setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	else if (!strcmp(what, "device"))
		fd = setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3);
	else if (!strcmp(what, "dgram"))
		fd = socket(AF_INET, SOCK_DGRAM, 0);
	else if (!strcmp(what, "filter"))
		fd = setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &one, sizeof(one));
	else if (!strcmp(what, "linger"))
		fd = setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	else if (!strcmp(what, "rcvbuf"))
		fd = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one));
	else if (!strcmp(what, "listener-opt"))
		fd = setsockopt(3, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	else if (!strcmp(what, "listener-shut"))
		fd = shutdown(4, SHUT_RDWR);
	else if (!strcmp(what, "listener-disconnect"))
		fd = connect(3, &(struct sockaddr){ .sa_family = AF_UNSPEC }, sizeof(struct sockaddr));
	else if (!strcmp(what, "setfl"))
		fd = fcntl(fd, F_SETFL, O_ASYNC);
	else if (!strcmp(what, "setown"))
		fd = fcntl(fd, F_SETOWN, 1);
	else if (!strcmp(what, "dup"))
		fd = fcntl(fd, F_DUPFD, 10);
	else if (!strcmp(what, "open"))
		fd = open("/etc/hostname", O_RDONLY);
	else if (!strcmp(what, "unix"))
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
	else if (!strcmp(what, "raw"))
		fd = socket(AF_PACKET, SOCK_RAW, 0);
	else if (!strcmp(what, "exec")) {
		m = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		fd = m == MAP_FAILED ? -1 : 0;
	} else if (!strcmp(what, "fork"))
		fd = fork();
	else if (!strcmp(what, "kill"))
		fd = kill(1, 0);
	else if (!strcmp(what, "sendmsg"))
		fd = hand(7, fd);
	else
		return 7;
	(void)fd;
	return 0; /* reached: the call was not refused */
}

/* The case run in a child of its own: its exit status. */
static int run(const char *what)
{
	pid_t pid = fork();
	int st = 0;

	if (pid == 0) {
		execl(self, self, "--child", what, (char *)NULL);
		_exit(10);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

static void a_worker_s_calls_pass(void)
{
	T_EQ(run("worker"), 0);
}

static void what_a_worker_never_needs_traps(void)
{
	T_EQ(run("open"), 3);  /* files */
	/* No socket made, no connection to any address: upstream sockets
	 * come from ztd, connected where it decided. */
	T_EQ(run("socket"), 3);
	T_EQ(run("unix"), 3);
	T_EQ(run("raw"), 3);
	T_EQ(run("dgram"), 3);
	T_EQ(run("connect"), 3);
	T_EQ(run("connect-long-unspec"), 3); /* a reset is 2 bytes long */
	T_EQ(run("sendto-address"), 3);
	T_EQ(run("fastopen"), 3);
	T_EQ(run("sendmsg-address"), 3); /* sendmsg only on the hand-over pair */
	T_EQ(run("fastopen-hand"), 3);   /* ... without TCP Fast Open */
	T_EQ(run("recvmsg"), 3);         /* ... and recvmsg */
	/* The descriptors the filter names by number stay theirs: closed,
	 * the next accept would get the number. */
	T_EQ(run("close-hand"), 3);
	T_EQ(run("close-listener"), 3);
	T_EQ(run("exec"), 3);  /* executable memory */
	T_EQ(run("fork"), 3);  /* processes */
	T_EQ(run("kill"), 3);  /* signals to others */
	T_EQ(run("nodelay"), 3); /* no socket option at all */
	T_EQ(run("device"), 3);
	T_EQ(run("filter"), 3);
	T_EQ(run("rcvbuf"), 3);
	T_EQ(run("linger"), 3); /* it would stay on a socket handed to ztd */
	T_EQ(run("listener-opt"), 3); /* the listeners ztd shares with it */
	T_EQ(run("listener-shut"), 3);
	T_EQ(run("listener-disconnect"), 3);
	T_EQ(run("setfl"), 3);  /* fcntl other than a pipe's size */
	T_EQ(run("setown"), 3);
	T_EQ(run("dup"), 3);
	T_EQ(run("sendmsg"), 3); /* a socket sent anywhere but to ztd */
}

int main(int argc, char **argv)
{
	self = argv[0];
	/* _exit: no exit handlers (a sanitizer's leak check) under the filter. */
	if (argc == 3 && !strcmp(argv[1], "--child"))
		_exit(child(argv[2]));
	T_RUN(a_worker_s_calls_pass);
	T_RUN(what_a_worker_never_needs_traps);
	return t_done();
}
