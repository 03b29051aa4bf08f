// SPDX-License-Identifier: GPL-2.0
/* file.c — see file.h. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include "file.h"

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
