// SPDX-License-Identifier: GPL-2.0
/* test_ctl — the control socket's messages: what ztd puts, ztctl gets back
 * field for field; every truncation, a trailing byte, too many interfaces
 * and a foreign header are refused as -EBADMSG (a reply ztctl cannot read
 * is "an unreadable reply", never a half-filled status). */
#include <errno.h>
#include <string.h>
#include "ctl_msg.h"
#include "../lib/t.h"

static __u8 wire[8192];

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

int main(void)
{
	T_RUN(status_round_trip);
	T_RUN(status_bad_input);
	T_RUN(header_and_reload);
	return t_done();
}
