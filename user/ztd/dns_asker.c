// SPDX-License-Identifier: GPL-2.0
/* dns_asker.c — who asked ztd's DNS server: a query's source address and
 * the interface it came in on (a datagram's packet info, a TCP client's
 * handshake), and the device that makes them by the config in force. */
#define _GNU_SOURCE
#include <string.h>
#include "nl.h"
#include "dns_int.h"

/* The gateway interface (index + 1) a datagram came in on, and its VLAN:
 * its device is the one declared there. A VLAN device whose parent is a
 * gateway interface is that interface with the VLAN's id (the kernel
 * strips the tag: the datagram's interface is the VLAN's). A query that
 * came in elsewhere, or from an interface not said, is nobody's. */
static __u32 src_iface(const struct ztd *d, const struct dns_src *from, __u16 *vlan)
{
	__u32 ifindex = from->ifindex, parent;
	size_t i;

	*vlan = 0;
	for (i = 0; i < d->cfg.n_client_ifaces; i++)
		if (d->ifindex[i] == ifindex)
			return (__u32)i + 1;
	/* Asked of the kernel for each such datagram (a netlink round
	 * trip), never remembered: an ifindex may come to name another
	 * link. Datagrams from a gateway interface itself cost nothing. */
	if (ifindex == (__u32)-1 || zt_nl_vlan_of(ifindex, &parent, vlan))
		return (__u32)-1;
	for (i = 0; i < d->cfg.n_client_ifaces; i++)
		if (d->ifindex[i] == parent)
			return (__u32)i + 1;
	*vlan = 0;
	return (__u32)-1;
}

long dns_src_device(const struct ztd *d, const struct dns_src *from)
{
	__u16 vlan;
	__u32 iface = src_iface(d, from, &vlan);

	return zt_dns_device(&d->dns->table, iface, vlan, from->family, from->addr);
}

void dns_src_from(const struct sockaddr_storage *ss, struct dns_src *s)
{
	memset(s, 0, sizeof(*s));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		s->family = ZT_AF_INET;
		memcpy(s->addr, &a->sin_addr, 4);
		s->port = ntohs(a->sin_port);
	} else {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		s->family = ZT_AF_INET6;
		memcpy(s->addr, &a->sin6_addr, 16);
		s->port = ntohs(a->sin6_port);
	}
}
