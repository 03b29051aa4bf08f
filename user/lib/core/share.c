// SPDX-License-Identifier: GPL-2.0
/* share.c — see share.h. Open addressing with linear probing; a client
 * whose count falls to 0 leaves by backward shift (no tombstones), so a
 * probe always ends at the first empty slot. There are at least twice as
 * many slots as clients can be, so one always is. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "hash.h"
#include "share.h"
#include "zt_abi.h"

static size_t home(const struct zt_share *t, __u8 family, const __u8 *addr)
{
	return (size_t)zt_hash64(addr, 16, family) & t->mask;
}

/* The client's slot (*found), or the empty slot where it would go. */
static size_t find(const struct zt_share *t, __u8 family, const __u8 *addr, bool *found)
{
	size_t i = home(t, family, addr);

	for (;; i = (i + 1) & t->mask) {
		const struct zt_share_slot *s = &t->s[i];

		if (!s->n) {
			*found = false;
			return i;
		}
		if (s->family == family && !memcmp(s->addr, addr, 16)) {
			*found = true;
			return i;
		}
	}
}

int zt_share_init(struct zt_share *t, size_t max)
{
	size_t slots = 1;

	memset(t, 0, sizeof(*t));
	if (!max || max > ((size_t)-1 >> 2) / sizeof(*t->s))
		return -EINVAL;
	while (slots < 2 * max)
		slots <<= 1;
	t->s = calloc(slots, sizeof(*t->s));
	if (!t->s)
		return -ENOMEM;
	t->mask = slots - 1;
	t->max = max;
	return 0;
}

void zt_share_clear(struct zt_share *t)
{
	if (t->s)
		memset(t->s, 0, (t->mask + 1) * sizeof(*t->s));
	t->taken = 0;
}

void zt_share_free(struct zt_share *t)
{
	free(t->s);
	memset(t, 0, sizeof(*t));
}

int zt_share_take(struct zt_share *t, __u8 family, const __u8 *addr, size_t limit)
{
	struct zt_share_slot *s;
	bool found;

	if (family != ZT_AF_INET && family != ZT_AF_INET6)
		return -EAFNOSUPPORT;
	s = &t->s[find(t, family, addr, &found)];
	if ((found ? s->n : 0) >= limit)
		return -EDQUOT;
	if (t->taken >= t->max)
		return -ENOSPC;
	if (!found) {
		s->family = family;
		memcpy(s->addr, addr, 16);
	}
	s->n++;
	t->taken++;
	return 0;
}

int zt_share_give(struct zt_share *t, __u8 family, const __u8 *addr)
{
	size_t i, j, k;
	bool found;

	i = find(t, family, addr, &found);
	if (!found)
		return -ENOENT;
	t->taken--;
	if (--t->s[i].n)
		return 0;
	/* Backward shift: a later entry of the probe run moves into the hole
	 * unless its home lies cyclically in (i, j], where it must stay. */
	for (j = (i + 1) & t->mask; t->s[j].n; j = (j + 1) & t->mask) {
		k = home(t, t->s[j].family, t->s[j].addr);
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		t->s[i] = t->s[j];
		i = j;
	}
	memset(&t->s[i], 0, sizeof(t->s[i]));
	return 0;
}

size_t zt_share_held(const struct zt_share *t, __u8 family, const __u8 *addr)
{
	bool found;
	size_t i = find(t, family, addr, &found);

	return found ? t->s[i].n : 0;
}
