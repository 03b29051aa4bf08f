// SPDX-License-Identifier: GPL-2.0
/* ares_loop.c — see ares_loop.h. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "ares_loop.h"

struct zt_ares_sock {
	struct zt_io io;
	struct zt_ares *a;
	struct zt_ares_sock *next;
};

void zt_ares_arm(struct zt_ares *a)
{
	struct timeval tv, *t = a->ch ? ares_timeout(a->ch, NULL, &tv) : NULL;

	if (!t) {
		zt_timer_stop(a->loop, &a->timeout);
		return;
	}
	zt_timer_arm(a->loop, &a->timeout, (__u64)t->tv_sec * 1000 + ((__u64)t->tv_usec + 999) / 1000);
}

static void on_timeout(struct zt_timer *t)
{
	struct zt_ares *a = (struct zt_ares *)((char *)t - offsetof(struct zt_ares, timeout));

	/* c-ares retries, or gives up and calls back */
	if (a->ch)
		ares_process_fd(a->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	zt_ares_arm(a);
}

static void on_sock(struct zt_io *io, __u32 events)
{
	struct zt_ares_sock *k = (struct zt_ares_sock *)io;
	struct zt_ares *a = k->a;
	int fd = io->fd;

	/* c-ares may close this socket in there (k is freed then). */
	ares_process_fd(a->ch, events & (EPOLLIN | EPOLLERR | EPOLLHUP) ? fd : ARES_SOCKET_BAD,
			events & EPOLLOUT ? fd : ARES_SOCKET_BAD);
	zt_ares_arm(a);
}

/* c-ares opens, changes or closes a socket (closing: both 0, before its
 * close()). */
static void sock_state(void *arg, ares_socket_t fd, int readable, int writable)
{
	struct zt_ares *a = arg;
	struct zt_ares_sock **pk, *k;
	__u32 ev = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0);

	for (pk = &a->socks; *pk && (*pk)->io.fd != fd; pk = &(*pk)->next)
		;
	k = *pk;
	if (!ev) {
		if (k) {
			zt_io_del(a->loop, &k->io);
			*pk = k->next;
			free(k);
		}
		return;
	}
	if (k) {
		zt_io_mod(a->loop, &k->io, ev);
		return;
	}
	k = calloc(1, sizeof(*k));
	if (!k)
		return; /* its queries time out */
	*k = (struct zt_ares_sock){ .io = { .fd = fd, .cb = on_sock }, .a = a, .next = a->socks };
	if (zt_io_add(a->loop, &k->io, ev)) {
		free(k);
		return;
	}
	a->socks = k;
}

int zt_ares_open(struct zt_ares *a, struct zt_loop *l, int timeout_ms, int tries,
		 const struct zt_ares_server *srv, size_t n)
{
	struct ares_options o = { .timeout = timeout_ms, .tries = tries, .ndomains = 0,
				  .sock_state_cb = sock_state, .sock_state_cb_data = a };
	struct ares_addr_port_node *nodes = NULL;
	size_t i;
	int err;

	a->loop = l;
	a->timeout.cb = on_timeout;
	err = ares_init_options(&a->ch, &o, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_DOMAINS |
				ARES_OPT_SOCK_STATE_CB);
	if (err != ARES_SUCCESS) {
		a->ch = NULL;
		return err;
	}
	if (!n)
		return ARES_SUCCESS;
	nodes = calloc(n, sizeof(*nodes));
	if (!nodes) {
		err = ARES_ENOMEM;
		goto fail;
	}
	for (i = 0; i < n; i++) {
		nodes[i].next = i + 1 < n ? &nodes[i + 1] : NULL;
		nodes[i].family = srv[i].family;
		memcpy(&nodes[i].addr, srv[i].addr, srv[i].family == AF_INET ? 4 : 16);
		nodes[i].udp_port = nodes[i].tcp_port = srv[i].port;
	}
	err = ares_set_servers_ports(a->ch, nodes);
	free(nodes);
	if (err == ARES_SUCCESS)
		return 0;
fail:
	zt_ares_close(a);
	return err;
}

void zt_ares_close(struct zt_ares *a)
{
	if (!a->ch)
		return;
	ares_destroy(a->ch); /* each socket's state callback says closed */
	a->ch = NULL;
	zt_timer_stop(a->loop, &a->timeout);
	while (a->socks) /* none should be left */
		sock_state(a, a->socks->io.fd, 0, 0);
}
