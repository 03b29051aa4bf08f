#!/usr/bin/env bash
# bench_dns.sh — ztd's DNS server against dnsmasq and NSD serving the same
# names, in the same run, driven by dnsperf: the server pinned to CPU 1,
# dnsperf to CPU 0 (a 2-core machine: dnsperf itself tops out near 100k
# qps, so the CPU time each server spends per query, at the same offered
# load, is the figure that says which is cheaper). ztd answers hostname
# routes with IRIs (allocated on a warm-up pass, then sticky); dnsmasq from
# a hosts file; NSD from a zone. No server logs queries.
# Not a test: prints figures and ratios. Usage: bench_dns.sh BUILD_DIR [--quick]
set -u
. "$(dirname "$0")/../tests/lib/netns.sh"
NAMES=1000 SECS=10 LOAD=20000
[ "${2:-}" = --quick ] && SECS=3
netns_run ztq bench-dns "${1:-build}"

# dnsperf and nsd are only needed here (installed without starting a
# system nsd on port 53).
"$ROOT/tools/deps.sh" install-only dnsperf nsd dnsmasq-base ||
	{ echo "bench: installing dnsperf, nsd, dnsmasq failed" >&2; exit 1; }

netns_trap

for n in "$CLI" "$GW"; do ip netns add "$n" || exit 1; ip -n "$n" link set lo up; done
ip -n "$CLI" link add cli0 type veth peer name gw0 netns "$GW"
ip -n "$CLI" addr add 10.10.0.2/24 dev cli0 && ip -n "$CLI" link set cli0 up
ip -n "$GW" addr add 10.10.0.1/24 dev gw0
ip -n "$GW" addr add 10.10.0.11/24 dev gw0
ip -n "$GW" addr add 10.10.0.12/24 dev gw0
ip -n "$GW" link set gw0 up
# What arrives on gw0 is processed on CPU 1 (RPS), as a gateway's own CPU
# would: the kernel's receive path (and zt's programs) for every server,
# not dnsperf's CPU.
ip netns exec "$GW" sh -c 'echo 2 > /sys/class/net/gw0/queues/rx-0/rps_cpus' ||
	{ echo "bench: cannot steer gw0's receive work to CPU 1 (RPS)" >&2; exit 1; }

# The same names for all three.
: > "$W/queries"; : > "$W/hosts"
cat > "$W/internal.local.zone" <<'ZONE'
$TTL 30
@ IN SOA ns.internal.local. admin.internal.local. 1 3600 600 86400 30
@ IN NS ns.internal.local.
ns IN A 10.10.0.12
ZONE
for i in $(seq 1 $NAMES); do
	a="100.80.$((i / 250)).$((i % 250 + 1))"
	echo "host$i.internal.local A" >> "$W/queries"
	echo "$a host$i.internal.local" >> "$W/hosts"
	echo "host$i IN A $a" >> "$W/internal.local.zone"
done
cat > "$W/ztd.yaml" <<YAML
gateway: {interface: gw0, dns_listen: [10.10.0.1:53], state_dir: $W/state}
dns: {ttl: 30}
tunnels: [{name: vpc}]
routes: {hostname: [{hostname: '*.internal.local', tunnel: vpc}]}
YAML
cat > "$W/nsd.conf" <<CONF
server:
  ip-address: 10.10.0.12
  port: 53
  server-count: 1
  username: ""
  database: ""
  zonelistfile: "$W/zone.list"
  xfrdfile: "$W/xfrd.state"
  pidfile: "$W/nsd.pid"
  logfile: "$W/nsd.log"
  verbosity: 0
remote-control:
  control-enable: no
zone:
  name: internal.local
  zonefile: "$W/internal.local.zone"
CONF

# Servers, each pinned to CPU 1.
nsenter --net=/run/netns/"$GW" taskset -c 1 "$O/ztd" --config "$W/ztd.yaml" --pin-root "$PIN" \
	--socket "$W/ztd.sock" > "$W/ztd.log" 2>&1 &
nsenter --net=/run/netns/"$GW" taskset -c 1 dnsmasq --no-daemon --no-resolv --no-hosts \
	--addn-hosts="$W/hosts" --listen-address=10.10.0.11 --bind-interfaces --user=root \
	--local-ttl=30 --pid-file="$W/dnsmasq.pid" > "$W/dnsmasq.log" 2>&1 &
nsenter --net=/run/netns/"$GW" taskset -c 1 nsd -d -c "$W/nsd.conf" > "$W/nsd.out" 2>&1 &
for _ in $(seq 100); do
	grep -q 'running;' "$W/ztd.log" 2>/dev/null &&
		in_cli dig +short +time=1 +tries=1 @10.10.0.11 host1.internal.local >/dev/null &&
		[ -n "$(in_cli dig +short +time=1 +tries=1 @10.10.0.12 host1.internal.local)" ] && break
	sleep 0.2
done
for s in 10.10.0.1 10.10.0.11 10.10.0.12; do
	[ -n "$(in_cli dig +short +time=1 +tries=1 @$s host7.internal.local)" ] ||
		{ echo "bench: the server at $s does not answer"; cat "$W"/*.log "$W/nsd.out"; exit 1; }
done

# CPU seconds used so far by the processes named $1 (nsd's are "nsd: main",
# "nsd: server 1", ...) in the gateway namespace: the scheduler's own
# run-time sums (schedstat), not the sampled utime/stime.
cpu() {
	local t=0 p c x
	for p in $(ip netns pids "$GW"); do
		c=$(cat /proc/$p/comm 2>/dev/null)
		[ "$c" = "$1" ] || [ "${c#"$1: "}" != "$c" ] || continue
		for x in /proc/$p/task/*/schedstat; do
			t=$((t + $(cut -d' ' -f1 "$x")))
		done
	done
	awk -v t=$t 'BEGIN { printf "%.4f", t / 1e9 }'
}

# Busy CPU seconds of the whole machine so far: wall time on every CPU
# minus idle and iowait (which the kernel measures exactly when it goes
# idle). The kernel's network work for a query runs partly outside the
# server's process (softirqs on either CPU), so this counts it too.
busy() {
	awk -v hz="$(getconf CLK_TCK)" -v n="$(nproc)" -v now="$EPOCHREALTIME" '/^cpu / {
		printf "%.4f", now * n - ($5 + $6) / hz }' /proc/stat
}

# perf SERVER COMM [dnsperf args]: prints "qps completed server_cpu
# system_cpu_minus_dnsperf".
perf() {
	local s=$1 comm=$2 c0 c1 b0 b1 out
	shift 2
	c0=$(cpu "$comm"); b0=$(busy)
	out=$(in_cli /usr/bin/time -f "DNSPERF-CPU %U %S" taskset -c 0 dnsperf -s "$s" \
		-d "$W/queries" -l "$SECS" "$@" 2>&1)
	c1=$(cpu "$comm"); b1=$(busy)
	awk -v c0="$c0" -v c1="$c1" -v b0="$b0" -v b1="$b1" '
		/Queries completed:/ { done = $3 }
		/Queries per second:/ { qps = $4 }
		/^DNSPERF-CPU/ { dp = $2 + $3 }
		END { printf "%.0f %d %.3f %.3f\n", qps, done, c1 - c0, b1 - b0 - dp }' <<<"$out"
}

# Warm-up: ztd allocates each name's IRI on its first query.
in_cli taskset -c 0 dnsperf -s 10.10.0.1 -d "$W/queries" -n 1 >/dev/null 2>&1

declare -A QPS CPUQ SYSQ LQPS
for srv in "ztd 10.10.0.1" "dnsmasq 10.10.0.11" "nsd 10.10.0.12"; do
	set -- $srv
	read -r q _ _ _ < <(perf "$2" "$1" -c 4 -q 500)
	QPS[$1]=$q
	read -r q done c sys < <(perf "$2" "$1" -c 4 -q 500 -Q "$LOAD")
	LQPS[$1]=$q
	CPUQ[$1]=$(awk -v c="$c" -v n="$done" 'BEGIN { printf "%.2f", n ? c * 1e6 / n : 0 }')
	SYSQ[$1]=$(awk -v c="$sys" -v n="$done" 'BEGIN { printf "%.2f", n ? c * 1e6 / n : 0 }')
done
row() { # row LABEL ARRAY-NAME: the three figures and the ratios to ztd's
	local -n a=$2
	printf "%-44s %9s %9s %9s %12s %9s\n" "$1" "${a[ztd]}" "${a[dnsmasq]}" "${a[nsd]}" \
		"$(awk -v x="${a[dnsmasq]}" -v z="${a[ztd]}" 'BEGIN { printf "%.2fx", z ? x / z : 0 }')" \
		"$(awk -v x="${a[nsd]}" -v z="${a[ztd]}" 'BEGIN { printf "%.2fx", z ? x / z : 0 }')"
}
echo
echo "zt DNS server vs dnsmasq and NSD, kernel $(uname -r), $(nproc) CPUs, $NAMES names, ${SECS}s per run"
echo "server on CPU 1, dnsperf on CPU 0"
printf "%-44s %9s %9s %9s %12s %9s\n" case ztd dnsmasq nsd "dnsmasq/ztd" "nsd/ztd"
row "queries per second (max)" QPS
row "server process CPU us/query at $LOAD qps" CPUQ
row "machine CPU us/query at $LOAD qps (-dnsperf)" SYSQ
printf "%-44s %9s %9s %9s\n" "  (qps achieved at that load)" "${LQPS[ztd]}" "${LQPS[dnsmasq]}" "${LQPS[nsd]}"
echo "(ztd's process row leaves out the answers zt's programs give in the kernel: the machine row"
echo " counts them)"
echo "targets: ztd CPU per query <= 0.5x dnsmasq's and <= 0.67x NSD's (ratios >= 2.00x and >= 1.50x"
echo "in the CPU rows); max qps no lower than either (ratios <= 1.00x in the first row)"
