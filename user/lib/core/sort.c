// SPDX-License-Identifier: GPL-2.0
/* sort.c — see sort.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "sort.h"

int zt_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	char *b = base, *tmp, *o;
	size_t k = 1, i, j;

	while (k < n && cmp(b + (k - 1) * size, b + k * size) <= 0)
		k++;
	if (k >= n)
		return 0;
	if (n - k > n / 8) {
		qsort(base, n, size, cmp);
		return 0;
	}
	qsort(b + k * size, n - k, size, cmp);
	if (cmp(b + (k - 1) * size, b + k * size) <= 0)
		return 0;
	tmp = malloc(n * size);
	if (!tmp)
		return -ENOMEM;
	for (i = 0, j = k, o = tmp; i < k || j < n; o += size) {
		if (j >= n || (i < k && cmp(b + i * size, b + j * size) <= 0))
			memcpy(o, b + i++ * size, size);
		else
			memcpy(o, b + j++ * size, size);
	}
	memcpy(base, tmp, n * size);
	free(tmp);
	return 0;
}
