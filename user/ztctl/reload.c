// SPDX-License-Identifier: GPL-2.0
/* reload.c — `ztctl reload`: asks ztd to re-read its config and waits for
 * the outcome: the new generation, or every error of a refused file (ztd
 * keeps running the previous policy). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "ctl.h"
#include "ctl_msg.h"
#include "out.h"
#include "ztctl.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: ztctl [-j|-p] [--socket PATH] reload\n\n"
		"Tells ztd to re-read its configuration file and apply the difference.\n"
		"Prints the policy generation now in force. An invalid file is refused\n"
		"whole, its errors printed (file:line:column: reason), and ztd keeps the\n"
		"previous policy. Exit status: 0 applied, 1 refused or failed, 3 ztd\n"
		"not running.\n");
}

int reload_main(int argc, char **argv)
{
	static struct zt_ctl_reply r;
	struct zt_ctl_reload rl;
	__u32 gen;
	int err, rc;

	if ((rc = ztctl_no_args(argc, argv, "reload", usage)) >= 0)
		return rc;
	/* A reload that parses a million routes anew (a renamed tunnel, a
	 * list not in block layout) takes seconds: wait long. */
	err = zt_ctl_call(ztctl_socket, ZT_CTL_RELOAD, NULL, 0, 300000, &r);
	if (err) {
		out_error("cannot reach ztd at %s: %s%s", ztctl_socket, strerror(-err),
			  err == -ENOENT || err == -ECONNREFUSED ? " (is ztd running?)" : "");
		return err == -ENOENT || err == -ECONNREFUSED ? 3 : 1;
	}
	if (zt_ctl_reload_get(&r.body, &rl)) {
		out_error("ztd sent an unreadable reply");
		return 1;
	}
	gen = rl.generation;
	out_obj_start(NULL);
	out_bool("applied", NULL, !r.status);
	if (r.status) {
		size_t n = strlen(r.message);

		if (n && r.message[n - 1] == '\n')
			r.message[n - 1] = 0;
		out_str("errors", "%s\n", r.message);
		out_text("reload refused; ztd keeps running policy generation %u\n", gen);
	} else {
		out_text("reloaded: policy generation %u in force\n", gen);
	}
	out_u64("generation", "", gen);
	out_obj_end();
	return r.status ? 1 : 0;
}
