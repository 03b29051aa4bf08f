/* SPDX-License-Identifier: GPL-2.0 */
/* ctl.h — the client side of ztd's control socket (protocol in
 * include/zt_ctl.h). */
#ifndef ZT_CTL_CLIENT_H
#define ZT_CTL_CLIENT_H

#include <stddef.h>
#include <linux/types.h>
#include "buf.h"
#include "zt_ctl.h"

struct zt_ctl_reply {
	__u8 data[ZT_CTL_MAX_REPLY];
	struct zt_buf body;  /* positioned at the type's body */
	int status;          /* the daemon's: 0 or -errno */
	char message[ZT_CTL_MAX_REPLY]; /* why, when status < 0 */
};

/* Sends one request to the daemon at path and reads its reply within
 * timeout_ms. Returns 0 when a well-formed reply came (see r->status), or
 * -errno: -ENOENT/-ECONNREFUSED no daemon listening, -ETIMEDOUT, -EBADMSG
 * a reply that does not parse. */
int zt_ctl_call(const char *path, __u16 type, const void *body, size_t len,
		int timeout_ms, struct zt_ctl_reply *r);

#endif
