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
#define ZT_CTL_TUNNEL_N_STATS (0 ZT_TUNNEL_STATS(ZT_CTL_COUNT_ONE))
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
	__u64 tunnel[ZT_CTL_TUNNEL_N_STATS]; /* in ZT_TUNNEL_STATS order */
};

void zt_ctl_status_put(struct zt_buf *b, const struct zt_ctl_status *s);
int zt_ctl_status_get(struct zt_buf *b, struct zt_ctl_status *s);

struct zt_ctl_reload {
	__u32 generation; /* in force: the new one, or the kept one when refused */
};

void zt_ctl_reload_put(struct zt_buf *b, const struct zt_ctl_reload *r);
int zt_ctl_reload_get(struct zt_buf *b, struct zt_ctl_reload *r);

/* One live connection of the proxy's (ztctl proxy list). Strings longer
 * than ZT_CTL_STR_MAX - 1 are cut by whoever fills the struct. */
struct zt_ctl_pconn {
	__u64 id;
	__u8 family;              /* ZT_AF_INET, ZT_AF_INET6 */
	__u8 src[16], dst[16];
	__u16 sport, dport;
	__u8 state;               /* enum zt_ctl_pconn_state */
	__u8 detected;            /* enum zt_proto; 0xff: not yet */
	__u8 verdict;             /* enum zt_verdict; 0xff: undecided */
	__u32 rule_id;
	__u64 bytes_up, bytes_down, age_ms;
	char iface[ZT_CTL_STR_MAX], device[ZT_CTL_STR_MAX], user[ZT_CTL_STR_MAX];
	char name[ZT_CTL_STR_MAX], hostname[ZT_CTL_STR_MAX], rule[ZT_CTL_STR_MAX];
};

struct zt_ctl_proxy_page {
	__u64 live;               /* connections the proxy holds now */
	__u64 next;               /* the next request's after; 0: no more */
	__u8 n;
	struct zt_ctl_pconn c[ZT_CTL_PROXY_PAGE];
};

void zt_ctl_proxy_page_put(struct zt_buf *b, const struct zt_ctl_proxy_page *p);
/* -EBADMSG too when ids do not rise, or next is not past them. */
int zt_ctl_proxy_page_get(struct zt_buf *b, struct zt_ctl_proxy_page *p);

#endif
