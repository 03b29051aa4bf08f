// SPDX-License-Identifier: GPL-2.0
/* pktgen — the packet-rate bench's own live-frames sender (DESIGN §6) and
 * its sink:
 *  zt_pktgen: run by BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES; writes
 *             the whole frame from `frame` (live frames are recycled pages
 *             that hold whatever the last hop left in them: zt's NAT and
 *             nftables both rewrite in place), varies the UDP source port
 *             over `n_flows` flows (or makes each packet a new flow, by
 *             `new_flows`) and redirects it out of `out_ifindex`;
 *  zt_sink:   at the far end, counts and drops what arrives;
 *  zt_drop:   a bare XDP_DROP, the floor a dropping program is held to. */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define PKTGEN_LEN   60 /* Ethernet + IPv4 + UDP + 18 bytes: a 64-byte wire frame */
#define PKTGEN_SPORT 34 /* the UDP source port's offset in the frame */
#define PKTGEN_DPORT 36

/* Set by bench/pktgen.c before load. */
__u8 frame[PKTGEN_LEN] = { 1 };
__u32 out_ifindex = 1;
__u32 n_flows = 1;
__u16 base_sport = 1;
__u16 base_dport = 1;
/* 0: n_flows flows by source port; 1: a new flow on every packet, the
 * source port changing each time (the destination port every 65536);
 * 2: the same with the destination port changing each time. */
__u32 new_flows;

__u32 seq;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sunk SEC(".maps");

SEC("xdp")
int zt_pktgen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 n = seq++;
	__u16 sport, dport;

	if (data + PKTGEN_LEN > end)
		return XDP_ABORTED;
	__builtin_memcpy(data, frame, PKTGEN_LEN);
	/* A zero UDPv4 checksum means none: changing a port needs no fix. */
	if (new_flows == 1) {
		sport = (__u16)n;
		dport = (__u16)(base_dport + (n >> 16));
	} else if (new_flows == 2) {
		sport = (__u16)(base_sport + n / 65535);
		dport = (__u16)(1 + n % 65535);
	} else {
		sport = (__u16)(base_sport + n % n_flows);
		dport = base_dport;
	}
	*(__be16 *)(data + PKTGEN_SPORT) = bpf_htons(sport);
	*(__be16 *)(data + PKTGEN_DPORT) = bpf_htons(dport ? dport : 1);
	return bpf_redirect(out_ifindex, 0);
}

SEC("xdp")
int zt_sink(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&sunk, &zero);

	if (n)
		(*n)++;
	return XDP_DROP;
}

SEC("xdp")
int zt_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
