// SPDX-License-Identifier: GPL-2.0
/* nl.c — see nl.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/fib_rules.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>
#include "log.h"
#include "nl.h"
#include "zt_abi.h"

struct zt_nl_watch {
	struct mnl_socket *nl;
};

/* Sends one request and reads the answer until its ACK (or DONE), each
 * message through cb (may be NULL); the kernel's error as -errno. */
static int nl_call(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	unsigned int portid, seq = (unsigned int)time(NULL);
	ssize_t n;
	int err;

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		err = -errno;
		goto out;
	}
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			err = -errno;
			goto out;
		}
		err = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
	} while (err > 0); /* more to come before the ACK */
	err = err < 0 ? -errno : 0;
out:
	mnl_socket_close(nl);
	return err;
}

static int nl_request(struct nlmsghdr *nlh)
{
	return nl_call(nlh, NULL, NULL);
}

/* The header of a request that adds (exclusively) or removes, with its
 * family header of HDR_LEN bytes in *hdr. */
static struct nlmsghdr *nl_put_change(char *buf, __u16 type, bool add, void **hdr,
				      size_t hdr_len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	*hdr = mnl_nlmsg_put_extra_header(nlh, hdr_len);
	return nlh;
}

static int steer_rule(bool add, int family)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct fib_rule_hdr *r;
	struct nlmsghdr *nlh = nl_put_change(buf, add ? RTM_NEWRULE : RTM_DELRULE, add,
					     (void **)&r, sizeof(*r));

	r->family = (__u8)family;
	r->action = FR_ACT_TO_TBL;
	r->table = RT_TABLE_UNSPEC; /* FRA_TABLE says it */
	mnl_attr_put_u32(nlh, FRA_PRIORITY, ZT_STEER_RULE_PREF);
	mnl_attr_put_u32(nlh, FRA_FWMARK, ZT_MARK_STEER);
	mnl_attr_put_u32(nlh, FRA_FWMASK, 0xffffffffu);
	mnl_attr_put_u32(nlh, FRA_TABLE, ZT_STEER_TABLE);
	return nl_request(nlh);
}

static int steer_route(bool add, int family)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct rtmsg *rt;
	struct nlmsghdr *nlh = nl_put_change(buf, add ? RTM_NEWROUTE : RTM_DELROUTE, add,
					     (void **)&rt, sizeof(*rt));

	rt->rtm_family = (__u8)family;
	rt->rtm_dst_len = 0;
	rt->rtm_table = RT_TABLE_UNSPEC;
	rt->rtm_protocol = RTPROT_STATIC;
	rt->rtm_scope = RT_SCOPE_HOST;
	rt->rtm_type = RTN_LOCAL;
	mnl_attr_put_u32(nlh, RTA_TABLE, ZT_STEER_TABLE);
	mnl_attr_put_u32(nlh, RTA_OIF, 1); /* lo is ifindex 1 in every netns */
	return nl_request(nlh);
}

/* One add or removal; adding what exists and removing what is gone are
 * not errors. */
static int steer_step(int (*fn)(bool, int), bool add, int family, const char *what)
{
	int err = fn(add, family);

	if (err == (add ? -EEXIST : -ENOENT) || (!add && err == -ESRCH))
		return 0;
	if (err)
		pr_warn("%s the zt steering %s (%s): %s\n", add ? "adding" : "removing", what,
			family == AF_INET ? "IPv4" : "IPv6", strerror(-err));
	return err;
}

int zt_nl_steering(bool add)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	int first = 0, e1, e2;
	size_t i;

	for (i = 0; i < 2; i++) {
		/* The route before the rule on add, after it on removal: the
		 * rule never points at an empty table. */
		if (add) {
			e1 = steer_step(steer_route, true, fams[i], "route");
			e2 = steer_step(steer_rule, true, fams[i], "rule");
		} else {
			e1 = steer_step(steer_rule, false, fams[i], "rule");
			e2 = steer_step(steer_route, false, fams[i], "route");
		}
		if (!first)
			first = e1 ? e1 : e2;
	}
	return first;
}

/* ---- attributes ------------------------------------------------------------- */

/* A message's attributes by type, up to max (libmnl's table idiom); the
 * last of a type wins, unknown types are passed over. */
struct attr_table {
	const struct nlattr **tb;
	unsigned int max;
};

static int nl_attr_store(const struct nlattr *a, void *data)
{
	const struct attr_table *t = data;
	unsigned int type = mnl_attr_get_type(a);

	if (type <= t->max)
		t->tb[type] = a;
	return MNL_CB_OK;
}

/* The attributes nested in A (which may be NULL) into tb[0..max]: false
 * when there is none or it is not a valid nest. */
static bool nl_nested(const struct nlattr *a, const struct nlattr **tb, unsigned int max)
{
	struct attr_table t = { tb, max };

	return a && !mnl_attr_validate(a, MNL_TYPE_NESTED) &&
	       mnl_attr_parse_nested(a, nl_attr_store, &t) >= 0;
}

/* The attributes of a link message into tb[0..IFLA_MAX]: false when it
 * is not one. */
static bool link_attrs(const struct nlmsghdr *nlh, const struct nlattr **tb)
{
	struct attr_table t = { tb, IFLA_MAX };

	return nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(struct ifinfomsg)) &&
	       mnl_attr_parse(nlh, sizeof(struct ifinfomsg), nl_attr_store, &t) >= 0;
}

/* ---- VLAN devices ------------------------------------------------------------ */

struct vlan_of {
	__u32 link;
	__u16 vid;
	bool vlan, netns; /* kind "vlan"; its parent in another netns */
};

static int vlan_msg(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 }, *info[IFLA_INFO_MAX + 1] = { 0 },
			    *vd[IFLA_VLAN_MAX + 1] = { 0 };
	struct vlan_of *v = data;

	if (nlh->nlmsg_type != RTM_NEWLINK || !link_attrs(nlh, tb))
		return MNL_CB_OK;
	if (tb[IFLA_LINK] && !mnl_attr_validate(tb[IFLA_LINK], MNL_TYPE_U32))
		v->link = mnl_attr_get_u32(tb[IFLA_LINK]);
	v->netns = tb[IFLA_LINK_NETNSID] != NULL;
	if (!nl_nested(tb[IFLA_LINKINFO], info, IFLA_INFO_MAX))
		return MNL_CB_OK;
	v->vlan = info[IFLA_INFO_KIND] &&
		  !mnl_attr_validate(info[IFLA_INFO_KIND], MNL_TYPE_NUL_STRING) &&
		  !strcmp(mnl_attr_get_str(info[IFLA_INFO_KIND]), "vlan");
	if (nl_nested(info[IFLA_INFO_DATA], vd, IFLA_VLAN_MAX) && vd[IFLA_VLAN_ID] &&
	    !mnl_attr_validate(vd[IFLA_VLAN_ID], MNL_TYPE_U16))
		v->vid = mnl_attr_get_u16(vd[IFLA_VLAN_ID]);
	return MNL_CB_OK;
}

int zt_nl_vlan_of(__u32 ifindex, __u32 *parent, __u16 *vid)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct vlan_of v = { 0 };
	struct ifinfomsg *ifi;
	int err;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	err = nl_call(nlh, vlan_msg, &v);
	if (err)
		return err;
	if (!v.vlan || v.netns || !v.link || !v.vid || v.vid > 4094)
		return -ENOENT;
	*parent = v.link;
	*vid = v.vid;
	return 0;
}

/* ---- link and address watch ------------------------------------------------ */

int zt_nl_watch_open(struct zt_nl_watch **out)
{
	struct zt_nl_watch *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return -ENOMEM;
	w->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!w->nl) {
		err = -errno;
		free(w);
		return err;
	}
	if (mnl_socket_bind(w->nl, RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
			    MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		mnl_socket_close(w->nl);
		free(w);
		return err;
	}
	*out = w;
	return 0;
}

int zt_nl_watch_fd(const struct zt_nl_watch *w)
{
	return mnl_socket_get_fd(w->nl);
}

static int watch_msg(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 };
	const struct zt_nl_events *ev = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type == RTM_NEWADDR || nlh->nlmsg_type == RTM_DELADDR) {
		if (ev->addr)
			ev->addr(ev->arg);
		return MNL_CB_OK;
	}
	if ((nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK) || !ev->link)
		return MNL_CB_OK;
	if (!link_attrs(nlh, tb) || !tb[IFLA_IFNAME] ||
	    mnl_attr_validate(tb[IFLA_IFNAME], MNL_TYPE_NUL_STRING))
		return MNL_CB_OK;
	ev->link(ev->arg, ifi->ifi_index, mnl_attr_get_str(tb[IFLA_IFNAME]),
		 nlh->nlmsg_type == RTM_NEWLINK);
	return MNL_CB_OK;
}

int zt_nl_watch_read(struct zt_nl_watch *w, const struct zt_nl_events *ev)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n;

	for (;;) {
		n = mnl_socket_recvfrom(w->nl, buf, sizeof(buf));
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		/* Notifications: sequence 0, port 0. */
		if (mnl_cb_run(buf, (size_t)n, 0, 0, watch_msg, (void *)ev) < 0 && errno != ESRCH)
			pr_debug("link watch: %s\n", strerror(errno));
	}
}

void zt_nl_watch_close(struct zt_nl_watch *w)
{
	if (!w)
		return;
	mnl_socket_close(w->nl);
	free(w);
}
