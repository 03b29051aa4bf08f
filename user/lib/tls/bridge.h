/* SPDX-License-Identifier: GPL-2.0 */
/* bridge.h — one flow between a TCP socket and a tunnel stream: bytes
 * both ways with flow control (the socket is read only as far as the
 * stream's window takes; the stream's bytes are consumed only as the
 * socket takes them, which is what re-opens its window), a FIN passed on
 * as a FIN each way (half-close), a reset as a reset. The gateway joins
 * a proxied flow to a stream with one; the connector joins a stream to
 * its origin with one, after dialling it (the stream is accepted once
 * the origin answers, or refused with why not).
 *
 * A datagram bridge (zt_bridge_new_dgram) joins a connected UDP socket
 * instead: each datagram goes on the stream as a u16 length (big endian)
 * and its bytes; one the stream's window has no room for is dropped and
 * counted, never queued (a slow peer costs datagrams, not memory), and
 * each datagram from the stream is sent whole. A frame longer than
 * ZT_DGRAM_MAX resets the stream. With nothing either way for idle_ms
 * the stream is reset with ZT_MUX_E_IDLE and the socket closed. */
#ifndef ZT_BRIDGE_H
#define ZT_BRIDGE_H

#include <stdbool.h>
#include "tconn.h"

#define ZT_BRIDGE_CONNECT_MS 10000 /* an origin that does not answer: timeout */
/* A stream this side opened (zt_bridge_carry) that the peer neither
 * accepted nor refused in this long is reset (timeout): the connector
 * dials for ZT_BRIDGE_CONNECT_MS after resolving the name (up to ~9 s
 * with three servers that do not answer), and the OPEN may wait behind
 * a busy connection's queue. */
#define ZT_BRIDGE_OPEN_MS 30000
#define ZT_BRIDGE_BUF (64 * 1024)  /* read from the socket at once */
#define ZT_DGRAM_MAX 65527         /* a UDP datagram's bytes, at most (IPv6, no jumbograms) */

struct zt_bridge;

/* How a bridge ended: why (NULL: both sides finished), the stream's RST
 * code when the peer refused or reset it (ZT_MUX_E_*), bytes each way
 * (in: socket -> stream). The bridge is freed right after. */
typedef void (*zt_bridge_done_fn)(void *arg, struct zt_bridge *b, const char *why,
				  __u32 code, __u64 in, __u64 out);

/* Joins fd (connected, non-blocking; the bridge owns it from here) and s
 * (a stream of t's; the bridge is its user from here). With connecting,
 * fd is a connect in progress: s is accepted when it completes, and
 * released with refused, unreachable or timeout otherwise. 0, or -ENOMEM
 * (then fd is closed and s released; done is not called). The bridge may
 * end (done) before this returns. */
int zt_bridge_new(struct zt_tconn *t, struct zt_mux_stream *s, int fd, bool connecting,
		  zt_bridge_done_fn done, void *arg);
/* Joins fd (a connected TCP socket, non-blocking, the bridge's from here)
 * and s (a stream this side opened), pre (at most ZT_BRIDGE_BUF bytes the
 * socket's peer sent before, copied) going on the stream first. A stream
 * the peer has not accepted within ZT_BRIDGE_OPEN_MS is reset with
 * ZT_MUX_E_TIMEOUT. The bridge, never ended before this returns (it moves
 * bytes from the loop's next turn on); NULL when out of memory (fd
 * closed, s released, done not called). */
struct zt_bridge *zt_bridge_carry(struct zt_tconn *t, struct zt_mux_stream *s, int fd,
				  const void *pre, size_t pre_len, zt_bridge_done_fn done,
				  void *arg);
/* A datagram bridge: fd a connected UDP socket (non-blocking; the
 * bridge owns it), s an accepted stream with nothing received yet (the
 * bridge is its user). The bridge, never ended before this returns; NULL
 * when out of memory (fd closed, s released, done not called). */
struct zt_bridge *zt_bridge_new_dgram(struct zt_tconn *t, struct zt_mux_stream *s, int fd,
				      __u32 idle_ms, zt_bridge_done_fn done, void *arg);
/* A datagram of b's flow that came in elsewhere (the gateway's socket
 * for first datagrams): onto the stream as one read from its socket. */
void zt_bridge_dgram_in(struct zt_bridge *b, const void *p, size_t n);
/* From now on only datagrams the kernel gave mark are taken from the
 * socket (which has SO_RCVMARK on); others are dropped and counted. */
void zt_bridge_dgram_guard(struct zt_bridge *b, __u32 mark);
/* Datagrams a datagram bridge dropped: no room on the stream, or the
 * socket would not take them (its done callback may ask). */
__u64 zt_bridge_dropped(const struct zt_bridge *b);
/* Bytes moved so far: socket -> stream (in), stream -> socket (out). */
void zt_bridge_bytes(const struct zt_bridge *b, __u64 *in, __u64 *out);

/* The session's events for the bridge's stream (the owner's ops.event
 * passes them on: zt_mux_user(s) is the bridge). */
void zt_bridge_event(struct zt_bridge *b, unsigned evs);
/* Ends it now: the stream reset with code, the socket closed with a
 * reset. done is called. */
void zt_bridge_abort(struct zt_bridge *b, __u32 code, const char *why);

#endif
