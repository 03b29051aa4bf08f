// SPDX-License-Identifier: GPL-2.0
/* pktgen — the packet-rate bench's own live-frames sender (DESIGN §6) and
 * its sink:
 *  zt_pktgen: run by BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES; writes
 *             the whole frame from `frame` (live frames are recycled pages
 *             that hold whatever the last hop left in them: zt's NAT and
 *             nftables both rewrite in place), varies the UDP source port
 *             over `n_flows` flows and redirects it out of `out_ifindex`;
 *  zt_sink:   at the far end, counts and drops what arrives. */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define PKTGEN_LEN   60 /* Ethernet + IPv4 + UDP + 18 bytes: a 64-byte wire frame */
#define PKTGEN_SPORT 34 /* the UDP source port's offset in the frame */

/* Set by bench/pktgen.c before load. */
__u8 frame[PKTGEN_LEN] = { 1 };
__u32 out_ifindex = 1;
__u32 n_flows = 1;
__u16 base_sport = 1;

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
	__u32 flow;

	if (data + PKTGEN_LEN > end)
		return XDP_ABORTED;
	__builtin_memcpy(data, frame, PKTGEN_LEN);
	/* A zero UDPv4 checksum means none: changing the port needs no fix. */
	flow = seq++ % n_flows;
	*(__be16 *)(data + PKTGEN_SPORT) = bpf_htons((__u16)(base_sport + flow));
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

char LICENSE[] SEC("license") = "GPL";
