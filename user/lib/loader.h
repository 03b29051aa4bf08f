/* SPDX-License-Identifier: GPL-2.0 */
/* loader.h — opens and loads the BPF skeletons with their maps pinned (and
 * re-used) under a pin root, attaches XDP and tc to interfaces, replaces
 * programs in place when run again, and detaches only when asked. */
#ifndef ZT_LOADER_H
#define ZT_LOADER_H

#include <limits.h>
#include <stdbool.h>
#include <linux/types.h>

/* Every map the programs share (bpf/lib/maps.h defines them), by the name
 * after "zt_": the one list the loader, the pinned-map opener and the fd
 * set are made from. */
#define ZT_MAP_LIST(X)                                                             \
	X(state) X(devices) X(iri) X(rules) X(sets) X(ports) X(flows) X(drops)     \
	X(drop_srcs)                                                               \
	X(frags) X(stats) X(counters) X(ratelimit) X(routes4) X(routes6) X(events) \
	X(nat) X(nat_count) X(ifaces) X(dns_cache) X(dns_listen)

struct zt_map_fds {
#define ZT_MAP_FD(n) int n;
	ZT_MAP_LIST(ZT_MAP_FD)
#undef ZT_MAP_FD
};

struct xdp_ingress_bpf;
struct tc_ingress_bpf;

struct zt_bpf {
	struct xdp_ingress_bpf *xdp;
	struct tc_ingress_bpf *tc;
	char pin_root[256];
	struct zt_map_fds m;
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

/* Loads both programs; maps are created and pinned under pin_root, or
 * re-used when already pinned there. Mounts bpffs on /sys/fs/bpf when it is
 * not mounted. Returns 0 or -errno (-EPROTO: pinned maps of another build). */
int zt_bpf_open(struct zt_bpf *b, const char *pin_root);
void zt_bpf_close(struct zt_bpf *b);

/* Attaches the programs of role to ifindex, replacing zt's programs in
 * place when present (never a detach-then-attach window). *got says which
 * mode is in force. */
int zt_bpf_attach(struct zt_bpf *b, int ifindex, enum zt_role role, enum zt_attach_mode mode,
		  enum zt_attach_mode *got);
/* Removes zt's XDP and tc programs from ifindex. */
int zt_bpf_detach(const char *pin_root, int ifindex);
/* Detaches every interface with an XDP link pinned under pin_root (and its
 * tc filter). Returns 0 or the first -errno. */
int zt_bpf_detach_pinned(const char *pin_root);
/* Removes every pin under pin_root (maps, links). */
int zt_bpf_unpin_all(const char *pin_root);

/* Opens the pinned maps only (ztctl: works while ztd is down). */
int zt_maps_open_pinned(const char *pin_root, struct zt_map_fds *m);
void zt_maps_close(struct zt_map_fds *m);

#endif
