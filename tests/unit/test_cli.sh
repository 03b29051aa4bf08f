#!/usr/bin/env bash
# test_cli.sh — ztctl's offline commands as an operator runs them: cidr
# subtract, split-tunnel in both modes and formats, and the errors bad
# arguments get (exit 2 and a message that says what to do), status and
# reload with no daemon (exit 3). Usage: test_cli.sh BUILD_DIR
set -u
O=$(cd "${1:-build}" && pwd)
W=$(mktemp -d /tmp/zt-cli.XXXXXX)
trap 'rm -rf "$W"' EXIT
export ZT_NAMES_PATH=$W/names
ztctl() { "$O/ztctl" --socket "$W/none.sock" --pin-root "$W/nopin" "$@"; }
check() { local n=$1; shift; if "$@"; then echo "ok - $n"; else echo "not ok - $n"; fi; }

check "cidr subtract: the minimal cover, one per line" \
	test "$(ztctl cidr subtract 172.16.0.0/12 172.31.0.0/16 | tr '\n' ' ')" = \
	     "172.16.0.0/13 172.24.0.0/14 172.28.0.0/15 172.30.0.0/16 "
check "cidr subtract: IPv6" \
	test "$(ztctl cidr subtract fd00::/8 fd80::/9 fd00::/10 | tr '\n' ' ')" = "fd40::/10 "
check "cidr subtract: a sub covering the base leaves nothing" \
	test -z "$(ztctl cidr subtract 10.1.0.0/16 10.0.0.0/8)"
out=$(ztctl cidr subtract 10.0.0.0/8 10.1.2.3/16 2>&1); rc=$?
check "cidr subtract: host bits are an error (exit 2)" \
	test "$rc" = 2 -a -n "$(echo "$out" | grep "not a CIDR prefix")"
out=$(ztctl cidr subtract 10.0.0.0/8 fd00::/8 2>&1); rc=$?
check "cidr subtract: mixed families are an error" test "$rc" = 2 -a -n "$(echo "$out" | grep "same family")"

cat > "$W/ex.yaml" <<'YAML'
gateway: {interface: lo}
split_tunnels: {mode: exclude, entries: [192.168.0.0/16, {address: 172.16.0.0/12, description: home}, "fc00::/7"]}
YAML
cat > "$W/in.yaml" <<'YAML'
gateway: {interface: lo}
split_tunnels: {mode: include, entries: [10.2.0.0/24, "fd00:2::/64"]}
YAML
# Exclude: everything but the entries; check coverage with python's ipaddress.
check "split-tunnel exclude: exactly 0.0.0.0/0 and ::/0 minus the entries" python3 -c '
import ipaddress,json,subprocess,sys
d=json.loads(subprocess.check_output(sys.argv[1:]))
assert d["mode"]=="exclude"
got=[ipaddress.ip_network(p) for p in d["prefixes"]]
ex=[ipaddress.ip_network(p) for p in ("192.168.0.0/16","172.16.0.0/12","fc00::/7")]
for fam,allnet in ((4,"0.0.0.0/0"),(6,"::/0")):
    want=[ipaddress.ip_network(allnet)]
    for e in ex:
        if e.version!=fam: continue
        want=[x for w in want for x in (w.address_exclude(e) if e.subnet_of(w) else [w])]
    assert sorted(g for g in got if g.version==fam)==sorted(want), (fam, got, want)' \
	"$O/ztctl" -j split-tunnel --config "$W/ex.yaml"
check "split-tunnel include, ip route lines" \
	test "$(ztctl split-tunnel --config "$W/in.yaml" --dev wg0)" = "ip route add 10.2.0.0/24 dev wg0
ip route add fd00:2::/64 dev wg0"
check "split-tunnel include, WireGuard AllowedIPs" \
	test "$(ztctl split-tunnel --config "$W/in.yaml" --format wireguard)" = "AllowedIPs = 10.2.0.0/24, fd00:2::/64"
out=$(ztctl split-tunnel --config "$W/in.yaml" --format yaml 2>&1); rc=$?
check "split-tunnel: an unknown format is an error naming the choices" \
	test "$rc" = 2 -a -n "$(echo "$out" | grep "say routes or wireguard")"
out=$(ztctl split-tunnel 2>&1); rc=$?
check "split-tunnel: no config and no ztd record says to pass --config" \
	test "$rc" = 1 -a -n "$(echo "$out" | grep "pass --config FILE")"

C=$(cd "$(dirname "$0")/../bpf" && pwd)/classifier.yaml
for bad in "--src 10.10.0.2 --dst ::1 --proto tcp --dport 1|one family" \
	   "--src 10.10.0.2 --dst 10.2.0.5 --proto tcp|--dport is required" \
	   "--src 10.10.0.2 --dst 10.2.0.5 --proto icmp --dport 3|no meaning" \
	   "--src 10.10.0.2 --dst 10.2.0.5 --proto sctp --dport 3|say tcp, udp or icmp" \
	   "--src 10.10.0.2 --dst 10.2.0.5 --proto tcp --dport 70000|not a port number" \
	   "--src 10.10.0.2 --dst 10.2.0.5 --proto udp --dport 53 --sni x|need --proto tcp" \
	   "--src 10.10.0.2 --dst 10.3.0.1 --proto tcp --dport 443 --detected-protocol smtp|say tls, http, ssh or unknown" \
	   "--src 10.10.0.2 --dst 10.3.0.1 --proto tcp --dport 443 --sni a.b --detected-protocol ssh|goes with --detected-protocol tls" \
	   "--src 10.10.0.2 --proto tcp --dport 22|are required"; do
	args=${bad%%|*} want=${bad#*|}
	# shellcheck disable=SC2086
	out=$(ztctl policy test --config "$C" $args 2>&1); rc=$?
	check "policy test $args: exit 2, '$want'" test "$rc" = 2 -a -n "$(echo "$out" | grep -F -- "$want")"
done
out=$(ztctl -j policy test --config "$C" --src 10.10.0.2 --dst 10.3.0.1 --proto tcp --dport 443 --sni app.internal.local)
check "policy test --sni: the L7 rule decides as the proxy will" \
	test -n "$(echo "$out" | grep '"rule":"sni".*"verdict":"steer","reason":"rule"')"
out=$(ztctl -j policy test --config "$C" --src 10.10.0.2 --dst 10.3.0.1 --proto tcp --dport 443 --sni x.other)
check "policy test --sni not matching: the next rule decides" \
	test -n "$(echo "$out" | grep '"rule":"catch-all".*"verdict":"drop"')"
out=$(ztctl -j policy test --config "$C" --src 10.10.0.2 --dst 10.3.0.1 --proto tcp --dport 443 --detected-protocol ssh)
check "policy test --detected-protocol ssh: no server name, the sni rule does not match" \
	test -n "$(echo "$out" | grep '"detected_protocol":"ssh".*"rule":"catch-all".*"verdict":"drop"')"
# An sni rule on every port of a CIDR route: the client's SNI counts on
# 443 only, unless gateway.proxy.detect_all_ports (as the proxy decides).
sni_cfg() { # sni_cfg DETECT_ALL
	cat > "$W/sni.yaml" <<YAML
gateway: {interface: lo, default_action: block, proxy: {detect_all_ports: $1}}
tunnels: [{name: t, local: true}]
routes: {cidr: [{network: 10.2.0.0/24, tunnel: t}]}
network_policies:
  - {name: by sni, precedence: 1, action: allow, match: {dst_ip: 10.2.0.0/24, sni: [a.example]}}
YAML
}
sni_cfg false
out=$(ztctl -j policy test --config "$W/sni.yaml" --src 10.10.0.9 --dst 10.2.0.5 --proto tcp --dport 8443 --sni a.example)
check "policy test --sni on port 8443: not counted (the default decides)" \
	test -n "$(echo "$out" | grep '"verdict":"drop","reason":"default"')"
out=$(ztctl -j policy test --config "$W/sni.yaml" --src 10.10.0.9 --dst 10.2.0.5 --proto tcp --dport 443 --sni a.example)
check "... on 443 it is (direct by the sni rule)" \
	test -n "$(echo "$out" | grep '"rule":"by sni".*"verdict":"direct"')"
sni_cfg true
out=$(ztctl -j policy test --config "$W/sni.yaml" --src 10.10.0.9 --dst 10.2.0.5 --proto tcp --dport 8443 --sni a.example)
check "... and on 8443 with gateway.proxy.detect_all_ports" \
	test -n "$(echo "$out" | grep '"rule":"by sni".*"verdict":"direct"')"
printf 'gateway: {interface: lo, colour: red}\n' > "$W/bad.yaml"
out=$(ztctl policy test --config "$W/bad.yaml" --src 10.10.0.2 --dst 10.2.0.5 --proto icmp 2>&1); rc=$?
check "policy test on an invalid config prints its errors" \
	test "$rc" = 1 -a -n "$(echo "$out" | grep "bad.yaml:1:[0-9]*: unknown key 'colour'")"

out=$(ztctl status 2>&1); rc=$?
check "status with no daemon and no maps: exit 3, says so" \
	test "$rc" = 3 -a -n "$(echo "$out" | grep '^ztd: not running')" \
	     -a -n "$(echo "$out" | grep 'nothing is enforced')"
out=$(ztctl reload 2>&1); rc=$?
check "reload with no daemon: exit 3, asks whether ztd runs" \
	test "$rc" = 3 -a -n "$(echo "$out" | grep 'is ztd running')"
out=$(ztctl bogus 2>&1); rc=$?
check "an unknown command: exit 2, points to --help" test "$rc" = 2 -a -n "$(echo "$out" | grep -- '--help')"
# dns test: decided on the config, as ztd's server decides.
cat > "$W/dns.yaml" <<YAML
gateway: {interface: lo, state_dir: $W/state}
tunnels: [{name: vpc}]
routes: {hostname: [{hostname: '*.internal.local', tunnel: vpc}, {hostname: ssh.internal.local, tunnel: vpc}]}
devices: [{ip: 10.10.0.3, email: bob@example.com}, {ip: 10.10.0.2, email: ann@example.com}]
dns_policies:
  - {name: Hide secret, precedence: 5, action: block, match: {host: secret.internal.local, user_email: bob@example.com}}
YAML
mkdir -p "$W/state"
echo "ipv4 100.80.0.7 default ssh.internal.local 1" > "$W/state/iri.state"
out=$(ztctl -j dns test secret.internal.local --user bob@example.com --config "$W/dns.yaml")
check "dns test: a DNS policy block, NXDOMAIN with EDE 15" python3 -c '
import json,sys; d=json.loads(sys.argv[1])
assert d["action"]=="block" and d["rcode"]=="NXDOMAIN" and d["ede"]==15 and d["policy"]=="Hide secret", d' "$out"
out=$(ztctl -j dns test Secret.Internal.Local. --src 10.10.0.2 --config "$W/dns.yaml")
check "dns test: another user gets an IRI from the wildcard route" python3 -c '
import json,sys; d=json.loads(sys.argv[1])
assert d["action"]=="answer" and d["route"]=="*.internal.local" and d["answer"].startswith("a new IRI from 100.80.0.0/16"), d' "$out"
out=$(ztctl -j dns test ssh.internal.local --config "$W/dns.yaml")
check "dns test: the exact route wins, with the IRI ztd gave out" python3 -c '
import json,sys; d=json.loads(sys.argv[1])
assert d["route"]=="ssh.internal.local" and d["answer"]=="100.80.0.7", d' "$out"
out=$(ztctl dns test ssh.internal.local --type TXT --config "$W/dns.yaml")
check "dns test --type TXT on a routed name: nodata" grep -q "action:  nodata (NOERROR)" <<<"$out"
out=$(ztctl dns test a.b.internal.local --config "$W/dns.yaml")
check "dns test: two labels under a wildcard are not routed; no upstream: refuse" \
	grep -q "action:  refuse (REFUSED)" <<<"$out"
for bad in "|which name?" "a!b|holds a character" "x --type BOGUS|--type 'BOGUS'" \
	   "x --user a@b --src 1.2.3.4|give one" "x --user nobody@x|no device of user" \
	   "x y|one NAME only" "x --src nope|not an address"; do
	args=${bad%%|*} want=${bad#*|}
	# shellcheck disable=SC2086
	out=$(ztctl dns test --config "$W/dns.yaml" $args 2>&1); rc=$?
	check "dns test $args: fails, '$want'" test "$rc" != 0 -a -n "$(echo "$out" | grep -F -- "$want")"
done

# ztctl access and user: bad command lines are refused (2) before
# anything is dialled or asked; a token file that is not one is said (1).
echo "not a token" > "$W/junk.token"
for bad in "2|access ssh|needs --hostname" "2|access tcp --hostname h|needs --hostname HOST:PORT" \
	   "2|access tcp --hostname h --url 80|is HOST:PORT" \
	   "1|access tcp --hostname h:80 --url 99999 --token-file $W/junk.token|not a user token" \
	   "2|access ssh --hostname 'a b'|is a host name or address" \
	   "2|access ftp|unknown verb" "1|access ssh --hostname h --token-file $W/none|No such file" \
	   "1|access ssh --hostname h --token-file $W/junk.token|not a user token" \
	   "2|user token|needs --email" "2|user token --email a@b --ttl 5x|--ttl takes" \
	   "2|user revoke|one token id" "2|user frob|unknown verb"; do
	want_rc=${bad%%|*} rest=${bad#*|}
	args=${rest%%|*} want=${rest#*|}
	out=$(eval "\"\$O/ztctl\" --socket \"\$W/none.sock\" $args" 2>&1); rc=$?
	check "ztctl $args: exit $want_rc, '$want' ($out)" \
		test "$rc" = "$want_rc" -a -n "$(echo "$out" | grep -F -- "$want")"
done

# Each command's own usage, on stdout, and exit 0: captured, not piped,
# so that ztctl's status is the one checked.
out=$("$O/ztctl" --help 2>/dev/null); rc=$?
check "ztctl --help exits 0 and lists every command" \
	test "$rc" = 0 -a -n "$(echo "$out" | grep '^usage: ztctl')" \
	     -a "$(echo "$out" | grep -cE '^  (status|reload|maps|policy|proxy|tunnel|user|access|split-tunnel|dns|cidr) ')" = 11
for c in status reload maps policy proxy tunnel user access split-tunnel cidr dns; do
	out=$("$O/ztctl" $c --help 2>/dev/null); rc=$?
	check "ztctl $c --help exits 0 and shows its usage" \
		test "$rc" = 0 -a -n "$(echo "$out" | head -1 | grep -E "^usage: ztctl.* $c( |\$)")"
done
exit 0
