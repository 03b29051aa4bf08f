// SPDX-License-Identifier: GPL-2.0
/* test_loop — the event loop every daemon runs on: ready descriptors reach
 * their callback; one removed while its events wait in the same batch gets
 * none of them (a client closed by another's callback must not be called
 * with a stale pointer); timers fire in order of their time, never after
 * being stopped, and one armed from a callback waits for the next turn. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include "clock.h"
#include "loop.h"
#include "../lib/t.h"

struct pipe_io {
	struct zt_io io;
	int wfd;
	int calls;
	struct pipe_io *victim;  /* removed and closed by this one's callback */
	struct zt_loop *l;
};

static void on_pipe(struct zt_io *io, __u32 ev)
{
	struct pipe_io *p = (struct pipe_io *)io;

	p->calls++;
	T_ASSERT(ev & EPOLLIN, "readable");
	if (p->victim) {
		zt_io_del(p->l, &p->victim->io);
		close(p->victim->io.fd);
		p->victim->io.fd = -1;
	}
}

static void pipe_open(struct pipe_io *p, struct zt_loop *l)
{
	int fds[2];

	memset(p, 0, sizeof(*p));
	T_EQ(pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
	p->io.fd = fds[0];
	p->io.cb = on_pipe;
	p->wfd = fds[1];
	p->l = l;
}

static void pipe_close(struct pipe_io *p)
{
	if (p->io.fd >= 0)
		close(p->io.fd);
	close(p->wfd);
}

static void io_ready_and_removed(void)
{
	struct pipe_io a, b, c;
	struct zt_loop *l;

	T_EQ(zt_loop_new(&l), 0);
	pipe_open(&a, l);
	pipe_open(&b, l);
	pipe_open(&c, l);
	T_EQ(zt_io_add(l, &a.io, EPOLLIN), 0);
	T_EQ(zt_io_add(l, &b.io, EPOLLIN), 0);
	T_EQ(zt_io_add(l, &c.io, EPOLLIN), 0);
	T_EQ(zt_io_add(l, &a.io, EPOLLIN), -EEXIST);
	/* Nothing ready: the turn waits its limit and calls nobody. */
	T_EQ(zt_loop_turn(l, 10), 0);
	T_EQ(a.calls + b.calls + c.calls, 0);
	T_EQ(write(a.wfd, "x", 1), 1);
	T_EQ(zt_loop_turn(l, 1000), 0);
	T_EQ(a.calls, 1);
	T_EQ(b.calls + c.calls, 0);
	/* All three ready in one batch; whichever of b and c runs first
	 * removes and closes the other, which must then not be called. */
	b.victim = &c;
	c.victim = &b;
	T_EQ(write(b.wfd, "x", 1), 1);
	T_EQ(write(c.wfd, "x", 1), 1);
	T_EQ(zt_loop_turn(l, 1000), 0);
	T_EQ(b.calls + c.calls, 1);
	/* Level-triggered: a, not read, is called again. */
	T_EQ(a.calls, 2);
	T_EQ(zt_io_mod(l, &a.io, 0), 0);
	T_EQ(zt_loop_turn(l, 10), 0);
	T_EQ(a.calls, 2);
	zt_io_del(l, &a.io);
	zt_io_del(l, &a.io); /* twice is harmless */
	T_EQ(zt_io_mod(l, &a.io, EPOLLIN), -ENOENT);
	pipe_close(&a);
	pipe_close(&b);
	pipe_close(&c);
	zt_loop_free(l);
}

#define N_T 200
static struct zt_loop *tl;
static int fired[N_T], n_fired;
static __u64 fired_due[N_T];
static struct tm_ {
	struct zt_timer t;
	int id;
} tms[N_T];

static void on_timer(struct zt_timer *t)
{
	struct tm_ *m = (struct tm_ *)t;

	fired_due[n_fired] = t->due_ms;
	fired[n_fired++] = m->id;
}

static void timers_in_order_stopped_never(void)
{
	bool stopped[N_T] = { 0 };
	__u64 t0 = zt_mono_ms(), t1;
	int i, turns = 0;

	T_EQ(zt_loop_new(&tl), 0);
	n_fired = 0;
	srand(7);
	for (i = 0; i < N_T; i++) {
		tms[i].id = i;
		tms[i].t.cb = on_timer;
		T_EQ(zt_timer_arm(tl, &tms[i].t, rand() % 40), 0);
	}
	/* Re-arming moves a timer; stopping takes it out wherever it is in
	 * the heap. */
	for (i = 0; i < N_T; i += 3)
		T_EQ(zt_timer_arm(tl, &tms[i].t, rand() % 40), 0);
	t1 = zt_mono_ms();
	for (i = 0; i < N_T; i += 4) {
		zt_timer_stop(tl, &tms[i].t);
		stopped[i] = true;
		T_ASSERT(!zt_timer_armed(&tms[i].t), "stopped");
	}
	while (n_fired < N_T - (N_T + 3) / 4 && turns++ < 1000)
		T_EQ(zt_loop_turn(tl, 100), 0);
	T_EQ(n_fired, N_T - (N_T + 3) / 4);
	for (i = 0; i < n_fired; i++) {
		T_ASSERT(!stopped[fired[i]], "timer %d fired after zt_timer_stop", fired[i]);
		T_ASSERT(i == 0 || fired_due[i] >= fired_due[i - 1], "fired out of order at %d", i);
	}
	/* None before its time, and each due within 40 ms of being armed. */
	T_ASSERT(zt_mono_ms() >= fired_due[n_fired - 1] && fired_due[0] >= t0 &&
		 fired_due[n_fired - 1] <= t1 + 40, "due times as armed");
	zt_loop_free(tl);
}

static int rearms;
static __u64 rearm_turns[3];
static __u64 turn_no;

static void on_rearm(struct zt_timer *t)
{
	rearm_turns[rearms++] = turn_no;
	if (rearms < 3)
		zt_timer_arm(tl, t, 0);
}

static void zero_delay_waits_for_next_turn(void)
{
	struct zt_timer t = { .cb = on_rearm };

	T_EQ(zt_loop_new(&tl), 0);
	rearms = 0;
	T_EQ(zt_timer_arm(tl, &t, 0), 0);
	for (turn_no = 1; turn_no <= 10 && rearms < 3; turn_no++)
		T_EQ(zt_loop_turn(tl, 1000), 0);
	T_EQ(rearms, 3);
	/* One firing per turn, and no turn waited 1000 ms for it. */
	T_EQ(rearm_turns[1], rearm_turns[0] + 1);
	T_EQ(rearm_turns[2], rearm_turns[1] + 1);
	zt_loop_free(tl);
}

static void on_stop(struct zt_timer *t)
{
	(void)t;
	zt_loop_stop(tl);
}

static void stop_ends_run(void)
{
	struct zt_timer t = { .cb = on_stop };
	__u64 t0;

	T_EQ(zt_loop_new(&tl), 0);
	T_EQ(zt_timer_arm(tl, &t, 20), 0);
	t0 = zt_mono_ms();
	T_EQ(zt_loop_run(tl), 0);
	T_ASSERT(zt_mono_ms() - t0 >= 19, "ran until the timer");
	zt_loop_free(tl);
}

int main(void)
{
	T_RUN(io_ready_and_removed);
	T_RUN(timers_in_order_stopped_never);
	T_RUN(zero_delay_waits_for_next_turn);
	T_RUN(stop_ends_run);
	return t_done();
}
