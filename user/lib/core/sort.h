/* SPDX-License-Identifier: GPL-2.0 */
/* sort.h — qsort for input that is mostly in order already (a route table
 * kept sorted by its owner, with a few entries appended): linear when the
 * input is sorted, sort-the-tail-and-merge when a sorted run is followed by
 * a short tail, plain qsort otherwise. Not stable. */
#ifndef ZT_SORT_H
#define ZT_SORT_H

#include <stddef.h>
#include <stdlib.h>

/* qsort and bsearch for arrays that may be empty (and NULL): libc declares
 * both pointers non-null even for 0 elements, so passing an empty array's
 * NULL is undefined behaviour (UBSan stops ztd on it). */
static inline void zt_qsort(void *base, size_t n, size_t size,
			    int (*cmp)(const void *, const void *))
{
	if (n)
		qsort(base, n, size, cmp);
}

static inline void *zt_bsearch(const void *key, const void *base, size_t n, size_t size,
			       int (*cmp)(const void *, const void *))
{
	return n ? bsearch(key, base, n, size, cmp) : NULL;
}

/* 0, or -ENOMEM (base is then left as it was). */
int zt_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

#endif
