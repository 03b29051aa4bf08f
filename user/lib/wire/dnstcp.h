/* SPDX-License-Identifier: GPL-2.0 */
/* dnstcp.h — DNS over TCP's framing (RFC 1035 4.2.2, RFC 7766): each
 * message behind a two-octet length. Whole messages are taken out of what
 * a client sent so far, and answers are queued for it up to a bound (one
 * that does not read them must not grow ztd without end). Pure: the
 * server only moves the bytes. */
#ifndef ZT_DNSTCP_H
#define ZT_DNSTCP_H

#include <stddef.h>
#include <linux/types.h>

/* The next whole message in buf[*off, len): 1, with *msg and *mlen set and
 * *off moved past it; 0 when what is left is not yet a whole message (it
 * is kept, and more read); -EINVAL when *off is past len. A message of
 * length 0 is one too (the server answers it as malformed). */
int zt_dns_tcp_next(const __u8 *buf, size_t len, size_t *off, const __u8 **msg,
		    size_t *mlen);

/* Answers waiting to be sent, each behind its length. */
struct zt_dns_tcp_out {
	__u8 *p;
	size_t len, cap;
};

/* Queues msg behind its length. Returns 0; -EMSGSIZE when msg is longer
 * than a length holds (65535); -ENOBUFS when the queue would pass max
 * octets; -ENOMEM. Nothing is queued on an error. */
int zt_dns_tcp_put(struct zt_dns_tcp_out *o, const __u8 *msg, size_t len, size_t max);
/* The first n octets went out: they leave the queue (n past its length:
 * all of it). */
void zt_dns_tcp_sent(struct zt_dns_tcp_out *o, size_t n);
void zt_dns_tcp_out_free(struct zt_dns_tcp_out *o);

#endif
