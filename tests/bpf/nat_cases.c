// SPDX-License-Identifier: GPL-2.0
/* nat_cases — test_classifier's cases for the DIRECT path's translations
 * (bpf/lib/nat.h), run by its main. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "apply.h"
#include "clock.h"
#include "config.h"
#include "loader.h"
#include "log.h"
#include "names.h"
#include "nat.h"
#include "policy.h"
#include "stats.h"
#include "zt_abi.h"
#include "xdp_ingress.skel.h"
#include "tc_ingress.skel.h"
#include "../lib/pkt.h"
#include "../lib/t.h"
#include "classifier.h"

/* ---- the DIRECT path's translations (bpf/lib/nat.h) ---------------------
 *
 * In a network namespace of their own, entered for these cases only: ztc0
 * (the client side: the gateway 10.10.0.1, clients 10.10.0.2 and .3 as
 * permanent neighbours) and ztp0 (the private side: the SNAT address
 * 10.2.0.1, the server 10.2.0.9), veths whose peers stay down. Packets go
 * in through BPF_PROG_TEST_RUN with those interfaces as their ingress, so
 * the FIB answers as on a gateway. Their own policy: every device may reach
 * 10.2.0.0/24, a local tunnel with a private interface. */

#define NAT_SERVER "10.2.0.9"
#define NAT_SNAT   "10.2.0.1"
#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_ACK 0x10

static int nat_home_ns = -1, if_cli, if_priv;
static __u64 *nat_counts; /* zt_nat_count, mapped as ztd maps it */
static struct zt_compiled nat_policy;
static struct zt_prefix nat_dst;
static struct zt_rule_in nat_rules[1];
static struct zt_route_in nat_routes[1];
static struct zt_device_in nat_devs[2];

static int nat_ports(__u16 lo, __u16 hi)
{
	struct zt_iface cli = { .flags = ZT_IF_F_XDP }, priv = {
		.flags = ZT_IF_F_PRIVATE | ZT_IF_F_XDP, .port_lo = lo, .port_hi = hi,
		.nat_per_device = ZT_NAT_PER_DEVICE_DEFAULT };
	__u32 k;

	inet_pton(AF_INET, NAT_SNAT, priv.snat4);
	k = (__u32)if_cli;
	if (bpf_map_update_elem(B.m.ifaces, &k, &cli, BPF_ANY))
		return -errno;
	k = (__u32)if_priv;
	return bpf_map_update_elem(B.m.ifaces, &k, &priv, BPF_ANY) ? -errno : 0;
}

/* Every translation goes, as ztd would remove them once idle: every
 * device's count is back to zero after it. */
static void nat_clear(void)
{
	struct zt_nat_gc_stats st;
	struct zt_flow_key k;
	__u32 i;

	zt_nat_gc(B.m.nat, nat_counts, ~0ULL >> 1, &st);
	T_ASSERT(bpf_map_get_next_key(B.m.nat, NULL, &k), "idle removal left an entry");
	for (i = 0; nat_counts && i < 4; i++)
		T_ASSERT(!nat_counts[i], "device %u: %llu translations counted after all went", i,
			 (unsigned long long)nat_counts[i]);
}

static int nat_enter(void)
{
	struct zt_policy_in in = {
		.rules = nat_rules, .n_rules = 1, .routes = nat_routes, .n_routes = 1,
		.devices = nat_devs, .n_devices = 2, .vnets = vnets, .n_vnets = 1,
		.default_vnet = VNET_DEFAULT, .default_action = ZT_ACT_BLOCK,
		.iri4 = PFX("100.80.0.0/16"), .iri6 = PFX("fd7a:5a7e::/64"),
	};
	struct zt_apply_stats st;
	int err;

	nat_home_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (nat_home_ns < 0 || unshare(CLONE_NEWNET)) {
		fprintf(stderr, "# a network namespace for the NAT cases: %s\n", strerror(errno));
		return -1;
	}
	if (system("ip link set lo up && "
		   "ip link add ztc0 type veth peer name ztc1 && "
		   "ip link add ztp0 type veth peer name ztp1 && "
		   "ip addr add 10.10.0.1/24 dev ztc0 && ip link set ztc0 up && "
		   "ip addr add 10.2.0.1/24 dev ztp0 && ip link set ztp0 up && "
		   "ip neigh replace 10.10.0.2 lladdr 02:00:00:00:00:02 dev ztc0 nud permanent && "
		   "ip neigh replace 10.10.0.3 lladdr 02:00:00:00:00:03 dev ztc0 nud permanent && "
		   "ip neigh replace 10.2.0.9 lladdr 02:00:00:00:02:09 dev ztp0 nud permanent && "
		   "echo 1 > /proc/sys/net/ipv4/ip_forward"))
		return -1;
	if_cli = (int)if_nametoindex("ztc0");
	if_priv = (int)if_nametoindex("ztp0");
	if (!if_cli || !if_priv)
		return -1;
	nat_dst = PFX("10.2.0.0/24");
	nat_rules[0] = (struct zt_rule_in){ .name = "private network", .precedence = 10,
		.action = ZT_ACT_ALLOW, .dst = &nat_dst, .n_dst = 1 };
	nat_routes[0] = (struct zt_route_in){ PFX("10.2.0.0/24"), VNET_DEFAULT, 1, 1, true, true };
	nat_devs[0] = (struct zt_device_in){ (__u32)if_cli, PFX(ADMIN), 1, USER_ADMIN,
					     VNET_DEFAULT, 0 };
	nat_devs[1] = (struct zt_device_in){ (__u32)if_cli, PFX(BOB), 2, USER_BOB,
					     VNET_DEFAULT, 0 };
	err = zt_policy_compile(&in, &nat_policy);
	if (!err)
		err = zt_apply(&B.m, &nat_policy, NULL, &st);
	if (!err)
		err = nat_ports(61000, 65535);
	if (!err)
		err = zt_nat_counts_map(B.m.nat_count, &nat_counts);
	return err ? -1 : 0;
}

static void nat_leave(void)
{
	__u32 k;

	nat_clear();
	k = (__u32)if_cli;
	bpf_map_delete_elem(B.m.ifaces, &k);
	k = (__u32)if_priv;
	bpf_map_delete_elem(B.m.ifaces, &k);
	if (nat_home_ns >= 0 && setns(nat_home_ns, CLONE_NEWNET))
		fprintf(stderr, "# back to the suite's network namespace: %s\n", strerror(errno));
	zt_compiled_free(&nat_policy);
	zt_nat_counts_unmap(nat_counts);
	nat_counts = NULL;
}

/* Runs an XDP program on a packet arriving on ifindex; *out gets what it
 * made of the packet. */
static int nat_run(int prog, int ifindex, const __u8 *pkt, size_t len, __u8 *out,
		   __u32 *out_len)
{
	struct xdp_md ctx = { .data_end = (__u32)len, .ingress_ifindex = (__u32)ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = (__u32)len,
		    .data_out = out, .data_size_out = 512, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);

	if (bpf_prog_test_run_opts(prog, &o))
		return -errno;
	*out_len = o.data_size_out;
	return (int)o.retval;
}

/* A TCP segment (flags 0: a SYN) from a client to the server, through
 * zt_xdp_ingress on ztc0. Returns the XDP action; *snat_port (may be NULL)
 * gets the source port it left with when redirected. */
static int nat_send(const char *src, __u16 sport, __u16 dport, __u8 flags, __u16 *snat_port)
{
	struct pkt_spec s = TCP4(src, NAT_SERVER, dport);
	__u8 buf[256], out[512];
	__u32 out_len = 0;
	size_t len;
	int rc;

	s.sport = sport;
	s.tcp_flags = flags;
	len = pkt_build(&s, buf, sizeof(buf), NULL, NULL);
	rc = nat_run(bpf_program__fd(B.xdp->progs.zt_xdp_ingress), if_cli, buf, len, out,
		     &out_len);
	if (snat_port)
		*snat_port = rc == XDP_REDIRECT && out_len >= 38 ? (__u16)(out[34] << 8 | out[35]) : 0;
	return rc;
}

/* The server's reply to the SNAT address and port, through zt_xdp_private
 * on ztp0. */
static int nat_reply(__u16 sport, __u16 snat_port, __u8 flags)
{
	struct pkt_spec s = TCP4(NAT_SERVER, NAT_SNAT, snat_port);
	__u8 buf[256], out[512];
	__u32 out_len = 0;
	size_t len;

	s.sport = sport;
	s.tcp_flags = flags;
	len = pkt_build(&s, buf, sizeof(buf), NULL, NULL);
	return nat_run(bpf_program__fd(B.xdp->progs.zt_xdp_private), if_priv, buf, len, out,
		       &out_len);
}

static void nat_fwd_key(struct zt_flow_key *k, const char *src, __u16 sport, __u16 dport)
{
	memset(k, 0, sizeof(*k));
	k->ifindex = (__u32)if_cli;
	k->family = ZT_AF_INET;
	k->proto = IPPROTO_TCP;
	k->sport = htons(sport);
	k->dport = htons(dport);
	inet_pton(AF_INET, src, k->src);
	inet_pton(AF_INET, NAT_SERVER, k->dst);
}

/* A port belongs to one live translation. A translation whose reply entry
 * (the port's claim) went while its forward entry stayed (evicted from the
 * LRU map, on the old code) must not carry its client's packets out with
 * a port another client has since: on the old code admin's segment left
 * with bob's port. */
static void nat_port_never_shared(void)
{
	struct zt_flow_key fk, rk;
	struct zt_nat f;
	__u16 p1 = 0, p2 = 0;
	__u64 d0;
	int rc;

	T_EQ(nat_ports(61000, 61000), 0); /* one port */
	T_EQ(nat_send(ADMIN, 40001, 22, 0, &p1), XDP_REDIRECT);
	T_EQ(p1, 61000);
	nat_fwd_key(&fk, ADMIN, 40001, 22);
	T_ASSERT(!bpf_map_lookup_elem(B.m.nat, &fk, &f), "admin's translation");
	zt_nat_rev_key(&fk, &f, &rk);
	T_ASSERT(!bpf_map_delete_elem(B.m.nat, &rk), "its reply entry");
	T_EQ(nat_send(BOB, 40002, 22, 0, &p2), XDP_REDIRECT);
	T_EQ(p2, 61000);
	d0 = stat_packets(ZT_V_DROP, ZT_R_NAT_NO_SYN);
	rc = nat_send(ADMIN, 40001, 22, TCPF_ACK, &p1);
	T_ASSERT(rc != XDP_REDIRECT, "admin's segment left with port %u, bob's", p1);
	T_EQ(rc, XDP_DROP);
	T_EQ(stat_packets(ZT_V_DROP, ZT_R_NAT_NO_SYN) - d0, 1); /* a segment of no translation */
	T_ASSERT(bpf_map_lookup_elem(B.m.nat, &fk, &f), "admin's stale translation is gone");
	/* While bob's translation lives, admin gets no port at all. */
	T_EQ(nat_send(ADMIN, 40001, 22, 0, NULL), XDP_DROP);
	T_EQ(nat_reply(22, 61000, TCPF_SYN | TCPF_ACK), XDP_REDIRECT); /* bob's reply */
	nat_clear();
	T_EQ(nat_ports(61000, 65535), 0);
}

/* Two ports, one taken: a new flow gets the other, every time. On the old
 * code (8 random tries) about one flow in 256 was dropped as nat_full with
 * a port free; 1024 rounds miss that less than once in 50. */
static void nat_small_range_finds_free_port(void)
{
	__u16 p1 = 0, p2 = 0;
	int i, full = 0;

	T_EQ(nat_ports(61000, 61001), 0);
	for (i = 0; i < 1024; i++) {
		T_EQ(nat_send(ADMIN, 40021, 22, 0, &p1), XDP_REDIRECT);
		if (nat_send(BOB, 40022, 22, 0, &p2) != XDP_REDIRECT || p2 == p1 ||
		    p2 < 61000 || p2 > 61001)
			full++;
		nat_clear();
	}
	T_ASSERT(!full, "%d of 1024 flows found no port with one of two free", full);
	T_EQ(nat_send(ADMIN, 40021, 22, 0, &p1), XDP_REDIRECT);
	T_EQ(nat_send(BOB, 40022, 22, 0, &p2), XDP_REDIRECT);
	T_EQ(nat_send(BOB, 40023, 22, 0, NULL), XDP_DROP); /* the third: none */
	nat_clear();
	T_EQ(nat_ports(61000, 65535), 0);
}

/* A full translation table: no translation loses one of its entries to a
 * new one (an LRU map evicted them on the old code), and a new flow is
 * dropped (nat_full) instead. */
static void nat_full_table_evicts_nothing(void)
{
	const __u32 chunk = 65536;
	struct zt_flow_key *keys = calloc(chunk, sizeof(*keys)), fk, rk;
	struct zt_nat *vals = calloc(chunk, sizeof(*vals)), f, r;
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	__u32 i, done = 0, count;
	__u16 p1 = 0, p2 = 0;
	bool full = false;

	T_ASSERT(keys && vals, "memory");
	if (!keys || !vals)
		goto out;
	T_EQ(nat_send(ADMIN, 40011, 22, 0, &p1), XDP_REDIRECT);
	while (!full && done < ZT_MAX_NAT) {
		for (i = 0; i < chunk; i++) {
			__u32 n = done + i;

			keys[i].ifindex = 9999; /* no interface's */
			keys[i].family = ZT_AF_INET;
			keys[i].proto = IPPROTO_UDP;
			memcpy(keys[i].src, &n, 4);
			vals[i].dir = ZT_NAT_REV;
		}
		count = chunk;
		if (bpf_map_update_batch(B.m.nat, keys, vals, &count, &o)) {
			T_ASSERT(errno == E2BIG, "filling the table: %s", strerror(errno));
			full = true;
		}
		done += count;
	}
	nat_fwd_key(&fk, ADMIN, 40011, 22);
	T_ASSERT(!bpf_map_lookup_elem(B.m.nat, &fk, &f), "admin's translation is still there");
	zt_nat_rev_key(&fk, &f, &rk);
	T_ASSERT(!bpf_map_lookup_elem(B.m.nat, &rk, &r), "... with its reply entry");
	T_EQ(nat_send(ADMIN, 40011, 22, TCPF_ACK, &p2), XDP_REDIRECT);
	T_EQ(p2, p1);
	T_EQ(nat_send(BOB, 40012, 22, 0, NULL), XDP_DROP);
	for (i = 0; i < done; i++) {
		struct zt_flow_key k = { .ifindex = 9999, .family = ZT_AF_INET,
					 .proto = IPPROTO_UDP };

		memcpy(k.src, &i, 4);
		bpf_map_delete_elem(B.m.nat, &k);
	}
out:
	nat_clear();
	free(keys);
	free(vals);
}

/* A TCP translation is made by a SYN (without ACK) only: other segments
 * with no translation are dropped. On the old code any segment made one. */
static void nat_tcp_needs_syn(void)
{
	static const __u8 bad[] = { TCPF_ACK, TCPF_SYN | TCPF_ACK, TCPF_RST, TCPF_FIN | TCPF_ACK,
				    TCPF_SYN | TCPF_FIN };
	struct pkt_spec u = { .src = ADMIN, .dst = NAT_SERVER, .proto = IPPROTO_UDP,
			      .sport = 40029, .dport = 53 };
	__u64 d0 = stat_packets(ZT_V_DROP, ZT_R_NAT_NO_SYN);
	struct zt_flow_key fk;
	struct zt_nat f;
	__u16 p1 = 0, p2 = 0;
	__u8 buf[256], out[512];
	__u32 out_len;
	size_t i, len;

	for (i = 0; i < sizeof(bad); i++) {
		T_ASSERT(nat_send(ADMIN, (__u16)(40021 + i), 22, bad[i], NULL) == XDP_DROP,
			 "TCP flags 0x%02x made a translation", bad[i]);
		nat_fwd_key(&fk, ADMIN, (__u16)(40021 + i), 22);
		T_ASSERT(bpf_map_lookup_elem(B.m.nat, &fk, &f), "flags 0x%02x: an entry", bad[i]);
	}
	T_EQ(stat_packets(ZT_V_DROP, ZT_R_NAT_NO_SYN) - d0, sizeof(bad));
	/* The same at tc (the whole classifier there: a veth without XDP). */
	{
		struct pkt_spec a = TCP4(ADMIN, NAT_SERVER, 22);
		struct __sk_buff skb = { .ifindex = (__u32)if_cli };
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = buf, .ctx_in = &skb,
			    .ctx_size_in = sizeof(skb), .repeat = 1);

		a.sport = 40028;
		a.tcp_flags = TCPF_ACK;
		o.data_size_in = (__u32)pkt_build(&a, buf, sizeof(buf), NULL, NULL);
		T_EQ(bpf_prog_test_run_opts(bpf_program__fd(B.tc->progs.zt_tc_ingress_eth), &o), 0);
		T_EQ(o.retval, TC_ACT_SHOT);
		T_EQ(stat_packets(ZT_V_DROP, ZT_R_NAT_NO_SYN) - d0, sizeof(bad) + 1);
	}
	/* UDP has no such thing: its first datagram makes one. */
	len = pkt_build(&u, buf, sizeof(buf), NULL, NULL);
	T_EQ(nat_run(bpf_program__fd(B.xdp->progs.zt_xdp_ingress), if_cli, buf, len, out,
		     &out_len), XDP_REDIRECT);
	/* A SYN makes one; the flow's later segments use it. */
	T_EQ(nat_send(ADMIN, 40021, 22, 0, &p1), XDP_REDIRECT);
	T_EQ(nat_send(ADMIN, 40021, 22, TCPF_ACK, &p2), XDP_REDIRECT);
	T_EQ(p1, p2);
	nat_clear();
}

/* The DIRECT path forwards by a FIB lookup of its own, which the kernel's
 * rp_filter never sees. A new translation needs the route back to its
 * source to leave through the interface it came in on (a strict reverse-
 * path check): admin's address, routed out of the private side (a spoofer
 * on the client link, or a host that moved), gets none, at XDP and at tc,
 * dropped as rp_filter; bob is not affected, and admin gets one again once
 * its route is back. On the old code admin's spoofed SYN was translated. */
static void nat_reverse_path(void)
{
	__u64 d0 = stat_packets(ZT_V_DROP, ZT_R_RP_FILTER);
	struct pkt_spec a = TCP4(ADMIN, NAT_SERVER, 22);
	struct __sk_buff skb = { .ifindex = (__u32)if_cli };
	struct zt_flow_key fk;
	struct zt_nat f;
	__u8 buf[256];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = buf, .ctx_in = &skb,
		    .ctx_size_in = sizeof(skb), .repeat = 1);

	T_EQ(system("ip route add " ADMIN "/32 dev ztp0"), 0);
	T_EQ(nat_send(ADMIN, 40031, 22, 0, NULL), XDP_DROP);
	nat_fwd_key(&fk, ADMIN, 40031, 22);
	T_ASSERT(bpf_map_lookup_elem(B.m.nat, &fk, &f), "a spoofed source got a translation");
	T_EQ(stat_packets(ZT_V_DROP, ZT_R_RP_FILTER) - d0, 1);
	a.sport = 40032;
	o.data_size_in = (__u32)pkt_build(&a, buf, sizeof(buf), NULL, NULL);
	T_EQ(bpf_prog_test_run_opts(bpf_program__fd(B.tc->progs.zt_tc_ingress_eth), &o), 0);
	T_EQ(o.retval, TC_ACT_SHOT);
	T_EQ(stat_packets(ZT_V_DROP, ZT_R_RP_FILTER) - d0, 2);
	T_EQ(nat_send(BOB, 40033, 22, 0, NULL), XDP_REDIRECT);
	T_EQ(system("ip route del " ADMIN "/32 dev ztp0"), 0);
	T_EQ(nat_send(ADMIN, 40031, 22, 0, NULL), XDP_REDIRECT);
	T_EQ(stat_packets(ZT_V_DROP, ZT_R_RP_FILTER) - d0, 2);
	nat_clear();
}

/* One device cannot take every translation: past gateway.nat_per_device
 * (default 4096) its new flows are dropped (nat_limit); another device's
 * are not. A translation gone, by the programs or by idle removal, is one
 * fewer. On the old code the device got all it asked for. */
static void nat_per_device_cap(void)
{
	__u64 l0 = stat_packets(ZT_V_DROP, ZT_R_NAT_LIMIT);
	struct zt_flow_key fk, rk;
	struct zt_nat f;
	int i, made = 0;

	for (i = 0; i < ZT_NAT_PER_DEVICE_DEFAULT; i++)
		made += nat_send(ADMIN, 41000, (__u16)(1 + i), 0, NULL) == XDP_REDIRECT;
	T_EQ(made, ZT_NAT_PER_DEVICE_DEFAULT);
	T_EQ(nat_send(ADMIN, 41000, 5000, 0, NULL), XDP_DROP);
	T_EQ(stat_packets(ZT_V_DROP, ZT_R_NAT_LIMIT) - l0, 1);
	T_EQ(nat_send(BOB, 41000, 5000, 0, NULL), XDP_REDIRECT);
	T_EQ(nat_counts[1], ZT_NAT_PER_DEVICE_DEFAULT);
	T_EQ(nat_counts[2], 1);
	/* One of admin's loses its port's claim: the programs remove it at
	 * its next segment, and admin may make one more. */
	nat_fwd_key(&fk, ADMIN, 41000, 1);
	T_ASSERT(!bpf_map_lookup_elem(B.m.nat, &fk, &f), "admin's first");
	zt_nat_rev_key(&fk, &f, &rk);
	T_EQ(bpf_map_delete_elem(B.m.nat, &rk), 0);
	T_EQ(nat_send(ADMIN, 41000, 1, TCPF_ACK, NULL), XDP_DROP);
	T_EQ(nat_counts[1], ZT_NAT_PER_DEVICE_DEFAULT - 1);
	T_EQ(nat_send(ADMIN, 41000, 5000, 0, NULL), XDP_REDIRECT);
	T_EQ(nat_send(ADMIN, 41000, 5001, 0, NULL), XDP_DROP);
	nat_clear(); /* idle removal: every count back to 0 */
}

/* Idle removal (user/lib/bpf/nat.c, ztd every 5 s) takes a pair together or
 * not at all: a flow whose server never answers keeps its port while its
 * client sends (ztd removed such a flow's reply entry on its own before,
 * and the port went to the next flow while the client's went on using
 * it); a FWD entry without its port goes at once, another's REV entry
 * stays. */
static void nat_idle_removal_by_pairs(void)
{
	struct zt_flow_key fk, rk, fk2, rk2;
	struct zt_nat f, r, f2;
	struct zt_nat_gc_stats st;
	__u64 now = zt_bpf_now_ns();

	T_EQ(nat_send(ADMIN, 40031, 9, 0, NULL), XDP_REDIRECT);
	nat_fwd_key(&fk, ADMIN, 40031, 9);
	T_ASSERT(!bpf_map_lookup_elem(B.m.nat, &fk, &f), "translation");
	zt_nat_rev_key(&fk, &f, &rk);
	T_ASSERT(!bpf_map_lookup_elem(B.m.nat, &rk, &r), "its reply entry");
	/* 2 h later the server has said nothing since the SYN, and the
	 * client sent a moment ago. */
	f.last_seen_ns = now + ZT_NAT_TCP_IDLE * 1000000000ULL;
	T_EQ(bpf_map_update_elem(B.m.nat, &fk, &f, BPF_EXIST), 0);
	now += (ZT_NAT_TCP_IDLE + 1) * 1000000000ULL;
	T_EQ(zt_nat_gc(B.m.nat, nat_counts, now, &st), 0);
	T_ASSERT(!bpf_map_lookup_elem(B.m.nat, &fk, &f) && !bpf_map_lookup_elem(B.m.nat, &rk, &r),
		 "a pair the client still uses lost an entry");
	/* Both idle past the timeout: both go. */
	now += ZT_NAT_TCP_IDLE * 1000000000ULL;
	T_EQ(zt_nat_gc(B.m.nat, nat_counts, now, &st), 0);
	T_EQ(st.removed, 1);
	T_ASSERT(bpf_map_lookup_elem(B.m.nat, &fk, &f) && bpf_map_lookup_elem(B.m.nat, &rk, &r),
		 "an idle pair stayed");

	/* A FWD entry whose REV key another translation holds: it goes at
	 * the next removal, idle or not, and the other's REV entry stays. */
	T_EQ(nat_send(ADMIN, 40032, 9, 0, NULL), XDP_REDIRECT);
	T_EQ(nat_send(BOB, 40033, 9, 0, NULL), XDP_REDIRECT);
	nat_fwd_key(&fk, ADMIN, 40032, 9);
	nat_fwd_key(&fk2, BOB, 40033, 9);
	T_ASSERT(!bpf_map_lookup_elem(B.m.nat, &fk, &f) && !bpf_map_lookup_elem(B.m.nat, &fk2, &f2),
		 "both translations");
	zt_nat_rev_key(&fk, &f, &rk);
	zt_nat_rev_key(&fk2, &f2, &rk2);
	T_EQ(bpf_map_delete_elem(B.m.nat, &rk), 0);
	f.sport = f2.sport; /* admin's now names bob's port */
	T_EQ(bpf_map_update_elem(B.m.nat, &fk, &f, BPF_EXIST), 0);
	T_EQ(zt_nat_gc(B.m.nat, nat_counts, zt_bpf_now_ns(), &st), 0);
	T_EQ(st.stale, 1);
	T_ASSERT(bpf_map_lookup_elem(B.m.nat, &fk, &f), "admin's portless entry stayed");
	T_ASSERT(!bpf_map_lookup_elem(B.m.nat, &fk2, &f2) &&
		 !bpf_map_lookup_elem(B.m.nat, &rk2, &r), "bob's translation went with it");
	nat_clear();
}

/* The TCP states idle removal goes by: embryonic from the SYN (30 s),
 * established by the server's SYN-ACK through the reply entry (2 h; not
 * by anything the client sends), closing after a FIN (30 s), done after a
 * RST (10 s); a new SYN on a translation starts over. */
static __u8 nat_flags_of(const char *src, __u16 sport, __u16 dport)
{
	struct zt_flow_key fk, rk;
	struct zt_nat f, r;

	nat_fwd_key(&fk, src, sport, dport);
	if (bpf_map_lookup_elem(B.m.nat, &fk, &f))
		return 0xff;
	zt_nat_rev_key(&fk, &f, &rk);
	if (bpf_map_lookup_elem(B.m.nat, &rk, &r))
		return 0xfe;
	return f.flags | r.flags;
}

/* Is the translation there after idle removal at its last packet plus
 * secs seconds? */
static bool nat_lives_after(const char *src, __u16 sport, __u16 dport, unsigned secs)
{
	struct zt_nat_gc_stats st;

	zt_nat_gc(B.m.nat, nat_counts, zt_bpf_now_ns() + secs * 1000000000ULL, &st);
	return nat_flags_of(src, sport, dport) < 0xfe;
}

static void nat_tcp_states_expire(void)
{
	__u16 p = 0;

	/* Embryonic: nobody answered the SYN. */
	T_EQ(nat_send(ADMIN, 40041, 22, 0, &p), XDP_REDIRECT);
	T_EQ(nat_flags_of(ADMIN, 40041, 22), 0);
	T_ASSERT(nat_lives_after(ADMIN, 40041, 22, ZT_NAT_SYN_IDLE - 1), "embryonic: gone early");
	T_ASSERT(!nat_lives_after(ADMIN, 40041, 22, ZT_NAT_SYN_IDLE + 1), "embryonic: stayed");
	/* What the client sends does not establish it. */
	T_EQ(nat_send(ADMIN, 40042, 22, 0, &p), XDP_REDIRECT);
	T_EQ(nat_send(ADMIN, 40042, 22, TCPF_SYN | TCPF_ACK, NULL), XDP_REDIRECT);
	T_EQ(nat_send(ADMIN, 40042, 22, TCPF_ACK, NULL), XDP_REDIRECT);
	T_EQ(nat_flags_of(ADMIN, 40042, 22), 0);
	T_ASSERT(!nat_lives_after(ADMIN, 40042, 22, ZT_NAT_SYN_IDLE + 1), "client-made: stayed");
	/* Established by the server's SYN-ACK. */
	T_EQ(nat_send(ADMIN, 40043, 22, 0, &p), XDP_REDIRECT);
	T_EQ(nat_reply(22, p, TCPF_SYN | TCPF_ACK), XDP_REDIRECT);
	T_EQ(nat_flags_of(ADMIN, 40043, 22), ZT_NAT_F_EST);
	T_ASSERT(nat_lives_after(ADMIN, 40043, 22, ZT_NAT_TCP_IDLE - 1), "established: gone early");
	T_ASSERT(!nat_lives_after(ADMIN, 40043, 22, ZT_NAT_TCP_IDLE + 1), "established: stayed");
	/* A RST from the client: done. */
	T_EQ(nat_send(ADMIN, 40044, 22, 0, &p), XDP_REDIRECT);
	T_EQ(nat_reply(22, p, TCPF_SYN | TCPF_ACK), XDP_REDIRECT);
	T_EQ(nat_send(ADMIN, 40044, 22, TCPF_RST, NULL), XDP_REDIRECT);
	T_EQ(nat_flags_of(ADMIN, 40044, 22), ZT_NAT_F_EST | ZT_NAT_F_RST);
	T_ASSERT(nat_lives_after(ADMIN, 40044, 22, ZT_NAT_RST_IDLE - 1), "reset: gone early");
	T_ASSERT(!nat_lives_after(ADMIN, 40044, 22, ZT_NAT_RST_IDLE + 1), "reset: stayed");
	/* A FIN from the server: closing. */
	T_EQ(nat_send(ADMIN, 40045, 22, 0, &p), XDP_REDIRECT);
	T_EQ(nat_reply(22, p, TCPF_SYN | TCPF_ACK), XDP_REDIRECT);
	T_EQ(nat_reply(22, p, TCPF_FIN | TCPF_ACK), XDP_REDIRECT);
	T_EQ(nat_flags_of(ADMIN, 40045, 22), ZT_NAT_F_EST | ZT_NAT_F_FIN);
	T_ASSERT(nat_lives_after(ADMIN, 40045, 22, ZT_NAT_FIN_IDLE - 1), "closing: gone early");
	/* ... until the same client port connects again: a new connection. */
	T_EQ(nat_send(ADMIN, 40045, 22, 0, NULL), XDP_REDIRECT);
	T_EQ(nat_flags_of(ADMIN, 40045, 22), 0);
	T_EQ(nat_reply(22, p, TCPF_SYN | TCPF_ACK), XDP_REDIRECT);
	T_ASSERT(nat_lives_after(ADMIN, 40045, 22, ZT_NAT_FIN_IDLE + 1), "reconnected: gone");
	nat_clear();
}

void nat_cases(void)
{
	if (nat_enter()) {
		printf("not ok - the NAT cases' network namespace and policy\n");
		nat_leave();
		return;
	}
	T_RUN(nat_port_never_shared);
	T_RUN(nat_small_range_finds_free_port);
	T_RUN(nat_full_table_evicts_nothing);
	T_RUN(nat_idle_removal_by_pairs);
	T_RUN(nat_tcp_needs_syn);
	T_RUN(nat_tcp_states_expire);
	T_RUN(nat_per_device_cap);
	T_RUN(nat_reverse_path);
	nat_leave();
}

