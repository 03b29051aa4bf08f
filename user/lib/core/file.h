/* SPDX-License-Identifier: GPL-2.0 */
/* file.h — state files written whole: to PATH.tmp, then renamed over
 * PATH, so a reader sees the old file or the new one, never half of one. */
#ifndef ZT_FILE_H
#define ZT_FILE_H

#include <stdio.h>

/* Closes f (opened on tmp) and renames tmp to path; on any error tmp is
 * removed. Returns 0 or -errno. */
int zt_file_commit(FILE *f, const char *tmp, const char *path);

#endif
