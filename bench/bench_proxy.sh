#!/usr/bin/env bash
# bench_proxy.sh — the L7 proxy against what a user would run instead, in
# the same run and the same namespaces (client -- gateway -- server): iperf3
# TCP throughput, 1 and 4 streams, client -> server, and new connections
# per second (bench/cps: 64 in flight, each sends a line, reads the
# server's "ok" and its close)
#   - through zt's proxy (a rule with a detected_protocol selector makes
#     the flow STEER; tc assigns it to ztd's listener, the proxy decides
#     `unknown` at the client's first bytes and relays with splice),
#   - through nginx `stream` with `ssl_preread on` (what reads SNI there),
#   - through HAProxy in TCP mode,
#   - by plain routing (no proxy: the ceiling),
# each proxy with the same number of workers (ZT_BENCH_WORKERS, default 1:
# zt's gateway.proxy.workers, nginx's worker_processes, HAProxy's
# nbthread). Also the memory each proxy holds per idle connection (the
# anonymous RSS growth of its processes, ztd with its workers, over 500
# connections that connected and stay silent).
# Not a test: prints figures and ratios. Usage: bench_proxy.sh BUILD_DIR [--quick]
set -u
. "$(dirname "$0")/../tests/lib/netns.sh"
SECS=5 ROUNDS=3 WORKERS=${ZT_BENCH_WORKERS:-1}
[ "${2:-}" = --quick ] && SECS=2 ROUNDS=1
netns_run ztp bench-proxy "${1:-build}"

"$ROOT/tools/deps.sh" install-only iperf3 haproxy libnginx-mod-stream nginx ||
	{ echo "bench: installing iperf3, haproxy, nginx's stream module failed" >&2; exit 1; }
needs bench: iperf3 haproxy nginx python3
[ -x "$O/bench/cps" ] || { echo "bench: $O/bench/cps is not built (make all)" >&2; exit 1; }
netns_trap

# ---- topology --------------------------------------------------------------------
netns_chain "$CLI" "$GW" "$PRIV" && netns_chain_up "$CLI" "$GW" "$PRIV" || exit 1
ip -n "$CLI" route add 10.2.0.0/24 via 10.10.0.1
ip -n "$PRIV" route add 10.10.0.0/24 via 10.2.0.1 # plain routing needs it
in_priv iperf3 -s -D -B 10.2.0.5 --pidfile "$W/iperf3.pid" >/dev/null 2>&1
# Plain routing's on another port: the TIME_WAIT sockets the proxy's
# connections leave in the gateway would take its SYNs (the kernel's
# early demux finds them and does not forward a packet with a socket).
for p in 7001 7002; do
	in_priv "$O/bench/cps" serve 10.2.0.5 $p 3600 >/dev/null 2>&1 &
done
in_priv python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.2.0.5", 7000)); s.listen(4096); c = []
end = time.time() + 600
while time.time() < end:
    c.append(s.accept()[0])' >/dev/null 2>&1 &

cat > "$W/ztd.yaml" <<YAML
gateway: {interface: gw0, default_action: block, state_dir: $W/state, proxy: {workers: $WORKERS}}
tunnels: [{name: dc, local: true, private_interface: priv0}]
routes: {cidr: [{network: 10.2.0.0/24, tunnel: dc}]}
devices: [{ip: 10.10.0.2, email: admin@example.com}]
network_policies:
  # An L7 rule on every port: each flow goes through the proxy.
  - {name: proxied, precedence: 10, action: allow,
     match: {dst_ip: 10.2.0.0/24, detected_protocol: [unknown, tls]}}
  - {name: Admin, precedence: 20, action: allow, match: {user_email: admin@example.com}}
YAML
mods=$(ls /usr/lib/nginx/modules/ngx_stream_module.so 2>/dev/null)
cat > "$W/nginx.conf" <<NGINX
${mods:+load_module $mods;}
worker_processes $WORKERS;
daemon off;
pid $W/nginx.pid;
error_log $W/nginx.err;
events { worker_connections 4096; }
stream {
	server { listen 10.10.0.1:5201; ssl_preread on; proxy_pass 10.2.0.5:5201; }
	server { listen 10.10.0.1:7000; ssl_preread on; proxy_pass 10.2.0.5:7000; }
	server { listen 10.10.0.1:7001; ssl_preread on; proxy_pass 10.2.0.5:7001; }
}
NGINX
cat > "$W/haproxy.cfg" <<HAP
global
	nbthread $WORKERS
	maxconn 8192
	pidfile $W/haproxy.pid
defaults
	mode tcp
	timeout connect 5s
	timeout client 1h
	timeout server 1h
listen iperf
	bind 10.10.0.1:5201
	server s 10.2.0.5:5201
listen idle
	bind 10.10.0.1:7000
	server s 10.2.0.5:7000
listen cps
	bind 10.10.0.1:7001
	server s 10.2.0.5:7001
HAP

start_ztd() {
	ztd_start "$GW" "$W/ztd.yaml" "$PIN" "$W/ztd.sock" "$W/ztd.log" ||
		{ echo "bench: ztd did not start" >&2; cat "$W/ztd.log" >&2; exit 1; }
	PROXY_PID="$ZTD_PID $(cat /proc/$ZTD_PID/task/$ZTD_PID/children 2>/dev/null)"
}
stop_ztd() {
	kill "$ZTD_PID" 2>/dev/null; wait "$ZTD_PID" 2>/dev/null
	in_gw "$O/ztd" --detach --pin-root "$PIN" >/dev/null 2>&1
	ZTD_PID=
}
start_nginx() {
	in_gw nginx -c "$W/nginx.conf" -e "$W/nginx.err" >/dev/null 2>&1 &
	sleep 0.5
	PROXY_PID=$(pgrep -f "nginx: worker process" -P "$(cat "$W/nginx.pid" 2>/dev/null || echo 1)")
}
stop_nginx() { kill "$(cat "$W/nginx.pid" 2>/dev/null)" 2>/dev/null; sleep 0.3; }
start_haproxy() {
	in_gw haproxy -f "$W/haproxy.cfg" -D >/dev/null 2>&1
	sleep 0.5
	PROXY_PID=$(cat "$W/haproxy.pid" 2>/dev/null)
}
stop_haproxy() { kill "$(cat "$W/haproxy.pid" 2>/dev/null)" 2>/dev/null; sleep 0.3; }

gbps() { # gbps TARGET STREAMS: receiver's bits per second, in Gbit/s
	in_cli timeout $((SECS + 10)) iperf3 -c "$1" -P "$2" -t "$SECS" -J 2>/dev/null | python3 -c '
import json,sys
try:
    print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception:
    print("0")'
}
# cps TARGET [PORT]: new connections per second through TARGET:PORT
# (7001; and how many failed, into $W/cps-failed).
cps() {
	local out
	out=$(in_cli "$O/bench/cps" client "$1" "${2:-7001}" "$SECS" 64)
	echo "${out%% *}" "$(echo "$out" | cut -d' ' -f2)" >> "$W/cps-failed"
	echo "${out##* }"
}
rss_kb() { # rss_kb PID...: their anonymous RSS together (code pages a
	# process touches for the first time are shared, not a connection's)
	local p n=0
	for p in "$@"; do n=$((n + $(awk '/^RssAnon/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0))); done
	echo "$n"
}
avail_kb() { awk '/^MemAvailable/ { print $2 }' /proc/meminfo; }
# idle_bytes TARGET: over 500 connections that stay open and silent (the
# server accepts and waits), per connection: the proxy's RSS growth, and
# the machine's MemAvailable drop (kernel memory too: sockets, pipes; the
# client's and server's sockets are the same for every proxy).
idle_bytes() {
	local before after a0 a1
	before=$(rss_kb $PROXY_PID) a0=$(avail_kb)
	in_cli python3 - "$1" > "$W/idle.out" 2>&1 <<'EOF' &
import socket, sys, time
c = []
for _ in range(500):
    try:
        c.append(socket.create_connection((sys.argv[1], 7000), timeout=4))
    except OSError:
        pass
print(len(c), flush=True)
time.sleep(4)
EOF
	sleep 3
	after=$(rss_kb $PROXY_PID) a1=$(avail_kb)
	wait
	echo "$(((after - before) * 1024 / 500)) $(((a0 - a1) * 1024 / 500))"
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

P1=() P4=() Z1=() Z4=() N1=() N4=() H1=() H4=() PC=() ZC=() NC=() HC=()
for _ in $(seq "$ROUNDS"); do
	P1+=("$(gbps 10.2.0.5 1)") P4+=("$(gbps 10.2.0.5 4)") PC+=("$(cps 10.2.0.5 7002)")
	start_ztd
	Z1+=("$(gbps 10.2.0.5 1)") Z4+=("$(gbps 10.2.0.5 4)") ZC+=("$(cps 10.2.0.5)")
	stop_ztd
	start_nginx
	N1+=("$(gbps 10.10.0.1 1)") N4+=("$(gbps 10.10.0.1 4)") NC+=("$(cps 10.10.0.1)")
	stop_nginx
	start_haproxy
	H1+=("$(gbps 10.10.0.1 1)") H4+=("$(gbps 10.10.0.1 4)") HC+=("$(cps 10.10.0.1)")
	stop_haproxy
done
start_ztd
read -r ZI ZS < <(idle_bytes 10.2.0.5)
ZACC=$("$O/ztctl" --pin-root "$PIN" --socket "$W/ztd.sock" -j status |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["daemon"]["proxy"]["accepted"])')
stop_ztd
start_nginx; read -r NI NS < <(idle_bytes 10.10.0.1); stop_nginx
start_haproxy; read -r HI HS < <(idle_bytes 10.10.0.1); stop_haproxy

# The relay mechanism alone (item 5 of issue 15): bench/relay, a bare
# one-thread relay on the gateway, moving the bytes with splice through
# pipes (what zt's workers do) or with a sockmap stream-verdict redirect.
# Each run listens on a port of its own (a relay killed a moment ago may
# still hold its port while the kernel closes its sockets).
relay_gbps() { # relay_gbps splice|sockmap STREAMS PORT
	in_gw "$O/bench/relay" "$1" "10.10.0.1:$3" 10.2.0.5:5201 $((SECS + 10)) > "$W/relay.out" 2>&1 &
	local rp=$! g
	wait_until 3 grep -q ready "$W/relay.out"
	g=$(in_cli timeout $((SECS + 8)) iperf3 -c 10.10.0.1 -p "$3" -P "$2" -t "$SECS" -J 2>/dev/null |
		python3 -c '
import json,sys
try:
    print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception:
    print("0")')
	kill "$rp" 2>/dev/null; wait "$rp" 2>/dev/null
	echo "$g"
}
# (relay's bytes through user space are printed when it ends by itself:
# one short run for the record.)
relay_by_hand() {
	in_gw "$O/bench/relay" sockmap 10.10.0.1:5299 10.2.0.5:5201 4 > "$W/relay.out" 2>&1 &
	local rp=$!
	wait_until 3 grep -q ready "$W/relay.out"
	in_cli timeout 5 iperf3 -c 10.10.0.1 -p 5299 -t 1 >/dev/null 2>&1
	wait "$rp"
	grep -q '^by_hand ' "$W/relay.out" || { echo "bench: relay said: $(cat "$W/relay.out")" >&2; return; }
	sed -n 's/^by_hand //p' "$W/relay.out"
}
RS1=() RS4=() RM1=() RM4=()
if [ -x "$O/bench/relay" ]; then
	for r in $(seq "$ROUNDS"); do
		p=$((5210 + r * 4))
		RS1+=("$(relay_gbps splice 1 $p)") RM1+=("$(relay_gbps sockmap 1 $((p + 1)))")
		RS4+=("$(relay_gbps splice 4 $((p + 2)))") RM4+=("$(relay_gbps sockmap 4 $((p + 3)))")
	done
	BYHAND=$(relay_by_hand)
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2fx", a / b; else print "-" }'; }
m() { median "$@"; }
echo "L7 proxy vs nginx stream (ssl_preread), HAProxy (TCP) and plain routing," \
     "kernel $(uname -r), $(nproc) CPUs, $WORKERS worker(s) each"
echo "(median of $ROUNDS rounds, the cases taking turns)"
printf '%-34s %8s %8s %8s %8s %8s %8s %8s\n' case zt nginx haproxy plain zt/nginx zt/hap zt/plain
for s in 1 4; do
	eval "z=\$(m \"\${Z$s[@]}\") n=\$(m \"\${N$s[@]}\") h=\$(m \"\${H$s[@]}\") p=\$(m \"\${P$s[@]}\")"
	printf '%-34s %8s %8s %8s %8s %8s %8s %8s\n' "TCP Gbit/s, iperf3 ${SECS}s, $s stream(s)" \
		"$z" "$n" "$h" "$p" "$(ratio "$z" "$n")" "$(ratio "$z" "$h")" "$(ratio "$z" "$p")"
done
z=$(m "${ZC[@]}") n=$(m "${NC[@]}") h=$(m "${HC[@]}") p=$(m "${PC[@]}")
printf '%-34s %8s %8s %8s %8s %8s %8s %8s\n' "new connections/s, ${SECS}s, 64 open" \
	"$z" "$n" "$h" "$p" "$(ratio "$z" "$n")" "$(ratio "$z" "$h")" "$(ratio "$z" "$p")"
printf '%-34s %8s %8s %8s\n' "bytes per idle connection, RssAnon" "$ZI" "$NI" "$HI"
printf '%-34s %8s %8s %8s\n' "... machine (MemAvailable drop)" "$ZS" "$NS" "$HS"
echo
echo "relay mechanism alone (bench/relay, one thread): sockmap stream verdict vs splice"
printf '%-34s %8s %8s %8s\n' case splice sockmap sockmap/splice
for s in 1 4; do
	eval "a=\$(m \"\${RS$s[@]}\") b=\$(m \"\${RM$s[@]}\")"
	printf '%-34s %8s %8s %8s\n' "TCP Gbit/s, iperf3 ${SECS}s, $s stream(s)" "$a" "$b" "$(ratio "$b" "$a")"
done
echo "(sockmap: ${BYHAND:-?} bytes of a 1 s iperf3 run reached user space, those before the redirect was set)"
echo "(connections done and failed in the cps runs, in turn plain, zt, nginx, haproxy:" \
     "$(tr '\n' ',' < "$W/cps-failed" | sed 's/,$//'))"
echo "(zt's proxy accepted $ZACC connections in the idle run; ztd's heap is warmed at start," \
     "so its RSS may not grow; its relay is splice(2) through a pipe each way, 64 KiB," \
     "grown to 1 MiB for bulk flows, at most $((256)) at once)"
