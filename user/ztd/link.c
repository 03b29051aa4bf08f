// SPDX-License-Identifier: GPL-2.0
/* link.c — ztd's link watch: a configured interface that goes away loses
 * its programs with it; when one of that name comes back (a new ifindex),
 * the policy is re-bound to it and the programs attached again. An address
 * added or removed anywhere makes the proxy forget which upstreams it found
 * not to be the gateway's own. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include "log.h"
#include "ztd.h"

struct ztd_links {
	struct ztd *d;
	struct zt_nl_watch *w;
	struct zt_io io;
	bool changed;             /* a configured name has a new ifindex */
};

static void on_link(void *arg, int ifindex, const char *name, bool exists)
{
	struct ztd *d = arg;
	size_t i;

	for (i = 0; i < d->cfg.n_ifaces; i++) {
		if (strcmp(d->cfg.ifaces[i], name))
			continue;
		if (!exists && d->ifindex[i] == (__u32)ifindex) {
			pr_warn("%s (ifindex %d) is gone; zt attaches again when it returns\n",
				name, ifindex);
			/* Its programs went with it: drop the stale pin. */
			zt_bpf_detach(d->pin_root, ifindex);
			d->ifindex[i] = 0;
		} else if (exists && d->ifindex[i] != (__u32)ifindex) {
			d->links->changed = true;
		}
	}
}

int ztd_relink(struct ztd *d)
{
	__u32 idx[ZT_MAX_IFACES];
	bool changed = false;
	size_t i;
	int err;

	if (d->links)
		d->links->changed = false;
	for (i = 0; i < d->cfg.n_ifaces; i++) {
		idx[i] = if_nametoindex(d->cfg.ifaces[i]);
		changed |= idx[i] != d->ifindex[i];
	}
	if (!changed)
		return 0;
	/* Devices are keyed by ifindex: bind the policy to the new ones first,
	 * so the programs never see the interface with no identities. */
	err = ztd_apply(d, &d->cfg, idx);
	if (err) {
		pr_warn("re-binding the policy to the returned interfaces failed: %s\n",
			strerror(-err));
		return err;
	}
	for (i = 0; i < d->cfg.n_ifaces; i++) {
		if (!idx[i] || idx[i] == d->ifindex[i]) {
			d->ifindex[i] = idx[i];
			continue;
		}
		d->ifindex[i] = idx[i];
		err = zt_bpf_attach(&d->b, (int)idx[i], ztd_role(&d->cfg, i),
				    ztd_attach_mode(d, i), &d->mode[i]);
		if (err) {
			pr_warn("attaching to %s (ifindex %u) again: %s\n", d->cfg.ifaces[i],
				idx[i], strerror(-err));
			d->ifindex[i] = 0; /* tried again on its next change */
			continue;
		}
		pr_warn("%s is back (ifindex %u): attached (%s)\n", d->cfg.ifaces[i], idx[i],
			zt_attach_mode_name(d->mode[i]));
	}
	ztd_nat_sync(d);
	return 0;
}

static void on_addr(void *arg)
{
	ztd_proxy_forget_addrs(arg);
}

static void on_links(struct zt_io *io, __u32 events)
{
	struct ztd_links *l = ztd_of(io, struct ztd_links, io);
	struct ztd *d = l->d;
	const struct zt_nl_events ev = { .link = on_link, .addr = on_addr, .arg = d };
	int err = zt_nl_watch_read(l->w, &ev);

	(void)events;
	if (err == -ENOBUFS) {
		ztd_proxy_forget_addrs(d);
		/* Messages were lost: look at every interface again. */
		pr_info("link watch overrun: checking every interface\n");
		for (size_t i = 0; i < d->cfg.n_ifaces; i++)
			if (d->ifindex[i] && if_nametoindex(d->cfg.ifaces[i]) != d->ifindex[i])
				d->ifindex[i] = 0;
		l->changed = true;
	}
	if (l->changed)
		ztd_relink(d);
}

int ztd_links_open(struct ztd *d)
{
	struct ztd_links *l = calloc(1, sizeof(*l));
	int err;

	if (!l)
		return -ENOMEM;
	err = zt_nl_watch_open(&l->w);
	if (err) {
		free(l);
		return err;
	}
	l->d = d;
	l->io = (struct zt_io){ .fd = zt_nl_watch_fd(l->w), .cb = on_links };
	err = zt_io_add(d->loop, &l->io, EPOLLIN);
	if (err) {
		zt_nl_watch_close(l->w);
		free(l);
		return err;
	}
	d->links = l;
	return 0;
}

void ztd_links_close(struct ztd *d)
{
	if (!d->links)
		return;
	zt_io_del(d->loop, &d->links->io);
	zt_nl_watch_close(d->links->w);
	free(d->links);
	d->links = NULL;
}
