// SPDX-License-Identifier: GPL-2.0
/* ctl_tunnel.c — see ctl_tunnel.h. */
#include <string.h>
#include "ctl_tunnel.h"

const char *zt_ctl_health_name(__u8 h)
{
	static const char *const n[ZT_CTL_H_MAX] = {
		[ZT_CTL_H_INACTIVE] = "inactive", [ZT_CTL_H_HEALTHY] = "healthy",
		[ZT_CTL_H_DEGRADED] = "degraded", [ZT_CTL_H_DOWN] = "down",
		[ZT_CTL_H_LOCAL] = "local",
	};

	return h < ZT_CTL_H_MAX ? n[h] : "?";
}

void zt_ctl_tunnel_req_put(struct zt_buf *b, const struct zt_ctl_tunnel_req *r)
{
	zt_buf_put_u8(b, r->op);
	zt_buf_put_str(b, r->name);
}

int zt_ctl_tunnel_req_get(struct zt_buf *b, struct zt_ctl_tunnel_req *r)
{
	if (zt_buf_get_u8(b, &r->op) || r->op < ZT_CTL_TUN_CREATE || r->op > ZT_CTL_TUN_DELETE ||
	    zt_buf_get_str(b, r->name, sizeof(r->name)) || !r->name[0])
		return -EBADMSG;
	return 0;
}

void zt_ctl_tunnel_list_put(struct zt_buf *b, const struct zt_ctl_tunnel_list *l)
{
	size_t i;

	zt_buf_put_u16(b, l->n);
	for (i = 0; i < l->n && i < ZT_CTL_TUNNELS_MAX; i++) {
		const struct zt_ctl_tunnel_info *t = &l->t[i];

		zt_buf_put_str(b, t->name);
		zt_buf_put_u8(b, t->remote);
		zt_buf_put_u8(b, t->health);
		zt_buf_put_u8(b, t->creds);
		zt_buf_put_u8(b, t->up);
		zt_buf_put_u8(b, t->expected);
		zt_buf_put_u64(b, t->since_ms);
		zt_buf_put_u64(b, t->refused);
		zt_buf_put_u64(b, t->streams);
		zt_buf_put_u64(b, t->failed);
	}
	zt_buf_put_u8(b, l->m);
	for (i = 0; i < l->m && i < ZT_CTL_TUNNEL_CONNS; i++) {
		const struct zt_ctl_tconn_info *c = &l->c[i];

		zt_buf_put_u8(b, c->index);
		zt_buf_put_u8(b, c->of);
		zt_buf_put_str(b, c->peer);
		zt_buf_put_str(b, c->local);
		zt_buf_put_str(b, c->connector);
		zt_buf_put_u64(b, c->age_ms);
		zt_buf_put_u32(b, c->streams);
		zt_buf_put_u64(b, c->bytes_in);
		zt_buf_put_u64(b, c->bytes_out);
	}
}

int zt_ctl_tunnel_list_get(struct zt_buf *b, struct zt_ctl_tunnel_list *l)
{
	size_t i;

	memset(l, 0, sizeof(*l));
	if (zt_buf_get_u16(b, &l->n) || l->n > ZT_CTL_TUNNELS_MAX)
		return -EBADMSG;
	for (i = 0; i < l->n; i++) {
		struct zt_ctl_tunnel_info *t = &l->t[i];

		if (zt_buf_get_str(b, t->name, sizeof(t->name)) || zt_buf_get_u8(b, &t->remote) ||
		    zt_buf_get_u8(b, &t->health) || t->health >= ZT_CTL_H_MAX ||
		    zt_buf_get_u8(b, &t->creds) || zt_buf_get_u8(b, &t->up) ||
		    zt_buf_get_u8(b, &t->expected) || zt_buf_get_u64(b, &t->since_ms) ||
		    zt_buf_get_u64(b, &t->refused) || zt_buf_get_u64(b, &t->streams) ||
		    zt_buf_get_u64(b, &t->failed))
			return -EBADMSG;
	}
	if (zt_buf_get_u8(b, &l->m) || l->m > ZT_CTL_TUNNEL_CONNS)
		return -EBADMSG;
	for (i = 0; i < l->m; i++) {
		struct zt_ctl_tconn_info *c = &l->c[i];

		if (zt_buf_get_u8(b, &c->index) || zt_buf_get_u8(b, &c->of) ||
		    zt_buf_get_str(b, c->peer, sizeof(c->peer)) ||
		    zt_buf_get_str(b, c->local, sizeof(c->local)) ||
		    zt_buf_get_str(b, c->connector, sizeof(c->connector)) ||
		    zt_buf_get_u64(b, &c->age_ms) || zt_buf_get_u32(b, &c->streams) ||
		    zt_buf_get_u64(b, &c->bytes_in) || zt_buf_get_u64(b, &c->bytes_out))
			return -EBADMSG;
	}
	return zt_buf_left(b) ? -EBADMSG : 0;
}

void zt_ctl_user_req_put(struct zt_buf *b, const struct zt_ctl_user_req *r)
{
	zt_buf_put_u8(b, r->op);
	zt_buf_put_str(b, r->email);
	zt_buf_put_str(b, r->groups);
	zt_buf_put_str(b, r->vnet);
	zt_buf_put_u32(b, r->ttl_s);
	zt_buf_put_str(b, r->id);
}

int zt_ctl_user_req_get(struct zt_buf *b, struct zt_ctl_user_req *r)
{
	memset(r, 0, sizeof(*r));
	if (zt_buf_get_u8(b, &r->op) || r->op < ZT_CTL_USER_TOKEN || r->op > ZT_CTL_USER_REVOKE ||
	    zt_buf_get_str(b, r->email, sizeof(r->email)) ||
	    zt_buf_get_str(b, r->groups, sizeof(r->groups)) ||
	    zt_buf_get_str(b, r->vnet, sizeof(r->vnet)) || zt_buf_get_u32(b, &r->ttl_s) ||
	    zt_buf_get_str(b, r->id, sizeof(r->id)))
		return -EBADMSG;
	return zt_buf_left(b) ? -EBADMSG : 0;
}

void zt_ctl_user_reply_put(struct zt_buf *b, const struct zt_ctl_user_reply *r)
{
	zt_buf_put_str(b, r->token);
	zt_buf_put_str(b, r->id);
	zt_buf_put_u64(b, r->expires);
}

int zt_ctl_user_reply_get(struct zt_buf *b, struct zt_ctl_user_reply *r)
{
	memset(r, 0, sizeof(*r));
	if (zt_buf_get_str(b, r->token, sizeof(r->token)) ||
	    zt_buf_get_str(b, r->id, sizeof(r->id)) || zt_buf_get_u64(b, &r->expires))
		return -EBADMSG;
	return zt_buf_left(b) ? -EBADMSG : 0;
}
