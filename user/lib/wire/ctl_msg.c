// SPDX-License-Identifier: GPL-2.0
/* ctl_msg.c — see ctl_msg.h. */
#include <errno.h>
#include <string.h>
#include "ctl_msg.h"
#include "zt_abi.h"

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
	for (i = 0; i < ZT_CTL_TUNNEL_N_STATS; i++)
		zt_buf_put_u64(b, s->tunnel[i]);
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
	for (i = 0; i < ZT_CTL_TUNNEL_N_STATS; i++)
		if (zt_buf_get_u64(b, &s->tunnel[i]))
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

static void pconn_put(struct zt_buf *b, const struct zt_ctl_pconn *c)
{
	zt_buf_put_u64(b, c->id);
	zt_buf_put_u8(b, c->family);
	zt_buf_put_bytes(b, c->src, 16);
	zt_buf_put_bytes(b, c->dst, 16);
	zt_buf_put_u16(b, c->sport);
	zt_buf_put_u16(b, c->dport);
	zt_buf_put_u8(b, c->state);
	zt_buf_put_u8(b, c->detected);
	zt_buf_put_u8(b, c->verdict);
	zt_buf_put_u32(b, c->rule_id);
	zt_buf_put_u64(b, c->bytes_up);
	zt_buf_put_u64(b, c->bytes_down);
	zt_buf_put_u64(b, c->age_ms);
	zt_buf_put_str(b, c->iface);
	zt_buf_put_str(b, c->device);
	zt_buf_put_str(b, c->user);
	zt_buf_put_str(b, c->name);
	zt_buf_put_str(b, c->hostname);
	zt_buf_put_str(b, c->rule);
}

static int pconn_get(struct zt_buf *b, struct zt_ctl_pconn *c)
{
	if (zt_buf_get_u64(b, &c->id) || zt_buf_get_u8(b, &c->family) ||
	    (c->family != ZT_AF_INET && c->family != ZT_AF_INET6) ||
	    zt_buf_get_bytes(b, c->src, 16) || zt_buf_get_bytes(b, c->dst, 16) ||
	    zt_buf_get_u16(b, &c->sport) || zt_buf_get_u16(b, &c->dport) ||
	    zt_buf_get_u8(b, &c->state) || c->state > ZT_CTL_PC_RELAY ||
	    zt_buf_get_u8(b, &c->detected) || zt_buf_get_u8(b, &c->verdict) ||
	    zt_buf_get_u32(b, &c->rule_id) || zt_buf_get_u64(b, &c->bytes_up) ||
	    zt_buf_get_u64(b, &c->bytes_down) || zt_buf_get_u64(b, &c->age_ms) ||
	    zt_buf_get_str(b, c->iface, sizeof(c->iface)) ||
	    zt_buf_get_str(b, c->device, sizeof(c->device)) ||
	    zt_buf_get_str(b, c->user, sizeof(c->user)) ||
	    zt_buf_get_str(b, c->name, sizeof(c->name)) ||
	    zt_buf_get_str(b, c->hostname, sizeof(c->hostname)) ||
	    zt_buf_get_str(b, c->rule, sizeof(c->rule)))
		return -EBADMSG;
	return 0;
}

void zt_ctl_proxy_page_put(struct zt_buf *b, const struct zt_ctl_proxy_page *p)
{
	size_t i;

	zt_buf_put_u64(b, p->live);
	zt_buf_put_u64(b, p->next);
	zt_buf_put_u8(b, p->n);
	for (i = 0; i < p->n && i < ZT_CTL_PROXY_PAGE; i++)
		pconn_put(b, &p->c[i]);
}

int zt_ctl_proxy_page_get(struct zt_buf *b, struct zt_ctl_proxy_page *p)
{
	size_t i;

	memset(p, 0, sizeof(*p));
	if (zt_buf_get_u64(b, &p->live) || zt_buf_get_u64(b, &p->next) ||
	    zt_buf_get_u8(b, &p->n) || p->n > ZT_CTL_PROXY_PAGE)
		return -EBADMSG;
	for (i = 0; i < p->n; i++)
		if (pconn_get(b, &p->c[i]))
			return -EBADMSG;
	/* Ids rise within a page and the next page starts past them: a
	 * client paging on them always ends. */
	for (i = 0; i < p->n; i++)
		if (!p->c[i].id || (i && p->c[i].id <= p->c[i - 1].id))
			return -EBADMSG;
	if (p->next && (!p->n || p->next < p->c[p->n - 1].id))
		return -EBADMSG;
	return zt_buf_left(b) ? -EBADMSG : 0;
}
