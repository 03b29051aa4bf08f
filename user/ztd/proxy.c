// SPDX-License-Identifier: GPL-2.0
/* proxy.c — the L7 proxy's ztd half (issue 15): transparent listening
 * sockets on loopback that ztd puts in zt_proxy, so tc assigns steered
 * segments to them (bpf/lib/steer.h) and an accepted socket's local
 * address is the original destination; a pair of them (IPv4, IPv6) for
 * each worker, a process of its own that accepts, detects and relays
 * without root (pxw*.c). Here: starting the workers as
 * gateway.proxy.user, restarting one that dies (the listeners are ztd's
 * and stay: what arrives meanwhile waits in their backlog), the limits,
 * and deciding live connections again after a reload and as IRIs change
 * hands. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include "clock.h"
#include "log.h"
#include "share.h"
#include "proxy_int.h"

static void on_iri_check(struct zt_timer *t);
static void on_respawn(struct zt_timer *t);

/* ---- workers ----------------------------------------------------------------- */

static int on_msg(struct zt_chan *ch, const __u8 *body, size_t len)
{
	struct px_worker *w = (struct px_worker *)((char *)ch - offsetof(struct px_worker, ch));

	if (proxy_msg(w, body, len)) {
		pr_warn("proxy worker %u (pid %d) sent a message that is not a worker's: "
			"killed\n", w->idx, (int)w->pid);
		return -EBADMSG;
	}
	return 0;
}

static int listener(int family);

/* Worker w's listeners as a new worker needs them: a worker shares them
 * with ztd, and one that shut one down or made it blocking must not
 * leave that to the next. A broken one is made again and put in its
 * slot. 0 or -errno. */
static int listeners_ok(struct px_worker *w)
{
	int f, on, fd;
	socklen_t sl;

	for (f = 0; f < 2; f++) {
		__u32 slot = (__u32)f * ZT_PROXY_PER_FAMILY + w->idx;
		__u64 v;

		on = 0;
		sl = sizeof(on);
		if (w->l[f] >= 0 && !getsockopt(w->l[f], SOL_SOCKET, SO_ACCEPTCONN, &on, &sl) &&
		    on && !fcntl(w->l[f], F_SETFL, O_NONBLOCK))
			continue;
		pr_warn("proxy worker %u: its IPv%d listener is no longer listening: made "
			"again\n", w->idx, f ? 6 : 4);
		fd = listener(f ? AF_INET6 : AF_INET);
		if (fd < 0)
			return fd;
		v = (__u64)fd;
		if (bpf_map_update_elem(w->px->d->b.m.proxy, &slot, &v, BPF_ANY)) {
			int err = -errno;

			close(fd);
			return err;
		}
		if (w->l[f] >= 0)
			close(w->l[f]);
		w->l[f] = fd;
	}
	return 0;
}

/* Starts worker w: a new process of this same binary (posix_spawn, then
 * exec: none of ztd's memory goes with it), its listeners on 3 and 4,
 * its end of a new channel on 5 and of a new hand-over socket pair on 6,
 * nothing else open. 0 or -errno. */
static int spawn(struct px_worker *w)
{
	struct ztd_proxy *px = w->px;
	char idx[16], uid[16], gid[16], ppid[16], level[16];
	char *argv[] = { "ztd-proxy", "--proxy-worker", idx, uid, gid, ppid, level, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	int sv[2], hv[2], hi[4] = { -1, -1, -1, -1 }, i, err;
	pid_t pid;

	err = listeners_ok(w);
	if (err)
		return err;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, hv)) {
		err = -errno;
		close(sv[0]);
		close(sv[1]);
		return err;
	}
	/* A burst of hand-overs waits in the pair, not refused: 4 MiB (the
	 * worker's side is charged for what ztd has not read yet). */
	for (i = 0; i < 2; i++) /* (and ztd's side for the upstream sockets it gives) */
		if (setsockopt(hv[i], SOL_SOCKET, SO_SNDBUFFORCE, &(int){ PROXY_HAND_BUF },
			       sizeof(int)))
			setsockopt(hv[i], SOL_SOCKET, SO_SNDBUF, &(int){ PROXY_HAND_BUF },
				   sizeof(int));
	/* Above 6, so that placing them on 3..6 cannot overwrite one. */
	hi[0] = fcntl(w->l[0], F_DUPFD_CLOEXEC, 16);
	hi[1] = fcntl(w->l[1], F_DUPFD_CLOEXEC, 16);
	hi[2] = fcntl(sv[1], F_DUPFD_CLOEXEC, 16);
	hi[3] = fcntl(hv[1], F_DUPFD_CLOEXEC, 16);
	snprintf(idx, sizeof(idx), "%u", w->idx);
	snprintf(uid, sizeof(uid), "%u", (unsigned)px->uid);
	snprintf(gid, sizeof(gid), "%u", (unsigned)px->gid);
	snprintf(ppid, sizeof(ppid), "%d", (int)getpid());
	snprintf(level, sizeof(level), "%d", zt_log_level);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	for (i = 0; i < 4; i++)
		posix_spawn_file_actions_adddup2(&fa, hi[i], 3 + i);
	posix_spawn_file_actions_addclosefrom_np(&fa, 7);
	err = hi[0] < 0 || hi[1] < 0 || hi[2] < 0 || hi[3] < 0 ? EMFILE :
	      posix_spawn(&pid, "/proc/self/exe", &fa, &at, argv, NULL);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	for (i = 0; i < 4; i++)
		if (hi[i] >= 0)
			close(hi[i]);
	close(sv[1]);
	close(hv[1]);
	if (err) {
		close(sv[0]);
		close(hv[0]);
		return -err;
	}
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	w->pid = pid;
	w->last_cid = 0;
	w->ch.on_msg = on_msg;
	w->ch.on_close = NULL;
	err = zt_chan_open(&w->ch, px->d->loop, sv[0], PROXY_CHAN_OUT);
	if (!err)
		err = proxy_hand_open(w, hv[0]);
	else
		close(hv[0]);
	if (err) {
		zt_chan_close(&w->ch);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		w->pid = 0;
		return err;
	}
	return 0;
}

/* The killed worker reaped, if it is gone (its last descriptors may take
 * the kernel a while to close: the loop goes on meanwhile); then, and
 * only then, another is started in its place, so that ztd never has two
 * dead ones of a slot to wait for. */
static bool try_reap(struct px_worker *w)
{
	int status = 0;
	pid_t r;

	if (w->zombie <= 0)
		return true;
	r = waitpid(w->zombie, &status, WNOHANG);
	if (r == 0)
		return false;
	if (r == w->zombie)
		pr_warn("proxy worker %u (pid %d) ended (%s %d): its connections were reset "
			"and logged; another takes its place\n", w->idx, (int)w->zombie,
			WIFSIGNALED(status) ? "signal" : "exit status",
			WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	w->zombie = 0;
	/* At once, or after a second when it died 5 times in 10 s (a worker
	 * that cannot start must not spin ztd). */
	zt_timer_arm(w->px->d->loop, &w->respawn, w->deaths >= 5 ? 1000 : 0);
	return true;
}

static void on_reap(struct zt_timer *t)
{
	struct px_worker *w = (struct px_worker *)((char *)t - offsetof(struct px_worker, reap));

	if (!try_reap(w))
		zt_timer_arm(w->px->d->loop, t, 10);
}

/* Every connection the worker held: reset with it (by the kernel, as
 * the worker's descriptors closed), logged and forgotten. */
static void drop_conns(struct px_worker *w, enum zt_px_end how)
{
	struct pconn *c, *next;

	for (c = w->px->head; c; c = next) {
		next = c->next;
		if (c->w == w)
			proxy_end(c, how);
	}
}

/* Its channel closed: the worker died (or broke its word). Killed for
 * sure, its connections logged, reaped (and then replaced) in the loop. */
static void on_worker_close(struct zt_chan *ch, int err)
{
	struct px_worker *w = (struct px_worker *)((char *)ch - offsetof(struct px_worker, ch));
	struct ztd_proxy *px = w->px;
	__u64 now = zt_mono_ms();

	(void)err;
	w->zombie = w->pid;
	w->pid = 0;
	kill(w->zombie, SIGKILL);
	proxy_hand_close(w);
	drop_conns(w, ZT_PXE_WORKER);
	px->st.worker_restarts++;
	if (now - w->deaths_since_ms > 10000) {
		w->deaths_since_ms = now;
		w->deaths = 0;
	}
	w->deaths++;
	if (!try_reap(w))
		zt_timer_arm(px->d->loop, &w->reap, 10);
}

static void on_respawn(struct zt_timer *t)
{
	struct px_worker *w = (struct px_worker *)((char *)t - offsetof(struct px_worker, respawn));
	int err = spawn(w);

	if (err) {
		pr_warn("proxy worker %u: starting it again: %s; trying again in 1 s\n", w->idx,
			strerror(-err));
		zt_timer_arm(w->px->d->loop, t, 1000);
		return;
	}
	w->ch.on_close = on_worker_close;
}

/* The user the workers run as: gateway.proxy.user (default nobody); it
 * must exist and not be root. 0 or -EINVAL, said why. */
int ztd_proxy_user(const struct zt_config *cfg, uid_t *uid, gid_t *gid)
{
	const char *name = cfg->proxy_user ? cfg->proxy_user : "nobody";
	struct passwd *pw = getpwnam(name);

	if (!pw || !pw->pw_uid || !pw->pw_gid) {
		pr_warn("gateway.proxy.user: '%s' %s; the proxy's workers run as a user "
			"without privileges (create one, or name another)\n", name,
			!pw ? "is no user of this system" : pw->pw_uid ? "has group root" :
			"is root");
		return -EINVAL;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

static unsigned worker_count(const struct zt_config *cfg)
{
	long n = cfg->proxy_workers ? (long)cfg->proxy_workers : sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > ZT_PROXY_PER_FAMILY ? ZT_PROXY_PER_FAMILY : (unsigned)n;
}

/* ---- listeners ------------------------------------------------------------- */

static int listener(int family)
{
	int fd, one = 1, mark = (int)ZT_MARK_PROXY;
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* The mark: tc gives a steered segment to an established socket
	 * only when it is the proxy's (accepted sockets inherit it).
	 * Transparent: its connections answer from the destination the
	 * client asked for, which is no address of the gateway's. Packet
	 * info: the accepted socket keeps the handshake's interface. */
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) ||
	    (family == AF_INET ?
		     setsockopt(fd, IPPROTO_IP, IP_TRANSPARENT, &one, sizeof(one)) ||
			     setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) :
		     setsockopt(fd, IPPROTO_IPV6, IPV6_TRANSPARENT, &one, sizeof(one)) ||
			     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) ||
			     setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one))) ||
	    bind(fd, family == AF_INET ? (struct sockaddr *)&a4 : (struct sockaddr *)&a6,
		 family == AF_INET ? sizeof(a4) : sizeof(a6)) ||
	    listen(fd, 4096)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Each client address's count of live connections, in a table for max
 * connections: made anew when max changes, with what is live counted. */
static int share_resize(struct ztd_proxy *px, size_t max)
{
	struct zt_share t;
	struct pconn *c;

	/* Room for every live connection too, while they are more than a
	 * lowered max: each is counted, and given back, as its own. */
	if (zt_share_init(&t, max > px->n ? max : px->n)) {
		pr_warn("proxy: no memory for a table of %zu connections: keeping %zu\n", max,
			px->max_conns);
		return -ENOMEM;
	}
	for (c = px->head; c; c = c->next)
		zt_share_take(&t, c->family, c->src, (size_t)-1);
	zt_share_free(&px->share);
	px->share = t;
	return 0;
}

/* A relayed connection holds PROXY_FDS descriptors in its worker (two
 * sockets, two pipes); a worker's limit is ztd's hard limit, raised to
 * the kernel's most (fs.nr_open) when ztd may (CAP_SYS_RESOURCE). When
 * the workers cannot hold max_connections between them, the proxy's
 * limit comes down to what fits, and ztd says so: connections past it are
 * refused and counted at accept, never an accept that fails. */
#define PROXY_FDS 6
#define PROXY_FD_RESERVE 64 /* a worker's own: listeners, channel, epoll */

/* Connections one worker's descriptors hold. */
static size_t fd_fit(void)
{
	unsigned long nr_open = 1 << 20;
	struct rlimit rl;
	FILE *f = fopen("/proc/sys/fs/nr_open", "re");

	if (f) {
		if (fscanf(f, "%lu", &nr_open) != 1)
			nr_open = 1 << 20;
		fclose(f);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 1000000;
	if (rl.rlim_max < nr_open) {
		struct rlimit up = { rl.rlim_cur, nr_open };

		if (!setrlimit(RLIMIT_NOFILE, &up))
			rl = up;
	}
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max / PROXY_FDS > 1000000)
		return 1000000; /* the most max_connections can be */
	return rl.rlim_max <= PROXY_FD_RESERVE + PROXY_FDS ? 1 :
	       (size_t)((rl.rlim_max - PROXY_FD_RESERVE) / PROXY_FDS);
}

static void proxy_limits(struct ztd_proxy *px)
{
	size_t want = px->d->cfg.proxy_max_conns, fit;

	/* The kernel picks a worker by hash, not by load: each is held to
	 * what its own descriptors allow, and all together to max. */
	px->per_worker = fd_fit();
	fit = px->per_worker * px->n_workers;
	px->full_warned = false;
	if (fit < want) {
		pr_warn("proxy: open files limited (RLIMIT_NOFILE, and no CAP_SYS_RESOURCE to "
			"raise it): %zu connections at once per worker, %zu in %u workers, not "
			"gateway.proxy.max_connections' %zu\n", px->per_worker, fit,
			px->n_workers, want);
		want = fit;
	}
	if (want != px->max_conns && share_resize(px, want))
		return; /* kept the table it has, and its limit */
	px->max_conns = want;
}

static int set_workers(struct ztd *d, __u32 n)
{
	return zt_state_set_u32(d->b.m.state, offsetof(struct zt_state, proxy_workers), n);
}

int ztd_proxy_open(struct ztd *d)
{
	struct ztd_proxy *px = calloc(1, sizeof(*px));
	unsigned i, f;
	int err = 0;

	if (!px)
		return -ENOMEM;
	px->d = d;
	px->iri_check.cb = on_iri_check;
	d->proxy = px;
	px->n_workers = worker_count(&d->cfg);
	proxy_limits(px);
	px->w = calloc(px->n_workers, sizeof(*px->w));
	if (!px->max_conns || !px->w) { /* the tables could not be made */
		free(px->w);
		free(px);
		d->proxy = NULL;
		return -ENOMEM;
	}
	for (i = 0; i < px->n_workers; i++) {
		px->w[i].px = px;
		px->w[i].idx = i;
		px->w[i].l[0] = px->w[i].l[1] = -1;
		px->w[i].hand.fd = -1;
		px->w[i].ch.dead = true;
		px->w[i].respawn.cb = on_respawn;
		px->w[i].reap.cb = on_reap;
	}
	err = ztd_proxy_user(&d->cfg, &px->uid, &px->gid);
	snprintf(px->user, sizeof(px->user), "%s", d->cfg.proxy_user ? d->cfg.proxy_user : "nobody");
	for (i = 0; i < px->n_workers && !err; i++) {
		for (f = 0; f < 2 && !err; f++) {
			__u32 slot = f * ZT_PROXY_PER_FAMILY + i;
			__u64 v;

			err = listener(f ? AF_INET6 : AF_INET);
			if (err < 0)
				break;
			px->w[i].l[f] = err;
			v = (__u64)err;
			err = bpf_map_update_elem(d->b.m.proxy, &slot, &v, BPF_ANY) ? -errno : 0;
		}
		if (!err)
			err = spawn(&px->w[i]);
		if (!err)
			px->w[i].ch.on_close = on_worker_close;
	}
	if (!err)
		err = set_workers(d, px->n_workers);
	if (!err)
		err = zt_timer_arm(d->loop, &px->iri_check, 1000);
	if (err) {
		pr_warn("starting the proxy: %s\n", strerror(-err));
		ztd_proxy_close(d);
		return err;
	}
	pr_info("proxy: %u workers, running as %s\n", px->n_workers, px->user);
	return 0;
}

void ztd_proxy_close(struct ztd *d)
{
	struct ztd_proxy *px = d->proxy;
	unsigned i, f;
	int tries;

	if (!px)
		return;
	set_workers(d, 0);
	/* Their channels closed, the workers reset what they hold and exit;
	 * one second for all of them, then they are killed. */
	for (i = 0; i < px->n_workers; i++) {
		zt_timer_stop(d->loop, &px->w[i].respawn);
		zt_timer_stop(d->loop, &px->w[i].reap);
		zt_chan_close(&px->w[i].ch);
		proxy_hand_close(&px->w[i]);
	}
	for (tries = 0; tries < 100; tries++) {
		unsigned left = 0;

		for (i = 0; i < px->n_workers; i++) {
			struct px_worker *w = &px->w[i];

			if (w->pid > 0 && waitpid(w->pid, NULL, WNOHANG) != 0)
				w->pid = 0;
			if (w->zombie > 0 && waitpid(w->zombie, NULL, WNOHANG) != 0)
				w->zombie = 0;
			left += (w->pid > 0) + (w->zombie > 0);
		}
		if (!left)
			break;
		usleep(10000);
	}
	for (i = 0; i < px->n_workers; i++) {
		pid_t p[2] = { px->w[i].pid, px->w[i].zombie };

		for (f = 0; f < 2; f++)
			if (p[f] > 0) {
				kill(p[f], SIGKILL);
				while (waitpid(p[f], NULL, 0) < 0 && errno == EINTR)
					;
			}
	}
	while (px->head) {
		if (px->head->bridge)
			proxy_carry_abort(px->head, ZT_PXE_SHUTDOWN);
		else
			proxy_end(px->head, ZT_PXE_SHUTDOWN);
	}
	zt_timer_stop(d->loop, &px->iri_check);
	zt_share_free(&px->share);
	zt_share_free(&px->log_share);
	for (i = 0; i < px->n_workers; i++)
		for (f = 0; f < 2; f++)
			if (px->w[i].l[f] >= 0)
				close(px->w[i].l[f]);
	free(px->w);
	free(px);
	d->proxy = NULL;
}

/* Decides every live connection (to an IRI only, or all) again under
 * the policy now in force; one it no longer allows, or whose IRI now
 * means another name, is reset at once. */
static void recheck(struct ztd_proxy *px, bool iri_only)
{
	struct pconn *c, *next;
	__u64 now = zt_mono_ms();

	for (c = px->head; c; c = next) {
		next = c->next;
		if (c->bridge && proxy_carry_tick(c, now))
			continue; /* idle: ended */
		if (c->revoking && now - c->revoke_ms > 2000 && c->w && c->w->pid > 0) {
			/* Told to reset it 2 s ago and still holding it: a
			 * worker that does not do what ztd says is ended. */
			pr_warn("proxy worker %u (pid %d) did not reset a revoked connection: "
				"killed\n", c->w->idx, (int)c->w->pid);
			kill(c->w->pid, SIGKILL);
			c->revoke_ms = zt_mono_ms();
		}
		if (!c->decided || c->revoking || (iri_only && !c->iri))
			continue;
		/* Still allowed the same way: DIRECT to a local tunnel, or
		 * STEER (after the proxy's own decision) to a remote one. */
		if (!proxy_decide(px, c, true) || !proxy_still_allowed(c))
			proxy_revoke(c);
	}
}

/* An IRI may go to another name between reloads: connections to IRIs
 * are checked every second, as the kernel checks a DIRECT flow's epoch
 * on its next packet. */
static void on_iri_check(struct zt_timer *t)
{
	struct ztd_proxy *px = ztd_of(t, struct ztd_proxy, iri_check);

	recheck(px, true);
	zt_timer_arm(px->d->loop, &px->iri_check, 1000);
}

void ztd_proxy_recheck(struct ztd *d)
{
	if (!d->proxy)
		return;
	proxy_limits(d->proxy);
	if (worker_count(&d->cfg) != d->proxy->n_workers ||
	    strcmp(d->cfg.proxy_user ? d->cfg.proxy_user : "nobody", d->proxy->user))
		pr_warn("gateway.proxy.workers and gateway.proxy.user take effect when ztd "
			"starts: %u workers keep running\n", d->proxy->n_workers);
	recheck(d->proxy, false);
}

void ztd_proxy_stats(const struct ztd *d, struct ztd_proxy_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!d->proxy)
		return;
	*out = d->proxy->st;
	out->live = d->proxy->n;
	for (unsigned i = 0; i < d->proxy->n_workers; i++)
		out->workers += d->proxy->w[i].pid > 0;
}
