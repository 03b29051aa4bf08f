// SPDX-License-Identifier: GPL-2.0
/* proxy.c — `ztctl proxy list`: the L7 proxy's live connections, asked of
 * ztd a page at a time (include/zt_ctl.h, PROXY_LIST): who, from where to
 * where, what detection found, the rule and verdict, bytes each way, age. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include "ctl.h"
#include "ctl_msg.h"
#include "detect.h"
#include "names.h"
#include "out.h"
#include "zt_abi.h"
#include "ztctl.h"

/* Pages one listing may take: 2 million connections, past any
 * gateway.proxy.max_connections. */
#define MAX_PAGES (1 << 16)

static void usage(FILE *f)
{
	fprintf(f, "usage: ztctl [-j|-p] [--socket PATH] proxy list\n\n"
		"Lists the L7 proxy's live connections (asks ztd on its control socket,\n"
		"default %s), oldest first: id, age, the client's interface and\n"
		"user, source and destination, the state (detect: reading the first\n"
		"bytes; connect: allowed, connecting on; relay), the protocol detection\n"
		"found, the SNI or HTTP Host, the IRI's hostname, the rule and verdict,\n"
		"and the bytes relayed each way (up: client to server). ztd answers a\n"
		"page of %d at a time: connections accepted while the list is read\n"
		"may be in it, those that ended meanwhile may not.\n"
		"Exit status: 0 listed, 3 ztd not running, 1 another error.\n",
		ZT_CTL_SOCKET, ZT_CTL_PROXY_PAGE);
}

static const char *state_name(__u8 s)
{
	static const char *const n[] = {
		[ZT_CTL_PC_DETECT] = "detect",
		[ZT_CTL_PC_CONNECT] = "connect",
		[ZT_CTL_PC_RELAY] = "relay",
	};

	return s <= ZT_CTL_PC_RELAY ? n[s] : "?";
}

static void endpoint(const char *key, const char *port_key, __u8 family, const __u8 *a,
		     __u16 port)
{
	char s[INET6_ADDRSTRLEN], both[INET6_ADDRSTRLEN + 8];

	inet_ntop(family == ZT_AF_INET ? AF_INET : AF_INET6, a, s, sizeof(s));
	snprintf(both, sizeof(both), family == ZT_AF_INET ? "%s:%u" : "[%s]:%u", s, port);
	out_text("%-22s ", both);
	out_str(key, NULL, s);
	out_u64(port_key, NULL, port);
}

static void print_conn(const struct zt_ctl_pconn *c)
{
	const char *proto = c->detected == 0xff ? "" : zt_l7_proto_name(c->detected);

	out_obj_start(NULL);
	out_u64("id", "%-6llu ", c->id);
	out_u64("age_ms", NULL, c->age_ms);
	out_text("%7llus ", (unsigned long long)(c->age_ms / 1000));
	out_str("interface", "%-8s ", c->iface);
	out_str("device", NULL, c->device);
	out_str("user_email", "%-20s ", c->user[0] ? c->user : "-");
	endpoint("src", "src_port", c->family, c->src, c->sport);
	endpoint("dst", "dst_port", c->family, c->dst, c->dport);
	out_str("state", "%-7s ", state_name(c->state));
	out_str("detected_protocol", "%-7s ", proto[0] ? proto : "-");
	out_str("name", "%-20s ", c->name[0] ? c->name : "-");
	out_str("hostname", "%-20s ", c->hostname[0] ? c->hostname : "-");
	out_str("rule", "%-16s ", c->rule[0] ? c->rule : "-");
	out_u64("rule_id", NULL, c->rule_id);
	out_str("action", "%-6s ", c->verdict == 0xff ? "-" : zt_verdict_name(c->verdict));
	out_u64("bytes_up", "%12llu ", c->bytes_up);
	out_u64("bytes_down", "%12llu\n", c->bytes_down);
	out_obj_end();
}

int proxy_main(int argc, char **argv)
{
	static struct zt_ctl_reply r;
	static struct zt_ctl_proxy_page p;
	__u8 req[8];
	struct zt_buf b;
	__u64 after = 0;
	size_t pages, i;
	bool opened = false;
	int err, rc;

	if ((rc = ztctl_verb(argc, argv, "proxy", "list", usage)) >= 0)
		return rc;
	if (argc > 2)
		return ztctl_usage_error("proxy", "proxy list takes no arguments, not", argv[2]);
	for (pages = 0; pages < MAX_PAGES; pages++) {
		zt_buf_init(&b, req, sizeof(req));
		zt_buf_put_u64(&b, after);
		err = zt_ctl_call(ztctl_socket, ZT_CTL_PROXY_LIST, req, b.off, 5000, &r);
		if (!err && r.status) {
			out_error("ztd refused the request: %s", r.message);
			rc = 1;
			break;
		}
		if (err) {
			out_error("cannot reach ztd at %s: %s%s", ztctl_socket, strerror(-err),
				  err == -ENOENT || err == -ECONNREFUSED ?
					  " (is ztd running?)" : "");
			rc = err == -ENOENT || err == -ECONNREFUSED ? 3 : 1;
			break;
		}
		if (zt_ctl_proxy_page_get(&r.body, &p) || (p.n && p.c[0].id <= after)) {
			out_error("ztd sent an unreadable reply");
			rc = 1;
			break;
		}
		if (!opened) {
			opened = true;
			out_obj_start(NULL);
			out_u64("live", "%llu connections\n", p.live);
			out_text("%-6s %8s %-8s %-20s %-22s %-22s %-7s %-7s %-20s %-20s %-16s "
				 "%-6s %12s %12s\n", "ID", "AGE", "IFACE", "USER", "SRC", "DST",
				 "STATE", "PROTO", "SNI/HOST", "HOSTNAME", "RULE", "ACTION",
				 "UP", "DOWN");
			out_arr_start("connections");
		}
		for (i = 0; i < p.n; i++)
			print_conn(&p.c[i]);
		if (!p.next)
			break;
		after = p.next;
	}
	if (pages == MAX_PAGES) {
		out_error("ztd listed more than %d pages; stopping", MAX_PAGES);
		rc = 1;
	}
	if (opened) {
		out_arr_end();
		out_obj_end();
	}
	return rc < 0 ? 0 : rc;
}
