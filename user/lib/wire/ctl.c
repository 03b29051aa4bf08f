// SPDX-License-Identifier: GPL-2.0
/* ctl.c — see ctl.h. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "ctl.h"
#include "ctl_msg.h"

static int wait_fd(int fd, short ev, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int n = poll(&p, 1, timeout_ms);

	if (n < 0)
		return -errno;
	return n ? 0 : -ETIMEDOUT;
}

int zt_ctl_call(const char *path, __u16 type, const void *body, size_t len,
		int timeout_ms, struct zt_ctl_reply *r)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	__u8 req[ZT_CTL_MAX_REQ];
	struct zt_buf w, *b = &r->body;
	struct zt_ctl_hdr h;
	__u32 status;
	ssize_t n;
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	zt_buf_init(&w, req, sizeof(req));
	zt_ctl_hdr_put(&w, type);
	zt_buf_put_bytes(&w, body, len);
	if (w.err)
		return w.err;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		goto out;
	}
	if (send(fd, req, w.off, MSG_NOSIGNAL) != (ssize_t)w.off) {
		err = -errno;
		goto out;
	}
	err = wait_fd(fd, POLLIN, timeout_ms);
	if (err)
		goto out;
	n = recv(fd, r->data, sizeof(r->data), MSG_TRUNC);
	if (n < 0) {
		err = -errno;
		goto out;
	}
	err = -EBADMSG;
	if (n == 0 || (size_t)n > sizeof(r->data))
		goto out;
	zt_buf_init(b, r->data, (size_t)n);
	if (zt_ctl_hdr_get(b, &h) || h.version != ZT_CTL_VERSION || h.type != type ||
	    zt_buf_get_u32(b, &status) ||
	    zt_buf_get_str(b, r->message, sizeof(r->message)))
		goto out;
	r->status = (int)status;
	err = 0;
out:
	close(fd);
	return err;
}
