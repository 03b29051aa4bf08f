// SPDX-License-Identifier: GPL-2.0
/* ctl_msg.c — see ctl_msg.h. */
#include <errno.h>
#include <string.h>
#include "ctl_msg.h"

void zt_ctl_hdr_put(struct zt_buf *b, __u16 type)
{
	zt_buf_put_u32(b, ZT_CTL_MAGIC);
	zt_buf_put_u16(b, ZT_CTL_VERSION);
	zt_buf_put_u16(b, type);
}

int zt_ctl_hdr_get(struct zt_buf *b, struct zt_ctl_hdr *h)
{
	if (zt_buf_get_u32(b, &h->magic) || h->magic != ZT_CTL_MAGIC ||
	    zt_buf_get_u16(b, &h->version) || zt_buf_get_u16(b, &h->type))
		return -EBADMSG;
	return 0;
}

void zt_ctl_status_put(struct zt_buf *b, const struct zt_ctl_status *s)
{
	size_t i;

	zt_buf_put_u32(b, s->pid);
	zt_buf_put_u64(b, s->started);
	zt_buf_put_u32(b, s->generation);
	zt_buf_put_str(b, s->config);
	zt_buf_put_u32(b, s->rules);
	zt_buf_put_u32(b, s->routes);
	zt_buf_put_u32(b, s->devices);
	zt_buf_put_u32(b, s->reloads);
	zt_buf_put_u32(b, s->reloads_refused);
	zt_buf_put_u8(b, s->n_ifaces);
	for (i = 0; i < s->n_ifaces && i < ZT_CTL_MAX_IFACES; i++) {
		zt_buf_put_u32(b, s->ifaces[i].ifindex);
		zt_buf_put_str(b, s->ifaces[i].name);
		zt_buf_put_u8(b, s->ifaces[i].mode);
	}
	zt_buf_put_u32(b, s->dns_listen);
	zt_buf_put_u32(b, s->dns_iris);
	for (i = 0; i < ZT_CTL_DNS_N_STATS; i++)
		zt_buf_put_u64(b, s->dns[i]);
	zt_buf_put_u64(b, s->proxy_live);
	for (i = 0; i < ZT_CTL_PROXY_N_STATS; i++)
		zt_buf_put_u64(b, s->proxy[i]);
}

int zt_ctl_status_get(struct zt_buf *b, struct zt_ctl_status *s)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	if (zt_buf_get_u32(b, &s->pid) || zt_buf_get_u64(b, &s->started) ||
	    zt_buf_get_u32(b, &s->generation) ||
	    zt_buf_get_str(b, s->config, sizeof(s->config)) ||
	    zt_buf_get_u32(b, &s->rules) || zt_buf_get_u32(b, &s->routes) ||
	    zt_buf_get_u32(b, &s->devices) || zt_buf_get_u32(b, &s->reloads) ||
	    zt_buf_get_u32(b, &s->reloads_refused) || zt_buf_get_u8(b, &s->n_ifaces) ||
	    s->n_ifaces > ZT_CTL_MAX_IFACES)
		return -EBADMSG;
	for (i = 0; i < s->n_ifaces; i++)
		if (zt_buf_get_u32(b, &s->ifaces[i].ifindex) ||
		    zt_buf_get_str(b, s->ifaces[i].name, sizeof(s->ifaces[i].name)) ||
		    zt_buf_get_u8(b, &s->ifaces[i].mode))
			return -EBADMSG;
	if (zt_buf_get_u32(b, &s->dns_listen) || zt_buf_get_u32(b, &s->dns_iris))
		return -EBADMSG;
	for (i = 0; i < ZT_CTL_DNS_N_STATS; i++)
		if (zt_buf_get_u64(b, &s->dns[i]))
			return -EBADMSG;
	if (zt_buf_get_u64(b, &s->proxy_live))
		return -EBADMSG;
	for (i = 0; i < ZT_CTL_PROXY_N_STATS; i++)
		if (zt_buf_get_u64(b, &s->proxy[i]))
			return -EBADMSG;
	/* Nothing may follow: a longer reply is another protocol. */
	return zt_buf_left(b) ? -EBADMSG : 0;
}

void zt_ctl_reload_put(struct zt_buf *b, const struct zt_ctl_reload *r)
{
	zt_buf_put_u32(b, r->generation);
}

int zt_ctl_reload_get(struct zt_buf *b, struct zt_ctl_reload *r)
{
	if (zt_buf_get_u32(b, &r->generation) || zt_buf_left(b))
		return -EBADMSG;
	return 0;
}
