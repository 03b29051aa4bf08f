/* SPDX-License-Identifier: GPL-2.0 */
/* sock.h — what the kernel says about where a client's packets came in:
 * the interface of a datagram (its packet info) and of an accepted TCP
 * socket's handshake. (__u32)-1 when not said: no interface's. */
#ifndef ZT_SOCK_H
#define ZT_SOCK_H

#include <linux/types.h>
#include <sys/socket.h>

/* family (ZT_AF_INET or ZT_AF_INET6), addr (4 or 16 bytes) and port into
 * ss; its length. */
socklen_t zt_sockaddr(__u8 family, const __u8 *addr, __u16 port, struct sockaddr_storage *ss);

__u32 zt_sock_msg_ifindex(struct msghdr *m);
/* fd: accepted from a listener with IP_PKTINFO / IPV6_RECVPKTINFO on;
 * family AF_INET or AF_INET6. */
__u32 zt_sock_tcp_ifindex(int fd, int family);

/* The descriptors a received message m carries (SCM_RIGHTS): the first
 * in *fd (-1: none), every other closed. Returns how many were closed
 * plus the control messages of another kind (0: at most one descriptor,
 * nothing else). */
unsigned zt_sock_take_fds(struct msghdr *m, int *fd);

#endif
