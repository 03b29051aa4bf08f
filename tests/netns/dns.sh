#!/usr/bin/env bash
# dns.sh — ztd's DNS server end to end in namespaces made for the run, asked
# by dig from a client namespace: A and AAAA answered from the IRI pools,
# wildcard depth, exact over wildcard, NODATA, REFUSED, forwarding to an
# upstream (dnsmasq) with TC then TCP, a DNS policy block with its EDE, the
# kernel deciding IRI flows by host rules, the real servers behind IRIs of
# a local tunnel (from DNS, and from an /etc/hosts in nsswitch.conf's order:
# ztd runs in a mount namespace with its own), IRIs stable across a restart,
# pool exhaustion, a flood of malformed queries and a stalled TCP client
# while dig keeps getting answers, one client's share of TCP connections
# and of queries waiting, TCP idle time per message, and forwarded queries
# each from its own port and id with spoofed answers ignored. Usage:
# dns.sh BUILD_DIR
set -u
. "$(dirname "$0")/../lib/netns.sh"
PEER="$ROOT/tests/netns/peer.py"
netns_run ztd dns "${1:-build}"
UP=$PRIV SPF=$ID-spf # the upstream resolvers' namespace is netns_run's PRIV
in_up()  { nsenter --net=/run/netns/"$UP" "$@"; }
netns_trap "$SPF"
needs "not ok -" dig dnsmasq

# ---- topology: client 10.10.0.2/.3 -- gw 10.10.0.1 | 10.3.0.1 -- upstream 10.3.0.53
# (the upstream's namespace is the private network of netns_chain: priv0 -- srv0)
netns_chain "$CLI" "$GW" "$UP" || exit 1
ip -n "$CLI" addr add 10.10.0.2/24 dev cli0
ip -n "$CLI" addr add 10.10.0.3/24 dev cli0
ip -n "$CLI" addr add 10.10.0.4/24 dev cli0 # unenrolled clients that misbehave
ip -n "$CLI" addr add 10.10.0.5/24 dev cli0
ip -n "$CLI" addr add fd00:10::2/64 dev cli0 nodad
ip -n "$CLI" link set cli0 up
ip -n "$CLI" route add 100.80.0.0/16 via 10.10.0.1
ip -n "$GW" addr add 10.10.0.1/24 dev gw0
ip -n "$GW" addr add fd00:10::1/64 dev gw0 nodad
ip -n "$GW" addr add 10.3.0.1/24 dev priv0
ip -n "$GW" link set gw0 up
ip -n "$GW" link set priv0 up
ip -n "$UP" addr add 10.3.0.53/24 dev srv0
ip -n "$UP" link set srv0 up

# The upstream: dnsmasq with one name of 80 addresses (too big for 1232).
for i in $(seq 1 80); do echo "192.0.2.$i big.example.com"; done > "$W/hosts"
echo "198.51.100.7 www.example.com" >> "$W/hosts"
echo "10.3.0.80 web.dc.local" >> "$W/hosts"
printf '%s\n' "10.3.0.92 both.dc.local" "10.3.0.94 both2.dc.local" >> "$W/hosts"
# ztd's own /etc/hosts and nsswitch.conf (ztd runs in a mount namespace
# where they are bind-mounted): files.dc.local is only in this /etc/hosts;
# both.dc.local and both2.dc.local are here and in DNS, with other addresses.
printf '%s\n' "127.0.0.1 localhost" "10.3.0.90 files.dc.local" "10.3.0.91 both.dc.local" \
	"10.3.0.93 both2.dc.local" > "$W/etc-hosts"
echo "hosts: files dns" > "$W/nsswitch.conf"
export ZTD_MOUNTS="$W/etc-hosts:/etc/hosts $W/nsswitch.conf:/etc/nsswitch.conf"
in_up dnsmasq --no-daemon --no-resolv --no-hosts --addn-hosts="$W/hosts" \
	--listen-address=10.3.0.53 --bind-interfaces --user=root --edns-packet-max=4096 \
	--pid-file="$W/dnsmasq.pid" >/dev/null 2>&1 &

write_config() { # write_config FILE [POOL4] [ORIGIN_RESOLVER]
	cat > "$1" <<YAML
gateway:
  interface: gw0
  default_action: block
  dns_listen: [10.10.0.1:53, '[fd00:10::1]:53'${VLAN:+, 10.100.0.1:53}]
  state_dir: $W/state
  log: {network: $W/network.jsonl${NOLOG-, dns: $W/dns.jsonl}}
dns: {upstreams: [${UPSTREAMS:-10.3.0.53:53}], ttl: ${TTL:-45},
      upstream_timeout_ms: ${UP_TIMEOUT:-1500},
      origin_resolvers: [${3:-10.3.0.53}]}
initial_resolved_ips: {ipv4: ${2:-100.80.0.0/16}, ipv6: 'fd7a:5a7e::/64'${WILD:+, wildcard_per_user: $WILD}}
tunnels:
  - {name: vpc}
  - {name: dc, local: true, private_interface: priv0}
routes:
  hostname:
    - {hostname: '*.dc.local', tunnel: dc}
    - {hostname: '*.internal.local', tunnel: vpc}
    - {hostname: ssh.internal.local., tunnel: vpc, comment: exact beats the wildcard}
devices:
  - {ip: 10.10.0.2, email: admin@example.com, groups: [devops], name: admin-laptop}
  - {ip: 'fd00:10::2', email: admin@example.com, groups: [devops], name: admin-laptop-v6}
${NOBOB-  - {ip: 10.10.0.3, email: bob@example.com, name: bob-laptop\}}
${VLAN:+  - {ip: 10.100.0.2, email: admin@example.com, interface: gw0, vlan: 100, name: admin-vlan100\}}
network_policies:
  - {name: Web in the DC, precedence: 5, action: allow, match: {host: '*.dc.local', dst_port: 80}}
  - {name: SSH host for devops, precedence: 10, action: allow,
     match: {host: ssh.internal.local, protocol: tcp, dst_port: 22, user_group: devops}}
dns_policies:
  - {name: Admin only, precedence: 3, action: allow,
     match: {host: adminonly.internal.local, user_email: admin@example.com}}
  - {name: Nobody else, precedence: 4, action: block, match: {host: adminonly.internal.local}}
  - {name: Hide secret from bob, precedence: 5, action: block,
     match: {host: secret.internal.local, user_email: bob@example.com}}
YAML
}

start_ztd() {
	ztd_start "$GW" "$W/ztd.yaml" "$PIN" "$W/ztd.sock" "$W/ztd.log" && return 0
	cat "$W/ztd.log"
	return 1
}

q() { in_cli dig +time=2 +tries=1 "$@"; }     # full output
# knock ADDR:PORT...: a TCP connection attempt to each, in the background
# (the decision is logged on the first packet: wait_until flow_logged).
knock() {
	local t
	for t in "$@"; do
		in_cli timeout 1 bash -c "exec 3<>/dev/tcp/${t%:*}/${t##*:}" 2>/dev/null &
	done
}
# flow_logged DST PORT RULE RULE_ID ACTION [REASON]: the network log has it.
flow_logged() {
	grep -q "\"dst\":\"$1\",\"protocol\":\"tcp\",\"src_port\":[0-9]*,\"dst_port\":$2,\"rule\":\"$3\",\"rule_id\":$4,\"action\":\"$5\"${6:+,\"reason\":\"$6\"}" "$W/network.jsonl"
}
a() { q +short "$@" | head -1; }               # first answer
# answering: the DNS server answers again (after a reload, which under
# QEMU's TCG may outlast ztctl's 5 s control deadline): bob's question for
# a name a DNS policy hides from him, refused without an IRI or upstream.
answering() { q -b 10.10.0.3 @10.10.0.1 adminonly.internal.local A | grep -q 'status: NXDOMAIN'; }
ztctl() { "$O/ztctl" --pin-root "$PIN" --socket "$W/ztd.sock" "$@"; }
# dns_stat NAME: one of ztd's DNS counters (ztctl status).
dns_stat() { ztctl -j status | python3 -c 'import json,sys; print(json.load(sys.stdin)["daemon"]["dns"][sys.argv[1]])' "$1" 2>/dev/null; }
# iri_of ADDR FIELD...: the fields of the IRI ADDR in `ztctl -j maps dump
# iri`, separated by spaces (nothing when there is no such IRI).
iri_of() {
	ztctl -j maps dump iri | python3 -c '
import json,sys
r = [x for x in json.load(sys.stdin)["iri"] if x["address"] == sys.argv[1]]
print(" ".join(str(r[0][f]) for f in sys.argv[2:]) if r else "")' "$@"
}
# iri_real ADDR: the real address in the map behind the IRI ADDR.
iri_real() { iri_of "$1" real_address; }
# slowdns_up: peer.py slowdns on 10.3.0.54 answers (NXDOMAIN).
slowdns_up() { in_up dig +time=1 +tries=1 @10.3.0.54 ready.test 2>/dev/null | grep -q NXDOMAIN; }

write_config "$W/ztd.yaml"
start_ztd || { echo "not ok - ztd did not start"; exit 1; }

# ---- answers -----------------------------------------------------------------
SSH4=$(a @10.10.0.1 ssh.internal.local A)
FOO4=$(a @10.10.0.1 Foo.Internal.Local. A)
SSH6=$(a @10.10.0.1 ssh.internal.local AAAA)
check "A for an exact hostname route comes from the IPv4 pool ($SSH4)" \
	bash -c "[[ '$SSH4' == 100.80.* ]]"
check "a wildcard route answers one label below, case-insensitively ($FOO4)" \
	bash -c "[[ '$FOO4' == 100.80.* && '$FOO4' != '$SSH4' ]]"
check "AAAA comes from the IPv6 pool ($SSH6)" bash -c "[[ '$SSH6' == fd7a:5a7e::* ]]"
check "the answer is sticky: asked again, the same IRI" \
	test "$(a @10.10.0.1 ssh.internal.local A)" = "$SSH4"
check "the TTL is dns.ttl" bash -c "dig_out=\$(nsenter --net=/run/netns/$CLI dig +noall +answer @10.10.0.1 ssh.internal.local A); [[ \$dig_out == *'	45	IN	A	'* ]]"
check "the answer is authoritative (aa)" bash -c "nsenter --net=/run/netns/$CLI dig +time=2 @10.10.0.1 ssh.internal.local | grep -q 'flags: qr aa'"
q @10.10.0.1 a.b.internal.local A >/dev/null
q @10.10.0.1 internal.local A >/dev/null
check "the wildcard matches one label only: a.b.internal.local is not routed (forwarded)" \
	wait_until 3 grep -q '"name":"a.b.internal.local","type":"A","action":"forward"' "$W/dns.jsonl"
check "the wildcard does not cover its own domain (forwarded)" \
	wait_until 3 grep -q '"name":"internal.local","type":"A","action":"forward"' "$W/dns.jsonl"
check "another type for a routed name: NOERROR with no records (NODATA)" \
	bash -c "nsenter --net=/run/netns/$CLI dig +time=2 @10.10.0.1 ssh.internal.local MX | grep -q 'status: NOERROR.*' && nsenter --net=/run/netns/$CLI dig +time=2 @10.10.0.1 ssh.internal.local MX | grep -q 'ANSWER: 0'"
check "... with an SOA for internal.local whose TTL and MINIMUM are dns.ttl (RFC 2308 negative caching)" \
	bash -c "nsenter --net=/run/netns/$CLI dig +noall +authority @10.10.0.1 ssh.internal.local MX |
		awk '\$1 == \"internal.local.\" && \$2 == 45 && \$4 == \"SOA\" && \$NF == 45 { ok = 1 } END { exit !ok }'"
check "over IPv6 transport too" test "$(a @fd00:10::1 ssh.internal.local A)" = "$SSH4"
check "over TCP too" test "$(a +tcp @10.10.0.1 ssh.internal.local A)" = "$SSH4"

# ---- policy --------------------------------------------------------------------
OUT=$(q -b 10.10.0.3 @10.10.0.1 secret.internal.local A)
check "a DNS policy block is NXDOMAIN" grep -q 'status: NXDOMAIN' <<<"$OUT"
check "... with an SOA for internal.local in the authority section" \
	grep -q '^internal\.local\.[[:space:]]*45[[:space:]]*IN[[:space:]]*SOA' <<<"$OUT"
check "with EDE 15 (Blocked) naming the policy" \
	grep -q "EDE: 15 (Blocked): (blocked by DNS policy 'Hide secret from bob')" <<<"$OUT"
check "the same name for another user is answered" \
	bash -c "[[ \$(nsenter --net=/run/netns/$CLI dig +short -b 10.10.0.2 @10.10.0.1 secret.internal.local A) == 100.80.* ]]"
check "the DNS log names the device, the user, the policy and the action" \
	wait_until 3 grep -q '"device":"bob-laptop","user_email":"bob@example.com","vnet":"default","name":"secret.internal.local","type":"A","action":"block","rcode":"NXDOMAIN","answer":"","route":"","policy":"Hide secret from bob"' "$W/dns.jsonl"
check "the DNS log records answers with the IRI and the route" \
	wait_until 3 grep -q "\"name\":\"ssh.internal.local\",\"type\":\"A\",\"action\":\"answer\",\"rcode\":\"NOERROR\",\"answer\":\"$SSH4\",\"route\":\"ssh.internal.local\"" "$W/dns.jsonl"

OUT=$("$O/ztctl" -j dns test ssh.internal.local --user admin@example.com --config "$W/ztd.yaml"); rc=$?
check "ztctl dns test agrees: the IRI ztd gave out for ssh.internal.local" \
	test "$rc" = 0 -a -n "$(grep "\"answer\":\"$SSH4\"" <<<"$OUT")"
OUT=$("$O/ztctl" dns test secret.internal.local --src 10.10.0.3 --config "$W/ztd.yaml"); rc=$?
check "ztctl dns test agrees: bob is blocked from secret.internal.local" \
	test "$rc" = 0 -a -n "$(grep 'action:  block (NXDOMAIN)' <<<"$OUT")"

# ---- forwarding ------------------------------------------------------------------
check "a name not routed goes to the upstream" test "$(a @10.10.0.1 www.example.com A)" = 198.51.100.7
OUT=$(q +ignore +bufsize=1232 @10.10.0.1 big.example.com A)
check "an upstream answer too big for the client's UDP size comes back with TC" \
	bash -c "grep -q 'flags: qr.* tc' <<<\"\$1\" && grep -q 'ANSWER: 0' <<<\"\$1\"" _ "$OUT"
grep -q 'flags: qr.* tc' <<<"$OUT" || echo "$OUT" | sed 's/^/# /' 
check "dig retries over TCP and gets all 80 addresses" \
	test "$(q +short +bufsize=1232 @10.10.0.1 big.example.com A | wc -l)" -eq 80

# ---- the kernel decides IRI flows by host rules --------------------------------------
knock "$SSH4:22" "$FOO4:22"
check "a flow to the ssh IRI matches the host rule (steered to the proxy)" \
	wait_until 3 flow_logged "$SSH4" 22 "SSH host for devops" 2 steer
check "a flow to another name's IRI falls to the default block" \
	wait_until 3 flow_logged "$FOO4" 22 "" 0 drop default
knock 100.80.200.200:22
check "an address in the pool that DNS never gave out is dropped (iri_unknown)" \
	wait_until 3 grep -q '"dst":"100.80.200.200".*"reason":"iri_unknown"' "$W/network.jsonl"
R=$(iri_of "$SSH4" hostname route tunnel)
check "ztctl -j maps dump iri names the IRI's host, route and tunnel ($R)" \
	test "$R" = "ssh.internal.local ssh.internal.local vpc"

# ---- the real address behind an IRI of a local tunnel --------------------------------
WEB4=$(a @10.10.0.1 web.dc.local A)
NONE4=$(a @10.10.0.1 nothere.dc.local A)
wait_until 5 prints 10.3.0.80 iri_real "$WEB4"
R="$(iri_of "$WEB4" path real_address), $(iri_of "$NONE4" real_address)"
check "a local tunnel's IRI gets the server's address from the origin resolver ($WEB4 -> 10.3.0.80; $R)" \
	test "$R" = "direct 10.3.0.80, unresolved"
check "ztd logs what the name resolves to" grep -q "web.dc.local resolves to 10.3.0.80" "$W/ztd.log"
check "and that a name without an address cannot be reached" \
	wait_until 5 grep -q "nothere.dc.local.*flows to its IRI are dropped (reason resolve)" "$W/ztd.log"
knock "$NONE4:80" "$WEB4:80"
check "a flow to an IRI whose name does not resolve is dropped (reason resolve)" \
	wait_until 3 flow_logged "$NONE4" 80 "Web in the DC" 1 drop resolve
check "a flow to a resolved one is allowed on the DIRECT path" \
	wait_until 3 flow_logged "$WEB4" 80 "Web in the DC" 1 direct

# ---- /etc/hosts and nsswitch.conf's order ------------------------------------------
# As the system resolver does: a name only in /etc/hosts resolves from it,
# and a name in both comes from whichever nsswitch.conf names first.
FILES4=$(a @10.10.0.1 files.dc.local A)
BOTH4=$(a @10.10.0.1 both.dc.local A)
wait_until 5 prints 10.3.0.90 iri_real "$FILES4"
R=$(iri_of "$FILES4" path real_address)
check "a name only in /etc/hosts resolves from it ($FILES4 -> 10.3.0.90; $R)" \
	test "$R" = "direct 10.3.0.90"
check "ztd logs that the address came from /etc/hosts" \
	grep -q "files.dc.local resolves to 10.3.0.90 (/etc/hosts" "$W/ztd.log"
knock "$FILES4:80"
check "a flow to it is allowed on the DIRECT path (not dropped as resolve)" \
	wait_until 3 flow_logged "$FILES4" 80 "Web in the DC" 1 direct
check "nsswitch.conf says files first: a name in both is /etc/hosts' address ($BOTH4)" \
	wait_until 5 grep -q "both.dc.local resolves to 10.3.0.91 " "$W/ztd.log"
echo "hosts: dns files" > "$W/nsswitch.conf" # the same inode: the bind mount shows it
"$O/ztctl" --pin-root "$PIN" --socket "$W/ztd.sock" reload >/dev/null
BOTH24=$(a @10.10.0.1 both2.dc.local A)
check "dns first after a reload: a name in both is DNS's address ($BOTH24)" \
	wait_until 5 grep -q "both2.dc.local resolves to 10.3.0.94 " "$W/ztd.log"
echo "hosts: files dns" > "$W/nsswitch.conf"

# ---- a fresh name's answer waits for its real address --------------------------------
# A resolver that takes 0.4 s (slow.dc.local) or 1.6 s (slower.dc.local):
# the answer leaves once the IRI's map entry has the real address, so the
# client's first packet is not dropped as `resolve`; after 1 s it leaves
# anyway.
ip -n "$UP" addr add 10.3.0.54/24 dev srv0
# (nsenter itself, not the in_up function: $! must be the server, to kill it)
nsenter --net=/run/netns/"$UP" python3 "$PEER" slowdns 10.3.0.54 20 &
SLOWDNS=$!
wait_until 20 slowdns_up
write_config "$W/ztd.yaml" 100.80.0.0/16 10.3.0.54
"$O/ztctl" --pin-root "$PIN" --socket "$W/ztd.sock" reload >/dev/null
ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; } # busybox date has no %N
t0=$(ms); SLOW4=$(a @10.10.0.1 slow.dc.local A); t1=$(ms)
R=$(iri_real "$SLOW4")
check "a fresh name on a local tunnel is answered once its real address is in the map ($SLOW4 -> $R after $((t1 - t0)) ms)" \
	sh -c "[ '$R' = 10.3.0.81 ] && [ $((t1 - t0)) -ge 350 ]"
t0=$(ms); SLOWER4=$(a @10.10.0.1 slower.dc.local A); t1=$(ms)
check "a resolver slower than 1 s: the IRI is answered anyway, after about 1 s ($SLOWER4 after $((t1 - t0)) ms)" \
	sh -c "case '$SLOWER4' in 100.80.*) ;; *) exit 1;; esac; [ $((t1 - t0)) -ge 900 ] && [ $((t1 - t0)) -lt 1900 ]"
check "the held answers are in the DNS log as answers" sh -c \
	"grep -q '\"name\":\"slow.dc.local\",\"type\":\"A\",\"action\":\"answer\",\"rcode\":\"NOERROR\",\"answer\":\"$SLOW4\"' '$W/dns.jsonl'"
kill "$SLOWDNS" 2>/dev/null; wait "$SLOWDNS" 2>/dev/null
write_config "$W/ztd.yaml"
"$O/ztctl" --pin-root "$PIN" --socket "$W/ztd.sock" reload >/dev/null

# ---- answers the programs give themselves ------------------------------------------
# Without a DNS log (with one, ztd must see every query), ztd caches its IRI
# answers for the programs on gw0, which then answer the same question
# themselves.
NOLOG= write_config "$W/ztd.yaml"
ztctl reload >/dev/null
k0=$(counter_of dns_answered)
A1=$(a @10.10.0.1 ssh.internal.local A) A2=$(a @10.10.0.1 ssh.internal.local A)
check "without a DNS log the programs answer what ztd answered: the same IRI ($A1, $A2)" \
	sh -c "[ '$A1' = '$SSH4' ] && [ '$A2' = '$SSH4' ] && [ $(counter_of dns_answered) -gt $k0 ]"
k0=$(counter_of dns_answered)
S1=$(a -b 10.10.0.2 @10.10.0.1 secret.internal.local A)
S2=$(a -b 10.10.0.2 @10.10.0.1 secret.internal.local A)
OUT=$(q -b 10.10.0.3 @10.10.0.1 secret.internal.local A)
check "a name a DNS policy decides per user is never theirs: bob still gets NXDOMAIN after admin's answers" \
	sh -c "case '$S1$S2' in 100.80.*100.80.*) ;; *) exit 1;; esac; echo '$OUT' | grep -q 'status: NXDOMAIN' &&
	       [ $(counter_of dns_answered) -eq $k0 ]"
# Malformed and unusual queries for a cached name: none is answered by the
# programs (ztd answers or refuses them), and a good one still is. ztd
# counts every datagram it reads: all of them counted there is what says
# they were sent and reached the programs first.
k0=$(counter_of dns_answered) n0=$(dns_stat queries)
N=$(in_cli python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
name = b"\x03ssh\x08internal\x05local\x00"
q = bytes.fromhex("abcd01000001000000000000") + name + b"\x00\x01\x00\x01"
opt = b"\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00"
bad = [q[:n] for n in range(len(q))]                             # every truncation
bad += [q + b"\x00",                                             # a byte after the question
        q[:4] + b"\x00\x02" + q[6:],                              # two questions
        q[:6] + b"\x00\x01" + q[8:],                              # an answer in a query
        q[:2] + b"\x81\x00" + q[4:],                              # a response
        q[:2] + b"\x09\x00" + q[4:],                              # opcode 1
        q[:10] + b"\x00\x01" + q[12:] + opt[:6] + b"\x01" + opt[7:],  # EDNS version 1
        q[:10] + b"\x00\x01" + q[12:] + opt + b"\x00",            # OPT not last
        q[:10] + b"\x00\x02" + q[12:] + opt + opt,                 # two additional records
        q[:12] + b"\x40" + name[1:] + b"\x00\x01\x00\x01",         # a 64-octet label length
        q[:12] + b"\xc0\x0c\x00\x01\x00\x01",                     # a pointer for the name
        q[:-2] + b"\x00\x03",                                      # class CH
        q[:-4] + b"\x00\x0f\x00\x01"]                              # type MX
for b in bad:
    s.sendto(b, ("10.10.0.1", 53))
print(len(bad))
PY
)
wait_until 3 at_least $((n0 + ${N:-1})) dns_stat queries
n1=$(dns_stat queries)
check "malformed and unusual queries for a cached name are left to ztd: it read all ${N:-none} ($n0 -> $n1 queries), the programs answered none (dns_answered unchanged)" \
	sh -c "[ -n '$N' ] && [ '$n1' -ge $((n0 + ${N:-1})) ] && [ $(counter_of dns_answered) -eq $k0 ]"
check "... and ztd still runs, and the programs still answer a good query" \
	sh -c "kill -0 $ZTD_PID && [ '$(a @10.10.0.1 ssh.internal.local A)' = '$SSH4' ] &&
	       [ $(counter_of dns_answered) -gt $k0 ]"
# A reload makes a new policy generation: the cached answers are ztd's to
# give again (here with the new TTL), then the programs' again.
NOLOG= TTL=50 write_config "$W/ztd.yaml"
ztctl reload >/dev/null
T1=$(in_cli dig +noall +answer +time=2 @10.10.0.1 ssh.internal.local A | awk '{ print $2 }')
T2=$(in_cli dig +noall +answer +time=2 @10.10.0.1 ssh.internal.local A | awk '{ print $2 }')
check "after a reload that changes dns.ttl the answers carry the new TTL, from ztd and then from the programs ($T1, $T2)" \
	sh -c "[ '$T1' = 50 ] && [ '$T2' = 50 ]"
write_config "$W/ztd.yaml"
ztctl reload >/dev/null
# ssh_logged: how many answers for ssh.internal.local the DNS log has.
ssh_logged() { grep -c '"name":"ssh.internal.local","type":"A","action":"answer"' "$W/dns.jsonl"; }
k0=$(counter_of dns_answered) l0=$(ssh_logged)
A1=$(a @10.10.0.1 ssh.internal.local A) A2=$(a @10.10.0.1 ssh.internal.local A)
wait_until 3 at_least $((l0 + 2)) ssh_logged
check "with a DNS log again, ztd answers every query itself: both answered ($A1, $A2) and logged, dns_answered unchanged" \
	sh -c "[ '$A1' = '$SSH4' ] && [ '$A2' = '$SSH4' ] && [ $(ssh_logged) -ge $((l0 + 2)) ] &&
	       [ $(counter_of dns_answered) -eq $k0 ]"

# ---- an address claimed from another link -------------------------------------------------
# A host behind gw1 (not a gateway interface) sends from admin's address:
# the query is nobody's, so admin's DNS policy does not apply to it.
netns_add "$SPF"
netns_veth "$GW" gw1 "$SPF" spf0
ip -n "$GW" addr add 10.11.0.1/24 dev gw1
ip -n "$GW" link set gw1 up
in_gw sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.gw1.rp_filter=0
ip -n "$SPF" addr add 10.11.0.2/24 dev spf0
ip -n "$SPF" addr add 10.10.0.2/32 dev spf0
ip -n "$SPF" link set spf0 up
ip -n "$SPF" route add 10.10.0.1/32 via 10.11.0.1 src 10.10.0.2
check "admin, on gw0, gets the name only admin may resolve" \
	sh -c "nsenter --net=/run/netns/$CLI dig +short +time=2 -b 10.10.0.2 @10.10.0.1 adminonly.internal.local A | grep -q '^100\.'"
nsenter --net=/run/netns/"$SPF" dig +time=1 +tries=1 -b 10.10.0.2 @10.10.0.1 adminonly.internal.local A >/dev/null 2>&1
# spoof_blocked: how many of admin's address's queries were nobody's (blocked).
spoof_blocked() { grep -c '"src":"10.10.0.2","device":"","user_email":"",.*"name":"adminonly.internal.local".*"action":"block".*"policy":"Nobody else"' "$W/dns.jsonl"; }
check "admin's address asking from another link is nobody: the name is blocked for it (DNS log)" \
	wait_until 3 at_least 1 spoof_blocked
# Over TCP the same host can complete a handshake once the gateway routes
# admin's address its way: the handshake's interface decides, not the
# address, so it is still nobody.
in_gw ip route add 10.10.0.2/32 dev gw1
b0=$(spoof_blocked)
TSPF=$(nsenter --net=/run/netns/"$SPF" dig +tcp +time=2 +tries=1 -b 10.10.0.2 @10.10.0.1 adminonly.internal.local A 2>&1 | grep -o 'status: [A-Z]*')
check "... and over TCP, a handshake from another link is nobody's too: the name is blocked for it ($TSPF)" \
	test "$TSPF" = "status: NXDOMAIN"
check "... and the TCP query is logged as nobody's, blocked" wait_until 3 at_least $((b0 + 1)) spoof_blocked
in_gw ip route del 10.10.0.2/32 dev gw1
check "admin, on gw0, still gets the name over TCP" \
	sh -c "nsenter --net=/run/netns/$CLI dig +tcp +short +time=2 -b 10.10.0.2 @10.10.0.1 adminonly.internal.local A | grep -q '^100\.'"
check "... and over TCP and IPv6 (the handshake's IPV6_PKTINFO)" \
	sh -c "nsenter --net=/run/netns/$CLI dig +tcp +short +time=2 -b fd00:10::2 @fd00:10::1 adminonly.internal.local A | grep -q '^100\.'"

# ---- a device declared on a VLAN ---------------------------------------------------------
# VLAN 100 on the gw0 link (gw0.100 on the gateway, cli0.100 on the client):
# admin's device declared on gw0, VLAN 100, asks through gw0.100 and is
# admin there (the datagram's interface is the VLAN's, whose parent is
# gw0); an address not declared on the VLAN is nobody.
if ! ip -n "$GW" link add link gw0 name gw0.100 type vlan id 100 2>/dev/null; then
	# A kernel without CONFIG_VLAN_8021Q (this host's may be one); the
	# vmtest's Debian kernel loads 8021q and runs these.
	for n in "admin's device on VLAN 100 gets the name only admin may resolve" \
		"an address not declared on VLAN 100 is nobody there"; do
		echo "skip - $n: this kernel cannot make VLAN devices (no 802.1Q support)"
	done
else
	ip -n "$GW" addr add 10.100.0.1/24 dev gw0.100
	ip -n "$GW" link set gw0.100 up
	ip -n "$CLI" link add link cli0 name cli0.100 type vlan id 100
	ip -n "$CLI" addr add 10.100.0.2/24 dev cli0.100
	ip -n "$CLI" addr add 10.100.0.3/24 dev cli0.100
	ip -n "$CLI" link set cli0.100 up
	VLAN=1 write_config "$W/ztd.yaml"
	check "a config with a device on VLAN 100 and a listener there is applied" \
		sh -c "'$O/ztctl' --pin-root '$PIN' --socket '$W/ztd.sock' reload >/dev/null"
	check "admin's device on VLAN 100 gets the name only admin may resolve" \
		sh -c "nsenter --net=/run/netns/$CLI dig +short +time=2 -b 10.100.0.2 @10.100.0.1 adminonly.internal.local A | grep -q '^100\.'"
	check "... and is named in the DNS log" \
		wait_until 3 grep -q '"src":"10.100.0.2","device":"admin-vlan100","user_email":"admin@example.com",.*"name":"adminonly.internal.local"' "$W/dns.jsonl"
	in_cli dig +time=1 +tries=1 -b 10.100.0.3 @10.100.0.1 adminonly.internal.local A >/dev/null 2>&1
	check "an address not declared on VLAN 100 is nobody there: the name is blocked for it" \
		wait_until 3 grep -q '"src":"10.100.0.3","device":"","user_email":"",.*"name":"adminonly.internal.local".*"action":"block"' "$W/dns.jsonl"
	write_config "$W/ztd.yaml"
	ztctl reload >/dev/null
fi

# ---- bad input -------------------------------------------------------------------------
# In the background while the rest runs (10.10.0.4): a TCP client that
# trickles a whole query a byte every 2 s must be closed 10 s after it
# connected (the idle timer runs per message, not per byte), and one that
# sends a whole query every 3 s must keep its connection past 10 s.
in_cli python3 - >"$W/idle.out" 2>&1 <<'PY' &
import socket, threading, time
q = bytes.fromhex("abcd01000001000000000000") + b"\x03ssh\x08internal\x05local\x00\x00\x01\x00\x01"
msg = len(q).to_bytes(2, "big") + q
out = {}

def conn():
    return socket.create_connection(("10.10.0.1", 53), timeout=3, source_address=("10.10.0.4", 0))

def trickle():
    s, t0 = conn(), time.monotonic()
    s.settimeout(2)
    for i in range(len(msg)):           # 2 s apart; 16 s at most
        if time.monotonic() - t0 > 16:
            break
        try:
            s.send(msg[i:i + 1])
            if s.recv(64) == b"":
                break
        except socket.timeout:
            continue
        except OSError:
            break
    else:
        out["trickle"] = "sent it all"
        return
    dt = time.monotonic() - t0
    out["trickle"] = ("open after %.1f s" if dt > 16 else "closed after %.1f s") % dt

def steady():
    s, n = conn(), 0
    s.settimeout(2)
    for i in range(5):                  # 12 s in all, whole queries 3 s apart
        if i:
            time.sleep(3)
        try:
            s.send(msg)
            n += len(s.recv(4096)) > 2
        except OSError:
            break
    out["steady"] = "answered %d/5" % n

ts = [threading.Thread(target=f) for f in (trickle, steady)]
for t in ts:
    t.start()
for t in ts:
    t.join(20)
print("trickle:", out.get("trickle"), "steady:", out.get("steady"))
PY
IDLE=$!
# A flood of malformed queries (truncations, pointer loops, random bytes,
# responses, huge labels) and a TCP client that sends half a length and
# stalls, while dig goes on asking.
in_cli python3 - <<'PY' &
import os, socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
q = bytes.fromhex("123401000001000000000000") + b"\x03ssh\x08internal\x05local\x00\x00\x01\x00\x01"
bad = [q[:n] for n in range(len(q))]
bad.append(bytes.fromhex("123401000001000000000000c00c00010001"))       # pointer to itself
bad.append(bytes.fromhex("123481000001000000000000") + q[12:])          # a response
bad.append(bytes.fromhex("123401000001000000000000") + b"\x40" + b"a" * 64 + b"\x00\x00\x01\x00\x01")
deadline = time.time() + 3
n = 0
while time.time() < deadline and n < 60000:
    s.sendto(bad[n % len(bad)] if n % 3 else os.urandom(n % 300 + 1), ("10.10.0.1", 53))
    n += 1
PY
FLOOD=$!
in_cli python3 -c "
import socket, time
t = socket.create_connection(('10.10.0.1', 53)); t.send(b'\x00'); time.sleep(4)" &
STALL=$!
sleep 0.3 # a fixed time, the point here: dig asks while the flood and the stall are under way
good=0
for i in $(seq 20); do
	[ "$(a +time=1 @10.10.0.1 ssh.internal.local A)" = "$SSH4" ] && good=$((good + 1))
	[ "$(a +tcp +time=1 @10.10.0.1 ssh.internal.local A)" = "$SSH4" ] && good=$((good + 1))
done
wait $FLOOD
kill $STALL 2>/dev/null; wait $STALL 2>/dev/null
check "dig keeps getting answers through a malformed-query flood and a stalled TCP client ($good/40)" \
	test "$good" -ge 38
check "ztd is still running after the flood" kill -0 "$ZTD_PID"
# A TCP client that never reads its answers and pipelines ~1 MB of queries
# (its answers pass the per-client output cap): ztd drops that client,
# counts it, and goes on serving the others (it used to crash here).
td0=$(dns_stat tcp_dropped)
in_cli python3 - <<'PY'
import socket, time
q = bytes.fromhex("123401000001000000000000") + b"\x03ssh\x08internal\x05local\x00\x00\x01\x00\x01"
msg = len(q).to_bytes(2, "big") + q
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("10.10.0.1", 53))
s.settimeout(0.5)
sent, deadline = 0, time.time() + 6
while sent < (4 << 20) and time.time() < deadline:
    try:
        sent += s.send(msg * 256)
    except (socket.timeout, BlockingIOError):
        pass
    except OSError:
        break          # ztd closed us: what it should do
s.close()
PY
wait_until 3 at_least $((td0 + 1)) dns_stat tcp_dropped
check "ztd survives a TCP client that pipelines up to 4 MB and never reads" kill -0 "$ZTD_PID"
check "and still answers over UDP and TCP" \
	sh -c "[ '$(a +time=2 @10.10.0.1 ssh.internal.local A)' = '$SSH4' ] && [ '$(a +tcp +time=2 @10.10.0.1 ssh.internal.local A)' = '$SSH4' ]"
td1=$(dns_stat tcp_dropped)
check "the client that did not read was dropped and counted (tcp_dropped $td0 -> $td1)" \
	test "${td1:-0}" -gt "$td0"
check "ztctl status counts the flood: FORMERRs, drops, blocks, forwards" python3 -c '
import json, subprocess, sys
d = json.loads(subprocess.check_output(sys.argv[1:]))["daemon"]["dns"]
assert d["listeners"] == 2 and d["iris"] >= 3, d
assert d["formerr"] > 100 and d["dropped"] > 0 and d["blocked"] >= 1 and d["forwarded"] >= 3, d
assert d["queries"] > d["formerr"], d' "$O/ztctl" -j --socket "$W/ztd.sock" status
OUT=$(q @10.10.0.1 +noedns ssh.internal.local A)
check "still answers a plain query after it" grep -q "$SSH4" <<<"$OUT"
check "an unknown opcode gets NOTIMP" \
	bash -c "nsenter --net=/run/netns/$CLI dig +time=2 +opcode=2 @10.10.0.1 ssh.internal.local | grep -q 'status: NOTIMP'"
check "EDNS version 1 gets BADVERS" \
	bash -c "nsenter --net=/run/netns/$CLI dig +time=2 +edns=1 +noednsnegotiation @10.10.0.1 ssh.internal.local | grep -q 'status: BADVERS'"

# ---- one client cannot take what all share -------------------------------------------
# 10.10.0.5 opens 70 TCP connections (ztd has 64 slots in all): it keeps
# at most 8, the rest are closed at accept and counted, and another client
# still gets its answer over TCP.
tl0=$(dns_stat tcp_limited)
in_cli python3 - >"$W/tcpcap.out" 2>&1 <<'PY' &
import socket, sys, time
socks = []
for _ in range(70):
    try:
        socks.append(socket.create_connection(("10.10.0.1", 53), timeout=2,
                                              source_address=("10.10.0.5", 0)))
    except OSError:
        pass
time.sleep(0.5)
kept = 0
for s in socks:
    s.setblocking(False)
    try:
        s.recv(1)                       # b"": closed
    except BlockingIOError:
        kept += 1
    except OSError:
        pass
print(kept, flush=True)
time.sleep(3)                           # held while the other client asks
PY
TCPCAP=$!
wait_until 5 test -s "$W/tcpcap.out"
OTHER=$(a +tcp +time=2 -b 10.10.0.2 @10.10.0.1 ssh.internal.local A)
tl1=$(dns_stat tcp_limited)
wait $TCPCAP
KEPT=$(head -1 "$W/tcpcap.out")
check "a client opening 70 TCP connections keeps at most 8 (kept $KEPT)" \
	sh -c "[ '$KEPT' -ge 1 ] && [ '$KEPT' -le 8 ]" 2>/dev/null
check "... the others are closed at accept and counted (tcp_limited ${tl0:-none} -> ${tl1:-none})" \
	sh -c "[ '${tl1:-0}' -ge $(( ${tl0:-0} + 60 )) ]" 2>/dev/null
check "... and another client still gets its answer over TCP meanwhile ($OTHER)" \
	test "$OTHER" = "$SSH4"

# Upstream queries: a fake upstream (peer.py slowdns) that records the
# source port and id of each query, never answers names under hang.test,
# and answers spoof.test twice wrongly (another id; another question)
# before the answer.
ip -n "$UP" addr add 10.3.0.54/24 dev srv0 2>/dev/null
nsenter --net=/run/netns/"$UP" python3 "$PEER" slowdns 10.3.0.54 60 "$W/upstream.log" &
SLOWDNS=$!
wait_until 20 slowdns_up
UPSTREAMS=10.3.0.54:53 UP_TIMEOUT=4000 write_config "$W/ztd.yaml"
ztctl reload >/dev/null
for i in $(seq 10); do q +short @10.10.0.1 "p$i.ports.test" A >/dev/null; done
PORTS=$(grep -c 'ports\.test$' "$W/upstream.log")
NPORTS=$(awk '/ports\.test$/ { print $1 }' "$W/upstream.log" | sort -u | wc -l)
NIDS=$(awk '/ports\.test$/ { print $2 }' "$W/upstream.log" | sort -u | wc -l)
check "each forwarded query leaves from its own source port ($NPORTS ports for $PORTS queries)" \
	sh -c "[ $PORTS -eq 10 ] && [ $NPORTS -ge 9 ]"
check "... with its own random id ($NIDS ids)" test "$NIDS" -ge 9
mm0=$(dns_stat upstream_mismatch)
SPOOF=$(a @10.10.0.1 spoof.test A)
mm1=$(dns_stat upstream_mismatch)
check "answers with another id or another question are not taken: the real one is ($SPOOF)" \
	test "$SPOOF" = 10.3.0.83
check "... and they are counted (upstream_mismatch ${mm0:-none} -> ${mm1:-none})" \
	sh -c "[ '${mm1:-0}' -ge $(( ${mm0:-0} + 2 )) ]" 2>/dev/null
# 10.10.0.5 sends 1100 queries the upstream never answers (more than the
# 1024 pending that all share): at most 64 of them reach the upstream,
# the others get SERVFAIL at once, and 10.10.0.2's query is still
# forwarded and answered.
pl0=$(dns_stat pending_limited)
OUT=$(in_cli python3 - <<'PY'
import socket, time
def query(i, name):
    qn = b"".join(bytes([len(l)]) + l for l in name.encode().split(b".")) + b"\0"
    return i.to_bytes(2, "big") + bytes.fromhex("01000001000000000000") + qn + b"\0\1\0\1"
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
a.bind(("10.10.0.5", 0))
a.setblocking(False)
b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
b.bind(("10.10.0.2", 0))
b.settimeout(3)
servfail = 0
def drain():
    global servfail
    while True:
        try:
            r = a.recv(4096)
        except BlockingIOError:
            return
        servfail += len(r) > 3 and r[3] & 15 == 2
for i in range(1100):
    try:
        a.sendto(query(i, "h%d.hang.test" % i), ("10.10.0.1", 53))
    except BlockingIOError:
        pass
    if i % 50 == 49:
        time.sleep(0.03)
        drain()
b.sendto(query(7, "other.test"), ("10.10.0.1", 53))
try:
    rb = b.recv(4096)
    rcode = rb[3] & 15
except OSError:
    rcode = "none"
end = time.monotonic() + 1
while time.monotonic() < end:
    time.sleep(0.05)
    drain()
print(servfail, rcode)
PY
)
wait_until 3 at_least $(( ${pl0:-0} + 500 )) dns_stat pending_limited
pl1=$(dns_stat pending_limited)
HANG=$(grep -c 'hang\.test$' "$W/upstream.log")
check "a client with 1100 queries to a silent upstream has at most 64 of them forwarded ($HANG)" \
	sh -c "[ $HANG -ge 1 ] && [ $HANG -le 64 ]"
check "... the others get SERVFAIL at once (SERVFAIL, other client's rcode: $OUT)" \
	test "${OUT% *}" -ge 500
check "... and another client's forwarded query is still answered (NXDOMAIN, rcode ${OUT#* })" \
	test "${OUT#* }" = 3
check "... counted (pending_limited ${pl0:-none} -> ${pl1:-none})" \
	sh -c "[ '${pl1:-0}' -ge $(( ${pl0:-0} + 500 )) ]" 2>/dev/null
# A reload while bob's query waits on the upstream, to a config without
# bob: its answer (SERVFAIL, later) must not name a device that is gone
# (ztd read past the new device list on the old code).
in_cli dig +time=6 +tries=1 -b 10.10.0.3 @10.10.0.1 late.hang.test A >/dev/null 2>&1 &
LATE=$!
wait_until 3 grep -q 'late\.hang\.test$' "$W/upstream.log" # waiting on the upstream
NOBOB= UPSTREAMS=10.3.0.54:53 UP_TIMEOUT=4000 write_config "$W/ztd.yaml"
ztctl reload >/dev/null
wait $LATE
check "a reload that removes the device of a waiting query: ztd still runs" kill -0 "$ZTD_PID"
check "... and the query's line names the device the address has now (none)" \
	wait_until 3 grep -q '"src":"10.10.0.3","device":"","user_email":"",.*"name":"late.hang.test".*"action":"forward-timeout"' "$W/dns.jsonl"
UPSTREAMS=10.3.0.54:53 UP_TIMEOUT=4000 write_config "$W/ztd.yaml"
ztctl reload >/dev/null
kill "$SLOWDNS" 2>/dev/null; wait "$SLOWDNS" 2>/dev/null
write_config "$W/ztd.yaml"
ztctl reload >/dev/null

wait $IDLE
IDLE_OUT=$(cat "$W/idle.out")
check "a TCP client trickling a query a byte every 2 s is closed 10 s after it connected ($IDLE_OUT)" \
	python3 -c 'import re,sys; m = re.search(r"trickle: closed after ([0-9.]+) s", sys.argv[1]); sys.exit(not (m and 9 <= float(m[1]) <= 11.5))' "$IDLE_OUT"
check "... while one sending a whole query every 3 s keeps its connection for 12 s" \
	grep -q "steady: answered 5/5" <<<"$IDLE_OUT"

# ---- restart keeps the IRIs -------------------------------------------------------------
kill -TERM "$ZTD_PID"; wait "$ZTD_PID" 2>/dev/null; ZTD_PID=
check "the allocations are in the state file after SIGTERM" grep -q "ssh.internal.local" "$W/state/iri.state"
OUT=$("$O/ztctl" -j --pin-root "$PIN" maps dump iri); rc=$?
check "while ztd is down, the IRI stays in the pinned map" \
	test "$rc" = 0 -a -n "$(grep "\"address\": *\"$FOO4\"" <<<"$OUT")"
start_ztd || bad "ztd restarted"
# Asked in another order than first time: a fresh pool would swap them.
check "after a restart the wildcard name gets the same IRI" \
	test "$(a @10.10.0.1 foo.internal.local A)" = "$FOO4"
check "and the exact name too" test "$(a @10.10.0.1 ssh.internal.local A)" = "$SSH4"
check "ztd said it restored the allocations" grep -q "IRI allocations restored from $W/state/iri.state" "$W/ztd.log"

# ---- one user's share of the pool through wildcards ----------------------------------
# Every name under a wildcard is a new IRI: bob asking names of his own
# making gets 5, then SERVFAIL, while admin still gets new ones and bob
# keeps what he has. (Counting starts again at a reload.)
il0=$(dns_stat iri_limited)
WILD=5 write_config "$W/ztd.yaml"
"$O/ztctl" --socket "$W/ztd.sock" reload >/dev/null 2>&1
wait_until 30 answering
got=0
for i in 1 2 3 4 5 6 7; do
	[ -n "$(q +short -b 10.10.0.3 @10.10.0.1 "bobscan$i.internal.local" A | head -1)" ] &&
		got=$((got + 1))
done
check "wildcard_per_user: 5: bob's 7 new names under a wildcard get 5 IRIs ($got)" test "$got" = 5
check "... the others SERVFAIL" bash -c \
	"nsenter --net=/run/netns/$CLI dig +time=2 -b 10.10.0.3 @10.10.0.1 bobscan9.internal.local | grep -q 'status: SERVFAIL'"
il1=$(dns_stat iri_limited)
check "... counted (iri_limited ${il0:-none} -> ${il1:-none})" test "${il1:-0}" -ge $(( ${il0:-0} + 3 ))
check "... bob keeps the IRIs he has" test -n "$(a -b 10.10.0.3 @10.10.0.1 bobscan1.internal.local A)"
check "... and admin still gets a new one" test -n "$(a -b 10.10.0.2 @10.10.0.1 adminnew.internal.local A)"
check "... and each refusal is in the DNS log" grep -q \
	'"name":"bobscan9.internal.local","type":"A","action":"iri-user-limit","rcode":"SERVFAIL"' "$W/dns.jsonl"

# ---- out of descriptors ------------------------------------------------------------------
# ztd held to the descriptors it has: accept on the DNS TCP listener and
# on the control socket fails (EMFILE) while clients wait in both
# backlogs. The listeners rest (100 ms at a time) instead of spinning,
# ztd says so and counts it, and once descriptors are free it takes the
# waiting clients and answers again.
cpu_ticks() { awk '{ print $14 + $15 }' /proc/"$ZTD_PID"/stat; }
# nofile PID [SOFT]: prints PID's soft RLIMIT_NOFILE, or sets it (Python's
# prlimit: the test VM has no util-linux prlimit).
nofile() {
	python3 -c '
import resource, sys
pid, r = int(sys.argv[1]), resource.RLIMIT_NOFILE
soft, hard = resource.prlimit(pid, r)
if len(sys.argv) > 2:
    resource.prlimit(pid, r, (int(sys.argv[2]), hard))
else:
    print(soft)' "$@"
}
nf0=$(dns_stat tcp_nofile)
NOFILE=$(nofile "$ZTD_PID")
# The lowest descriptor number ztd does not use: below it, none is free.
nofile "$ZTD_PID" "$(ls /proc/"$ZTD_PID"/fd | sort -n | awk '$1 != NR - 1 { print NR - 1; f = 1; exit } END { if (!f) print NR }')"
in_cli python3 -c '
import socket, time
held = []
for i in range(12):
    s = socket.socket(); s.settimeout(2)
    try:
        s.connect(("10.10.0.1", 53)); held.append(s)
    except OSError:
        pass
time.sleep(5)' &
HOLD=$!
python3 -c '
import socket, sys, time
held = []
for i in range(4):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.settimeout(2)
    try:
        s.connect(sys.argv[1]); held.append(s)
    except OSError:
        pass
time.sleep(5)' "$W/ztd.sock" &
HOLD2=$!
sleep 1
t0=$(cpu_ticks); sleep 3; t1=$(cpu_ticks)
check "out of descriptors with DNS and control clients waiting, ztd does not spin ($((t1 - t0)) CPU ticks in 3 s)" \
	test $((t1 - t0)) -lt 100
check "... and says the listeners rest: DNS" grep -q "out of descriptors .*: the DNS TCP listener rests 100 ms" "$W/ztd.log"
check "... and the control socket" grep -q "out of descriptors .*: the control socket rests 100 ms" "$W/ztd.log"
wait "$HOLD" "$HOLD2" 2>/dev/null
nofile "$ZTD_PID" "$NOFILE"
check "... counted (tcp_nofile ${nf0:-none} -> $(dns_stat tcp_nofile))" \
	test "$(dns_stat tcp_nofile)" -gt "${nf0:-0}"
check "with descriptors again, DNS over TCP answers" \
	wait_until 10 bash -c "nsenter --net=/run/netns/$CLI dig +tcp +time=2 @10.10.0.1 adminonly.internal.local -b 10.10.0.3 | grep -q 'status: NXDOMAIN'"

# ---- exhaustion -------------------------------------------------------------------------
write_config "$W/ztd.yaml" 100.90.0.0/30
"$O/ztctl" --socket "$W/ztd.sock" reload >/dev/null 2>&1
wait_until 30 answering
X1=$(a @10.10.0.1 one.internal.local A); X2=$(a @10.10.0.1 two.internal.local A)
check "a /30 pool gives its two addresses ($X1, $X2)" \
	bash -c "[[ '$X1' == 100.90.0.1 && '$X2' == 100.90.0.2 ]]"
check "a third name, none idle: SERVFAIL" \
	bash -c "nsenter --net=/run/netns/$CLI dig +time=2 @10.10.0.1 three.internal.local | grep -q 'status: SERVFAIL'"
check "and a log line that says the pool is full" grep -q "no initial resolved IP left for three.internal.local" "$W/ztd.log"
check "the names that have one keep it" test "$(a @10.10.0.1 one.internal.local A)" = "$X1"

[ "$fail" -eq 0 ]
