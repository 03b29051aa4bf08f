#!/usr/bin/env bash
# bench_tunnel.sh — a remote tunnel (ztd + ztconnector) against what a
# user would run instead to reach a server inside a private network, in
# the same run and the same namespaces (client -- gateway -- private
# network; the server 10.20.0.5 is on the private host itself):
#   - zt: the client's flow steered to the proxy, carried on a stream of
#     the connector's 4 TLS connections, dialled by the connector;
#   - ssh -L: OpenSSH port forwarding through an sshd in the private
#     network (a bastion), one SSH connection;
#   - stunnel: a TLS tunnel, stunnel on the client and in the private
#     network (an inbound port there, which the connector does not need);
#   - plain routing (no tunnel: the ceiling).
# Measured: iperf3 TCP throughput, 1 and 8 streams; the time from connect
# to the first byte of a server that speaks first (200 connections one
# after another, the median), against plain routing's, in units of the
# round trip (ping) between client and server; the memory per idle flow
# (ztd with its workers and the connector: anonymous RSS growth over 500
# silent connections).
# Not a test: prints figures and ratios. Usage: bench_tunnel.sh BUILD_DIR [--quick]
set -u
. "$(dirname "$0")/../tests/lib/netns.sh"
SECS=5 ROUNDS=3
[ "${2:-}" = --quick ] && SECS=2 ROUNDS=1
netns_run ztt bench-tunnel "${1:-build}"

"$ROOT/tools/deps.sh" install-only iperf3 stunnel4 openssh-server openssh-client ||
	{ echo "bench: installing iperf3, stunnel4, OpenSSH failed" >&2; exit 1; }
needs bench: iperf3 stunnel4 ssh python3
netns_trap

# ---- topology ------------------------------------------------------------------------
netns_chain "$CLI" "$GW" "$PRIV" && netns_chain_up "$CLI" "$GW" "$PRIV" || exit 1
ip -n "$PRIV" addr add 10.20.0.5/32 dev lo
ip -n "$CLI" route add 10.2.0.0/24 via 10.10.0.1
ip -n "$CLI" route add 10.20.0.0/24 via 10.10.0.1
ip -n "$GW" route add 10.20.0.0/24 via 10.2.0.5 # plain routing's way
ip -n "$PRIV" route add 10.10.0.0/24 via 10.2.0.1
in_priv iperf3 -s -D -B 10.20.0.5 --pidfile "$W/iperf3.pid" >/dev/null 2>&1
# Speaks first (its first byte is what the connect-to-first-byte time waits for).
in_priv python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.20.0.5", 7)); s.listen(4096); held = []
end = time.time() + 900
while time.time() < end:
    c = s.accept()[0]
    try:
        c.sendall(b"x")
    except OSError:
        pass
    held.append(c)
    if len(held) > 2000:
        held.pop(0).close()' >/dev/null 2>&1 &
netns_sshd || { echo "bench: sshd did not start" >&2; exit 1; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=st \
	-keyout "$W/st.key" -out "$W/st.crt" 2>/dev/null
cat > "$W/stunnel-srv.conf" <<STUNNEL
foreground = yes
pid =
[t]
accept = 10.2.0.5:8443
connect = 10.20.0.5:5201
cert = $W/st.crt
key = $W/st.key
[f]
accept = 10.2.0.5:8444
connect = 10.20.0.5:7
cert = $W/st.crt
key = $W/st.key
STUNNEL
cat > "$W/stunnel-cli.conf" <<STUNNEL
foreground = yes
pid =
[t]
client = yes
accept = 127.0.0.1:25201
connect = 10.2.0.5:8443
[f]
client = yes
accept = 127.0.0.1:25007
connect = 10.2.0.5:8444
STUNNEL

cat > "$W/ztd.yaml" <<YAML
gateway: {interface: gw0, default_action: block, state_dir: $W/state, proxy: {workers: 1},
          connector_listen: [10.2.0.1:7844]}
tunnels: [{name: dc}]
routes: {cidr: [{network: 10.20.0.0/24, tunnel: dc}]}
devices: [{ip: 10.10.0.2, email: admin@example.com}]
network_policies:
  - {name: Admin, precedence: 10, action: allow, match: {user_email: admin@example.com}}
YAML
ztctl() { "$O/ztctl" --pin-root "$PIN" --socket "$W/ztd.sock" "$@"; }
healthy() { ztctl -j tunnel list | grep -q '"health":"healthy"'; }
start_zt() {
	ztd_start "$GW" "$W/ztd.yaml" "$PIN" "$W/ztd.sock" "$W/ztd.log" ||
		{ echo "bench: ztd did not start" >&2; cat "$W/ztd.log" >&2; exit 1; }
	[ -s "$W/dc.token" ] || ztctl tunnel create dc --output "$W/dc.token" >/dev/null
	nsenter --net=/run/netns/"$PRIV" "$O/ztconnector" --token-file "$W/dc.token" -q \
		>>"$W/connector.log" 2>&1 &
	CONN_PID=$!
	wait_until 15 healthy || { echo "bench: the tunnel did not come up" >&2; exit 1; }
}
stop_zt() {
	kill "$CONN_PID" 2>/dev/null; wait "$CONN_PID" 2>/dev/null
	kill "$ZTD_PID" 2>/dev/null; wait "$ZTD_PID" 2>/dev/null
	in_gw "$O/ztd" --detach --pin-root "$PIN" >/dev/null 2>&1
	ZTD_PID=
}
# (nsenter itself in the background, not in_cli: $! of a function run in
# the background is a subshell, and killing it would leave ssh running.)
start_ssh() {
	nsenter --net=/run/netns/"$CLI" ssh -i "$W/ssh/user" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o BatchMode=yes -o LogLevel=ERROR -N -L 127.0.0.1:15201:10.20.0.5:5201 \
		-L 127.0.0.1:15007:10.20.0.5:7 root@10.2.0.5 &
	SSH_PID=$!
	sleep 1
}
stop_ssh() { kill "$SSH_PID" 2>/dev/null; wait "$SSH_PID" 2>/dev/null; }
start_stunnel() {
	nsenter --net=/run/netns/"$PRIV" stunnel4 "$W/stunnel-srv.conf" >/dev/null 2>&1 &
	ST1=$!
	nsenter --net=/run/netns/"$CLI" stunnel4 "$W/stunnel-cli.conf" >/dev/null 2>&1 &
	ST2=$!
	sleep 1
}
stop_stunnel() { kill "$ST1" "$ST2" 2>/dev/null; wait "$ST1" "$ST2" 2>/dev/null; }

gbps() { # gbps HOST PORT STREAMS
	in_cli timeout $((SECS + 10)) iperf3 -c "$1" -p "$2" -P "$3" -t "$SECS" -J 2>/dev/null |
		python3 -c '
import json,sys
try:
    print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception:
    print("0")'
}
first_byte_ms() { # first_byte_ms HOST PORT: median connect-to-first-byte of 200
	in_cli python3 -c '
import socket, sys, time
t = []
for _ in range(200):
    t0 = time.perf_counter()
    try:
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
        s.recv(1)
        t.append((time.perf_counter() - t0) * 1000)
        s.close()
    except OSError:
        pass
t.sort()
print("%.3f" % t[len(t) // 2] if t else "0")' "$1" "$2"
}
rtt_ms() { in_cli busybox ping -c 20 -i 0.05 -q 10.20.0.5 | awk -F/ '/round-trip/ { print $4 }'; }
rss_kb() {
	local p n=0
	for p in "$@"; do
		n=$((n + $(awk '/^RssAnon/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)))
	done
	echo "$n"
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() {
	python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print('%.2fx' % (a / b) if b else '-')" "$1" "$2"
}

P1=() P8=() Z1=() Z8=() S1=() S8=() T1=() T8=() PF=() ZF=() SF=() TF=()
for _ in $(seq "$ROUNDS"); do
	P1+=("$(gbps 10.20.0.5 5201 1)") P8+=("$(gbps 10.20.0.5 5201 8)")
	PF+=("$(first_byte_ms 10.20.0.5 7)")
	start_zt
	Z1+=("$(gbps 10.20.0.5 5201 1)") Z8+=("$(gbps 10.20.0.5 5201 8)")
	ZF+=("$(first_byte_ms 10.20.0.5 7)")
	stop_zt
	start_ssh
	S1+=("$(gbps 127.0.0.1 15201 1)") S8+=("$(gbps 127.0.0.1 15201 8)")
	SF+=("$(first_byte_ms 127.0.0.1 15007)")
	stop_ssh
	start_stunnel
	T1+=("$(gbps 127.0.0.1 25201 1)") T8+=("$(gbps 127.0.0.1 25201 8)")
	TF+=("$(first_byte_ms 127.0.0.1 25007)")
	stop_stunnel
done
RTT=$(rtt_ms)
# Memory per idle flow through the tunnel.
start_zt
PIDS="$ZTD_PID $(cat "/proc/$ZTD_PID/task/$ZTD_PID/children" 2>/dev/null) $CONN_PID"
before=$(rss_kb $PIDS)
in_cli python3 -c '
import socket, time
c = []
for _ in range(500):
    try:
        c.append(socket.create_connection(("10.20.0.5", 7), timeout=4))
    except OSError:
        pass
time.sleep(4)' &
ip=$!
sleep 3
after=$(rss_kb $PIDS)
streams=$(ztctl -j tunnel status dc | python3 -c 'import json,sys; print(sum(c["streams"] for c in json.load(sys.stdin)["connections"]))')
wait "$ip"
stop_zt
IDLE=$(((after - before) * 1024 / 500))

p1=$(median "${P1[@]}") p8=$(median "${P8[@]}") z1=$(median "${Z1[@]}") z8=$(median "${Z8[@]}")
s1=$(median "${S1[@]}") s8=$(median "${S8[@]}") t1=$(median "${T1[@]}") t8=$(median "${T8[@]}")
pf=$(median "${PF[@]}") zf=$(median "${ZF[@]}") sf=$(median "${SF[@]}") tf=$(median "${TF[@]}")
echo "# remote tunnel (zt: ztd + ztconnector, 4 TLS connections) vs ssh -L vs stunnel vs plain routing"
echo "# $ROUNDS rounds of $SECS s, medians; ratios are zt's"
printf '%-28s %9s %9s %9s %9s %9s %10s %9s\n' "" zt "ssh -L" stunnel plain zt/ssh zt/stunnel zt/plain
printf '%-28s %9s %9s %9s %9s %9s %10s %9s\n' "iperf3 1 stream, Gbit/s" "$z1" "$s1" "$t1" "$p1" \
	"$(ratio "$z1" "$s1")" "$(ratio "$z1" "$t1")" "$(ratio "$z1" "$p1")"
printf '%-28s %9s %9s %9s %9s %9s %10s %9s\n' "iperf3 8 streams, Gbit/s" "$z8" "$s8" "$t8" "$p8" \
	"$(ratio "$z8" "$s8")" "$(ratio "$z8" "$t8")" "$(ratio "$z8" "$p8")"
printf '%-28s %9s %9s %9s %9s\n' "connect to first byte, ms" "$zf" "$sf" "$tf" "$pf"
python3 -c "import sys; z, p, r = map(float, sys.argv[1:]); print('# zt opens a flow in %.3f ms more than plain routing: %.2f round trips (ping %.3f ms)' % (z - p, (z - p) / r if r else 0, r))" "$zf" "$pf" "${RTT:-0}"
echo "# memory per idle flow through the tunnel (ztd, its workers, the connector; $streams streams): $IDLE bytes"
