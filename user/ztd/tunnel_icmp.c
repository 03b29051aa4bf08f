// SPDX-License-Identifier: GPL-2.0
/* tunnel_icmp.c — ICMP echo (ping) to remote tunnels. The kernel copies
 * an echo request the policy allows to a remote tunnel's route into
 * zt_icmp (bpf/lib/steer.h) and drops the packet; ztd reads it here and
 * hands it to the flow of its (interface, client, destination, echo
 * identifier) as tunnel_udp.c does a datagram: decided with the policy in
 * force, carried on a stream (OPEN with protocol ICMP) to the connector,
 * which pings with an unprivileged ICMP socket and sends the replies back.
 * The flow's bridge writes them into a socket pair; ztd reads them there,
 * checks each is an echo reply, gives it the client's identifier back and
 * sends it to the client from the address it pinged (a raw socket,
 * transparent). What the kernel hands over is read as untrusted: a record
 * of the wrong size or an ICMP message that is no echo request is
 * dropped and counted. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/icmp6.h>
#include <linux/filter.h>
#include <linux/icmp.h>
#include <sys/socket.h>
#include <bpf/libbpf.h>
#include "bridge.h"
#include "log.h"
#include "tunnel_int.h"
#include "zt_abi.h"

/* The ICMP checksum (IPv4; IPv6's the kernel fills in). */
static __u16 icmp_csum(const __u8 *p, size_t n)
{
	__u32 s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (__u32)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (__u32)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

void tun_icmp_sent(struct tun_dgram *f, const __u8 *m, size_t n)
{
	f->icmp_seq[f->icmp_at] = (__u16)(m[6] << 8 | m[7]);
	f->icmp_len[f->icmp_at] = (__u16)n;
	f->icmp_at = (__u8)((f->icmp_at + 1) % 8);
	if (f->icmp_n < 8)
		f->icmp_n++;
}

/* The request a reply answers (its sequence and length), taken: false
 * when none is waiting (a reply twice, or one never asked for). */
static bool awaited(struct tun_dgram *f, const __u8 *m, size_t n)
{
	__u16 seq = (__u16)(m[6] << 8 | m[7]);
	unsigned i;

	for (i = 0; i < 8; i++)
		if (f->icmp_len[i] && f->icmp_len[i] == n && f->icmp_seq[i] == seq) {
			f->icmp_len[i] = 0;
			return true;
		}
	return false;
}

/* An answer the bridge wrote: an echo reply to a request of the flow's
 * that waits for one, sent to the client from the address it pinged,
 * with its own identifier. Anything else the connector (or a host in its
 * network) sends is dropped: one reply per request, never more bytes. */
static void answer(struct tun_dgram *f, __u8 *m, size_t n)
{
	struct ztd_tunnels *tt = f->tt;
	__u8 want = f->family == ZT_AF_INET ? 0 : ICMP6_ECHO_REPLY;
	union {
		struct cmsghdr h;
		__u8 b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} ctl;
	struct sockaddr_storage to = { 0 };
	struct msghdr mh = { .msg_name = &to, .msg_control = ctl.b };
	struct iovec iov = { m, n };
	struct cmsghdr *cm;

	if (n < 8 || m[0] != want || m[1] != 0 || !awaited(f, m, n)) {
		tt->icmp_reply_bad++;
		return;
	}
	m[4] = (__u8)(f->sport >> 8);
	m[5] = (__u8)f->sport;
	m[2] = m[3] = 0;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	memset(&ctl, 0, sizeof(ctl));
	cm = (struct cmsghdr *)ctl.b;
	if (f->family == ZT_AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&to;
		/* (On a VLAN the route picks the tagged interface.) */
		struct in_pktinfo pi = { .ipi_ifindex = f->kvlan ? 0 : (int)f->in_ifindex };
		__u16 c = icmp_csum(m, n);

		m[2] = (__u8)(c >> 8);
		m[3] = (__u8)c;
		a->sin_family = AF_INET;
		memcpy(&a->sin_addr, f->src, 4);
		mh.msg_namelen = sizeof(*a);
		memcpy(&pi.ipi_spec_dst, f->dst, 4);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&to;
		struct in6_pktinfo pi = { .ipi6_ifindex = f->kvlan ? 0 : f->in_ifindex };

		a->sin6_family = AF_INET6;
		memcpy(&a->sin6_addr, f->src, 16);
		mh.msg_namelen = sizeof(*a);
		memcpy(&pi.ipi6_addr, f->dst, 16);
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
	}
	if (sendmsg(tt->raw[f->family == ZT_AF_INET ? 0 : 1], &mh, MSG_DONTWAIT) != (ssize_t)n)
		tt->icmp_send_failed++;
	else
		tt->icmp_replies++;
}

static void on_reply(struct zt_io *io, __u32 events)
{
	struct tun_dgram *f = ztd_of(io, struct tun_dgram, reply);
	static __u8 m[ZT_BRIDGE_BUF];
	ssize_t n;
	int i;

	(void)events;
	for (i = 0; i < 64; i++) {
		n = recv(io->fd, m, sizeof(m), MSG_DONTWAIT);
		if (n < 0)
			return;
		answer(f, m, (size_t)n);
	}
}

int tun_icmp_pair(struct tun_dgram *f)
{
	int sv[2], err;

	if (f->tt->raw[f->family == ZT_AF_INET ? 0 : 1] < 0)
		return -EAFNOSUPPORT;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv))
		return -errno;
	f->reply.fd = sv[1];
	f->reply.cb = on_reply;
	err = zt_io_add(f->tt->d->loop, &f->reply, EPOLLIN);
	if (err) {
		close(sv[0]);
		close(sv[1]);
		f->reply.fd = -1;
		return err;
	}
	return sv[0];
}

void tun_icmp_forget(struct tun_dgram *f)
{
	if (f->proto != ZT_MUX_ICMP || f->reply.fd < 0)
		return;
	zt_io_del(f->tt->d->loop, &f->reply);
	close(f->reply.fd);
	f->reply.fd = -1;
}

/* A source a reply must never go to: unspecified, loopback, multicast
 * or broadcast, IPv4-mapped (the answer would reach a whole link, or
 * the gateway itself). */
static bool bad_source(__u8 family, const __u8 *a)
{
	static const __u8 zero[16], mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (family == ZT_AF_INET)
		return a[0] == 0 || a[0] == 127 || a[0] >= 224;
	return !memcmp(a, zero, 15) || a[0] == 0xff || !memcmp(a, mapped, 12);
}

/* A record the kernel wrote: one echo request. At most 64 a turn (a
 * negative answer stops libbpf's consume; the ring's descriptor, level-
 * triggered, brings the loop back for the rest): a flood of pings never
 * holds the loop. */
static int on_msg(void *ctx, void *data, size_t size)
{
	struct ztd_tunnels *tt = ctx;
	const struct zt_icmp_msg *m = data;
	struct tun_dgram key = { 0 };

	if (size < offsetof(struct zt_icmp_msg, data) || m->len < 8 ||
	    m->len > ZT_ICMP_MSG_MAX || offsetof(struct zt_icmp_msg, data) + m->len > size ||
	    (m->family != ZT_AF_INET && m->family != ZT_AF_INET6) ||
	    m->data[0] != (m->family == ZT_AF_INET ? 8 : ICMP6_ECHO_REQUEST) || m->data[1] ||
	    bad_source(m->family, m->src)) {
		tt->icmp_bad++;
		return ++tt->icmp_batch >= 64 ? -EAGAIN : 0;
	}
	key.tt = tt;
	key.proto = ZT_MUX_ICMP;
	key.kvlan = m->vlan;
	key.family = m->family;
	memcpy(key.src, m->src, 16);
	memcpy(key.dst, m->dst, 16);
	key.sport = (__u16)(m->data[4] << 8 | m->data[5]);
	key.in_ifindex = m->ifindex;
	tun_dgram_in(tt, &key, m->data, m->len);
	return ++tt->icmp_batch >= 64 ? -EAGAIN : 0;
}

static void on_ring(struct zt_io *io, __u32 events)
{
	struct ztd_tunnels *tt = ztd_of(io, struct ztd_tunnels, icmp_io);

	(void)events;
	tt->icmp_batch = 0;
	ring_buffer__consume(tt->icmp_ring);
}

/* A raw socket answers leave by: sends from any address (transparent),
 * takes nothing in (a socket filter that drops everything; the ICMP type
 * filters too, which cover only some types). */
static int raw_socket(int family)
{
	struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog none_in = { .len = 1, .filter = &drop };
	int one = 1, fd;

	fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &none_in, sizeof(none_in)))
		goto fail;
	if (family == AF_INET) {
		struct icmp_filter none = { .data = ~0u };

		if (setsockopt(fd, IPPROTO_IP, IP_TRANSPARENT, &one, sizeof(one)) ||
		    setsockopt(fd, SOL_RAW, ICMP_FILTER, &none, sizeof(none)))
			goto fail;
	} else {
		struct icmp6_filter none;

		ICMP6_FILTER_SETBLOCKALL(&none);
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_TRANSPARENT, &one, sizeof(one)) ||
		    setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &none, sizeof(none)))
			goto fail;
	}
	return fd;
fail:
	{
		int err = -errno;

		close(fd);
		return err;
	}
}

int tun_icmp_open(struct ztd_tunnels *tt)
{
	int f, fd;

	tt->raw[0] = tt->raw[1] = -1;
	tt->icmp_io.fd = -1;
	if (tt->udp_io[0].io.fd < 0)
		return 0; /* the kernel hands echo requests over only with these */
	for (f = 0; f < 2; f++) {
		fd = raw_socket(f ? AF_INET6 : AF_INET);
		if (fd < 0) {
			pr_warn("tunnel endpoint: ICMP echo to remote tunnels over %s is off: %s\n",
				f ? "IPv6" : "IPv4", strerror(-fd));
			continue;
		}
		tt->raw[f] = fd;
	}
	tt->icmp_ring = ring_buffer__new(tt->d->b.m.icmp, on_msg, tt, NULL);
	if (!tt->icmp_ring) {
		pr_warn("tunnel endpoint: the ICMP ring: %s; ICMP echo to remote tunnels is "
			"off\n", strerror(errno));
		return 0;
	}
	tt->icmp_io.fd = ring_buffer__epoll_fd(tt->icmp_ring);
	tt->icmp_io.cb = on_ring;
	return zt_io_add(tt->d->loop, &tt->icmp_io, EPOLLIN);
}

void tun_icmp_close(struct ztd_tunnels *tt)
{
	int f;

	if (tt->icmp_ring) {
		zt_io_del(tt->d->loop, &tt->icmp_io);
		ring_buffer__free(tt->icmp_ring);
		tt->icmp_ring = NULL;
	}
	for (f = 0; f < 2; f++)
		if (tt->raw[f] >= 0) {
			close(tt->raw[f]);
			tt->raw[f] = -1;
		}
}
