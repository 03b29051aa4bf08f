// SPDX-License-Identifier: GPL-2.0
/* file.c — see file.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include "file.h"

FILE *zt_file_create(const char *path, mode_t mode, char *tmp, size_t tmpsz)
{
	FILE *f;
	int fd, e;

	if ((size_t)snprintf(tmp, tmpsz, "%s.tmp", path) >= tmpsz) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (!f) {
		e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
	}
	return f;
}

int zt_file_commit(FILE *f, const char *tmp, const char *path)
{
	int err = 0;

	if (fflush(f) || ferror(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}
