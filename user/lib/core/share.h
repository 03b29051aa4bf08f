/* SPDX-License-Identifier: GPL-2.0 */
/* share.h — how many entries of a table all clients share (ztd's DNS TCP
 * slots, its queries waiting) each client address holds, so that no one
 * client takes them all: counted as entries are taken and given back,
 * found in one probe rather than a walk over the table. Pure: no sockets. */
#ifndef ZT_SHARE_H
#define ZT_SHARE_H

#include <stddef.h>
#include <linux/types.h>

struct zt_share {
	struct zt_share_slot {
		__u8 family;
		__u8 addr[16];
		__u32 n;              /* entries held; 0: the slot is empty */
	} *s;
	size_t mask;                  /* slots - 1; slots >= 2 * max */
	size_t max;                   /* entries the shared table has */
	size_t taken;                 /* entries held by all */
};

/* For a shared table of max entries (so at most max clients hold any).
 * Returns 0, -EINVAL for max 0, or -ENOMEM. */
int zt_share_init(struct zt_share *t, size_t max);
void zt_share_free(struct zt_share *t);
/* Every client holds none again (the table stays). */
void zt_share_clear(struct zt_share *t);

/* One more entry for the client at addr (16 octets: an IPv4 address in the
 * first 4 and zeros after; the port is not part of it). Returns 0;
 * -EDQUOT when it holds limit already; -ENOSPC when all max entries are
 * held (its own share checked first); -EAFNOSUPPORT for a family other
 * than ZT_AF_INET or ZT_AF_INET6. Nothing is counted on an error. */
int zt_share_take(struct zt_share *t, __u8 family, const __u8 *addr, size_t limit);
/* One entry of that client's back. Returns 0, or -ENOENT when it holds
 * none (nothing changes). */
int zt_share_give(struct zt_share *t, __u8 family, const __u8 *addr);
/* The entries the client holds. */
size_t zt_share_held(const struct zt_share *t, __u8 family, const __u8 *addr);

#endif
