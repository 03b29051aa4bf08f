# netns.sh — sourced by the namespace suites, the demo and the benchmarks:
# one way to remove the namespaces a run made, and the suites' result lines. (nsenter, not 'ip netns
# exec', is how they enter them: that one also makes a private mount
# namespace, where ztd's pins would vanish with the process.)

# netns_remove NAME...: kills what runs in each namespace, then deletes it.
netns_remove() {
	local n
	for n in "$@"; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
	return 0
}

# netns_chain CLI GW PRIV: the client -- gateway -- private network of the
# suites and benchmarks: three namespaces with lo up, and veths cli0 (CLI)
# -- gw0 (GW) and priv0 (GW) -- srv0 (PRIV), down and without addresses.
netns_chain() {
	local n
	for n in "$1" "$2" "$3"; do
		ip netns add "$n" || return 1
		ip -n "$n" link set lo up
	done
	ip -n "$1" link add cli0 type veth peer name gw0 netns "$2" &&
		ip -n "$2" link add priv0 type veth peer name srv0 netns "$3"
}

# netns_chain_remove CLI GW PRIV PIN DIR: what a run on netns_chain leaves:
# ztd's programs detached from GW (its pins under PIN), the namespaces
# and DIR. Uses $O/ztd.
netns_chain_remove() {
	nsenter --net=/run/netns/"$2" "$O/ztd" --detach --pin-root "$4" >/dev/null 2>&1
	netns_remove "$1" "$2" "$3"
	rm -rf "$5"
}

# Result lines for tests/run.sh: ok NAME, bad NAME (counted in $fail), and
# check NAME CMD... (ok when CMD succeeds).
fail=0
ok()   { echo "ok - $1"; }
bad()  { echo "not ok - $1"; fail=$((fail + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

# ztd_start NETNS CONFIG PIN SOCKET LOG: starts $O/ztd in NETNS (appending
# to LOG) and waits until it says it runs: up to 30 s, since under QEMU's
# TCG verifying the programs takes seconds. Sets ZTD_PID (nsenter execs
# ztd, so $! is ztd itself); fails when ztd exits or never runs.
# ZTD_MOUNTS="SRC:DST ...": ztd runs in a mount namespace of its own where
# each file DST (which must exist) is SRC bind-mounted, e.g. an /etc/hosts
# of the test's. That namespace starts as a copy of this one: the same
# bpffs (ztd's pins are the ones ztctl sees here) and /run/netns.
ztd_start() {
	local before i m binds= wrap=()
	before=$(grep -c "running; control socket" "$5" 2>/dev/null)
	for m in ${ZTD_MOUNTS:-}; do
		binds+="mount -o bind '${m%%:*}' '${m#*:}' && "
	done
	[ -n "$binds" ] && wrap=(unshare -m --propagation private sh -c "${binds}exec \"\$@\"" sh)
	"${wrap[@]}" nsenter --net=/run/netns/"$1" "$O/ztd" --config "$2" --pin-root "$3" \
		--socket "$4" >>"$5" 2>&1 &
	ZTD_PID=$!
	for i in $(seq 300); do
		[ "$(grep -c "running; control socket" "$5")" -gt "${before:-0}" ] && return 0
		kill -0 "$ZTD_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# From `ztctl -j maps dump stats` (the suite's own ztctl function, which
# knows its pin root and socket): stat_of VERDICT REASON prints the packets
# counted for them; counter_of NAME prints one of the other counters.
stat_of() {
	ztctl -j maps dump stats | python3 -c '
import json,sys
d=json.load(sys.stdin)
print(sum(s["packets"] for s in d["stats"] if s["verdict"]==sys.argv[1] and s["reason"]==sys.argv[2]))' "$1" "$2"
}
counter_of() {
	ztctl -j maps dump stats | python3 -c '
import json,sys
print(json.load(sys.stdin)["counters"][sys.argv[1]])' "$1"
}
