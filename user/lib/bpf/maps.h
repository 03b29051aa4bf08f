/* SPDX-License-Identifier: GPL-2.0 */
/* maps.h — the maps the programs share, opened by their pins: all a tool
 * that only reads or writes maps needs (ztctl links this, never the
 * skeletons; loader.h loads the programs). */
#ifndef ZT_MAPS_H
#define ZT_MAPS_H

#include <stddef.h>
#include <linux/types.h>

/* Every map the programs share (bpf/lib/maps.h defines them), by the name
 * after "zt_": the one list the loader, the pinned-map opener and the fd
 * set are made from. */
#define ZT_MAP_LIST(X)                                                             \
	X(state) X(devices) X(iri) X(rules) X(sets) X(ports) X(flows) X(drops)     \
	X(drop_srcs) X(drop_last)                                                  \
	X(frags) X(stats) X(counters) X(ratelimit) X(routes4) X(routes6) X(events) \
	X(nat) X(nat_count) X(ifaces) X(dns_cache) X(dns_listen) X(proxy) X(icmp)

struct zt_map_fds {
#define ZT_MAP_FD(n) int n;
	ZT_MAP_LIST(ZT_MAP_FD)
#undef ZT_MAP_FD
};

enum zt_attach_mode {
	ZT_ATTACH_AUTO = 0,  /* native XDP, else generic (warned); L3: tc only */
	ZT_ATTACH_NATIVE,
	ZT_ATTACH_GENERIC,
	ZT_ATTACH_TC_L3,     /* no XDP: the full classifier at tc ingress */
	ZT_ATTACH_TC,        /* Ethernet, no XDP: the full classifier at tc
			      * ingress (a veth, whose peer loses GSO while
			      * an XDP program is attached) */
};

/* What an interface is to zt: where clients arrive (the classifier), or a
 * local tunnel's private interface (the DIRECT path's replies). */
enum zt_role {
	ZT_ROLE_CLIENT = 0,
	ZT_ROLE_PRIVATE,
};

const char *zt_attach_mode_name(enum zt_attach_mode m);

/* Opens the pinned maps only (ztctl: works while ztd is down). */
int zt_maps_open_pinned(const char *pin_root, struct zt_map_fds *m);
void zt_maps_close(struct zt_map_fds *m);

/* The ABI check of a pinned zt_state (a fresh one is stamped): 0, or
 * -EPROTO (pinned maps of another build; logged). */
int zt_maps_check_state(int fd, const char *pin_root);

/* Sets the __u32 at offset (offsetof(struct zt_state, FIELD)) of the one
 * zt_state entry, the rest as it is: 0 or -errno. */
int zt_state_set_u32(int fd, size_t offset, __u32 v);

/* libbpf's own messages, routed through zt_log one level lower. */
void zt_log_route_libbpf(void);

#endif
