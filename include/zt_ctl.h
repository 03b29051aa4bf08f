/* SPDX-License-Identifier: GPL-2.0 */
/* zt_ctl.h — ztd's control socket protocol, shared by ztd and ztctl.
 *
 * A SOCK_SEQPACKET Unix socket (ZT_CTL_SOCKET, mode 0600): one request
 * message, one reply message, then the daemon closes the connection.
 * Every field is big-endian and read through the bounds-checked reader
 * (user/lib/core/buf.h); strings are u16-length-prefixed.
 *
 *   request: u32 magic, u16 version, u16 type, then the body of the type
 *   reply:   u32 magic, u16 version, u16 type, i32 status (0 or -errno),
 *            str message (why, when status < 0), then the body of the type
 *
 * Bodies (each a struct with one put and one get function, used by both
 * sides: user/lib/wire/ctl_msg.h):
 *   STATUS request: empty. Reply: u32 pid, u64 started (unix seconds),
 *     u32 generation, str config, u32 rules, u32 routes, u32 devices,
 *     u32 reloads, u32 reloads_refused, u8 n (<= ZT_CTL_MAX_IFACES),
 *     n x { u32 ifindex, str name, u8 mode (enum zt_attach_mode) }, then the
 *     DNS server's: u32 listen addresses, u32 IRIs allocated, and each of
 *     ZT_DNS_STATS as a u64; the proxy's: u64 live connections and each
 *     of ZT_PROXY_STATS; the tunnel endpoint's: each of ZT_TUNNEL_STATS.
 *   RELOAD request: empty. Reply: u32 generation in force; when the new
 *     config is refused status is -EINVAL and message holds every error.
 *   PROXY_LIST request: u64 after (0: from the first). Reply: the live
 *     connections with an id above it, lowest first, a page at a time:
 *     u64 live (connections now), u64 next (the after of the next page;
 *     0: this is the last), u8 n (<= ZT_CTL_PROXY_PAGE), n x { u64 id,
 *     u8 family (ZT_AF_*), 16 src, 16 dst, u16 sport, u16 dport, u8 state
 *     (enum zt_ctl_pconn_state), u8 detected (enum zt_proto; 0xff none
 *     yet), u8 verdict (enum zt_verdict; 0xff undecided), u32 rule_id,
 *     u64 bytes_up, u64 bytes_down, u64 age_ms, str interface, str
 *     device, str user, str name (the SNI or HTTP Host), str hostname
 *     (an IRI's), str rule }.
 *   TUNNEL request: u8 op (enum zt_ctl_tunnel_op), str name. Reply: str
 *     token (the connector's credentials; empty for DELETE).
 *   TUNNEL_LIST request: str name (empty: every tunnel). Reply: u16 n,
 *     n x { str name, u8 remote, u8 health (enum zt_ctl_health), u8
 *     credentials (issued), u8 up, u8 expected, u64 since_ms (in this
 *     health), u64 refused (connections refused for it), u64 streams
 *     (opened for its flows), u64 failed (of them: no connection, or the
 *     connector refused) }, then u8 m, m x
 *     the named tunnel's connections { u8 index, u8 of, str peer, str
 *     local, str connector, u64 age_ms, u32 streams, u64 bytes_in, u64
 *     bytes_out } (m is 0 for every tunnel).
 *   USER request: u8 op (enum zt_ctl_user_op), str email, str groups
 *     (comma-separated), str vnet, u32 ttl (seconds), str id (REVOKE's).
 *     Reply: str token (empty for REVOKE), str id, u64 expires (unix
 *     seconds).
 */
#ifndef ZT_CTL_H
#define ZT_CTL_H

#define ZT_CTL_SOCKET    "/run/zt/ztd.sock"
#define ZT_CTL_MAGIC     0x7a74634cu  /* "ztcL" */
#define ZT_CTL_VERSION   8            /* 2: PROXY_LIST, log_suppressed; 3: workers;
					* 4: TUNNEL, TUNNEL_LIST; 5: a tunnel's
					* streams; 6: STATUS's tunnel counters;
					* 7: USER, access counters; 8: tcp_nofile */
#define ZT_CTL_MAX_REQ   512          /* longer requests are refused */
#define ZT_CTL_MAX_REPLY 65536
#define ZT_CTL_MAX_CLIENTS 16
#define ZT_CTL_MAX_IFACES  16         /* interfaces a STATUS reply carries */
#define ZT_CTL_IDLE_MS   2000         /* a silent client is closed after this */
#define ZT_CTL_PROXY_PAGE 32          /* connections a PROXY_LIST reply carries */
#define ZT_CTL_STR_MAX   256          /* a PROXY_LIST string, with its NUL */

/* The DNS server's counters, in the order STATUS carries them: the field
 * of ztd's struct ztd_dns_stats and the name ztctl status prints. */
#define ZT_DNS_STATS(X)                                                         \
	X(queries, "queries")                                                   \
	X(answered, "answered")                                                 \
	X(blocked, "blocked")                                                   \
	X(refused, "refused")                                                   \
	X(forwarded, "forwarded")                                               \
	X(formerr, "formerr")                                                   \
	X(dropped, "dropped")                                                   \
	X(exhausted, "pool_exhausted")                                          \
	X(pending_full, "pending_full")       /* SERVFAIL: all pending taken */ \
	X(pending_limited, "pending_limited") /* SERVFAIL: the client's share */ \
	X(iri_limited, "iri_limited")   /* SERVFAIL: the user's wildcard IRIs */ \
	X(upstream_timeout, "upstream_timeouts")                                \
	X(upstream_bad, "upstream_bad")                                         \
	X(upstream_mismatch, "upstream_mismatch") /* another id or question */  \
	X(send_failed, "send_failed")                                           \
	X(tcp, "tcp_clients")                                                   \
	X(tcp_dropped, "tcp_dropped")                                           \
	X(tcp_limited, "tcp_limited")         /* closed at accept: its share */ \
	X(tcp_nofile, "tcp_nofile")   /* accept out of descriptors: rested */

/* The L7 proxy's counters, in the order STATUS carries them: the field of
 * ztd's struct ztd_proxy_stats and the name ztctl status prints. */
#define ZT_PROXY_STATS(X)                                                       \
	X(accepted, "accepted")                                                 \
	X(allowed, "allowed")             /* connected on */                    \
	X(blocked, "blocked")             /* the policy blocks it: reset */      \
	X(no_tunnel, "no_connector")      /* a remote tunnel's: refused */       \
	X(upstream_failed, "upstream_failed")                                   \
	X(refused_full, "refused_full")   /* max_connections, or carried flows' fds: reset */ \
	X(refused_client, "refused_client") /* the client's per_client share */  \
	X(detect_timeouts, "detect_timeouts") /* sent nothing (enough) in time */ \
	X(malformed, "malformed")         /* first bytes broken or too big */    \
	X(revoked, "revoked")             /* a reload no longer allows it */     \
	X(log_suppressed, "log_suppressed") /* blocked, past blocked_logs_per_sec */ \
	X(workers, "workers")             /* worker processes */                 \
	X(worker_restarts, "worker_restarts") /* workers that died, started again */

/* The tunnel endpoint's counters (all remote tunnels), in the order STATUS
 * carries them: the field of ztd's struct ztd_tunnels and the name ztctl
 * status prints. Zeros without gateway.connector_listen. */
#define ZT_TUNNEL_STATS(X)                                                      \
	X(refused_pending, "refused_at_accept") /* past the not-through-HELLO limits */ \
	X(refused_auth, "refused_auth")   /* a wrong id or secret */             \
	X(failed, "handshake_failed")     /* TLS or HELLO broken */              \
	X(timeouts, "handshake_timeouts") /* no HELLO within 10 s */             \
	X(streams_opened, "tcp_streams")  /* TCP flows given a stream */         \
	X(streams_refused, "tcp_failed")  /* ... no stream, or the connector refused */ \
	X(udp_opened, "dgram_flows")      /* UDP and ICMP flows opened */        \
	X(udp_blocked, "dgram_blocked")   /* ... the policy blocks them */       \
	X(udp_no_tunnel, "dgram_no_connector") /* ... no connection up */        \
	X(udp_full, "dgram_full")         /* ... past a limit (device, connection, all) */ \
	X(udp_failed, "dgram_failed")     /* ... a socket or stream could not be made */ \
	X(udp_refused_again, "dgram_refused_again") /* ... dropped within the refusal's second */ \
	X(udp_revoked, "dgram_revoked")   /* ... ended by a reload or an IRI's change */ \
	X(udp_dropped, "dgram_dropped")   /* datagrams of ended flows dropped on the way */ \
	X(udp_not_steered, "dgram_not_steered") /* sent to ztd's socket, not by the kernel */ \
	X(icmp_bad, "icmp_bad")           /* ring records that are no echo request */ \
	X(icmp_replies, "icmp_replies")   /* echo replies sent to clients */     \
	X(icmp_reply_bad, "icmp_reply_refused") /* from the connector, answering nothing */ \
	X(icmp_send_failed, "icmp_send_failed")                                 \
	X(access_conns, "access_connections") /* access clients' connections taken */ \
	X(access_refused, "access_refused") /* ... refused: a token bad, expired, revoked; a limit */ \
	X(access_streams, "access_streams") /* their streams carried to a tunnel */ \
	X(access_blocked, "access_blocked") /* ... the policy blocks them */     \
	X(access_failed, "access_failed") /* ... no route, no connector, a limit */

enum zt_ctl_type {
	ZT_CTL_STATUS = 1,
	ZT_CTL_RELOAD = 2,
	ZT_CTL_PROXY_LIST = 3,
	ZT_CTL_TUNNEL = 4,
	ZT_CTL_TUNNEL_LIST = 5,
	ZT_CTL_USER = 6,
};

enum zt_ctl_user_op {
	ZT_CTL_USER_TOKEN = 1,  /* sign a new token */
	ZT_CTL_USER_REVOKE = 2, /* refuse a token from now on; its connections closed */
};

enum zt_ctl_tunnel_op {
	ZT_CTL_TUN_CREATE = 1,  /* issue credentials: refused when issued already */
	ZT_CTL_TUN_TOKEN = 2,   /* the token again */
	ZT_CTL_TUN_ROTATE = 3,  /* a new secret: the old one stops working */
	ZT_CTL_TUN_DELETE = 4,  /* forget the credentials: its connectors are refused */
};

/* A remote tunnel's health, as the seeds define it. */
enum zt_ctl_health {
	ZT_CTL_H_INACTIVE = 0,  /* never connected */
	ZT_CTL_H_HEALTHY = 1,   /* all the connections its connector keeps are up */
	ZT_CTL_H_DEGRADED = 2,  /* serving, at least one down */
	ZT_CTL_H_DOWN = 3,      /* was connected, none now */
	ZT_CTL_H_LOCAL = 4,     /* a local tunnel: no connector */
	ZT_CTL_H_MAX
};
#define ZT_CTL_TUNNEL_CONNS 16 /* connections one tunnel may hold at once */

enum zt_ctl_pconn_state {
	ZT_CTL_PC_DETECT,   /* reading the first bytes */
	ZT_CTL_PC_CONNECT,  /* allowed, connecting upstream */
	ZT_CTL_PC_RELAY,    /* relaying */
};

#endif
