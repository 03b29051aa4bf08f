// SPDX-License-Identifier: GPL-2.0
/* ztctl — the operator's CLI: a table of subcommands (as wireguard-tools'
 * wg.c), each in a file of its own, each with --help. */
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include "config.h"
#include "log.h"
#include "names.h"
#include "out.h"
#include "zt_abi.h"
#include "zt_ctl.h"
#include "ztctl.h"

const char *ztctl_pin_root = ZT_PIN_ROOT;
const char *ztctl_names_path = ZT_NAMES_PATH;
const char *ztctl_socket = ZT_CTL_SOCKET;

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} subcommands[] = {
	{ "status", status_main, "status: is ztd running, on which interfaces, which policy" },
	{ "reload", reload_main, "reload: re-read the config; prints its errors if refused" },
	{ "maps", maps_main, "maps dump [routes|devices|iri|flows|drops|nat|policy|stats]: what the kernel holds" },
	{ "policy", policy_main, "policy test --src IP (--dst IP | --host NAME) --proto P [--dport N] "
				 "[--sni NAME | --http-host NAME] [--detected-protocol P]: which rule decides" },
	{ "proxy", proxy_main, "proxy list: the L7 proxy's live connections" },
	{ "tunnel", tunnel_main, "tunnel create|token|rotate|delete NAME, list, status NAME: "
				 "remote tunnels' credentials and health" },
	{ "user", user_main, "user token --email EMAIL [--group G]... [--vnet V] [--ttl D], "
			     "revoke ID: users' access tokens" },
	{ "access", access_main, "access ssh|tcp --hostname HOST ...: reach a host through its "
				 "tunnel (ProxyCommand)" },
	{ "split-tunnel", split_tunnel_main, "split-tunnel [--format routes|wireguard]: what a "
					     "device routes to the gateway" },
	{ "dns", dns_main, "dns test NAME [--user EMAIL] [--type A|AAAA]: what the gateway answers, "
			   "and why" },
	{ "cidr", cidr_main, "cidr subtract BASE SUB...: the prefixes of BASE outside every SUB" },
};

int ztctl_no_args(int argc, char **argv, const char *cmd, void (*usage)(FILE *f))
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc > 1) {
		out_error("%s takes no arguments; see ztctl %s --help", cmd, cmd);
		return 2;
	}
	return -1;
}

int ztctl_verb(int argc, char **argv, const char *cmd, const char *verb,
	       void (*usage)(FILE *f))
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], verb)) {
		out_error("unknown %s command '%s' (%s); see ztctl %s --help", cmd, argv[1], verb,
			  cmd);
		return 2;
	}
	return -1;
}

int ztctl_usage_error(const char *cmd, const char *what, const char *arg)
{
	out_error("%s '%s'; see ztctl %s --help", what, arg, cmd);
	return 2;
}

int ztctl_config_load(const char *path, struct zt_config *cfg)
{
	struct zt_cfg_errors e;
	struct zt_names names = { 0 };
	int err;

	memset(cfg, 0, sizeof(*cfg));
	if (!path) {
		if (zt_names_read(ztctl_names_path, &names) || !names.config) {
			out_error("no --config given, and ztd has recorded no config in %s; "
				  "pass --config FILE", ztctl_names_path);
			zt_names_free(&names);
			return -ENOENT;
		}
		path = names.config;
	}
	err = zt_config_load(path, cfg, &e);
	if (err && e.n) {
		zt_cfg_errors_print(&e, stderr);
		out_error("%s is invalid (errors above)", path);
	} else if (err) {
		out_error("%s: %s", path, strerror(-err));
	}
	zt_cfg_errors_free(&e);
	zt_names_free(&names);
	return err;
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: ztctl [-j|-p] [--pin-root DIR] [--socket PATH] COMMAND [ARGS]\n\n"
		"  -j            JSON output\n"
		"  -p            pretty JSON output\n"
		"  --pin-root    where ztd pinned its maps (default %s)\n"
		"  --socket      ztd's control socket (default %s)\n\n"
		"commands:\n", ZT_PIN_ROOT, ZT_CTL_SOCKET);
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %-12s %s\n", subcommands[i].name, subcommands[i].help);
	fprintf(f, "\n'ztctl COMMAND --help' describes each command.\n");
}

int main(int argc, char **argv)
{
	int i = 1;
	size_t k;

	zt_log_level = ZT_LOG_WARN;
	if (getenv("ZT_NAMES_PATH"))
		ztctl_names_path = getenv("ZT_NAMES_PATH");
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-j")) {
			zt_out_mode = ZT_OUT_JSON;
		} else if (!strcmp(argv[i], "-p")) {
			zt_out_mode = ZT_OUT_PRETTY;
		} else if (!strcmp(argv[i], "--pin-root") && i + 1 < argc) {
			ztctl_pin_root = argv[++i];
		} else if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
			ztctl_socket = argv[++i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			out_error("unknown option '%s'; see ztctl --help", argv[i]);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	for (k = 0; k < sizeof(subcommands) / sizeof(subcommands[0]); k++)
		if (!strcmp(argv[i], subcommands[k].name))
			return subcommands[k].fn(argc - i, argv + i);
	out_error("unknown command '%s'; see ztctl --help", argv[i]);
	return 2;
}
