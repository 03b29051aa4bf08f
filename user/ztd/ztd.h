/* SPDX-License-Identifier: GPL-2.0 */
/* ztd.h — the daemon's state, shared by its files: main (start, the event
 * loop, the network log's writer), reload (config to kernel: compile,
 * apply, attach), ctl (the control socket), link (netlink), dns, nat.
 * Calls go down only: main -> ctl, link -> reload -> dns, nat. */
#ifndef ZT_ZTD_H
#define ZT_ZTD_H

#include <poll.h>
#include <stdio.h>
#include <time.h>
#include "apply.h"
#include "config.h"
#include "loader.h"
#include "names.h"
#include "nl.h"
#include "zt_ctl.h"

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
#define ZTD_DNS_RES_FDS  16    /* the origin resolver's sockets (c-ares' ARES_GETSOCK_MAXNUM) */
/* Descriptors ztd_dns_pollfds fills at most: listeners, TCP clients, the
 * origin resolver's, and one socket per forwarded query. */
#define ZTD_DNS_POLLFDS  (2 * ZT_MAX_DNS_LISTEN + ZTD_DNS_TCP_MAX + ZTD_DNS_RES_FDS + \
			  ZTD_DNS_PENDING)

struct ztd_dns;
struct ztd_dns_stats {
#define ZTD_DNS_STAT_FIELD(f, name) __u64 f;
	ZT_DNS_STATS(ZTD_DNS_STAT_FIELD)
#undef ZTD_DNS_STAT_FIELD
	__u64 iris;           /* allocations held (filled by ztd_dns_stats) */
};

struct ztd_client {
	int fd;
	__u64 since_ms;
};

struct ztd {
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
	char **warm; size_t n_warm, warm_want; /* heap_warm's blocks, its goal */
	time_t started;
	__u32 reloads, reloads_refused;
	/* control socket */
	int ctl_fd;
	struct ztd_client clients[ZT_CTL_MAX_CLIENTS];
	size_t n_clients;
	/* link watch */
	struct zt_nl_watch *links;
	bool links_changed;
	/* DNS server and IRI allocations (dns.c) */
	struct ztd_dns *dns;
	/* DIRECT path (nat.c) */
	__u64 nat_sync_ms, nat_gc_ms;
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
/* After an apply, a step of the background work (deletions of the old
 * half, settling the route tries, warming the heap); true while more
 * remains. */
bool ztd_settle(struct ztd *d);
void ztd_heap_warm_drop(struct ztd *d);

/* Link watch: reads link changes; a configured interface that came back
 * gets the policy re-bound and its programs again. */
int ztd_links_read(struct ztd *d);
int ztd_relink(struct ztd *d);

/* Reloads the config file; 0, or -errno with the reasons logged (and
 * teed to zt_log_tee). The running policy is kept on any failure. */
int ztd_reload(struct ztd *d);

/* Control socket: open (refusing when another ztd answers there), the
 * fds to poll, serve what is ready, close (unlinking the path). */
int ztd_ctl_open(struct ztd *d);
size_t ztd_ctl_pollfds(struct ztd *d, struct pollfd *p, size_t max);
void ztd_ctl_serve(struct ztd *d, const struct pollfd *p, size_t n);
void ztd_ctl_close(struct ztd *d);

/* DIRECT path (nat.c): zt_ifaces written from the interfaces now (after
 * every attach; the tick repeats it, addresses change), idle translations
 * removed by the tick; a warning when forwarding is off. */
void ztd_nat_sync(struct ztd *d);
enum zt_attach_mode ztd_attach_mode(const struct ztd *d, size_t i);
void ztd_nat_tick(struct ztd *d);
void ztd_nat_check_forwarding(const struct ztd *d);

/* DNS (dns.c): open restores the IRI allocations from the state file and
 * binds gateway.dns_listen; reload follows a new running config. */
int ztd_dns_open(struct ztd *d);
int ztd_dns_reload(struct ztd *d);
void ztd_dns_close(struct ztd *d);
size_t ztd_dns_pollfds(struct ztd *d, struct pollfd *p, size_t max);
void ztd_dns_serve(struct ztd *d, const struct pollfd *p, size_t n);
/* Timeouts and the state file; called every loop turn. */
void ztd_dns_tick(struct ztd *d);
/* Before an apply: the IRIs cfg routes, resolved by c, into c->iris. */
int ztd_dns_iris(struct ztd *d, const struct zt_config *cfg, struct zt_compiled *c);
/* After it: new IRIs are resolved with c's rule sets. */
void ztd_dns_applied(struct ztd *d, const struct zt_compiled *c);
/* The counters and allocations now; zeros when there is no server. */
void ztd_dns_stats(const struct ztd *d, struct ztd_dns_stats *out);

#endif
