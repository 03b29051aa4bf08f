// SPDX-License-Identifier: GPL-2.0
/* tunnel_udp.c — UDP to remote tunnels: the sockets. The kernel steers a
 * UDP datagram the policy allows to a remote tunnel's route
 * (bpf/lib/steer.h) to one of ztd's sockets: the flow's own once ztd made
 * it, else the one here that takes first datagrams (one per family, in
 * zt_proxy), which hands them to the flow table (tunnel_dgram.c). A
 * flow's own socket is transparent: bound to the destination the client
 * asked for on the interface the flow came in on and connected to the
 * client, so the kernel finds it for the flow's next datagrams (and for
 * no other interface's), and the replies leave from that destination.
 * Only datagrams with the steering mark are taken (SO_RCVMARK): one a
 * local process sends to the loopback port, or one the kernel passed
 * without steering, is dropped. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include "bridge.h"
#include "log.h"
#include "sock.h"
#include "tunnel_int.h"
#include "zt_abi.h"

#ifndef SO_RCVMARK
#define SO_RCVMARK 75 /* Linux 6.0 */
#endif
#ifndef SO_BINDTOIFINDEX
#define SO_BINDTOIFINDEX 62 /* Linux 5.0 */
#endif



/* The flow's own socket: bound to the destination the client asked for
 * (no address of the gateway's: transparent) on the interface the flow
 * came in on, connected to the client, marked as ztd's (the kernel steers
 * only to sockets with the mark, and finds this one only for datagrams of
 * that interface), and told the mark of what it receives (the bridge
 * takes only what the kernel steered). */
int tun_udp_sock(const struct tun_dgram *f)
{
	int af = f->family == ZT_AF_INET ? AF_INET : AF_INET6, one = 1, fd;
	int mark = (int)ZT_MARK_PROXY, ifi = (int)f->in_ifindex;
	struct sockaddr_storage ss;
	socklen_t sl;

	fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVMARK, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTOIFINDEX, &ifi, sizeof(ifi)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (af == AF_INET ? setsockopt(fd, IPPROTO_IP, IP_TRANSPARENT, &one, sizeof(one)) :
			     setsockopt(fd, IPPROTO_IPV6, IPV6_TRANSPARENT, &one, sizeof(one)) ||
				     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))))
		goto fail;
	sl = zt_sockaddr(f->family, f->dst, f->dport, &ss);
	if (bind(fd, (struct sockaddr *)&ss, sl))
		goto fail;
	sl = zt_sockaddr(f->family, f->src, f->sport, &ss);
	if (connect(fd, (struct sockaddr *)&ss, sl))
		goto fail;
	return fd;
fail:
	{
		int err = -errno;

		close(fd);
		return err;
	}
}

/* ---- the socket of first datagrams ------------------------------------------- */

static void on_udp(struct zt_io *io, __u32 events)
{
	struct ztd_tunnels *tt = ztd_of(io, struct tun_listener, io)->tt;
	static __u8 buf[ZT_BRIDGE_BUF];
	int i;

	(void)events;
	for (i = 0; i < 64; i++) {
		union {
			struct cmsghdr h;
			__u8 b[256];
		} ctl;
		struct sockaddr_storage from;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from),
				     .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };
		struct cmsghdr *cm;
		struct tun_dgram key = { 0 };
		__u32 mark = 0, ifindex = (__u32)-1;
		bool dst = false;
		ssize_t n;

		n = recvmsg(io->fd, &mh, MSG_DONTWAIT);
		if (n < 0)
			return; /* EAGAIN, or an error the next read says again */
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_MARK &&
			    cm->cmsg_len >= CMSG_LEN(sizeof(__u32))) {
				memcpy(&mark, CMSG_DATA(cm), sizeof(mark));
			} else if (cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_ORIGDSTADDR &&
				   cm->cmsg_len >= CMSG_LEN(sizeof(struct sockaddr_in))) {
				struct sockaddr_in a;

				memcpy(&a, CMSG_DATA(cm), sizeof(a));
				memcpy(key.dst, &a.sin_addr, 4);
				key.dport = ntohs(a.sin_port);
				dst = true;
			} else if (cm->cmsg_level == SOL_IPV6 && cm->cmsg_type == IPV6_ORIGDSTADDR &&
				   cm->cmsg_len >= CMSG_LEN(sizeof(struct sockaddr_in6))) {
				struct sockaddr_in6 a;

				memcpy(&a, CMSG_DATA(cm), sizeof(a));
				memcpy(key.dst, &a.sin6_addr, 16);
				key.dport = ntohs(a.sin6_port);
				dst = true;
			} else if (cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_PKTINFO &&
				   cm->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
				struct in_pktinfo pi;

				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				ifindex = (__u32)pi.ipi_ifindex;
			} else if (cm->cmsg_level == SOL_IPV6 && cm->cmsg_type == IPV6_PKTINFO &&
				   cm->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
				struct in6_pktinfo pi;

				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				ifindex = (__u32)pi.ipi6_ifindex;
			}
		}
		if (from.ss_family == AF_INET) {
			const struct sockaddr_in *a = (const struct sockaddr_in *)&from;

			key.family = ZT_AF_INET;
			memcpy(key.src, &a->sin_addr, 4);
			key.sport = ntohs(a->sin_port);
		} else {
			const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&from;

			key.family = ZT_AF_INET6;
			memcpy(key.src, &a->sin6_addr, 16);
			key.sport = ntohs(a->sin6_port);
		}
		if (mark != ZT_MARK_STEER || !dst || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
		    !key.dport || !key.sport || ifindex == (__u32)-1) {
			/* Not one the kernel steered (a local process sent
			 * it to the loopback port), or not whole. */
			tt->udp_not_steered++;
			continue;
		}
		key.tt = tt;
		key.in_ifindex = ifindex;
		key.proto = ZT_MUX_UDP;
		tun_dgram_in(tt, &key, buf, (size_t)n);
	}
}

static int udp_socket(int family)
{
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd, one = 1, mark = (int)ZT_MARK_PROXY;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* The original destination, the interface it came in on, and the
	 * mark tc gave it (SO_RCVMARK: Linux 6.0). */
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVMARK, &one, sizeof(one)) ||
	    (family == AF_INET ?
		     setsockopt(fd, IPPROTO_IP, IP_RECVORIGDSTADDR, &one, sizeof(one)) ||
			     setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) :
		     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) ||
			     setsockopt(fd, IPPROTO_IPV6, IPV6_RECVORIGDSTADDR, &one, sizeof(one)) ||
			     setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one))) ||
	    bind(fd, family == AF_INET ? (struct sockaddr *)&a4 : (struct sockaddr *)&a6,
		 family == AF_INET ? sizeof(a4) : sizeof(a6))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}
int tun_udp_open(struct ztd_tunnels *tt)
{
	int f, err, buf = 4 << 20;

	for (f = 0; f < 2; f++) {
		__u32 slot = ZT_PROXY_UDP_SLOT + (__u32)f;
		int fd = udp_socket(f ? AF_INET6 : AF_INET);
		__u64 v;

		if (fd < 0) {
			pr_warn("tunnel endpoint: UDP to remote tunnels is off: %s%s\n",
				strerror(-fd), fd == -ENOPROTOOPT ?
				" (SO_RCVMARK needs Linux 6.0 or later); such datagrams are "
				"dropped (no_proxy)" : "");
			if (f) { /* not one family without the other */
				zt_io_del(tt->d->loop, &tt->udp_io[0].io);
				close(tt->udp_io[0].io.fd);
				tt->udp_io[0].io.fd = -1;
			}
			return 0; /* TCP is carried all the same */
		}
		/* Room for bursts of first datagrams (root may force it). */
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
		tt->udp_io[f].io.fd = fd;
		tt->udp_io[f].io.cb = on_udp;
		tt->udp_io[f].tt = tt;
		v = (__u64)fd;
		if (bpf_map_update_elem(tt->d->b.m.proxy, &slot, &v, BPF_ANY)) {
			err = -errno;
			pr_warn("tunnel endpoint: zt_proxy slot %u: %s\n", slot, strerror(-err));
			return err;
		}
		err = zt_io_add(tt->d->loop, &tt->udp_io[f].io, EPOLLIN);
		if (err)
			return err;
	}
	return 0;
}

void tun_udp_close(struct ztd_tunnels *tt)
{
	int f;

	for (f = 0; f < 2; f++)
		if (tt->udp_io[f].io.fd >= 0) {
			zt_io_del(tt->d->loop, &tt->udp_io[f].io);
			close(tt->udp_io[f].io.fd); /* leaves zt_proxy by itself */
			tt->udp_io[f].io.fd = -1;
		}
}
