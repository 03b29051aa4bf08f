// SPDX-License-Identifier: GPL-2.0
/* nat.c — ztd's side of the DIRECT path (bpf/lib/nat.h): tells the kernel
 * what each interface is (zt_ifaces: private or not, this node's addresses
 * there, the SNAT port range, whether XDP may redirect through it) and
 * removes translations that went idle, so their ports are free again. */
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <bpf/bpf.h>
#include "clock.h"
#include "log.h"
#include "nat.h"
#include "ztd.h"

#define ZTD_NAT_SYNC_MS 2000  /* addresses are looked at again this often */
#define ZTD_NAT_GC_MS   5000  /* idle translations removed this often */

/* The driver's name (ethtool), "" when it has none to say. */
static void driver_of(const char *ifname, char *out, size_t n)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	out[0] = 0;
	if (fd < 0)
		return;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&info;
	if (!ioctl(fd, SIOCETHTOOL, &ifr))
		snprintf(out, n, "%s", info.driver);
	close(fd);
}

/* How to attach to configured interface i. A veth gets no XDP program
 * unless the operator says its peer is ready for redirected frames
 * (gateway.xdp_redirect_veth): while one is attached, the peer loses GSO
 * and every TCP segment crosses the veth on its own (a fifth of the
 * throughput), and a veth's XDP sees an skb that already exists, so it
 * saves nothing over tc. The whole classifier runs at tc there instead. */
enum zt_attach_mode ztd_attach_mode(const struct ztd *d, size_t i)
{
	char drv[32];

	driver_of(d->cfg.ifaces[i], drv, sizeof(drv));
	return !strcmp(drv, "veth") && !d->cfg.xdp_redirect_veth ? ZT_ATTACH_TC : ZT_ATTACH_AUTO;
}

/* XDP may translate and redirect on this interface: native XDP only
 * (generic XDP and tc see skbs, whose checksum offload state only tc's
 * helpers know); a veth has it only with gateway.xdp_redirect_veth. */
static bool xdp_capable(const struct ztd *d, size_t i)
{
	return d->mode[i] == ZT_ATTACH_NATIVE;
}

/* This node's first IPv4 and first global IPv6 address on ifname. */
static void addrs_of(struct ifaddrs *all, const char *ifname, struct zt_iface *v)
{
	struct ifaddrs *a;
	bool v4 = false, v6 = false;

	for (a = all; a; a = a->ifa_next) {
		if (!a->ifa_addr || strcmp(a->ifa_name, ifname))
			continue;
		if (a->ifa_addr->sa_family == AF_INET && !v4) {
			memcpy(v->snat4, &((struct sockaddr_in *)a->ifa_addr)->sin_addr, 4);
			v4 = true;
		} else if (a->ifa_addr->sa_family == AF_INET6 && !v6) {
			const struct in6_addr *x = &((struct sockaddr_in6 *)a->ifa_addr)->sin6_addr;

			if (IN6_IS_ADDR_LINKLOCAL(x))
				continue;
			memcpy(v->snat6, x, 16);
			v6 = true;
		}
	}
}

void ztd_nat_sync(struct ztd *d)
{
	struct ifaddrs *all = NULL;
	__u32 key, next, keep[ZT_MAX_IFACES];
	size_t i, n = 0;
	bool more;

	/* Again in ZTD_NAT_SYNC_MS, whoever called this time. */
	zt_timer_arm(d->loop, &d->nat_sync_timer, ZTD_NAT_SYNC_MS);
	if (getifaddrs(&all))
		all = NULL;
	for (i = 0; i < d->cfg.n_ifaces; i++) {
		struct zt_iface v = { 0 }, old;

		if (!d->ifindex[i])
			continue;
		if (ztd_role(&d->cfg, i) == ZT_ROLE_PRIVATE) {
			v.flags |= ZT_IF_F_PRIVATE;
			addrs_of(all, d->cfg.ifaces[i], &v);
		}
		if (xdp_capable(d, i))
			v.flags |= ZT_IF_F_XDP;
		v.port_lo = d->cfg.nat_port_lo;
		v.port_hi = d->cfg.nat_port_hi;
		v.nat_per_device = d->cfg.nat_per_device;
		keep[n++] = d->ifindex[i];
		if (!bpf_map_lookup_elem(d->b.m.ifaces, &d->ifindex[i], &old) &&
		    !memcmp(&old, &v, sizeof(v)))
			continue;
		if (bpf_map_update_elem(d->b.m.ifaces, &d->ifindex[i], &v, BPF_ANY))
			pr_warn("%s: writing zt_ifaces: %s\n", d->cfg.ifaces[i], strerror(errno));
		else if (v.flags & ZT_IF_F_PRIVATE)
			pr_info("%s: private interface, SNAT ports %u-%u, %u translations per "
				"device, %s\n", d->cfg.ifaces[i], v.port_lo, v.port_hi,
				v.nat_per_device,
				v.flags & ZT_IF_F_XDP ? "translated at XDP" : "translated at tc");
	}
	freeifaddrs(all);
	/* Interfaces zt no longer has. */
	for (more = !bpf_map_get_next_key(d->b.m.ifaces, NULL, &key); more; key = next) {
		bool known = false;

		more = !bpf_map_get_next_key(d->b.m.ifaces, &key, &next);
		for (i = 0; i < n; i++)
			known |= keep[i] == key;
		if (!known)
			bpf_map_delete_elem(d->b.m.ifaces, &key);
	}
}

/* Idle translations go (user/lib/bpf/nat.c), which frees their ports and
 * gives their devices' counts back. */
static void nat_gc(struct ztd *d)
{
	struct zt_nat_gc_stats st;
	int err;

	if (!d->nat_counts) {
		err = zt_nat_counts_map(d->b.m.nat_count, &d->nat_counts);
		if (err && !d->nat_counts_warned)
			pr_warn("mapping zt_nat_count: %s; translations removed now stay counted "
				"against gateway.nat_per_device\n", strerror(-err));
		d->nat_counts_warned = err != 0;
	}
	if (zt_nat_gc(d->b.m.nat, d->nat_counts, zt_bpf_now_ns(), &st))
		return;
	if (st.removed || st.stale || st.orphans)
		pr_debug("NAT: %zu idle translations removed, %zu without a port, %zu ports "
			 "without a translation\n", st.removed, st.stale, st.orphans);
}

static void on_sync(struct zt_timer *t)
{
	ztd_nat_sync(ztd_of(t, struct ztd, nat_sync_timer));
}

static void on_gc(struct zt_timer *t)
{
	struct ztd *d = ztd_of(t, struct ztd, nat_gc_timer);

	nat_gc(d);
	zt_timer_arm(d->loop, t, ZTD_NAT_GC_MS);
}

void ztd_nat_open(struct ztd *d)
{
	d->nat_sync_timer.cb = on_sync;
	d->nat_gc_timer.cb = on_gc;
	zt_timer_arm(d->loop, &d->nat_gc_timer, 0); /* the first sweep at once */
}

void ztd_nat_close(struct ztd *d)
{
	zt_timer_stop(d->loop, &d->nat_sync_timer);
	zt_timer_stop(d->loop, &d->nat_gc_timer);
}

/* The DIRECT path forwards: say so when the kernel would refuse to. */
void ztd_nat_check_forwarding(const struct ztd *d)
{
	static const char *const files[] = { "/proc/sys/net/ipv4/conf/all/forwarding",
					     "/proc/sys/net/ipv6/conf/all/forwarding" };
	size_t i;

	if (d->cfg.n_ifaces == d->cfg.n_client_ifaces)
		return;
	for (i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "re");
		int c = f ? fgetc(f) : '1';

		if (f)
			fclose(f);
		if (c == '0')
			pr_warn("%s is 0: the DIRECT path's flows of that family will be dropped "
				"(reason no_path) until forwarding is enabled\n", files[i]);
	}
}
