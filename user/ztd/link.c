// SPDX-License-Identifier: GPL-2.0
/* link.c — ztd's link watch: a configured interface that goes away loses
 * its programs with it; when one of that name comes back (a new ifindex),
 * the policy is re-bound to it and the programs attached again. */
#include <errno.h>
#include <string.h>
#include <net/if.h>
#include "log.h"
#include "ztd.h"

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
			d->links_changed = true;
		}
	}
}

int ztd_relink(struct ztd *d)
{
	__u32 idx[ZT_MAX_IFACES];
	bool changed = false;
	size_t i;
	int err;

	d->links_changed = false;
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

int ztd_links_read(struct ztd *d)
{
	int err = zt_nl_watch_read(d->links, on_link, d);

	if (err == -ENOBUFS) {
		/* Messages were lost: look at every interface again. */
		pr_info("link watch overrun: checking every interface\n");
		for (size_t i = 0; i < d->cfg.n_ifaces; i++)
			if (d->ifindex[i] && if_nametoindex(d->cfg.ifaces[i]) != d->ifindex[i])
				d->ifindex[i] = 0;
		d->links_changed = true;
		err = 0;
	}
	if (d->links_changed)
		return ztd_relink(d);
	return err;
}
