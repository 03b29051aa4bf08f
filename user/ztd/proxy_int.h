/* SPDX-License-Identifier: GPL-2.0 */
/* proxy_int.h — what ztd's half of the proxy shares. The workers
 * (pxw*.c, processes of their own without root) accept, detect and relay;
 * ztd decides. proxy.c: the listeners, starting and restarting the
 * workers, the limits, deciding live connections again; proxy_conn.c:
 * a worker's messages (pxmsg.h) and the decision; proxy_carry.c: flows
 * to remote tunnels, whose sockets the workers hand to ztd, carried by
 * ztd itself; proxy_log.c: the network log's line for a proxied flow;
 * proxy_list.c: ztctl proxy list. Calls go proxy -> conn -> carry -> log;
 * a connection's end is proxy_end's alone (proxy_conn.c), which the others
 * call. */
#ifndef ZT_ZTD_PROXY_INT_H
#define ZT_ZTD_PROXY_INT_H

#include <sys/types.h>
#include "chan.h"
#include "ctl_tunnel.h"
#include "detect.h"
#include "policy.h"
#include "pxmsg.h"
#include "share.h"
#include "log.h"
#include "ztd.h"

#define PROXY_HASH      4096     /* buckets of a worker's connections by cid */
#define PROXY_CHAN_OUT  (8 << 20) /* what a worker may leave unread, then it is ended */
#define PROXY_HAND_BUF  (4 << 20) /* hand-overs one side has not read yet, per worker */

/* What detection found, as ztd keeps it (the worker's zt_detected less
 * what no rule or log line reads). */
struct px_found {
	enum zt_proto proto;
	enum zt_detect_why why;
	bool ech;
	char name[ZT_HOSTNAME_MAX + 1];
};

/* ztd's record of a connection a worker holds. */
struct pconn {
	struct ztd_proxy *px;
	struct px_worker *w;
	__u64 id;                   /* rises with each accept (ztctl proxy list) */
	__u64 cid;                  /* the worker's id of it */
	struct pconn *next, *prev, *hnext;
	enum zt_px_state st;
	enum zt_px_end end;
	__u8 family;
	__u8 src[16], dst[16];
	__u16 sport, dport;
	__u32 ifindex;              /* the client interface (0: none of them) */
	__u16 vlan;
	struct px_found det;
	bool found;                 /* detection read bytes or said why not */
	bool decided, iri;
	bool remote;               /* carried by a remote tunnel's connector (a stream) */
	bool handing;               /* its worker was told to hand ztd the socket */
	struct zt_bridge *bridge;   /* ... ztd carries it (c->w is NULL from then on) */
	__u64 idle_bytes, idle_ms;  /* ... bytes both ways, unchanged since */
	bool aborted;               /* ... ztd reset it, to end as c->end */
	__u16 vnet;                 /* ... the tunnel's vnet */
	bool carry_slot;            /* holds one of ztd_tunnel_tcp_max's slots */
	char tunnel[ZT_CTL_NAME_MAX]; /* the route's tunnel, once allowed ("": none) */
	bool revoking;              /* told to reset; its END is awaited */
	__u64 revoke_ms;            /* ... since then (2 s, or its worker is killed) */
	__u32 iri_epoch;            /* the IRI's epoch when first decided */
	char iri_name[ZT_HOSTNAME_MAX + 1]; /* the IRI's name ("" unknown) */
	struct zt_eval_result r;
	__u8 up_family, up_addr[16];
	__u16 up_port;
	__u64 up_bytes, down_bytes; /* as the worker last said */
	__u64 start_ms;
};

struct px_worker {
	struct ztd_proxy *px;
	unsigned idx;
	pid_t pid;                  /* 0: not running */
	pid_t zombie;               /* the last one, killed, not reaped yet */
	__u64 last_cid;             /* the last connection it asked about: ids rise by 1 */
	struct zt_timer reap;       /* retries until zombie is reaped */
	int l[2];                   /* its IPv4, IPv6 listeners (kept across restarts) */
	struct zt_chan ch;
	struct zt_timer respawn;
	unsigned deaths;            /* in the window below */
	__u64 deaths_since_ms;
	size_t n;                   /* live connections it holds */
	struct zt_io hand;          /* the socket pair it hands ztd sockets on */
	struct pconn *hash[PROXY_HASH];
};

/* Upstream addresses recently found not to be the gateway's own. */
#define PROXY_NOT_OURS 256
struct px_not_ours {
	__u8 family, addr[16];
	__u64 at_ms;
};

struct ztd_proxy {
	struct ztd *d;
	struct px_worker *w;
	unsigned n_workers;
	uid_t uid;                  /* gateway.proxy.user's, when ztd started */
	gid_t gid;
	char user[64];
	struct zt_timer iri_check;  /* connections to IRIs, every second */
	struct zt_share share;      /* live connections per client address */
	struct pconn *head;         /* the newest first: ids fall along next */
	__u64 last_id;
	size_t n, max_conns;
	size_t n_carry;             /* connections holding a carry slot */
	size_t per_worker;          /* connections one worker's descriptors hold */
	bool full_warned;
	struct zt_rate log_rate;    /* blocked lines written this second */
	struct zt_share log_share;  /* ... by each client (proxy_log.c) */
	__u64 log_sec;              /* ... the second log_share counts */
	__u64 upstream_warn_sec;    /* the second ztd last said why a connect failed */
	__u64 nofile_warn_sec;      /* ... that a worker ran out of descriptors */
	__u64 hand_warn_sec;        /* ... that a handed socket was not taken */
	struct ztd_proxy_stats st;
	struct px_not_ours not_ours[PROXY_NOT_OURS];
};

/* proxy_conn.c: a worker's message (non-zero: it is no proxy worker's,
 * the worker is ended); decide c with the policy in force (final: with
 * what detection found); reset it (revocation); its end. */
int proxy_msg(struct px_worker *w, const __u8 *body, size_t len);
bool proxy_decide(struct ztd_proxy *px, struct pconn *c, bool final);
void proxy_revoke(struct pconn *c);
/* Decided again (proxy_decide), is it still allowed the way it was carried:
 * DIRECT to a local tunnel, or STEER to the same remote tunnel? */
bool proxy_still_allowed(struct pconn *c);
void proxy_end(struct pconn *c, enum zt_px_end how);
/* The worker's connection cid (NULL: none); c no longer its worker's
 * (handed to ztd: a worker's death leaves it alone). */
struct pconn *proxy_find(struct px_worker *w, __u64 cid);
void proxy_detach(struct pconn *c);

/* proxy_carry.c: the hand-over socket pair of w (set up, closed); an
 * ANSWER (CONNECT) given to w on it with the upstream socket fd (ztd's
 * copy closed; 0, or -errno: w will not have it, and a w that leaves
 * the pair unread is killed); c's stream reset (revoked, or ztd
 * stopping: how), ended (done is called before this returns); every
 * second, a carried flow's bytes and idle time (true: it was idle too
 * long, and is ended). */
int proxy_hand_open(struct px_worker *w, int fd);
void proxy_hand_close(struct px_worker *w);
int proxy_give(struct px_worker *w, const struct zt_pxm *m, int fd);
void proxy_carry_abort(struct pconn *c, enum zt_px_end how);
bool proxy_carry_tick(struct pconn *c, __u64 now);

/* proxy_log.c: the names a connection is told by (NULL: none), and its
 * line in the network log when it ends. */
struct px_names {
	const char *iface, *device, *user, *rule;
};
void proxy_names(const struct pconn *c, struct px_names *n);
void proxy_log(const struct pconn *c);

#endif
