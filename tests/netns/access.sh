#!/usr/bin/env bash
# access.sh — `ztctl access` (seed 003: ProxyCommand access without
# routing) and `ztctl user token|revoke`, in namespaces made for the run:
# a client with no route to the private network, the gateway (ztd, whose
# endpoint 10.2.0.1:7844 both the connector and access clients dial), and
# a private network that takes no inbound connection (nftables), where
# ztconnector runs, sshd and a web server listen on 10.20.0.5 and dnsmasq
# names it ssh.corp.internal, web.corp.internal and secret.corp.internal.
# Checked: tokens (mode 0600, bad groups, vnets, lifetimes refused); real
# OpenSSH with `ztctl access ssh` as its ProxyCommand, by name and by
# address, a 4 MB session checked whole; curl through `ztctl access tcp`;
# the network policies decide as the token's user's (a user with no rule,
# a group's rule, a rule that needs the first bytes, a DNS policy, a name
# no route covers), each refusal said on stderr; the network log and the
# counters; a token not signed by the gateway, a tampered one, garbage
# instead of a token, one that expires while its session runs, a revoked
# one and a reload that no longer allows a live session all end or are
# refused; one token holding more than 16 connections refused past them;
# the connector's ingress rules (a name's service, a rule that dials, a
# catch-all that refuses what the gateway allows; a file with no
# catch-all refused with its position).
# Usage: access.sh BUILD_DIR
set -u
. "$(dirname "$0")/../lib/netns.sh"
netns_run za access "${1:-build}"
netns_trap
needs "not ok -" python3 nft curl busybox dnsmasq ssh sha256sum

# ---- topology --------------------------------------------------------------------
netns_chain "$CLI" "$GW" "$PRIV" && netns_chain_dual "$CLI" "$GW" "$PRIV" || exit 1
ip -n "$PRIV" addr add 10.20.0.5/32 dev lo
# The client reaches the gateway's endpoint, and nothing behind it.
ip -n "$CLI" route add 10.2.0.1/32 via 10.10.0.1
netns_no_inbound "$PRIV"
mkdir -p "$W/www" && echo "web behind the connector" > "$W/www/index.html"
in_priv busybox httpd -p 10.20.0.5:80 -h "$W/www"
in_priv busybox httpd -p 10.20.0.5:8080 -h "$W/www"
printf '%s\n' "10.20.0.5 ssh.corp.internal web.corp.internal secret.corp.internal" > "$W/hosts"
in_priv dnsmasq --no-daemon --no-resolv --no-hosts --addn-hosts="$W/hosts" \
	--listen-address=10.20.0.5 --bind-interfaces --user=root \
	--pid-file="$W/dnsmasq.pid" >/dev/null 2>&1 &
sleep 0.3
out=$(in_cli curl -s --max-time 2 http://10.20.0.5/ 2>&1; echo "rc=$?")
check "the client has no route to the private network (curl: $out)" \
	sh -c "case '$out' in *rc=0*) exit 1;; esac"

# ---- gateway and connector -----------------------------------------------------------
write_config() { # write_config [ADMIN_SSH_ACTION]
	cat > "$W/ztd.yaml" <<YAML
gateway:
  interface: gw0
  default_action: block
  state_dir: $W/state
  connector_listen: [10.2.0.1:7844]
  log: {network: $W/network.jsonl}
tunnels:
  - {name: dc}
  - {name: lan, local: true, private_interface: priv0}
routes:
  cidr:
    - {network: 10.20.0.0/24, tunnel: dc}
    - {network: 10.30.0.0/24, tunnel: lan}
  hostname: [{hostname: '*.corp.internal', tunnel: dc}]
network_policies:
  - {name: ssh for admin, precedence: 10, action: ${1:-allow},
     match: {host: '*.corp.internal', dst_port: 22, user_email: admin@example.com}}
  - {name: ssh by address for admin, precedence: 11, action: ${1:-allow},
     match: {dst_ip: [10.20.0.0/24, 10.30.0.0/24], dst_port: 22, user_email: admin@example.com}}
  - {name: web for ops, precedence: 20, action: allow,
     match: {host: '*.corp.internal', dst_port: 80, user_group: ops}}
  - {name: http only on 8080, precedence: 30, action: allow,
     match: {host: '*.corp.internal', dst_port: 8080, detected_protocol: http,
             user_email: admin@example.com}}
dns_policies:
  - {name: no secret for ops, precedence: 1, action: block,
     match: {host: secret.corp.internal, user_group: ops}}
YAML
}
write_config
ztd_start "$GW" "$W/ztd.yaml" "$PIN" "$SOCK" "$W/ztd.log" || { bad "ztd starts"; exit 0; }
ztctl() { "$O/ztctl" --pin-root "$PIN" --socket "$SOCK" "$@"; }
says() { printf '%s' "$1" | grep -qF -- "$2"; }
ztctl tunnel create dc --output "$W/dc.token" >/dev/null
nsenter --net=/run/netns/"$PRIV" "$O/ztconnector" --token-file "$W/dc.token" --name dc1 \
	--user nobody --resolver 10.20.0.5 >>"$W/connector.log" 2>&1 &
CONN=$!
healthy() { ztctl -j tunnel list | grep -q '"name":"dc","remote":true,"health":"healthy"'; }
check "the connector in the private network is up (healthy)" wait_until 15 healthy

# ---- tokens -------------------------------------------------------------------------------
ztctl user token --email admin@example.com --output "$W/admin.token" >"$W/t.out" 2>&1
check "ztctl user token writes the admin's token, mode 0600 ($(cat "$W/t.out"))" \
	sh -c "[ \"\$(stat -c %a '$W/admin.token')\" = 600 ] && grep -q '^ztu1\.' '$W/admin.token'"
ADMIN_ID=$(sed -n 's/^token \([0-9a-f]*\) .*/\1/p' "$W/t.out")
ztctl user token --email carol@example.com --group ops --output "$W/carol.token" >/dev/null 2>&1
ztctl user token --email bob@example.com --output "$W/bob.token" >/dev/null 2>&1
check "... one for carol (group ops) and one for bob" test -s "$W/carol.token" -a -s "$W/bob.token"
out=$(ztctl user token --email x@example.com --group nosuch 2>&1; echo "rc=$?")
check "a group no device or policy names is refused ($out)" \
	says "$out" "names the group 'nosuch'"
out=$(ztctl user token --email x@example.com --vnet nosuch 2>&1; echo "rc=$?")
check "... so is a virtual network the config lacks ($out)" \
	says "$out" "no virtual network 'nosuch' in the config"
out=$(ztctl user token --email x@example.com --ttl 91d 2>&1; echo "rc=$?")
check "... and a lifetime past 90 days ($out)" \
	sh -c "case '$out' in *'1 minute to 90 days'*rc=1) ;; *) exit 1;; esac"
out=$(ztctl user token --email 'no spaces@x' 2>&1; echo "rc=$?")
check "... and an email with a space ($out)" sh -c "case '$out' in *rc=1) ;; *) exit 1;; esac"
check "the signing key is mode 0600 in the state directory" \
	test "$(stat -c %a "$W/state/tls/users.key")" = 600

# ---- OpenSSH with ztctl access ssh as its ProxyCommand ------------------------------------
netns_sshd || bad "sshd starts (make deps installs openssh-server)"
# pssh TOKEN HOST CMD...: OpenSSH to HOST through ztctl access ssh.
pssh() {
	local tok=$1 host=$2
	shift 2
	in_cli ssh -i "$W/ssh/user" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR \
		-o ProxyCommand="$O/ztctl access ssh --hostname %h --token-file $tok" \
		"root@$host" "$@"
}
out=$(pssh "$W/admin.token" ssh.corp.internal 'echo $SSH_CONNECTION' 2>&1)
check "OpenSSH to ssh.corp.internal with ProxyCommand ztctl access ssh: sshd sees the connector's side ($out)" \
	sh -c "case '$out' in '10.20.0.5 '*' 10.20.0.5 22') ;; *) exit 1;; esac"
head -c 4000000 /dev/urandom > "$W/blob"
want=$(sha256sum < "$W/blob" | cut -d' ' -f1)
got=$(pssh "$W/admin.token" ssh.corp.internal "cat '$W/blob'" 2>/dev/null | sha256sum | cut -d' ' -f1)
check "... a session carrying 4 MB back, checksum equal" test "$got" = "$want"
got=$(in_cli sh -c "cat '$W/blob'" | pssh "$W/admin.token" ssh.corp.internal 'sha256sum' 2>/dev/null |
	cut -d' ' -f1)
check "... and 4 MB there, checksum equal" test "$got" = "$want"
out=$(pssh "$W/admin.token" 10.20.0.5 'echo by address' 2>&1)
check "... by address (a CIDR route's rule) ($out)" test "$out" = "by address"
out=$(pssh "$W/bob.token" ssh.corp.internal 'echo in' 2>&1; echo "rc=$?")
check "bob (no rule for him) is refused, and told why ($out)" \
	says "$out" "ssh.corp.internal:22: the gateway's policy blocks it"
out=$(pssh "$W/admin.token" ssh.elsewhere.example 'echo in' 2>&1)
check "a name no route covers: refused, and said ($out)" \
	sh -c "case '$out' in *'routes no remote tunnel'*) ;; *) exit 1;; esac"
out=$(pssh "$W/admin.token" 10.30.0.5 'echo in' 2>&1)
check "an address of a local tunnel's route: refused, access reaches remote tunnels ($out)" \
	says "$out" "10.30.0.5:22: the gateway routes no remote tunnel to it"

# ---- curl through ztctl access tcp ----------------------------------------------------------
# forward TOKEN HOST:PORT LOCALPORT: ztctl access tcp in the client, in the background.
forward() {
	in_cli "$O/ztctl" access tcp --hostname "$2" --url "127.0.0.1:$3" --token-file "$1" \
		>>"$W/access-$3.log" 2>&1 &
	echo $!
}
listening() { in_cli ss -ltn | grep -q "127.0.0.1:$1 "; }
F1=$(forward "$W/carol.token" web.corp.internal:80 18080)
wait_until 5 listening 18080
got=""
for _ in 1 2 3; do
	got+="$(in_cli curl -s --max-time 5 http://127.0.0.1:18080/);"
done
check "curl through ztctl access tcp, carol (group ops) to web.corp.internal:80, 3 of 3 ($got)" \
	test "$got" = "web behind the connector;web behind the connector;web behind the connector;"
# Its connection to the gateway cut (ss -K in the client): it says so, and
# the next local connection dials the gateway again.
in_cli ss -K -tn "( dport = :7844 )" >/dev/null
check "... its connection to the gateway cut, ztctl access says so" \
	wait_until 3 grep -q "the connection to the gateway ended" "$W/access-18080.log"
out=$(in_cli curl -s --max-time 8 http://127.0.0.1:18080/)
check "... and the next curl dials the gateway again ($out)" test "$out" = "web behind the connector"
F2=$(forward "$W/carol.token" secret.corp.internal:80 18081)
wait_until 5 listening 18081
out=$(in_cli curl -s --max-time 5 http://127.0.0.1:18081/; echo "rc=$?")
check "... a DNS policy blocks secret.corp.internal for ops: refused ($out)" \
	sh -c "case '$out' in *rc=0) exit 1;; esac"
check "... and ztctl access says so" \
	wait_until 3 grep -q "secret.corp.internal:80: the gateway's policy blocks it" "$W/access-18081.log"
F3=$(forward "$W/admin.token" web.corp.internal:8080 18082)
wait_until 5 listening 18082
out=$(in_cli curl -s --max-time 5 http://127.0.0.1:18082/)
check "a rule that needs the first bytes (detected_protocol http): admin's HTTP passes ($out)" \
	test "$out" = "web behind the connector"
out=$(in_cli sh -c 'printf "SSH-2.0-OpenSSH_9.2\r\n" | timeout 5 busybox nc 127.0.0.1 18082'; echo "rc=$?")
check "... an SSH banner to the same port is refused by that rule (${out})" \
	sh -c "case '$out' in *HTTP*|*html*) exit 1;; esac"
check "... and ztctl access says the policy blocks it" \
	wait_until 3 grep -q "web.corp.internal:8080: the gateway's policy blocks it" "$W/access-18082.log"
kill "$F1" "$F2" "$F3" 2>/dev/null

# ---- the log and counters --------------------------------------------------------------
check "the network log has access lines: admin steered to dc, bob blocked" \
	wait_until 3 sh -c "grep -q '\"kind\":\"access\",\"user_email\":\"admin@example.com\".*\"tunnel\":\"dc\".*\"action\":\"steer\"' '$W/network.jsonl' &&
		grep -q '\"kind\":\"access\",\"user_email\":\"bob@example.com\".*\"action\":\"drop\".*\"end\":\"blocked\"' '$W/network.jsonl'"
tstat() { ztctl -j status | python3 -c '
import json, sys
t = json.load(sys.stdin)["daemon"]["tunnels"]
print(" ".join(str(t[k]) for k in sys.argv[1:]))' "$@"; }
out=$(tstat access_connections access_streams access_blocked access_failed)
check "ztctl status counts access connections, streams, blocked and failed ($out)" \
	python3 -c 'import sys; c, s, b, f = map(int, sys.argv[1:]); sys.exit(not (c >= 8 and s >= 8 and b >= 2 and f >= 2))' $out

# ---- tokens the gateway refuses ---------------------------------------------------------
# A token signed here with users.key (as ztd would, TTL seconds from now),
# or with another key (tests/netns/utoken.py).
UT="python3 $ROOT/tests/netns/utoken.py"
$UT tamper "$W/admin.token" > "$W/tampered.token"
chmod 600 "$W"/*.token
out=$(pssh "$W/tampered.token" ssh.corp.internal 'echo in' 2>&1; echo "rc=$?")
check "a token with one byte of its email changed is refused ($out)" \
	sh -c "case '$out' in *'refused the user token'*rc=255) ;; *) exit 1;; esac"
check "... ztd logs why: not signed by this gateway" \
	grep -q "refused: user token not signed by this gateway" "$W/ztd.log"
out=$(in_cli $UT garbage 10.2.0.1 7844)
check "garbage where the token goes: GO_AWAY 5 and closed ($out)" test "$out" = "goaway 5"
# Tokens signed here (python3-cryptography: not in the test VM's Python).
if $UT can-sign; then
	$UT sign "$W/state/tls/users.key" "$W/admin.token" admin@example.com 4 > "$W/short.token"
	$UT sign /dev/urandom "$W/admin.token" admin@example.com 3600 > "$W/forged.token"
	chmod 600 "$W"/*.token
	out=$(pssh "$W/short.token" ssh.corp.internal 'echo signed here' 2>&1)
	check "a token made with the gateway's key by another tool is taken ($out)" \
		test "$out" = "signed here"
	out=$(pssh "$W/forged.token" ssh.corp.internal 'echo in' 2>&1; echo "rc=$?")
	check "a token signed by another key is refused ($out)" \
		sh -c "case '$out' in *'refused the user token'*rc=255) ;; *) exit 1;; esac"
	# A 3-second token: a session open when it expires is closed by the
	# gateway within a keepalive (5 s).
	$UT sign "$W/state/tls/users.key" "$W/admin.token" admin@example.com 3 > "$W/short.token"
	start=$(date +%s)
	out=$(pssh "$W/short.token" ssh.corp.internal 'echo started; sleep 30; echo still here' 2>&1)
	took=$(($(date +%s) - start))
	check "a session whose token expires is closed within a keepalive ($took s; $out)" \
		sh -c "case '$out' in started*'still here'*) exit 1;; started*) [ $took -lt 15 ];; *) exit 1;; esac"
	out=$(pssh "$W/short.token" ssh.corp.internal 'echo in' 2>&1)
	check "... and the expired token is refused before dialling ($out)" \
		sh -c "case '$out' in *'the token expired'*) ;; *) exit 1;; esac"
else
	for n in "a token made with the gateway's key by another tool is taken" \
		 "a token signed by another key is refused" \
		 "a session whose token expires is closed within a keepalive" \
		 "... and the expired token is refused before dialling"; do
		echo "skip - $n: no python3-cryptography here to sign one"
	done
fi

# Revoked: the live session ends, the next one is refused.
pssh "$W/admin.token" ssh.corp.internal 'echo started; sleep 30; echo still here' \
	> "$W/revoked.out" 2>&1 &
P=$!
check "a session with admin's token runs" wait_until 5 grep -q started "$W/revoked.out"
out=$(ztctl user revoke "$ADMIN_ID" 2>&1)
check "ztctl user revoke $ADMIN_ID ($out)" sh -c "case '$out' in *revoked*) ;; *) exit 1;; esac"
check "... the revoked token's live session ends" wait_until 5 sh -c "! kill -0 $P 2>/dev/null"
check "... without finishing" sh -c "! grep -q 'still here' '$W/revoked.out'"
out=$(pssh "$W/admin.token" ssh.corp.internal 'echo in' 2>&1)
check "... and it is refused from now on ($out)" \
	sh -c "case '$out' in *'refused the user token'*) ;; *) exit 1;; esac"
out=$(ztctl user revoke 0123 2>&1; echo "rc=$?")
check "revoke with a malformed id is refused ($out)" says "$out" "is 32 hex digits"

# A reload that no longer allows a live session ends it.
ztctl user token --email admin@example.com --output "$W/admin2.token" >/dev/null 2>&1
pssh "$W/admin2.token" ssh.corp.internal 'echo started; sleep 30; echo still here' \
	> "$W/reload.out" 2>&1 &
P=$!
check "a session with admin's new token runs" wait_until 5 grep -q started "$W/reload.out"
write_config block
ztctl reload >/dev/null
check "a reload that blocks admin's ssh ends the live session" \
	wait_until 5 sh -c "! kill -0 $P 2>/dev/null"
check "... logged as revoked" wait_until 3 grep -q '"kind":"access".*"end":"revoked"' "$W/network.jsonl"
write_config
ztctl reload >/dev/null

# A stream that names a host and an address both: refused (the decision
# would be for the name, the connector would dial the address).
out=$(in_cli $UT both 10.2.0.1 7844 "$W/admin2.token" ssh.corp.internal 10.20.0.99 22)
check "an OPEN naming a host and an address both is refused as a protocol error ($out)" \
	test "$out" = "rst 7"
# 65 streams at once on one connection, each waiting for its first bytes
# (a detected_protocol rule): 64 wait, the 65th is refused at the limit.
out=$(in_cli $UT streams 10.2.0.1 7844 "$W/admin2.token" 65 web.corp.internal 8080)
check "one access connection holds 64 streams at once: the 65th is refused ($out)" \
	test "$out" = "pending=64 rst6=1"

# One token's streams on 5 connections at once: 4 x 64 wait, and every
# stream of the fifth connection is refused at the token's 256.
out=$(in_cli $UT streams 10.2.0.1 7844 "$W/admin2.token" 64 web.corp.internal 8080 5 2>"$W/streams.err")
cat "$W/streams.err" >&2
check "one token holds at most 256 access streams over its connections: 64 more refused ($out)" \
	test "$out" = "pending=256 rst6=64"

# One token, many connections: past 16 the gateway refuses the next.
out=$(in_cli $UT hold 10.2.0.1 7844 "$W/admin2.token" 17)
check "one token holds at most 16 access connections: the 17th is refused ($out)" \
	test "$out" = "accepted=16 refused=1"
out=$(pssh "$W/carol.token" web.corp.internal 'echo in' 2>&1)
check "... another user's token is not held up by it (carol: $out)" \
	says "$out" "web.corp.internal:22: the gateway's policy blocks it"

# ---- the connector's ingress rules --------------------------------------------------------
printf 'ingress:\n  - {hostname: a.b, service: dial}\n' > "$W/bad.yaml"
out=$(in_priv "$O/ztconnector" --config "$W/bad.yaml" 2>&1; echo "rc=$?")
check "ztconnector refuses ingress rules with no catch-all last, saying where ($out)" \
	says "$out" "bad.yaml:2:5: the last ingress rule must match everything"
cat > "$W/connector.yaml" <<YAML
token_file: $W/dc.token
name: dc2
resolver: 10.20.0.5
ingress:
  - {hostname: shell.corp.internal, port: 22, service: 'tcp://127.0.0.1:22'}
  - {hostname: '*.corp.internal', port: 22, service: dial}
  - {hostname: '*.corp.internal', port: 80, service: dial}
  - {service: refuse}
YAML
kill -TERM "$CONN" 2>/dev/null
wait "$CONN" 2>/dev/null
nsenter --net=/run/netns/"$PRIV" "$O/ztconnector" --config "$W/connector.yaml" --user nobody \
	>>"$W/connector2.log" 2>&1 &
CONN=$!
by_dc2() { ztctl -j tunnel status dc | grep -q '"connector":"dc2"' && healthy; }
check "the connector started with --config is up" wait_until 15 by_dc2
out=$(pssh "$W/admin2.token" shell.corp.internal 'echo $SSH_CONNECTION' 2>&1)
check "an ingress rule's service: shell.corp.internal (unknown to the private DNS) reaches tcp://127.0.0.1:22 ($out)" \
	sh -c "case '$out' in '127.0.0.1 '*' 127.0.0.1 22') ;; *) exit 1;; esac"
out=$(pssh "$W/admin2.token" ssh.corp.internal 'echo dialled' 2>&1)
check "... a rule that dials: ssh.corp.internal as asked ($out)" test "$out" = dialled
F4=$(forward "$W/admin2.token" web.corp.internal:8080 18083)
wait_until 5 listening 18083
out=$(in_cli curl -s --max-time 5 http://127.0.0.1:18083/; echo "rc=$?")
check "... the catch-all refuses web.corp.internal:8080, which the gateway allows ($out)" \
	sh -c "case '$out' in *rc=0) exit 1;; esac"
check "... and ztctl access says the connector's rules refuse it" \
	wait_until 3 grep -q "web.corp.internal:8080: the connector's ingress rules refuse it" \
	"$W/access-18083.log"
check "... and the connector logs the rule" \
	grep -q "web.corp.internal port 8080 refused by ingress rule 4 (line 8)" "$W/connector2.log"
kill "$F4" 2>/dev/null

kill -TERM "$CONN" 2>/dev/null
wait "$CONN" 2>/dev/null
echo "# access: $fail failed"
exit 0
