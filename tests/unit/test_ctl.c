// SPDX-License-Identifier: GPL-2.0
/* test_ctl — the control socket's messages: what ztd puts, ztctl gets back
 * field for field; every truncation, a trailing byte, too many interfaces
 * and a foreign header are refused as -EBADMSG (a reply ztctl cannot read
 * is "an unreadable reply", never a half-filled status). */
#include <errno.h>
#include <string.h>
#include <stdbool.h>
#include "ctl_msg.h"
#include "zt_abi.h"
#include "../lib/t.h"

static __u8 wire[8192];
static __u8 big[ZT_CTL_MAX_REPLY + 1];

/* p as put (past a page: its count and a page of entries), read back. */
static int reput(const struct zt_ctl_proxy_page *p, struct zt_ctl_proxy_page *out)
{
	struct zt_buf b;

	zt_buf_init(&b, big, sizeof(big));
	zt_ctl_proxy_page_put(&b, p);
	zt_buf_init(&b, big, b.off);
	return zt_ctl_proxy_page_get(&b, out);
}

static size_t put_status(struct zt_ctl_status *s)
{
	struct zt_buf b;
	size_t i;

	memset(s, 0, sizeof(*s));
	s->pid = 4242;
	s->started = 1780000000;
	s->generation = 7;
	strcpy(s->config, "/etc/zt/ztd.yaml");
	s->rules = 3; s->routes = 1000000; s->devices = 2;
	s->reloads = 5; s->reloads_refused = 1;
	s->n_ifaces = 2;
	s->ifaces[0] = (struct zt_ctl_iface){ .ifindex = 4, .name = "gw0", .mode = 1 };
	s->ifaces[1] = (struct zt_ctl_iface){ .ifindex = 9, .name = "priv0", .mode = 3 };
	s->dns_listen = 2;
	s->dns_iris = 11;
	for (i = 0; i < ZT_CTL_DNS_N_STATS; i++)
		s->dns[i] = 1000 + i;
	zt_buf_init(&b, wire, sizeof(wire));
	zt_ctl_status_put(&b, s);
	T_EQ(b.err, 0);
	return b.off;
}

static void status_round_trip(void)
{
	static struct zt_ctl_status in, out;
	size_t n = put_status(&in);
	struct zt_buf b;

	zt_buf_init(&b, wire, n);
	static __u8 again[sizeof(wire)];

	T_EQ(zt_ctl_status_get(&b, &out), 0);
	T_EQ(out.pid, 4242);
	T_EQ(out.started, 1780000000);
	T_ASSERT(!strcmp(out.config, in.config), "config");
	T_EQ(out.routes, 1000000);
	T_EQ(out.n_ifaces, 2);
	T_ASSERT(!strcmp(out.ifaces[1].name, "priv0") && out.ifaces[1].ifindex == 9 &&
		 out.ifaces[1].mode == 3, "interfaces");
	T_EQ(out.dns_iris, 11);
	T_EQ(out.dns[ZT_CTL_DNS_N_STATS - 1], 1000 + ZT_CTL_DNS_N_STATS - 1);
	/* And every other field: what was read puts the same bytes. */
	zt_buf_init(&b, again, sizeof(again));
	zt_ctl_status_put(&b, &out);
	T_EQ(b.off, n);
	T_ASSERT(!memcmp(again, wire, n), "read back, put again: the same bytes");
}

static void status_bad_input(void)
{
	static struct zt_ctl_status in, out;
	size_t n = put_status(&in), cut;
	struct zt_buf b;
	int bad = 0;

	for (cut = 0; cut < n; cut++) {
		zt_buf_init(&b, wire, cut);
		bad += zt_ctl_status_get(&b, &out) == -EBADMSG;
	}
	T_EQ(bad, n);
	wire[n] = 0;
	zt_buf_init(&b, wire, n + 1);
	T_EQ(zt_ctl_status_get(&b, &out), -EBADMSG);
	/* n_ifaces sits after the config string and eight u32/u64 fields. */
	{
		size_t at = 4 + 8 + 4 + 2 + strlen(in.config) + 5 * 4;

		T_EQ(wire[at], 2);
		wire[at] = ZT_CTL_MAX_IFACES + 1;
		zt_buf_init(&b, wire, n);
		T_EQ(zt_ctl_status_get(&b, &out), -EBADMSG);
		wire[at] = 2;
		/* A NUL inside a string. */
		wire[4 + 8 + 4 + 2 + 3] = 0;
		zt_buf_init(&b, wire, n);
		T_EQ(zt_ctl_status_get(&b, &out), -EBADMSG);
	}
}

static void header_and_reload(void)
{
	struct zt_ctl_reload r = { .generation = 99 }, g;
	struct zt_ctl_hdr h;
	struct zt_buf b;

	zt_buf_init(&b, wire, sizeof(wire));
	zt_ctl_hdr_put(&b, ZT_CTL_RELOAD);
	zt_ctl_reload_put(&b, &r);
	T_EQ(b.err, 0);
	T_EQ(b.off, 12);
	zt_buf_init(&b, wire, 12);
	T_EQ(zt_ctl_hdr_get(&b, &h), 0);
	T_EQ(h.version, ZT_CTL_VERSION);
	T_EQ(h.type, ZT_CTL_RELOAD);
	T_EQ(zt_ctl_reload_get(&b, &g), 0);
	T_EQ(g.generation, 99);
	zt_buf_init(&b, wire, 11);
	T_EQ(zt_ctl_hdr_get(&b, &h), 0);
	T_EQ(zt_ctl_reload_get(&b, &g), -EBADMSG);
	wire[0] ^= 1;
	zt_buf_init(&b, wire, 12);
	T_EQ(zt_ctl_hdr_get(&b, &h), -EBADMSG);
	zt_buf_init(&b, wire, 3);
	T_EQ(zt_ctl_hdr_get(&b, &h), -EBADMSG);
}

static size_t put_page(struct zt_ctl_proxy_page *p, size_t n, bool longest)
{
	struct zt_buf b;
	size_t i;

	memset(p, 0, sizeof(*p));
	p->live = 1000;
	p->n = (__u8)n;
	for (i = 0; i < n; i++) {
		struct zt_ctl_pconn *c = &p->c[i];

		c->id = 10 + 3 * i;
		c->family = i % 2 ? ZT_AF_INET6 : ZT_AF_INET;
		c->src[0] = 10; c->dst[0] = 100; c->dst[15] = (__u8)i;
		c->sport = 40000; c->dport = 443;
		c->state = ZT_CTL_PC_RELAY;
		c->detected = 1;
		c->verdict = 2;
		c->rule_id = 7;
		c->bytes_up = 517; c->bytes_down = 1ull << 40; c->age_ms = 61000;
		strcpy(c->iface, "gw0");
		strcpy(c->user, "admin@example.com");
		strcpy(c->name, "app.internal.local");
		strcpy(c->rule, "app by SNI");
		if (longest) {
			memset(c->device, 'd', sizeof(c->device) - 1);
			memset(c->hostname, 'h', sizeof(c->hostname) - 1);
			memset(c->rule, 'r', sizeof(c->rule) - 1);
			memset(c->user, 'u', sizeof(c->user) - 1);
			memset(c->name, 'n', sizeof(c->name) - 1);
			memset(c->iface, 'i', sizeof(c->iface) - 1);
		}
	}
	p->next = n ? p->c[n - 1].id : 0;
	zt_buf_init(&b, big, sizeof(big));
	zt_ctl_proxy_page_put(&b, p);
	T_EQ(b.err, 0);
	return b.off;
}

/* A page of connections as ztd puts it is what ztctl reads, field for
 * field; the fullest page (every string at its longest) fits a reply
 * with its header, status and an empty message. */
static void proxy_page_round_trip(void)
{
	static struct zt_ctl_proxy_page in, out, again_p;
	static __u8 again[sizeof(big)];
	size_t n = put_page(&in, 2, false);
	struct zt_buf b;

	zt_buf_init(&b, big, n);
	T_EQ(zt_ctl_proxy_page_get(&b, &out), 0);
	T_EQ(out.live, 1000);
	T_EQ(out.n, 2);
	T_EQ(out.next, 13);
	T_EQ(out.c[1].family, ZT_AF_INET6);
	T_EQ(out.c[1].dst[15], 1);
	T_EQ(out.c[0].bytes_down, 1ull << 40);
	T_ASSERT(!strcmp(out.c[1].rule, "app by SNI") && !strcmp(out.c[0].iface, "gw0") &&
		 !out.c[0].device[0], "strings");
	zt_buf_init(&b, again, sizeof(again));
	zt_ctl_proxy_page_put(&b, &out);
	T_EQ(b.off, n);
	T_ASSERT(!memcmp(again, big, n), "read back, put again: the same bytes");
	n = put_page(&in, ZT_CTL_PROXY_PAGE, true);
	T_ASSERT(n <= ZT_CTL_MAX_REPLY - 8 - 4 - 2, "the fullest page fits a reply");
	zt_buf_init(&b, big, n);
	T_EQ(zt_ctl_proxy_page_get(&b, &again_p), 0);
	T_EQ(strlen(again_p.c[31].hostname), ZT_CTL_STR_MAX - 1);
	/* The last page: no next. An empty list: nothing at all. */
	n = put_page(&in, 0, false);
	zt_buf_init(&b, big, n);
	T_EQ(zt_ctl_proxy_page_get(&b, &out), 0);
	T_EQ(out.n + out.next, 0);
}

/* Every truncation, a trailing byte, more than a page, ids that do not
 * rise, a next before the page's last id (a client paging on it would
 * never end), a bad family or state: -EBADMSG. */
static void proxy_page_bad_input(void)
{
	static struct zt_ctl_proxy_page in, out;
	size_t n = put_page(&in, 3, false), cut;
	struct zt_buf b;
	int bad = 0;

	for (cut = 0; cut < n; cut++) {
		zt_buf_init(&b, big, cut);
		bad += zt_ctl_proxy_page_get(&b, &out) == -EBADMSG;
	}
	T_EQ(bad, n);
	big[n] = 0;
	zt_buf_init(&b, big, n + 1);
	T_EQ(zt_ctl_proxy_page_get(&b, &out), -EBADMSG);
	in.n = ZT_CTL_PROXY_PAGE + 1;
	T_EQ(reput(&in, &out), -EBADMSG);
	put_page(&in, 3, false);
	in.c[2].id = in.c[1].id;
	T_EQ(reput(&in, &out), -EBADMSG);
	put_page(&in, 3, false);
	in.c[0].id = 0;
	T_EQ(reput(&in, &out), -EBADMSG);
	put_page(&in, 3, false);
	in.next = in.c[2].id - 1;
	T_EQ(reput(&in, &out), -EBADMSG);
	put_page(&in, 3, false);
	in.c[1].family = 7;
	T_EQ(reput(&in, &out), -EBADMSG);
	put_page(&in, 3, false);
	in.c[1].state = ZT_CTL_PC_RELAY + 1;
	T_EQ(reput(&in, &out), -EBADMSG);
	put_page(&in, 0, false);
	in.next = 5;
	T_EQ(reput(&in, &out), -EBADMSG);
}

int main(void)
{
	T_RUN(status_round_trip);
	T_RUN(status_bad_input);
	T_RUN(header_and_reload);
	T_RUN(proxy_page_round_trip);
	T_RUN(proxy_page_bad_input);
	return t_done();
}
