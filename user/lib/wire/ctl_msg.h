/* SPDX-License-Identifier: GPL-2.0 */
/* ctl_msg.h — the control socket's messages (include/zt_ctl.h) as structs,
 * each with one put and one get function that ztd and ztctl both use, so
 * the two sides cannot disagree on a field's place (OpenSSH's monitor
 * messages over sshbuf). A get reads through the bounds-checked reader and
 * returns -EBADMSG for anything short, long or out of range, having
 * filled nothing the caller may trust. */
#ifndef ZT_CTL_MSG_H
#define ZT_CTL_MSG_H

#include <linux/types.h>
#include "buf.h"
#include "zt_ctl.h"

/* Every message's first fields; a reply's carry status and message too. */
struct zt_ctl_hdr {
	__u32 magic;
	__u16 version;
	__u16 type;
};

void zt_ctl_hdr_put(struct zt_buf *b, __u16 type);
/* -EBADMSG: not a zt control message (short, or another magic). The
 * version is returned as read: the caller says what a mismatch means. */
int zt_ctl_hdr_get(struct zt_buf *b, struct zt_ctl_hdr *h);

#define ZT_CTL_DNS_N_STATS (0 ZT_DNS_STATS(ZT_CTL_COUNT_ONE))
#define ZT_CTL_PROXY_N_STATS (0 ZT_PROXY_STATS(ZT_CTL_COUNT_ONE))
#define ZT_CTL_COUNT_ONE(f, name) + 1

struct zt_ctl_iface {
	__u32 ifindex;
	char name[64];
	__u8 mode;     /* enum zt_attach_mode */
};

struct zt_ctl_status {
	__u32 pid;
	__u64 started;            /* unix seconds */
	__u32 generation;
	char config[4096];
	__u32 rules, routes, devices, reloads, reloads_refused;
	__u8 n_ifaces;
	struct zt_ctl_iface ifaces[ZT_CTL_MAX_IFACES];
	__u32 dns_listen, dns_iris;
	__u64 dns[ZT_CTL_DNS_N_STATS]; /* in ZT_DNS_STATS order */
	__u64 proxy_live;         /* connections the proxy holds now */
	__u64 proxy[ZT_CTL_PROXY_N_STATS]; /* in ZT_PROXY_STATS order */
};

void zt_ctl_status_put(struct zt_buf *b, const struct zt_ctl_status *s);
int zt_ctl_status_get(struct zt_buf *b, struct zt_ctl_status *s);

struct zt_ctl_reload {
	__u32 generation; /* in force: the new one, or the kept one when refused */
};

void zt_ctl_reload_put(struct zt_buf *b, const struct zt_ctl_reload *r);
int zt_ctl_reload_get(struct zt_buf *b, struct zt_ctl_reload *r);

#endif
