// SPDX-License-Identifier: GPL-2.0
/* sock.c — see sock.h. */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <sys/socket.h>
#include <string.h>
#include <unistd.h>
#include "sock.h"
#include "zt_abi.h"

socklen_t zt_sockaddr(__u8 family, const __u8 *addr, __u16 port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == ZT_AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, addr, 4);
		s4->sin_port = htons(port);
		return sizeof(*s4);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	s6->sin6_family = AF_INET6;
	memcpy(&s6->sin6_addr, addr, 16);
	s6->sin6_port = htons(port);
	return sizeof(*s6);
}

/* The ifindex a datagram arrived on, from its IP_PKTINFO/IPV6_PKTINFO
 * (the socket asked for them: IP_PKTINFO, IPV6_RECVPKTINFO). */
__u32 zt_sock_msg_ifindex(struct msghdr *m)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
			return (__u32)((struct in_pktinfo *)CMSG_DATA(c))->ipi_ifindex;
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO)
			return ((struct in6_pktinfo *)CMSG_DATA(c))->ipi6_ifindex;
	}
	return (__u32)-1; /* not said: no interface's, so nobody's */
}

/* The ifindex a TCP client's handshake arrived on. The kernel keeps it
 * for an accepted socket whose listener asked for packet info
 * and gives it back as the IP_PKTINFO / IPV6_PKTINFO of IP_PKTOPTIONS /
 * IPV6_2292PKTOPTIONS. The address alone is no identity: a host behind
 * another link can complete a handshake from an enrolled address when
 * the gateway routes that address its way. */
__u32 zt_sock_tcp_ifindex(int fd, int family)
{
	union {
		struct cmsghdr align;
		__u8 buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) * 4];
	} u;
	struct msghdr m = { .msg_control = u.buf };
	socklen_t len = sizeof(u.buf);
	__u32 ifindex;

	if (family == AF_INET ? getsockopt(fd, IPPROTO_IP, IP_PKTOPTIONS, u.buf, &len) :
				   getsockopt(fd, IPPROTO_IPV6, IPV6_2292PKTOPTIONS, u.buf, &len))
		return (__u32)-1;
	m.msg_controllen = len;
	ifindex = zt_sock_msg_ifindex(&m);
	return ifindex ? ifindex : (__u32)-1;
}

unsigned zt_sock_take_fds(struct msghdr *m, int *fd)
{
	struct cmsghdr *cm;
	unsigned extra = 0;

	*fd = -1;
	for (cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm)) {
		size_t k, nfd;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
			extra++;
			continue;
		}
		nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < nfd; k++) {
			int x;

			memcpy(&x, CMSG_DATA(cm) + k * sizeof(int), sizeof(int));
			if (*fd < 0) {
				*fd = x;
			} else {
				close(x);
				extra++;
			}
		}
	}
	return extra;
}
