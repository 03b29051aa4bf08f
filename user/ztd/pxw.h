/* SPDX-License-Identifier: GPL-2.0 */
/* pxw.h — what a proxy worker's files share (DESIGN §3, docs/proxy.md
 * "Workers"). A worker is a process of its own, started by ztd (proxy.c)
 * as an unprivileged user with no capabilities: it accepts on the
 * listeners ztd made for it, reads each connection's first bytes (the
 * parsers run here, never as root), asks ztd to decide (pxmsg.h), then
 * connects and relays with splice. pxw.c: the process, accepting, the
 * channel to ztd; pxw_conn.c: a connection's life; pxw_relay.c: its
 * bytes. Calls go pxw -> conn -> relay. */
#ifndef ZT_ZTD_PXW_H
#define ZT_ZTD_PXW_H

#include <sys/epoll.h>
#include <sys/socket.h>
#include "chan.h"
#include "detect.h"
#include "loop.h"
#include "pxmsg.h"

#define PROXY_CONNECT_MS 5000   /* upstream handshake */
/* A relay's pipes start at 64 KiB; one that a flow keeps filling grows to
 * 1 MiB (a splice per MiB, not per 64 KiB: 1.5x the throughput), for at
 * most PROXY_BIG_PIPES directions at once per worker, so the kernel
 * memory bulk flows may pin stays bounded (256 MiB). */
#define PROXY_PIPE       (1 << 16)
#define PROXY_PIPE_BIG   (1 << 20)
#define PROXY_BIG_PIPES  256
#define PXW_HASH         4096   /* buckets of connections by cid */
#define PXW_PIPE_POOL    256    /* empty pipes kept for the next connections */
#define PXW_CHAN_OUT     (8 << 20) /* what ztd may leave unread, then the worker ends */
#define PXW_CHAN_HIGH    (1 << 20) /* ... past this it accepts nothing new */

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
	bool nogrow;        /* a grow failed: the user's pipe quota is used up */
};

struct wconn {
	struct pxw *w;
	__u64 cid;
	struct wconn *next, *prev, *hnext;
	struct zt_io c, u;          /* client, upstream */
	__u32 cev, uev;             /* the events each is watched for (px_watch) */
	struct zt_timer t;          /* detection, connect, idle */
	enum zt_px_state st;
	bool waiting;               /* asked ztd, no answer yet */
	bool final_asked;           /* ... with what detection found */
	__u8 family;
	__u8 src[16], dst[16];
	__u16 sport, dport;
	__u32 ifindex;
	__u8 *buf;                  /* the bytes detection read (ZT_DETECT_MAX) */
	size_t len, sent;           /* read; sent upstream */
	struct zt_detected *det;    /* while detection reads (with buf) */
	bool client_eof;            /* it sent FIN during detection */
	struct px_dir cu, uc;       /* client -> upstream, upstream -> client */
	__u8 rep_state;             /* what the last PROGRESS said */
	__u64 rep_bytes;
};

struct pxw {
	struct zt_loop *loop;
	struct zt_io l[2];          /* IPv4, IPv6 listeners */
	__u32 lev[2];
	struct zt_timer resume;     /* after accept ran out of descriptors */
	struct zt_timer progress;   /* PROGRESS to ztd, every second */
	struct zt_chan ch;          /* to ztd */
	int hand;                   /* ... and the socket pair that hands ztd sockets */
	struct zt_io given;         /* ... on which ztd gives it upstream sockets */
	struct wconn *head;
	struct wconn *hash[PXW_HASH];
	__u64 last_cid;
	size_t n, big_pipes;
	int pipes[PXW_PIPE_POOL][2]; /* empty pipes, PROXY_PIPE big */
	size_t n_pipes;
};

#define pxw_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

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

/* pxw.c: a message to ztd (a worker that cannot tell ztd exits). */
void pxw_send(struct pxw *w, const struct zt_pxm *m);

/* pxw_conn.c */
void pxw_conn_start(struct pxw *w, int fd, const struct sockaddr_storage *src,
		    const struct sockaddr_storage *dst);
#define PXW_FD_HAND 6               /* the hand-over socket pair (SOCK_SEQPACKET) */
void pxw_conn_answer(struct pxw *w, const struct zt_pxm_answer *a);
/* The upstream socket ztd connected for cid (CONNECT, on the hand-over
 * pair); -1: it could not be received (out of descriptors). */
void pxw_conn_upstream(struct pxw *w, __u64 cid, int fd);
void pxw_conn_revoke(struct pxw *w, __u64 cid);
/* Ends c: resets both sockets unless it closed; tells ztd (END) unless
 * quiet (ztd ended it itself). */
void pxw_end(struct wconn *c, enum zt_px_end how, int err, bool quiet);
void pxw_rst(int fd);

/* pxw_relay.c: start once the upstream is connected (the bytes
 * detection read go first); events on either socket after that. */
void pxw_relay_start(struct wconn *c);
void pxw_relay_events(struct wconn *c, __u32 ev);
void pxw_relay_free(struct wconn *c);

int ztd_proxy_worker_main(int argc, char **argv);
/* pxw_seccomp.c: the worker's system calls from now on; 0 or -errno. */
int pxw_seccomp(void);

#endif
