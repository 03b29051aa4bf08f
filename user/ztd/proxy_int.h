/* SPDX-License-Identifier: GPL-2.0 */
/* proxy_int.h — what the proxy's files share: proxy.c (listeners,
 * accepting, detection, the decision, connecting upstream), proxy_relay.c
 * (the bytes both ways once connected) and proxy_log.c (the network log's
 * line for a proxied flow). Calls go proxy -> conn -> relay -> log; a
 * connection's end is proxy_end's alone (proxy_conn.c). */
#ifndef ZT_ZTD_PROXY_INT_H
#define ZT_ZTD_PROXY_INT_H

#include <sys/socket.h>
#include "detect.h"
#include "policy.h"
#include "share.h"
#include "ztd.h"

#define PROXY_CONNECT_MS 5000   /* upstream handshake */
#define PROXY_IDLE_MS    (3600 * 1000) /* a relayed flow with no byte either way */
/* A relay's pipes start at 64 KiB; one that a flow keeps filling grows to
 * 1 MiB (a splice per MiB, not per 64 KiB: 1.5x the throughput), for at
 * most PROXY_BIG_PIPES directions at once, so the kernel memory bulk
 * flows may pin stays bounded (256 MiB). */
#define PROXY_PIPE       (1 << 16)
#define PROXY_PIPE_BIG   (1 << 20)
#define PROXY_BIG_PIPES  256

enum px_state { PX_DETECT, PX_CONNECT, PX_RELAY };

enum px_end {
	PX_END_CLOSED,     /* both sides finished */
	PX_END_BLOCKED,    /* the policy blocks it: reset */
	PX_END_RESET,      /* a side reset */
	PX_END_UPSTREAM,   /* the destination refused or did not answer */
	PX_END_NO_TUNNEL,  /* a remote tunnel's: no connector yet */
	PX_END_IDLE,
	PX_END_REVOKED,    /* a reload no longer allows it */
	PX_END_SHUTDOWN,   /* ztd stopping */
	PX_END_ERROR,      /* out of memory, a failed syscall */
};

/* One direction of the relay: bytes spliced from one socket into a pipe
 * and on into the other. */
struct px_dir {
	int pipe[2];
	size_t cap;         /* the pipe's size */
	unsigned fills;     /* times a pump filled it */
	size_t queued;      /* in the pipe */
	__u64 bytes;        /* delivered */
	bool eof;           /* its source said FIN */
	bool shut;          /* its sink got our FIN */
};

struct pconn {
	struct ztd_proxy *px;
	__u64 id;                   /* rises with each accept (ztctl proxy list) */
	struct pconn *next, *prev;
	struct zt_io c, u;          /* client, upstream */
	__u32 cev, uev;             /* the events each is watched for (px_watch) */
	struct zt_timer t;          /* detection, connect, idle */
	enum px_state st;
	enum px_end end;
	__u8 family;
	__u8 src[16], dst[16];
	__u16 sport, dport;
	__u32 ifindex;              /* the client interface (0: none of them) */
	__u16 vlan;
	__u8 *buf;                  /* the bytes detection read (ZT_DETECT_MAX) */
	size_t len, sent;           /* read; sent upstream */
	struct zt_detected det;
	bool decided, iri;
	bool client_eof;            /* it sent FIN during detection */
	__u32 iri_epoch;            /* the IRI's epoch when first decided */
	char iri_name[ZT_HOSTNAME_MAX + 1]; /* the IRI's name ("" unknown) */
	struct zt_eval_result r;
	__u8 up_family, up_addr[16];
	__u16 up_port;
	struct px_dir cu, uc;       /* client -> upstream, upstream -> client */
	__u64 start_ms;
};

/* Upstream addresses recently found not to be the gateway's own. */
#define PROXY_NOT_OURS 256
struct px_not_ours {
	__u8 family, addr[16];
	__u64 at_ms;
};

struct ztd_proxy {
	struct ztd *d;
	struct zt_io l[2];          /* IPv4, IPv6 listeners */
	__u32 lev[2];               /* what each is watched for (px_watch) */
	struct zt_timer resume;     /* after accept ran out of descriptors */
	struct zt_timer iri_check;  /* connections to IRIs, every second */
	struct zt_share share;      /* live connections per client address */
	struct pconn *head;         /* the newest first: ids fall along next */
	__u64 last_id;
	size_t n, max_conns;
	size_t big_pipes;           /* directions with PROXY_PIPE_BIG pipes */
	bool full_warned;
	__u64 log_sec;              /* the second blocked lines are counted in */
	__u32 log_n;                /* ... and how many were written in it */
	__u64 upstream_warn_sec;    /* the second ztd last said why a connect failed */
	struct ztd_proxy_stats st;
	struct px_not_ours not_ours[PROXY_NOT_OURS];
};

/* Watches io for ev; none: not watched at all (an idle socket's EPOLLHUP,
 * which epoll reports whatever is asked, must not spin the loop). */
static inline int px_watch(struct zt_loop *l, struct zt_io *io, __u32 *now, __u32 ev)
{
	int err = 0;

	if (io->added && *now == ev)
		return 0; /* a syscall saved per turn of a busy relay */
	*now = ev;
	if (!ev)
		zt_io_del(l, io);
	else if (io->added)
		err = zt_io_mod(l, io, ev);
	else
		err = zt_io_add(l, io, ev);
	return err;
}

/* proxy_conn.c */
void proxy_conn_start(struct ztd_proxy *px, int fd, const struct sockaddr_storage *src,
		      const struct sockaddr_storage *dst);
void proxy_rst(int fd);
bool proxy_decide(struct ztd_proxy *px, struct pconn *c, bool final);
void proxy_act(struct pconn *c);
void proxy_end(struct pconn *c, enum px_end how);
const char *proxy_end_name(enum px_end e);

/* proxy_relay.c: start once the upstream is connected (the bytes
 * detection read go first); events on either socket after that. */
void proxy_relay_start(struct pconn *c);
void proxy_relay_events(struct pconn *c, struct zt_io *io, __u32 ev);
void proxy_relay_free(struct pconn *c);

/* proxy_log.c: the names a connection is told by (NULL: none), and its
 * line in the network log when it ends. */
struct px_names {
	const char *iface, *device, *user, *rule;
};
void proxy_names(const struct pconn *c, struct px_names *n);
void proxy_log(const struct pconn *c);

#endif
