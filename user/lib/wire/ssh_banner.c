// SPDX-License-Identifier: GPL-2.0
/* ssh_banner.c — see ssh_banner.h. A line ending in LF alone is taken
 * too, as OpenSSH takes it. */
#include <errno.h>
#include <string.h>
#include "buf.h"
#include "ssh_banner.h"

int zt_ssh_read_banner(const __u8 *stream, size_t len, struct zt_ssh_banner *s)
{
	static const char *const protos[] = { "SSH-2.0-", "SSH-1.99-" };
	struct zt_buf b;
	size_t i, p, n = len < ZT_SSH_BANNER_MAX ? len : ZT_SSH_BANNER_MAX;
	__u8 c;

	memset(s, 0, sizeof(*s));
	for (p = 0; p < 2; p++)
		if (n >= strlen(protos[p]) && !memcmp(stream, protos[p], strlen(protos[p])))
			break;
	if (p == 2) {
		for (p = 0; p < 2; p++)
			if (n < strlen(protos[p]) && !memcmp(stream, protos[p], n))
				return -EAGAIN;
		return -EBADMSG;
	}
	zt_buf_init(&b, (void *)stream, n);
	b.off = strlen(protos[p]);
	for (i = 0; !zt_buf_get_u8(&b, &c); i++) {
		if (c == '\n' || (c == '\r' && b.off < n && stream[b.off] == '\n')) {
			size_t end = b.off - 1;

			if (c == '\r')
				b.off++;
			if (end == strlen(protos[p]))
				return -EBADMSG; /* no softwareversion */
			memcpy(s->proto, protos[p] + 4, strlen(protos[p]) - 5);
			memcpy(s->software, stream + strlen(protos[p]), end - strlen(protos[p]));
			s->consumed = b.off;
			return 0;
		}
		if (c == '\r' && b.off == n)
			break;
		if (c < ' ' || c == 0x7f)
			return -EBADMSG;
	}
	return len >= ZT_SSH_BANNER_MAX ? -EMSGSIZE : -EAGAIN;
}
