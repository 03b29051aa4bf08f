/* SPDX-License-Identifier: GPL-2.0 */
/* config.h — ztd's YAML configuration (libyaml): parsed and validated whole,
 * every error reported as file:line:column and a reason, then turned into
 * the policy compiler's input. Nothing here touches the kernel. */
#ifndef ZT_CONFIG_H
#define ZT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "addr.h"
#include "policy.h"

#define ZT_MAX_IFACES   16
#define ZT_MAX_GROUPS   64
#define ZT_CFG_MAX_ERRORS 200
#define ZT_IRI4_DEFAULT "100.80.0.0/16"   /* initial resolved IPs (DESIGN §3) */
#define ZT_IRI6_DEFAULT "fd7a:5a7e::/64"
#define ZT_MAX_UPSTREAMS  8
#define ZT_DNS_TTL_DEFAULT 30
/* An IRI is given to another name only when neither answered nor reached
 * by a packet for this long (at least twice dns.ttl). */
#define ZT_IRI_REUSE_DEFAULT_S 300
/* IRIs one user may hold through wildcard routes (every name is a new
 * one): a user asking random names cannot take the pool. */
#define ZT_IRI_WILD_PER_USER_DEFAULT 1024
#define ZT_DNS_TIMEOUT_DEFAULT_MS 2000
#define ZT_STATE_DIR_DEFAULT "/var/lib/zt"
/* SNAT ports of the DIRECT path: above Linux's default ephemeral range
 * (32768-60999), so this node's own connections never take one. */
#define ZT_NAT_PORT_LO_DEFAULT 61000
#define ZT_NAT_PORT_HI_DEFAULT 65535
/* DIRECT translations one device may have at once: far more than a
 * client's real connections, far less than the table (ZT_MAX_NAT / 2). */
#define ZT_NAT_PER_DEVICE_DEFAULT 4096
#define ZT_PROXY_MAX_CONNS_DEFAULT 16384
#define ZT_PROXY_PER_CLIENT_DEFAULT 1024
#define ZT_PROXY_DETECT_MS_DEFAULT 1000
/* Network-log lines for flows the proxy blocks, per second; past it they
 * are counted (log_suppressed), not written. */
#define ZT_PROXY_BLOCKED_LOGS_DEFAULT 100

struct zt_cfg_errors {
	char *msg[ZT_CFG_MAX_ERRORS];
	size_t n;
	size_t dropped; /* errors beyond ZT_CFG_MAX_ERRORS */
};

struct zt_cfg_vnet {
	char *name;
	bool is_default;
};

/* A tunnel's name: one word (letters, digits, '.', '_', '-') of at most
 * this many characters; the endpoint and ztctl keep it in
 * ZT_CTL_NAME_MAX bytes (ztd's tunnel.c checks that it fits). */
#define ZT_TUNNEL_NAME_MAX 63

struct zt_cfg_tunnel {
	char *name;
	__u32 vnet;               /* index + 1 into vnets */
	bool local;
	char *private_interface;
};

struct zt_cfg_route {
	struct zt_prefix pfx;
	__u32 tunnel;             /* index + 1 into tunnels */
	__u32 vnet;
	char *comment;
};

/* A hostname route: DNS answers names it covers with an IRI. */
struct zt_cfg_host_route {
	char *host;               /* stored form (hostname.h): "a.b" or "*.a.b" */
	__u32 tunnel;             /* index + 1 into tunnels */
	__u32 vnet;
	char *comment;
};

#define ZT_MAX_CONNECTOR_LISTEN 8
#define ZT_CONNECTOR_PORT 7844     /* connector_listen's port when none is given */
#define ZT_CONNECTOR_UDP_IDLE_MS_DEFAULT 30000

struct zt_cfg_endpoint {
	__u8  family;             /* ZT_AF_INET or ZT_AF_INET6 */
	__u8  addr[16];
	__u16 port;
};

struct zt_cfg_device {
	struct zt_prefix addr[4];
	size_t n_addr;
	/* Where it is: its identity holds only for packets arriving there. */
	__u32 iface;              /* index + 1 into ifaces: a gateway.interface */
	__u16 vlan;               /* 802.1Q id on that interface; 0: untagged */
	char *name;
	__u32 user;               /* index + 1 into users */
	__u64 groups;
	__u32 vnet;
};

struct zt_cfg_policy {
	char *name;
	__u32 precedence;
	__u8 action;              /* enum zt_action */
	struct zt_prefix *dst;    size_t n_dst;
	struct zt_port_range *ports; size_t n_ports;
	__u8 protos;              /* 1 << ZT_PC_*; 0 any */
	__u32 *users;             size_t n_users;
	__u64 groups;
	__u32 *vnets;             size_t n_vnets;
	char **sni;               size_t n_sni;   /* hostname patterns, stored form */
	char **hosts;             size_t n_hosts; /* hostname patterns, stored form */
	__u8 detected;            /* detected_protocol: 1 << ZT_PROTO_*; 0 none */
};

struct zt_config {
	char *path;
	/* gateway.interface first (n_client_ifaces of them), then each local
	 * tunnel's private_interface once. */
	char *ifaces[ZT_MAX_IFACES]; size_t n_ifaces, n_client_ifaces;
	__u16 nat_port_lo, nat_port_hi; /* gateway.nat_ports */
	__u32 nat_per_device;     /* gateway.nat_per_device */
	bool xdp_redirect_veth;   /* gateway.xdp_redirect_veth */
	/* gateway.proxy: connections at once, and per client address; how long a client may send
	 * nothing before its flow is decided `unknown` (server-first
	 * protocols); whether a CIDR destination's TLS SNI counts on every
	 * port (else on 443 only) */
	__u32 proxy_max_conns, proxy_per_client, proxy_detect_ms, proxy_blocked_logs;
	bool proxy_detect_all;
	__u32 proxy_workers;     /* 0: one per online CPU */
	char *proxy_user;        /* the workers' user; NULL: nobody */
	__u8 default_action;
	char *network_log;        /* NULL: no network log */
	char *dns_log;            /* NULL: no DNS log */
	char *state_dir;          /* IRI allocations survive restarts here */
	struct zt_cfg_endpoint dns_listen[ZT_MAX_DNS_LISTEN]; size_t n_dns_listen;
	/* Where connectors of remote tunnels dial in (TLS), and what their
	 * tokens tell them to dial (none: connector_listen's own). */
	struct zt_cfg_endpoint connector_listen[ZT_MAX_CONNECTOR_LISTEN]; size_t n_connector_listen;
	struct zt_cfg_endpoint connector_addresses[ZT_MAX_CONNECTOR_LISTEN];
	size_t n_connector_addresses;
	__u32 connector_udp_idle_ms; /* a UDP flow to a remote tunnel ends after this idle */
	struct zt_cfg_endpoint upstreams[ZT_MAX_UPSTREAMS];   size_t n_upstreams;
	/* Where ztd resolves the real addresses behind IRIs of local tunnels;
	 * none: the nameservers of /etc/resolv.conf. */
	struct zt_cfg_endpoint resolvers[ZT_MAX_UPSTREAMS];   size_t n_resolvers;
	__u32 dns_ttl;            /* seconds */
	__u32 dns_timeout_ms;     /* an upstream that has not answered by then: SERVFAIL */
	struct zt_prefix iri4, iri6; /* initial_resolved_ips pools */
	__u32 iri_reuse_s;        /* initial_resolved_ips.reuse_after */
	__u32 iri_wild_per_user;  /* initial_resolved_ips.wildcard_per_user; 0: no cap */
	__u32 drop_events_per_sec;
	struct zt_cfg_vnet *vnets;      size_t n_vnets;
	__u32 default_vnet;
	struct zt_cfg_tunnel *tunnels;  size_t n_tunnels;
	struct zt_cfg_route *routes;    size_t n_routes;
	struct zt_cfg_host_route *host_routes; size_t n_host_routes;
	struct zt_cfg_device *devices;  size_t n_devices;
	struct zt_cfg_policy *policies; size_t n_policies;
	struct zt_cfg_policy *dns_policies; size_t n_dns_policies; /* host, user, group */
	char **users;  size_t n_users;  /* emails, user id = index + 1 */
	char *groups[ZT_MAX_GROUPS]; size_t n_groups; /* group bit = index */
	bool split_include;             /* split_tunnels.mode */
	struct zt_prefix *split;        size_t n_split;
};

/* Parses and validates path. Returns 0 with *out filled, or -EINVAL with
 * every error in errs (or -errno when the file cannot be read, -ENOMEM
 * with no error in errs when memory ran out: nothing of the file is kept). */
int zt_config_load(const char *path, struct zt_config *out, struct zt_cfg_errors *errs);
/* The same from a buffer; name is used in the messages. */
int zt_config_parse(const char *name, const char *buf, size_t len, struct zt_config *out,
		    struct zt_cfg_errors *errs);
void zt_config_free(struct zt_config *c);

/* routes.cidr parsed in chunks and kept between loads (see cache.c):
 * zt_config_load_cached gives what zt_config_load gives, but a reload
 * re-reads only the chunks of the route list whose text changed. */
struct zt_cfg_cache;
struct zt_cfg_cache *zt_cfg_cache_new(void);
void zt_cfg_cache_free(struct zt_cfg_cache *c);
int zt_config_load_cached(const char *path, struct zt_cfg_cache *cache, struct zt_config *out,
			  struct zt_cfg_errors *errs);
/* Chunks of routes.cidr reused and parsed by the last load. */
void zt_cfg_cache_stats(const struct zt_cfg_cache *c, size_t *reused, size_t *parsed);
void zt_cfg_errors_free(struct zt_cfg_errors *e);
/* Writes every error, one per line, to f (with a count of those dropped). */
void zt_cfg_errors_print(const struct zt_cfg_errors *e, FILE *f);

/* Storage for the compiler input built from a config. */
struct zt_policy_build {
	struct zt_policy_in in;
	struct zt_rule_in *rules;
	struct zt_route_in *routes;
	struct zt_device_in *devices;
	__u32 *vnets;
};

/* Builds the compiler input: each device is bound to the ifindex of the
 * gateway interface it is declared on (ifindex[] follows gateway.interface). Rule i of the config gets rule id i + 1. */
int zt_config_policy(const struct zt_config *c, const __u32 *ifindex, size_t n_if,
		     struct zt_policy_build *b);
void zt_policy_build_free(struct zt_policy_build *b);

#endif
