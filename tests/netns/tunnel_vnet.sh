#!/usr/bin/env bash
# tunnel_vnet.sh — two remote tunnels whose private networks overlap,
# kept apart by their virtual networks: networks A and B both have a
# server at 10.20.0.5 (each page says which network it is), each takes no
# inbound connection (nftables) and has its own ztconnector dialing out to
# the gateway. alice is in vnet "default" (routed to tunnel dca), bob in
# vnet "b" (the same prefix routed to tunnel dcb). Checked: each reaches
# only its own network's server, each tunnel's stream counter grows by its
# own users' flows only, and with B's connector gone bob's flow is refused
# at the gateway instead of going to A, whose connector is still up; an
# SNI rule limited to vnet b is decided at the gateway for B's flows only.
# Usage: tunnel_vnet.sh BUILD_DIR
set -u
. "$(dirname "$0")/../lib/netns.sh"
netns_run zv tunnelvnet "${1:-build}"
PRIVB=$ID-privb
netns_trap "$PRIVB"
needs "not ok -" python3 nft curl openssl busybox

in_privb() { nsenter --net=/run/netns/"$PRIVB" "$@"; }

# ---- topology --------------------------------------------------------------------
# cli0 -- gw0 (GW) priv0 -- srv0 (A: 10.2.0.5), privb0 -- srvb0 (B: 10.3.0.5).
netns_chain "$CLI" "$GW" "$PRIV" && netns_chain_dual "$CLI" "$GW" "$PRIV" &&
	netns_add "$PRIVB" && netns_veth "$GW" privb0 "$PRIVB" srvb0 || exit 1
ip -n "$GW" addr add 10.3.0.1/24 dev privb0 && ip -n "$GW" link set privb0 up
ip -n "$PRIVB" addr add 10.3.0.5/24 dev srvb0 && ip -n "$PRIVB" link set srvb0 up
# B's connector dials the gateway's one endpoint address (10.2.0.1) by it.
ip -n "$PRIVB" route add default via 10.3.0.1
for n in "$PRIV" "$PRIVB"; do
	ip -n "$n" addr add 10.20.0.5/32 dev lo
	netns_no_inbound "$n"
done
ip -n "$CLI" route add 10.20.0.0/24 via 10.10.0.1

# Each network's own server at the same address, saying which it is: a
# plain page on 80 and TLS on 443.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj /CN=app.b.internal -keyout "$W/key.pem" -out "$W/cert.pem" 2>/dev/null
for x in a b; do
	mkdir -p "$W/www-$x" && echo "network $x" > "$W/www-$x/index.html"
done
in_priv busybox httpd -p 10.20.0.5:80 -h "$W/www-a"
in_privb busybox httpd -p 10.20.0.5:80 -h "$W/www-b"
for ns in "$PRIV" "$PRIVB"; do
	nsenter --net=/run/netns/"$ns" openssl s_server -quiet -www -accept 443 \
		-cert "$W/cert.pem" -key "$W/key.pem" >/dev/null 2>&1 &
done
sleep 0.3

# ---- gateway ---------------------------------------------------------------------
cat > "$W/ztd.yaml" <<YAML
gateway:
  interface: gw0
  default_action: block
  state_dir: $W/state
  connector_listen: [10.2.0.1:7844]
  log: {network: $W/network.jsonl}
virtual_networks:
  - {name: default, default: true}
  - {name: b}
tunnels:
  - {name: dca}
  - {name: dcb, vnet: b}
routes:
  cidr:
    - {network: 10.20.0.0/24, tunnel: dca}
    - {network: 10.20.0.0/24, tunnel: dcb}
devices:
  - {ip: 10.10.0.2, email: alice@example.com}
  - {ip: 10.10.0.3, email: bob@example.com, vnet: b}
network_policies:
  - {name: web, precedence: 10, action: allow, match: {dst_ip: 10.20.0.0/24, dst_port: 80}}
  - {name: b app by SNI, precedence: 20, action: allow,
     match: {dst_ip: 10.20.0.0/24, dst_port: 443, sni: app.b.internal, vnet: b}}
YAML
ztd_start "$GW" "$W/ztd.yaml" "$PIN" "$SOCK" "$W/ztd.log" || { bad "ztd starts"; exit 0; }
ztctl() { "$O/ztctl" --pin-root "$PIN" --socket "$SOCK" "$@"; }
# tun NAME FIELD: a field of the tunnel in ztctl tunnel list -j.
tun() {
	ztctl -j tunnel list | python3 -c '
import json, sys
print(next(t[sys.argv[2]] for t in json.load(sys.stdin)["tunnels"] if t["name"] == sys.argv[1]))' "$1" "$2"
}
ztctl tunnel create dca --output "$W/dca.token" >/dev/null &&
	ztctl tunnel create dcb --output "$W/dcb.token" >/dev/null
# connector NETNS NAME TOKEN_FILE: ztconnector there, as nobody; prints its pid.
connector() {
	nsenter --net=/run/netns/"$1" "$O/ztconnector" --token-file "$3" --name "$2" \
		--user nobody >>"$W/$2.log" 2>&1 &
	echo $!
}
CA=$(connector "$PRIV" ca "$W/dca.token")
CB=$(connector "$PRIVB" cb "$W/dcb.token")
health2() { echo "$(tun dca health) $(tun dcb health)"; }
check "each network's connector brings its tunnel to healthy" \
	wait_until 15 prints "healthy healthy" health2

# ---- flows, each to its own network ----------------------------------------------------
# fetch SRC URL [CURL_ARGS...]: the page's first line, or nothing.
fetch() {
	in_cli curl -s --max-time 5 --interface "$1" "${@:3}" "$2" 2>/dev/null | head -1
}
a0=$(tun dca streams_opened) b0=$(tun dcb streams_opened)
got_a= got_b=
for _ in 1 2 3; do
	got_a+="$(fetch 10.10.0.2 http://10.20.0.5/);"
	got_b+="$(fetch 10.10.0.3 http://10.20.0.5/);"
done
check "alice (vnet default) reaches network A's 10.20.0.5, 3 of 3 ($got_a)" \
	test "$got_a" = "network a;network a;network a;"
check "bob (vnet b) reaches network B's 10.20.0.5, 3 of 3 ($got_b)" \
	test "$got_b" = "network b;network b;network b;"
a1=$(tun dca streams_opened) b1=$(tun dcb streams_opened)
check "each tunnel carried its own user's 3 streams, none of the other's (dca +$((a1 - a0)), dcb +$((b1 - b0)))" \
	test "$((a1 - a0)) $((b1 - b0))" = "3 3"
# by_tunnel USER TUNNEL: the network log's proxy lines of USER through TUNNEL.
by_tunnel() {
	grep -c "\"kind\":\"proxy\".*\"user_email\":\"$1\".*\"tunnel\":\"$2\"" "$W/network.jsonl"
}
logged() { echo "$(by_tunnel alice@example.com dca) $(by_tunnel alice@example.com dcb)" \
	"$(by_tunnel bob@example.com dcb) $(by_tunnel bob@example.com dca)"; }
check "... the network log names each flow's tunnel: alice's 3 dca, bob's 3 dcb ($(logged))" \
	wait_until 3 prints "3 0 3 0" logged

# An SNI rule of vnet b: decided at the gateway, for B's flows only.
a0=$(tun dca streams_opened) b0=$(tun dcb streams_opened)
out=$(fetch 10.10.0.3 https://app.b.internal/ -k --resolve app.b.internal:443:10.20.0.5)
check "bob with the SNI vnet b's rule allows: through to network B ($out; dcb +$(($(tun dcb streams_opened) - b0)), dca +$(($(tun dca streams_opened) - a0)))" \
	sh -c "case '$out' in *HTML*|*html*) ;; *) exit 1;; esac &&
	       [ $(($(tun dcb streams_opened) - b0)) = 1 ] && [ $(tun dca streams_opened) = $a0 ]"
out=$(fetch 10.10.0.2 https://app.b.internal/ -k --resolve app.b.internal:443:10.20.0.5)
check "... alice with the same SNI (vnet default): refused (${out:-nothing})" test -z "$out"

# B's connector gone: bob's flows are refused at the gateway, never sent
# to A's connector (up, and its network has the same address).
kill -TERM "$CB"
wait "$CB" 2>/dev/null
check "B's connector stopped: dcb down, dca still healthy" \
	wait_until 10 prints "healthy down" health2
a0=$(tun dca streams_opened)
out=$(fetch 10.10.0.3 http://10.20.0.5/)
check "bob's flow with dcb down is refused, not sent through dca (${out:-nothing})" test -z "$out"
check "... dca opened no stream for it ($(($(tun dca streams_opened) - a0)) new)" \
	test "$(tun dca streams_opened)" = "$a0"
check "... logged at the gateway as no connector" \
	wait_until 3 grep -q '"user_email":"bob@example.com".*"end":"no_connector"' "$W/network.jsonl"
out=$(fetch 10.10.0.2 http://10.20.0.5/)
check "alice's still reach network A ($out)" test "$out" = "network a"

# The token of one tunnel is no key to the other: B's connector started
# again with A's token joins dca (A's connections go up to 8, and its
# flows may now reach network B: the operator gave network B A's token),
# never dcb.
CB=$(connector "$PRIVB" cb2 "$W/dca.token")
# joined: dca's connections are from ca and cb2, dcb is still down.
joined() { [ "$(tun dcb health) $(ztctl -j tunnel status dca | python3 -c '
import json, sys
print(",".join(sorted({c["connector"] for c in json.load(sys.stdin)["connections"]})))')" = "down ca,cb2" ]; }
check "a connector with A's token in network B is one of dca's, never dcb's" wait_until 15 joined
kill -TERM "$CB" "$CA"
wait "$CB" "$CA" 2>/dev/null

echo "# tunnel_vnet: $fail failed"
exit 0
