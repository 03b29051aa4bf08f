// SPDX-License-Identifier: GPL-2.0
/* test_loader — the loader on real interfaces in network namespaces made
 * for the run: native XDP on a veth, generic fallback on a bridge, the full
 * classifier at tc on an L3 (tun) device, policy enforced on real UDP
 * traffic, programs replaced in place (same link, new program, maps kept),
 * enforcement that outlives the process, an incompatible build refused, and
 * detach removing everything. Runs on the host and in the vmtest. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "apply.h"
#include "loader.h"
#include "log.h"
#include "policy.h"
#include "stats.h"
#include "zt_abi.h"
#include "xdp_ingress.skel.h"
#include "tc_ingress.skel.h"
#include "../lib/pkt.h"
#include "../lib/t.h"

#define PORT_ALLOW 5001
#define PORT_BLOCK 5002
#define PORT_OTHER 5003

static char pin_root[64], cli_ns[32];
static int self_ns = -1, cli_fd = -1;
static int if_gw, if_bridge, if_tun, tun_fd = -1;
static struct zt_bpf B;
static bool have_b;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc)
		fprintf(stderr, "# command failed (%d): %s\n", rc, cmd);
	return rc;
}

static void cleanup(void)
{
	if (have_b)
		zt_bpf_close(&B);
	if (cli_ns[0])
		sh("ip netns del %s 2>/dev/null", cli_ns);
	if (pin_root[0])
		zt_bpf_unpin_all(pin_root);
}

/* gw (this process, a fresh netns): gw0 10.10.0.1; bridge priv0 (no native
 * XDP) holding the private addresses 10.2.0.1 and 10.3.0.1; tun zt-tun
 * 10.20.0.1/30 (an L3 device, as WireGuard is), whose packets the test
 * writes itself. cli: cli0 10.10.0.2 routing 10.2.0.0/24 via gw0. */
static int topology(void)
{
	struct ifreq ifr = { .ifr_flags = IFF_TUN | IFF_NO_PI };
	char path[64];

	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "# unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return -1;
	}
	self_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	snprintf(cli_ns, sizeof(cli_ns), "ztlt%d", (int)getpid());
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "zt-tun");
	tun_fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (tun_fd < 0 || ioctl(tun_fd, TUNSETIFF, &ifr)) {
		fprintf(stderr, "# creating tun device: %s\n", strerror(errno));
		return -1;
	}
	if (sh("ip netns add %s", cli_ns) ||
	    sh("ip link set lo up") ||
	    sh("ip link add gw0 type veth peer name cli0 netns %s", cli_ns) ||
	    sh("ip addr add 10.10.0.1/24 dev gw0 && ip link set gw0 up") ||
	    sh("ip link add priv0 type bridge && ip link set priv0 up") ||
	    sh("ip addr add 10.2.0.1/24 dev priv0 && ip addr add 10.3.0.1/24 dev priv0") ||
	    sh("ip addr add 10.20.0.1/30 dev zt-tun && ip link set zt-tun up") ||
	    sh("ip -n %s link set lo up && ip -n %s addr add 10.10.0.2/24 dev cli0 && "
	       "ip -n %s link set cli0 up", cli_ns, cli_ns, cli_ns) ||
	    sh("ip -n %s route add 10.2.0.0/24 via 10.10.0.1", cli_ns))
		return -1;
	snprintf(path, sizeof(path), "/run/netns/%s", cli_ns);
	cli_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (cli_fd < 0) {
		fprintf(stderr, "# opening %s: %s\n", path, strerror(errno));
		return -1;
	}
	if_gw = (int)if_nametoindex("gw0");
	if_bridge = (int)if_nametoindex("priv0");
	if_tun = (int)if_nametoindex("zt-tun");
	return !if_gw || !if_bridge || !if_tun ? -1 : 0;
}

#define PFX(s) ({ struct zt_prefix _p; if (zt_prefix_parse(s, &_p)) abort(); _p; })

static int apply_policy(const struct zt_map_fds *m)
{
	static struct zt_prefix p10;
	static const struct zt_port_range allow[] = { { PORT_ALLOW, PORT_ALLOW } },
					  block[] = { { PORT_BLOCK, PORT_BLOCK } };
	static const __u32 vnets[] = { 1 };
	struct zt_rule_in rules[2];
	struct zt_route_in routes[2];
	struct zt_device_in devs[2];
	struct zt_compiled c;
	struct zt_apply_stats st;
	struct zt_policy_in in = {
		.rules = rules, .n_rules = 2, .routes = routes, .n_routes = 2,
		.devices = devs, .n_devices = 2, .vnets = vnets, .n_vnets = 1,
		.default_vnet = 1, .default_action = ZT_ACT_BLOCK,
	};
	int err;

	p10 = PFX("10.0.0.0/8");
	rules[0] = (struct zt_rule_in){ .name = "allow udp 5001", .precedence = 10,
		.action = ZT_ACT_ALLOW, .protos = 1u << ZT_PC_UDP, .ports = allow, .n_ports = 1 };
	rules[1] = (struct zt_rule_in){ .name = "block udp 5002", .precedence = 20,
		.action = ZT_ACT_BLOCK, .dst = &p10, .n_dst = 1, .protos = 1u << ZT_PC_UDP,
		.ports = block, .n_ports = 1 };
	routes[0] = (struct zt_route_in){ PFX("10.2.0.0/24"), 1, 1, 1, true };
	routes[1] = (struct zt_route_in){ PFX("10.3.0.0/24"), 1, 2, 1, true };
	devs[0] = (struct zt_device_in){ (__u32)if_gw, PFX("10.10.0.2"), 1, 1, 1, 0 };
	devs[1] = (struct zt_device_in){ (__u32)if_tun, PFX("10.20.0.2"), 2, 1, 1, 0 };
	err = zt_policy_compile(&in, &c);
	if (err)
		return err;
	err = zt_apply(m, &c, NULL, &st);
	zt_compiled_free(&c);
	return err;
}

static int udp_server(const char *dst, __u16 port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int srv, one = 1;

	inet_pton(AF_INET, dst, &a.sin_addr);
	srv = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (srv < 0)
		return -1;
	setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(srv, (struct sockaddr *)&a, sizeof(a))) {
		close(srv);
		return -1;
	}
	return srv;
}

static bool received(int srv)
{
	struct pollfd p = { .fd = srv, .events = POLLIN };
	char buf[64];

	return poll(&p, 1, 1000) == 1 && recv(srv, buf, sizeof(buf), 0) > 0;
}

/* Sends one datagram from the client namespace (a new socket: a new flow)
 * to dst:port and says whether a server bound there received it in 1 s. */
static bool udp_reaches(const char *dst, __u16 port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int srv = udp_server(dst, port), cli = -1;
	bool got = false;

	inet_pton(AF_INET, dst, &a.sin_addr);
	if (srv < 0 || setns(cli_fd, CLONE_NEWNET))
		goto out;
	cli = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (setns(self_ns, CLONE_NEWNET))
		abort(); /* the rest of the suite would run in the wrong netns */
	if (cli < 0 || sendto(cli, "zt", 2, 0, (struct sockaddr *)&a, sizeof(a)) != 2)
		goto out;
	got = received(srv);
out:
	if (cli >= 0)
		close(cli);
	if (srv >= 0)
		close(srv);
	return got;
}

/* The same through the tun device: the datagram from 10.20.0.2 is written
 * to the tun fd and arrives on zt-tun as a bare IP packet. */
static bool udp_reaches_via_tun(const char *dst, __u16 port)
{
	static __u16 sport = 40000;
	struct pkt_spec s = { .l3 = 1, .src = "10.20.0.2", .dst = dst, .proto = IPPROTO_UDP,
			      .sport = sport++, .dport = port, .payload = 2 };
	int srv = udp_server(dst, port);
	__u8 buf[128];
	size_t len = pkt_build(&s, buf, sizeof(buf), NULL, NULL);
	bool got;

	if (srv < 0)
		return false;
	got = write(tun_fd, buf, len) == (ssize_t)len && received(srv);
	close(srv);
	return got;
}

static __u32 prog_id(int fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

static __u32 map_id(int fd)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

static __u32 pinned_link_id(int ifindex)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/links/xdp_%d", pin_root, ifindex);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.id = 0;
	close(fd);
	return info.id;
}

static void xdp_query(int ifindex, __u32 *id, __u8 *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	*id = 0;
	*mode = XDP_ATTACHED_NONE;
	if (!bpf_xdp_query(ifindex, 0, &q)) {
		*id = q.prog_id;
		*mode = q.attach_mode;
	}
}

static __u32 tc_query(int ifindex)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, o, .handle = 0x7a74, .priority = 1);

	return bpf_tc_query(&h, &o) ? 0 : o.prog_id;
}

/* attach_auto: B's programs attached to IFINDEX in AUTO mode, which must
 * pick WANT; then the XDP program the interface says it runs, and how. */
static void attach_auto(struct zt_bpf *b, int ifindex, enum zt_attach_mode want, __u32 *id,
			__u8 *mode)
{
	enum zt_attach_mode got = ZT_ATTACH_AUTO;

	T_EQ(zt_bpf_attach(b, ifindex, ZT_ROLE_CLIENT, ZT_ATTACH_AUTO, &got), 0);
	T_EQ(got, want);
	xdp_query(ifindex, id, mode);
}

/* ---- cases ------------------------------------------------------------- */

static void native_xdp_and_tc_on_veth(void)
{
	__u32 id;
	__u8 mode;

	attach_auto(&B, if_gw, ZT_ATTACH_NATIVE, &id, &mode);
	T_EQ(mode, XDP_ATTACHED_DRV);
	T_EQ(id, prog_id(bpf_program__fd(B.xdp->progs.zt_xdp_ingress)));
	T_EQ(tc_query(if_gw), prog_id(bpf_program__fd(B.tc->progs.zt_tc_ingress)));
	T_ASSERT(pinned_link_id(if_gw) != 0, "XDP link not pinned under %s/links", pin_root);
}

static void policy_enforced_on_real_traffic(void)
{
	__u64 allow = zt_stat_packets(B.m.stats, ZT_V_DIRECT, ZT_R_RULE);
	__u64 block = zt_stat_packets(B.m.stats, ZT_V_DROP, ZT_R_RULE);
	__u64 dflt = zt_stat_packets(B.m.stats, ZT_V_DROP, ZT_R_DEFAULT);

	T_ASSERT(udp_reaches("10.2.0.1", PORT_ALLOW), "allowed datagram did not arrive");
	T_ASSERT(!udp_reaches("10.2.0.1", PORT_BLOCK), "blocked datagram arrived");
	T_ASSERT(!udp_reaches("10.2.0.1", PORT_OTHER), "datagram no rule allows arrived");
	T_EQ(zt_stat_packets(B.m.stats, ZT_V_DIRECT, ZT_R_RULE) - allow, 1);
	T_EQ(zt_stat_packets(B.m.stats, ZT_V_DROP, ZT_R_RULE) - block, 1);
	T_EQ(zt_stat_packets(B.m.stats, ZT_V_DROP, ZT_R_DEFAULT) - dflt, 1);
}

static void replaced_in_place_and_outlives_process(void)
{
	__u32 link_before = pinned_link_id(if_gw), id;
	__u32 old_xdp = prog_id(bpf_program__fd(B.xdp->progs.zt_xdp_ingress));
	struct zt_bpf b2;
	__u8 mode;
	int err;

	/* A second load (what a restarted ztd does) re-uses the pinned maps
	 * and swaps the programs under the same link and filter. */
	err = zt_bpf_open(&b2, pin_root);
	T_EQ(err, 0);
	if (err)
		return;
	T_EQ(map_id(b2.m.flows), map_id(B.m.flows));
	T_EQ(map_id(b2.m.routes4), map_id(B.m.routes4));
	attach_auto(&b2, if_gw, ZT_ATTACH_NATIVE, &id, &mode);
	T_EQ(pinned_link_id(if_gw), link_before);
	T_EQ(id, prog_id(bpf_program__fd(b2.xdp->progs.zt_xdp_ingress)));
	T_ASSERT(id != old_xdp, "XDP program id %u did not change", id);
	T_EQ(tc_query(if_gw), prog_id(bpf_program__fd(b2.tc->progs.zt_tc_ingress)));

	/* Nothing holds the programs now but the pins and the filter: the
	 * policy applied by the first load is still enforced. */
	zt_bpf_close(&b2);
	zt_bpf_close(&B);
	have_b = false;
	T_ASSERT(udp_reaches("10.2.0.1", PORT_ALLOW), "allowed datagram did not arrive");
	T_ASSERT(!udp_reaches("10.2.0.1", PORT_BLOCK),
		 "blocked datagram arrived with no process holding the programs");
	T_EQ(zt_bpf_open(&B, pin_root), 0);
	have_b = true;
}

static void incompatible_build_refused(void)
{
	struct zt_state st, saved;
	struct zt_map_fds m;
	struct zt_bpf b2;
	__u32 zero = 0;

	T_EQ(bpf_map_lookup_elem(B.m.state, &zero, &saved), 0);
	st = saved;
	st.abi_version = ZT_ABI_VERSION + 100;
	T_EQ(bpf_map_update_elem(B.m.state, &zero, &st, BPF_ANY), 0);
	T_EQ(zt_bpf_open(&b2, pin_root), -EPROTO);
	T_EQ(zt_maps_open_pinned(pin_root, &m), -EPROTO);
	T_EQ(bpf_map_update_elem(B.m.state, &zero, &saved, BPF_ANY), 0);
	T_EQ(zt_maps_open_pinned(pin_root, &m), 0);
	zt_maps_close(&m);
	/* The refused load left the programs in force. */
	T_ASSERT(!udp_reaches("10.2.0.1", PORT_BLOCK), "blocked datagram arrived");
}

static void generic_fallback_on_bridge(void)
{
	enum zt_attach_mode got = ZT_ATTACH_AUTO;
	__u32 id;
	__u8 mode;

	attach_auto(&B, if_bridge, ZT_ATTACH_GENERIC, &id, &mode);
	T_EQ(mode, XDP_ATTACHED_SKB);
	/* Asking for native where there is none is an error, not a fallback. */
	T_EQ(zt_bpf_detach(pin_root, if_bridge), 0);
	T_ASSERT(zt_bpf_attach(&B, if_bridge, ZT_ROLE_CLIENT, ZT_ATTACH_NATIVE, &got) < 0,
		 "native XDP on a bridge succeeded");
	xdp_query(if_bridge, &id, &mode);
	T_EQ(id, 0);
	T_EQ(zt_bpf_detach(pin_root, if_bridge), 0);
}

static void l3_device_classified_at_tc(void)
{
	__u64 allow = zt_stat_packets(B.m.stats, ZT_V_DIRECT, ZT_R_RULE);
	__u64 block = zt_stat_packets(B.m.stats, ZT_V_DROP, ZT_R_RULE);
	__u32 id;
	__u8 mode;

	attach_auto(&B, if_tun, ZT_ATTACH_TC_L3, &id, &mode);
	T_EQ(id, 0);
	T_EQ(tc_query(if_tun), prog_id(bpf_program__fd(B.tc->progs.zt_tc_ingress_l3)));
	T_ASSERT(udp_reaches_via_tun("10.3.0.1", PORT_ALLOW), "allowed datagram via tun lost");
	T_ASSERT(!udp_reaches_via_tun("10.3.0.1", PORT_BLOCK), "blocked datagram via tun arrived");
	T_EQ(zt_stat_packets(B.m.stats, ZT_V_DIRECT, ZT_R_RULE) - allow, 1);
	T_EQ(zt_stat_packets(B.m.stats, ZT_V_DROP, ZT_R_RULE) - block, 1);
}

/* The map list (bpf/maps.h's ZT_MAP_LIST) is the one ztctl and the pinned
 * opener walk: a map the programs define but the list lacks would be
 * invisible to them (the compiler already refuses a listed name the
 * skeletons lack). Every pinned map of both programs is listed, and every
 * listed one pinned (per-CPU scratch maps are each program's own). */
static void every_map_is_listed(void)
{
	static const char *const listed[] = {
#define NAME(n) "zt_" #n,
		ZT_MAP_LIST(NAME)
#undef NAME
	};
	struct bpf_object *objs[] = { B.xdp->obj, B.tc->obj };
	const struct bpf_map *m;
	size_t i, k, seen = 0;

	for (i = 0; i < 2; i++)
		bpf_object__for_each_map(m, objs[i]) {
			const char *name = bpf_map__name(m);
			bool found = false;

			for (k = 0; k < sizeof(listed) / sizeof(listed[0]); k++)
				found |= !strcmp(name, listed[k]);
			if (bpf_map__pin_path(m)) {
				T_ASSERT(found, "pinned map %s is not in ZT_MAP_LIST", name);
				seen++;
			} else {
				T_ASSERT(!found, "listed map %s is not pinned", name);
			}
		}
	/* Shared maps are in both objects. */
	T_ASSERT(seen >= sizeof(listed) / sizeof(listed[0]), "saw %zu pinned maps", seen);
}

static void detach_removes_everything(void)
{
	__u32 id;
	__u8 mode;

	T_EQ(zt_bpf_detach(pin_root, if_gw), 0);
	T_EQ(zt_bpf_detach(pin_root, if_tun), 0);
	xdp_query(if_gw, &id, &mode);
	T_EQ(id, 0);
	T_EQ(tc_query(if_gw), 0);
	T_EQ(tc_query(if_tun), 0);
	/* With nothing attached the kernel alone decides: it delivers. */
	T_ASSERT(udp_reaches("10.2.0.1", PORT_BLOCK), "datagram lost after detach");
	zt_bpf_close(&B);
	have_b = false;
	T_EQ(zt_bpf_unpin_all(pin_root), 0);
	T_ASSERT(access(pin_root, F_OK) != 0, "%s still exists", pin_root);
}

int main(void)
{
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	zt_log_level = ZT_LOG_WARN;
	atexit(cleanup);
	snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/zt-lt-%d", (int)getpid());
	if (topology()) {
		printf("not ok - build the namespace topology\n");
		return 1;
	}
	err = zt_bpf_open(&B, pin_root);
	if (err) {
		printf("not ok - load programs and maps: %s\n", strerror(-err));
		return 1;
	}
	have_b = true;
	err = apply_policy(&B.m);
	if (err) {
		printf("not ok - compile and apply the policy: %s\n", strerror(-err));
		return 1;
	}
	T_RUN(native_xdp_and_tc_on_veth);
	T_RUN(policy_enforced_on_real_traffic);
	T_RUN(replaced_in_place_and_outlives_process);
	T_RUN(incompatible_build_refused);
	T_RUN(generic_fallback_on_bridge);
	T_RUN(l3_device_classified_at_tc);
	T_RUN(every_map_is_listed);
	T_RUN(detach_removes_everything);
	return t_done();
}
