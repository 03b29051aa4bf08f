/* SPDX-License-Identifier: GPL-2.0 */
/* nl.h — rtnetlink through libmnl: the policy-routing rule and local route
 * table that deliver steered packets (tc marks them ZT_MARK_STEER) to the
 * gateway's own proxy, and a link watch so interfaces that come back get
 * their programs again. (clsact qdiscs and XDP are libbpf's.) */
#ifndef ZT_NL_H
#define ZT_NL_H

#include <stdbool.h>
#include <linux/types.h>

#define ZT_STEER_TABLE     31348  /* 0x7a74: "zt" */
#define ZT_STEER_RULE_PREF 10000

/* Adds (or removes) for IPv4 and IPv6 the rule "fwmark ZT_MARK_STEER
 * lookup ZT_STEER_TABLE" and the route "local default dev lo" in that
 * table. Adding what exists and removing what is gone are not errors.
 * Returns 0 or the first -errno. */
int zt_nl_steering(bool add);

/* Whether ifindex is an 802.1Q VLAN device: its parent's ifindex (in this
 * network namespace) and VLAN id. 0, -ENOENT (not a VLAN device, or its
 * parent is in another namespace), or another -errno. */
int zt_nl_vlan_of(__u32 ifindex, __u32 *parent, __u16 *vid);

struct zt_nl_watch;

/* A netlink socket subscribed to link and address changes; its fd is for
 * poll. */
int zt_nl_watch_open(struct zt_nl_watch **w);
int zt_nl_watch_fd(const struct zt_nl_watch *w);
/* What a watch reports: link for each link message (exists: RTM_NEWLINK,
 * else it was deleted), addr for each IPv4 or IPv6 address added or
 * removed (on any interface). */
struct zt_nl_events {
	void (*link)(void *arg, int ifindex, const char *name, bool exists);
	void (*addr)(void *arg);
	void *arg;
};
/* Reads what is queued (never blocks) and reports it. 0, -ENOBUFS (the
 * kernel dropped messages: look again at what is watched), or -errno. */
int zt_nl_watch_read(struct zt_nl_watch *w, const struct zt_nl_events *ev);
void zt_nl_watch_close(struct zt_nl_watch *w);

#endif
