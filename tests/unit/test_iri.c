// SPDX-License-Identifier: GPL-2.0
/* test_iri — IRI allocation: sticky per {name, vnet, family}; never the
 * network or broadcast address; a full pool reuses only an allocation that
 * is idle and that no flow uses, else says it is exhausted; the state file
 * brings every allocation back after a restart and skips what it cannot use. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "iri.h"
#include "zt_abi.h"
#include "../lib/t.h"

static struct zt_prefix pfx(const char *s)
{
	struct zt_prefix p;

	zt_prefix_parse(s, &p);
	return p;
}

static void sticky_and_distinct(void)
{
	struct zt_prefix v4 = pfx("100.80.0.0/16"), v6 = pfx("fd7a:5a7e::/64");
	struct zt_iri_pool p;
	bool fresh;
	long a, b, c, d, e;

	T_EQ(zt_iri_pool_init(&p, &v4, &v6, 1000, 300), 0);
	a = zt_iri_get(&p, "ssh.internal.local", 1, ZT_AF_INET, 100, NULL, NULL, 0, &fresh);
	T_ASSERT(a >= 0 && fresh, "first allocation");
	T_ASSERT(!memcmp(p.a[a].addr, "\x64\x50\x00\x01", 4), "first host address, not .0");
	b = zt_iri_get(&p, "ssh.internal.local", 1, ZT_AF_INET, 200, NULL, NULL, 0, &fresh);
	T_EQ(b, a);
	T_ASSERT(!fresh, "sticky");
	T_EQ(p.a[a].last_answer, 200);
	c = zt_iri_get(&p, "ssh.internal.local", 2, ZT_AF_INET, 200, NULL, NULL, 0, &fresh);
	T_ASSERT(c >= 0 && c != a && memcmp(p.a[c].addr, p.a[a].addr, 16), "other vnet, other IRI");
	d = zt_iri_get(&p, "ssh.internal.local", 1, ZT_AF_INET6, 200, NULL, NULL, 0, &fresh);
	T_ASSERT(d >= 0 && p.a[d].family == ZT_AF_INET6, "AAAA from the IPv6 pool");
	T_EQ(p.a[d].addr[0], 0xfd);
	T_EQ(p.a[d].addr[15], 1);
	T_EQ(zt_iri_find_addr(&p, ZT_AF_INET, p.a[c].addr), c);
	/* No IPv6 pool: refused for AAAA. */
	v6.family = 0;
	zt_iri_pool_reprefix(&p, &v4, &v6);
	e = zt_iri_get(&p, "x.internal.local", 1, ZT_AF_INET6, 200, NULL, NULL, 0, &fresh);
	T_EQ(e, -EAFNOSUPPORT);
	T_EQ(p.n, 2); /* the IPv6 allocation went with its pool */
	zt_iri_pool_free(&p);
}

static const __u8 *busy;

static bool in_use(void *arg, const struct zt_iri *iri)
{
	(void)arg;
	return busy && !memcmp(iri->addr, busy, 4);
}

static void exhaustion_and_reclaim(void)
{
	struct zt_prefix v4 = pfx("10.99.0.0/30"), v6 = { 0 };
	struct zt_iri_pool p;
	bool fresh;
	long a, b, c;
	int i;

	/* A /30 holds two usable addresses (.1 and .2). */
	T_EQ(zt_iri_pool_init(&p, &v4, &v6, 100, 60), 0);
	a = zt_iri_get(&p, "a.x", 1, ZT_AF_INET, 1000, in_use, NULL, 0, &fresh);
	b = zt_iri_get(&p, "b.x", 1, ZT_AF_INET, 1010, in_use, NULL, 0, &fresh);
	T_ASSERT(a >= 0 && b >= 0, "two fit");
	T_EQ(p.a[a].addr[3], 1);
	T_EQ(p.a[b].addr[3], 2);
	/* Both answered within the idle time: exhausted. */
	T_EQ(zt_iri_get(&p, "c.x", 1, ZT_AF_INET, 1030, in_use, NULL, 0, &fresh), -ENOSPC);
	/* Both idle, but a flow still uses the older one: the other is reused. */
	busy = p.a[a].addr;
	c = zt_iri_get(&p, "c.x", 1, ZT_AF_INET, 2000, in_use, NULL, 0, &fresh);
	T_EQ(c, b);
	T_ASSERT(fresh && !strcmp(p.a[c].name, "c.x"), "reused for c.x");
	T_EQ(p.a[c].addr[3], 2);
	/* b.x lost its IRI; c.x is found by name. */
	T_EQ(zt_iri_get(&p, "c.x", 1, ZT_AF_INET, 2001, in_use, NULL, 0, &fresh), c);
	T_ASSERT(!fresh, "sticky after reuse");
	/* Still busy, c just answered: exhausted again. */
	T_EQ(zt_iri_get(&p, "d.x", 1, ZT_AF_INET, 2010, in_use, NULL, 0, &fresh), -ENOSPC);
	busy = NULL;
	T_EQ(zt_iri_get(&p, "d.x", 1, ZT_AF_INET, 2010, in_use, NULL, 0, &fresh), a);
	zt_iri_pool_free(&p);

	/* The max caps allocations even with addresses left. */
	v4 = pfx("10.98.0.0/16");
	T_EQ(zt_iri_pool_init(&p, &v4, &v6, 3, 60), 0);
	for (i = 0; i < 3; i++) {
		char n[16];

		snprintf(n, sizeof(n), "h%d.x", i);
		T_ASSERT(zt_iri_get(&p, n, 1, ZT_AF_INET, 5, NULL, NULL, 0, &fresh) >= 0, "%s", n);
	}
	T_EQ(zt_iri_get(&p, "h9.x", 1, ZT_AF_INET, 5, NULL, NULL, 0, &fresh), -ENOSPC);
	zt_iri_pool_free(&p);
}

/* One owner (a user asking through a wildcard) holds at most owner_max
 * live allocations: the next is -EDQUOT and changes nothing, while another
 * owner, an exact name (owner 0) and names already allocated still get
 * theirs; an allocation reused for another name, or dropped by a new pool,
 * gives its owner one back. On the old code one user took the pool. */
static void owner_cap(void)
{
	struct zt_prefix v4 = pfx("10.97.0.0/29"), v6 = { 0 };
	struct zt_iri_pool p;
	bool fresh;
	long a, x;
	int i;

	/* A /29: six addresses. */
	T_EQ(zt_iri_pool_init(&p, &v4, &v6, 100, 60), 0);
	p.owner_max = 3;
	for (i = 0; i < 3; i++) {
		char n[16];

		snprintf(n, sizeof(n), "r%d.w", i);
		T_ASSERT(zt_iri_get(&p, n, 1, ZT_AF_INET, 10, NULL, NULL, 7, &fresh) >= 0, "%s", n);
	}
	T_EQ(zt_iri_get(&p, "r3.w", 1, ZT_AF_INET, 10, NULL, NULL, 7, &fresh), -EDQUOT);
	T_EQ(zt_iri_find(&p, "r3.w", 1, ZT_AF_INET), -1);
	T_EQ(p.n, 3);
	/* Names it already has, another owner's, an exact name. */
	T_ASSERT(zt_iri_get(&p, "r0.w", 1, ZT_AF_INET, 11, NULL, NULL, 7, &fresh) >= 0 && !fresh,
		 "its own name again");
	a = zt_iri_get(&p, "s0.w", 1, ZT_AF_INET, 11, NULL, NULL, 8, &fresh);
	T_ASSERT(a >= 0 && fresh, "another owner");
	T_ASSERT(zt_iri_get(&p, "exact.x", 1, ZT_AF_INET, 11, NULL, NULL, 0, &fresh) >= 0,
		 "an exact name");
	x = zt_iri_get(&p, "s1.w", 1, ZT_AF_INET, 12, NULL, NULL, 8, &fresh); /* the sixth */
	T_ASSERT(x >= 0, "the pool's last address");
	/* Full: owner 7's r1.w, unanswered longest (r0.w was asked again
	 * at 11), is reused for owner 8, and 7 may make one again. */
	T_EQ(zt_iri_get(&p, "s2.w", 1, ZT_AF_INET, 200, NULL, NULL, 8, &fresh) >= 0, 1);
	T_EQ(zt_iri_find(&p, "r1.w", 1, ZT_AF_INET), -1);
	T_EQ(p.owned[7], 2);
	T_EQ(p.owned[8], 3);
	T_EQ(zt_iri_get(&p, "s3.w", 1, ZT_AF_INET, 201, NULL, NULL, 8, &fresh), -EDQUOT);
	/* A new pool without these addresses: every count goes back. */
	v4 = pfx("10.96.0.0/29");
	T_EQ(zt_iri_pool_reprefix(&p, &v4, &v6), 6);
	T_EQ(p.owned[7], 0);
	T_EQ(p.owned[8], 0);
	T_ASSERT(zt_iri_get(&p, "s3.w", 1, ZT_AF_INET, 202, NULL, NULL, 8, &fresh) >= 0,
		 "after the reprefix");
	zt_iri_pool_free(&p);
}

static const char *vname(void *arg, __u32 id)
{
	(void)arg;
	return id == 1 ? "default" : id == 2 ? "b1net" : NULL;
}

static __u32 vid(void *arg, const char *name)
{
	(void)arg;
	return !strcmp(name, "default") ? 1 : !strcmp(name, "b1net") ? 7 : 0;
}

static void state_file_round_trip(void)
{
	struct zt_prefix v4 = pfx("100.80.0.0/16"), v6 = pfx("fd7a:5a7e::/64");
	struct zt_iri_pool p, q;
	char dir[] = "/tmp/zt-iri.XXXXXX", path[64];
	bool fresh;
	long a, b, c;
	size_t skipped;
	FILE *f;

	T_ASSERT(mkdtemp(dir), "mkdtemp");
	snprintf(path, sizeof(path), "%s/iri.state", dir);
	zt_iri_pool_init(&p, &v4, &v6, 100, 60);
	zt_iri_get(&p, "first.x", 1, ZT_AF_INET, 10, NULL, NULL, 0, &fresh);
	a = zt_iri_get(&p, "ssh.internal.local", 1, ZT_AF_INET, 11, NULL, NULL, 0, &fresh);
	b = zt_iri_get(&p, "ssh.internal.local", 2, ZT_AF_INET6, 12, NULL, NULL, 0, &fresh);
	T_EQ(zt_iri_save(&p, path, vname, NULL), 0);
	f = fopen(path, "a");
	fprintf(f, "garbage line\nipv4 10.0.0.1 default out.of.pool 5\n"
		"ipv4 100.80.9.9 nosuchvnet a.b 5\nipv4 100.80.0.1 default dup.addr 5\n");
	fclose(f);

	zt_iri_pool_init(&q, &v4, &v6, 100, 60);
	T_EQ(zt_iri_load(&q, path, vid, NULL, &skipped), 0);
	T_EQ(q.n, 3);
	T_EQ(skipped, 4);
	c = zt_iri_get(&q, "ssh.internal.local", 1, ZT_AF_INET, 20, NULL, NULL, 0, &fresh);
	T_ASSERT(c >= 0 && !fresh && !memcmp(q.a[c].addr, p.a[a].addr, 16),
		 "the same IRI after a restart");
	c = zt_iri_get(&q, "ssh.internal.local", 7, ZT_AF_INET6, 20, NULL, NULL, 0, &fresh);
	T_ASSERT(c >= 0 && !fresh && !memcmp(q.a[c].addr, p.a[b].addr, 16),
		 "vnet matched by name, not id");
	/* A new allocation does not take a loaded address. */
	c = zt_iri_get(&q, "new.x", 1, ZT_AF_INET, 20, NULL, NULL, 0, &fresh);
	T_ASSERT(c >= 0 && fresh && q.a[c].addr[3] == 3, "next free address");
	T_EQ(zt_iri_load(&q, "/nonexistent/iri.state", vid, NULL, &skipped), -ENOENT);
	zt_iri_pool_free(&p);
	zt_iri_pool_free(&q);
	unlink(path);
	rmdir(dir);
}

/* Every pairing of an address with a name has its own epoch: a reused
 * address gets a new one, a restart keeps them (and files without them
 * load), and no epoch at or below the kernel map's highest is given. */
static void epochs(void)
{
	struct zt_prefix v4 = pfx("100.80.0.0/30"), v6 = pfx("fd7a:5a7e::/64");
	struct zt_iri_pool p, q;
	char dir[] = "/tmp/zt-iri.XXXXXX", path[64];
	bool fresh;
	long a, b, c;
	__u32 ea, eb;
	size_t skipped;
	FILE *f;

	T_ASSERT(mkdtemp(dir), "mkdtemp");
	snprintf(path, sizeof(path), "%s/iri.state", dir);
	zt_iri_pool_init(&p, &v4, &v6, 100, 60);
	a = zt_iri_get(&p, "a.x", 1, ZT_AF_INET, 10, NULL, NULL, 0, &fresh);
	b = zt_iri_get(&p, "b.x", 1, ZT_AF_INET, 11, NULL, NULL, 0, &fresh);
	ea = p.a[a].epoch, eb = p.a[b].epoch;
	T_ASSERT(ea && eb && ea != eb, "distinct epochs %u %u", ea, eb);
	T_EQ(zt_iri_get(&p, "a.x", 1, ZT_AF_INET, 12, NULL, NULL, 0, &fresh), a);
	T_EQ(p.a[a].epoch, ea); /* sticky: the same pairing */
	T_EQ(zt_iri_get(&p, "b.x", 1, ZT_AF_INET, 13, NULL, NULL, 0, &fresh), b);
	c = zt_iri_get(&p, "c.x", 1, ZT_AF_INET, 100, NULL, NULL, 0, &fresh); /* reuses a.x's */
	T_EQ(c, a);
	T_ASSERT(fresh && p.a[c].epoch > eb, "a reused address gets a new epoch (%u)", p.a[c].epoch);
	T_EQ(zt_iri_save(&p, path, vname, NULL), 0);
	zt_iri_pool_init(&q, &v4, &v6, 100, 60);
	T_EQ(zt_iri_load(&q, path, vid, NULL, &skipped), 0);
	zt_iri_epoch_floor(&q, 0);
	T_EQ(q.a[zt_iri_find(&q, "c.x", 1, ZT_AF_INET)].epoch, p.a[c].epoch);
	T_EQ(q.a[zt_iri_find(&q, "b.x", 1, ZT_AF_INET)].epoch, eb);
	zt_iri_pool_free(&q);
	/* A file of the old format (no epochs), and a map holding 500. */
	f = fopen(path, "w");
	fprintf(f, "ipv4 100.80.0.1 default old.x 5\n");
	fclose(f);
	zt_iri_pool_init(&q, &v4, &v6, 100, 60);
	T_EQ(zt_iri_load(&q, path, vid, NULL, &skipped), 0);
	zt_iri_epoch_floor(&q, 500);
	T_EQ(q.a[0].epoch, 501);
	c = zt_iri_get(&q, "new.x", 1, ZT_AF_INET, 20, NULL, NULL, 0, &fresh);
	T_EQ(q.a[c].epoch, 502);
	zt_iri_pool_free(&p);
	zt_iri_pool_free(&q);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	T_RUN(sticky_and_distinct);
	T_RUN(exhaustion_and_reclaim);
	T_RUN(state_file_round_trip);
	T_RUN(epochs);
	T_RUN(owner_cap);
	return t_done();
}
