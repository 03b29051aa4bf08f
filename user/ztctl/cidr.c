// SPDX-License-Identifier: GPL-2.0
/* cidr.c — `ztctl cidr subtract BASE SUB...`: the minimal list of prefixes
 * covering BASE minus every SUB (the split-tunnel calculator). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "out.h"
#include "ztctl.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: ztctl cidr subtract BASE SUB...\n\n"
		"Prints, one per line, the fewest prefixes that cover BASE but none of the\n"
		"SUB prefixes. IPv4 or IPv6; all arguments of one family.\n"
		"example: ztctl cidr subtract 172.16.0.0/12 172.31.0.0/16\n");
}

static void emit(void *arg, const struct zt_prefix *q)
{
	char buf[ZT_PREFIX_STRLEN];

	(void)arg;
	out_str(NULL, "%s\n", zt_prefix_str(q, buf, sizeof(buf)));
}

int cidr_main(int argc, char **argv)
{
	struct zt_prefix base, *subs;
	int i;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc < 4 || strcmp(argv[1], "subtract")) {
		usage(stderr);
		return 2;
	}
	if (zt_prefix_parse(argv[2], &base)) {
		out_error("'%s' is not a CIDR prefix (host bits must be zero)", argv[2]);
		return 2;
	}
	subs = calloc((size_t)argc, sizeof(*subs));
	if (!subs)
		return 1;
	for (i = 3; i < argc; i++) {
		if (zt_prefix_parse(argv[i], &subs[i - 3])) {
			out_error("'%s' is not a CIDR prefix (host bits must be zero)", argv[i]);
			free(subs);
			return 2;
		}
		if (subs[i - 3].family != base.family) {
			out_error("'%s' is not of the same family as '%s'", argv[i], argv[2]);
			free(subs);
			return 2;
		}
	}
	out_arr_start(NULL);
	zt_prefix_subtract(&base, subs, (size_t)argc - 3, emit, NULL);
	out_arr_end();
	free(subs);
	return 0;
}
