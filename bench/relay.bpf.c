// SPDX-License-Identifier: GPL-2.0
/* relay — the sockmap half of bench/relay (issue 15 item 5: a sockmap
 * stream-verdict redirect measured against splice). Each relayed socket
 * sits in `peers` under the key of the other one, so a segment arriving
 * on a socket is sent out of its peer without reaching user space. The
 * key is the receiving socket's (local port, remote port) as __sk_buff
 * gives them: local_port in host order, remote_port as the kernel loads
 * it (the network-order port shifted left 16 on little-endian). */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

struct relay_key {
	__u32 lport;
	__u32 rport;
};

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 8192);
	__type(key, struct relay_key);
	__type(value, __u64);
} peers SEC(".maps");

SEC("sk_skb/stream_verdict")
int relay_verdict(struct __sk_buff *skb)
{
	struct relay_key k = { .lport = skb->local_port, .rport = skb->remote_port };

	return bpf_sk_redirect_hash(skb, &peers, &k, 0);
}

char LICENSE[] SEC("license") = "GPL";
