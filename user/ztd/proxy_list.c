// SPDX-License-Identifier: GPL-2.0
/* proxy_list.c — the proxy's live connections for `ztctl proxy list`, a
 * page at a time: who, from where to where, what detection found, the
 * rule, the bytes each way and the age. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "clock.h"
#include "ctl_msg.h"
#include "proxy_int.h"

static void put(struct zt_ctl_pconn *o, const struct pconn *c, __u64 now)
{
	static const __u8 state[] = {
		[ZT_PXS_DETECT] = ZT_CTL_PC_DETECT,
		[ZT_PXS_CONNECT] = ZT_CTL_PC_CONNECT,
		[ZT_PXS_RELAY] = ZT_CTL_PC_RELAY,
	};
	bool found = c->decided && c->found;
	struct px_names n;

	proxy_names(c, &n);
	memset(o, 0, sizeof(*o));
	o->id = c->id;
	o->family = c->family;
	memcpy(o->src, c->src, 16);
	memcpy(o->dst, c->dst, 16);
	o->sport = c->sport;
	o->dport = c->dport;
	o->state = state[c->st];
	o->detected = found ? (__u8)c->det.proto : 0xff;
	o->verdict = c->decided ? (__u8)c->r.verdict : 0xff;
	o->rule_id = c->r.rule_id;
	o->bytes_up = c->up_bytes;  /* as its worker said, at most a second ago */
	o->bytes_down = c->down_bytes;
	o->age_ms = now - c->start_ms;
	snprintf(o->iface, sizeof(o->iface), "%s", n.iface ? n.iface : "");
	snprintf(o->device, sizeof(o->device), "%s", n.device ? n.device : "");
	snprintf(o->user, sizeof(o->user), "%s", n.user ? n.user : "");
	if (found && (c->det.proto == ZT_PROTO_TLS || c->det.proto == ZT_PROTO_HTTP))
		snprintf(o->name, sizeof(o->name), "%s", c->det.name);
	snprintf(o->hostname, sizeof(o->hostname), "%s", c->iri ? c->iri_name : "");
	snprintf(o->rule, sizeof(o->rule), "%s", n.rule ? n.rule : "");
}

void ztd_proxy_list(const struct ztd *d, __u64 after, struct zt_ctl_proxy_page *p)
{
	const struct pconn *ring[ZT_CTL_PROXY_PAGE], *c;
	const struct ztd_proxy *px = d->proxy;
	__u64 now = zt_mono_ms();
	size_t m = 0, i;

	memset(p, 0, offsetof(struct zt_ctl_proxy_page, c));
	if (!px)
		return;
	p->live = px->n;
	/* Ids fall along the list: the last PAGE past after are the lowest. */
	for (c = px->head; c && c->id > after; c = c->next)
		ring[m++ % ZT_CTL_PROXY_PAGE] = c;
	p->n = (__u8)(m < ZT_CTL_PROXY_PAGE ? m : ZT_CTL_PROXY_PAGE);
	for (i = 0; i < p->n; i++)
		put(&p->c[i], ring[(m - 1 - i) % ZT_CTL_PROXY_PAGE], now);
	if (m > ZT_CTL_PROXY_PAGE)
		p->next = p->c[p->n - 1].id;
}
