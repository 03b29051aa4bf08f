/* SPDX-License-Identifier: GPL-2.0 */
/* loop.h — one event loop per process: epoll for descriptors, a min-heap
 * of timers. A module embeds a struct zt_io per descriptor and a struct
 * zt_timer per timeout in its own (opaque) state and registers them; the
 * loop calls them back and knows nothing else of the module.
 *
 * Safe against the usual traps: an io removed (or its fd closed and
 * reused) while events for it wait in the current batch gets none of
 * them; a timer armed from a callback fires no earlier than the next turn,
 * so a zero delay is "as soon as the loop has looked at the descriptors",
 * never a spin inside one turn. */
#ifndef ZT_LOOP_H
#define ZT_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct zt_loop;

struct zt_io {
	int fd;
	/* events: the EPOLL* bits that are ready (EPOLLIN, EPOLLOUT,
	 * EPOLLERR, EPOLLHUP, ...) */
	void (*cb)(struct zt_io *io, __u32 events);
	bool added;
};

struct zt_timer {
	void (*cb)(struct zt_timer *t);
	__u64 due_ms;   /* monotonic */
	size_t idx;     /* place in the heap + 1; 0: not armed */
	__u64 turn;     /* the turn it was armed in */
};

/* Returns 0 or -errno. */
int zt_loop_new(struct zt_loop **out);
void zt_loop_free(struct zt_loop *l);

/* Watches io->fd for events (EPOLLIN, EPOLLOUT; level-triggered).
 * 0 or -errno (-EEXIST when io is already added). */
int zt_io_add(struct zt_loop *l, struct zt_io *io, __u32 events);
/* Changes the events watched; 0 or -errno. */
int zt_io_mod(struct zt_loop *l, struct zt_io *io, __u32 events);
/* Stops watching (call before closing the fd); no more callbacks for io,
 * not even for events already read in this turn. A no-op when not added. */
void zt_io_del(struct zt_loop *l, struct zt_io *io);

/* Arms t to fire in delay_ms (again: re-armed, the old time forgotten).
 * 0 or -ENOMEM. */
int zt_timer_arm(struct zt_loop *l, struct zt_timer *t, __u64 delay_ms);
void zt_timer_stop(struct zt_loop *l, struct zt_timer *t);
static inline bool zt_timer_armed(const struct zt_timer *t)
{
	return t->idx != 0;
}

/* A listener resting: accept failed for want of descriptors or memory,
 * and level-triggered epoll would call it back at once, for ever. While
 * it rests it is not watched; the kernel's backlog (then the clients'
 * retries) waits. */
struct zt_rest {
	struct zt_timer t;
	struct zt_loop *l;
	struct zt_io *io;
	__u64 rests;        /* times it rested */
	__u64 said_ms;      /* when the log last said so */
};
/* err an accept's errno: true (and io rests ms, then is watched for
 * EPOLLIN again) when it says descriptors or memory ran out (false when
 * not even its timer can be armed: io stays watched); the log
 * says so (what: the listener's name), at most every 10 s per listener.
 * Stop r's timer (zt_timer_stop(l, &r->t)) before io goes. */
bool zt_accept_rest(struct zt_loop *l, struct zt_io *io, struct zt_rest *r, int err,
		    __u64 ms, const char *what);

/* One turn: waits for descriptors until the first timer is due (at most
 * max_wait_ms; -1 no limit), calls the ready ios, then the due timers.
 * 0, or -errno when epoll_wait fails (EINTR is a turn with nothing). */
int zt_loop_turn(struct zt_loop *l, int max_wait_ms);
/* Turns until zt_loop_stop; 0 or the -errno that ended it. */
int zt_loop_run(struct zt_loop *l);
void zt_loop_stop(struct zt_loop *l);

#endif
