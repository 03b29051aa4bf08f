/* SPDX-License-Identifier: GPL-2.0 */
/* pxmsg.h — what ztd and its proxy workers say to each other over the
 * socket pair between them (docs/proxy.md, "Workers"). A worker accepts
 * and reads a connection's first bytes (the parsers run there, without
 * root); ztd, which holds the policy, the IRIs and the maps, decides.
 * Each message is a frame (u16 length, then the body) whose body one put
 * writes and one get reads through the bounds-checked reader: ztd reads a
 * worker's words as untrusted bytes, and a message that does not parse
 * ends that worker.
 *
 * Sockets cross a second socket pair, a SOCK_SEQPACKET one, as
 * SCM_RIGHTS, one per message: ztd gives the worker the upstream socket
 * it connected for a connection it allows (an ANSWER with CONNECT: a
 * worker makes no socket and connects nowhere itself), and the worker
 * hands ztd the client's socket of a flow to a remote tunnel, which ztd
 * carries itself (ZT_PXA_HAND; a zt_pxm_hand). */
#ifndef ZT_PXMSG_H
#define ZT_PXMSG_H

#include <stdbool.h>
#include <linux/types.h>
#include "buf.h"
#include "detect.h"
#include "hostname.h"

#define ZT_PXM_MAX 4096          /* a body's bytes at most */
#define ZT_PXM_IDLE_MS (3600 * 1000) /* a relayed flow with no byte either way: ended */
#define ZT_PXM_PROG_MAX 64       /* connections in one PROGRESS */
/* A hand-over: cid, the bytes detection read (at most ZT_DETECT_MAX). */
#define ZT_PXM_HAND_MAX (8 + 2 + ZT_DETECT_MAX)

enum zt_pxm_type {
	/* worker -> ztd */
	ZT_PXM_ASK = 1,      /* decide this connection (at accept; after detection) */
	ZT_PXM_END = 2,      /* it ended: how, bytes each way */
	ZT_PXM_PROGRESS = 3, /* live connections' state and bytes, once a second */
	ZT_PXM_EVENT = 4,    /* something with no connection (accept out of fds) */
	/* ztd -> worker */
	ZT_PXM_ANSWER = 16,  /* read its first bytes, relay (CONNECT), or reset it */
	ZT_PXM_REVOKE = 17,  /* the policy no longer allows it: reset it */
};

/* Where a connection is (ztctl proxy list's state). */
enum zt_px_state { ZT_PXS_DETECT = 0, ZT_PXS_CONNECT = 1, ZT_PXS_RELAY = 2, ZT_PXS_MAX };

/* How a connection ended (the network log's "end"). */
enum zt_px_end {
	ZT_PXE_CLOSED = 0,    /* both sides finished */
	ZT_PXE_BLOCKED,       /* the policy blocks it: reset */
	ZT_PXE_RESET,         /* a side reset */
	ZT_PXE_UPSTREAM,      /* the destination refused or did not answer */
	ZT_PXE_NO_TUNNEL,     /* a remote tunnel's: no connector yet */
	ZT_PXE_IDLE,
	ZT_PXE_REVOKED,       /* a reload no longer allows it */
	ZT_PXE_SHUTDOWN,      /* ztd stopping */
	ZT_PXE_ERROR,         /* out of memory, a failed syscall */
	ZT_PXE_WORKER,        /* its worker died */
	ZT_PXE_MAX
};
const char *zt_px_end_name(enum zt_px_end e);

/* CONNECT: relay it to the upstream socket that comes with the answer (on
 * the second pair); HAND: give ztd the socket (and what detection read):
 * ztd carries it. */
enum zt_pxa { ZT_PXA_DETECT = 1, ZT_PXA_CONNECT = 2, ZT_PXA_RESET = 3, ZT_PXA_HAND = 4 };
enum zt_pxev { ZT_PXEV_NOFILE = 1 };

struct zt_pxm_ask {
	__u64 cid;             /* the worker's id of it */
	bool final;            /* detection is over (else: at accept) */
	bool timed_out;        /* ... because the client sent nothing (enough) in time */
	bool found;            /* detection read bytes or decided why not */
	bool ech;
	__u8 family;           /* ZT_AF_INET or ZT_AF_INET6 */
	__u8 src[16], dst[16];
	__u16 sport, dport;
	__u32 ifindex;         /* the handshake's interface ((__u32)-1: not said) */
	__u8 proto, why;       /* enum zt_proto, enum zt_detect_why */
	char name[ZT_HOSTNAME_MAX + 1]; /* SNI or Host, as detection found it */
};

struct zt_pxm_end {
	__u64 cid;
	__u8 end;              /* enum zt_px_end */
	__u8 err;              /* ZT_PXE_UPSTREAM: the connect's errno (0: timed out) */
	__u64 up, down;        /* bytes client -> server, server -> client */
};

struct zt_pxm_prog {
	__u64 cid;
	__u8 state;            /* enum zt_px_state */
	__u64 up, down;
};

struct zt_pxm_answer {
	__u64 cid;
	__u8 act;              /* enum zt_pxa */
	__u32 detect_ms;       /* DETECT: how long to wait for the first bytes */
};

/* worker -> ztd, on the hand-over socket pair, with the socket. */
struct zt_pxm_hand {
	__u64 cid;
	__u16 len;             /* bytes detection read, not sent anywhere yet */
	const __u8 *bytes;     /* ... (get: into the buffer read) */
};

struct zt_pxm {
	__u8 type;
	union {
		struct zt_pxm_ask ask;
		struct zt_pxm_end end;
		struct {
			__u8 n;
			struct zt_pxm_prog c[ZT_PXM_PROG_MAX];
		} prog;
		__u8 event;            /* enum zt_pxev */
		struct zt_pxm_answer answer;
		__u64 revoke;          /* a cid */
	};
};

/* The body of m into b (b->err set when it does not fit). */
void zt_pxm_put(struct zt_buf *b, const struct zt_pxm *m);
/* A body from b into m: 0, or -EBADMSG when it is short, too long, of an
 * unknown type, or holds a value out of its range (a family, a state, an
 * end, a name that is no hostname's characters). */
int zt_pxm_get(struct zt_buf *b, struct zt_pxm *m);
/* A hand-over's body: put (b->err when it does not fit) and get (0, or
 * -EBADMSG: short, or bytes past len). */
void zt_pxm_hand_put(struct zt_buf *b, const struct zt_pxm_hand *h);
int zt_pxm_hand_get(struct zt_buf *b, struct zt_pxm_hand *h);

#endif
