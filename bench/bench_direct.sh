#!/usr/bin/env bash
# bench_direct.sh — the DIRECT path against what a user would run instead,
# in the same run and the same namespaces (client -- gateway -- server):
# iperf3 TCP throughput client -> server through zt (an IRI, translated at
# tc with the veths' offloads on, and at XDP with the veth peers set up as
# gateway.xdp_redirect_veth requires), through nftables DNAT + masquerade
# (with the same offloads), and through plain routing with no NAT; and the
# packet rate of the same three, from bench/pktgen (live-frames
# BPF_PROG_RUN into cli0).
# Not a test: prints figures and ratios. Usage: bench_direct.sh BUILD_DIR [--quick]
set -u
. "$(dirname "$0")/../tests/lib/netns.sh"
SECS=5 ROUNDS=3
[ "${2:-}" = --quick ] && SECS=2 ROUNDS=1
netns_run ztn bench-direct "${1:-build}"

# iperf3 is only needed here (installed like bench_dns.sh's extras).
"$ROOT/tools/deps.sh" install-only iperf3 ||
	{ echo "bench: installing iperf3 failed" >&2; exit 1; }
needs bench: iperf3 nft ethtool dnsmasq dig
netns_trap

# ---- topology --------------------------------------------------------------------
netns_chain "$CLI" "$GW" "$PRIV" && netns_chain_up "$CLI" "$GW" "$PRIV" || exit 1
ip -n "$CLI" route add 100.80.0.0/16 via 10.10.0.1
ip -n "$CLI" route add 10.2.0.0/24 via 10.10.0.1
ip -n "$PRIV" route add 10.10.0.0/24 via 10.2.0.1 # plain routing needs it
ip -n "$GW" neigh replace 10.2.0.5 lladdr "$(mac_of "$PRIV" srv0)" dev priv0 nud permanent
ip -n "$GW" neigh replace 10.10.0.2 lladdr "$(mac_of "$CLI" cli0)" dev gw0 nud permanent
echo "10.2.0.5 web.dc.local" > "$W/hosts"
in_gw dnsmasq --no-daemon --no-resolv --no-hosts --addn-hosts="$W/hosts" \
	--listen-address=127.0.0.1 --port=5353 --bind-interfaces --user=root \
	--pid-file="$W/dnsmasq.pid" >/dev/null 2>&1 &

cat > "$W/ztd.yaml" <<YAML
gateway: {interface: gw0, default_action: block, dns_listen: [10.10.0.1:53],
          state_dir: $W/state, xdp_redirect_veth: false}
dns: {origin_resolvers: [127.0.0.1:5353]}
tunnels: [{name: dc, local: true, private_interface: priv0}]
routes: {hostname: [{hostname: '*.dc.local', tunnel: dc}]}
devices: [{ip: 10.10.0.2, email: admin@example.com}]
network_policies:
  - {name: Admin, precedence: 10, action: allow, match: {user_email: admin@example.com}}
YAML
ztctl() { "$O/ztctl" --pin-root "$PIN" --socket "$W/ztd.sock" "$@"; }
start_ztd() { # start_ztd XDP_REDIRECT_VETH
	sed -i "s/xdp_redirect_veth: [a-zA-Z]*/xdp_redirect_veth: $1/" "$W/ztd.yaml"
	ztd_start "$GW" "$W/ztd.yaml" "$PIN" "$W/ztd.sock" "$W/ztd.log" ||
		{ echo "bench: ztd did not start" >&2; cat "$W/ztd.log" >&2; exit 1; }
	IRI=$(in_cli dig +short +time=2 @10.10.0.1 web.dc.local A | head -1)
	for _ in $(seq 50); do
		ztctl -j maps dump iri | grep -q '"real_address":"10.2.0.5"' &&
			return 0
		sleep 0.2
	done
	echo "bench: ztd did not resolve web.dc.local" >&2
	cat "$W/ztd.log" >&2
	exit 1
}
stop_ztd() {
	kill "$ZTD_PID" 2>/dev/null; wait "$ZTD_PID" 2>/dev/null
	in_gw "$O/ztd" --detach --pin-root "$PIN" >/dev/null 2>&1
}
nft_nat() { # nftables: the IRI DNATed to the server, masquerade out of priv0
	in_gw nft -f - <<NFT
table ip ztbench {
	chain pre { type nat hook prerouting priority dstnat; ip daddr $IRI dnat to 10.2.0.5; }
	chain post { type nat hook postrouting priority srcnat; oifname "priv0" masquerade; }
}
NFT
}
nft_off() { in_gw nft delete table ip ztbench 2>/dev/null; }

# ---- TCP throughput ---------------------------------------------------------------
in_priv iperf3 -s -D -B 10.2.0.5 --pidfile "$W/iperf3.pid" >/dev/null 2>&1
sleep 0.5
gbps() { # gbps TARGET: receiver's bits per second, in Gbit/s
	in_cli timeout $((SECS + 10)) iperf3 -c "$1" -t "$SECS" -J 2>/dev/null | python3 -c '
import json,sys
try:
    print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception:
    print("0")'
}
# Each case ROUNDS times, the cases taking turns, and the median kept: two
# CPUs carry the client, the gateway and the server, so one run is noisy.
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
peers() { # peers on|off: GRO on and checksum offload off on cli0 and srv0, or back
	local gro=$([ "$1" = on ] && echo on || echo off) tx=$([ "$1" = on ] && echo off || echo on) x
	for x in "$CLI cli0" "$PRIV srv0"; do
		set -- $x
		nsenter --net=/run/netns/"$1" ethtool -K "$2" gro "$gro" tx "$tx" >/dev/null 2>&1
	done
}
P=() Z=() N=() PX=() ZX=() NX=()
for _ in $(seq "$ROUNDS"); do
	# The veths as they come (TSO/GSO on): zt has no XDP on a veth by
	# default, the whole classifier and the NAT run at tc.
	P+=("$(gbps 10.2.0.5)")
	start_ztd false
	Z+=("$(gbps "$IRI")")
	TC_N=$(counter_of nat_tc)
	stop_ztd
	nft_nat
	N+=("$(gbps "$IRI")")
	nft_off
	# Translated at XDP: the veth peers take redirected frames (GRO) and
	# send full checksums (no offload), as gateway.xdp_redirect_veth
	# requires; like frames off a wire, no segment is bigger than the MTU.
	peers on
	PX+=("$(gbps 10.2.0.5)")
	start_ztd true
	ZX+=("$(gbps "$IRI")")
	stop_ztd
	nft_nat
	NX+=("$(gbps "$IRI")")
	nft_off
	peers off
done
PLAIN_TCP=$(median "${P[@]}") ZT_TCP=$(median "${Z[@]}") NFT_TCP=$(median "${N[@]}")
PLAINX_TCP=$(median "${PX[@]}") ZTX_TCP=$(median "${ZX[@]}") NFTX_TCP=$(median "${NX[@]}")

# ---- packet rate -----------------------------------------------------------------
# bench/pktgen sends 64-byte UDP frames (256 flows) out of cli0 with
# live-frames BPF_PROG_RUN and counts them at an XDP sink on srv0; gw0 takes
# redirected frames with GRO on (its NAPI), as a NIC would. All of it runs
# on one CPU: the figure is what one core forwards end to end.
in_gw ethtool -K gw0 gro on >/dev/null 2>&1
GW_MAC=$(mac_of "$GW" gw0)
pps() { # pps DST: frames per second delivered to srv0
	"$O/bench/pktgen" --from "$CLI:cli0" --to-mac "$GW_MAC" --src 10.10.0.2 --dst "$1" \
		--dport 9 --sink "$PRIV:srv0" --secs "$SECS" --flows 256 | awk '{ print $8 }'
}
P=() N=() ZX=() Z=() XDP_N=-
pktgen_works "$GW_MAC" && for _ in $(seq "$ROUNDS"); do
	P+=("$(pps 10.2.0.5)")
	nft_nat
	N+=("$(pps "$IRI")")
	nft_off
	start_ztd true
	ZX+=("$(pps "$IRI")")
	XDP_N=$(counter_of nat_xdp)
	stop_ztd
	start_ztd false
	Z+=("$(pps "$IRI")")
	stop_ztd
done
PLAIN_PPS=$(median "${P[@]}") NFT_PPS=$(median "${N[@]}")
ZTX_PPS=$(median "${ZX[@]}") ZT_PPS=$(median "${Z[@]}")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2fx", a / b; else print "-" }'; }
echo "DIRECT path vs nftables NAT and plain routing, kernel $(uname -r), $(nproc) CPUs"
printf '%-48s %10s %10s %10s %8s %8s\n' case zt nftables plain zt/nft zt/plain
echo "(median of $ROUNDS rounds, the cases taking turns)"
printf '%-48s %10s %10s %10s %8s %8s\n' "TCP Gbit/s (iperf3 ${SECS}s), veth offloads, zt at tc" \
	"$ZT_TCP" "$NFT_TCP" "$PLAIN_TCP" "$(ratio "$ZT_TCP" "$NFT_TCP")" \
	"$(ratio "$ZT_TCP" "$PLAIN_TCP")"
printf '%-48s %10s %10s %10s %8s %8s\n' "TCP Gbit/s, peers GRO on/tx csum off, zt at XDP" \
	"$ZTX_TCP" "$NFTX_TCP" "$PLAINX_TCP" "$(ratio "$ZTX_TCP" "$NFTX_TCP")" \
	"$(ratio "$ZTX_TCP" "$PLAINX_TCP")"
kpps() { awk -v a="$1" 'BEGIN { if (a != "") printf "%.0f", a / 1000; else print "-" }'; }
printf '%-48s %10s %10s %10s %8s %8s\n' "64-byte UDP kpps, 256 flows, one core, zt at XDP" \
	"$(kpps "$ZTX_PPS")" "$(kpps "$NFT_PPS")" "$(kpps "$PLAIN_PPS")" \
	"$(ratio "$ZTX_PPS" "$NFT_PPS")" "$(ratio "$ZTX_PPS" "$PLAIN_PPS")"
printf '%-48s %10s %10s %10s %8s %8s\n' "64-byte UDP kpps, 256 flows, one core, zt at tc" \
	"$(kpps "$ZT_PPS")" "$(kpps "$NFT_PPS")" "$(kpps "$PLAIN_PPS")" \
	"$(ratio "$ZT_PPS" "$NFT_PPS")" "$(ratio "$ZT_PPS" "$PLAIN_PPS")"
echo "(zt translated $TC_N packets at tc in the last TCP run at tc and $XDP_N at XDP in the" \
     "last XDP packet-rate run; plain routing has no NAT and the server a route back)"
