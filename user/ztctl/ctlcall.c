// SPDX-License-Identifier: GPL-2.0
/* ctlcall.c — what the subcommands that ask ztd share: one request on the
 * control socket with its errors said the one way, and a credential
 * written to a new file of mode 0600. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "ctl.h"
#include "out.h"
#include "ztctl.h"

int ztctl_call(__u16 type, const void *req, size_t n, struct zt_ctl_reply *r)
{
	int err = zt_ctl_call(ztctl_socket, type, req, n, 5000, r);

	if (err) {
		out_error("cannot reach ztd at %s: %s%s", ztctl_socket, strerror(-err),
			  err == -ENOENT || err == -ECONNREFUSED ? " (is ztd running?)" : "");
		return err == -ENOENT || err == -ECONNREFUSED ? 3 : 1;
	}
	if (r->status) {
		out_error("%s", r->message);
		return 1;
	}
	return 0;
}

int ztctl_write_secret(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	size_t n = strlen(text);

	if (fd < 0) {
		out_error("%s: %s%s", path, strerror(errno),
			  errno == EEXIST ? " (it is not overwritten; remove it first)" : "");
		return 1;
	}
	if (write(fd, text, n) != (ssize_t)n || write(fd, "\n", 1) != 1 || fsync(fd)) {
		out_error("%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return 1;
	}
	close(fd);
	return 0;
}
