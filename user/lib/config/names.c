// SPDX-License-Identifier: GPL-2.0
/* names.c — see names.h. One line per name: "KIND<TAB>ID<TAB>NAME". The
 * file is written by root into a root-only directory, but it is read back
 * with bounds on every field all the same. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "file.h"
#include "names.h"

static const char *const kinds[ZT_N_KINDS] = {
	"rule", "user", "vnet", "device", "route", "tunnel", "iface", "hostroute",
};

#define MAX_ID 4000000u

int zt_names_write(const char *path, const struct zt_config *c, const __u32 *ifindex,
		   __u32 generation)
{
	char tmp[4096], b[ZT_PREFIX_STRLEN];
	size_t i;
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "config\t0\t%s\ngeneration\t%u\t-\niri_state\t0\t%s/iri.state\n", c->path,
		generation, c->state_dir ? c->state_dir : ZT_STATE_DIR_DEFAULT);
	for (i = 0; i < c->n_policies; i++)
		fprintf(f, "rule\t%zu\t%s\n", i + 1, c->policies[i].name);
	for (i = 0; i < c->n_users; i++)
		fprintf(f, "user\t%zu\t%s\n", i + 1, c->users[i]);
	for (i = 0; i < c->n_vnets; i++)
		fprintf(f, "vnet\t%zu\t%s\n", i + 1, c->vnets[i].name);
	for (i = 0; i < c->n_devices; i++)
		fprintf(f, "device\t%zu\t%s\n", i + 1, c->devices[i].name ? c->devices[i].name :
			zt_prefix_str(&c->devices[i].addr[0], b, sizeof(b)));
	/* Routes are not listed: a million lines on every reload would cost
	 * more than the reload. ztctl names a route by its prefix in the tries. */
	for (i = 0; i < c->n_host_routes; i++)
		fprintf(f, "hostroute\t%zu\t%s\n", i + 1, c->host_routes[i].host);
	for (i = 0; i < c->n_tunnels; i++)
		fprintf(f, "tunnel\t%zu\t%s\n", i + 1, c->tunnels[i].name);
	for (i = 0; i < c->n_ifaces; i++)
		fprintf(f, "iface\t%u\t%s\n", ifindex[i], c->ifaces[i]);
	return zt_file_commit(f, tmp, path);
}

static int put(struct zt_names *n, int k, unsigned long id, const char *name)
{
	if (id >= MAX_ID)
		return -ERANGE;
	if (id >= n->n[k]) {
		__u32 want = (__u32)id + 1, cap = n->n[k] ? n->n[k] : 16;
		char **nv;

		while (cap < want)
			cap *= 2;
		nv = realloc(n->v[k], cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		memset(nv + n->n[k], 0, (cap - n->n[k]) * sizeof(*nv));
		n->v[k] = nv;
		n->n[k] = cap;
	}
	free(n->v[k][id]);
	n->v[k][id] = strdup(name);
	return n->v[k][id] ? 0 : -ENOMEM;
}

int zt_names_read(const char *path, struct zt_names *n)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int err = 0;

	memset(n, 0, sizeof(*n));
	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (!err && (len = getline(&line, &cap, f)) > 0) {
		char *kind = line, *id, *name, *end;
		unsigned long v;
		int k;

		if (line[len - 1] == '\n')
			line[len - 1] = '\0';
		id = strchr(kind, '\t');
		if (!id)
			continue;
		*id++ = '\0';
		name = strchr(id, '\t');
		if (!name)
			continue;
		*name++ = '\0';
		v = strtoul(id, &end, 10);
		if (*end || end == id)
			continue;
		if (!strcmp(kind, "config")) {
			free(n->config);
			if (!(n->config = strdup(name)))
				err = -ENOMEM;
			continue;
		}
		if (!strcmp(kind, "iri_state")) {
			free(n->iri_state);
			if (!(n->iri_state = strdup(name)))
				err = -ENOMEM;
			continue;
		}
		if (!strcmp(kind, "generation")) {
			n->generation = (__u32)v;
			continue;
		}
		for (k = 0; k < ZT_N_KINDS; k++)
			if (!strcmp(kind, kinds[k]))
				err = put(n, k, v, name);
	}
	free(line);
	fclose(f);
	if (err)
		zt_names_free(n);
	return err;
}

const char *zt_name(const struct zt_names *n, enum zt_name_kind k, __u32 id)
{
	return id < n->n[k] ? n->v[k][id] : NULL;
}

void zt_names_free(struct zt_names *n)
{
	__u32 i;
	int k;

	for (k = 0; k < ZT_N_KINDS; k++) {
		for (i = 0; i < n->n[k]; i++)
			free(n->v[k][i]);
		free(n->v[k]);
	}
	free(n->config);
	free(n->iri_state);
	memset(n, 0, sizeof(*n));
}

const char *zt_verdict_name(__u8 v)
{
	static const char *const n[] = { "pass", "drop", "steer", "direct" };

	return v < ZT_V_MAX ? n[v] : "unknown";
}

const char *zt_reason_name(__u8 r)
{
	static const char *const n[] = { "non_ip", "no_route", "rule", "default", "l7",
		"bad_eth", "trunc_ip", "bad_ip", "trunc_l4", "ipv6_ext", "frag", "iri_unknown",
		"resolve", "nat_full", "nat_proto", "no_path", "nat_gone", "too_big",
		"src_route", "nat_no_syn", "nat_limit", "rp_filter", "no_proxy",
		"steer_proto" };

	_Static_assert(sizeof(n) / sizeof(n[0]) == ZT_R_MAX, "a reason has no name");
	return r < ZT_R_MAX ? n[r] : "unknown";
}

const char *zt_proto_name(__u8 proto, char *buf, size_t n)
{
	switch (proto) {
	case 6:  return "tcp";
	case 17: return "udp";
	case 1:  return "icmp";
	case 58: return "icmpv6";
	default: snprintf(buf, n, "%u", proto); return buf;
	}
}
