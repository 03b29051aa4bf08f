/* SPDX-License-Identifier: GPL-2.0 */
/* names.h — the names behind the ids in the maps (rules, users, vnets,
 * devices, routes, tunnels, interfaces), written by ztd after each apply to
 * ZT_NAMES_PATH so that ztctl can print names while ztd is down. */
#ifndef ZT_NAMES_H
#define ZT_NAMES_H

#include <linux/types.h>
#include "config.h"

#define ZT_RUN_DIR    "/run/zt"
#define ZT_NAMES_PATH ZT_RUN_DIR "/names"

enum zt_name_kind { ZT_N_RULE, ZT_N_USER, ZT_N_VNET, ZT_N_DEVICE, ZT_N_ROUTE,
		    ZT_N_TUNNEL, ZT_N_IFACE, ZT_N_HOSTROUTE, ZT_N_KINDS };

struct zt_names {
	char **v[ZT_N_KINDS];   /* v[kind][id] or NULL */
	__u32 n[ZT_N_KINDS];    /* ids < n */
	char *config;           /* the config file these came from */
	char *iri_state;        /* the IRI allocations file (names of IRIs) */
	__u32 generation;
};

/* Writes the names of config c (ifindex[i] is c->ifaces[i]) atomically. */
int zt_names_write(const char *path, const struct zt_config *c, const __u32 *ifindex,
		   __u32 generation);
/* Reads them; a missing file gives empty names (ids are printed). */
int zt_names_read(const char *path, struct zt_names *n);
/* The name of id, or NULL. */
const char *zt_name(const struct zt_names *n, enum zt_name_kind k, __u32 id);
void zt_names_free(struct zt_names *n);

/* The stable lower-case names of enum values, as logs and ztctl print them. */
const char *zt_verdict_name(__u8 v);
const char *zt_reason_name(__u8 r);
const char *zt_proto_name(__u8 proto, char *buf, size_t n);

#endif
