// SPDX-License-Identifier: GPL-2.0
/* loop.c — see loop.h. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include "clock.h"
#include "log.h"
#include "loop.h"

#define ZT_LOOP_BATCH 64

struct zt_loop {
	int epfd;
	bool stop;
	__u64 turn;
	/* The batch being dispatched, so that zt_io_del can take back an
	 * io's events that are still waiting in it. */
	struct epoll_event ev[ZT_LOOP_BATCH];
	int n_ev, at_ev;
	struct zt_timer **heap;
	size_t n_heap, cap_heap;
};

int zt_loop_new(struct zt_loop **out)
{
	struct zt_loop *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int err = -errno;

		free(l);
		return err;
	}
	*out = l;
	return 0;
}

void zt_loop_free(struct zt_loop *l)
{
	if (!l)
		return;
	close(l->epfd);
	free(l->heap);
	free(l);
}

/* ---- descriptors ---------------------------------------------------------- */

static int io_ctl(struct zt_loop *l, int op, struct zt_io *io, __u32 events)
{
	struct epoll_event e = { .events = events, .data.ptr = io };

	return epoll_ctl(l->epfd, op, io->fd, &e) ? -errno : 0;
}

int zt_io_add(struct zt_loop *l, struct zt_io *io, __u32 events)
{
	int err;

	if (io->added)
		return -EEXIST;
	err = io_ctl(l, EPOLL_CTL_ADD, io, events);
	if (!err)
		io->added = true;
	return err;
}

int zt_io_mod(struct zt_loop *l, struct zt_io *io, __u32 events)
{
	return io->added ? io_ctl(l, EPOLL_CTL_MOD, io, events) : -ENOENT;
}

void zt_io_del(struct zt_loop *l, struct zt_io *io)
{
	int i;

	if (!io->added)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->added = false;
	for (i = l->at_ev; i < l->n_ev; i++)
		if (l->ev[i].data.ptr == io)
			l->ev[i].data.ptr = NULL;
}

/* ---- timers: a binary min-heap on due_ms ----------------------------------- */

static bool before(const struct zt_timer *a, const struct zt_timer *b)
{
	return a->due_ms < b->due_ms;
}

static void heap_set(struct zt_loop *l, size_t i, struct zt_timer *t)
{
	l->heap[i] = t;
	t->idx = i + 1;
}

static void sift_up(struct zt_loop *l, size_t i)
{
	struct zt_timer *t = l->heap[i];

	while (i > 0 && before(t, l->heap[(i - 1) / 2])) {
		heap_set(l, i, l->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(l, i, t);
}

static void sift_down(struct zt_loop *l, size_t i)
{
	struct zt_timer *t = l->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= l->n_heap)
			break;
		if (c + 1 < l->n_heap && before(l->heap[c + 1], l->heap[c]))
			c++;
		if (!before(l->heap[c], t))
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

void zt_timer_stop(struct zt_loop *l, struct zt_timer *t)
{
	struct zt_timer *last;
	size_t i;

	if (!t->idx)
		return;
	i = t->idx - 1;
	t->idx = 0;
	if (i == --l->n_heap)
		return;
	/* The last timer takes the hole, then goes down or up to its place. */
	last = l->heap[l->n_heap];
	heap_set(l, i, last);
	sift_down(l, i);
	if (l->heap[i] == last)
		sift_up(l, i);
}

int zt_timer_arm(struct zt_loop *l, struct zt_timer *t, __u64 delay_ms)
{
	zt_timer_stop(l, t);
	if (l->n_heap == l->cap_heap) {
		size_t cap = l->cap_heap ? 2 * l->cap_heap : 16;
		struct zt_timer **h = realloc(l->heap, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		l->heap = h;
		l->cap_heap = cap;
	}
	t->due_ms = zt_mono_ms() + delay_ms;
	t->turn = l->turn;
	heap_set(l, l->n_heap++, t);
	sift_up(l, l->n_heap - 1);
	return 0;
}

/* ---- the loop --------------------------------------------------------------- */

static int wait_ms(const struct zt_loop *l, int max_wait_ms)
{
	__u64 now, due;

	if (!l->n_heap)
		return max_wait_ms;
	now = zt_mono_ms();
	due = l->heap[0]->due_ms;
	/* A timer armed this turn for now makes the wait zero. */
	if (due <= now)
		return 0;
	if (max_wait_ms >= 0 && due - now > (__u64)max_wait_ms)
		return max_wait_ms;
	return due - now > 0x7fffffff ? 0x7fffffff : (int)(due - now);
}

static void fire_timers(struct zt_loop *l)
{
	__u64 now = zt_mono_ms();

	/* Timers armed in this turn (by an io or a timer) wait for the
	 * next: their turn stamp is this one. They sit due in the heap and
	 * stop the scan; the next turn's wait is zero for them. */
	while (l->n_heap && l->heap[0]->due_ms <= now && l->heap[0]->turn != l->turn) {
		struct zt_timer *t = l->heap[0];

		zt_timer_stop(l, t);
		t->cb(t);
	}
}

int zt_loop_turn(struct zt_loop *l, int max_wait_ms)
{
	int n;

	n = epoll_wait(l->epfd, l->ev, ZT_LOOP_BATCH, wait_ms(l, max_wait_ms));
	if (n < 0 && errno != EINTR)
		return -errno;
	l->turn++;
	l->n_ev = n < 0 ? 0 : n;
	for (l->at_ev = 0; l->at_ev < l->n_ev; l->at_ev++) {
		struct zt_io *io = l->ev[l->at_ev].data.ptr;

		if (io)
			io->cb(io, l->ev[l->at_ev].events);
	}
	l->n_ev = l->at_ev = 0;
	fire_timers(l);
	return 0;
}

int zt_loop_run(struct zt_loop *l)
{
	int err = 0;

	l->stop = false;
	while (!l->stop && !err)
		err = zt_loop_turn(l, -1);
	return err;
}

void zt_loop_stop(struct zt_loop *l)
{
	l->stop = true;
}

static void rest_over(struct zt_timer *t)
{
	struct zt_rest *r = (struct zt_rest *)((char *)t - offsetof(struct zt_rest, t));

	zt_io_mod(r->l, r->io, EPOLLIN);
}

bool zt_accept_rest(struct zt_loop *l, struct zt_io *io, struct zt_rest *r, int err,
		    __u64 ms, const char *what)
{
	__u64 now = zt_mono_ms();

	if (err != EMFILE && err != ENFILE && err != ENOMEM && err != ENOBUFS)
		return false;
	r->rests++;
	if (!r->said_ms || now - r->said_ms >= 10000) {
		r->said_ms = now;
		pr_warn("out of %s (%s): %s rests %llu ms at a time (%llu times so far)\n",
			err == EMFILE || err == ENFILE ? "descriptors" : "memory", strerror(err),
			what, (unsigned long long)ms, (unsigned long long)r->rests);
	}
	r->l = l;
	r->io = io;
	r->t.cb = rest_over;
	/* Without a timer to wake it (no memory for the heap), a listener
	 * that stopped being watched would never be again: it stays. */
	if (zt_timer_arm(l, &r->t, ms))
		return false;
	zt_io_mod(l, io, 0);
	return true;
}
