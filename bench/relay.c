// SPDX-License-Identifier: GPL-2.0
/* relay — a TCP relay for bench_proxy.sh's relay comparison (issue 15
 * item 5): accepts on LISTEN and connects each connection to TARGET, then
 * moves the bytes either with splice(2) through a pipe each way (what
 * ztd's workers do: pxw_relay.c) or with a sockmap stream-verdict program
 * that redirects each segment to the other socket in the kernel
 * (relay.bpf.c). One thread, epoll, the same for both; it ends after
 * SECS seconds, printing how many bytes crossed into user space (sockmap:
 * only those that came before the pair was in the map). Not zt: the
 * bare mechanism, so the two compare alone.
 * Usage: relay splice|sockmap LISTEN_IP:PORT TARGET_IP:PORT SECS */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "relay.skel.h"

#define PIPE_SZ (1 << 20)

struct side {
	int fd, pipe[2];        /* pipe: bytes from fd waiting for the peer (splice) */
	size_t queued;
	int eof, shut, dead;
	struct side *peer;
};

static int sockmap = -1; /* -1: splice */
static unsigned long long by_hand; /* sockmap: bytes that reached user space */

static int addr(const char *s, struct sockaddr_in *a)
{
	char host[64];
	const char *c = strrchr(s, ':');

	if (!c || (size_t)(c - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(c - s));
	host[c - s] = 0;
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((unsigned short)atoi(c + 1));
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

/* fd's key in `peers`, as the verdict program sees it when fd receives. */
static int key_of(int fd, __u32 key[2])
{
	struct sockaddr_in l, r;
	socklen_t sl = sizeof(l), rl = sizeof(r);

	if (getsockname(fd, (struct sockaddr *)&l, &sl) || getpeername(fd, (struct sockaddr *)&r, &rl))
		return -1;
	key[0] = ntohs(l.sin_port);
	key[1] = (__u32)r.sin_port << 16; /* little-endian: see relay.bpf.c */
	return 0;
}

static int pair_sockmap(int a, int b)
{
	__u32 ka[2], kb[2];
	__u64 va = (__u64)a, vb = (__u64)b;

	if (key_of(a, ka) || key_of(b, kb) ||
	    bpf_map_update_elem(sockmap, ka, &vb, BPF_ANY) ||
	    bpf_map_update_elem(sockmap, kb, &va, BPF_ANY))
		return -1;
	return 0;
}

/* splice: what it can from s to its peer. -1 on a reset. */
static int pump(struct side *s)
{
	ssize_t n;

	for (;;) {
		if (s->queued) {
			n = splice(s->pipe[0], NULL, s->peer->fd, NULL, s->queued,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n < 0)
				return errno == EAGAIN ? 0 : -1;
			s->queued -= (size_t)n;
			if (s->queued)
				return 0;
		}
		if (s->eof)
			break;
		n = splice(s->fd, NULL, s->pipe[1], NULL, PIPE_SZ, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		if (!n) {
			s->eof = 1;
			break;
		}
		s->queued += (size_t)n;
	}
	if (!s->shut) {
		shutdown(s->peer->fd, SHUT_WR);
		s->shut = 1;
	}
	return 0;
}

/* sockmap: the bytes do not come here, but for those that arrived before
 * the pair was in the map (passed on by hand); a FIN (read 0) is passed on. */
static int drain(struct side *s)
{
	char b[16384];
	ssize_t n = recv(s->fd, b, sizeof(b), MSG_DONTWAIT), off = 0, k;

	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	by_hand += n > 0 ? (unsigned long long)n : 0;
	while (off < n) {
		k = send(s->peer->fd, b + off, (size_t)(n - off), MSG_NOSIGNAL);
		if (k < 0 && errno != EAGAIN)
			return -1;
		if (k > 0)
			off += k;
	}
	if (n > 0)
		return 0;
	if (!s->shut) {
		shutdown(s->peer->fd, SHUT_WR);
		s->shut = s->eof = 1;
	}
	return 0;
}

/* Closes the pair; freed after the batch of events (the peer may have
 * one in it too). */
static struct side *graveyard[64];
static int n_dead;

static void done(int ep, struct side *s)
{
	if (s->dead)
		return;
	s->dead = s->peer->dead = 1;
	epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
	epoll_ctl(ep, EPOLL_CTL_DEL, s->peer->fd, NULL);
	close(s->fd);
	close(s->peer->fd);
	if (sockmap < 0) {
		close(s->pipe[0]); close(s->pipe[1]);
		close(s->peer->pipe[0]); close(s->peer->pipe[1]);
	}
	graveyard[n_dead++] = s < s->peer ? s : s->peer;
}

static int start(int ep, int cfd, const struct sockaddr_in *to)
{
	struct side *s = calloc(2, sizeof(*s));
	int ufd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, i;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };

	if (!s || ufd < 0 || connect(ufd, (const struct sockaddr *)to, sizeof(*to)))
		goto fail;
	setsockopt(ufd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(ufd, F_SETFL, O_NONBLOCK);
	fcntl(cfd, F_SETFL, O_NONBLOCK);
	s[0].fd = cfd; s[1].fd = ufd;
	s[0].peer = &s[1]; s[1].peer = &s[0];
	for (i = 0; i < 2; i++) {
		if (sockmap < 0) {
			if (pipe2(s[i].pipe, O_NONBLOCK | O_CLOEXEC))
				goto fail;
			fcntl(s[i].pipe[1], F_SETPIPE_SZ, PIPE_SZ);
		}
	}
	if (sockmap >= 0 && pair_sockmap(cfd, ufd))
		goto fail;
	for (i = 0; i < 2; i++) {
		ev.data.ptr = &s[i];
		if (epoll_ctl(ep, EPOLL_CTL_ADD, s[i].fd, &ev))
			goto fail;
	}
	return 0;
fail:
	perror("relay: a connection");
	if (ufd >= 0)
		close(ufd);
	close(cfd);
	free(s);
	return -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in la, ta;
	struct epoll_event evs[64], lev = { .events = EPOLLIN };
	struct relay_bpf *skel = NULL;
	int lfd, ep, one = 1, n, i;
	time_t end;

	if (argc != 5 || (strcmp(argv[1], "splice") && strcmp(argv[1], "sockmap")) ||
	    addr(argv[2], &la) || addr(argv[3], &ta)) {
		fprintf(stderr, "usage: relay splice|sockmap LISTEN_IP:PORT TARGET_IP:PORT SECS\n");
		return 2;
	}
	if (!strcmp(argv[1], "sockmap")) {
		skel = relay_bpf__open_and_load();
		if (!skel || bpf_prog_attach(bpf_program__fd(skel->progs.relay_verdict),
					     bpf_map__fd(skel->maps.peers),
					     BPF_SK_SKB_STREAM_VERDICT, 0)) {
			fprintf(stderr, "relay: loading the sockmap verdict: %s\n", strerror(errno));
			return 1;
		}
		sockmap = bpf_map__fd(skel->maps.peers);
	}
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || ep < 0 || bind(lfd, (struct sockaddr *)&la, sizeof(la)) || listen(lfd, 1024) ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev)) {
		perror("relay: listening");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	end = time(NULL) + atoi(argv[4]);
	while (time(NULL) < end) {
		n = epoll_wait(ep, evs, 64, 200);
		for (i = 0; i < n; i++) {
			struct side *s = evs[i].data.ptr;
			int rc;

			if (!s) {
				int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

				if (c >= 0)
					start(ep, c, &ta);
				continue;
			}
			if (s->dead)
				continue;
			rc = sockmap < 0 ? (pump(s) || pump(s->peer)) : drain(s);
			if (rc || (evs[i].events & EPOLLERR) || (s->shut && s->peer->shut))
				done(ep, s);
		}
		while (n_dead)
			free(graveyard[--n_dead]);
	}
	/* With the verdict working only what came before a pair was in the
	 * map (iperf3's 37-byte cookie) crosses into user space. */
	printf("by_hand %llu\n", by_hand);
	relay_bpf__destroy(skel);
	return 0;
}
