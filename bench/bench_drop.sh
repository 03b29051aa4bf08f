#!/usr/bin/env bash
# bench_drop.sh — what a flood from a blocked source costs the gateway, and
# whether it pushes other devices' flows out of the cache (issue 14 A9).
# bench/pktgen sends 64-byte UDP frames from one unenrolled address (zt's
# default action blocks it) into gw0 with live-frames BPF_PROG_RUN; on gw0,
# in the same run: a bare XDP_DROP program, a one-rule nftables netdev
# ingress chain, and zt at XDP. The rate is the frames gw0 took per second
# on one core (sent less what the veth could not hand over). zt is measured
# with one repeated flow, a new source port on every packet, and a new
# destination port on every packet; before and after each flood, an
# enrolled device's 256 established flows are sent again and the flow-cache
# misses they cause are counted (0: still cached).
# Not a test: prints figures and ratios. Usage: bench_drop.sh BUILD_DIR [--quick]
set -u
. "$(dirname "$0")/../tests/lib/netns.sh"
SECS=4 ROUNDS=3
[ "${2:-}" = --quick ] && SECS=2 ROUNDS=1
netns_run ztd bench-drop "${1:-build}"
needs bench: nft ethtool
netns_trap

# ---- topology: client -- gateway -- private network ---------------------------------
netns_chain "$CLI" "$GW" "$PRIV" && netns_chain_up "$CLI" "$GW" "$PRIV" || exit 1
ip -n "$GW" neigh replace 10.2.0.5 lladdr "$(mac_of "$PRIV" srv0)" dev priv0 nud permanent
# gw0 takes redirected frames into its NAPI (GRO on), as a NIC would.
in_gw ethtool -K gw0 gro on >/dev/null 2>&1
GW_MAC=$(mac_of "$GW" gw0)
pktgen_works "$GW_MAC" || exit 1

cat > "$W/ztd.yaml" <<YAML
gateway: {interface: gw0, default_action: block, dns_listen: [10.10.0.1:53],
          state_dir: $W/state, xdp_redirect_veth: true}
tunnels: [{name: dc, local: true, private_interface: priv0}]
routes: {cidr: [{network: 10.2.0.0/24, tunnel: dc}]}
devices: [{ip: 10.10.0.2, email: admin@example.com}]
network_policies:
  - {name: Admin, precedence: 10, action: allow, match: {user_email: admin@example.com}}
YAML
ztctl() { "$O/ztctl" --pin-root "$PIN" --socket "$W/ztd.sock" "$@"; }
start_ztd() {
	ztd_start "$GW" "$W/ztd.yaml" "$PIN" "$W/ztd.sock" "$W/ztd.log" ||
		{ echo "bench: ztd did not start" >&2; cat "$W/ztd.log" >&2; exit 1; }
}
stop_ztd() {
	kill "$ZTD_PID" 2>/dev/null; wait "$ZTD_PID" 2>/dev/null
	in_gw "$O/ztd" --detach --pin-root "$PIN" >/dev/null 2>&1
}
tx_dropped() {
	ip -n "$CLI" -s -j link show cli0 | python3 -c '
import json,sys
print(json.load(sys.stdin)[0]["stats64"]["tx"]["dropped"])'
}
# flood PKTGEN_ARGS...: frames per second gw0 took from the blocked source
flood() {
	local d0 out sent secs d1
	d0=$(tx_dropped)
	out=$("$O/bench/pktgen" --from "$CLI:cli0" --to-mac "$GW_MAC" --src 10.10.0.66 \
		--dst 10.2.0.5 --dport 9 --secs "$SECS" "$@") ||
		{ echo "bench: pktgen failed" >&2; exit 1; }
	d1=$(tx_dropped)
	set -- $out
	sent=$2 secs=$6
	awk -v s="$sent" -v d=$((d1 - d0)) -v t="$secs" 'BEGIN { printf "%.0f", (s - d) / t }'
}
# misses: the enrolled device's 256 flows sent once (0.5 s); prints how
# many of its packets missed the flow cache.
misses() {
	local n0 n1
	n0=$(counter_of flow_new)
	"$O/bench/pktgen" --from "$CLI:cli0" --to-mac "$GW_MAC" --src 10.10.0.2 \
		--dst 10.2.0.5 --dport 9 --secs 0.5 --flows 256 --sink "$PRIV:srv0" >/dev/null ||
		{ echo "bench: pktgen failed" >&2; exit 1; }
	n1=$(counter_of flow_new)
	echo $((n1 - n0))
}
nft_on() {
	in_gw nft -f - <<NFT
table netdev ztbench {
	chain in { type filter hook ingress device gw0 priority 0; ip saddr 10.10.0.66 drop; }
}
NFT
}
nft_off() { in_gw nft delete table netdev ztbench 2>/dev/null; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

B=() N=() Z1=() ZS=() ZD=() M0=() MS=() MD=()
for _ in $(seq "$ROUNDS"); do
	B+=("$(flood --new-flows sport --drop-at "$GW:gw0")")
	nft_on
	N+=("$(flood --new-flows sport)")
	nft_off
	start_ztd
	misses >/dev/null # the device's flows are made
	M0+=("$(misses)")
	Z1+=("$(flood --flows 1)")
	ZS+=("$(flood --new-flows sport)")
	MS+=("$(misses)")
	ZD+=("$(flood --new-flows dport)")
	MD+=("$(misses)")
	DROPS=$(stat_of drop default)
	stop_ztd
done
BARE=$(median "${B[@]}") NFT=$(median "${N[@]}")
ONE=$(median "${Z1[@]}") SPORT=$(median "${ZS[@]}") DPORT=$(median "${ZD[@]}")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }
kpps() { awk -v a="$1" 'BEGIN { printf "%.0f", a / 1000 }'; }
echo "A flood from one blocked source, 64-byte UDP into gw0, one core, kernel $(uname -r)"
echo "(median of $ROUNDS rounds of ${SECS}s; bare XDP_DROP and nftables with a new source port"
echo " on every packet)"
printf '%-52s %8s %9s %9s\n' case kpps "/bare" "/nft"
row() { printf '%-52s %8s %9s %9s\n' "$1" "$(kpps "$2")" "$(ratio "$2" "$BARE")" "$(ratio "$2" "$NFT")"; }
row "bare XDP_DROP" "$BARE"
row "nftables netdev ingress, one rule" "$NFT"
row "zt at XDP, one repeated flow" "$ONE"
row "zt at XDP, a new source port on every packet" "$SPORT"
row "zt at XDP, a new destination port on every packet" "$DPORT"
echo "an enrolled device's 256 established flows missing the cache:" \
     "$(median "${M0[@]}") before the floods, $(median "${MS[@]}") after the source-port" \
     "flood, $(median "${MD[@]}") after the destination-port flood"
echo "(zt counted $DROPS packets dropped by the default action in the last round)"
