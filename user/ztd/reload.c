// SPDX-License-Identifier: GPL-2.0
/* reload.c — config to kernel: compile and apply a config (the first one
 * and every reload), attach to its interfaces, open the network log, and
 * afterwards settle the route tries and warm the heap in the background.
 * It calls down into dns.c and nat.c, never up into main, ctl or link. */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <bpf/bpf.h>
#include "apply.h"
#include "clock.h"
#include "config.h"
#include "loader.h"
#include "log.h"
#include "names.h"
#include "policy.h"
#include "zt_abi.h"
#include "ztd.h"

static void on_settle(struct zt_timer *t);

/* Interfaces of cfg -> ifindex; a missing one is an error naming it. */
int ztd_resolve_ifaces(const struct zt_config *cfg, __u32 *ifindex)
{
	size_t i;
	int err = 0;

	for (i = 0; i < cfg->n_ifaces; i++) {
		ifindex[i] = if_nametoindex(cfg->ifaces[i]);
		if (!ifindex[i]) {
			pr_warn("%s: gateway interface '%s' does not exist\n", cfg->path,
				cfg->ifaces[i]);
			err = -ENODEV;
		}
	}
	return err;
}

/* Compiles cfg and applies it; on success cfg becomes the running config. */
int ztd_apply(struct ztd *d, struct zt_config *cfg, const __u32 *ifindex)
{
	struct zt_policy_build pb;
	struct zt_compiled c, *np;
	struct zt_apply_stats st;
	double t0 = zt_mono_msf(), t1;
	int err;

	err = zt_config_policy(cfg, ifindex, cfg->n_client_ifaces, &pb);
	if (err) {
		pr_warn("%s: the compiler's input: %s\n", cfg->path, strerror(-err));
		return err;
	}
	err = zt_policy_compile(&pb.in, &c);
	if (err) {
		pr_warn("%s: compiling the policy: %s\n", cfg->path,
			err == -E2BIG ? "more than 1024 kernel rule rows (a rule with sni or "
					"host selectors may take two: ztctl maps dump policy), or "
					"too many distinct rule combinations" :
			strerror(-err));
		zt_policy_build_free(&pb);
		return err;
	}
	err = d->dns ? ztd_dns_iris(d, cfg, &c) : 0;
	if (err) {
		pr_warn("%s: the IRI table: %s\n", cfg->path, strerror(-err));
		zt_compiled_free(&c);
		zt_policy_build_free(&pb);
		return err;
	}
	/* Where the proxy's copy goes, before anything is applied: once the
	 * kernel has the new policy the proxy must decide with it too. */
	np = malloc(sizeof(*np));
	if (!np) {
		pr_warn("%s: %s\n", cfg->path, strerror(ENOMEM));
		zt_compiled_free(&c);
		zt_policy_build_free(&pb);
		return -ENOMEM;
	}
	t1 = zt_mono_msf();
	d->settle_timer.cb = on_settle;
	err = zt_apply(&d->b.m, &c, &d->mirror, &st);
	d->settling = !err;
	if (d->settling) /* the deletions first, in the turn after this one */
		zt_timer_arm(d->loop, &d->settle_timer, 0);
	if (!err && d->dns)
		ztd_dns_applied(d, &c);
	zt_policy_build_free(&pb);
	if (!err) {
		/* Kept: the proxy decides with the policy in force. */
		*np = c;
		if (d->policy)
			zt_compiled_free(d->policy);
		free(d->policy);
		d->policy = np;
	} else {
		zt_compiled_free(&c);
		free(np);
	}
	if (err) {
		pr_warn("applying the policy: %s; packets still see the previous policy\n",
			strerror(-err));
		return err;
	}
	zt_state_set_u32(d->b.m.state, offsetof(struct zt_state, drop_events_per_sec),
			 cfg->drop_events_per_sec);
	d->generation = st.generation;
	pr_info("policy generation %u in force: %zu rules, %zu routes, %zu devices "
		"(%zu prefixes written, %zu removed; compile %.0f ms, apply %.0f ms)\n",
		st.generation, cfg->n_policies, cfg->n_routes, cfg->n_devices, st.dst_written,
		st.dst_deleted, t1 - t0, zt_mono_msf() - t1);
	err = zt_names_write(d->names_path, cfg, ifindex, st.generation);
	if (err)
		pr_warn("writing %s: %s (ztctl will print ids)\n", d->names_path, strerror(-err));
	zt_names_free(&d->names);
	zt_names_read(d->names_path, &d->names);
	if (cfg == &d->cfg) { /* else once cfg is in force (ztd_reload) */
		ztd_proxy_recheck(d);
		ztd_tunnels_recheck(d);
	}
	return 0;
}

static bool has_ifindex(const __u32 *v, size_t n, __u32 x)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* Attaches to the configured interfaces, skipping those in already[] in
 * the same role and with or without XDP as before (this process attached
 * them: nothing to replace). */
int ztd_attach_all(struct ztd *d, const __u32 *already, const enum zt_role *already_role,
		      size_t n_already)
{
	size_t i, j;
	int err = 0;

	for (i = 0; i < d->cfg.n_ifaces; i++) {
		enum zt_role role = ztd_role(&d->cfg, i);
		enum zt_attach_mode want;
		bool done = false;

		want = ztd_attach_mode(d, i);
		for (j = 0; j < n_already; j++)
			done |= already[j] == d->ifindex[i] && already_role[j] == role;
		if (done && (want == ZT_ATTACH_TC) == (d->mode[i] == ZT_ATTACH_TC))
			continue;
		err = zt_bpf_attach(&d->b, (int)d->ifindex[i], role, want, &d->mode[i]);
		if (err) {
			pr_warn("attaching to %s: %s\n", d->cfg.ifaces[i], strerror(-err));
			break;
		}
		pr_info("%s: attached (%s%s)\n", d->cfg.ifaces[i], zt_attach_mode_name(d->mode[i]),
			role == ZT_ROLE_PRIVATE ? ", private interface" : "");
	}
	ztd_nat_sync(d);
	return err;
}

int ztd_netlog_open(struct ztd *d)
{
	FILE *f;

	if (d->netlog)
		fclose(d->netlog);
	d->netlog = NULL;
	if (!d->cfg.network_log)
		return 0;
	f = fopen(d->cfg.network_log, "ae");
	if (!f) {
		int err = -errno;

		pr_warn("opening network log %s: %s\n", d->cfg.network_log, strerror(errno));
		return err;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	d->netlog = f;
	return 0;
}

static void report_cfg_errors(const struct zt_cfg_errors *e)
{
	zt_cfg_errors_print(e, stderr);
	if (zt_log_tee)
		zt_cfg_errors_print(e, zt_log_tee);
}

/* After an apply, in the background: a reload holds the running config and
 * the new one at once, plus the compiler's arrays, so the heap must grow to
 * about twice what is in use. Fresh pages cost a fault each (much more in a
 * VM): here the heap is grown to that size ahead of time, by taking and
 * touching ZTD_WARM_BATCH bytes per turn of the event loop (the free space
 * first, then new pages at the top) and giving it all back at the end; ztd
 * never trims its heap, so a one-route reload of a million routes does not
 * pay ~100k page faults. heap_warm returns true while work remains;
 * heap_warm_drop gives back what was taken (a reload that comes first). */
void ztd_heap_warm_drop(struct ztd *d)
{
	size_t i;

	for (i = 0; i < d->n_warm; i++)
		free(d->warm[i]);
	free(d->warm);
	d->warm = NULL;
	d->n_warm = 0;
	d->warm_want = 0;
}

static bool heap_warm(struct ztd *d)
{
	struct mallinfo2 mi = mallinfo2();
	char *p, **w;
	size_t i;

	if (!d->warm_want) {
		if (2 * mi.uordblks <= mi.arena + ZTD_WARM_BATCH)
			return false;
		d->warm_want = 2 * mi.uordblks;
	}
	if (mi.arena >= d->warm_want || !(w = realloc(d->warm, (d->n_warm + 1) * sizeof(*w))) ||
	    !(p = malloc(ZTD_WARM_BATCH))) {
		ztd_heap_warm_drop(d); /* grown (or out of memory): all back to the heap */
		return false;
	}
	d->warm = w;
	for (i = 0; i < ZTD_WARM_BATCH; i += 4096)
		((volatile char *)p)[i] = 0;
	d->warm[d->n_warm++] = p;
	return true;
}

int ztd_reload(struct ztd *d)
{
	struct zt_config cfg;
	struct zt_cfg_errors e;
	__u32 ifindex[ZT_MAX_IFACES], old[ZT_MAX_IFACES];
	enum zt_attach_mode old_mode[ZT_MAX_IFACES];
	enum zt_role old_role[ZT_MAX_IFACES];
	size_t n_old = d->cfg.n_ifaces, i, j, reused, parsed;
	double t0 = zt_mono_msf();
	int err;


	ztd_heap_warm_drop(d); /* what was touched so far is the heap's */
	pr_info("reloading %s\n", d->config_path);
	d->reloads++;
	err = zt_config_load_cached(d->config_path, d->cfg_cache, &cfg, &e);
	zt_cfg_cache_stats(d->cfg_cache, &reused, &parsed);
	pr_info("%s read and validated in %.0f ms (route list: %zu chunks reused, %zu parsed)\n",
		d->config_path, zt_mono_msf() - t0, reused, parsed);
	if (err) {
		if (e.n)
			report_cfg_errors(&e);
		else
			pr_warn("%s: %s\n", d->config_path, strerror(-err));
		zt_cfg_errors_free(&e);
		goto refused;
	}
	err = ztd_resolve_ifaces(&cfg, ifindex);
	if (!err)
		err = ztd_apply(d, &cfg, ifindex);
	if (err) {
		zt_config_free(&cfg);
		goto refused;
	}
	memcpy(old, d->ifindex, sizeof(old));
	memcpy(old_mode, d->mode, sizeof(old_mode));
	for (i = 0; i < n_old; i++)
		old_role[i] = ztd_role(&d->cfg, i);
	zt_config_free(&d->cfg);
	d->cfg = cfg;
	memcpy(d->ifindex, ifindex, sizeof(ifindex));
	ztd_proxy_recheck(d);
	ztd_tunnels_reload(d);
	ztd_tunnels_recheck(d);
	if (ztd_dns_reload(d))
		pr_warn("DNS: still answering on the previous addresses\n");
	for (i = 0; i < d->cfg.n_ifaces; i++)
		for (j = 0; j < n_old; j++)
			if (old[j] == d->ifindex[i])
				d->mode[i] = old_mode[j];
	err = ztd_attach_all(d, old, old_role, n_old);
	ztd_nat_check_forwarding(d);
	/* An interface the config no longer names is zt's no more. */
	for (i = 0; i < n_old; i++)
		if (!has_ifindex(d->ifindex, d->cfg.n_ifaces, old[i])) {
			pr_info("ifindex %u left the config: detaching\n", old[i]);
			zt_bpf_detach(d->pin_root, (int)old[i]);
		}
	ztd_netlog_open(d);
	return err;
refused: {
	FILE *tee = zt_log_tee; /* ztctl says this line itself */

	d->reloads_refused++;
	zt_log_tee = NULL;
	pr_warn("reload refused; still running the previous config (generation %u)\n",
		d->generation);
	zt_log_tee = tee;
	return err;
}
}

/* A step of the background work after an apply; true while more remains. */
static bool settle(struct ztd *d)
{
	/* The last reload's deletions, once in-flight packets are done with
	 * the old half; ztctl reload has its answer already. */
	if (d->mirror.tail.pending && zt_apply_finish(&d->b.m, &d->mirror) < 0)
		pr_warn("deleting the entries the previous policy used: the route "
			"tries are read back at the next reload\n");
	if (d->settling && !zt_apply_settle(&d->b.m, &d->mirror, ZTD_SETTLE_BATCH) &&
	    !heap_warm(d)) {
		d->settling = false;
		if (d->mirror.settle_written)
			pr_info("route tries settled: %zu entries copied to the inactive "
				"half\n", d->mirror.settle_written);
	}
	return d->settling;
}

static void on_settle(struct zt_timer *t)
{
	struct ztd *d = ztd_of(t, struct ztd, settle_timer);

	if (settle(d)) /* the next step once the loop has looked at the descriptors */
		zt_timer_arm(d->loop, t, 0);
}

void ztd_settle_stop(struct ztd *d)
{
	zt_timer_stop(d->loop, &d->settle_timer);
}
