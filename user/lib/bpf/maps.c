// SPDX-License-Identifier: GPL-2.0
/* maps.c — see maps.h. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "maps.h"
#include "zt_abi.h"

const char *zt_attach_mode_name(enum zt_attach_mode m)
{
	switch (m) {
	case ZT_ATTACH_NATIVE:  return "xdp-native";
	case ZT_ATTACH_GENERIC: return "xdp-generic";
	case ZT_ATTACH_TC_L3:   return "tc-l3";
	case ZT_ATTACH_TC:      return "tc";
	default:                return "auto";
	}
}

/* A fresh state map is stamped with our ABI; an old one must carry it. */
int zt_maps_check_state(int fd, const char *pin_root)
{
	struct zt_state st;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(fd, &zero, &st))
		return -errno;
	if (st.abi_version == 0) {
		memset(&st, 0, sizeof(st));
		st.abi_version = ZT_ABI_VERSION;
		st.drop_events_per_sec = ZT_DROP_EVENTS_DEFAULT;
		st.half[0].default_action = ZT_DEFAULT_ACTION_DEFAULT;
		st.half[1].default_action = ZT_DEFAULT_ACTION_DEFAULT;
		if (bpf_map_update_elem(fd, &zero, &st, BPF_ANY))
			return -errno;
		return 0;
	}
	if (st.abi_version != ZT_ABI_VERSION) {
		pr_warn("maps pinned under %s belong to an incompatible zt build "
			"(ABI %u, this build %u); remove them with 'ztd --detach' first\n",
			pin_root, st.abi_version, ZT_ABI_VERSION);
		return -EPROTO;
	}
	return 0;
}

int zt_maps_open_pinned(const char *pin_root, struct zt_map_fds *m)
{
	static const struct {
		const char *name;
		size_t off;
	} tab[] = {
#define E(n) { "zt_" #n, offsetof(struct zt_map_fds, n) },
		ZT_MAP_LIST(E)
#undef E
	};
	char path[PATH_MAX];
	size_t i;
	int err;

	memset(m, -1, sizeof(*m));
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/%s", pin_root, tab[i].name);
		fd = bpf_obj_get(path);
		if (fd < 0) {
			err = -errno;
			zt_maps_close(m);
			return err;
		}
		*(int *)((char *)m + tab[i].off) = fd;
	}
	return zt_maps_check_state(m->state, pin_root);
}

void zt_maps_close(struct zt_map_fds *m)
{
	int *fds = (int *)m;
	size_t i;

	for (i = 0; i < sizeof(*m) / sizeof(int); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	memset(m, -1, sizeof(*m));
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf warnings are our info, its info our debug. */
	int ours = level == LIBBPF_WARN ? ZT_LOG_INFO : ZT_LOG_DEBUG;

	if (ours > zt_log_level)
		return 0;
	fprintf(stderr, "zt: libbpf: ");
	return vfprintf(stderr, fmt, ap);
}

void zt_log_route_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}

int zt_state_set_u32(int fd, size_t offset, __u32 v)
{
	struct zt_state st;
	__u32 zero = 0;

	if (offset + sizeof(v) > sizeof(st))
		return -EINVAL;
	if (bpf_map_lookup_elem(fd, &zero, &st))
		return -errno;
	memcpy((char *)&st + offset, &v, sizeof(v));
	return bpf_map_update_elem(fd, &zero, &st, BPF_ANY) ? -errno : 0;
}
