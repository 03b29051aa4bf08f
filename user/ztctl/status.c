// SPDX-License-Identifier: GPL-2.0
/* status.c — `ztctl status`: whether ztd answers on its control socket,
 * what it runs (interfaces and attach mode, generation, counts), and what
 * the kernel still enforces from the pinned maps when it does not. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include "ctl.h"
#include "ctl_msg.h"
#include "maps.h"
#include "out.h"
#include "zt_abi.h"
#include "ztctl.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: ztctl [-j|-p] [--socket PATH] status\n\n"
		"Says whether ztd is running (asks it on its control socket, default\n"
		"%s): its pid, config, policy generation, reloads, the rule,\n"
		"route and device counts, each interface with its attach mode, and the DNS\n"
		"server's listeners, IRI allocations and counters; then\n"
		"what the kernel enforces from the pinned maps (generation, cached flows),\n"
		"which stays in force while ztd is down.\n"
		"Exit status: 0 ztd running, 3 ztd not running, 1 another error.\n",
		ZT_CTL_SOCKET);
}

static __u64 count_keys(int fd)
{
	__u8 k[64], next[64];
	void *prev = NULL;
	__u64 n = 0;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(k, next, sizeof(k));
		prev = k;
		n++;
	}
	return n;
}

/* The daemon's answer, printed; 0 or -EBADMSG when it does not parse. */
/* NAME VALUE pairs, per_line to a line in text, an object's fields in JSON. */
static void counters(const char *const *names, const __u64 *v, size_t n, size_t per_line)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out_text(i && !(i % per_line) ? "\n  %s" : " %s", names[i]);
		out_u64(names[i], " %llu", v[i]);
	}
	out_text("\n");
}

static int print_daemon(struct zt_buf *b)
{
#define STAT_NAME(f, name) name,
	static const char *const k[] = { ZT_DNS_STATS(STAT_NAME) };
	static const char *const pk[] = { ZT_PROXY_STATS(STAT_NAME) };
	static const char *const tk[] = { ZT_TUNNEL_STATS(STAT_NAME) };
#undef STAT_NAME
	static struct zt_ctl_status s;
	char when[32];
	struct tm tm;
	time_t t;
	size_t i;

	if (zt_ctl_status_get(b, &s))
		return -EBADMSG;
	t = (time_t)s.started;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	out_obj_start("daemon");
	out_bool("running", NULL, true);
	out_text("ztd: running\n");
	out_u64("pid", "  pid %llu", s.pid);
	out_str("started", ", since %s\n", when);
	out_str("config", "  config %s\n", s.config);
	out_u64("generation", "  policy generation %llu", s.generation);
	out_u64("reloads", " (%llu reloads", s.reloads);
	out_u64("reloads_refused", ", %llu refused)\n", s.reloads_refused);
	out_u64("rules", "  %llu rules", s.rules);
	out_u64("routes", ", %llu routes", s.routes);
	out_u64("devices", ", %llu devices\n", s.devices);
	out_text("  %-16s %-8s %s\n", "INTERFACE", "IFINDEX", "MODE");
	out_arr_start("interfaces");
	for (i = 0; i < s.n_ifaces; i++) {
		out_obj_start(NULL);
		out_str("name", "  %-16s ", s.ifaces[i].name);
		out_u64("ifindex", "%-8llu ", s.ifaces[i].ifindex);
		out_str("mode", "%s\n", zt_attach_mode_name(s.ifaces[i].mode));
		out_obj_end();
	}
	out_arr_end();
	out_obj_start("dns");
	out_u64("listeners", "  dns: %llu listen addresses", s.dns_listen);
	out_u64("iris", ", %llu IRIs allocated\n ", s.dns_iris);
	counters(k, s.dns, sizeof(k) / sizeof(k[0]), 6);
	out_obj_end();
	out_obj_start("proxy");
	out_u64("live", "  proxy: %llu connections\n ", s.proxy_live);
	counters(pk, s.proxy, sizeof(pk) / sizeof(pk[0]), 5);
	out_obj_end();
	out_obj_start("tunnels");
	out_text("  tunnels (every remote tunnel; each one's: ztctl tunnel list):\n ");
	counters(tk, s.tunnel, sizeof(tk) / sizeof(tk[0]), 4);
	out_obj_end();
	out_obj_end();
	return 0;
}

int status_main(int argc, char **argv)
{
	static struct zt_ctl_reply r;
	static char why[ZT_CTL_MAX_REPLY + 512];
	struct zt_map_fds m;
	struct zt_state st;
	__u32 zero = 0;
	int err, rc;

	if ((rc = ztctl_no_args(argc, argv, "status", usage)) >= 0)
		return rc;
	out_obj_start(NULL);
	err = zt_ctl_call(ztctl_socket, ZT_CTL_STATUS, NULL, 0, 5000, &r);
	if (!err && r.status)
		err = r.status;
	if (!err)
		err = print_daemon(&r.body);
	if (err) {
		out_obj_start("daemon");
		out_bool("running", NULL, false);
		snprintf(why, sizeof(why), "%s: %s", ztctl_socket,
			 err == -EBADMSG ? "an unreadable reply" :
			 r.status ? r.message : strerror(-err));
		out_text("ztd: not running");
		out_str("why", " (%s)\n", why);
		out_obj_end();
		rc = (err == -ENOENT || err == -ECONNREFUSED) ? 3 : 1;
	} else {
		rc = 0;
	}
	out_obj_start("kernel");
	if (zt_maps_open_pinned(ztctl_pin_root, &m)) {
		out_bool("pinned", NULL, false);
		out_text("kernel: no zt maps pinned under %s: nothing is enforced\n", ztctl_pin_root);
	} else {
		bpf_map_lookup_elem(m.state, &zero, &st);
		out_bool("pinned", NULL, true);
		out_text("kernel: maps pinned under %s\n", ztctl_pin_root);
		out_u64("generation", "  enforcing policy generation %llu",
			st.half[st.active & 1].generation);
		out_u64("flows", ", %llu cached flows", count_keys(m.flows));
		out_u64("drops", ", %llu cached drops\n", count_keys(m.drops));
		zt_maps_close(&m);
	}
	out_obj_end();
	out_obj_end();
	return rc;
}
