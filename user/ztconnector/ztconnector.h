/* SPDX-License-Identifier: GPL-2.0 */
/* ztconnector.h — the connector's state, shared by main.c (arguments,
 * the token, signals) and conn.c (its connections to the gateway). */
#ifndef ZTCONNECTOR_H
#define ZTCONNECTOR_H

#include <stdbool.h>
#include "ares_loop.h"
#include "connector.h"
#include "loop.h"
#include "tconn.h"
#include "token.h"

#define ZC_CONNECT_MS 10000    /* TCP connect and TLS within this */
#define ZC_KEEPALIVE_MS 5000   /* a PING this often */
#define ZC_DEAD_MS 15000       /* no answer for this long: the path is dead */
#define ZC_BACKOFF_MIN_MS 1000
#define ZC_BACKOFF_MAX_MS 60000
#define ZC_DRAIN_MS 5000       /* SIGTERM: live streams get this long */
#define ZC_UDP_IDLE_MS 3660000 /* a UDP flow with nothing either way: past the
				* gateway's longest idle time, which ends it first */

struct connector;
struct zc_lookup;

struct cconn {
	struct connector *k;
	unsigned idx;
	unsigned addr;             /* index into the token's addresses, tried next */
	bool connecting, in_tls, ready;
	struct zt_io cio;          /* the TCP connect (before TLS owns the fd) */
	struct zt_tconn t;         /* valid once in_tls */
	struct zt_timer timer;     /* connect deadline, backoff, keepalive */
	unsigned failures;
	__u64 last_pong_ms;
	char peer[64];
};

struct connector {
	struct zt_loop *loop;
	struct zt_token tok;
	struct ssl_ctx_st *ctx;
	struct zt_mux_budget big;  /* windows past 1 MiB, all connections' (session.h) */
	struct zt_mux_limits lim;  /* ... each connection's session, with it */
	unsigned n;                /* connections to keep */
	char name[64];
	bool draining;
	__u64 streams;             /* live now, all connections */
	struct zt_ares ares;       /* resolves streams' hostnames (resolve.c) */
	struct zc_lookup *lookups;
	unsigned n_lookups;
	const struct zt_ingress_rule *ingress; /* the config's rules (none: dial all) */
	size_t n_ingress;
	struct cconn c[ZT_MUX_CONNS_MAX];
};

void zc_start(struct cconn *c);
/* SIGTERM: GO_AWAY on every connection (no new streams; live ones go on). */
void zc_drain(struct connector *k);
/* Then: every connection closed (streams left are reset). */
void zc_close(struct connector *k);
unsigned zc_live(const struct connector *k);
/* Dials family/addr/port for s (proto ZT_MUX_TCP: bridged once it
 * answers; ZT_MUX_UDP: a connected UDP socket, bridged at once): 0, or
 * the ZT_MUX_E_* to refuse s with. */
__u32 zc_dial(struct cconn *c, struct zt_mux_stream *s, __u8 proto, __u8 family,
	      const __u8 *addr, __u16 port, bool operator);

/* resolve.c: the resolver (server NULL: the host's); 0 or -EINVAL. */
int zc_resolver_open(struct connector *k, const char *server);
/* Resolves name for s, then zc_dial: 0, or the ZT_MUX_E_* to refuse s with.
 * operator: the name is an ingress rule's service (its addresses, loopback
 * too, are the operator's choice), not the gateway's. */
int zc_lookup(struct cconn *c, struct zt_mux_stream *s, __u8 proto, const char *name,
	      __u16 port, bool operator);
/* s was reset: a lookup for it is forgotten (true when there was one). */
bool zc_lookup_forget(struct connector *k, const struct zt_mux_stream *s);

#endif
