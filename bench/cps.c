// SPDX-License-Identifier: GPL-2.0
/* cps — new TCP connections per second, for bench_proxy.sh.
 *
 *   cps serve ADDR PORT SECS
 *       accepts, reads what the client sends, answers "ok\n" and closes;
 *       exits after SECS.
 *   cps client ADDR PORT SECS CONC
 *       keeps CONC connections in flight for SECS: each connects, sends
 *       "hello\n" (a client that speaks first, so a proxy that reads the
 *       first bytes decides at once), reads to the end ("ok\n" then the
 *       server's FIN) and closes; prints "DONE FAILED PER_SECOND".
 *
 * One thread, epoll, non-blocking sockets; every connection has a 5 s
 * deadline. Bounded in time: both stop by themselves. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#define MAX_CONC 1024
#define CONN_MS  5000

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int addr_of(const char *a, const char *port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((unsigned short)atoi(port));
	return inet_pton(AF_INET, a, &sa->sin_addr) == 1 ? 0 : -1;
}

static int serve(const struct sockaddr_in *sa, double secs)
{
	struct epoll_event ev, evs[256];
	double end = now_s() + secs;
	int one = 1, lfd, ep, n, i;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (const struct sockaddr *)sa, sizeof(*sa)) || listen(lfd, 4096)) {
		perror("cps serve: listening");
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = lfd };
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	while (now_s() < end) {
		n = epoll_wait(ep, evs, 256, 200);
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			char buf[512];

			if (fd == lfd) {
				int c;

				while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = c };
					if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev))
						close(c);
				}
				continue;
			}
			if (read(fd, buf, sizeof(buf)) < 0 && errno == EAGAIN)
				continue;
			if (write(fd, "ok\n", 3) < 0) {
				/* the client went: nothing to answer */
			}
			close(fd); /* epoll forgets it with its last descriptor */
		}
	}
	return 0;
}

struct slot {
	int fd;
	int state;      /* 0 connecting, 1 reading */
	double deadline;
	size_t got;
};

static int client(const struct sockaddr_in *sa, double secs, int conc)
{
	static struct slot s[MAX_CONC];
	struct epoll_event ev, evs[256];
	double t0 = now_s(), end = t0 + secs, now;
	unsigned long done = 0, failed = 0;
	int ep, i, k, n, live = 0;

	ep = epoll_create1(EPOLL_CLOEXEC);
	for (i = 0; i < conc; i++)
		s[i].fd = -1;
	for (now = now_s(); now < end || live; now = now_s()) {
		for (i = 0; i < conc; i++) {
			if (s[i].fd >= 0 && now > s[i].deadline) {
				close(s[i].fd);
				s[i].fd = -1;
				live--;
				failed++;
			}
			if (s[i].fd >= 0 || now >= end)
				continue;
			s[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (s[i].fd < 0) {
				failed++;
				continue;
			}
			if (connect(s[i].fd, (const struct sockaddr *)sa, sizeof(*sa)) &&
			    errno != EINPROGRESS) {
				close(s[i].fd);
				s[i].fd = -1;
				failed++;
				continue;
			}
			s[i].state = 0;
			s[i].got = 0;
			s[i].deadline = now + CONN_MS / 1000.0;
			ev = (struct epoll_event){ .events = EPOLLOUT, .data.u32 = (unsigned)i };
			epoll_ctl(ep, EPOLL_CTL_ADD, s[i].fd, &ev);
			live++;
		}
		n = epoll_wait(ep, evs, 256, 50);
		for (k = 0; k < n; k++) {
			struct slot *c = &s[evs[k].data.u32];
			int err = 0;
			socklen_t l = sizeof(err);
			char buf[64];
			ssize_t r;

			if (c->fd < 0)
				continue;
			if (c->state == 0) {
				getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
				if (err || write(c->fd, "hello\n", 6) != 6)
					goto fail;
				c->state = 1;
				ev = (struct epoll_event){ .events = EPOLLIN, .data.u32 = evs[k].data.u32 };
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				continue;
			}
			r = read(c->fd, buf, sizeof(buf));
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r > 0) {
				c->got += (size_t)r;
				continue;
			}
			if (r < 0 || c->got != 3)
				goto fail;
			done++;
			close(c->fd);
			c->fd = -1;
			live--;
			continue;
fail:
			failed++;
			close(c->fd);
			c->fd = -1;
			live--;
		}
	}
	printf("%lu %lu %.0f\n", done, failed, (double)done / (now_s() - t0));
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;

	if (argc >= 5 && !strcmp(argv[1], "serve") && !addr_of(argv[2], argv[3], &sa))
		return serve(&sa, atof(argv[4]));
	if (argc >= 6 && !strcmp(argv[1], "client") && !addr_of(argv[2], argv[3], &sa) &&
	    atoi(argv[5]) > 0 && atoi(argv[5]) <= MAX_CONC)
		return client(&sa, atof(argv[4]), atoi(argv[5]));
	fprintf(stderr, "usage: cps serve ADDR PORT SECS | cps client ADDR PORT SECS CONC "
		"(CONC 1-%d)\n", MAX_CONC);
	return 2;
}
