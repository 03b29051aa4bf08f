/* SPDX-License-Identifier: GPL-2.0 */
/* ctl_tunnel.h — the control socket's tunnel messages (include/zt_ctl.h,
 * TUNNEL and TUNNEL_LIST) as structs, one put and one get each. */
#ifndef ZT_CTL_TUNNEL_H
#define ZT_CTL_TUNNEL_H

#include <linux/types.h>
#include "buf.h"
#include "token.h"
#include "utoken.h"
#include "zt_ctl.h"

#define ZT_CTL_TUNNELS_MAX 1024  /* tunnels one TUNNEL_LIST carries */
#define ZT_CTL_NAME_MAX 64       /* a name, with its NUL */

const char *zt_ctl_health_name(__u8 h);

struct zt_ctl_tunnel_req {
	__u8 op;                    /* enum zt_ctl_tunnel_op */
	char name[ZT_CTL_NAME_MAX];
};
void zt_ctl_tunnel_req_put(struct zt_buf *b, const struct zt_ctl_tunnel_req *r);
int zt_ctl_tunnel_req_get(struct zt_buf *b, struct zt_ctl_tunnel_req *r);

struct zt_ctl_tunnel_info {
	char name[ZT_CTL_NAME_MAX];
	__u8 remote, health, creds, up, expected;
	__u64 since_ms, refused;
	__u64 streams, failed;       /* streams opened to its connector; of them failed */
};

struct zt_ctl_tconn_info {
	__u8 index, of;
	char peer[ZT_CTL_NAME_MAX], local[ZT_CTL_NAME_MAX], connector[ZT_CTL_NAME_MAX];
	__u64 age_ms;
	__u32 streams;
	__u64 bytes_in, bytes_out;
};

struct zt_ctl_tunnel_list {
	__u16 n;
	struct zt_ctl_tunnel_info t[ZT_CTL_TUNNELS_MAX];
	__u8 m;
	struct zt_ctl_tconn_info c[ZT_CTL_TUNNEL_CONNS];
};
void zt_ctl_tunnel_list_put(struct zt_buf *b, const struct zt_ctl_tunnel_list *l);
int zt_ctl_tunnel_list_get(struct zt_buf *b, struct zt_ctl_tunnel_list *l);

/* USER: a user's access token made, or revoked (docs/access.md). */
#define ZT_USER_TTL_MAX (90u * 86400) /* a token's life at most, seconds */
#define ZT_USER_TTL_DEFAULT (12u * 3600)
struct zt_ctl_user_req {
	__u8 op;                                /* enum zt_ctl_user_op */
	char email[ZT_UTOKEN_EMAIL_MAX + 1];
	char groups[ZT_UTOKEN_GROUPS_MAX + 1];  /* "a,b" */
	char vnet[ZT_UTOKEN_VNET_MAX + 1];      /* "": the default */
	__u32 ttl_s;
	char id[2 * ZT_UTOKEN_ID_LEN + 1];      /* REVOKE: which */
};
void zt_ctl_user_req_put(struct zt_buf *b, const struct zt_ctl_user_req *r);
int zt_ctl_user_req_get(struct zt_buf *b, struct zt_ctl_user_req *r);

struct zt_ctl_user_reply {
	char token[ZT_UTOKEN_MAX];              /* "" for REVOKE */
	char id[2 * ZT_UTOKEN_ID_LEN + 1];
	__u64 expires;                          /* unix seconds */
};
void zt_ctl_user_reply_put(struct zt_buf *b, const struct zt_ctl_user_reply *r);
int zt_ctl_user_reply_get(struct zt_buf *b, struct zt_ctl_user_reply *r);

#endif
