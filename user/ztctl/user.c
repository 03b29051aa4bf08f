// SPDX-License-Identifier: GPL-2.0
/* user.c — `ztctl user`: users' access tokens (docs/access.md). ztd
 * signs a token for an email, with the groups and virtual network the
 * policy sees for it, for a time (USER TOKEN), or refuses one from now on
 * (USER REVOKE). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ctl.h"
#include "ctl_tunnel.h"
#include "out.h"
#include "ztctl.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ztctl [-j|-p] [--socket PATH] user VERB ...\n\n"
		"  token --email EMAIL [--group G]... [--vnet V] [--ttl DURATION] [--output FILE]\n"
		"        sign an access token for EMAIL: 'ztctl access' presents it, and the\n"
		"        gateway decides its streams with the network policies as EMAIL's,\n"
		"        in groups G (each named by a device or policy of the config) and\n"
		"        virtual network V (default: the default one). DURATION: 90s, 30m,\n"
		"        12h (default), 7d; from 1 minute to 90 days. Prints the token, or\n"
		"        writes it to FILE (a new file, mode 0600), with its id\n"
		"  revoke ID\n"
		"        refuse the token with this id from now on; its connections close\n\n"
		"A token is a credential: anyone holding it is EMAIL to the gateway until\n"
		"it expires. The gateway must have gateway.connector_listen (access clients\n"
		"dial in there). Both verbs need root. Exit status: 0 done, 1 refused or\n"
		"failed, 2 bad usage, 3 ztd not running.\n");
}

/* "90s", "30m", "12h", "7d" (or bare seconds) -> seconds; 0 when not one. */
static __u32 duration(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	unsigned long long mul = !*end ? 1 : !strcmp(end, "s") ? 1 : !strcmp(end, "m") ? 60 :
				 !strcmp(end, "h") ? 3600 : !strcmp(end, "d") ? 86400 : 0;

	if (end == s || !mul || v > 0xffffffffull / mul)
		return 0;
	return (__u32)(v * mul);
}

static int token(int argc, char **argv)
{
	static struct zt_ctl_reply r;
	static struct zt_ctl_user_reply a;
	struct zt_ctl_user_req q = { .op = ZT_CTL_USER_TOKEN, .ttl_s = ZT_USER_TTL_DEFAULT };
	const char *output = NULL;
	__u8 req[ZT_CTL_MAX_REQ];
	char when[64];
	struct zt_buf b;
	size_t gl = 0;
	time_t exp;
	int rc, i;

	for (i = 2; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v || argv[i][0] != '-')
			return ztctl_usage_error("user", "unexpected argument", argv[i]);
		if (!strcmp(argv[i], "--email") && strlen(v) < sizeof(q.email)) {
			snprintf(q.email, sizeof(q.email), "%s", v);
		} else if (!strcmp(argv[i], "--group") && gl + strlen(v) + 1 < sizeof(q.groups) &&
			   *v && !strchr(v, ',')) {
			gl += (size_t)snprintf(q.groups + gl, sizeof(q.groups) - gl, "%s%s",
					       gl ? "," : "", v);
		} else if (!strcmp(argv[i], "--vnet") && strlen(v) < sizeof(q.vnet)) {
			snprintf(q.vnet, sizeof(q.vnet), "%s", v);
		} else if (!strcmp(argv[i], "--ttl")) {
			q.ttl_s = duration(v);
			if (!q.ttl_s)
				return ztctl_usage_error("user", "--ttl takes 90s, 30m, 12h or 7d, "
							 "not", v);
		} else if (!strcmp(argv[i], "--output")) {
			output = v;
		} else {
			return ztctl_usage_error("user", "unknown option, or a value too long, at",
						 argv[i]);
		}
		i++;
	}
	if (!q.email[0])
		return ztctl_usage_error("user", "token needs --email, after", argv[1]);
	zt_buf_init(&b, req, sizeof(req));
	zt_ctl_user_req_put(&b, &q);
	if ((rc = ztctl_call(ZT_CTL_USER, req, b.off, &r)))
		return rc;
	if (zt_ctl_user_reply_get(&r.body, &a) || !a.token[0]) {
		out_error("ztd sent an unreadable reply");
		return 1;
	}
	if (output && ztctl_write_secret(output, a.token))
		return 1;
	exp = (time_t)a.expires;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&exp));
	out_obj_start(NULL);
	out_str("email", NULL, q.email);
	out_str("id", NULL, a.id);
	out_u64("expires", NULL, a.expires);
	if (output) {
		out_str("token_file", NULL, output);
		out_text("token %s for %s written to %s (mode 0600); it expires %s\n", a.id,
			 q.email, output, when);
	} else {
		out_str("token", "%s\n", a.token);
		if (!zt_out_json()) /* stdout is the token alone */
			fprintf(stderr, "token %s for %s; it expires %s\n", a.id, q.email, when);
	}
	out_obj_end();
	return 0;
}

static int revoke(int argc, char **argv)
{
	static struct zt_ctl_reply r;
	struct zt_ctl_user_req q = { .op = ZT_CTL_USER_REVOKE };
	__u8 req[ZT_CTL_MAX_REQ];
	struct zt_buf b;
	int rc;

	if (argc != 3)
		return ztctl_usage_error("user", "revoke takes one token id, not",
					 argc > 3 ? argv[3] : "nothing");
	if (strlen(argv[2]) >= sizeof(q.id))
		return ztctl_usage_error("user", "a token id is 32 hex digits, not", argv[2]);
	snprintf(q.id, sizeof(q.id), "%s", argv[2]);
	zt_buf_init(&b, req, sizeof(req));
	zt_ctl_user_req_put(&b, &q);
	if ((rc = ztctl_call(ZT_CTL_USER, req, b.off, &r)))
		return rc;
	out_obj_start(NULL);
	out_str("revoked", NULL, q.id);
	out_text("token %s revoked: its access connections are closed\n", q.id);
	out_obj_end();
	return 0;
}

int user_main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "token"))
		return token(argc, argv);
	if (!strcmp(argv[1], "revoke"))
		return revoke(argc, argv);
	return ztctl_usage_error("user", "unknown verb", argv[1]);
}
