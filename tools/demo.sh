#!/usr/bin/env bash
# demo.sh — `make demo`: a client, a gateway running ztd with
# examples/ztd.yaml, a private network with web servers (a local tunnel)
# and a staging VPC that takes no inbound connection, reached through a
# ztconnector that dials out (a remote tunnel), in network namespaces;
# shows traffic allowed and blocked, the connector's health, `ztctl maps
# dump` and the log, then cleans up (at the end, on Ctrl-C, or with
# --clean).
# Usage: demo.sh BUILD_DIR [--clean]
set -u
. "$(dirname "$0")/../tests/lib/netns.sh" # sets ROOT
O=$(cd "${1:-build}" && pwd)
CLI=zt-demo-cli GW=zt-demo-gw PRIV=zt-demo-priv STG=zt-demo-stg
W=/tmp/zt-demo
PIN=/sys/fs/bpf/zt-demo
export ZT_NAMES_PATH=$W/names

cleanup() {
	[ -f "$W/ztd.pid" ] && kill -TERM "$(cat "$W/ztd.pid")" 2>/dev/null
	[ -f "$W/connector.pid" ] && kill -TERM "$(cat "$W/connector.pid")" 2>/dev/null
	[ -f "$W/access.pid" ] && kill -TERM "$(cat "$W/access.pid")" 2>/dev/null
	if ip netns list 2>/dev/null | grep -q "^$GW"; then
		nsenter --net=/run/netns/$GW "$O/ztd" --detach --pin-root "$PIN" >/dev/null 2>&1
	fi
	rm -rf "$PIN" 2>/dev/null
	netns_remove "$CLI" "$GW" "$PRIV" "$STG"
	rm -rf "$W"
}
if [ "${2:-}" = --clean ]; then
	cleanup
	echo "zt demo: namespaces, pins and files removed"
	exit 0
fi
cleanup
trap 'echo; echo "zt demo: cleaning up"; cleanup' EXIT
trap 'exit 130' INT TERM

say()  { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run()  { printf '$ %s\n' "$*"; "$@"; }
in_cli() { nsenter --net=/run/netns/$CLI "$@"; }
in_gw()  { nsenter --net=/run/netns/$GW "$@"; }
in_stg() { nsenter --net=/run/netns/$STG "$@"; }
ztctl()  { in_gw "$O/ztctl" --pin-root "$PIN" --socket "$W/ztd.sock" "$@"; }

say "building the topology: $CLI (10.10.0.2 admin, 10.10.0.3 bob, 10.10.0.4 carol) -> $GW (ztd on zt0) -> $PRIV, and $STG (a staging VPC behind a connector)"
mkdir -p "$W/www" "$W/www-stg"
echo "hello from the private network" > "$W/www/index.html"
echo "hello from the staging VPC, through its connector" > "$W/www-stg/index.html"
for n in $CLI $GW $PRIV $STG; do ip netns add $n && ip -n $n link set lo up || exit 1; done
ip -n $CLI link add cli0 type veth peer name zt0 netns $GW
ip -n $GW link add priv0 type veth peer name srv0 netns $PRIV
ip -n $CLI addr add 10.10.0.2/24 dev cli0
ip -n $CLI addr add 10.10.0.3/24 dev cli0
ip -n $CLI addr add 10.10.0.4/24 dev cli0
ip -n $CLI link set cli0 up
ip -n $CLI route add 10.2.0.0/24 via 10.10.0.1
ip -n $CLI route add 100.80.0.0/16 via 10.10.0.1
ip -n $CLI route add 10.3.0.1/32 via 10.10.0.1 # the gateway's endpoint (ztctl access)
ip -n $GW addr add 10.10.0.1/24 dev zt0
ip -n $GW addr add 10.2.0.1/24 dev priv0
ip -n $GW link set zt0 up
ip -n $GW link set priv0 up
in_gw sysctl -qw net.ipv4.ip_forward=1
ip -n $PRIV addr add 10.2.0.5/24 dev srv0
ip -n $PRIV addr add 10.2.0.6/24 dev srv0
ip -n $PRIV addr add 10.2.0.53/24 dev srv0
ip -n $PRIV link set srv0 up
ip -n $PRIV route add default via 10.2.0.1
for p in 80 9090; do nsenter --net=/run/netns/$PRIV busybox httpd -p $p -h "$W/www"; done
# The private network's resolver (where ztd learns the real addresses behind
# IRIs) and an OpenSSH server on the bastion.
echo "10.2.0.5 ssh.internal.local" > "$W/hosts"
nsenter --net=/run/netns/$PRIV dnsmasq --no-resolv --no-hosts --addn-hosts="$W/hosts" \
	--listen-address=10.2.0.53 --bind-interfaces --user=root --pid-file="$W/dnsmasq.pid"
mkdir -p /run/sshd "$W/ssh" && chmod 700 "$W/ssh"
ssh-keygen -q -t ed25519 -N '' -f "$W/ssh/host" && ssh-keygen -q -t ed25519 -N '' -f "$W/ssh/user"
cp "$W/ssh/user.pub" "$W/ssh/authorized_keys"
printf '%s\n' "ListenAddress 10.2.0.5:22" "HostKey $W/ssh/host" \
	"AuthorizedKeysFile $W/ssh/authorized_keys" "PermitRootLogin prohibit-password" \
	"PasswordAuthentication no" "StrictModes no" "UsePAM no" "PidFile $W/ssh/sshd.pid" \
	> "$W/ssh/sshd_config"
nsenter --net=/run/netns/$PRIV "$(command -v sshd || echo /usr/sbin/sshd)" -f "$W/ssh/sshd_config"
# The staging VPC: its own 10.2.0.5 (the same address as the private
# network's server), reachable from the gateway at 10.3.0.5 only by what it
# dials out: nftables there drops every inbound connection.
ip -n $GW link add stg0 type veth peer name vpc0 netns $STG
ip -n $GW addr add 10.3.0.1/24 dev stg0
ip -n $GW link set stg0 up
ip -n $STG addr add 10.3.0.5/24 dev vpc0
ip -n $STG addr add 10.2.0.5/32 dev lo
ip -n $STG link set vpc0 up
ip -n $STG route add default via 10.3.0.1
netns_no_inbound "$STG"
in_stg busybox httpd -p 10.2.0.5:80 -h "$W/www-stg"
in_stg sysctl -qw net.ipv4.ping_group_range="0 2147483647" # the connector pings unprivileged

say "starting ztd with examples/ztd.yaml (log and state paths moved to $W)"
sed -e "s#/var/log/zt/#$W/#" -e "s#/var/lib/zt#$W/state#" \
    -e "s@# origin_resolvers: \[10.2.0.53\]@origin_resolvers: [10.2.0.53]@" \
    "$ROOT/examples/ztd.yaml" > "$W/ztd.yaml"
in_gw sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
in_gw "$O/ztd" --config "$W/ztd.yaml" --pin-root "$PIN" --socket "$W/ztd.sock" > "$W/ztd.log" 2>&1 &
echo $! > "$W/ztd.pid"
for _ in $(seq 300); do grep -q 'running;' "$W/ztd.log" && break; sleep 0.1; done
sed 's/^/  ztd: /' "$W/ztd.log"

fetch() {
	local code
	code=$(in_cli curl -s -o /dev/null -w '%{http_code}' --interface "$1" --connect-timeout 2 \
	       -m 3 "$2")
	if [ "$code" = 200 ]; then echo "  $3: $2 from $1 -> allowed (HTTP 200)"
	else echo "  $3: $2 from $1 -> blocked (no answer)"; fi
}
say "traffic"
fetch 10.10.0.2 http://10.2.0.5/ "admin, web"
fetch 10.10.0.2 http://10.2.0.5:9090/ "admin, port 9090 (catch-all block)"
fetch 10.10.0.3 http://10.2.0.5/ "bob, web"
fetch 10.10.0.3 http://10.2.0.6/ "bob, the database host (blocked for bob)"
sleep 0.3

say "a remote tunnel: staging-vpc, through a ztconnector that dials out of $STG"
echo "  the staging VPC takes no inbound connection; from the gateway, http://10.3.0.5/ -> $(
	in_gw curl -s -o /dev/null --connect-timeout 2 -m 3 http://10.3.0.5/ && echo answered ||
	echo 'no answer (nftables drops it)')"
run ztctl tunnel list
run ztctl tunnel create staging-vpc --output "$W/staging.token"
echo "\$ ztconnector --token-file $W/staging.token --user nobody     (in $STG)"
in_stg "$O/ztconnector" --token-file "$W/staging.token" --user nobody > "$W/connector.log" 2>&1 &
echo $! > "$W/connector.pid"
for _ in $(seq 150); do
	ztctl -j tunnel list | grep -q '"name":"staging-vpc","remote":true,"health":"healthy"' && break
	sleep 0.1
done
sed 's/^/  ztconnector: /' "$W/connector.log"
run ztctl tunnel status staging-vpc
page() { # page WHO SRC URL: what SRC gets from URL
	echo "  $1 ($2): $3 -> $(in_cli curl -s --interface "$2" --connect-timeout 2 -m 3 "$3" ||
		echo '(no answer)')"
}
echo "  The same address in two virtual networks: carol's devices are in vnet staging."
page carol 10.10.0.4 http://10.2.0.5/
page admin 10.10.0.2 http://10.2.0.5/
page "carol, port 9090 (catch-all block)" 10.10.0.4 http://10.2.0.5:9090/
echo "  carol (10.10.0.4): ping 10.2.0.5 -> $(in_cli busybox ping -c 2 -W 2 -I 10.10.0.4 10.2.0.5 2>&1 |
	grep -o '[0-9]* packets received') (through the connector)"
run ztctl tunnel list

say "ztctl access (seed 003): a user with no enrolled device and no route, by token"
run ztctl user token --email dave@example.com --vnet staging --output "$W/dave.token"
echo "\$ ztctl access tcp --hostname 10.2.0.5:80 --url 127.0.0.1:18080 --token-file $W/dave.token    (in $CLI)"
in_cli "$O/ztctl" access tcp --hostname 10.2.0.5:80 --url 127.0.0.1:18080 \
	--token-file "$W/dave.token" > "$W/access.log" 2>&1 &
echo $! > "$W/access.pid"
for _ in $(seq 50); do in_cli ss -ltn | grep -q '127.0.0.1:18080 ' && break; sleep 0.1; done
echo "  dave: curl http://127.0.0.1:18080/ -> $(in_cli curl -s -m 3 http://127.0.0.1:18080/ ||
	echo '(no answer)')"
echo "\$ ztctl access ssh --hostname 10.2.0.5 --port 9090 --token-file $W/dave.token < /dev/null"
in_cli "$O/ztctl" access ssh --hostname 10.2.0.5 --port 9090 --token-file "$W/dave.token" \
	< /dev/null 2>&1 | sed 's/^/  /'
sed 's/^/  /' "$W/access.log"

say "DNS: hostname routes answered with initial resolved IPs (dig @10.10.0.1)"
for q in "10.10.0.2 ssh.internal.local A" "10.10.0.2 ssh.internal.local AAAA" \
	 "10.10.0.2 web.internal.local A" "10.10.0.3 db.internal.local A" \
	 "10.10.0.2 a.b.internal.local A"; do
	set -- $q
	echo "  from $1: $2 $3 -> $(in_cli dig +time=2 +tries=1 -b "$1" @10.10.0.1 "$2" "$3" |
		awk '/status:/ { sub(/,$/, "", $6); st = $6 } /^; EDE/ { ede = " " $0 }
		     !/^;/ && $4 ~ /^(A|AAAA)$/ { ans = " " $5 } END { print st ans ede }')"
done
run "$O/ztctl" dns test db.internal.local --user bob@example.com --config "$W/ztd.yaml"
run in_gw "$O/ztctl" --pin-root "$PIN" maps dump iri
say "DIRECT path: ssh to ssh.internal.local, translated and forwarded in the kernel"
IRI=$(in_cli dig +short +time=2 -b 10.10.0.2 @10.10.0.1 ssh.internal.local A | head -1)
for _ in $(seq 30); do # ztd resolves the real address in the background
	in_gw "$O/ztctl" --pin-root "$PIN" -j maps dump iri | grep -q '"real_address":"10.2.0.5"' && break
	sleep 0.2
done
echo "  ssh -i user-key root@$IRI 'echo \$SSH_CONNECTION'   (as admin, 10.10.0.2)"
echo "  sshd saw: $(in_cli ssh -i "$W/ssh/user" -b 10.10.0.2 -o StrictHostKeyChecking=no \
	-o UserKnownHostsFile=/dev/null -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR \
	"root@$IRI" 'echo $SSH_CONNECTION' 2>&1)"
echo "  (the client's IRI $IRI became 10.2.0.5, the client 10.2.0.1 with a port of gateway.nat_ports)"
run in_gw "$O/ztctl" --pin-root "$PIN" maps dump nat

say "the DNS log ($W/dns.jsonl)"
cat "$W/dns.jsonl"

say "ztd's status (asked on its control socket)"
run in_gw "$O/ztctl" --pin-root "$PIN" --socket "$W/ztd.sock" status

say "what the kernel holds"
run in_gw "$O/ztctl" --pin-root "$PIN" maps dump policy devices flows stats

say "policy test: which rule decides, by the kernel's own evaluation order"
run "$O/ztctl" policy test --config "$W/ztd.yaml" --src 10.10.0.3 --dst 10.2.0.6 --proto tcp --dport 80
run "$O/ztctl" policy test --config "$W/ztd.yaml" --src 10.10.0.2 --dst 10.2.0.5 --proto tcp --dport 9090

say "the network log ($W/network.jsonl)"
cat "$W/network.jsonl"

say "the split-tunnel calculator: what a device routes to the gateway"
run "$O/ztctl" split-tunnel --config "$W/ztd.yaml" --format wireguard
run "$O/ztctl" cidr subtract 172.16.0.0/12 172.31.0.0/16

cat <<TXT

To try it by hand (while this demo waits):
  nsenter --net=/run/netns/$CLI curl -s --interface 10.10.0.3 http://10.2.0.6/
  nsenter --net=/run/netns/$CLI curl -s --interface 10.10.0.4 http://10.2.0.5/   # via the connector
  ZT_NAMES_PATH=$ZT_NAMES_PATH $O/ztctl --socket $W/ztd.sock tunnel status staging-vpc
  nsenter --net=/run/netns/$CLI dig @10.10.0.1 anything.internal.local
  ZT_NAMES_PATH=$ZT_NAMES_PATH $O/ztctl --pin-root $PIN maps dump flows
  ZT_NAMES_PATH=$ZT_NAMES_PATH $O/ztctl policy test --src 10.10.0.3 --dst 10.2.0.5 --proto tcp --dport 80
  edit $W/ztd.yaml, then: $O/ztctl --socket $W/ztd.sock reload
TXT
if [ -t 0 ]; then
	read -r -p "Press Enter to clean up... " _
fi
