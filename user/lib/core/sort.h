/* SPDX-License-Identifier: GPL-2.0 */
/* sort.h — qsort for input that is mostly in order already (a route table
 * kept sorted by its owner, with a few entries appended): linear when the
 * input is sorted, sort-the-tail-and-merge when a sorted run is followed by
 * a short tail, plain qsort otherwise. Not stable. */
#ifndef ZT_SORT_H
#define ZT_SORT_H

#include <stddef.h>

/* 0, or -ENOMEM (base is then left as it was). */
int zt_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

#endif
