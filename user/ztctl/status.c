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
#include "loader.h"
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
static int print_daemon(struct zt_buf *b)
{
	char config[4096], name[64], when[32];
	__u32 pid, gen, rules, routes, devices, reloads, refused, ifindex;
	__u64 started;
	__u8 n, mode, i;
	struct tm tm;
	time_t t;

	if (zt_buf_get_u32(b, &pid) || zt_buf_get_u64(b, &started) ||
	    zt_buf_get_u32(b, &gen) || zt_buf_get_str(b, config, sizeof(config)) ||
	    zt_buf_get_u32(b, &rules) || zt_buf_get_u32(b, &routes) ||
	    zt_buf_get_u32(b, &devices) || zt_buf_get_u32(b, &reloads) ||
	    zt_buf_get_u32(b, &refused) || zt_buf_get_u8(b, &n))
		return -EBADMSG;
	t = (time_t)started;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	out_obj_start("daemon");
	out_bool("running", NULL, true);
	out_text("ztd: running\n");
	out_u64("pid", "  pid %llu", pid);
	out_str("started", ", since %s\n", when);
	out_str("config", "  config %s\n", config);
	out_u64("generation", "  policy generation %llu", gen);
	out_u64("reloads", " (%llu reloads", reloads);
	out_u64("reloads_refused", ", %llu refused)\n", refused);
	out_u64("rules", "  %llu rules", rules);
	out_u64("routes", ", %llu routes", routes);
	out_u64("devices", ", %llu devices\n", devices);
	out_text("  %-16s %-8s %s\n", "INTERFACE", "IFINDEX", "MODE");
	out_arr_start("interfaces");
	for (i = 0; i < n; i++) {
		if (zt_buf_get_u32(b, &ifindex) || zt_buf_get_str(b, name, sizeof(name)) ||
		    zt_buf_get_u8(b, &mode))
			return -EBADMSG;
		out_obj_start(NULL);
		out_str("name", "  %-16s ", name);
		out_u64("ifindex", "%-8llu ", ifindex);
		out_str("mode", "%s\n", zt_attach_mode_name(mode));
		out_obj_end();
	}
	out_arr_end();
	{
#define STAT_NAME(f, name) name,
		static const char *const k[] = { ZT_DNS_STATS(STAT_NAME) };
#undef STAT_NAME
		__u32 nl, niri;
		__u64 v;

		if (zt_buf_get_u32(b, &nl) || zt_buf_get_u32(b, &niri))
			return -EBADMSG;
		out_obj_start("dns");
		out_u64("listeners", "  dns: %llu listen addresses", nl);
		out_u64("iris", ", %llu IRIs allocated\n ", niri);
		for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
			if (zt_buf_get_u64(b, &v))
				return -EBADMSG;
			out_text(i && !(i % 6) ? "\n  %s" : " %s", k[i]);
			out_u64(k[i], " %llu", v);
		}
		out_text("\n");
		out_obj_end();
	}
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
