// SPDX-License-Identifier: GPL-2.0
/* tunnel_creds.c — each remote tunnel's credentials: a random id and
 * secret, made by `ztctl tunnel create` and kept in
 * STATE_DIR/tunnels.state (mode 0600, one line per tunnel: name, id and
 * secret in hex, when made; written whole), and the token a connector is
 * given (the credentials, the gateway's TLS pin, the addresses to dial). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "file.h"
#include "log.h"
#include "tunnel_int.h"
#include "zt_abi.h"

static void hex(const __u8 *p, size_t n, char *out)
{
	static const char h[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = h[p[i] >> 4];
		out[2 * i + 1] = h[p[i] & 15];
	}
	out[2 * n] = 0;
}

static int unhex(const char *s, __u8 *out, size_t n)
{
	size_t i;
	unsigned v;

	if (strlen(s) != 2 * n)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdef", s[2 * i]) ||
		    !strchr("0123456789abcdef", s[2 * i + 1]))
			return -EINVAL;
		out[i] = (__u8)v;
	}
	return 0;
}

/* Loads the file: a missing one is none; a line that does not parse is an
 * error (*why, *line), and nothing is taken from the file. */
int tun_creds_load(struct ztd_tunnels *tt, const char **why, int *line)
{
	char buf[512], name[ZT_CTL_NAME_MAX], id[64], sec[128];
	struct tun_cred *v = NULL, c;
	unsigned long long created;
	size_t n = 0;
	FILE *f;
	int err = 0;

	snprintf(tt->creds_path, sizeof(tt->creds_path), "%s/tunnels.state",
		 tt->d->cfg.state_dir);
	*line = 0;
	f = fopen(tt->creds_path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(buf, sizeof(buf), f)) {
		++*line;
		memset(&c, 0, sizeof(c));
		if (buf[0] == '#')
			continue;
		if (!strchr(buf, '\n') ||
		    sscanf(buf, "%63s %63s %127s %llu", name, id, sec, &created) != 4 ||
		    unhex(id, c.id, sizeof(c.id)) || unhex(sec, c.secret, sizeof(c.secret))) {
			*why = "a line that is not 'NAME ID SECRET CREATED' (hex id of 16 bytes, "
			       "secret of 32)";
			err = -EINVAL;
			break;
		}
		snprintf(c.name, sizeof(c.name), "%s", name);
		c.created = created;
		if (tun_cred_by_name(&(struct ztd_tunnels){ .creds = v, .n_creds = n }, name)) {
			*why = "a tunnel named twice";
			err = -EINVAL;
			break;
		}
		struct tun_cred *g = realloc(v, (n + 1) * sizeof(*v));

		if (!g) {
			err = -ENOMEM;
			*why = "out of memory";
			break;
		}
		v = g;
		v[n++] = c;
	}
	fclose(f);
	if (err) {
		free(v);
		return err;
	}
	free(tt->creds);
	tt->creds = v;
	tt->n_creds = n;
	return 0;
}

/* Writes every credential, whole, mode 0600. */
static int save(struct ztd_tunnels *tt)
{
	char tmp[4096 + 8], id[2 * ZT_MUX_ID_LEN + 1], sec[2 * ZT_MUX_SECRET_LEN + 1];
	size_t i;
	FILE *f = zt_file_create(tt->creds_path, 0600, tmp, sizeof(tmp));

	if (!f)
		return -errno;
	fprintf(f, "# zt remote tunnels' credentials (ztctl tunnel create): name id secret "
		"created\n");
	for (i = 0; i < tt->n_creds; i++) {
		hex(tt->creds[i].id, ZT_MUX_ID_LEN, id);
		hex(tt->creds[i].secret, ZT_MUX_SECRET_LEN, sec);
		fprintf(f, "%s %s %s %llu\n", tt->creds[i].name, id, sec,
			(unsigned long long)tt->creds[i].created);
	}
	return zt_file_commit(f, tmp, tt->creds_path);
}

struct tun_cred *tun_cred_by_name(struct ztd_tunnels *tt, const char *name)
{
	size_t i;

	for (i = 0; i < tt->n_creds; i++)
		if (!strcmp(tt->creds[i].name, name))
			return &tt->creds[i];
	return NULL;
}

struct tun_cred *tun_cred_by_id(struct ztd_tunnels *tt, const __u8 *id)
{
	size_t i;

	for (i = 0; i < tt->n_creds; i++)
		if (!memcmp(tt->creds[i].id, id, ZT_MUX_ID_LEN))
			return &tt->creds[i];
	return NULL;
}

static bool unspecified(const struct zt_cfg_endpoint *ep)
{
	static const __u8 zero[16];

	return !memcmp(ep->addr, zero, ep->family == ZT_AF_INET ? 4 : 16);
}

int tun_dial_addrs(const struct ztd_tunnels *tt, struct zt_token_addr *addrs, __u8 *n_addrs,
		   char *why, size_t whysz)
{
	const struct zt_config *cfg = &tt->d->cfg;
	const struct zt_cfg_endpoint *ep = cfg->n_connector_addresses ? cfg->connector_addresses :
									cfg->connector_listen;
	size_t n = cfg->n_connector_addresses ? cfg->n_connector_addresses :
						cfg->n_connector_listen, i;

	for (i = 0; i < n && i < ZT_TOKEN_ADDRS; i++) {
		if (unspecified(&ep[i])) {
			snprintf(why, whysz, "gateway.connector_listen has an unspecified address: "
				 "set gateway.connector_addresses to the addresses connectors dial");
			return -EINVAL;
		}
		addrs[i].family = ep[i].family;
		memcpy(addrs[i].addr, ep[i].addr, 16);
		addrs[i].port = ep[i].port;
	}
	*n_addrs = (__u8)i;
	return 0;
}

int tun_token(const struct ztd_tunnels *tt, const struct tun_cred *c, char *out, size_t outsz,
	      char *why, size_t whysz)
{
	struct zt_token t = { 0 };
	int err;

	snprintf(t.name, sizeof(t.name), "%s", c->name);
	memcpy(t.id, c->id, sizeof(t.id));
	memcpy(t.secret, c->secret, sizeof(t.secret));
	memcpy(t.pin, tt->pin, sizeof(t.pin));
	err = tun_dial_addrs(tt, t.addrs, &t.n_addrs, why, whysz);
	return err ? err : zt_token_put(&t, out, outsz);
}

int tun_op(struct ztd_tunnels *tt, __u8 op, const char *name, char *token, size_t tsz,
	   char *why, size_t whysz)
{
	struct tun_state *ts = tun_state_by_name(tt, name);
	struct tun_cred *c = tun_cred_by_name(tt, name), nc;
	int err;

	token[0] = 0;
	if (op != ZT_CTL_TUN_DELETE && (!ts || !ts->remote)) {
		snprintf(why, whysz, !ts ? "no tunnel '%s' in the config (add it under tunnels, "
				     "without local, and reload)" :
				     "tunnel '%s' is local (local: true): it has no connector",
			 name);
		return -ENOENT;
	}
	switch (op) {
	case ZT_CTL_TUN_CREATE:
		if (c) {
			snprintf(why, whysz, "tunnel '%s' has credentials already: 'ztctl tunnel "
				 "token %s' prints them again, 'ztctl tunnel rotate %s' makes new "
				 "ones", name, name, name);
			return -EEXIST;
		}
		memset(&nc, 0, sizeof(nc));
		snprintf(nc.name, sizeof(nc.name), "%s", name);
		nc.created = (__u64)time(NULL);
		if (zt_tls_random(nc.id, sizeof(nc.id)) ||
		    zt_tls_random(nc.secret, sizeof(nc.secret)))
			return -EIO;
		c = realloc(tt->creds, (tt->n_creds + 1) * sizeof(*c));
		if (!c)
			return -ENOMEM;
		tt->creds = c;
		c = &tt->creds[tt->n_creds++];
		*c = nc;
		break;
	case ZT_CTL_TUN_TOKEN:
	case ZT_CTL_TUN_ROTATE:
		if (!c) {
			snprintf(why, whysz, "tunnel '%s' has no credentials yet: 'ztctl tunnel "
				 "create %s'", name, name);
			return -ENOENT;
		}
		if (op == ZT_CTL_TUN_TOKEN)
			return tun_token(tt, c, token, tsz, why, whysz);
		nc = *c;
		if (zt_tls_random(c->secret, sizeof(c->secret)))
			return -EIO;
		break;
	default: /* ZT_CTL_TUN_DELETE */
		if (!c) {
			snprintf(why, whysz, "tunnel '%s' has no credentials", name);
			return -ENOENT;
		}
		nc = *c;
		*c = tt->creds[--tt->n_creds];
		break;
	}
	err = save(tt);
	if (err) {
		/* Nothing half-done: the file and memory stay as they were. */
		snprintf(why, whysz, "cannot write %s: %s", tt->creds_path, strerror(-err));
		if (op == ZT_CTL_TUN_CREATE)
			tt->n_creds--;
		else if (op == ZT_CTL_TUN_ROTATE)
			*c = nc;
		else
			tt->creds[tt->n_creds++] = nc;
		return err;
	}
	if (op != ZT_CTL_TUN_CREATE) {
		pr_info("tunnel %s: credentials %s: its connections are closed\n", name,
			op == ZT_CTL_TUN_ROTATE ? "rotated" : "deleted");
		tun_drop_conns(tt, name, op == ZT_CTL_TUN_ROTATE ? "its secret was rotated" :
								  "its credentials were deleted");
	} else {
		pr_info("tunnel %s: credentials made\n", name);
	}
	return op == ZT_CTL_TUN_DELETE ? 0 : tun_token(tt, c, token, tsz, why, whysz);
}
