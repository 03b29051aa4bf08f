# netns.sh — sourced by the namespace suites, the demo and the benchmarks:
# the topology they share and one way to remove it, starting ztd, waiting
# for what it does in its own time, and the suites' result lines. (nsenter,
# not 'ip netns exec', is how they enter the namespaces: that one also makes
# a private mount namespace, where ztd's pins would vanish with the process.)

# ROOT: the source tree this file is in.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# netns_run PREFIX TAG [BUILD_DIR]: this run's names, unique per process:
# O, the build directory (BUILD_DIR, by default build; absolute), ID
# (PREFIX and the pid), the namespaces CLI, GW and PRIV ($ID-cli, ...), a
# work directory W (/tmp/zt-TAG.*), ztd's pin root PIN and control socket
# SOCK, and ZT_NAMES_PATH in W; ZTD_PID empty (ztd_start sets it); in_cli,
# in_gw and in_priv run a command in the namespaces.
netns_run() {
	O=$(cd "${3:-build}" && pwd) || exit 1
	ID=$1$$ RUN_TAG=$2
	CLI=$ID-cli GW=$ID-gw PRIV=$ID-priv
	W=$(mktemp -d "/tmp/zt-$2.XXXXXX") || exit 1
	PIN=/sys/fs/bpf/$ID SOCK=$W/ztd.sock
	ZTD_PID=
	export ZT_NAMES_PATH=$W/names
}
in_cli()  { nsenter --net=/run/netns/"$CLI" "$@"; }
in_gw()   { nsenter --net=/run/netns/"$GW" "$@"; }
in_priv() { nsenter --net=/run/netns/"$PRIV" "$@"; }

# netns_remove NAME...: kills what runs in each namespace, then deletes it.
netns_remove() {
	local n
	for n in "$@"; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
	return 0
}

# netns_add NAME...: namespaces with lo up.
netns_add() {
	local n
	for n in "$@"; do
		ip netns add "$n" || return 1
		ip -n "$n" link set lo up
	done
}

# netns_veth NS_A IF_A NS_B IF_B: a veth pair between two namespaces, IF_A
# in NS_A and IF_B in NS_B, down and without addresses.
netns_veth() {
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
}

# netns_chain CLI GW PRIV: the client -- gateway -- private network of the
# suites and benchmarks: three namespaces with lo up, and veths cli0 (CLI)
# -- gw0 (GW) and priv0 (GW) -- srv0 (PRIV), down and without addresses.
netns_chain() {
	netns_add "$1" "$2" "$3" &&
		netns_veth "$1" cli0 "$2" gw0 &&
		netns_veth "$2" priv0 "$3" srv0
}

# netns_chain_up CLI GW PRIV: the benchmarks' addresses on netns_chain's
# links, all up, and forwarding on in GW: client 10.10.0.2 on cli0, the
# gateway 10.10.0.1 on gw0 and 10.2.0.1 on priv0, the server 10.2.0.5 on srv0.
netns_chain_up() {
	ip -n "$1" addr add 10.10.0.2/24 dev cli0 && ip -n "$1" link set cli0 up &&
		ip -n "$2" addr add 10.10.0.1/24 dev gw0 && ip -n "$2" link set gw0 up &&
		ip -n "$2" addr add 10.2.0.1/24 dev priv0 && ip -n "$2" link set priv0 up &&
		nsenter --net=/run/netns/"$2" sysctl -qw net.ipv4.ip_forward=1 &&
		ip -n "$3" addr add 10.2.0.5/24 dev srv0 && ip -n "$3" link set srv0 up
}

# netns_chain_dual CLI GW PRIV: the suites' addresses on netns_chain's
# links, IPv4 and IPv6, all up, forwarding on in GW: clients 10.10.0.2,
# 10.10.0.3 and fd00:10::2 on cli0; the gateway 10.10.0.1 / fd00:10::1 on
# gw0 and 10.2.0.1 / fd00:2::1 on priv0; the server 10.2.0.5 / fd00:2::5
# on srv0. No routes: the server has none back to the clients (only what
# the gateway sends from its own addresses is answered), the suite adds
# the client's.
netns_chain_dual() {
	ip -n "$1" addr add 10.10.0.2/24 dev cli0 &&
		ip -n "$1" addr add 10.10.0.3/24 dev cli0 &&
		ip -n "$1" addr add fd00:10::2/64 dev cli0 nodad &&
		ip -n "$1" link set cli0 up &&
		ip -n "$2" addr add 10.10.0.1/24 dev gw0 &&
		ip -n "$2" addr add fd00:10::1/64 dev gw0 nodad &&
		ip -n "$2" addr add 10.2.0.1/24 dev priv0 &&
		ip -n "$2" addr add fd00:2::1/64 dev priv0 nodad &&
		ip -n "$2" link set gw0 up && ip -n "$2" link set priv0 up &&
		nsenter --net=/run/netns/"$2" sysctl -qw net.ipv4.ip_forward=1 \
			net.ipv6.conf.all.forwarding=1 &&
		ip -n "$3" addr add 10.2.0.5/24 dev srv0 &&
		ip -n "$3" addr add fd00:2::5/64 dev srv0 nodad &&
		ip -n "$3" link set srv0 up
}

# netns_chain_remove CLI GW PRIV PIN DIR [NETNS...]: what a run on
# netns_chain leaves: ztd's programs detached from GW (its pins under PIN),
# the namespaces (and the suite's own further NETNS) and DIR. Uses $O/ztd.
netns_chain_remove() {
	nsenter --net=/run/netns/"$2" "$O/ztd" --detach --pin-root "$4" >/dev/null 2>&1
	netns_remove "$1" "$2" "$3" "${@:6}"
	rm -rf "$5"
}

# netns_trap [NETNS...]: on exit, ztd ($ZTD_PID) killed, W copied to
# /tmp/zt-TAG-keep when ZT_KEEP is set (a failed run, kept to read), and
# netns_chain_remove of this run's names and the further NETNS.
netns_trap() {
	RUN_EXTRA_NETNS=("$@")
	trap netns_exit EXIT
}
netns_exit() {
	[ -n "${ZTD_PID:-}" ] && { kill -KILL "$ZTD_PID"; wait "$ZTD_PID"; } 2>/dev/null
	disown -a 2>/dev/null # no "Killed" lines for what ran in the background
	[ -n "${ZT_KEEP:-}" ] && cp -r "$W" "/tmp/zt-$RUN_TAG-keep"
	netns_chain_remove "$CLI" "$GW" "$PRIV" "$PIN" "$W" "${RUN_EXTRA_NETNS[@]}"
}

# needs WHO TOOL...: each TOOL is on PATH, or a line "WHO TOOL is not
# installed (make deps)" and exit 1 (WHO: "not ok -" in a suite, where
# tests/run.sh counts it, "bench:" in a benchmark).
needs() {
	local who=$1 t
	shift
	for t in "$@"; do
		command -v "$t" >/dev/null || { echo "$who $t is not installed (make deps)"; exit 1; }
	done
}

# pktgen_works MAC (benches): bench/pktgen can send from $CLI's cli0 to
# MAC. It needs BPF_PROG_RUN with live frames, which some kernels refuse
# (EPERM seen on a 6.18 build): then it says so and fails.
pktgen_works() {
	"$O/bench/pktgen" --from "$CLI:cli0" --to-mac "$1" --src 10.10.0.2 --dst 10.2.0.5 \
		--dport 9 --secs 0.05 >/dev/null && return 0
	echo "bench: bench/pktgen cannot send on this kernel ($(uname -r)): no packet rates here" >&2
	return 1
}

# netns_sshd: an OpenSSH server in $PRIV on port 22 (IPv4 and IPv6) with
# keys made in $W/ssh, the client's key $W/ssh/user authorized for root;
# fails when sshd is missing or does not start. ssh_to ADDR CMD...: runs
# CMD there with OpenSSH from $CLI, never asking anything, at most 5 s
# to connect.
netns_sshd() {
	local sshd
	sshd=$(command -v sshd || echo /usr/sbin/sshd)
	[ -x "$sshd" ] && command -v ssh >/dev/null && command -v ssh-keygen >/dev/null || return 1
	mkdir -p /run/sshd "$W/ssh" && chmod 700 "$W/ssh" &&
	ssh-keygen -q -t ed25519 -N '' -f "$W/ssh/host" &&
	ssh-keygen -q -t ed25519 -N '' -f "$W/ssh/user" &&
	cp "$W/ssh/user.pub" "$W/ssh/authorized_keys" &&
	cat > "$W/ssh/sshd_config" <<EOF &&
ListenAddress 0.0.0.0:22
ListenAddress [::]:22
HostKey $W/ssh/host
AuthorizedKeysFile $W/ssh/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
UsePAM no
PidFile $W/ssh/sshd.pid
EOF
	in_priv "$sshd" -f "$W/ssh/sshd_config" -E "$W/ssh/sshd.log"
}
ssh_to() {
	local to=$1
	shift
	in_cli ssh -i "$W/ssh/user" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR "root@$to" "$@"
}

# netns_no_inbound NETNS: nftables there drops every connection from
# outside (loopback, replies and IPv6 neighbour discovery pass): a
# private network that only dials out.
netns_no_inbound() {
	nsenter --net=/run/netns/"$1" nft -f - <<'NFT'
table inet zt_test {
	chain input {
		type filter hook input priority 0; policy drop;
		iif lo accept
		ct state established,related accept
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
	}
}
NFT
}

# mac_of NETNS DEV: DEV's MAC address.
mac_of() { ip -n "$1" -br link show dev "$2" | awk '{ print $3 }'; }

# wait_until SECONDS CMD...: runs CMD (a command or a function) every 0.1 s
# until it succeeds or SECONDS (a fraction allowed) have passed; returns
# CMD's last status. For what ztd does in its own time (log lines, map
# entries, counters): as soon as it is there, and still in time under
# QEMU's TCG, where the same takes many times longer.
# (CMD runs in its scope: its locals are named not to hide the caller's.)
wait_until() {
	local wu_end wu_rc
	wu_end=$(( ${EPOCHREALTIME//[!0-9]/} + $(awk -v s="$1" 'BEGIN { printf "%d", s * 1000000 }') ))
	shift
	while :; do
		"$@" && return 0
		wu_rc=$?
		[ "${EPOCHREALTIME//[!0-9]/}" -lt "$wu_end" ] || return "$wu_rc"
		sleep 0.1
	done
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
# ZTD_WRAP="prlimit ... setpriv ...": commands that exec ztd in the end.
ztd_start() {
	local before m binds= wrap=()
	before=$(grep -c "running; control socket" "$5" 2>/dev/null)
	for m in ${ZTD_MOUNTS:-}; do
		binds+="mount -o bind '${m%%:*}' '${m#*:}' && "
	done
	# The private namespace must start with the host's bpffs, or ztd
	# mounts one of its own there that dies with it (a fresh host has
	# none until the first ztd runs). Read from /proc/mounts: busybox's
	# stat (the vmtest's) does not name a bpffs.
	awk '$2 == "/sys/fs/bpf" && $3 == "bpf" { f = 1 } END { exit !f }' /proc/mounts ||
		mount -t bpf -o mode=0700 bpf /sys/fs/bpf
	[ -n "$binds" ] && wrap=(unshare -m --propagation private sh -c "${binds}exec \"\$@\"" sh)
	# ZTD_WRAP: words that exec ztd in the end (prlimit, setpriv).
	wrap+=(${ZTD_WRAP:-})
	"${wrap[@]}" nsenter --net=/run/netns/"$1" "$O/ztd" --config "$2" --pin-root "$3" \
		--socket "$4" >>"$5" 2>&1 &
	ZTD_PID=$!
	wait_until 30 ztd_settled "$5" "${before:-0}"
	[ "$(grep -c "running; control socket" "$5")" -gt "${before:-0}" ]
}
# ztd_workers: the pids of ztd's proxy workers (its children named
# ztd-proxy; no pgrep in the vmtest).
ztd_workers() {
	local p
	for p in $(cat "/proc/$ZTD_PID/task/$ZTD_PID/children" 2>/dev/null); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = ztd-proxy ] && echo "$p"
	done
}
# ztd_settled LOG N: ztd said it runs for the N+1st time in LOG, or exited.
ztd_settled() {
	[ "$(grep -c "running; control socket" "$1")" -gt "$2" ] || ! kill -0 "$ZTD_PID" 2>/dev/null
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
# For wait_until: at_least N CMD... succeeds when CMD prints a number of N
# or more (a counter that must grow), prints VALUE CMD... when it prints
# VALUE.
at_least() { local v; v=$("${@:2}") && [ "$v" -ge "$1" ] 2>/dev/null; }
prints()   { [ "$("${@:2}")" = "$1" ]; }
