// SPDX-License-Identifier: GPL-2.0
/* loader.c — see loader.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "loader.h"
#include "log.h"
#include "zt_abi.h"
#include "xdp_ingress.skel.h"
#include "tc_ingress.skel.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

#define ZT_TC_HANDLE 0x7a74
#define ZT_TC_PRIO   1

/* Pins live as long as the BPF filesystem they are on. One that ztd
 * mounted in a private mount namespace (`ip netns exec` makes one, with
 * its own /sys) dies with that namespace: ztctl outside sees nothing and
 * a restart cannot adopt the maps. The parent's view of the same path
 * tells (init's, when the parent's cannot be read). */
static void warn_private_bpffs(const char *dir)
{
	char other[PATH_MAX + 32];
	struct stat ours, theirs;

	if (stat(dir, &ours))
		return;
	snprintf(other, sizeof(other), "/proc/%d/root%s", (int)getppid(), dir);
	if (stat(other, &theirs)) {
		snprintf(other, sizeof(other), "/proc/1/root%s", dir);
		if (stat(other, &theirs))
			return;
	}
	if (ours.st_dev == theirs.st_dev)
		return;
	pr_warn("the BPF filesystem at %s is not the host's: ztd runs in a private mount "
		"namespace (as under 'ip netns exec'), so its pins vanish when it exits, ztctl "
		"outside this namespace sees no maps, and a restart cannot adopt them; enter a "
		"network namespace with 'nsenter --net=/run/netns/NAME' instead\n", dir);
}

static int ensure_bpffs(const char *pin_root)
{
	struct statfs sfs;
	char parent[PATH_MAX];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", pin_root);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	if (statfs(parent, &sfs) == 0 && sfs.f_type == BPF_FS_MAGIC)
		goto mkroot;
	if (strcmp(parent, "/sys/fs/bpf")) {
		pr_warn("%s is not on a BPF filesystem; mount one there first\n", parent);
		return -ENOTDIR;
	}
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
		int err = -errno;

		pr_warn("mounting bpffs on /sys/fs/bpf: %s\n", strerror(errno));
		return err;
	}
	pr_info("mounted bpffs on /sys/fs/bpf\n");
mkroot:
	warn_private_bpffs(parent);
	if (mkdir(pin_root, 0700) && errno != EEXIST) {
		int err = -errno;

		pr_warn("creating %s: %s\n", pin_root, strerror(errno));
		return err;
	}
	return 0;
}

#define FILL_FD(n) fds->n = bpf_map__fd(maps->zt_##n);
#define FILL_FDS(m, o)                              \
	do {                                        \
		struct zt_map_fds *fds = (m);       \
		__typeof__(&(o)->maps) maps = &(o)->maps; \
		ZT_MAP_LIST(FILL_FD)                \
	} while (0)

int zt_bpf_open(struct zt_bpf *b, const char *pin_root)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_root);
	int err;

	memset(b, 0, sizeof(*b));
	if (strlen(pin_root) >= sizeof(b->pin_root)) {
		pr_warn("pin root %s is too long\n", pin_root);
		return -ENAMETOOLONG;
	}
	snprintf(b->pin_root, sizeof(b->pin_root), "%s", pin_root);
	zt_log_route_libbpf();
	err = ensure_bpffs(pin_root);
	if (err)
		return err;

	b->xdp = xdp_ingress_bpf__open_opts(&opts);
	if (!b->xdp) {
		err = -errno;
		goto fail;
	}
	err = xdp_ingress_bpf__load(b->xdp);
	if (err) {
		if (err == -EINVAL)
			pr_warn("cannot load or re-use the maps pinned under %s: they belong to "
				"another zt build; remove them with 'ztd --detach' first\n",
				pin_root);
		err = err == -EINVAL ? -EPROTO : err;
		goto fail;
	}
	b->tc = tc_ingress_bpf__open_opts(&opts);
	if (!b->tc) {
		err = -errno;
		goto fail;
	}
	err = tc_ingress_bpf__load(b->tc);
	if (err)
		goto fail;
	FILL_FDS(&b->m, b->xdp);
	err = zt_maps_check_state(b->m.state, pin_root);
	if (err)
		goto fail;
	return 0;
fail:
	zt_bpf_close(b);
	return err;
}

void zt_bpf_close(struct zt_bpf *b)
{
	tc_ingress_bpf__destroy(b->tc);
	xdp_ingress_bpf__destroy(b->xdp);
	b->tc = NULL;
	b->xdp = NULL;
}

static void link_path(char *buf, size_t n, const char *pin_root, int ifindex)
{
	snprintf(buf, n, "%s/links/xdp_%d", pin_root, ifindex);
}

/* The link type through an ioctl, not /sys/class/net: sysfs shows the
 * namespace it was mounted in, which need not be ours. */
static bool is_ethernet(int ifindex)
{
	struct ifreq ifr = { 0 };
	bool eth = true;
	int fd;

	if (!if_indextoname((unsigned)ifindex, ifr.ifr_name))
		return true;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return true;
	if (!ioctl(fd, SIOCGIFHWADDR, &ifr))
		eth = ifr.ifr_hwaddr.sa_family == ARPHRD_ETHER;
	close(fd);
	return eth;
}

static int attach_xdp(struct zt_bpf *b, int ifindex, enum zt_role role,
		      enum zt_attach_mode mode, enum zt_attach_mode *got)
{
	int prog = bpf_program__fd(role == ZT_ROLE_PRIVATE ? b->xdp->progs.zt_xdp_private
							   : b->xdp->progs.zt_xdp_ingress);
	char path[PATH_MAX], dir[PATH_MAX];
	int link, err;

	link_path(path, sizeof(path), b->pin_root, ifindex);
	link = bpf_obj_get(path);
	if (link >= 0) {
		struct bpf_link_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		/* A link whose device went away is defunct: replace it. */
		if (!bpf_obj_get_info_by_fd(link, &info, &len) && info.xdp.ifindex == (__u32)ifindex &&
		    !bpf_link_update(link, prog, NULL)) {
			LIBBPF_OPTS(bpf_xdp_query_opts, q);

			close(link);
			*got = !bpf_xdp_query(ifindex, 0, &q) && q.attach_mode == XDP_ATTACHED_SKB
				? ZT_ATTACH_GENERIC : ZT_ATTACH_NATIVE;
			pr_info("replaced XDP program on ifindex %d in place (%s)\n", ifindex,
				zt_attach_mode_name(*got));
			return 0;
		}
		close(link);
		unlink(path);
	}

	snprintf(dir, sizeof(dir), "%s/links", b->pin_root);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	if (mode != ZT_ATTACH_GENERIC) {
		LIBBPF_OPTS(bpf_link_create_opts, o, .flags = XDP_FLAGS_DRV_MODE);

		link = bpf_link_create(prog, ifindex, BPF_XDP, &o);
		if (link >= 0) {
			*got = ZT_ATTACH_NATIVE;
			goto pin;
		}
		err = -errno;
		if (mode == ZT_ATTACH_NATIVE || err == -EBUSY || err == -EEXIST) {
			pr_warn("attaching native XDP to ifindex %d: %s%s\n", ifindex, strerror(-err),
				err == -EBUSY ? " (another XDP program is attached)" : "");
			return err;
		}
		pr_warn("ifindex %d has no native XDP (%s); using generic XDP, which is slower\n",
			ifindex, strerror(-err));
	}
	{
		LIBBPF_OPTS(bpf_link_create_opts, o, .flags = XDP_FLAGS_SKB_MODE);

		link = bpf_link_create(prog, ifindex, BPF_XDP, &o);
		if (link < 0) {
			err = -errno;
			pr_warn("attaching generic XDP to ifindex %d: %s\n", ifindex, strerror(-err));
			return err;
		}
		*got = ZT_ATTACH_GENERIC;
	}
pin:
	if (bpf_obj_pin(link, path)) {
		err = -errno;
		pr_warn("pinning XDP link at %s: %s\n", path, strerror(-err));
		close(link);
		return err;
	}
	close(link);
	return 0;
}

static int detach_xdp(const char *pin_root, int ifindex)
{
	char path[PATH_MAX];
	int fd, ret = 0;

	link_path(path, sizeof(path), pin_root, ifindex);
	/* Unlinking the pin alone frees the link only after an RCU grace
	 * period and a work item; BPF_LINK_DETACH takes the program off now. */
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		if (bpf_link_detach(fd) && errno != ENOLINK)
			ret = -errno;
		close(fd);
	}
	if (unlink(path) && errno != ENOENT && !ret)
		ret = -errno;
	return ret;
}

/* What the client-side tc program does: the whole classifier on an L3
 * device or an Ethernet device without XDP, else act on XDP's verdicts. */
enum tc_kind { TC_FULL_L3, TC_FULL_ETH, TC_AFTER_XDP };

static int attach_tc(struct zt_bpf *b, int ifindex, enum zt_role role, enum tc_kind kind)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, o, .handle = ZT_TC_HANDLE, .priority = ZT_TC_PRIO,
			    .flags = BPF_TC_F_REPLACE);
	int err;

	if (role == ZT_ROLE_PRIVATE)
		o.prog_fd = bpf_program__fd(kind == TC_FULL_L3 ? b->tc->progs.zt_tc_private_l3
							       : b->tc->progs.zt_tc_private);
	else
		o.prog_fd = bpf_program__fd(kind == TC_FULL_L3  ? b->tc->progs.zt_tc_ingress_l3
					    : kind == TC_FULL_ETH ? b->tc->progs.zt_tc_ingress_eth
								  : b->tc->progs.zt_tc_ingress);
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST) {
		pr_warn("creating clsact on ifindex %d: %s\n", ifindex, strerror(-err));
		return err;
	}
	/* BPF_TC_F_REPLACE swaps the filter's program atomically. */
	err = bpf_tc_attach(&hook, &o);
	if (err)
		pr_warn("attaching tc ingress to ifindex %d: %s\n", ifindex, strerror(-err));
	return err;
}

int zt_bpf_attach(struct zt_bpf *b, int ifindex, enum zt_role role, enum zt_attach_mode mode,
		  enum zt_attach_mode *got)
{
	bool l3 = mode == ZT_ATTACH_TC_L3 ||
		  ((mode == ZT_ATTACH_AUTO || mode == ZT_ATTACH_TC) && !is_ethernet(ifindex));
	enum zt_attach_mode dummy;
	int err;

	if (!got)
		got = &dummy;
	if (l3) {
		*got = ZT_ATTACH_TC_L3;
		return attach_tc(b, ifindex, role, TC_FULL_L3);
	}
	/* The whole classifier at tc first, replacing whatever tc had: it is
	 * right on its own, and right with XDP in front of it (a packet is
	 * classified twice, never not at all). So no packet passes unclassified
	 * while XDP comes or goes. */
	err = attach_tc(b, ifindex, role, TC_FULL_ETH);
	if (err)
		return err;
	if (mode == ZT_ATTACH_TC) {
		*got = ZT_ATTACH_TC;
		return detach_xdp(b->pin_root, ifindex);
	}
	err = attach_xdp(b, ifindex, role, mode, got);
	if (err)
		return err;
	/* XDP classifies now: tc only acts on its verdicts (a private
	 * interface's tc program is the same either way). */
	return role == ZT_ROLE_PRIVATE ? 0 : attach_tc(b, ifindex, role, TC_AFTER_XDP);
}

int zt_bpf_detach(const char *pin_root, int ifindex)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, o, .handle = ZT_TC_HANDLE, .priority = ZT_TC_PRIO);
	int err, ret = detach_xdp(pin_root, ifindex);

	err = bpf_tc_detach(&hook, &o);
	if (err && err != -ENOENT && err != -EINVAL && err != -ENODEV && !ret)
		ret = err;
	return ret;
}

int zt_bpf_detach_pinned(const char *pin_root)
{
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int ret = 0;

	snprintf(dir, sizeof(dir), "%s/links", pin_root);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		int ifindex, n = 0, err;

		if (sscanf(de->d_name, "xdp_%d%n", &ifindex, &n) != 1 || de->d_name[n] ||
		    ifindex <= 0)
			continue;
		err = zt_bpf_detach(pin_root, ifindex);
		if (err && !ret)
			ret = err;
	}
	closedir(d);
	return ret;
}

static int unpin_dir(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);
	int ret = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (de->d_type == DT_DIR) {
			int err = unpin_dir(path);

			if (err && !ret)
				ret = err;
		} else if (unlink(path) && !ret) {
			ret = -errno;
		}
	}
	closedir(d);
	if (rmdir(dir) && !ret)
		ret = -errno;
	return ret;
}

int zt_bpf_unpin_all(const char *pin_root)
{
	return unpin_dir(pin_root);
}
