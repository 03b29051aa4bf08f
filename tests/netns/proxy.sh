#!/usr/bin/env bash
# proxy.sh — the L7 proxy end to end, in namespaces made for the run: a
# client, the gateway (ztd on gw0, a local tunnel on priv0) and a private
# network with a real TLS server (openssl s_server) on 443, echo servers
# that speak first (peer.py) on 7 and 9 and a bulk source on 8. A rule
# with SNI selectors makes flows to the private network STEER: tc hands
# them to the proxy's socket (bpf_sk_assign), the proxy reads the first
# bytes, decides with the policy in force, connects on (the server sees
# the gateway's private address) and relays with splice.
# Checked: curl with an allowed and a blocked SNI (IPv4, IPv6), a
# wildcard SNI; a ClientHello cut into 7-byte records over many TCP
# segments; one of 16 KiB (read) and one larger (refused); server-first
# protocols through the detection timeout; half-close; 1 GB (64 MB in the
# VM) with its checksum; a reload revoking a live connection; the limit
# on connections; a slow sender decided at the timeout; ztd stopped (a
# steered SYN is dropped, counted, and never reaches what the gateway
# itself listens on; on the old code it did) and started again; the
# network log's lines. And the L7 selectors: the seeds' example (sni on a
# hostname route, user admin) with OpenSSH to the IRI, decided in the
# kernel and never steered; an HTTP Host rule (host with detected_protocol
# http); OpenSSH through the proxy by detected_protocol ssh; ztctl policy
# test --host/--http-host/--detected-protocol agreeing with each. The
# workers: unprivileged, under seccomp, one killed and replaced, one
# stopped (so it cannot act on REVOKE) killed by ztd. Admin's address
# claimed from a second client link (gw1): steered and decided by the
# proxy as nobody's.
# Usage: proxy.sh BUILD_DIR
set -u
. "$(dirname "$0")/../lib/netns.sh"
netns_run zp proxy "${1:-build}"
PEER="$ROOT/tests/netns/peer.py"
TLSPEER="$ROOT/tests/netns/tlspeer.py"
SPF=$ID-spf # a host on a second client link that claims admin's address
netns_trap "$SPF"
needs "not ok -" curl openssl socat python3 sha256sum dig dnsmasq busybox

# ---- topology ------------------------------------------------------------------
netns_chain "$CLI" "$GW" "$PRIV" && netns_chain_dual "$CLI" "$GW" "$PRIV" || exit 1
ip -n "$CLI" addr add 10.10.0.4/24 dev cli0 # carol, refused like bob
ip -n "$CLI" route add 10.2.0.0/24 via 10.10.0.1
ip -n "$CLI" -6 route add fd00:2::/64 via fd00:10::1
ip -n "$CLI" route add 100.80.0.0/16 via 10.10.0.1
# No route back to the clients: only what comes from the gateway's own
# addresses can be answered.

# ---- servers in the private network ----------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj /CN=app.internal.local -keyout "$W/key.pem" -out "$W/cert.pem" 2>/dev/null
for f in -4 -6; do
	in_priv openssl s_server $f -quiet -www -accept 443 -cert "$W/cert.pem" \
		-key "$W/key.pem" >/dev/null 2>&1 &
done
for p in 7 9; do in_priv python3 "$PEER" serve $p >/dev/null 2>&1 & done
# The private network's resolver (ztd resolves IRIs' real addresses there),
# a web server and an OpenSSH server.
printf '%s\n' "10.2.0.5 ssh.internal.local wiki.internal.local" > "$W/hosts"
in_priv dnsmasq --no-daemon --no-resolv --no-hosts --addn-hosts="$W/hosts" \
	--listen-address=10.2.0.5 --bind-interfaces --user=root \
	--pid-file="$W/dnsmasq.pid" >/dev/null 2>&1 &
mkdir -p "$W/www" && echo "the wiki" > "$W/www/index.html"
in_priv busybox httpd -p 80 -h "$W/www"
netns_sshd
SSHD_RC=$?
SIZE=$((1024 * 1024 * 1024))
[ -n "${ZT_IN_VM:-}" ] && SIZE=$((64 * 1024 * 1024))
head -c "$SIZE" /dev/urandom > "$W/blob"
BLOB_SUM=$(sha256sum < "$W/blob" | cut -d' ' -f1)
in_priv socat TCP6-LISTEN:8,fork,reuseaddr OPEN:"$W/blob",rdonly >/dev/null 2>&1 &
# Half-close: answers only once the client has finished sending.
in_priv socat TCP6-LISTEN:10,fork,reuseaddr SYSTEM:'wc -c' >/dev/null 2>&1 &
# Closes first: the proxy's side of the client's connection ends in TIME_WAIT.
in_priv socat TCP6-LISTEN:11,fork,reuseaddr SYSTEM:'echo bye' >/dev/null 2>&1 &
# Resets: says "x", then closes with a reset (SO_LINGER 0).
in_priv python3 -c '
import socket, struct, time
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 12)); s.listen(16)
end = time.time() + 1800
while time.time() < end:
    c = s.accept()[0]
    c.sendall(b"x"); time.sleep(0.2)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()' >/dev/null 2>&1 &
# What the gateway itself listens on, at ports steered flows go to: it
# says "gw", and notes each connection in gw-got.
for p in 9 11; do
	in_gw socat TCP-LISTEN:$p,fork,reuseaddr SYSTEM:"echo gw; echo gw >> '$W/gw-got'" \
		>/dev/null 2>&1 &
done
sleep 0.5

# ---- gateway ---------------------------------------------------------------------
write_config() { # write_config MAX_CONNECTIONS [PLAIN_RULE_ACTION [PER_CLIENT [REFUSED_LOGS]]]
	cat > "$W/ztd.yaml" <<YAML
gateway:
  interface: ${IFACES:-gw0}
  default_action: block
  dns_listen: [10.10.0.1:53]
  state_dir: $W/state
  log: {network: $W/network.jsonl}
  proxy: {max_connections: $1, per_client: ${3:-1024}, detect_timeout_ms: 300,
          blocked_logs_per_sec: ${4:-50}, workers: 2}
dns: {origin_resolvers: [10.2.0.5:53]}
tunnels:
  - {name: dc, local: true, private_interface: priv0}
routes:
  hostname: [{hostname: '*.internal.local', tunnel: dc}]
  cidr:
    - {network: 10.2.0.0/24, tunnel: dc}
    - {network: 'fd00:2::/64', tunnel: dc}
devices:
  - {ip: 10.10.0.2, email: admin@example.com, interface: gw0}
  - {ip: 'fd00:10::2', email: admin@example.com, interface: gw0}
  - {ip: 10.10.0.3, email: bob@example.com, interface: gw0}
  - {ip: 10.10.0.4, email: carol@example.com, interface: gw0}
network_policies:
  # For admin only; for anyone else the next ones make such a flow STEER.
  - {name: admin secret, precedence: 4, action: allow,
     match: {sni: [secret.internal.local], dst_ip: 10.2.0.0/24, user_email: admin@example.com}}
  # The seeds' example: decided in the kernel for the IRI.
  - {name: ssh by SNI, precedence: 5, action: allow,
     match: {sni: [ssh.internal.local], user_email: admin@example.com}}
  - {name: wiki by Host, precedence: 6, action: allow,
     match: {host: wiki.internal.local, detected_protocol: http, user_email: bob@example.com}}
  - {name: bob ssh, precedence: 7, action: allow,
     match: {detected_protocol: ssh, dst_ip: 10.2.0.0/24, user_email: bob@example.com}}
  - {name: carol ssh, precedence: 8, action: allow,
     match: {detected_protocol: ssh, dst_ip: 10.2.0.0/24, user_email: carol@example.com}}
  - {name: app by SNI, precedence: 10, action: allow,
     match: {dst_ip: [10.2.0.0/24, 'fd00:2::/64'], protocol: tcp,
             sni: [app.internal.local, '*.apps.internal.local']}}
  # Decided by the proxy: detected_protocol makes it an L7 rule.
  - {name: admin plain, precedence: 20, action: ${2:-allow},
     match: {user_email: admin@example.com, dst_port: [7-12], detected_protocol: unknown}}
YAML
}
write_config 64
start_ztd() { ztd_start "$GW" "$W/ztd.yaml" "$PIN" "$SOCK" "$W/ztd.log"; }
ztctl() { "$O/ztctl" --pin-root "$PIN" --socket "$SOCK" "$@"; }
# hold_open N [SECS]: N connections to 10.2.0.5:9 from the client, kept
# open SECS (3) once all are made (slow machines accept them late: none
# may close before all are in).
hold_open() {
	in_cli python3 -c '
import resource, socket, sys, time
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
c = []
for _ in range(int(sys.argv[1])):
    try:
        c.append(socket.create_connection(("10.2.0.5", 9), timeout=4))
    except OSError:
        pass
time.sleep(float(sys.argv[2]))' "$1" "${2:-3}" >/dev/null 2>&1
}
# proxy_stat NAME: a counter of the proxy's from ztctl -j status.
proxy_stat() {
	ztctl -j status | python3 -c 'import json,sys; print(json.load(sys.stdin)["daemon"]["proxy"][sys.argv[1]])' "$1"
}
# logged KEY=VALUE...: a proxy line of the network log has every field so.
logged() {
	python3 - "$W/network.jsonl" "$@" <<'EOF'
import json, sys
want = dict(a.split("=", 1) for a in sys.argv[2:])
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("kind") == "proxy" and all(str(e.get(k)).lower() == v for k, v in want.items()):
        sys.exit(0)
sys.exit(1)
EOF
}
curl_sni() { # curl_sni SNI ADDR[:PORT]: the page's first line, or curl's failure
	local host=${2%:*} port=443
	case $2 in
	*:*:*) host="[$2]" ;;
	*:*) port=${2##*:} ;;
	*) host=$2 ;;
	esac
	in_cli curl -sk --max-time 5 --resolve "$1:$port:$host" "https://$1:$port/" 2>&1 | head -1
	return "${PIPESTATUS[0]}"
}
# policy_says SRC PORT ARGS...: "action=VERDICT" and "rule=NAME" from
# ztctl policy test on the suite's config, for a TCP flow from SRC.
policy_says() {
	local src=$1 port=$2
	shift 2
	ztctl -j policy test --config "$W/ztd.yaml" --src "$src" --proto tcp --dport "$port" "$@" |
		python3 -c '
import json,sys
r=json.load(sys.stdin); print("action=" + r["verdict"]); print("rule=" + (r.get("rule") or "").lower())'
}
# says WANT SRC PORT ARGS...: policy_says gives WANT on one line.
says() { local w=$1; shift; [ "$(echo $(policy_says "$@"))" = "$w" ]; }
# agrees SRC DST PORT [--sni N | --http-host N | --detected-protocol P]:
# ztctl policy test gives the verdict and rule the proxy logged for such
# a flow.
agrees() {
	local src=$1 dst=$2 port=$3 want
	shift 3
	mapfile -t want < <(policy_says "$src" "$port" --dst "$dst" "$@")
	[ "${#want[@]}" = 2 ] && logged src="$src" dst="$dst" dst_port="$port" "${want[@]}"
}
# klogged KEY=VALUE...: a line of the kernel's (not the proxy's) has
# every field so.
klogged() {
	python3 - "$W/network.jsonl" "$@" <<'EOF'
import json, sys
want = dict(a.split("=", 1) for a in sys.argv[2:])
for line in open(sys.argv[1]):
    e = json.loads(line)
    if "kind" not in e and all(str(e.get(k)).lower() == v for k, v in want.items()):
        sys.exit(0)
sys.exit(1)
EOF
}

check "ztd starts, its proxy listening" start_ztd

out=$(curl_sni app.internal.local 10.2.0.5)
check "curl with the allowed SNI gets the TLS server's page ($out)" \
	sh -c "case '$out' in *HTML*|*html*) ;; *) exit 1;; esac"
check "... logged: sni, rule, direct, bytes both ways, closed" \
	wait_until 3 logged sni=app.internal.local rule="app by sni" action=direct end=closed \
	detected_protocol=tls user_email=admin@example.com
out=$(curl_sni app.internal.local fd00:2::5)
check "... and over IPv6 ($out)" sh -c "case '$out' in *HTML*|*html*) ;; *) exit 1;; esac"
out=$(curl_sni x.apps.internal.local 10.2.0.5)
check "a wildcard SNI (*.apps.internal.local) is allowed ($out)" \
	sh -c "case '$out' in *HTML*|*html*) ;; *) exit 1;; esac"
curl_sni other.internal.local 10.2.0.5 >/dev/null
rc=$?
check "another SNI is refused (curl exit $rc: the connection reset)" test "$rc" -ne 0
check "... logged as blocked by the default" \
	wait_until 3 logged sni=other.internal.local action=drop reason=default end=blocked
out=$(in_cli python3 "$TLSPEER" split 10.2.0.5 443 app.internal.local 7 40)
check "a ClientHello in 7-byte TLS records over many TCP segments: read, allowed ($out)" \
	sh -c "case '$out' in 'ok HTTP/1.0 200'*) ;; *) exit 1;; esac"
out=$(in_cli python3 "$TLSPEER" split 10.2.0.5 443 other.internal.local 7 40)
check "... the same cut with another SNI is blocked ($out)" \
	sh -c "case '$out' in failed*) ;; *) exit 1;; esac"
out=$(in_cli python3 "$TLSPEER" big 10.2.0.5 443 app.internal.local 16384)
check "a ClientHello of 16 KiB is read whole and passed to the server ($out)" test "$out" = tls
m0=$(proxy_stat malformed)
out=$(in_cli python3 "$TLSPEER" big 10.2.0.5 443 app.internal.local 20000)
check "one larger is decided unknown and blocked: reset ($out)" test "$out" = reset
check "... counted malformed" at_least $((m0 + 1)) proxy_stat malformed

a0=$(proxy_stat accepted)
curl_sni app.internal.local 10.2.0.5:8443 >/dev/null 2>&1
rc=$?
check "the allowed SNI to port 8443 does not count there (only on 443): blocked (curl exit $rc)" \
	test "$rc" -ne 0
check "... in the kernel: logged dropped by the default" \
	wait_until 3 klogged dst=10.2.0.5 dst_port=8443 action=drop reason=default
check "... never steered (the proxy accepted none)" test "$(proxy_stat accepted)" = "$a0"

# ---- server-first, plain TCP, half-close, bulk ------------------------------------
out=$(in_cli python3 "$PEER" ask 10.2.0.5 7)
check "a server-first protocol works after the detection wait: the server saw the gateway ($out)" \
	sh -c "case '$out' in '10.2.0.1 '*) ;; *) exit 1;; esac"
check "... logged detected_protocol unknown, rule admin plain" \
	wait_until 3 logged dst_port=7 detected_protocol=unknown rule="admin plain" action=direct
out=$(in_cli python3 "$PEER" ask fd00:2::5 7)
check "... over IPv6 ($out)" sh -c "case '$out' in 'fd00:2::1 '*) ;; *) exit 1;; esac"
out=$(printf 'hello, half-closed\n' | in_cli socat -t 5 - TCP:10.2.0.5:10,shut-down 2>&1)
check "half-close: the server answers after the client's FIN ($out)" test "$out" = 19
# A reset each way is passed on as a reset.
port=$(in_cli python3 -c '
import socket, struct
s = socket.create_connection(("10.2.0.5", 9), timeout=5)
s.recv(64)
print(s.getsockname()[1])
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()' 2>&1)
check "a client's reset ends its relayed flow: logged end reset (port $port)" \
	wait_until 3 logged src_port="$port" dst_port=9 end=reset
out=$(in_cli python3 -c '
import socket
s = socket.create_connection(("10.2.0.5", 12), timeout=5)
got = b""
try:
    while True:
        d = s.recv(64)
        if not d:
            break
        got += d
    print(got.decode(), "fin")
except ConnectionResetError:
    print(got.decode(), "reset")' 2>&1)
check "a server's reset reaches the client as a reset, after its bytes ($out)" test "$out" = "x reset"
check "... logged end reset" wait_until 3 logged dst_port=12 end=reset
t0=$EPOCHREALTIME
sum=$(in_cli socat -u -T 30 TCP:10.2.0.5:8 - | sha256sum | cut -d' ' -f1)
t1=$EPOCHREALTIME
check "$((SIZE >> 20)) MB through the proxy, checksum equal ($(python3 -c "print(f'{$SIZE / ($t1 - $t0) / 1e6:.0f}')") MB/s)" \
	test "$sum" = "$BLOB_SUM"
check "... logged with its bytes" wait_until 3 logged dst_port=8 bytes_down="$SIZE" end=closed

check "ztctl policy test --sni agrees with the proxy: the allowed SNI" \
	agrees 10.10.0.2 10.2.0.5 443 --sni app.internal.local
check "... another SNI" agrees 10.10.0.2 10.2.0.5 443 --sni other.internal.local
check "... the allowed SNI on 8443: blocked by the default" \
	says "action=drop rule=" 10.10.0.2 8443 --dst 10.2.0.5 --sni app.internal.local
check "... --detected-protocol unknown: a server-first protocol" \
	agrees 10.10.0.2 10.2.0.5 7 --detected-protocol unknown

# ---- the L7 selectors: sni on an IRI, HTTP Host, detected_protocol ----------------
# The seeds' example: "SNI in ssh.internal.local and user admin: allow;
# catch-all: block". To an IRI the name is the truth, so the kernel
# decides it and OpenSSH goes the DIRECT path, never through the proxy.
check "an OpenSSH server runs in the private network" test "$SSHD_RC" = 0
IRI=$(in_cli dig +short +time=2 +tries=2 @10.10.0.1 ssh.internal.local A | head -1)
check "DNS answers ssh.internal.local with an IRI ($IRI)" \
	sh -c "case '$IRI' in 100.80.*) ;; *) exit 1;; esac"
iri_real() { ztctl -j maps dump iri | grep -q '"real_address":"10.2.0.5"'; }
wait_until 10 iri_real
a0=$(proxy_stat accepted)
out=$(ssh_to "$IRI" 'echo $SSH_CONNECTION' 2>&1)
check "the seeds' example: admin's OpenSSH to ssh.internal.local (the IRI) logs in ($out)" \
	sh -c "case '$out' in '10.2.0.1 '*' 10.2.0.5 22') ;; *) exit 1;; esac"
check "... decided in the kernel by the sni rule: direct, rule 'ssh by sni'" \
	wait_until 3 klogged dst="$IRI" dst_port=22 action=direct rule="ssh by sni"
check "... and the proxy never saw it (accepted stays $a0)" prints "$a0" proxy_stat accepted
check "ztctl policy test --host ssh.internal.local agrees: direct, rule 'ssh by sni'" \
	says "action=direct rule=ssh by sni" 10.10.0.2 22 --host ssh.internal.local
out=$(in_cli timeout 8 ssh -i "$W/ssh/user" -b 10.10.0.3 -o StrictHostKeyChecking=no \
	-o UserKnownHostsFile=/dev/null -o BatchMode=yes -o ConnectTimeout=3 -o LogLevel=ERROR \
	"root@$IRI" true 2>&1)
rc=$?
check "bob's OpenSSH to the same IRI is blocked (ssh exit $rc)" test "$rc" -ne 0
check "... dropped in the kernel by the default" \
	wait_until 3 klogged src=10.10.0.3 dst="$IRI" dst_port=22 action=drop reason=default
check "... and ztctl policy test --host says so" \
	says "action=drop rule=" 10.10.0.3 22 --host ssh.internal.local

# host with detected_protocol http: to a CIDR destination the HTTP Host.
out=$(in_cli curl -s --max-time 5 --interface 10.10.0.3 -H 'Host: wiki.internal.local' \
	http://10.2.0.5/ 2>&1)
check "bob's HTTP request with Host wiki.internal.local passes the proxy ($out)" \
	test "$out" = "the wiki"
check "... logged: detected http, the Host, rule 'wiki by host'" \
	wait_until 3 logged src=10.10.0.3 dst_port=80 detected_protocol=http \
	http_host=wiki.internal.local rule="wiki by host" action=direct
in_cli curl -s --max-time 5 --interface 10.10.0.3 -H 'Host: other.internal.local' \
	http://10.2.0.5/ >/dev/null 2>&1
rc=$?
check "... another Host is reset (curl exit $rc)" test "$rc" -ne 0
check "... logged blocked by the default" wait_until 3 logged src=10.10.0.3 dst_port=80 \
	http_host=other.internal.local action=drop reason=default
check "ztctl policy test --http-host agrees with the proxy: the allowed Host" \
	agrees 10.10.0.3 10.2.0.5 80 --http-host wiki.internal.local
check "... another Host" agrees 10.10.0.3 10.2.0.5 80 --http-host other.internal.local
# To the wiki's IRI the name is known, but detected_protocol still needs
# the proxy: HTTP passes, anything else to that IRI is blocked.
IRIW=$(in_cli dig +short +time=2 +tries=2 @10.10.0.1 wiki.internal.local A | head -1)
out=$(in_cli curl -s --max-time 5 --interface 10.10.0.3 \
	--resolve "wiki.internal.local:80:$IRIW" http://wiki.internal.local/ 2>&1)
check "bob's curl to http://wiki.internal.local/ (IRI $IRIW) passes the proxy ($out)" \
	test "$out" = "the wiki"
check "... logged: to the IRI, detected http, rule 'wiki by host'" wait_until 3 logged \
	src=10.10.0.3 dst="$IRIW" detected_protocol=http rule="wiki by host" action=direct
out=$(in_cli timeout 15 ssh -i "$W/ssh/user" -b 10.10.0.3 -o StrictHostKeyChecking=no \
	-o UserKnownHostsFile=/dev/null -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR \
	"root@$IRIW" true 2>&1)
rc=$?
check "... bob's OpenSSH to the same IRI is not http: blocked (ssh exit $rc)" test "$rc" -ne 0
check "... logged: detected ssh, blocked by the default" wait_until 3 logged \
	src=10.10.0.3 dst="$IRIW" dst_port=22 detected_protocol=ssh action=drop reason=default

# detected_protocol ssh: OpenSSH through the proxy.
out=$(in_cli timeout 15 ssh -i "$W/ssh/user" -b 10.10.0.3 -o StrictHostKeyChecking=no \
	-o UserKnownHostsFile=/dev/null -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR \
	root@10.2.0.5 'echo $SSH_CONNECTION' 2>&1)
check "bob's OpenSSH to 10.2.0.5 passes the proxy by detected_protocol ssh ($out)" \
	sh -c "case '$out' in '10.2.0.1 '*' 10.2.0.5 22') ;; *) exit 1;; esac"
check "... logged: detected ssh, rule 'bob ssh'" wait_until 3 logged src=10.10.0.3 \
	dst_port=22 detected_protocol=ssh rule="bob ssh" action=direct end=closed
out=$(in_cli timeout 5 socat -u TCP:10.2.0.5:7,bind=10.10.0.3 - 2>/dev/null)
check "... bob's server-first flow is not ssh: blocked ('$out')" test -z "$out"
check "... logged unknown, blocked" wait_until 3 logged src=10.10.0.3 dst_port=7 \
	detected_protocol=unknown action=drop
check "ztctl policy test --detected-protocol ssh agrees" \
	agrees 10.10.0.3 10.2.0.5 22 --detected-protocol ssh

# A client that never reads a bulk flow: its pipe fills and the relay stops
# reading the server for it; the proxy goes on serving everyone else.
in_cli python3 -c '
import socket, time
s = socket.create_connection(("10.2.0.5", 8), timeout=4)
time.sleep(5)' >/dev/null 2>&1 &
nr=$!
sleep 1.5
out=$(in_cli timeout 5 python3 "$PEER" ask 10.2.0.5 7 2>&1)
check "while a client that never reads holds a bulk flow, another flow is served ($out)" \
	sh -c "case '$out' in '10.2.0.1 '*) ;; *) exit 1;; esac"
wait "$nr"

# ---- what the gateway itself is ---------------------------------------------------
u0=$(proxy_stat upstream_failed)
out=$(in_cli timeout 5 python3 "$PEER" ask 10.2.0.1 9 2>/dev/null)
check "a steered flow to the gateway's own private address is not connected ('$out')" \
	test -z "$out"
check "... counted upstream_failed" at_least $((u0 + 1)) proxy_stat upstream_failed
# An address the proxy has just found not to be the gateway's (a server's)
# that becomes the gateway's own: the next flow to it, a moment later, is
# not connected either (the proxy remembers such answers for a second,
# and forgets them when an address changes).
ip -n "$PRIV" addr add 10.2.0.77/24 dev srv0
out=$(in_cli timeout 5 python3 "$PEER" ask 10.2.0.77 9 2>/dev/null)
check "a flow to a server's 10.2.0.77 is relayed ($out)" \
	sh -c "case '$out' in '10.2.0.1 '*) ;; *) exit 1;; esac"
ip -n "$PRIV" addr del 10.2.0.77/24 dev srv0
ip -n "$GW" addr add 10.2.0.77/32 dev priv0
out=$(in_cli timeout 5 python3 "$PEER" ask 10.2.0.77 9 2>/dev/null)
ip -n "$GW" addr del 10.2.0.77/32 dev priv0
check "... made the gateway's own at once, it is not connected ('$out')" test -z "$out"
# Two connections from one source port, the server closing first: the
# proxy's side of the first is in TIME_WAIT when the second SYN comes.
# That SYN must reach the proxy again, never the gateway's own listener on
# the port (a socat that says "gw").
out=$(in_cli python3 - <<'EOF'
import socket
got = []
for _ in range(2):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.10.0.2", 45678))
    s.settimeout(4)
    try:
        s.connect(("10.2.0.5", 11))
        got.append(s.recv(16).decode().strip() or "eof")
        s.recv(16)
    except OSError as e:
        got.append(type(e).__name__)
    s.close()
print(" ".join(got))
EOF
)
check "a SYN meeting the proxy's TIME_WAIT socket goes to the proxy again ($out)" \
	test "$out" = "bye bye"
check "... nothing steered ever reached the gateway's own listeners" test ! -s "$W/gw-got"

# ---- ztctl proxy list --------------------------------------------------------------
# listed N: ztctl -j proxy list shows N connections of admin's to 10.2.0.5:9
# relayed (detected unknown, rule admin plain, the server's greeting
# down), each once, however many pages it took.
listed() {
	ztctl -j proxy list | python3 -c '
import json, sys
r = json.load(sys.stdin)
c = r["connections"]
ok = [x for x in c if x["user_email"] == "admin@example.com" and x["src"] == "10.10.0.2"
      and x["dst"] == "10.2.0.5" and x["dst_port"] == 9 and x["state"] == "relay"
      and x["detected_protocol"] == "unknown" and x["rule"] == "admin plain"
      and x["action"] == "direct" and x["bytes_down"] > 0 and x["interface"] == "gw0"]
ids = [x["id"] for x in c]
sys.exit(not (len(ok) >= int(sys.argv[1]) and len(set(ids)) == len(ids) == r["live"]
              and ids == sorted(ids)))' "$1"
}
hold_open 40 &
hp=$!
check "ztctl proxy list shows 40 held connections (two pages), each once, oldest first" \
	wait_until 8 listed 40
out=$(ztctl proxy list | grep -c "admin@example.com .* relay  *unknown .*admin plain")
check "... and in its table ($out rows)" test "$out" -ge 40
wait "$hp"
list_count() {
	ztctl -j proxy list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["connections"]))'
}
check "... and none once they close" wait_until 5 prints 0 list_count

# ---- a client refused again and again does not fill the log -------------------
# bob's flows to port 7 are blocked at his first byte; 400 of them as fast
# as he can: at most 50 lines a second are written, the rest counted.
# port7_lines SRC ACTION: the proxy's lines for SRC's flows to port 7 so decided.
port7_lines() {
	python3 -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) if (e := json.loads(l)).get("kind") == "proxy"
          and e["src"] == sys.argv[2] and e["dst_port"] == 7 and e["action"] == sys.argv[3]))' \
		"$W/network.jsonl" "$1" "$2"
}
# refused7 SRC N SECS PAUSE: up to N connections from SRC to port 7, one
# after another PAUSE s apart, for at most SECS; each sends a byte and
# waits for the answer (a reset, when refused). Prints the seconds taken
# (whole, plus 2: a bound for lines still on their way).
refused7() {
	in_cli python3 -c '
import socket, sys, time
src, n, secs, pause = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
t0 = time.time()
for _ in range(n):
    if time.time() - t0 >= secs:
        break
    try:
        with socket.create_connection(("10.2.0.5", 7), timeout=2,
                                      source_address=(src, 0)) as s:
            s.sendall(b"x")
            s.recv(64)
    except OSError:
        pass
    time.sleep(pause)
print(int(time.time() - t0) + 2)' "$@" 2>/dev/null
}
l0=$(port7_lines 10.10.0.3 drop) s0=$(proxy_stat log_suppressed)
secs=$(refused7 10.10.0.3 400 600 0)
# Each of the 400 is written or counted (lines reach the file within 100 ms).
accounted() { echo $(($(port7_lines 10.10.0.3 drop) - l0 + $(proxy_stat log_suppressed) - s0)); }
wait_until 3 prints 400 accounted
l1=$(port7_lines 10.10.0.3 drop) s1=$(proxy_stat log_suppressed)
check "400 blocked connections in ${secs:-?} s: at most 50 lines a second written ($((l1 - l0)))" \
	test "$((l1 - l0))" -ge 1 -a "$((l1 - l0))" -le "$((50 * ${secs:-0}))"
check "... the rest counted log_suppressed ($((s1 - s0)))" test "$((l1 - l0 + s1 - s0))" = 400
a0=$(port7_lines 10.10.0.2 direct)
in_cli python3 "$PEER" ask 10.2.0.5 7 >/dev/null
check "... while an allowed flow is still logged" wait_until 3 at_least $((a0 + 1)) port7_lines 10.10.0.2 direct

# One client's flood does not hide another's refusals: with a budget of
# 8 lines a second, bob refused as fast as he can (he may write 2 a
# second), and carol refused once a second meanwhile: each of hers is
# written. (With one budget for all, bob's flood took it within the first
# tenths of each second.)
write_config 64 block 1024 8
ztctl reload >/dev/null 2>&1
c0=$(port7_lines 10.10.0.4 drop)
refused7 10.10.0.3 1000000 5 0 >/dev/null &
FLOOD=$!
sleep 1
refused7 10.10.0.4 3 10 1 >/dev/null
wait "$FLOOD"
check "bob refused again and again: carol's 3 refusals meanwhile are all logged" \
	wait_until 3 at_least $((c0 + 3)) port7_lines 10.10.0.4 drop
write_config 64
ztctl reload >/dev/null 2>&1

# ---- many at once: nothing left over ---------------------------------------------------
# N connections held at once (each two sockets and, relayed, two pipes in
# a worker); once they close, ztd and its workers hold the descriptors
# they held before.
N=1000
[ -n "${ZT_IN_VM:-}" ] && N=200
write_config $((N + 100))
ztctl reload >/dev/null 2>&1
fds() { local p n=0; for p in $ZTD_PID $(ztd_workers); do n=$((n + $(ls "/proc/$p/fd" | wc -l))); done; echo $n; }
rss_kb() { cat $(printf '/proc/%s/status ' $ZTD_PID $(ztd_workers)) | awk '/^VmRSS/ { n += $2 } END { print n }'; }
sleep 1.2 # the pipes kept by workers from earlier connections given back
fd0=$(fds) rss0=$(rss_kb)
hold_open "$N" 4 &
hp=$!
check "$N connections at once are all live in the proxy" wait_until 15 at_least "$N" proxy_stat live
rss1=$(rss_kb)
wait "$hp"
check "... once they close, none is left ($(( (rss1 - rss0) * 1024 / N )) bytes of RSS each while open)" \
	wait_until 20 prints 0 proxy_stat live
# (A worker keeps empty pipes for new connections while it has any, and
# gives them back within a second of its last.)
fds_back() { [ "$(fds)" -le "$fd0" ]; }
check "... and ztd and its workers hold no more descriptors than before ($fd0)" \
	wait_until 5 fds_back
write_config 64
ztctl reload >/dev/null 2>&1

# ---- revocation, limits, slow senders ----------------------------------------------
rm -f "$W/revoked"
in_cli python3 "$PEER" revoke 10.2.0.5 9 "$W/revoked" > "$W/revoke.out" 2>&1 &
rp=$!
sleep 1.5
# No line for refused flows at all: a revoked flow carried bytes, and is
# logged whatever that budget.
write_config 64 block 1024 0
touch "$W/revoked"
ztctl reload >/dev/null 2>&1
wait "$rp"
out=$(cat "$W/revoke.out")
check "a reload that blocks a live proxied connection cuts it within 1 s ($out)" \
	python3 -c "import sys; d=dict(x.split('=') for x in sys.argv[1].split()); sys.exit(not (int(d['before']) > 0 and float(d.get('cut', 9)) < 1.0))" "$out"
check "... logged revoked (with blocked_logs_per_sec 0)" wait_until 3 logged dst_port=9 end=revoked
write_config 5
ztctl reload >/dev/null 2>&1
f0=$(proxy_stat refused_full)
hold_open 8 &
hp=$!
check "past gateway.proxy.max_connections (5), new connections are reset and counted" \
	wait_until 8 at_least $((f0 + 3)) proxy_stat refused_full
check "... and ztd warns once" grep -q "max_connections allows" "$W/ztd.log"
wait "$hp"
check "the slots are free again once those close" wait_until 5 prints 0 proxy_stat live
write_config 64 allow 3
ztctl reload >/dev/null 2>&1
c0=$(proxy_stat refused_client)
hold_open 6 &
hp=$!
check "past gateway.proxy.per_client (3), one client's new connections are reset" \
	wait_until 8 at_least $((c0 + 3)) proxy_stat refused_client ||
	{ ztctl status | sed 's/^/# /'; grep -i "proxy" "$W/ztd.log" | tail -3 | sed 's/^/# /'; }
out=$(in_cli curl -sk --max-time 5 --interface 10.10.0.3 --resolve app.internal.local:443:10.2.0.5 \
	https://app.internal.local/ 2>&1 | head -1)
check "... while another client's go on ($out)" \
	sh -c "case '$out' in *HTML*|*html*) ;; *) exit 1;; esac"
wait "$hp"
write_config 64
ztctl reload >/dev/null 2>&1
out=$(in_cli python3 "$TLSPEER" slow 10.2.0.5 443 3)
check "a ClientHello sent a byte every 0.25 s is decided at the timeout (blocked: $out)" \
	test "$out" = reset
check "... counted as a detection timeout" at_least 1 proxy_stat detect_timeouts

# ---- the workers: unprivileged, one per listener pair, restarted ------------------
n=$(ztd_workers | wc -l)
check "the proxy runs in 2 worker processes, as gateway.proxy.workers says ($n; status: $(proxy_stat workers))" \
	test "$n" = 2 -a "$(proxy_stat workers)" = 2
# unprivileged PID: runs as nobody with no capability and no way to gain one.
unprivileged() {
	awk '/^Uid:/ { u = ($2 == 65534 && $3 == 65534 && $4 == 65534 && $5 == 65534) }
	     /^Gid:/ { g = ($2 == 65534 && $3 == 65534) }
	     /^CapPrm:/ { p = ($2 == "0000000000000000") } /^CapEff:/ { e = ($2 == "0000000000000000") }
	     /^NoNewPrivs:/ { n = ($2 == 1) } END { exit !(u && g && p && e && n) }' "/proc/$1/status"
}
for p in $(ztd_workers); do
	check "worker $p runs as nobody, with no capability and no_new_privs" unprivileged "$p"
done
# Connections held open across a worker's death: those it held are reset
# and logged; the kernel's policy is untouched; a new worker takes over.
victim=$(ztd_workers | head -1)
r0=$(proxy_stat worker_restarts)
ztctl -j maps dump policy > "$W/policy.before"
hold_open 20 6 &
hp=$!
wait_until 8 at_least 20 proxy_stat live
kill -KILL "$victim"
check "a killed worker is logged (signal 9) and restarted" \
	wait_until 5 grep -q "proxy worker [01] (pid $victim) ended (signal 9)" "$W/ztd.log"
check "... counted (worker_restarts)" wait_until 3 at_least $((r0 + 1)) proxy_stat worker_restarts
replaced() { [ "$(ztd_workers | wc -l)" = 2 ] && ! kill -0 "$victim" 2>/dev/null; }
check "... two workers again, the killed one replaced" wait_until 3 replaced
check "... the connections it held logged end=worker_died" wait_until 3 logged end=worker_died
for p in $(ztd_workers); do
	check "... worker $p (after the restart) unprivileged too" unprivileged "$p"
done
a0=$(port7_lines 10.10.0.2 direct)
ok=0
for i in $(seq 12); do
	out=$(in_cli python3 "$PEER" ask 10.2.0.5 7 2>&1)
	case "$out" in '10.2.0.1 '*) ok=$((ok + 1)) ;; esac
done
check "... and every new steered connection is served after it ($ok of 12)" test "$ok" = 12
check "... each decided by ztd and logged" wait_until 3 at_least $((a0 + 12)) port7_lines 10.10.0.2 direct
wait "$hp"
ztctl -j maps dump policy > "$W/policy.after"
check "the policy in the kernel is what it was before the worker died" \
	cmp -s "$W/policy.before" "$W/policy.after"

check "no worker died but the one killed: none refused a system call (seccomp) or broke its word" \
	sh -c "[ $(proxy_stat worker_restarts) = $((r0 + 1)) ] && ! grep -q 'refused (seccomp)\|not a worker.s\|did not reset\|does not read' '$W/ztd.log'"
for p in $(ztd_workers); do
	check "worker $p runs under a seccomp filter" grep -q '^Seccomp:[[:space:]]*2' "/proc/$p/status"
done

# ---- a worker that does not do what ztd says --------------------------------------------
# Stopped, a worker cannot act on REVOKE: ztd kills it 2 s on (at its next
# second's check), and the revoked connection ends with it.
rm -f "$W/held"
in_cli python3 -c '
import socket, sys, time
c = socket.create_connection(("10.2.0.5", 9), timeout=4)
c.makefile().readline()
open(sys.argv[1], "w").close()
c.settimeout(10)
try:
    how = "eof" if c.recv(16) == b"" else "data"
except socket.timeout:
    how = "open"
except OSError:
    how = "reset"
print(how, time.time())' "$W/held" > "$W/held.out" 2>&1 &
hp=$!
wait_until 5 test -e "$W/held"
r0=$(proxy_stat worker_restarts)
stopped=$(ztd_workers)
kill -STOP $stopped
write_config 64 block
t0=$(python3 -c "import time; print(time.time())") # (busybox date, in the VM, has no %N)
ztctl reload >/dev/null 2>&1
wait "$hp"
kill -CONT $stopped 2>/dev/null
read -r how t1 < "$W/held.out"
took=$(python3 -c "import sys; print(f'{float(sys.argv[1]) - float(sys.argv[2]):.1f}')" "${t1:-0}" "$t0")
check "a stopped worker that holds a revoked connection is killed, and the connection ends within 5 s ($how after $took s)" \
	sh -c "case '$how' in eof|reset) python3 -c 'import sys; sys.exit(not 1.5 < float(sys.argv[1]) < 5)' '$took';; *) exit 1;; esac"
check "... logged as not doing what it was told" \
	grep -q "proxy worker [01] (pid [0-9]*) did not reset a revoked connection: killed" "$W/ztd.log"
check "... and replaced (worker_restarts)" wait_until 3 at_least $((r0 + 1)) proxy_stat worker_restarts
nworkers() { ztd_workers | wc -l; }
check "... two workers again" wait_until 3 prints 2 nworkers

# ---- an address claimed from another link ----------------------------------------------
# gw1 is a second client link; a host there claims admin's address. The
# handshake's interface decides who it is (admin is enrolled on gw0): the
# proxy decides it as nobody's and resets it, where admin is served.
netns_add "$SPF"
netns_veth "$GW" gw1 "$SPF" spf0
ip -n "$GW" addr add 10.11.0.1/24 dev gw1
ip -n "$GW" link set gw1 up
in_gw sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.gw1.rp_filter=0
ip -n "$SPF" addr add 10.11.0.2/24 dev spf0
ip -n "$SPF" addr add 10.10.0.2/32 dev spf0
ip -n "$SPF" link set spf0 up
ip -n "$SPF" route add 10.2.0.0/24 via 10.11.0.1 src 10.10.0.2
# The gateway routes admin's address out gw1 while this test runs (so the
# handshake completes there).
in_gw ip route add 10.10.0.2/32 dev gw1
IFACES='[gw0, gw1]' write_config 64
out=$(ztctl reload 2>&1)
check "gw1 added as a client link at reload ($out)" \
	sh -c "tc -n $GW filter show dev gw1 ingress | grep -q bpf"
# secret_page NETNS: what admin's address gets at 10.2.0.5:443 with the
# SNI only admin may use, from NETNS.
secret_page() {
	nsenter --net=/run/netns/"$1" curl -sk --max-time 5 --interface 10.10.0.2 \
		--resolve secret.internal.local:443:10.2.0.5 https://secret.internal.local/ 2>&1 |
		head -1
}
out=$(secret_page "$SPF")
check "admin's address claimed from gw1: the proxy decides it as nobody's: refused (${out:-nothing})" \
	test -z "$out"
check "... steered, decided by the proxy, logged with interface gw1 and no user, dropped" \
	wait_until 3 logged src=10.10.0.2 sni=secret.internal.local interface=gw1 user_email= \
	action=drop end=blocked
in_gw ip route del 10.10.0.2/32 dev gw1
out=$(secret_page "$CLI")
check "... while admin on gw0 is served ($out)" \
	sh -c "case '$out' in *HTML*|*html*) ;; *) exit 1;; esac"
check "... by admin's rule (logged)" \
	wait_until 3 logged src=10.10.0.2 sni=secret.internal.local interface=gw0 \
	user_email=admin@example.com rule="admin secret" action=direct
write_config 64
ztctl reload >/dev/null 2>&1

# ---- ztd stopped and started ----------------------------------------------------------
kill -TERM "$ZTD_PID"
wait "$ZTD_PID" 2>/dev/null
ZTD_PID=
np0=$(stat_of drop no_proxy)
out=$(in_cli timeout 5 python3 "$PEER" hold 10.2.0.5 9 1 2>&1)
check "ztd stopped: a steered connection fails closed (connected: $out)" test "$out" = 0
check "... dropped and counted (no_proxy)" at_least $((np0 + 1)) stat_of drop no_proxy
check "... and never reaches what the gateway listens on at that port" \
	test ! -s "$W/gw-got"
ztctl proxy list >/dev/null 2>&1
rc=$?
check "ztctl proxy list says ztd is not running (exit $rc)" test "$rc" = 3
check "ztd starts again" start_ztd
out=$(in_cli python3 "$PEER" ask 10.2.0.5 7)
check "... and takes new connections at once ($out)" \
	sh -c "case '$out' in '10.2.0.1 '*) ;; *) exit 1;; esac"

echo "# proxy: $fail failed"
exit 0
