// SPDX-License-Identifier: GPL-2.0
/* tunnel.c — `ztctl tunnel`: a remote tunnel's credentials (create,
 * token, rotate, delete; ztd makes and keeps them) and its health (list,
 * status NAME), asked of ztd on its control socket (TUNNEL, TUNNEL_LIST). */
#include <stdio.h>
#include <string.h>
#include "ctl.h"
#include "ctl_tunnel.h"
#include "out.h"
#include "ztctl.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ztctl [-j|-p] [--socket PATH] tunnel VERB ...\n\n"
		"  create NAME [--output FILE]  make the credentials of remote tunnel NAME (it\n"
		"                               must be in the config, without local) and print\n"
		"                               the token its ztconnector runs with\n"
		"  token NAME [--output FILE]   print that token again\n"
		"  rotate NAME [--output FILE]  a new secret: the old token stops working and\n"
		"                               the tunnel's connections are closed\n"
		"  delete NAME                  forget the credentials: its connectors are refused\n"
		"  list                         every tunnel: remote or local, health, connections\n"
		"  status NAME                  one tunnel, with each connection: index, the\n"
		"                               connector's address, age, streams, bytes\n\n"
		"Health (as the seeds define it): inactive (never connected), healthy (all\n"
		"the connections its connector keeps are up, 4 by default), degraded (serving,\n"
		"at least one down), down (was connected, none now).\n"
		"A token is a credential (the tunnel's secret is in it): --output FILE writes it\n"
		"to a new file of mode 0600 instead of printing it. create, token, rotate and\n"
		"delete need root. Exit status: 0 done, 1 refused or failed, 2 bad usage, 3 ztd\n"
		"not running.\n");
}

static int op(__u8 which, int argc, char **argv)
{
	static struct zt_ctl_reply r;
	static char token[ZT_TOKEN_MAX];
	struct zt_ctl_tunnel_req q = { .op = which };
	const char *output = NULL;
	__u8 req[ZT_CTL_NAME_MAX + 8];
	struct zt_buf b;
	int rc, i;

	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--output") && i + 1 < argc && which != ZT_CTL_TUN_DELETE)
			output = argv[++i];
		else if (argv[i][0] == '-' || q.name[0])
			return ztctl_usage_error("tunnel", "unexpected argument", argv[i]);
		else if (strlen(argv[i]) >= sizeof(q.name))
			return ztctl_usage_error("tunnel", "tunnel names are at most 63 characters, "
						 "not", argv[i]);
		else
			snprintf(q.name, sizeof(q.name), "%s", argv[i]);
	}
	if (!q.name[0])
		return ztctl_usage_error("tunnel", "a tunnel name is needed after", argv[1]);
	zt_buf_init(&b, req, sizeof(req));
	zt_ctl_tunnel_req_put(&b, &q);
	if ((rc = ztctl_call(ZT_CTL_TUNNEL, req, b.off, &r)))
		return rc;
	if (zt_buf_get_str(&r.body, token, sizeof(token)) || zt_buf_left(&r.body)) {
		out_error("ztd sent an unreadable reply");
		return 1;
	}
	if (output && ztctl_write_secret(output, token))
		return 1;
	out_obj_start(NULL);
	out_str("tunnel", NULL, q.name);
	if (which == ZT_CTL_TUN_DELETE) {
		out_text("tunnel %s: credentials deleted; its connectors are refused\n", q.name);
	} else if (output) {
		out_str("token_file", NULL, output);
		out_text("tunnel %s: token written to %s (mode 0600); run: ztconnector "
			 "--token-file %s\n", q.name, output, output);
	} else {
		out_str("token", "%s\n", token);
	}
	out_obj_end();
	return 0;
}

static void print_tunnel(const struct zt_ctl_tunnel_info *t)
{
	char up[16];

	out_obj_start(NULL);
	out_str("name", "%-24s ", t->name);
	out_bool("remote", NULL, t->remote);
	out_str("health", "%-9s ", zt_ctl_health_name(t->health));
	snprintf(up, sizeof(up), "%u/%u", t->up, t->expected);
	out_text("%-7s ", t->remote ? up : "-");
	out_u64("connections_up", NULL, t->up);
	out_u64("connections_expected", NULL, t->expected);
	out_text("%-11s ", t->remote ? (t->creds ? "issued" : "none") : "-");
	out_bool("credentials", NULL, t->creds);
	out_u64("since_ms", NULL, t->since_ms);
	out_text("%8llus ", (unsigned long long)(t->since_ms / 1000));
	out_u64("refused", "%7llu ", t->refused);
	out_u64("streams_opened", "%8llu ", t->streams);
	out_u64("streams_failed", "%6llu\n", t->failed);
	out_obj_end();
}

static int list(int argc, char **argv, bool one)
{
	static struct zt_ctl_reply r;
	static struct zt_ctl_tunnel_list l;
	__u8 req[ZT_CTL_NAME_MAX + 4];
	const char *name = "";
	struct zt_buf b;
	size_t i;
	int rc;

	if (one && argc != 3)
		return ztctl_usage_error("tunnel", "status takes one tunnel name, not",
					 argc > 3 ? argv[3] : "nothing");
	if (!one && argc != 2)
		return ztctl_usage_error("tunnel", "list takes no arguments, not", argv[2]);
	if (one)
		name = argv[2];
	if (strlen(name) >= ZT_CTL_NAME_MAX)
		return ztctl_usage_error("tunnel", "no tunnel is named", name);
	zt_buf_init(&b, req, sizeof(req));
	zt_buf_put_str(&b, name);
	if ((rc = ztctl_call(ZT_CTL_TUNNEL_LIST, req, b.off, &r)))
		return rc;
	if (zt_ctl_tunnel_list_get(&r.body, &l)) {
		out_error("ztd sent an unreadable reply");
		return 1;
	}
	out_obj_start(NULL);
	out_text("%-24s %-9s %-7s %-11s %9s %7s %8s %6s\n", "TUNNEL", "HEALTH", "UP",
		 "CREDENTIALS", "SINCE", "REFUSED", "STREAMS", "FAILED");
	out_arr_start("tunnels");
	for (i = 0; i < l.n; i++)
		print_tunnel(&l.t[i]);
	out_arr_end();
	if (one) {
		out_text("\n%-5s %-28s %-28s %-20s %9s %7s %12s %12s\n", "CONN", "FROM", "TO",
			 "CONNECTOR", "AGE", "STREAMS", "BYTES_IN", "BYTES_OUT");
		out_arr_start("connections");
		for (i = 0; i < l.m; i++) {
			const struct zt_ctl_tconn_info *c = &l.c[i];
			char idx[16];

			out_obj_start(NULL);
			snprintf(idx, sizeof(idx), "%u/%u", c->index, c->of);
			out_text("%-5s ", idx);
			out_u64("index", NULL, c->index);
			out_u64("of", NULL, c->of);
			out_str("peer", "%-28s ", c->peer);
			out_str("local", "%-28s ", c->local);
			out_str("connector", "%-20s ", c->connector);
			out_u64("age_ms", NULL, c->age_ms);
			out_text("%8llus ", (unsigned long long)(c->age_ms / 1000));
			out_u64("streams", "%7llu ", c->streams);
			out_u64("bytes_in", "%12llu ", c->bytes_in);
			out_u64("bytes_out", "%12llu\n", c->bytes_out);
			out_obj_end();
		}
		out_arr_end();
	}
	out_obj_end();
	return 0;
}

int tunnel_main(int argc, char **argv)
{
	static const struct {
		const char *verb;
		__u8 op;
	} ops[] = {
		{ "create", ZT_CTL_TUN_CREATE }, { "token", ZT_CTL_TUN_TOKEN },
		{ "rotate", ZT_CTL_TUN_ROTATE }, { "delete", ZT_CTL_TUN_DELETE },
	};
	size_t i;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(argv[1], ops[i].verb))
			return op(ops[i].op, argc, argv);
	if (!strcmp(argv[1], "list"))
		return list(argc, argv, false);
	if (!strcmp(argv[1], "status"))
		return list(argc, argv, true);
	return ztctl_usage_error("tunnel", "unknown verb", argv[1]);
}
