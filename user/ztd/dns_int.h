/* SPDX-License-Identifier: GPL-2.0 */
/* dns_int.h — what ztd's DNS files share, and no one else sees: the
 * server (dns_server.c: listeners, clients, answering, the ztd_dns_*
 * entry points; dns_asker.c: who asked), the queries that wait (dns_forward.c: forwarded to an
 * upstream, or held for an address), the origin resolver (dns_resolve.c)
 * and the IRI allocations with their maps (dns_iri.c). Calls go one way,
 * server -> resolve -> forward -> iri; an answer that comes late goes back
 * to its client through the few the server offers (dns_reply_to, dns_log)
 * and dns_asker.c's dns_src_device. */
#ifndef ZT_ZTD_DNS_INT_H
#define ZT_ZTD_DNS_INT_H

#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "dns.h"
#include "dnspolicy.h"
#include "iri.h"
#include "share.h"
#include "ztd.h"

#define UDP_BATCH     32      /* datagrams per recvmmsg/sendmmsg */

/* A client's address: ifindex is where its query arrived (IP_PKTINFO of
 * the datagram, or of the TCP handshake; (__u32)-1: not said, nobody's). */
struct dns_src {
	__u8 family, addr[16];
	__u16 port;
	__u32 ifindex;
};

/* Who asked, so that an answer given later goes back the way the query
 * came. */
struct dns_asker {
	struct dns_src from;
	int ufd;                  /* UDP: the socket the query came on; -1: TCP */
	int slot;                 /* TCP: the client's slot, -1: UDP */
	__u32 tcp_gen;            /* and its generation (the slot may be reused) */
};

/* A listening socket, on the loop. */
struct dns_listener {
	struct zt_io io;
	struct zt_rest rest; /* TCP: accept ran out of descriptors */
	struct ztd *d;
};

struct tcp_client;            /* dns_server.c's */
struct dns_fwd;               /* dns_forward.c's */
struct dns_res;               /* dns_resolve.c's */
struct dns_iris;              /* dns_iri.c's */

struct ztd_dns {
	struct ztd *d;
	/* dns_server.c: listeners and clients */
	struct dns_listener udp[ZT_MAX_DNS_LISTEN], tcp[ZT_MAX_DNS_LISTEN];
	struct zt_cfg_endpoint ep[ZT_MAX_DNS_LISTEN];
	size_t n;
	struct tcp_client *clients[ZTD_DNS_TCP_MAX];
	struct zt_share tcp_share; /* the TCP slots each client address holds */
	__u32 tcp_gen;
	/* The resolver's scan and the state file (every ZT_EVENTS_POLL_MS,
	 * each with its own interval inside); the log, flushed in the turn
	 * after one was written. */
	struct zt_timer tick, flush;
	/* Answers to one batch of datagrams, sent with one sendmmsg. */
	struct {
		size_t n;
		__u8 buf[UDP_BATCH][ZT_DNS_UDP_MAX];
		size_t len[UDP_BATCH];
		struct sockaddr_storage to[UDP_BATCH];
		socklen_t tolen[UDP_BATCH];
	} out;
	__u8 in[UDP_BATCH][ZT_DNS_UDP_MAX];
	FILE *log;
	/* The others' own state, opaque here. */
	struct dns_fwd *fwd;
	struct dns_res *res;
	struct dns_iris *iri;
	/* Shared: the config's answers (devices, routes) and the allocations
	 * (dns_iri.c keeps them; all look them up), and the counters. */
	struct zt_dns_table table;
	struct zt_iri_pool pool;
	struct ztd_dns_stats st;
};

static inline socklen_t dns_sockaddr(__u8 family, const __u8 *addr, __u16 port,
				     struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == ZT_AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		memcpy(&s->sin_addr, addr, 4);
		return sizeof(*s);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	memcpy(&s6->sin6_addr, addr, 16);
	return sizeof(*s6);
}

/* ---- dns_server.c ---- */
/* The reply to a query answered late, to the client that asked (over TCP
 * only while that client is still connected). */
void dns_reply_to(struct ztd *d, const struct dns_asker *a, const __u8 *msg, size_t len);
/* One line of the DNS log (gateway.dns_log), when there is one. */
void dns_log(struct ztd *d, const struct zt_dns_query *q, const struct dns_src *from,
	     long device, const char *action, int rcode, const char *answer, long route,
	     long policy);

/* ---- dns_asker.c: who asked ---- */
/* The device a query from `from` is, by the config in force; -1: none. */
long dns_src_device(const struct ztd *d, const struct dns_src *from);
/* A client's address and port (ifindex left 0 for the caller). */
void dns_src_from(const struct sockaddr_storage *ss, struct dns_src *s);

/* ---- dns_resolve.c: the real address behind an IRI of a local tunnel ---- */
int dns_resolve_open(struct ztd *d);
/* Asks again, of a resolver made anew, what is in flight. */
void dns_resolve_reload(struct ztd *d);
void dns_resolve_close(struct ztd *d);
/* Resolves allocation i's name now. */
void dns_resolve_start(struct ztd *d, size_t i);
/* Allocations due to be asked again; a resolver that could not be made,
 * made again. Its sockets and timeouts are on the loop by themselves. */
void dns_resolve_tick(struct ztd *d, __u64 now);

/* ---- dns_forward.c: queries waiting for an upstream or an address ---- */
int dns_forward_open(struct ztd *d);
void dns_forward_close(struct ztd *d);
/* Sends q to the first upstream; its answer (or SERVFAIL) goes to a
 * later. Returns 0, -EDQUOT (the asker's share of waiting queries is
 * taken), -ENOSPC (all are), or another -errno (it could not be sent). */
int dns_forward(struct ztd *d, const struct zt_dns_query *q, const struct dns_asker *a,
		long device);
/* Holds the IRI answer to q (allocation {q->name, vnet, q's family}, by
 * route) until its real address is known, a second at most: false when no
 * entry is free (answer now). */
bool dns_hold(struct ztd *d, const struct zt_dns_query *q, const struct dns_asker *a,
	      long device, __u32 vnet, long route);
/* Sends the answers held for allocation {name, vnet, family}. */
void dns_release(struct ztd *d, const char *name, __u32 vnet, __u8 family);
/* After a reload: the waiting queries' devices and routes in the new
 * config. */
void dns_forward_reindex(struct ztd *d);

/* ---- dns_iri.c: allocations, the state file, the maps ---- */
/* The pool restored from the state file. */
int dns_iri_open(struct ztd *d);
void dns_iri_reload(struct ztd *d);
/* Saves what changed, frees the pool. */
void dns_iri_close(struct ztd *d);
void dns_iri_tick(struct ztd *d, __u64 now);
/* zt_iri_get, with the maps saying which allocations are in use. */
long dns_iri_get(struct ztd *d, const char *name, __u32 vnet, __u8 family, __u32 owner,
		 bool *fresh);
/* A fresh allocation into the iri map (route r), before its answer goes. */
int dns_iri_publish(struct ztd *d, const struct zt_iri *a, long r);
/* The map entry follows the allocation's real address. */
void dns_iri_real_publish(struct ztd *d, const struct zt_iri *a);
/* Whether a's route goes through a tunnel of this node. */
bool dns_iri_local(const struct ztd *d, const struct zt_iri *a);
/* The answer record for allocation a, its address as text into ans. */
void dns_iri_rr(const struct ztd *d, const struct zt_iri *a, __u16 qtype,
		struct zt_dns_rr *rr, char *ans, size_t n);
/* Caches a's answer to q for the programs to give themselves, when they
 * may (no DNS log, the same answer for every asker, the real address
 * known). */
void dns_cache_put(struct ztd *d, const struct zt_dns_query *q, const struct zt_iri *a);
/* Which listen addresses the programs answer on (none with a DNS log). */
void dns_cache_listen_sync(struct ztd *d);

#endif
