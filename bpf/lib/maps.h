/* SPDX-License-Identifier: GPL-2.0 */
/* maps.h — every map the programs share. All are pinned by name under
 * /sys/fs/bpf/zt/ (or the loader's pin root), so each program object and
 * every ztd run re-uses the same maps. */
#ifndef ZT_BPF_MAPS_H
#define ZT_BPF_MAPS_H

#include "ctx.h"

/* ZT_MAP_F: with map_flags (ZT_MAP: none). */
#define ZT_MAP_F(_type, _name, _key, _val, _max, _flags) \
	struct {                                         \
		__uint(type, _type);                     \
		__uint(max_entries, _max);               \
		__type(key, _key);                       \
		__type(value, _val);                     \
		__uint(map_flags, _flags);               \
		__uint(pinning, LIBBPF_PIN_BY_NAME);     \
	} _name SEC(".maps")
#define ZT_MAP(_type, _name, _key, _val, _max) ZT_MAP_F(_type, _name, _key, _val, _max, 0)

ZT_MAP(BPF_MAP_TYPE_ARRAY, zt_state, __u32, struct zt_state, 1);
ZT_MAP(BPF_MAP_TYPE_HASH, zt_devices, struct zt_dev_key, struct zt_dev_val, ZT_MAX_DEVICES);
ZT_MAP(BPF_MAP_TYPE_HASH, zt_iri, struct zt_iri_key, struct zt_iri_val, ZT_MAX_IRIS);
ZT_MAP(BPF_MAP_TYPE_ARRAY, zt_rules, __u32, struct zt_rule, ZT_HALVES * ZT_MAX_RULES);
ZT_MAP(BPF_MAP_TYPE_ARRAY, zt_sets, __u32, struct zt_bitmap, ZT_HALVES * ZT_MAX_SETS);
ZT_MAP(BPF_MAP_TYPE_ARRAY, zt_ports, __u32, __u32, ZT_HALVES * ZT_PCLASSES * ZT_PORTS);
ZT_MAP(BPF_MAP_TYPE_LRU_HASH, zt_flows, struct zt_flow_key, struct zt_flow, ZT_MAX_FLOWS);
/* Drop verdicts, apart from flows (classify.h): keyed like a flow without
 * the source port, so a flood that changes it costs one look-up and no
 * insert, and no blocked flow ever pushes an allowed one out of zt_flows.
 * LRU lists per CPU: a flood on one CPU evicts only that CPU's entries. */
ZT_MAP_F(BPF_MAP_TYPE_LRU_HASH, zt_drops, struct zt_flow_key, struct zt_flow, ZT_MAX_DROPS,
	 BPF_F_NO_COMMON_LRU);
/* The source lately dropped, one per slot (a hash of the address): its
 * packets look in zt_drops before zt_flows (the flood's path); everyone
 * else's go to zt_flows alone (the established flow's path). */
ZT_MAP(BPF_MAP_TYPE_ARRAY, zt_drop_srcs, __u32, struct zt_drop_src, ZT_DROP_SRCS);
/* Per CPU, the drop each such source last hit, for its next packets. */
ZT_MAP(BPF_MAP_TYPE_PERCPU_ARRAY, zt_drop_last, __u32, struct zt_drop_last, ZT_DROP_SRCS);
ZT_MAP(BPF_MAP_TYPE_LRU_HASH, zt_frags, struct zt_frag_key, struct zt_frag_val, ZT_MAX_FRAGS);
ZT_MAP(BPF_MAP_TYPE_PERCPU_ARRAY, zt_stats, __u32, struct zt_stat, ZT_V_MAX * ZT_MAX_REASONS);
ZT_MAP(BPF_MAP_TYPE_PERCPU_ARRAY, zt_counters, __u32, __u64, ZT_C_MAX);
ZT_MAP(BPF_MAP_TYPE_PERCPU_ARRAY, zt_ratelimit, __u32, struct zt_ratelimit, 1);
/* The DIRECT path's translations (nat.h). Not LRU: an eviction takes one
 * entry of a pair, and a FWD entry whose REV went has lost its port to
 * whoever allocates it next. Entries leave only when ztd removes idle
 * pairs (or the programs a stale one); when full, new flows are dropped
 * (NAT_FULL), never another's translation. */
ZT_MAP(BPF_MAP_TYPE_HASH, zt_nat, struct zt_flow_key, struct zt_nat, ZT_MAX_NAT);
/* Translations (FWD entries) per device id, for gateway.nat_per_device:
 * the programs add one with each FWD entry they make and take one away
 * with each they delete; ztd, which removes idle ones, takes its away
 * through a shared mapping (hence an mmapable array, atomics both sides).
 * Unenrolled sources (device 0) share slot 0. */
ZT_MAP_F(BPF_MAP_TYPE_ARRAY, zt_nat_count, __u32, __u64, ZT_NAT_COUNT_SLOTS,
	 BPF_F_MMAPABLE);
ZT_MAP(BPF_MAP_TYPE_HASH, zt_ifaces, __u32, struct zt_iface, ZT_MAX_IFINDEX_MAP);
/* DNS answers the programs give themselves (dns.h), filled by ztd. */
ZT_MAP(BPF_MAP_TYPE_LRU_HASH, zt_dns_cache, struct zt_dns_key, struct zt_dns_val,
       ZT_MAX_DNS_CACHE);
ZT_MAP(BPF_MAP_TYPE_HASH, zt_dns_listen, struct zt_dns_listen_key, __u8, ZT_MAX_DNS_LISTEN);
/* The proxy's listening sockets (steer.h), put there by ztd; a socket
 * leaves by itself when it closes, so a stopped ztd leaves none. */
ZT_MAP(BPF_MAP_TYPE_SOCKMAP, zt_proxy, __u32, __u64, ZT_PROXY_SLOTS);

/* LPM tries must be created without preallocation. */
ZT_MAP_F(BPF_MAP_TYPE_LPM_TRIE, zt_routes4, struct zt_route4_key, struct zt_route_val,
	 ZT_MAX_ROUTES, BPF_F_NO_PREALLOC);
ZT_MAP_F(BPF_MAP_TYPE_LPM_TRIE, zt_routes6, struct zt_route6_key, struct zt_route_val,
	 ZT_MAX_ROUTES, BPF_F_NO_PREALLOC);

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, ZT_EVENTS_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} zt_events SEC(".maps");

/* Echo requests to remote tunnels, for ztd (steer.h). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, ZT_ICMP_RING_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} zt_icmp SEC(".maps");

static __always_inline void zt_count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&zt_counters, &idx);

	if (v)
		*v += 1; /* per-CPU: no atomics needed */
}

static __always_inline void zt_stat(__u8 verdict, __u8 reason, __u32 len)
{
	__u32 idx = (__u32)verdict * ZT_MAX_REASONS + reason;
	struct zt_stat *s = bpf_map_lookup_elem(&zt_stats, &idx);

	if (s) {
		s->packets += 1;
		s->bytes += len;
	}
}

#endif
