/* SPDX-License-Identifier: GPL-2.0 */
/* file.h — state files written whole: to PATH.tmp, then renamed over
 * PATH, so a reader sees the old file or the new one, never half of one. */
#ifndef ZT_FILE_H
#define ZT_FILE_H

#include <stdio.h>
#include <sys/types.h>

/* A new PATH.tmp (its name into tmp, tmpsz bytes) of this mode, for
 * writing; NULL with errno set. */
FILE *zt_file_create(const char *path, mode_t mode, char *tmp, size_t tmpsz);
/* Closes f (opened on tmp) and renames tmp to path; on any error tmp is
 * removed. Returns 0 or -errno. */
int zt_file_commit(FILE *f, const char *tmp, const char *path);

#endif
