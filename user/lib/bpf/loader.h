/* SPDX-License-Identifier: GPL-2.0 */
/* loader.h — opens and loads the BPF skeletons with their maps pinned (and
 * re-used) under a pin root, attaches XDP and tc to interfaces, replaces
 * programs in place when run again, and detaches only when asked. */
#ifndef ZT_LOADER_H
#define ZT_LOADER_H

#include <limits.h>
#include <stdbool.h>
#include <linux/types.h>
#include "maps.h"

struct xdp_ingress_bpf;
struct tc_ingress_bpf;

struct zt_bpf {
	struct xdp_ingress_bpf *xdp;
	struct tc_ingress_bpf *tc;
	char pin_root[256];
	struct zt_map_fds m;
};

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

#endif
