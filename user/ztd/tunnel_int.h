/* SPDX-License-Identifier: GPL-2.0 */
/* tunnel_int.h — the tunnel endpoint's state, shared by its files:
 * tunnel.c (the listeners, TLS, HELLO, keepalives, health) and
 * tunnel_creds.c (each remote tunnel's id and secret, kept in the state
 * directory, and the tokens made of them). docs/tunnel.md says what goes
 * over the wire. */
#ifndef ZTD_TUNNEL_INT_H
#define ZTD_TUNNEL_INT_H

#include <sys/socket.h>
#include "ctl_tunnel.h"
#include "dnspolicy.h"
#include "log.h"
#include "policy.h"
#include "share.h"
#include "tconn.h"
#include "token.h"
#include "utoken.h"
#include "ztd.h"

#define TUN_HANDSHAKE_MS 10000 /* TLS and HELLO within this, or closed */
#define TUN_PENDING_MAX 64     /* connections not through HELLO yet, all sources */
#define TUN_PENDING_PER_SRC 8  /* ... from one address */
#define TUN_KEEPALIVE_MS 5000  /* a PING this often */
#define TUN_DEAD_MS 15000      /* no answer for this long: the path is dead */
#define TUN_UDP_FLOWS 4096     /* UDP flows to remote tunnels at once */
#define TUN_UDP_PER_CLIENT 256 /* ... of one client (a device: all its addresses) */
#define TUN_UDP_PER_CONN 1024  /* ... on one connection (its streams' memory) */
#define TUN_UDP_REFUSED 1024   /* flows lately refused, remembered for a second */
#define TUN_ACCESS_CONNS 1024  /* access clients' connections at once, all users */
#define TUN_ACCESS_PER_TOKEN 16 /* ... with one token */
#define TUN_ACCESS_STREAMS 64  /* streams on one access connection at once */
#define TUN_ACCESS_FLOWS 1024  /* access streams at once, all users (2 descriptors each) */
#define TUN_TCP_FLOWS 16384    /* TCP flows the proxy hands ztd to carry (a descriptor each) */
#define TUN_ACCESS_PER_TOKEN_FLOWS 256 /* ... with one token */

struct tun_cred {
	char name[ZT_CTL_NAME_MAX];
	__u8 id[ZT_MUX_ID_LEN];
	__u8 secret[ZT_MUX_SECRET_LEN];
	__u64 created;             /* unix seconds */
};

struct gw_conn;
struct acc_flow;

/* A revoked user token: refused until it would have expired. */
struct tun_revoked {
	__u8 id[ZT_UTOKEN_ID_LEN];
	__u64 expires;
};

/* A configured tunnel's connections and health (kept by name across
 * reloads). */
struct tun_state {
	char name[ZT_CTL_NAME_MAX];
	bool remote;
	bool ever;                 /* a connection was up once */
	__u8 expected;             /* connections its connector keeps (HELLO's n) */
	__u8 health;               /* enum zt_ctl_health */
	__u64 since_ms;
	__u64 refused;
	__u64 streams, failed;     /* streams for its flows; of them failed */
	unsigned n_up;
};

struct gw_conn {
	struct zt_tconn t;
	struct ztd_tunnels *tt;
	struct gw_conn *prev, *next;
	int ts;                    /* index into tt->ts once HELLO was taken; -1 before */
	bool ready;
	__u8 index, of;
	char connector[ZT_MUX_NAME_MAX + 1];
	char peer[ZT_CTL_NAME_MAX], local[ZT_CTL_NAME_MAX];
	struct sockaddr_storage peer_sa;
	unsigned n_udp;            /* UDP flows' streams on it */
	/* An access client's connection (tunnel_access.c): ts stays -1 */
	bool access;
	struct zt_utoken *user;    /* its token, checked */
	struct acc_flow *flows;    /* its streams */
	unsigned n_flows;
	__u64 since_ms, last_pong_ms;
	struct zt_timer timer;     /* the handshake's deadline, then keepalives */
};

struct tun_listener {
	struct zt_io io;
	struct ztd_tunnels *tt;
	struct zt_rest rest;       /* out of descriptors: accept rests 100 ms */
};

/* A datagram flow to a remote tunnel (tunnel_dgram.c): UDP, or ICMP echo
 * (proto ZT_MUX_ICMP, tunnel_icmp.c: sport is the client's echo
 * identifier, dport 0). */
struct tun_dgram {
	struct ztd_tunnels *tt;
	__u8 proto;                /* ZT_MUX_UDP or ZT_MUX_ICMP */
	struct zt_io reply;        /* ICMP: the replies the bridge writes (fd -1: none) */
	struct tun_dgram *hnext, *prev, *next;
	struct zt_bridge *b;
	__u8 family;
	__u8 src[16], dst[16];
	__u16 sport, dport;
	__u32 in_ifindex;          /* the interface it came in on (part of its key) */
	__u16 kvlan;               /* ICMP: the 802.1Q id tc saw there (part of its key) */
	__u32 ifindex;             /* the client interface (0: none of them) */
	__u16 vlan;
	bool revoked;
	struct gw_conn *c;         /* the connection its stream is on */
	/* ICMP: the echo requests sent and not answered yet (sequence and
	 * length): one reply each, of that length, is passed to the client */
	__u16 icmp_seq[8], icmp_len[8];
	__u8 icmp_n, icmp_at;
	struct zt_eval_result r;
	char tunnel[ZT_CTL_NAME_MAX]; /* "": refused */
	char host[ZT_HOSTNAME_MAX + 1]; /* an IRI's name, or "" */
	__u64 start_ms, up, down, dropped;
};

struct ztd_tunnels {
	struct ztd *d;
	struct ssl_ctx_st *ctx;
	struct zt_mux_budget big;  /* windows past 1 MiB, all sessions' (session.h) */
	struct zt_mux_limits lim;  /* ... each session's, with it */
	__u8 pin[ZT_TOKEN_PIN_LEN];
	struct tun_listener lis[ZT_MAX_CONNECTOR_LISTEN];
	size_t n_lis;
	struct tun_cred *creds;
	size_t n_creds;
	char creds_path[4096];
	struct tun_state *ts;
	size_t n_ts;
	struct gw_conn *conns;
	size_t n_pending;
	__u64 refused_pending, refused_auth, failed, timeouts;
	__u64 log_ms;              /* the last "refused: too many pending" line */
	struct zt_rate prelog;     /* pre_hello_log's budget */
	/* flows (tunnel_flow.c) */
	__u64 streams_opened, streams_refused;
	struct zt_rate flow_log;   /* lines about failed streams */
	/* UDP flows (tunnel_udp.c) */
	struct tun_listener udp_io[2]; /* first datagrams, IPv4 and IPv6 (fd -1: none) */
	struct tun_dgram **udp_hash, *udp_flows;
	size_t n_udp, udp_fds, udp_max; /* live; their descriptors; at most (the
				    * descriptors ztd could get) */
	__u64 hash_seed;
	struct tun_dgram_refused {
		__u64 until_ms, key;
	} *udp_refused;
	struct zt_timer udp_iri;   /* flows to IRIs decided again each second */
	struct zt_share udp_share; /* each client address's flows */
	struct zt_rate udp_log_rate;
	__u64 udp_opened, udp_blocked, udp_no_tunnel, udp_full, udp_failed, udp_not_steered,
	      udp_revoked, udp_dropped, udp_log_suppressed, udp_refused_again;
	/* ICMP echo (tunnel_icmp.c) */
	struct ring_buffer *icmp_ring; /* echo requests the kernel steered */
	struct zt_io icmp_io;
	int raw[2];                /* raw ICMP sockets the answers leave by (-1: none) */
	__u64 icmp_bad, icmp_replies, icmp_reply_bad, icmp_send_failed;
	unsigned icmp_batch;       /* records taken this turn */
	/* users' access (tunnel_users.c, tunnel_access.c) */
	__u8 user_seed[32], user_pub[32];
	char revoked_path[4096 + 32];
	struct tun_revoked *revoked;
	size_t n_revoked;
	unsigned n_access;         /* access connections up */
	size_t n_access_flows;     /* their streams, all connections */
	size_t access_fds, access_fd_max; /* descriptors their socket pairs hold; at most */
	size_t tcp_max;            /* TCP flows the proxy may hand ztd at once (their descriptors) */
	struct zt_dns_table acc_table; /* hostname routes and DNS policies, per generation */
	__u32 acc_table_gen;
	bool acc_table_ok;
	struct zt_rate access_log; /* lines about refused access */
	struct zt_rate access_netlog; /* network-log lines of refused streams */
	__u64 access_log_suppressed;
	__u64 access_conns, access_refused, access_streams, access_blocked, access_failed;
};

/* tunnel_creds.c */
int tun_creds_load(struct ztd_tunnels *tt, const char **why, int *line);
struct tun_cred *tun_cred_by_name(struct ztd_tunnels *tt, const char *name);
struct tun_cred *tun_cred_by_id(struct ztd_tunnels *tt, const __u8 *id);
int tun_token(const struct ztd_tunnels *tt, const struct tun_cred *c, char *out, size_t outsz,
	      char *why, size_t whysz);
/* The addresses a token tells its holder to dial: 0, or -EINVAL (why). */
int tun_dial_addrs(const struct ztd_tunnels *tt, struct zt_token_addr *addrs, __u8 *n_addrs,
		   char *why, size_t whysz);
/* CREATE, TOKEN, ROTATE, DELETE (ctl.c's TUNNEL request). */
int tun_op(struct ztd_tunnels *tt, __u8 op, const char *name, char *token, size_t tsz,
	   char *why, size_t whysz);

/* tunnel_users.c: the signing key and the revoked list (open), a token
 * made (USER TOKEN) or revoked (USER REVOKE), and one presented in HELLO
 * checked (0, or -errno with *why). */
int tun_users_open(struct ztd_tunnels *tt);
void tun_users_close(struct ztd_tunnels *tt);
int tun_user_issue(struct ztd_tunnels *tt, const struct zt_ctl_user_req *q,
		   struct zt_ctl_user_reply *a, char *why, size_t whysz);
int tun_user_revoke(struct ztd_tunnels *tt, const char *id_hex, char *why, size_t whysz);
int tun_user_check(const struct ztd_tunnels *tt, const __u8 *cred, size_t n,
		   struct zt_utoken *t, const char **why);
/* Not expired, not revoked (checked again on each keepalive). */
bool tun_user_valid(const struct ztd_tunnels *tt, const __u8 *id, __u64 expires);
/* A token's names as the config's ids: its vnet (0: no such), groups
 * (names the config does not know count as none), user (0: no device
 * or policy names the email). */
__u32 tun_user_vnet(const struct zt_config *cfg, const char *vnet);
__u64 tun_user_groups(const struct zt_config *cfg, const char *groups);
__u32 tun_user_id(const struct zt_config *cfg, const char *email);

/* tunnel_access.c: an access client's HELLO (0: taken; else refused, the
 * GO_AWAY sent), its streams (the session's open and event), its
 * connection ending, a reload (every live stream decided again), a
 * revoked token (its connections closed: tunnel.c). */
int tun_access_hello(struct gw_conn *c, const struct zt_mux_hello *h);
int tun_access_open(struct gw_conn *c, struct zt_mux_stream *s, const struct zt_mux_open *o);
void tun_access_event(struct gw_conn *c, struct zt_mux_stream *s, unsigned evs);
void tun_access_down(struct gw_conn *c);
void tun_access_recheck(struct ztd_tunnels *tt);
void tun_access_drop(struct ztd_tunnels *tt, const __u8 *id, const char *why);
void tun_access_close(struct ztd_tunnels *tt);

/* tunnel_flow.c */
/* The tunnel's ready connection with the fewest streams (one saying
 * GO_AWAY takes none), or NULL. */
struct gw_conn *tun_least_busy(struct ztd_tunnels *tt, int ts);

/* tunnel_dgram.c: the table of UDP and ICMP flows (its hash's seed, the
 * descriptors the flows may hold); close ends every flow first. recheck
 * after a reload or an IRI change ends the flows no longer allowed. */
int tun_dgram_open(struct ztd_tunnels *tt);
void tun_dgram_close(struct ztd_tunnels *tt);
void tun_dgram_recheck(struct ztd_tunnels *tt);

/* tunnel_udp.c: the sockets of first datagrams in zt_proxy (a kernel
 * without SO_RCVMARK: none, said, and 0); a UDP flow's own socket (the
 * fd, or -errno). */
int tun_udp_open(struct ztd_tunnels *tt);
void tun_udp_close(struct ztd_tunnels *tt);
int tun_udp_sock(const struct tun_dgram *f);
/* A datagram (UDP) or echo request (ICMP) of the flow key names (who,
 * from which interface, to where): onto its flow, or a new flow decided
 * and opened, or dropped and counted. */
void tun_dgram_in(struct ztd_tunnels *tt, const struct tun_dgram *key, const __u8 *p, size_t n);

/* tunnel_icmp.c: the ring of echo requests and the raw sockets answers
 * leave by (none without UDP: said, and 0). tun_icmp_pair makes an ICMP
 * flow's socket pair: the bridge's end returned, f->reply watching the
 * other (the answers); tun_icmp_forget closes it (nothing for UDP). */
int tun_icmp_open(struct ztd_tunnels *tt);
void tun_icmp_close(struct ztd_tunnels *tt);
int tun_icmp_pair(struct tun_dgram *f);
void tun_icmp_forget(struct tun_dgram *f);
/* An echo request of f's goes to the connector: its reply is awaited. */
void tun_icmp_sent(struct tun_dgram *f, const __u8 *m, size_t n);

/* tunnel.c */
struct tun_state *tun_state_by_name(struct ztd_tunnels *tt, const char *name);
/* Ends every connection of the tunnel named (its secret changed). */
void tun_drop_conns(struct ztd_tunnels *tt, const char *name, const char *why);

#endif
