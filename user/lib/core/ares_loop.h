/* SPDX-License-Identifier: GPL-2.0 */
/* ares_loop.h — a c-ares channel on the event loop: its sockets watched
 * as c-ares opens and closes them (its socket state callback), its next
 * timeout a timer. Names resolve as the system resolves them (/etc/hosts,
 * then DNS as resolv.conf says), or with the servers given, without
 * blocking. ztd's origin resolver and ztconnector use it. */
#ifndef ZT_ARES_LOOP_H
#define ZT_ARES_LOOP_H

#include <stddef.h>
#include <linux/types.h>
#include <ares.h>
#include "loop.h"

struct zt_ares_sock;

struct zt_ares {
	ares_channel ch;           /* NULL when closed */
	struct zt_loop *loop;
	struct zt_ares_sock *socks;
	struct zt_timer timeout;   /* c-ares' next retry or give-up */
};

struct zt_ares_server {
	int family;                /* AF_INET or AF_INET6 */
	__u8 addr[16];
	__u16 port;
};

/* Opens a's channel on l: each try timeout_ms (doubled by c-ares each
 * round of servers), tries per server, no search domains; the servers of
 * resolv.conf, or these n. 0 or an ARES_E* (a closed then). */
int zt_ares_open(struct zt_ares *a, struct zt_loop *l, int timeout_ms, int tries,
		 const struct zt_ares_server *srv, size_t n);
/* Ends every query in flight (their callbacks see ARES_EDESTRUCTION). */
void zt_ares_close(struct zt_ares *a);
/* After a call that may have started or ended queries: the timer follows
 * c-ares' next timeout. */
void zt_ares_arm(struct zt_ares *a);

#endif
