// SPDX-License-Identifier: GPL-2.0
/* split_tunnel.c — `ztctl split-tunnel`: what a device must route to the
 * gateway under the config's split_tunnels: in exclude mode everything but
 * the entries (0.0.0.0/0 and ::/0 minus them), in include mode the entries
 * alone; as `ip route` lines or a WireGuard AllowedIPs line. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "addr.h"
#include "config.h"
#include "out.h"
#include "ztctl.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: ztctl [-j|-p] split-tunnel [--config FILE] [--format routes|wireguard]\n"
		"                   [--dev NAME]\n\n"
		"Prints what a device must send to the gateway for the configured\n"
		"split_tunnels: mode exclude sends everything except the entries, mode\n"
		"include only the entries (no split_tunnels: everything).\n"
		"  --config FILE  the config (default: the file ztd last applied)\n"
		"  --format       routes: 'ip route add PREFIX dev NAME' lines (default)\n"
		"                 wireguard: one 'AllowedIPs = ...' line for wg-quick\n"
		"  --dev NAME     the device's tunnel interface in route lines (default zt0)\n");
}

struct emit_ctx {
	bool wireguard;
	const char *dev;
	size_t n;
};

static void emit(void *arg, const struct zt_prefix *q)
{
	struct emit_ctx *x = arg;
	char buf[ZT_PREFIX_STRLEN];

	zt_prefix_str(q, buf, sizeof(buf));
	if (zt_out_json())
		out_str(NULL, NULL, buf);
	else if (x->wireguard)
		printf("%s%s", x->n ? ", " : "AllowedIPs = ", buf);
	else
		printf("ip route add %s dev %s\n", buf, x->dev);
	x->n++;
}

int split_tunnel_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, 0, 'c' }, { "format", required_argument, 0, 'f' },
		{ "dev", required_argument, 0, 'd' },    { "help", no_argument, 0, 'h' },
		{ 0 }
	};
	struct emit_ctx x = { .dev = "zt0" };
	struct zt_config cfg = { 0 };
	struct zt_prefix all[2];
	const char *path = NULL;
	size_t i;
	int opt, rc = 1;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'd': x.dev = optarg; break;
		case 'f':
			if (!strcmp(optarg, "wireguard")) {
				x.wireguard = true;
			} else if (strcmp(optarg, "routes")) {
				out_error("--format '%s': say routes or wireguard", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default:
			return ztctl_usage_error("split-tunnel", "unknown or incomplete option",
					 argv[optind - 1]);
		}
	}
	if (optind < argc)
		return ztctl_usage_error("split-tunnel", "unexpected argument", argv[optind]);
	if (ztctl_config_load(path, &cfg))
		goto out;
	zt_prefix_parse("0.0.0.0/0", &all[0]);
	zt_prefix_parse("::/0", &all[1]);
	out_obj_start(NULL);
	out_str("mode", NULL, cfg.split_include ? "include" : "exclude");
	out_arr_start("prefixes");
	if (cfg.split_include) {
		for (i = 0; i < cfg.n_split; i++)
			emit(&x, &cfg.split[i]);
	} else {
		zt_prefix_subtract(&all[0], cfg.split, cfg.n_split, emit, &x);
		zt_prefix_subtract(&all[1], cfg.split, cfg.n_split, emit, &x);
	}
	out_arr_end();
	out_obj_end();
	if (x.wireguard && !zt_out_json())
		printf("%s\n", x.n ? "" : "# nothing is routed to the gateway");
	rc = 0;
out:
	zt_config_free(&cfg);
	return rc;
}
