/* SPDX-License-Identifier: GPL-2.0 */
/* ssh_banner.h — an SSH client's identification line ("SSH-2.0-OpenSSH_9.2
 * comments\r\n", RFC 4253 §4.2), the first bytes of its stream, for the
 * proxy's protocol detection. A client sends nothing before it (only a
 * server may send other lines first). */
#ifndef ZT_SSH_BANNER_H
#define ZT_SSH_BANNER_H

#include <stddef.h>
#include <linux/types.h>

#define ZT_SSH_BANNER_MAX 255 /* with its CR LF (RFC 4253) */

struct zt_ssh_banner {
	char proto[8];                 /* "2.0" (or "1.99") */
	char software[ZT_SSH_BANNER_MAX + 1]; /* softwareversion and comments */
	size_t consumed;               /* the line's bytes, with its end */
};

/*   0         a whole line: *s filled;
 *   -EAGAIN   a prefix of one so far;
 *   -EBADMSG  not SSH 2 (or 1.99), or a control character in the line;
 *   -EMSGSIZE no line end within ZT_SSH_BANNER_MAX bytes. */
int zt_ssh_read_banner(const __u8 *stream, size_t len, struct zt_ssh_banner *s);

#endif
