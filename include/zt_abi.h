/* SPDX-License-Identifier: GPL-2.0 */
/* zt_abi.h — every map key and value, enum and size that the BPF programs and
 * user space both compile. Defined once here; never copied by hand elsewhere. */
#ifndef ZT_ABI_H
#define ZT_ABI_H

#include <linux/types.h>

/* Bumped whenever a struct, enum value or map size below changes, so a
 * daemon refuses to adopt pinned maps of an incompatible build. */
#define ZT_ABI_VERSION 12

/* ---- sizes (DESIGN §7) ------------------------------------------------- */
#define ZT_MAX_ROUTES   (1u << 20) /* per family */
#define ZT_MAX_DEVICES  65536
#define ZT_MAX_IRIS     65536
#define ZT_MAX_FLOWS    (1u << 20)
#define ZT_MAX_FRAGS    65536
#define ZT_MAX_DROPS    65536      /* drop verdicts, apart from flows (zt_drops) */
#define ZT_DROP_SRCS    256        /* sources lately dropped (zt_drop_srcs): a hint */
#define ZT_MAX_NAT      (1u << 18) /* translation entries: two per DIRECT flow */
#define ZT_NAT_COUNT_SLOTS (ZT_MAX_DEVICES + 1) /* zt_nat_count: device ids 0..65536 */
#define ZT_MAX_IFINDEX_MAP 256     /* interfaces zt knows (zt_ifaces) */
#define ZT_MAX_DNS_CACHE 65536     /* answers the programs give themselves (zt_dns_cache) */
#define ZT_MAX_DNS_LISTEN 8        /* gateway.dns_listen entries (config, zt_dns_listen) */
/* The proxy's listening sockets (zt_proxy, a sockmap ztd fills): slot
 * family * ZT_PROXY_PER_FAMILY + worker, IPv4 family 0, IPv6 family 1;
 * then ztd's UDP socket for the first datagrams of flows to remote
 * tunnels, ZT_PROXY_UDP_SLOT + family. */
#define ZT_PROXY_PER_FAMILY 64
#define ZT_PROXY_UDP_SLOT (2 * ZT_PROXY_PER_FAMILY)
#define ZT_PROXY_SLOTS  (ZT_PROXY_UDP_SLOT + 2)
#define ZT_MAX_RULES    1024
#define ZT_RULE_WORDS   (ZT_MAX_RULES / 64)
#define ZT_MAX_TUNNELS  1024
#define ZT_MAX_SETS     16384      /* distinct rule bitmaps per policy half */
#define ZT_PCLASSES     4          /* protocol classes, see enum zt_pclass */
#define ZT_PORTS        65536
#define ZT_EVENTS_BYTES (4u << 20)
/* Events are submitted without waking the reader until this much is
 * queued (a wakeup per event cost ~2 us, more than the whole decision);
 * readers poll with a short timeout to pick up a trickle. */
#define ZT_EVENTS_WAKEUP_BYTES (ZT_EVENTS_BYTES / 8)
#define ZT_EVENTS_POLL_MS 100
#define ZT_MAX_REASONS  32         /* stats are indexed verdict * 32 + reason */

/* Policy state is double-buffered: everything policy-dependent exists twice
 * and zt_state.active says which half packets read. */
#define ZT_HALVES 2

#define ZT_PIN_ROOT "/sys/fs/bpf/zt"

/* Address families as the kernel numbers them (AF_INET, AF_INET6); BPF code
 * has no <sys/socket.h>. */
#define ZT_AF_INET  2
#define ZT_AF_INET6 10

/* ---- enums (stable: values are never renumbered, only appended) -------- */
enum zt_verdict {
	ZT_V_PASS   = 0, /* not ours: hand to the stack untouched */
	ZT_V_DROP   = 1,
	ZT_V_STEER  = 2, /* to the local proxy (L7 rule or remote tunnel) */
	ZT_V_DIRECT = 3, /* allowed, destination reachable from this node */
	ZT_V_MAX
};

enum zt_reason {
	ZT_R_NON_IP      = 0,  /* PASS: ARP, LLDP, ... */
	ZT_R_NO_ROUTE    = 1,  /* PASS: destination not routed by zt */
	ZT_R_RULE        = 2,  /* a rule decided (any verdict) */
	ZT_R_DEFAULT     = 3,  /* no rule matched: gateway default action */
	ZT_R_L7          = 4,  /* STEER: the rule needs L7 (SNI, host, protocol) */
	ZT_R_BAD_ETH     = 5,  /* DROP: truncated Ethernet/VLAN header, 2+ tags */
	ZT_R_TRUNC_IP    = 6,  /* DROP: truncated IPv4/IPv6 header */
	ZT_R_BAD_IP      = 7,  /* DROP: IHL < 5, bad version, bad total length */
	ZT_R_TRUNC_L4    = 8,  /* DROP: truncated TCP/UDP/ICMP header */
	ZT_R_IPV6_EXT    = 9,  /* DROP: too many or truncated IPv6 ext headers */
	ZT_R_FRAG        = 10, /* DROP: later fragment with no tracked first */
	ZT_R_IRI_UNKNOWN = 11, /* DROP: address in the IRI pool not allocated */
	ZT_R_RESOLVE     = 12, /* DROP: origin name did not resolve */
	ZT_R_NAT_FULL    = 13, /* DROP: no SNAT port left */
	ZT_R_NAT_PROTO   = 14, /* DROP: DIRECT translates TCP, UDP and ICMP echo
				* (and ICMP errors about them), unfragmented */
	ZT_R_NO_PATH     = 15, /* DROP: no route to the real address through a
				* private interface (or forwarding disabled) */
	ZT_R_NAT_GONE    = 16, /* DROP: a reply whose flow is no longer allowed */
	ZT_R_TOO_BIG     = 17, /* DROP: DIRECT packet larger than the private
				* side's MTU (DF or IPv6: answered with
				* fragmentation needed / packet too big) */
	ZT_R_SRC_ROUTE   = 18, /* DROP: source-routed (IPv4 LSRR/SSRR, IPv6
				* routing header with segments left) */
	ZT_R_NAT_NO_SYN  = 19, /* DROP: a TCP segment other than a SYN with no
				* translation (only a SYN makes one) */
	ZT_R_NAT_LIMIT   = 20, /* DROP: the device has gateway.nat_per_device
				* translations already */
	ZT_R_RP_FILTER   = 21, /* DROP: a new DIRECT flow whose source is not
				* routed back through the interface it came in
				* on (the strict reverse-path check the NAT's own
				* FIB redirect would otherwise skip) */
	ZT_R_NO_PROXY    = 22, /* DROP: a STEER TCP segment or UDP datagram
				* and no socket of ztd's to take it (ztd
				* stopped): never handed to the stack undecided */
	ZT_R_STEER_PROTO = 23, /* DROP: STEER of what no connector carries: not
				* TCP, UDP or an ICMP echo request, a fragment,
				* an echo larger than ZT_ICMP_MSG_MAX */
	ZT_R_MAX
};

/* Counters other than verdicts (zt_counters, per-CPU), in index order:
 * appended only, never renumbered. ztctl prints them by these names. */
#define ZT_COUNTERS(X)                                                                 \
	X(FLOW_HIT, flow_hit)           /* packet decided by the flow cache */          \
	X(FLOW_NEW, flow_new)           /* new flow classified (cached unless dropped) */ \
	X(FLOW_STALE, flow_stale)       /* cached flow re-evaluated: older generation */ \
	X(FRAG_FIRST, frag_first)       /* first fragment tracked */                    \
	X(FRAG_LATER, frag_later)       /* later fragment followed its first */         \
	X(EVENT_LOST, event_lost)       /* ring buffer full */                          \
	X(EVENT_LIMITED, event_limited) /* drop event suppressed by the rate limit */   \
	X(STEER_MARKED, steer_marked)   /* tc assigned a STEER packet to the proxy */   \
	X(NAT_NEW, nat_new)             /* DIRECT flow got its translation */           \
	X(NAT_RETRY, nat_retry)         /* SNAT port taken: tried another */            \
	X(NAT_XDP, nat_xdp)             /* translated and redirected at XDP */          \
	X(NAT_TC, nat_tc)               /* translated and redirected at tc */           \
	X(NAT_REPLY, nat_reply)         /* reply translated back to the client */       \
	X(NAT_TTL, nat_ttl)             /* TTL/hop limit expiring: left to the stack */ \
	X(NAT_ICMP, nat_icmp)           /* ICMP error about a DIRECT flow translated */  \
	X(NAT_TOO_BIG, nat_too_big)     /* frag. needed / too big sent to a client */   \
	X(DNS_ANSWERED, dns_answered)   /* DNS query answered by the programs */        \
	X(TC_MISS, tc_miss)             /* tc after XDP found no flow entry: dropped */  \
	X(DROP_HIT, drop_hit)           /* packet dropped by the drop cache (zt_drops) */ \
	X(ICMP_STEERED, icmp_steered)   /* echo request to a remote tunnel, to ztd */ \
	X(ICMP_RING_FULL, icmp_ring_full) /* ... dropped: ztd's ring full */

enum zt_counter {
#define ZT_C_ENUM(up, low) ZT_C_##up,
	ZT_COUNTERS(ZT_C_ENUM)
#undef ZT_C_ENUM
	ZT_C_MAX
};

enum zt_action {
	ZT_ACT_BLOCK = 0,
	ZT_ACT_ALLOW = 1,
};

/* Protocol classes for the {protocol, port} dimension. */
enum zt_pclass {
	ZT_PC_OTHER = 0,
	ZT_PC_TCP   = 1,
	ZT_PC_UDP   = 2,
	ZT_PC_ICMP  = 3, /* ICMP and ICMPv6; port is always 0 */
};

#define ZT_RULE_F_L7    0x1 /* rule has an L7 selector: verdict STEER */
#define ZT_RULE_F_ANY   0x2 /* rule matches every protocol and port */
/* Which destinations a rule bit is in the sets of (shown by ztctl; the
 * programs go by the sets alone): a rule with host or sni selectors
 * compiles to a bit for IRIs by name and a bit for CIDR destinations. */
#define ZT_RULE_F_IRI   0x4 /* IRIs only */
#define ZT_RULE_F_CIDR  0x8 /* CIDR destinations only */
#define ZT_DST_F_ROUTED 0x1 /* a route covers this destination */
#define ZT_DST_F_LOCAL  0x2 /* its tunnel is local: DIRECT, not STEER */
#define ZT_DST_F_NAT    0x4 /* DIRECT through the in-kernel NAT (the tunnel has a
			     * private_interface); without it DIRECT packets go to
			     * the kernel's own forwarding unchanged */
#define ZT_ID_NONE      0   /* device_id 0: use the unenrolled identity */
#define ZT_RULE_NONE    0   /* rule_id 0: no rule matched */
#define ZT_ROUTE_ID_HOST 0x80000000u /* hostname route i has route_id this | (i + 1);
				      * CIDR route i has i + 1 */
#define ZT_MARK_STEER   0x7a740001u /* skb mark tc sets on STEER packets */
/* SO_MARK of the proxy's sockets (its listeners; accepted ones inherit
 * it): tc gives steered segments only to sockets so marked. Not matched
 * by the steering rule, so their own packets route normally. */
#define ZT_MARK_PROXY   0x7a740002u

/* ---- keys and values ---------------------------------------------------- */
/* Addresses are 16 bytes; IPv4 uses the first 4 and leaves the rest zero. */

/* A device is its address on one interface and VLAN (0: untagged): the
 * same address elsewhere is someone else. */
struct zt_dev_key {
	__u32 ifindex;
	__u8  family; /* AF_INET or AF_INET6 */
	__u8  pad;
	__u16 vlan;
	__u8  addr[16];
};
_Static_assert(sizeof(struct zt_dev_key) == 24, "zt_dev_key size");

struct zt_ident {
	__u32 device_id; /* ZT_ID_NONE: not enrolled in this half */
	__u32 user_id;
	__u32 vnet_id;
	__u32 id_set;    /* bitmap of rules this identity can match */
	__u64 groups;    /* group bitmap (group ids 0..63) */
};
_Static_assert(sizeof(struct zt_ident) == 24, "zt_ident size");

struct zt_dev_val {
	struct zt_ident half[ZT_HALVES];
};
_Static_assert(sizeof(struct zt_dev_val) == 48, "zt_dev_val size");

/* LPM keys: prefixlen counts the ZT_VNET_BITS of vnet_id first, so the
 * vnet is a fixed prefix and the same address can be routed differently in
 * two vnets. An address's own prefix length p is ZT_VNET_BITS + p; a
 * lookup of one address uses ZT_ROUTE4_HOST / ZT_ROUTE6_HOST. */
#define ZT_VNET_BITS    32
#define ZT_ROUTE4_HOST  (ZT_VNET_BITS + 32)
#define ZT_ROUTE6_HOST  (ZT_VNET_BITS + 128)

struct zt_route4_key {
	__u32 prefixlen;
	__u32 vnet_id;
	__u8  addr[4];
};
_Static_assert(sizeof(struct zt_route4_key) == 12, "zt_route4_key size");

struct zt_route6_key {
	__u32 prefixlen;
	__u32 vnet_id;
	__u8  addr[16];
};
_Static_assert(sizeof(struct zt_route6_key) == 24, "zt_route6_key size");

/* What a destination resolves to in one policy half. */
struct zt_dst {
	__u32 route_id;  /* 0: no route covers it (entry exists for a rule) */
	__u32 tunnel_id;
	__u32 dst_set;   /* bitmap of rules whose destination matches */
	__u32 flags;     /* ZT_DST_F_* */
};
_Static_assert(sizeof(struct zt_dst) == 16, "zt_dst size");

struct zt_route_val {
	struct zt_dst half[ZT_HALVES];
};
_Static_assert(sizeof(struct zt_route_val) == 32, "zt_route_val size");

struct zt_iri_key {
	__u32 vnet_id;
	__u8  family;
	__u8  pad[3];
	__u8  addr[16];
};
_Static_assert(sizeof(struct zt_iri_key) == 24, "zt_iri_key size");

struct zt_iri_val {
	struct zt_dst half[ZT_HALVES];
	/* The server's real address (the DIRECT path's DNAT target), resolved
	 * by ztd; not part of the policy, so not per half. An IRI of a local
	 * tunnel without one is dropped (ZT_R_RESOLVE). */
	__u8  real_ok;
	__u8  pad[3];
	__u32 real_ttl;   /* seconds the resolver gave, for ztctl */
	__u8  real[16];
	/* Changes whenever the address is given to another name: flows and
	 * translations made under another epoch are decided again (the
	 * address now means something else). */
	__u32 epoch;
	__u32 pad2;
	/* bpf_ktime_get_coarse_ns() of the last packet to it, refreshed by
	 * the programs at most once a second: ztd reuses an IRI only when
	 * it is idle here and unanswered. */
	__u64 last_ns;
};
_Static_assert(sizeof(struct zt_iri_val) == 72, "zt_iri_val size");

struct zt_rule {
	__u32 rule_id; /* config rule index + 1 */
	__u8  action;  /* enum zt_action */
	__u8  flags;   /* ZT_RULE_F_* */
	__u16 pad;
};
_Static_assert(sizeof(struct zt_rule) == 8, "zt_rule size");

struct zt_bitmap {
	__u64 w[ZT_RULE_WORDS];
};
_Static_assert(sizeof(struct zt_bitmap) == 128, "zt_bitmap size");

struct zt_half_cfg {
	__u32 generation;
	__u8  default_action; /* enum zt_action */
	__u8  nwords;         /* rule bitmap words in use, 0..ZT_RULE_WORDS */
	__u16 pad;
	__u32 default_vnet;   /* vnet of unenrolled sources */
	__u32 unenrolled_set; /* id_set of unenrolled sources */
	__u8  iri4_addr[4], iri4_mask[4];
	__u8  iri6_addr[16], iri6_mask[16];
};
_Static_assert(sizeof(struct zt_half_cfg) == 56, "zt_half_cfg size");

/* What a fresh zt_state holds until ztd applies a config, and what a
 * config that does not say gets: gateway.drop_events_per_sec and
 * gateway.default_action. */
#define ZT_DROP_EVENTS_DEFAULT   100
#define ZT_DEFAULT_ACTION_DEFAULT ZT_ACT_BLOCK

struct zt_state {
	__u32 active;          /* which half packets read: 0 or 1 */
	__u32 abi_version;     /* ZT_ABI_VERSION of the build that filled it */
	__u32 drop_events_per_sec; /* per CPU; 0 disables drop events */
	__u32 proxy_workers;   /* zt_proxy slots in use per family (0: none) */
	struct zt_half_cfg half[ZT_HALVES];
};
_Static_assert(sizeof(struct zt_state) == 128, "zt_state size");

/* An ICMP echo request to a remote tunnel's route: tc copies it to
 * zt_icmp (a ring buffer ztd reads; bpf/lib/steer.h) and drops the packet;
 * ztd carries it to the tunnel's connector and answers the client. The
 * whole ICMP message is in data (header and payload, len bytes). */
#define ZT_ICMP_MSG_MAX    1480
#define ZT_ICMP_RING_BYTES (256 * 1024)
struct zt_icmp_msg {
	__u8  family;       /* ZT_AF_INET or ZT_AF_INET6 */
	__u8  pad;
	__u16 vlan;         /* its 802.1Q id (0: none) */
	__u32 ifindex;      /* where it came in */
	__u8  src[16];
	__u8  dst[16];
	__u16 len;
	__u16 pad2;
	__u8  data[ZT_ICMP_MSG_MAX];
};

/* The DNS answer cache (bpf/lib/dns.h): an A or AAAA answer ztd gave, for
 * a name whose answer does not depend on who asks within a vnet, so the
 * programs answer the same question themselves. Names are in wire form,
 * lower case, zero padded; longer ones are not cached. */
#define ZT_DNS_CACHE_NAME 128
struct zt_dns_key {
	__u32 vnet;
	__u16 qtype;
	__u8  len;          /* of name, with its final zero */
	__u8  pad;
	__u8  name[ZT_DNS_CACHE_NAME];
};
_Static_assert(sizeof(struct zt_dns_key) == 136, "zt_dns_key size");

struct zt_dns_val {
	__u8  addr[16];     /* the IRI (IPv4: the first 4 octets) */
	__u32 ttl;
	__u32 generation;   /* the policy's: another one, and ztd answers */
	__u64 last_ns;      /* bpf_ktime_get_coarse_ns() of the last answer */
};
_Static_assert(sizeof(struct zt_dns_val) == 32, "zt_dns_val size");

/* An address and port ztd's DNS server listens on (UDP); addr all zero:
 * any address of this node. */
struct zt_dns_listen_key {
	__u8   family;
	__u8   pad;
	__be16 port;
	__u8   addr[16];
};
_Static_assert(sizeof(struct zt_dns_listen_key) == 20, "zt_dns_listen_key size");

/* Flow cache key: the ingress ifindex stands in for the vnet of the design
 * card: {ifindex, src} determines the device and so its vnet, and keying by
 * it lets an established packet skip the device lookup. */
struct zt_flow_key {
	__u32  ifindex;
	__u8   family;
	__u8   proto;
	__be16 sport; /* ICMP echo: the identifier */
	__be16 dport;
	__u16  vlan;  /* the 802.1Q id it arrived with (0: none): part of who sent it */
	__u8   src[16];
	__u8   dst[16];
};
_Static_assert(sizeof(struct zt_flow_key) == 44, "zt_flow_key size");

#define ZT_FLOW_F_NAT 0x1 /* DIRECT through the NAT (ZT_DST_F_NAT) */

/* zt_drops: a drop for every protocol and port from the key's source to
 * its destination has protocol and ports 0 and this bit in vlan (a tag
 * holds 12 bits: no packet's key has it). */
#define ZT_FLOW_KEY_ANY 0x8000

struct zt_flow {
	__u8  verdict;
	__u8  reason;
	__u16 flags;        /* ZT_FLOW_F_* */
	__u32 rule_id;
	__u32 generation;
	__u32 route_id;
	__u32 tunnel_id;
	__u32 vnet_id;
	__u32 device_id;
	__u32 user_id;
	__u32 iri_epoch;    /* to an IRI (route_id has ZT_ROUTE_ID_HOST): its epoch */
	__u32 pad;
	__u64 packets;
	__u64 bytes;
	__u64 created_ns;   /* bpf_ktime_get_coarse_ns() */
	__u64 last_seen_ns;
};
_Static_assert(sizeof(struct zt_flow) == 72, "zt_flow size");

/* zt_drop_srcs: a source address that lately had a drop-cache entry. */
struct zt_drop_src {
	__u8 addr[16];
};

/* zt_drop_last, per CPU, a slot for each of zt_drop_srcs': the drop its
 * source last hit on this CPU (not one to an IRI). A flood's next packets
 * match it without a zt_drops look-up; their counts wait here and join
 * the entry's when the batch is full or the slot goes to another drop. */
#define ZT_DROP_LAST_BATCH 64
struct zt_drop_last {
	struct zt_flow_key key; /* the zt_drops entry's key (source port 0) */
	__u32 packets;          /* matched here, not yet in the entry */
	__u64 bytes;
	struct zt_flow drop;    /* the entry as found (its generation: the policy's then) */
};
_Static_assert(sizeof(struct zt_drop_last) == 128, "zt_drop_last size");

struct zt_frag_key {
	__u32 ifindex;
	__u8  family;
	__u8  proto;
	__u16 vlan;
	__u32 id;     /* IPv4: 16-bit id; IPv6: fragment header id */
	__u8  src[16];
	__u8  dst[16];
};
_Static_assert(sizeof(struct zt_frag_key) == 44, "zt_frag_key size");

/* A first fragment's decision, for the datagram's later fragments: good
 * only under the policy generation (and, to an IRI, the epoch) it was made
 * in, and for ZT_FRAG_TIMEOUT_NS (the stack's reassembly time). */
struct zt_frag_val {
	__u8  verdict;
	__u8  reason;
	__u16 flags;  /* ZT_FLOW_F_* of its first fragment's flow */
	__u32 rule_id;
	__u32 generation;
	__u32 route_id;
	__u32 vnet_id;
	__u32 iri_epoch;
	__u64 created_ns;   /* bpf_ktime_get_coarse_ns() */
};
_Static_assert(sizeof(struct zt_frag_val) == 32, "zt_frag_val size");
#define ZT_FRAG_TIMEOUT_NS (60ULL * 1000000000ULL)

struct zt_stat {
	__u64 packets;
	__u64 bytes;
};
_Static_assert(sizeof(struct zt_stat) == 16, "zt_stat size");

struct zt_ratelimit {
	__u64 tokens;
	__u64 last_ns;
};
_Static_assert(sizeof(struct zt_ratelimit) == 16, "zt_ratelimit size");

/* Interfaces zt handles, by ifindex (zt_ifaces). */
#define ZT_IF_F_PRIVATE 0x1 /* a tunnel's private_interface: SNAT source, return path */
#define ZT_IF_F_XDP     0x2 /* XDP may translate packets arriving here and
			     * redirect to it (native XDP with ndo_xdp_xmit);
			     * otherwise tc does it */

struct zt_iface {
	__u32  flags;       /* ZT_IF_F_* */
	__u16  port_lo;     /* SNAT ports (and ICMP echo ids), host order */
	__u16  port_hi;
	__u8   snat4[4];    /* this node's address there; zero: none */
	__u8   snat6[16];
	__u32  nat_per_device; /* translations a device may have (gateway.nat_per_device) */
};
_Static_assert(sizeof(struct zt_iface) == 32, "zt_iface size");

/* A translation, keyed by the packet it applies to (struct zt_flow_key as
 * the packet arrives: ingress ifindex and its own tuple). A DIRECT flow has
 * two: FWD on the client interface, REV on the private one. For ICMP echo
 * the identifier is the port: sport in the key and the value. */
enum zt_nat_dir {
	ZT_NAT_FWD = 1,
	ZT_NAT_REV = 2,
};

/* TCP state, for ztd's idle timeouts (user/lib/bpf/nat.c); a pair's is what
 * its two entries' flags say together. None: embryonic (a SYN went out). */
#define ZT_NAT_F_FIN 0x1 /* a FIN went through */
#define ZT_NAT_F_RST 0x2 /* a RST went through */
#define ZT_NAT_F_EST 0x4 /* the server's SYN-ACK came back (REV entry) */

struct zt_nat {
	__u8   dir;         /* enum zt_nat_dir */
	__u8   flags;       /* ZT_NAT_F_* */
	__u16  pad;
	__u32  ifindex;     /* FWD: the private interface; REV: the client's */
	__be16 sport;       /* the packet's new ports */
	__be16 dport;
	__u32  epoch;       /* the IRI's epoch when made (0: a CIDR route) */
	__u8   src[16];     /* the packet's new addresses */
	__u8   dst[16];
	__u64  packets;
	__u64  bytes;
	__u64  created_ns;  /* bpf_ktime_get_coarse_ns() */
	__u64  last_seen_ns;
	__u64  fib_ns;      /* when dmac/smac came from the FIB (0: not yet) */
	__u8   dmac[6];     /* the next hop out of ifindex, and ifindex's own MAC */
	__u8   smac[6];
	__u32  device;      /* the client's device id (0: unenrolled): its
			     * zt_nat_count slot, which counts FWD entries */
};
_Static_assert(sizeof(struct zt_nat) == 104, "zt_nat size");

/* The key of the packet going the other way: addresses and ports swapped
 * (ICMP echo keeps its identifier and has no port). */
static inline void zt_flow_key_rev(struct zt_flow_key *k, __u32 ifindex, __u8 family,
				   __u8 proto, const __u8 *src, const __u8 *dst, __be16 sport,
				   __be16 dport)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->ifindex = ifindex;
	k->family = family;
	k->proto = proto;
	if (proto == 1 || proto == 58) { /* ICMP echo: the identifier */
		k->sport = sport;
	} else {
		k->sport = dport;
		k->dport = sport;
	}
	__builtin_memcpy(k->src, dst, 16);
	__builtin_memcpy(k->dst, src, 16);
}

/* The REV key of the translation whose FWD entry is fwd at key k: the
 * server's reply to the translated packet. Shared by the programs, ztd
 * (idle removal) and ztctl (maps dump nat). */
static inline void zt_nat_rev_key(const struct zt_flow_key *k, const struct zt_nat *fwd,
				  struct zt_flow_key *rk)
{
	zt_flow_key_rev(rk, fwd->ifindex, k->family, k->proto, fwd->src, fwd->dst, fwd->sport,
			fwd->dport);
}

/* Is rv, the entry at a FWD entry's REV key, that translation's own: a
 * REV entry that translates back to the flow of FWD key k? The REV entry
 * is the claim on the port: a FWD entry is good only while it has one
 * (else its port may be another translation's). Branch-free where it
 * can be: the programs call it on every forward packet. */
static inline int zt_nat_rev_owns(const struct zt_flow_key *k, const struct zt_nat *rv)
{
	__u32 x = 0, u, v, ports;

	/* Word by word, at constant offsets: the compiler then knows both
	 * sides are 4-byte aligned (BPF has no unaligned loads). Back to the
	 * client, from the destination it used. */
#define ZT_XOR_WORD(a, b, i)                    \
	do {                                    \
		__builtin_memcpy(&u, &(a)[i], 4); \
		__builtin_memcpy(&v, &(b)[i], 4); \
		x |= u ^ v;                     \
	} while (0)
	ZT_XOR_WORD(k->src, rv->dst, 0);
	ZT_XOR_WORD(k->src, rv->dst, 4);
	ZT_XOR_WORD(k->src, rv->dst, 8);
	ZT_XOR_WORD(k->src, rv->dst, 12);
	ZT_XOR_WORD(k->dst, rv->src, 0);
	ZT_XOR_WORD(k->dst, rv->src, 4);
	ZT_XOR_WORD(k->dst, rv->src, 8);
	ZT_XOR_WORD(k->dst, rv->src, 12);
#undef ZT_XOR_WORD
	if (k->proto == 1 || k->proto == 58) /* ICMP echo: the identifier */
		ports = (__u32)(k->sport ^ rv->sport);
	else
		ports = (__u32)(k->sport ^ rv->dport) | (__u32)(k->dport ^ rv->sport);
	x |= ports | (k->ifindex ^ rv->ifindex);
	return rv->dir == ZT_NAT_REV && !x;
}

enum zt_event_type {
	ZT_EV_FLOW = 1, /* a new flow was decided */
	ZT_EV_DROP = 2, /* a packet dropped before it made a flow (malformed) */
};

/* The ids a decision names, in this order in an event and in the
 * programs' own struct zt_decision (bpf/lib/policy.h). */
#define ZT_DECISION_IDS \
	__u32  rule_id;   \
	__u32  route_id;  \
	__u32  tunnel_id; \
	__u32  vnet_id;   \
	__u32  device_id; \
	__u32  user_id;

struct zt_event {
	__u64  ts_ns;      /* bpf_ktime_get_ns() */
	__u8   type;
	__u8   family;
	__u8   proto;
	__u8   verdict;
	__u8   reason;
	__u8   pad[3];
	__u32  ifindex;
	ZT_DECISION_IDS
	__u32  generation;
	__be16 sport;
	__be16 dport;
	__u32  pad2;
	__u8   src[16];
	__u8   dst[16];
};
_Static_assert(sizeof(struct zt_event) == 88, "zt_event size");

#endif /* ZT_ABI_H */
