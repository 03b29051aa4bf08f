/* SPDX-License-Identifier: GPL-2.0 */
/* tbio.h — the socket under a TLS connection (tls.c's, not BoringSSL's
 * own socket BIO): it reads ahead (one recv takes up to ZT_TBIO_RBUF,
 * not a record header and then its body) and queues what TLS writes
 * until zt_tbio_flush sends it in one go (or the queue fills): a burst of
 * 16 KiB records leaves in few sends. So the owner must flush before it
 * waits, watch for room while zt_tbio_unsent, and read on without
 * waiting while zt_tbio_unread (epoll does not see those bytes). Both
 * buffers are freed when empty: an idle connection holds neither. */
#ifndef ZT_TBIO_H
#define ZT_TBIO_H

#include <stddef.h>
#include <linux/types.h>

#define ZT_TBIO_RBUF (64 * 1024)
#define ZT_TBIO_WBUF (256 * 1024)

struct bio_st;

/* A BIO over fd (non-blocking; not closed with the BIO). NULL: no memory. */
struct bio_st *zt_tbio_new(int fd);
/* Sends what is queued: 0 (nothing left), -EAGAIN (the socket is full),
 * or -errno. */
int zt_tbio_flush(struct bio_st *b);
/* Bytes queued, not yet sent; bytes read from the socket, not yet taken. */
size_t zt_tbio_unsent(struct bio_st *b);
size_t zt_tbio_unread(struct bio_st *b);

#endif
