// SPDX-License-Identifier: GPL-2.0
/* tunnel_users.c — users' access tokens (docs/access.md): ztd signs them
 * with an Ed25519 key made once in STATE_DIR/tls/users.key (mode 0600)
 * and checks them when an access client presents one in HELLO: the
 * signature, the expiry, and the list of revoked ids in
 * STATE_DIR/users.revoked (mode 0600, written whole; an id is kept
 * there until its token would have expired anyway). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "file.h"
#include "log.h"
#include "sign.h"
#include "tunnel_int.h"
#include "zt_abi.h"

/* 32 lower-case hex digits -> 16 bytes: 0 or -EINVAL. */
static int unhex_id(const char *s, __u8 *id)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	if (strlen(s) != 2 * ZT_UTOKEN_ID_LEN)
		return -EINVAL;
	for (i = 0; i < 2 * ZT_UTOKEN_ID_LEN; i++) {
		const char *h = strchr(hex, s[i]);

		if (!h || !*h)
			return -EINVAL;
		if (i % 2)
			id[i / 2] |= (__u8)(h - hex);
		else
			id[i / 2] = (__u8)((h - hex) << 4);
	}
	return 0;
}

int tun_users_open(struct ztd_tunnels *tt)
{
	char path[4096 + 32], buf[256], id[64];
	unsigned long long exp;
	const char *why = NULL;
	int err, line = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tls/users.key", tt->d->cfg.state_dir);
	err = zt_sign_key(path, tt->user_seed, tt->user_pub, &why);
	if (err) {
		pr_warn("%s: %s: %s\n", path, why, strerror(-err));
		return err;
	}
	snprintf(tt->revoked_path, sizeof(tt->revoked_path), "%s/users.revoked",
		 tt->d->cfg.state_dir);
	f = fopen(tt->revoked_path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(buf, sizeof(buf), f)) {
		struct tun_revoked r = { 0 }, *v;

		line++;
		if (buf[0] == '#')
			continue;
		if (!strchr(buf, '\n') || sscanf(buf, "%63s %llu", id, &exp) != 2 ||
		    strlen(id) != 2 * ZT_UTOKEN_ID_LEN) {
			err = -EINVAL;
			break;
		}
		if (unhex_id(id, r.id))
			err = -EINVAL;
		if (err)
			break;
		r.expires = exp;
		v = realloc(tt->revoked, (tt->n_revoked + 1) * sizeof(*v));
		if (!v) {
			err = -ENOMEM;
			break;
		}
		tt->revoked = v;
		v[tt->n_revoked++] = r;
	}
	fclose(f);
	if (err == -EINVAL)
		pr_warn("%s:%d: a line that is not 'ID EXPIRES' (32 hex digits, unix seconds); "
			"fix or remove it\n", tt->revoked_path, line);
	return err;
}

void tun_users_close(struct ztd_tunnels *tt)
{
	free(tt->revoked);
	tt->revoked = NULL;
	tt->n_revoked = 0;
}

static const struct tun_revoked *revoked(const struct ztd_tunnels *tt, const __u8 *id)
{
	size_t i;

	for (i = 0; i < tt->n_revoked; i++)
		if (!memcmp(tt->revoked[i].id, id, ZT_UTOKEN_ID_LEN))
			return &tt->revoked[i];
	return NULL;
}

/* The list, whole, without ids whose tokens expired (they are refused
 * for that already). */
static int save(struct ztd_tunnels *tt)
{
	char tmp[4096 + 40], id[2 * ZT_UTOKEN_ID_LEN + 1];
	__u64 now = (__u64)time(NULL);
	size_t i, k = 0;
	FILE *f;

	for (i = 0; i < tt->n_revoked; i++)
		if (tt->revoked[i].expires > now)
			tt->revoked[k++] = tt->revoked[i];
	tt->n_revoked = k;
	f = zt_file_create(tt->revoked_path, 0600, tmp, sizeof(tmp));
	if (!f)
		return -errno;
	fprintf(f, "# zt user tokens revoked (ztctl user revoke): id expires\n");
	for (i = 0; i < tt->n_revoked; i++) {
		zt_utoken_id_str(tt->revoked[i].id, id);
		fprintf(f, "%s %llu\n", id, (unsigned long long)tt->revoked[i].expires);
	}
	return zt_file_commit(f, tmp, tt->revoked_path);
}

/* A group or vnet name the config knows. */
static bool known_group(const struct zt_config *cfg, const char *g, size_t n)
{
	size_t i;

	for (i = 0; i < cfg->n_groups; i++)
		if (strlen(cfg->groups[i]) == n && !strncmp(cfg->groups[i], g, n))
			return true;
	return false;
}

__u32 tun_user_vnet(const struct zt_config *cfg, const char *vnet)
{
	size_t i;

	if (!vnet[0])
		return cfg->default_vnet;
	for (i = 0; i < cfg->n_vnets; i++)
		if (!strcmp(cfg->vnets[i].name, vnet))
			return (__u32)i + 1;
	return 0;
}

__u64 tun_user_groups(const struct zt_config *cfg, const char *groups)
{
	const char *p = groups;
	__u64 bits = 0;
	size_t i, n;

	while (*p) {
		n = strcspn(p, ",");
		for (i = 0; i < cfg->n_groups; i++)
			if (strlen(cfg->groups[i]) == n && !strncmp(cfg->groups[i], p, n))
				bits |= 1ull << i;
		p += n + (p[n] == ',');
	}
	return bits;
}

__u32 tun_user_id(const struct zt_config *cfg, const char *email)
{
	size_t i;

	for (i = 0; i < cfg->n_users; i++)
		if (!strcasecmp(cfg->users[i], email))
			return (__u32)i + 1;
	return 0;
}

int tun_user_issue(struct ztd_tunnels *tt, const struct zt_ctl_user_req *q,
		   struct zt_ctl_user_reply *a, char *why, size_t whysz)
{
	const struct zt_config *cfg = &tt->d->cfg;
	struct zt_utoken t = { 0 };
	__u8 msg[ZT_UTOKEN_CRED_MAX];
	const char *p;
	struct zt_buf b;
	size_t i, n;
	int err;

	if (!q->email[0] || !strchr(q->email, '@') || strlen(q->email) > ZT_UTOKEN_EMAIL_MAX) {
		snprintf(why, whysz, "'%s' is not an email address of at most %d characters",
			 q->email, ZT_UTOKEN_EMAIL_MAX);
		return -EINVAL;
	}
	for (p = q->email; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f) {
			snprintf(why, whysz, "an email address is printable ASCII without spaces");
			return -EINVAL;
		}
	if (!tun_user_vnet(cfg, q->vnet)) {
		snprintf(why, whysz, "no virtual network '%s' in the config", q->vnet);
		return -EINVAL;
	}
	for (p = q->groups; *p; p += n + (p[n] == ',')) {
		n = strcspn(p, ",");
		if (!n || !known_group(cfg, p, n)) {
			snprintf(why, whysz, "no device or policy of the config names the group "
				 "'%.*s'", (int)n, p);
			return -EINVAL;
		}
	}
	if (q->ttl_s < 60 || q->ttl_s > ZT_USER_TTL_MAX) {
		snprintf(why, whysz, "a token lives from 1 minute to 90 days, not %u s", q->ttl_s);
		return -EINVAL;
	}
	if (zt_tls_random(t.id, sizeof(t.id)))
		return -EIO;
	t.issued = (__u64)time(NULL);
	t.expires = t.issued + q->ttl_s;
	for (i = 0, p = q->email; *p && i < ZT_UTOKEN_EMAIL_MAX; p++)
		t.email[i++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	snprintf(t.vnet, sizeof(t.vnet), "%s", q->vnet);
	snprintf(t.groups, sizeof(t.groups), "%s", q->groups);
	zt_buf_init(&b, msg, sizeof(msg));
	zt_utoken_cred_put(&b, &t, false);
	if (b.err || zt_sign(tt->user_seed, msg, b.off, t.sig))
		return -EIO;
	memcpy(t.pin, tt->pin, sizeof(t.pin));
	err = tun_dial_addrs(tt, t.addrs, &t.n_addrs, why, whysz);
	if (err)
		return err;
	err = zt_utoken_put(&t, a->token, sizeof(a->token));
	if (err)
		return err;
	zt_utoken_id_str(t.id, a->id);
	a->expires = t.expires;
	pr_info("user token %s issued for %s (groups '%s', vnet '%s'), expires in %u s\n", a->id,
		t.email, t.groups, t.vnet[0] ? t.vnet : "default", q->ttl_s);
	return 0;
}

int tun_user_revoke(struct ztd_tunnels *tt, const char *id_hex, char *why, size_t whysz)
{
	struct tun_revoked r = { .expires = (__u64)time(NULL) + ZT_USER_TTL_MAX }, *v;
	int err;

	if (unhex_id(id_hex, r.id)) {
		snprintf(why, whysz, "a token's id is 32 hex digits (ztctl user token printed it), "
			 "not '%s'", id_hex);
		return -EINVAL;
	}
	if (revoked(tt, r.id)) {
		snprintf(why, whysz, "token %s is revoked already", id_hex);
		return -EEXIST;
	}
	v = realloc(tt->revoked, (tt->n_revoked + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	tt->revoked = v;
	v[tt->n_revoked++] = r;
	err = save(tt);
	if (err) {
		tt->n_revoked--;
		snprintf(why, whysz, "cannot write %s: %s", tt->revoked_path, strerror(-err));
		return err;
	}
	pr_info("user token %s revoked: its access connections are closed\n", id_hex);
	tun_access_drop(tt, r.id, "its token was revoked");
	return 0;
}

int tun_user_check(const struct ztd_tunnels *tt, const __u8 *cred, size_t n,
		   struct zt_utoken *t, const char **why)
{
	__u64 now = (__u64)time(NULL);
	struct zt_buf b;
	size_t signed_len;

	zt_buf_init(&b, (void *)cred, n);
	if (zt_utoken_cred_get(&b, t)) {
		*why = "not a user token";
		return -EBADMSG;
	}
	signed_len = n - ZT_UTOKEN_SIG_LEN;
	if (!zt_sign_ok(tt->user_pub, cred, signed_len, t->sig)) {
		*why = "not signed by this gateway";
		return -EPERM;
	}
	if (now >= t->expires) {
		*why = "expired";
		return -EKEYEXPIRED;
	}
	if (revoked(tt, t->id)) {
		*why = "revoked";
		return -EKEYREVOKED;
	}
	return 0;
}

bool tun_user_valid(const struct ztd_tunnels *tt, const __u8 *id, __u64 expires)
{
	return (__u64)time(NULL) < expires && !revoked(tt, id);
}
