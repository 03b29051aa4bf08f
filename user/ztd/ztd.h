/* SPDX-License-Identifier: GPL-2.0 */
/* ztd.h — the daemon's state, shared by its files: main (start, the
 * signals, the network log's writer), reload (config to kernel: compile,
 * apply, attach), ctl (the control socket), link (netlink), dns, nat.
 * All run on one event loop (user/lib/core/loop.h): each module registers
 * its own descriptors and timers when it opens and takes them back when
 * it closes; main only makes the loop, opens the modules and runs it.
 * Calls go down only: main -> ctl, link -> reload -> proxy -> dns, nat. */
#ifndef ZT_ZTD_H
#define ZT_ZTD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <stdio.h>
#include <time.h>
#include "apply.h"
#include "config.h"
#include "loader.h"
#include "loop.h"
#include "names.h"
#include "nl.h"
#include "zt_ctl.h"

/* The struct that holds member m, from a pointer to m (a callback's io or
 * timer back to its owner). */
#define ztd_of(ptr, type, m) ((type *)((char *)(ptr) - offsetof(type, m)))

/* Entries zt_apply_settle looks at per turn of the event loop (~3 us per
 * write: a turn stays in the tens of milliseconds). */
#define ZTD_SETTLE_BATCH 4096
#define ZTD_WARM_BATCH   (1u << 20) /* heap bytes touched per turn (~256 faults) */
#define ZTD_DNS_TCP_MAX  64    /* DNS TCP clients at once; more are closed */
#define ZTD_DNS_PENDING  1024  /* queries waiting for upstream, or held for a real address */
/* One client address's share of those: past it, a connection is closed
 * at accept and a query that would wait gets SERVFAIL (or, held, its
 * answer at once), so one client cannot take what all share. */
#define ZTD_DNS_TCP_PER_CLIENT     8
#define ZTD_DNS_PENDING_PER_CLIENT 64

struct ztd_dns;
struct ztd_dns_stats {
#define ZTD_DNS_STAT_FIELD(f, name) __u64 f;
	ZT_DNS_STATS(ZTD_DNS_STAT_FIELD)
#undef ZTD_DNS_STAT_FIELD
	__u64 iris;           /* allocations held (filled by ztd_dns_stats) */
};

struct ztd_ctl;
struct ztd_links;
struct ztd_proxy;
struct ztd_tunnels;
struct zt_iri;

/* The proxy's counters (proxy.c), for ztctl status. */
struct ztd_proxy_stats {
#define ZTD_PROXY_STAT_FIELD(f, name) __u64 f;
	ZT_PROXY_STATS(ZTD_PROXY_STAT_FIELD)
#undef ZTD_PROXY_STAT_FIELD
	__u64 live;
};

struct ztd {
	struct zt_loop *loop;     /* the one event loop, made before any module opens */
	const char *config_path;
	const char *pin_root;
	const char *names_path;
	const char *ctl_path;
	struct zt_bpf b;
	struct zt_config cfg;
	struct zt_cfg_cache *cfg_cache; /* the route list, parsed in chunks */
	__u32 ifindex[ZT_MAX_IFACES];
	enum zt_attach_mode mode[ZT_MAX_IFACES];
	struct zt_names names;
	FILE *netlog;
	__s64 mono_to_real_ns;
	__u32 generation;
	struct zt_mirror mirror;  /* what the route tries hold */
	bool settling;            /* zt_apply_settle or heap_warm has work left */
	struct zt_timer settle_timer; /* a step of it per turn (reload.c) */
	char **warm; size_t n_warm, warm_want; /* heap_warm's blocks, its goal */
	time_t started;
	__u32 reloads, reloads_refused;
	/* control socket (ctl.c) */
	struct ztd_ctl *ctl;
	/* link watch (link.c) */
	struct ztd_links *links;
	/* DNS server and IRI allocations (dns.c) */
	struct ztd_dns *dns;
	/* The policy in force, compiled (the proxy decides with it) */
	struct zt_compiled *policy;
	/* The L7 proxy (proxy*.c) */
	struct ztd_proxy *proxy;
	/* The tunnel endpoint (tunnel*.c): NULL without connector_listen */
	struct ztd_tunnels *tunnels;
	/* DIRECT path (nat.c) */
	struct zt_timer nat_sync_timer, nat_gc_timer;
	__u64 *nat_counts;        /* zt_nat_count, mapped (user/lib/bpf/nat.h) */
	bool nat_counts_warned;
};

/* What the config's interface i is (config.h: clients first). */
static inline enum zt_role ztd_role(const struct zt_config *c, size_t i)
{
	return i < c->n_client_ifaces ? ZT_ROLE_CLIENT : ZT_ROLE_PRIVATE;
}

/* reload.c: compiles cfg with the interfaces at ifindex[] and applies it;
 * on success cfg's names are recorded and the new generation is in force. */
int ztd_apply(struct ztd *d, struct zt_config *cfg, const __u32 *ifindex);
/* Interfaces of cfg -> ifindex; a missing one is an error naming it. */
int ztd_resolve_ifaces(const struct zt_config *cfg, __u32 *ifindex);
/* Attaches to the configured interfaces, skipping those in already[] that
 * keep their role and XDP-or-not (nothing to replace). */
int ztd_attach_all(struct ztd *d, const __u32 *already, const enum zt_role *already_role,
		   size_t n_already);
/* (Re)opens cfg.network_log; 0 or -errno (logged). */
int ztd_netlog_open(struct ztd *d);
/* After a successful apply, the background work (deletions of the old
 * half, settling the route tries, warming the heap) goes on a step per
 * turn of the loop; stop ends it early (ztd's exit). */
void ztd_settle_stop(struct ztd *d);
void ztd_heap_warm_drop(struct ztd *d);

/* Link watch: open registers the netlink socket; on a link change a
 * configured interface that came back gets the policy re-bound and its
 * programs again (relink, which run also calls once after watching). */
int ztd_links_open(struct ztd *d);
void ztd_links_close(struct ztd *d);
int ztd_relink(struct ztd *d);

/* Reloads the config file; 0, or -errno with the reasons logged (and
 * teed to zt_log_tee). The running policy is kept on any failure. */
int ztd_reload(struct ztd *d);

/* Control socket: open (refusing when another ztd answers there; the
 * listener and each client then served by the loop), close (unlinking the
 * path). */
int ztd_ctl_open(struct ztd *d);
void ztd_ctl_close(struct ztd *d);

/* DIRECT path (nat.c): zt_ifaces written from the interfaces now (after
 * every attach; a timer repeats it, addresses change), idle translations
 * removed by another; a warning when forwarding is off. open arms the
 * timers (before the first attach), close stops them. */
void ztd_nat_open(struct ztd *d);
void ztd_nat_close(struct ztd *d);
void ztd_nat_sync(struct ztd *d);
enum zt_attach_mode ztd_attach_mode(const struct ztd *d, size_t i);
void ztd_nat_check_forwarding(const struct ztd *d);

/* DNS (dns_*.c): open restores the IRI allocations from the state file
 * and binds gateway.dns_listen (its sockets and timeouts on the loop);
 * reload follows a new running config. */
int ztd_dns_open(struct ztd *d);
int ztd_dns_reload(struct ztd *d);
void ztd_dns_close(struct ztd *d);
/* Before an apply: the IRIs cfg routes, resolved by c, into c->iris. */
int ztd_dns_iris(struct ztd *d, const struct zt_config *cfg, struct zt_compiled *c);
/* After it: new IRIs are resolved with c's rule sets. */
void ztd_dns_applied(struct ztd *d, const struct zt_compiled *c);
/* The counters and allocations now; zeros when there is no server. */
void ztd_dns_stats(const struct ztd *d, struct ztd_dns_stats *out);
/* The allocation that holds address addr now, into *out; false: none. */
bool ztd_dns_iri_name(const struct ztd *d, __u8 family, const __u8 *addr, struct zt_iri *out);

/* The L7 proxy (proxy*.c): open makes its listeners and puts them in
 * zt_proxy (tc steers to them); recheck decides every live connection
 * again after an apply (those no longer allowed are reset); close resets
 * what is live and closes the listeners (steered flows then fail
 * closed in the kernel). */
int ztd_proxy_open(struct ztd *d);
/* gateway.proxy.user's ids (it must exist and not be root); 0 or -EINVAL,
 * said why. ztd checks it before it touches the kernel. */
int ztd_proxy_user(const struct zt_config *cfg, uid_t *uid, gid_t *gid);
void ztd_proxy_recheck(struct ztd *d);
void ztd_proxy_close(struct ztd *d);
void ztd_proxy_stats(const struct ztd *d, struct ztd_proxy_stats *out);
/* An address of the gateway's may have come or gone: what the proxy
 * remembers of upstreams not being its own is forgotten. */
void ztd_proxy_forget_addrs(struct ztd *d);
/* ztctl proxy list (proxy_list.c): the live connections with an id past
 * after, lowest first, as many as a page holds. */
struct zt_ctl_proxy_page;
void ztd_proxy_list(const struct ztd *d, __u64 after, struct zt_ctl_proxy_page *p);

/* A flow taken over from the kernel (flow_id.c). The gateway interface
 * and VLAN a packet came in on (a VLAN device over a client interface is
 * that interface with its id), as the kernel keys identity: 0 when none
 * of the client interfaces. */
__u32 ztd_client_ifindex(const struct ztd *d, __u32 ifindex, __u16 *vlan);
/* Whether a is in the initial-resolved-IP pools (IRIs live nowhere else). */
bool ztd_in_iri_pool(const struct zt_config *cfg, __u8 family, const __u8 *a);
/* The IRI dst is in vnet, from the kernel's own table (the half in
 * force), into e; false when it is no allocated IRI. */
struct zt_iri_entry;
bool ztd_iri_entry(const struct ztd *d, __u8 family, const __u8 *dst, __u32 vnet,
		   struct zt_iri_entry *e);
/* The tunnel route_id goes through, or NULL. */
const struct zt_cfg_tunnel *ztd_route_tunnel(const struct zt_config *cfg, __u32 route_id);

/* The tunnel endpoint (tunnel*.c): listens on gateway.connector_listen
 * (nothing when none), with the TLS identity and the tunnels'
 * credentials of the state directory; 0 or -errno (logged). Reload
 * follows the config's tunnels (a listener change needs a restart). */
int ztd_tunnels_open(struct ztd *d);
int ztd_tunnels_reload(struct ztd *d);
/* UDP flows to remote tunnels decided again with the policy in force
 * (after a reload, an IRI's change): those no longer allowed end. */
void ztd_tunnels_recheck(struct ztd *d);
void ztd_tunnels_close(struct ztd *d);
/* Remote tunnel `tunnel` has a connection of its connector up. */
bool ztd_tunnel_up(const struct ztd *d, const char *tunnel);
/* TCP flows the proxy may hand ztd to carry at once: the descriptors
 * ztd's limit leaves them (tunnel_dgram.c). */
size_t ztd_tunnel_tcp_max(const struct ztd *d);
/* A TCP flow the proxy allowed to remote tunnel `tunnel`, to o: fd (the
 * client's connected socket, ztd's from here) carried on a new stream,
 * the bytes pre (what detection read) first (tunnel_flow.c). The bridge
 * (never ended before this returns; done is called at its end), or NULL
 * with *err -ENOTCONN (no connection is up), -ENOMEM or the stream's
 * error (zt_mux_open): then fd is closed with a reset and done is not
 * called. */
struct zt_mux_open;
struct zt_bridge;
struct zt_bridge *ztd_tunnel_carry(struct ztd *d, const char *tunnel, const struct zt_mux_open *o,
				   int fd, const void *pre, size_t pre_len,
				   void (*done)(void *arg, struct zt_bridge *b, const char *why,
						__u32 code, __u64 in, __u64 out),
				   void *arg, int *err);
/* The endpoint's counters, in ZT_TUNNEL_STATS order (zeros without one). */
void ztd_tunnel_stats(const struct ztd *d, __u64 *out);
/* ztctl tunnel create|token|rotate|delete: the token into token (empty
 * for delete); -errno with why. */
int ztd_tunnel_op(struct ztd *d, __u8 op, const char *name, char *token, size_t tsz, char *why,
		  size_t whysz);
/* ztctl tunnel list / status NAME (name "" for all): -ENOENT when named
 * and not configured. */
struct zt_ctl_tunnel_list;
int ztd_tunnel_list(const struct ztd *d, const char *name, struct zt_ctl_tunnel_list *l);
struct zt_ctl_user_req;
struct zt_ctl_user_reply;
/* USER: a user's access token made, or one revoked (0, or -errno with why). */
int ztd_user_op(struct ztd *d, const struct zt_ctl_user_req *q, struct zt_ctl_user_reply *a,
		char *why, size_t whysz);

#endif
