#!/usr/bin/env bash
# direct.sh — the DIRECT path end to end, in namespaces made for the run:
# a client, the gateway (ztd on gw0, the local tunnel's private interface
# priv0) and a private network whose servers have NO route back to the
# clients, so only what the gateway translated (SNAT to 10.2.0.1 /
# fd00:2::1) can be answered. Names come from ztd's DNS (IRIs), their real
# addresses from dnsmasq in the private network. Checked with TCP (a peer
# that says which address it saw, curl, OpenSSH when installed), UDP (dig
# through the NAT), ICMP echo, over IPv4 and IPv6, to IRIs and to a CIDR
# route; first translated at tc, then (after a reload) at XDP with the veth
# peers set up for it. ICMP errors about translated flows come back
# translated: port unreachable from the server, and "fragmentation needed"
# / "packet too big" from a router in the private network in front of a
# 1280-byte link (the client learns the path MTU). Then revocation of an
# established flow, a refused user, SNAT port exhaustion, and `ztctl maps
# dump nat`. TCP translations are made by SYNs only and expire by state,
# and one device holds gateway.nat_per_device of them at most (a raw
# sender whose RSTs an nftables rule drops).
# Usage: direct.sh BUILD_DIR
set -u
. "$(dirname "$0")/../lib/netns.sh"
netns_run zd direct "${1:-build}"
FAR=$ID-far
PEER="$ROOT/tests/netns/peer.py"
netns_trap "$FAR"
needs "not ok -" dig dnsmasq curl ethtool python3 nft

# ---- topology ------------------------------------------------------------------
netns_chain "$CLI" "$GW" "$PRIV" && netns_add "$FAR" &&
	netns_chain_dual "$CLI" "$GW" "$PRIV" || exit 1
for r in 100.80.0.0/16 10.2.0.0/24; do ip -n "$CLI" route add $r via 10.10.0.1; done
for r in fd7a:5a7e::/64 fd00:2::/64; do ip -n "$CLI" -6 route add $r via fd00:10::1; done
# No route back to 10.10.0.0/24 or fd00:10::/64: replies reach only the
# gateway's own addresses.
# Behind the private network's host, a router here, a 1280-byte link to
# hosts 10.3.0.2-3 / fd00:3::2-3: a full-size datagram with DF gets
# "fragmentation needed" / "packet too big" from the router. No ICMP rate
# limit: every error the suite causes is sent.
netns_veth "$PRIV" far0 "$FAR" far1
ip -n "$PRIV" link set far0 mtu 1280
ip -n "$FAR" link set far1 mtu 1280
ip -n "$PRIV" addr add 10.3.0.1/24 dev far0
ip -n "$PRIV" addr add fd00:3::1/64 dev far0 nodad
ip -n "$PRIV" link set far0 up
in_priv sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
	net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
for a in 10.3.0.2/24 10.3.0.3/24; do ip -n "$FAR" addr add $a dev far1; done
for a in fd00:3::2/64 fd00:3::3/64; do ip -n "$FAR" addr add $a dev far1 nodad; done
ip -n "$FAR" link set far1 up
ip -n "$FAR" route add default via 10.3.0.1
ip -n "$FAR" -6 route add default via fd00:3::1
ip -n "$GW" route add 10.3.0.0/24 via 10.2.0.5
ip -n "$GW" -6 route add fd00:3::/64 via fd00:2::5
ip -n "$CLI" route add 10.3.0.0/24 via 10.10.0.1
ip -n "$CLI" -6 route add fd00:3::/64 via fd00:10::1

# ---- servers in the private network ----------------------------------------------
printf '%s\n' "10.2.0.5 ssh.dc.local web.dc.local" "fd00:2::5 ssh.dc.local web.dc.local" \
	> "$W/hosts"
in_priv dnsmasq --no-daemon --no-resolv --no-hosts --addn-hosts="$W/hosts" \
	--listen-address=10.2.0.5 --bind-interfaces --user=root \
	--pid-file="$W/dnsmasq.pid" >/dev/null 2>&1 &
for p in 7 9; do in_priv python3 "$PEER" serve $p >/dev/null 2>&1 & done
mkdir -p "$W/www" && echo "hello from the private network" > "$W/www/index.html"
head -c 8M /dev/urandom > "$W/www/big" # bulk transfers: GSO and GRO packets through the NAT
BIG_SUM=$(sha256sum < "$W/www/big")
in_priv busybox httpd -p 80 -h "$W/www"
HAVE_SSH=0
netns_sshd && HAVE_SSH=1
sleep 0.5

# ---- gateway ---------------------------------------------------------------------
LISTEN_DEFAULT='[10.10.0.1:53, "[fd00:10::1]:53"]'
# NAT_PER_DEVICE=N write_config ...: with gateway.nat_per_device: N
write_config() { # write_config XDP_REDIRECT_VETH NAT_PORTS ADMIN_ACTION [EXTRA_TOP_LEVEL]
	cat > "$W/ztd.yaml" <<YAML
gateway:
  interface: gw0
  default_action: block
  dns_listen: ${DNS_LISTEN:-$LISTEN_DEFAULT}
  state_dir: $W/state
  nat_ports: $2
${NAT_PER_DEVICE:+  nat_per_device: $NAT_PER_DEVICE}
  xdp_redirect_veth: $1
  log: {network: $W/network.jsonl}
dns: {origin_resolvers: [10.2.0.5:53]${DNS_TTL:+, ttl: $DNS_TTL}}
tunnels:
  - {name: dc, local: true, private_interface: priv0}
routes:
  hostname: [{hostname: '*.dc.local', tunnel: dc}]
  cidr:
    - {network: 10.2.0.0/24, tunnel: dc}
    - {network: 'fd00:2::/64', tunnel: dc}
    - {network: 10.3.0.0/24, tunnel: dc}
    - {network: 'fd00:3::/64', tunnel: dc}
devices:
  - {ip: 10.10.0.2, email: admin@example.com}
  - {ip: 'fd00:10::2', email: admin@example.com}
  - {ip: 10.10.0.3, email: bob@example.com}
network_policies:
  - {name: Not bob, precedence: 5, action: block, match: {user_email: bob@example.com}}
  - {name: Not blocked.dc.local, precedence: 7, action: block, match: {host: blocked.dc.local}}
  - {name: Admin, precedence: 10, action: $3, match: {user_email: admin@example.com}}
${4:-}
YAML
}
write_config false 61000-65535 allow
start_ztd() { ztd_start "$GW" "$W/ztd.yaml" "$PIN" "$SOCK" "$W/ztd.log"; }
ztctl() { "$O/ztctl" --pin-root "$PIN" --socket "$SOCK" "$@"; }
a() { in_cli dig +short +time=2 +tries=2 "$@" | head -1; }
# saw ADDR_RE: the peer's "ADDR PORT" line says ADDR and a port of the range
saw() { # saw EXPECTED_ADDR LINE [LO HI]
	local addr=${2% *} port=${2##* }
	[ "$addr" = "$1" ] && [ "$port" -ge "${3:-61000}" ] 2>/dev/null && [ "$port" -le "${4:-65535}" ]
}

check "ztd starts with a private interface" start_ztd
check "gw0 and priv0 (veths) have the whole programs at tc, no XDP" sh -c \
	"grep -q 'gw0: attached (tc)' '$W/ztd.log' && grep -q 'priv0: attached (tc, private interface)' '$W/ztd.log' &&
	 ! ip -n $GW link show gw0 | grep -q xdp && ! ip -n $GW link show priv0 | grep -q xdp"
check "... so their peers keep TCP segmentation offload (ethtool -k cli0, srv0)" sh -c \
	"nsenter --net=/run/netns/$CLI ethtool -k cli0 | grep -q '^tcp-segmentation-offload: on' &&
	 nsenter --net=/run/netns/$PRIV ethtool -k srv0 | grep -q '^tcp-segmentation-offload: on'"

IRI4=$(a @10.10.0.1 ssh.dc.local A)
IRI6=$(a @10.10.0.1 ssh.dc.local AAAA)
WEB4=$(a @10.10.0.1 web.dc.local A)
IRI6_WEB_PREFIX=fd7a:5a7e:: # web.dc.local's AAAA: an IRI of the IPv6 pool
check "DNS answers IRIs for the names (IPv4 $IRI4, IPv6 $IRI6)" \
	sh -c "case '$IRI4' in 100.80.*) ;; *) exit 1;; esac; case '$IRI6' in fd7a:5a7e::*) ;; *) exit 1;; esac"
# ztd resolves the real addresses behind the IRIs in the background.
# iri_resolved PATTERN...: maps dump iri succeeds and has each pattern.
iri_resolved() {
	local out p
	out=$(ztctl -j maps dump iri) || return 1
	for p in "$@"; do grep -q "$p" <<<"$out" || return 1; done
}
check "ztd resolved the real addresses (maps dump iri)" \
	wait_until 20 iri_resolved '"real_address":"fd00:2::5"' '"real_address":"10.2.0.5"'

# bob's flow: the policy drops it (at tc, with XDP's verdict or the whole
# classifier there).
bob_connect() {
	in_cli python3 - "$IRI4" <<'EOF' 2>&1
import socket, sys
s = socket.socket(); s.bind(("10.10.0.3", 0)); s.settimeout(2)
try:
    s.connect((sys.argv[1], 7)); print("connected")
except OSError as e:
    print("refused:", e)
EOF
}

# ---- the same checks, translated at tc and then at XDP ---------------------------
direct_checks() { # direct_checks MODE (tc|xdp)
	local m=$1 out n0
	n0=$(counter_of nat_$m)
	out=$(in_cli python3 "$PEER" ask "$IRI4" 7 2>&1)
	check "[$m] TCP to the IRI: the server saw the SNAT address 10.2.0.1 and a NAT port ($out)" \
		saw 10.2.0.1 "$out"
	out=$(in_cli python3 "$PEER" ask "$IRI6" 7 2>&1)
	check "[$m] TCP over IPv6 to the IRI: the server saw fd00:2::1 ($out)" saw fd00:2::1 "$out"
	out=$(in_cli python3 "$PEER" ask 10.2.0.5 7 2>&1)
	check "[$m] TCP to a CIDR route of the local tunnel: SNAT without DNAT ($out)" \
		saw 10.2.0.1 "$out"
	out=$(in_cli python3 "$PEER" ask fd00:2::5 7 2>&1)
	check "[$m] ... and over IPv6 ($out)" saw fd00:2::1 "$out"
	check "[$m] curl through the IRI gets the page (IPv4)" sh -c \
		"nsenter --net=/run/netns/$CLI curl -s -m 3 http://$IRI4/ | grep -q 'hello from the private'"
	check "[$m] curl through the IRI gets the page (IPv6)" sh -c \
		"nsenter --net=/run/netns/$CLI curl -s -m 3 'http://[$IRI6]/' | grep -q 'hello from the private'"
	check "[$m] an 8 MB download through the IRI arrives intact (IPv4)" sh -c \
		"nsenter --net=/run/netns/$CLI curl -s -m 20 http://$IRI4/big | sha256sum | grep -qx '$BIG_SUM'"
	check "[$m] ... and over IPv6" sh -c \
		"nsenter --net=/run/netns/$CLI curl -s -m 20 'http://[$IRI6]/big' | sha256sum | grep -qx '$BIG_SUM'"
	check "[$m] UDP: dig through the NAT to the private resolver" \
		test "$(a @"$IRI4" web.dc.local A)" = 10.2.0.5
	check "[$m] ICMP echo to the IRI (IPv4)" sh -c \
		"nsenter --net=/run/netns/$CLI busybox ping -c 2 -W 2 $IRI4 >/dev/null"
	check "[$m] ICMP echo to the IRI (IPv6)" sh -c \
		"nsenter --net=/run/netns/$CLI busybox ping6 -c 2 -W 2 $IRI6 >/dev/null"
	if [ "$HAVE_SSH" = 1 ]; then
		out=$(ssh_to "$IRI4" 'echo $SSH_CONNECTION' 2>&1)
		check "[$m] OpenSSH to the IRI: sshd saw the SNAT address ($out)" \
			sh -c "case '$out' in '10.2.0.1 '*' 10.2.0.5 22') ;; *) exit 1;; esac"
		out=$(ssh_to "$IRI6" 'echo $SSH_CONNECTION' 2>&1)
		check "[$m] OpenSSH over IPv6 ($out)" \
			sh -c "case '$out' in 'fd00:2::1 '*' fd00:2::5 22') ;; *) exit 1;; esac"
		out=$(ssh_to "$IRI4" sha256sum < "$W/www/big" 2>&1)
		check "[$m] an 8 MB upload over OpenSSH through the IRI arrives intact" \
			test "$out" = "$BIG_SUM"
	else
		echo "skip - [$m] OpenSSH through the DIRECT path: no sshd here"
	fi
	# The programs answer what ztd answered (no DNS log here): the second
	# query for a name gets, from the kernel, what the first got from ztd.
	local q0 z1 z2
	q0=$(counter_of dns_answered)
	dq() { in_cli dig +time=2 +tries=1 @10.10.0.1 "$@" | grep -E 'flags:|IN[[:space:]]+A' | grep -v '^;[a-zA-Z]'; }
	z1=$(dq web.dc.local AAAA) z2=$(dq web.dc.local AAAA)
	check "[$m] a name ztd answered is answered by the programs the same way (flags, EDNS, AAAA record)" \
		sh -c "[ -n '$z1' ] && [ '$z1' = '$z2' ] && echo '$z1' | grep -q 'flags: qr aa rd ra;.*ANSWER: 1' &&
		       echo '$z1' | grep -q 'IN[[:space:]]*AAAA[[:space:]]*$IRI6_WEB_PREFIX'"
	check "[$m] ... counted (dns_answered grew)" test "$(counter_of dns_answered)" -gt "$q0"
	z1=$(dq SSH.DC.Local A +noedns +norec)
	check "[$m] ... in any case, without EDNS, without recursion desired: the IRI, no OPT, no rd ($z1)" \
		sh -c "echo '$z1' | grep -q 'flags: qr aa ra;.*ADDITIONAL: 0' &&
		       echo '$z1' | grep -qi 'SSH.DC.Local.*IN[[:space:]]*A[[:space:]]*$IRI4\$'"
	local r0
	r0=$(stat_of drop rule)
	out=$(bob_connect)
	check "[$m] bob's flow to the IRI is dropped by policy ($out)" \
		sh -c "case '$out' in refused*) ;; *) exit 1;; esac"
	check "[$m] ... and counted as a rule drop" test "$(stat_of drop rule)" -gt "$r0"
	check "[$m] the packets were translated at $m (counter nat_$m grew)" \
		test "$(counter_of nat_$m)" -gt "$n0"
	# ICMP errors about translated flows, translated back to the client.
	local h i0
	h=$([ "$m" = tc ] && echo 2 || echo 3) # a host per pass: the client caches a PMTU
	i0=$(counter_of nat_icmp)
	out=$(in_cli python3 "$PEER" udp "$IRI4" 5 2>&1)
	check "[$m] UDP to a closed port behind the IRI: the port unreachable reaches the client's socket ($out)" \
		test "$out" = refused
	out=$(in_cli python3 "$PEER" udp "$IRI6" 5 2>&1)
	check "[$m] ... and over IPv6 ($out)" test "$out" = refused
	# With tx checksum offload the client's datagram leaves with only its
	# pseudo-header sum in the checksum field, and the server quotes it as
	# it came: full checksums for this check (the XDP pass has them).
	[ "$m" = tc ] && in_cli ethtool -K cli0 tx off >/dev/null 2>&1
	out=$(in_cli python3 "$PEER" udpcheck "$IRI4" 5 cli0 2>&1)
	check "[$m] the port unreachable as the client got it: its addresses and every checksum ($out)" \
		test "$out" = ok
	out=$(in_cli python3 "$PEER" udpcheck "$IRI6" 5 cli0 2>&1)
	check "[$m] ... and over IPv6 ($out)" test "$out" = ok
	[ "$m" = tc ] && in_cli ethtool -K cli0 tx on >/dev/null 2>&1
	out=$(in_cli python3 "$PEER" pmtu 10.3.0.$h 9 1400 2>&1)
	check "[$m] fragmentation needed from a private router: the client learns path MTU 1280 ($out)" \
		test "$out" = 1280
	out=$(in_cli python3 "$PEER" pmtu fd00:3::$h 9 1400 2>&1)
	check "[$m] packet too big over IPv6: the client learns path MTU 1280 ($out)" \
		test "$out" = 1280
	check "[$m] the errors went through the NAT (counter nat_icmp grew by 6 or more)" \
		test "$(counter_of nat_icmp)" -ge $((i0 + 6))
	# zt's own path MTU: the private link at 1400 bytes, DF datagrams of
	# 1450 (a destination per pass: the client caches what it learns).
	local d4 d6 b0 s0
	d4=$([ "$m" = tc ] && echo 10.2.0.5 || echo "$IRI4")
	d6=$([ "$m" = tc ] && echo fd00:2::5 || echo "$IRI6")
	ip -n "$GW" link set priv0 mtu 1400 && ip -n "$PRIV" link set srv0 mtu 1400
	b0=$(counter_of nat_too_big) s0=$(stat_of drop too_big)
	out=$(in_cli python3 "$PEER" pmtu "$d4" 9 1450 2>&1)
	check "[$m] too big for the private link: zt answers fragmentation needed, the client learns path MTU 1400 ($out)" \
		test "$out" = 1400
	out=$(in_cli python3 "$PEER" pmtu "$d6" 9 1450 2>&1)
	check "[$m] ... and packet too big over IPv6 ($out)" test "$out" = 1400
	check "[$m] counted: nat_too_big and drops with reason too_big" sh -c \
		"[ $(counter_of nat_too_big) -ge $((b0 + 2)) ] && [ $(stat_of drop too_big) -ge $((s0 + 2)) ]"
	ip -n "$GW" link set priv0 mtu 1500 && ip -n "$PRIV" link set srv0 mtu 1500
}

direct_checks tc
check "replies were translated back (nat_reply > 0)" test "$(counter_of nat_reply)" -gt 0
check "ztctl maps dump nat: the IRI flow, its SNAT and real address" python3 -c '
import json,subprocess,sys
d=json.loads(subprocess.check_output(sys.argv[2:]))
rows=d["nat"]
assert any(r["dst"]==sys.argv[1] and r["real_dst"]=="10.2.0.5" and r["snat_src"]=="10.2.0.1"
           and 61000<=r["snat_port"]<=65535 and r["interface"]=="priv0"
           and r["client_interface"]=="gw0" and r["reply_packets"]>0 for r in rows), rows
' "$IRI4" "$O/ztctl" --pin-root "$PIN" --socket "$SOCK" -j maps dump nat
out=$(ztctl maps dump nat); rc=$?
check "ztctl maps dump nat (human)" test "$rc" = 0 -a -n "$(echo "$out" | grep '10.2.0.1:6[1-5][0-9][0-9][0-9]')"

# ---- TCP translations: made by SYNs, embryonic until the server answers ---------
# A raw sender in the client namespace (no sockets: nothing there answers
# the server), and the RSTs the client's kernel would send for its
# segments dropped, as a client that holds translations on purpose would.
in_cli nft -f - <<'NFT'
table inet zt_raw {
	chain out {
		type filter hook output priority 0;
		tcp sport 30000-39999 tcp flags rst drop
	}
}
NFT
# nat_rows LO HI [STATE]: TCP translations of 10.10.0.2 from ports LO-HI
# (in STATE); nat_rows all: its translations of any protocol.
nat_rows() {
	ztctl -j maps dump nat | python3 -c '
import json,sys
rows=[r for r in json.load(sys.stdin)["nat"] if r["src"]=="10.10.0.2"]
if sys.argv[1]=="all": print(len(rows)); sys.exit()
lo,hi=int(sys.argv[1]),int(sys.argv[2]); st=sys.argv[3] if len(sys.argv)>3 else None
print(sum(1 for r in rows if lo<=r["src_port"]<=hi and r["protocol"]=="tcp"
          and (st is None or r.get("state")==st)))' "$@"
}
# SYNs to an address of the private network nothing answers for: checked
# again at the end, once their embryonic timeout (30 s) has passed.
SYN_T0=$(date +%s)
in_cli python3 "$PEER" raw 10.10.0.2 10.2.0.77 7 33000 5 S >/dev/null
wait_until 3 prints 5 nat_rows 33000 33004 embryonic
check "[syn] 5 SYNs nothing answers: 5 embryonic translations ($(nat_rows 33000 33004 embryonic))" \
	test "$(nat_rows 33000 33004 embryonic)" = 5
n0=$(stat_of drop nat_no_syn)
in_cli python3 "$PEER" raw 10.10.0.2 10.2.0.5 7 31000 50 A >/dev/null
in_cli python3 "$PEER" raw 10.10.0.2 10.2.0.5 7 31100 50 SA >/dev/null
# Once all 100 are counted as dropped, none is still on its way to make one.
wait_until 3 at_least $((n0 + 100)) stat_of drop nat_no_syn
check "[syn] 100 ACK and SYN-ACK segments of no connection make no translation ($(nat_rows 31000 31199))" \
	test "$(nat_rows 31000 31199)" = 0
check "[syn] ... they were dropped with reason nat_no_syn" \
	test "$(stat_of drop nat_no_syn)" -ge $((n0 + 100))
in_cli python3 "$PEER" raw 10.10.0.2 10.2.0.5 7 31200 5 S >/dev/null
wait_until 3 prints 5 nat_rows 31200 31204 established
check "[syn] SYNs the server answers (SYN-ACK): established translations ($(nat_rows 31200 31204 established))" \
	test "$(nat_rows 31200 31204 established)" = 5

# XDP: the veth peers must take redirected frames (GRO on) and send full
# checksums (offload off), as xdp_redirect_veth tells the operator.
for x in "$CLI cli0" "$PRIV srv0"; do
	set -- $x
	nsenter --net=/run/netns/"$1" ethtool -K "$2" gro on tx off >/dev/null 2>&1
done
write_config true 61000-65535 allow
check "reload with xdp_redirect_veth: true" sh -c "'$O/ztctl' --pin-root '$PIN' --socket '$SOCK' reload >/dev/null"
check "gw0 and priv0 now have XDP programs (native)" sh -c \
	"grep -q 'gw0: attached (xdp-native)' '$W/ztd.log' &&
	 grep -q 'priv0: attached (xdp-native, private interface)' '$W/ztd.log' &&
	 ip -n $GW link show gw0 | grep -q xdp && ip -n $GW link show priv0 | grep -q xdp"
sleep 0.3
direct_checks xdp

# XDP reuses a translation's FIB answer (the next hop's MAC) for up to 1 s:
# the server moving to a new MAC must reach an established flow after that.
# The same UDP flow (dig from one source port) before and after.
q() { in_cli dig +short +time=1 +tries=1 -b "10.10.0.2#40053" @"$IRI4" web.dc.local A | head -1; }
check "[xdp] a UDP flow from a fixed port gets answers" sh -c \
	"test '$(q)' = 10.2.0.5 && test '$(q)' = 10.2.0.5"
ip -n "$PRIV" link set srv0 address 02:00:00:00:02:05
ip -n "$GW" neigh replace 10.2.0.5 lladdr 02:00:00:00:02:05 dev priv0
ip -n "$GW" neigh replace fd00:2::5 lladdr 02:00:00:00:02:05 dev priv0
sleep 1.2 # a fixed time, the point here: past the 1 s the FIB answer is reused
check "[xdp] ... and still gets them, from the server's new MAC, 1.2 s after it moved" \
	test "$(q)" = 10.2.0.5

# ---- policy ----------------------------------------------------------------------
rm -f "$W/trigger"
in_cli python3 "$PEER" revoke "$IRI4" 7 "$W/trigger" > "$W/revoke.out" 2>&1 &
rp=$!
sleep 1.5 # a fixed time, the point here: the flow exchanges lines before the reload
write_config true 61000-65535 block
# The clock starts before the reload: cut is the reload plus what follows.
touch "$W/trigger"
ztctl reload >/dev/null
wait $rp
out=$(cat "$W/revoke.out")
check "revocation: an established DIRECT flow stops within 1 s of the reload ($out)" \
	python3 -c 'import sys,re; m=re.match(r"before=(\d+) after=\d+ cut=([\d.]+)", sys.argv[1]); assert m and int(m[1]) > 3 and float(m[2]) <= 1.0' "$out"

write_config true 61000-61001 allow
ztctl reload >/dev/null
full0=$(stat_of drop nat_full)
# held: the translations on ports 61000-61001 to [fd00:2::5]:9 over TCP,
# the ones that share a port space (a port is taken per protocol, server
# address and port): earlier flows elsewhere may keep those port numbers
# across the reload too (under QEMU more of them live on), without
# taking them from this one.
held() {
	ztctl -j maps dump nat | python3 -c '
import json,sys
print(sum(1 for x in json.load(sys.stdin)["nat"] if x["snat_port"] in (61000, 61001)
          and x["real_dst"] == "fd00:2::5" and x["dst_port"] == 9 and x["protocol"] == "tcp"))'
}
h0=$(held)
# Port 9 has seen no flow yet: two ports, as many connections as are free
# of them; the third none.
out=$(in_cli python3 "$PEER" hold fd00:2::5 9 3 2>&1)
h1=$(held)
check "SNAT ports exhausted: of 3 connections in a 2-port range, those its free ports allow ($out; held before $h0, after $h1)" \
	sh -c "[ '$h1' -eq 2 ] && [ '$out' -ge $((2 - h0)) ] && [ '$out' -le 2 ]"
check "... the third was dropped with reason nat_full" test "$(stat_of drop nat_full)" -gt "$full0"

# One device may hold gateway.nat_per_device translations, whatever it sends.
NAT_PER_DEVICE=40 write_config true 61000-65535 allow
check "reload with gateway.nat_per_device: 40" sh -c "'$O/ztctl' --pin-root '$PIN' --socket '$SOCK' reload >/dev/null"
l0=$(stat_of drop nat_limit)
in_cli python3 "$PEER" raw 10.10.0.2 10.2.0.5 7 32000 300 S >/dev/null
wait_until 3 at_least $((l0 + 300 - 40)) stat_of drop nat_limit
all4=$(nat_rows all)
check "[limit] 300 SYNs from one device (RSTs suppressed): it holds 40 translations at most, of any protocol ($all4)" \
	test "$all4" -le 40
check "[limit] ... the flood's translations are established (the server answered them)" \
	test "$(nat_rows 32000 32299 established)" -ge 1
check "[limit] ... the rest were dropped with reason nat_limit ($(( $(stat_of drop nat_limit) - l0 )))" \
	test "$(stat_of drop nat_limit)" -ge $((l0 + 300 - 40))
out=$(in_cli python3 "$PEER" ask fd00:2::5 7 2>&1)
check "[limit] another device (fd00:10::2) still connects ($out)" saw fd00:2::1 "$out"
el=$(( $(date +%s) - SYN_T0 ))
[ "$el" -lt 37 ] && sleep $((37 - el)) # the point: past the embryonic timeout (30 s)
check "[syn] the embryonic translations are gone $(( $(date +%s) - SYN_T0 )) s after their SYNs ($(nat_rows 33000 33004))" \
	test "$(nat_rows 33000 33004)" = 0
check "[syn] ... the established ones are not ($(nat_rows 31200 31204 established))" \
	test "$(nat_rows 31200 31204 established)" = 5
check "ztd is still running" kill -0 "$ZTD_PID"

# ---- an IRI given to another name -------------------------------------------------
# A two-address pool, reused after 3 s: an idle connection to ssh.dc.local
# stays open while its address goes to blocked.dc.local, which admin may
# not reach. Its next packet is decided for the address's new name: cut.
DNS_TTL=1 write_config true 61000-65535 allow \
	"initial_resolved_ips: {ipv4: 100.90.0.0/30, reuse_after: 3}"
ip -n "$CLI" route add 100.90.0.0/30 via 10.10.0.1
check "reload with a two-address pool reused after 3 s" ztctl reload
X=$(a @10.10.0.1 ssh.dc.local A)
wait_until 10 iri_resolved "\"address\":\"$X\",.*\"real_address\":\"10.2.0.5\""
in_cli python3 "$PEER" idle "$X" 7 6 > "$W/idle.out" 2>&1 &
ip_=$!
sleep 0.5
Y=$(a @10.10.0.1 web.dc.local A)
sleep 4 # a fixed time, the point here: past reuse_after (3 s)
Z=$(a @10.10.0.1 blocked.dc.local A)
check "the pool full, an address idle 3 s goes to another name ($X: ssh.dc.local, then blocked.dc.local: $Z; web.dc.local: $Y)" \
	sh -c "[ -n '$X' ] && [ '$Z' = '$X' ] && [ '$Y' != '$X' ]"
wait $ip_
check "the idle connection made for ssh.dc.local is cut once its address means blocked.dc.local ($(cat "$W/idle.out"))" \
	test "$(cat "$W/idle.out")" = cut
out=$(in_cli python3 "$PEER" ask "$X" 7 2>&1 | tail -1)
check "a new connection to the address is decided for its new name: refused ($out)" \
	sh -c "! echo '$out' | grep -q '^10.2.0.1 '"
check "ztctl maps dump iri shows the address's new name and its epoch" python3 -c '
import json,subprocess,sys
rows=json.loads(subprocess.check_output(sys.argv[2:]))["iri"]
r=[r for r in rows if r["address"]==sys.argv[1]]
assert r and r[0]["hostname"]=="blocked.dc.local" and r[0]["epoch"]>0, rows
' "$X" "$O/ztctl" --pin-root "$PIN" --socket "$SOCK" -j maps dump iri

# ---- a wildcard DNS listen address --------------------------------------------------
# ztd answers on every address of the node, but the programs must not
# answer for resolvers elsewhere that clients ask through zt.
DNS_LISTEN="['0.0.0.0:53']" write_config true 61000-65535 allow
check "reload with dns_listen 0.0.0.0:53" ztctl reload
ip -n "$CLI" route add 198.51.100.0/24 via 10.10.0.1
W1=$(a @10.10.0.1 web.dc.local A)
check "ztd answers on its own address ($W1)" sh -c "case '$W1' in 100.*) ;; *) exit 1;; esac"
a @10.10.0.1 web.dc.local A >/dev/null
out=$(in_cli dig +short +time=1 +tries=1 @198.51.100.53 web.dc.local A 2>&1 | head -1)
check "a query to a resolver elsewhere is not answered by zt ($out)" \
	sh -c "! echo '$out' | grep -q '^100\.'"

echo "# direct: $fail failed"
exit 0
