#!/usr/bin/env bash
# bench_control.sh — control-plane times with the real ztd and ztctl in
# network namespaces, each against nftables doing the same job in the same
# run (the alternative an operator would pick: an nft ruleset with an
# interval set of the routes and one rule per policy, replaced atomically
# with `nft -f`):
#   1. apply 100k routes and 1024 rules from scratch;
#   2. a reload that changes one route and one rule on a 1M-route table;
#   3. reload -> first packet that sees the new policy (UDP probes every
#      millisecond that the old policy drops and the new one allows).
# Not a test: prints figures and ratios. Usage: bench_control.sh BUILD_DIR [--quick]
set -u
. "$(dirname "$0")/../tests/lib/netns.sh"
BIG=1000000 MID=100000 RULES=1024
[ "${2:-}" = --quick ] && BIG=200000 MID=50000
netns_run ztb bench "${1:-build}"
needs bench: nft
netns_trap
now() { echo "$EPOCHREALTIME"; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }
ratio() { awk -v z="$1" -v n="$2" 'BEGIN { printf "%.2fx", n / z }'; }

netns_chain "$CLI" "$GW" "$PRIV" || exit 1
ip -n "$CLI" addr add 10.10.0.2/24 dev cli0 && ip -n "$CLI" link set cli0 up
ip -n "$CLI" route add 10.0.0.0/8 via 10.10.0.1
ip -n "$GW" addr add 10.10.0.1/24 dev gw0 && ip -n "$GW" link set gw0 up
ip -n "$GW" addr add 10.2.0.1/28 dev priv0 && ip -n "$GW" link set priv0 up
in_gw sysctl -qw net.ipv4.ip_forward=1
ip -n "$PRIV" addr add 10.2.0.5/28 dev srv0 && ip -n "$PRIV" link set srv0 up
ip -n "$PRIV" route add default via 10.2.0.1

# Route i is the /28 10.(i>>12).((i>>4)&255).((i&15)<<4); rule i (but the
# last) allows another user tcp/22 to route i's prefix; the probe rule
# decides udp/5001, which the catch-all would block.
gen() { # gen ROUTES PROBE_ACTION LAST_ROUTE_SHIFT OUT_YAML OUT_NFT
	python3 - "$@" <<'PY'
import sys
n, probe, shift, yml, nft = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
rules = 1024
def pfx(i):
    i = (i + shift) if i == n - 1 else i
    return "10.%d.%d.%d/28" % (i >> 12, (i >> 4) & 255, (i & 15) << 4)
with open(yml, "w") as f:
    f.write("gateway: {interface: gw0, default_action: block}\n")
    f.write("tunnels: [{name: dc, local: true}]\nroutes:\n  cidr:\n")
    for i in range(n):
        f.write("    - {network: %s, tunnel: dc}\n" % pfx(i))
    f.write("devices:\n  - {ip: 10.10.0.2, email: a@example.com}\n"
            "  - {ip: 10.10.0.3, email: b@example.com}\nnetwork_policies:\n")
    for i in range(rules - 2):
        f.write("  - {name: r%d, precedence: %d, action: allow, match: {dst_ip: %s, "
                "protocol: tcp, dst_port: 22, user_email: b@example.com}}\n" % (i, i + 1, pfx(i)))
    f.write("  - {name: probe, precedence: 5000, action: %s, match: {protocol: udp, dst_port: 5001}}\n" % probe)
    f.write("  - {name: catch-all, precedence: 9000, action: block, match: {dst_ip: 10.0.0.0/8}}\n")
with open(nft, "w") as f:
    f.write("table inet ztbench\ndelete table inet ztbench\n")
    f.write("table inet ztbench {\n set routes { type ipv4_addr; flags interval; elements = {\n")
    f.write(",\n".join(pfx(i) for i in range(n)))
    f.write("\n } }\n chain forward_zt {\n  type filter hook forward priority 0; policy accept;\n")
    f.write("  ip daddr != @routes accept\n")
    for i in range(rules - 2):
        f.write("  ip saddr 10.10.0.3 ip daddr %s tcp dport 22 accept\n" % pfx(i))
    f.write("  udp dport 5001 %s\n" % ("accept" if probe == "allow" else "drop"))
    f.write("  ip daddr 10.0.0.0/8 drop\n }\n}\n")
PY
}

start_ztd() {
	nsenter --net=/run/netns/"$GW" "$O/ztd" --config "$W/ztd.yaml" --pin-root "$PIN" \
		--socket "$SOCK" >"$W/ztd.log" 2>&1 &
	ZTD_PID=$!
	while ! grep -q 'running;' "$W/ztd.log"; do
		kill -0 "$ZTD_PID" 2>/dev/null || { cat "$W/ztd.log"; exit 1; }
		sleep 0.01
	done
}
# After a start ztd copies each entry's active half into the other one in
# the background (double buffering: a fresh table differs in its halves),
# so that a reload writes only what it changes; the reload measured is the
# steady state after that.
wait_settled() {
	while ! grep -q 'route tries settled' "$W/ztd.log"; do
		kill -0 "$ZTD_PID" 2>/dev/null || { cat "$W/ztd.log"; exit 1; }
		sleep 0.05
	done
}
stop_ztd() {
	kill -TERM "$ZTD_PID"; wait "$ZTD_PID" 2>/dev/null; ZTD_PID=
	in_gw "$O/ztd" --detach --pin-root "$PIN" >/dev/null 2>&1
}
nft_load() { in_gw nft -f "$1"; }

# Probes: the client sends UDP to 10.2.0.5:5001 every ms; the server prints
# the wall-clock time of the first one that arrives.
first_packet() { # first_packet CMD...: ms from CMD's start to the first probe through
	rm -f "$W/first" "$W/stop"
	nsenter --net=/run/netns/"$PRIV" python3 -c '
import socket,sys,time
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("10.2.0.5",5001)); s.settimeout(120)
s.recv(64); open(sys.argv[1],"w").write(repr(time.time()))' "$W/first" &
	local rcv=$!
	nsenter --net=/run/netns/"$CLI" python3 -c '
import os,socket,sys,time
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
end=time.time()+120
while time.time()<end and not os.path.exists(sys.argv[1]):
    s.sendto(b"probe",("10.2.0.5",5001)); time.sleep(0.001)' "$W/stop" &
	local snd=$!
	sleep 0.5
	[ -s "$W/first" ] && { echo "bench: probes pass before the change" >&2; }
	local t0; t0=$(now)
	"$@" >/dev/null
	wait "$rcv"
	touch "$W/stop"; wait "$snd"
	ms "$t0" "$(cat "$W/first")"
}

echo "zt control plane vs nftables, kernel $(uname -r), $(nproc) CPUs"
printf '%-58s %10s %10s %8s\n' "case" "zt ms" "nft ms" "nft/zt"

# 1. From scratch: 100k routes, 1024 rules.
gen "$MID" block 0 "$W/ztd.yaml" "$W/mid.nft"
t0=$(now); start_ztd; t1=$(now)
zt_ms=$(ms "$t0" "$t1")
stop_ztd
t0=$(now); nft_load "$W/mid.nft"; t1=$(now)
nft_ms=$(ms "$t0" "$t1")
in_gw nft delete table inet ztbench
printf '%-58s %10s %10s %8s\n' "apply $MID routes + $RULES rules from scratch" "$zt_ms" "$nft_ms" "$(ratio "$zt_ms" "$nft_ms")"
grep -o 'compile [0-9]* ms, apply [0-9]* ms' "$W/ztd.log" | head -1 | sed 's/^/    zt: /'

# 2. One route and one rule changed on a big table.
gen "$BIG" block 0 "$W/ztd.yaml" "$W/big.nft"
gen "$BIG" allow 1 "$W/big2.yaml" "$W/big2.nft"
start_ztd
wait_settled
cp "$W/big2.yaml" "$W/ztd.yaml"
t0=$(now); "$O/ztctl" --socket "$SOCK" reload >/dev/null; t1=$(now)
zt_ms=$(ms "$t0" "$t1")
nft_load "$W/big.nft"
in_gw "$O/ztd" --detach --pin-root "$PIN" >/dev/null 2>&1 # leave nft alone on the path
kill -KILL "$ZTD_PID"; wait "$ZTD_PID" 2>/dev/null; ZTD_PID=
t0=$(now); nft_load "$W/big2.nft"; t1=$(now)
nft_ms=$(ms "$t0" "$t1")
printf '%-58s %10s %10s %8s\n' "reload: 1 route + 1 rule changed, $BIG routes" "$zt_ms" "$nft_ms" "$(ratio "$zt_ms" "$nft_ms")"
grep 'read and validated\|compile [0-9]* ms' "$W/ztd.log" | tail -2 | sed 's/^zt: info: /    zt: /'

# 3. Reload -> first packet under the new policy (the big table again).
nft_load "$W/big.nft"
nft_ms=$(first_packet nft_load "$W/big2.nft")
in_gw nft delete table inet ztbench
gen "$BIG" block 0 "$W/ztd.yaml" "$W/big.nft"
start_ztd
wait_settled
cp "$W/big2.yaml" "$W/ztd.yaml"
zt_ms=$(first_packet "$O/ztctl" --socket "$SOCK" reload)
printf '%-58s %10s %10s %8s\n' "reload -> first packet allowed, $BIG routes" "$zt_ms" "$nft_ms" "$(ratio "$zt_ms" "$nft_ms")"
stop_ztd
