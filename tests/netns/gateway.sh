#!/usr/bin/env bash
# gateway.sh — ztd end to end in network namespaces made for the run: a
# client namespace with two enrolled devices, the gateway namespace running
# ztd on its client-facing veth, a private namespace with real servers
# (busybox httpd). Driven by curl and ping; checks verdicts, the counters and
# log lines that say why, reload and revocation, SIGKILL, restart, refusal of
# invalid configs, ztctl JSON, detach. Usage: gateway.sh BUILD_DIR
set -u
. "$(dirname "$0")/../lib/netns.sh"
netns_run zt netns "${1:-build}"
SPF=$ID-spf
netns_trap "$SPF"


# ---- topology ----------------------------------------------------------------
netns_chain "$CLI" "$GW" "$PRIV" || exit 1
# The client link's addresses and route: again when gw0 comes back below.
client_link_up() {
	ip -n "$CLI" addr add 10.10.0.2/24 dev cli0
	ip -n "$CLI" addr add 10.10.0.3/24 dev cli0
	ip -n "$GW" addr add 10.10.0.1/24 dev gw0
	ip -n "$CLI" link set cli0 up
	ip -n "$GW" link set gw0 up
	ip -n "$CLI" route add 10.2.0.0/24 via 10.10.0.1
}
client_link_up
ip -n "$GW" addr add 10.2.0.1/24 dev priv0
ip -n "$GW" link set priv0 up
in_gw sysctl -qw net.ipv4.ip_forward=1
ip -n "$PRIV" addr add 10.2.0.5/24 dev srv0
ip -n "$PRIV" addr add 10.2.0.6/24 dev srv0
ip -n "$PRIV" link set srv0 up
ip -n "$PRIV" route add default via 10.2.0.1
mkdir -p "$W/www" && echo "hello from the private network" > "$W/www/index.html"
for p in 80 8080; do in_priv busybox httpd -p "$p" -h "$W/www"; done
sleep 0.3

write_config() { # write_config FILE EXTRA_POLICY_YAML
	cat > "$1" <<YAML
gateway:
  interface: ${IFACES:-gw0}
  default_action: block
  xdp_redirect_veth: true # the classifier at XDP, as on a NIC (direct.sh runs both)
  log: {network: $W/network.jsonl}
tunnels:
  - {name: dc-local, local: true}
routes:
  cidr:
    - {network: 10.2.0.0/24, tunnel: dc-local}
devices:
  - {ip: 10.10.0.2, email: admin@example.com, groups: [devops], name: admin-laptop, interface: gw0}
  - {ip: 10.10.0.3, email: bob@example.com, name: bob-laptop, interface: gw0}
network_policies:
  - {name: Block bob to .6, precedence: 5, action: block,
     match: {dst_ip: 10.2.0.6/32, user_email: bob@example.com}}
  - {name: Allow web, precedence: 10, action: allow, match: {protocol: tcp, dst_port: 80}}
$2
  - {name: Catch-all block, precedence: 1000, action: block, match: {dst_ip: 10.0.0.0/8}}
YAML
}
PING_RULE='  - {name: Allow ping, precedence: 20, action: allow, match: {protocol: icmp}}'
write_config "$W/ztd.yaml" "$PING_RULE"

start_ztd() { # a fresh log each start: the checks read what this ztd said
	: > "$W/ztd.log"
	ztd_start "$GW" "$W/ztd.yaml" "$PIN" "$SOCK" "$W/ztd.log"
}
ztctl() { "$O/ztctl" --pin-root "$PIN" --socket "$SOCK" "$@"; }
# curl from SRC to URL: prints the HTTP code, 000 when nothing came back.
fetch() { in_cli curl -s -o /dev/null -w '%{http_code}' --interface "$1" \
	  --connect-timeout 2 -m 3 "$2" 2>/dev/null; }

# ---- invalid config at start --------------------------------------------------
cat > "$W/bad.yaml" <<'YAML'
gateway: {interface: gw0, colour: red}
routes:
  cidr: [{network: 10.2.0.1/24, tunnel: nowhere}]
YAML
out=$(in_gw "$O/ztd" --config "$W/bad.yaml" --pin-root "$PIN" 2>&1); rc=$?
check "invalid config refused at start with line numbers" \
	test "$rc" -ne 0 -a -n "$(echo "$out" | grep "bad.yaml:1:27: unknown key 'colour'")" \
	     -a -n "$(echo "$out" | grep 'bad.yaml:3:20: network .10.2.0.1/24. has host bits')" \
	     -a -n "$(echo "$out" | grep "bad.yaml:3:41: unknown tunnel 'nowhere'")"
check "nothing applied by a refused start" test ! -e "$PIN"

# ---- allowed and blocked --------------------------------------------------------
check "ztd starts" start_ztd

# ---- control socket: status, refusal of a second daemon, garbage ---------------
check "the control socket is mode 0600" test "$(stat -c %a "$SOCK")" = 600
check "ztctl status: running, gw0 in native XDP, generation as in the kernel" python3 -c '
import json,subprocess,sys
d=json.loads(subprocess.check_output(sys.argv[1:]+["-j","status"]))
assert d["daemon"]["running"] and d["kernel"]["pinned"], d
assert [(i["name"],i["mode"]) for i in d["daemon"]["interfaces"]]==[("gw0","xdp-native")], d
assert d["daemon"]["generation"]==d["kernel"]["generation"]>0, d
assert (d["daemon"]["rules"],d["daemon"]["routes"],d["daemon"]["devices"])==(4,1,2), d' \
	"$O/ztctl" --pin-root "$PIN" --socket "$SOCK"
out=$(ztctl status); rc=$?
check "ztctl status (human) says running, exit 0" test "$rc" = 0 -a -n "$(echo "$out" | grep '^ztd: running')"
out=$(in_gw "$O/ztd" --config "$W/ztd.yaml" --pin-root "$PIN" --socket "$SOCK" 2>&1); rc=$?
check "a second ztd is refused and says why" \
	test "$rc" -ne 0 -a -n "$(echo "$out" | grep 'another ztd is running')"
check "garbage on the control socket gets error replies, never harms ztd" python3 -c '
import os,socket,struct,sys,time
path=sys.argv[1]
def ask(data, want=True):
    s=socket.socket(socket.AF_UNIX,socket.SOCK_SEQPACKET); s.settimeout(3); s.connect(path)
    s.send(data); r=s.recv(70000); s.close()
    if not want: return r
    magic,ver,typ,st=struct.unpack(">IHHi",r[:12]); n=struct.unpack(">H",r[12:14])[0]
    return st, r[14:14+n].decode()
hdr=lambda v,t: struct.pack(">IHH",0x7a74634c,v,t)
V=8                                           # include/zt_ctl.h ZT_CTL_VERSION
assert ask(b"x")[0]<0                        # too short
assert ask(b"GET / HTTP/1.0\r\n\r\n")[0]<0  # not ours
st,why=ask(hdr(1,1)); assert st<0 and "version" in why, why
st,why=ask(hdr(V,77)); assert st<0 and "unknown request" in why, why
st,why=ask(hdr(V,1)+b"junk"); assert st<0 and "unexpected bytes" in why, why
st,why=ask(hdr(V,3)+b"\0\0\0"); assert st<0 and "id to list after" in why, why
st,why=ask(hdr(V,3)+bytes(8)+b"x"); assert st<0 and "unexpected bytes" in why, why
st,why=ask(hdr(V,3)+bytes(8)); assert st==0, why
st,why=ask(b"\0"*100000); assert st<0 and "longer than" in why, why
for i in range(300):
    st,why=ask(os.urandom(1+i%600)); assert st<0 and why, (i, st, why)
idle=[socket.socket(socket.AF_UNIX,socket.SOCK_SEQPACKET) for _ in range(40)]
for c in idle:
    try: c.connect(path)
    except OSError: pass
s=socket.socket(socket.AF_UNIX,socket.SOCK_SEQPACKET); s.connect(path); s.close()  # hang up at once
time.sleep(2.5)                               # idle ones are dropped after 2 s
st,why=ask(hdr(V,1)); assert st==0, why' "$SOCK"
check "ztd is alive and answers after the garbage" sh -c "'$O/ztctl' --socket '$SOCK' --pin-root '$PIN' status >/dev/null"
check "admin reaches the web server (allow rule)" test "$(fetch 10.10.0.2 http://10.2.0.5/)" = 200
drop0=$(stat_of drop rule)
check "port 8080 blocked by the catch-all" test "$(fetch 10.10.0.2 http://10.2.0.5:8080/)" = 000
check "the drop is counted as drop/rule" test "$(stat_of drop rule)" -gt "$drop0"
check "bob reaches .5 (allow web)" test "$(fetch 10.10.0.3 http://10.2.0.5/)" = 200
check "bob is blocked from .6 by a higher precedence block" \
	test "$(fetch 10.10.0.3 http://10.2.0.6/)" = 000
check "admin reaches .6 (the block is bob's only)" test "$(fetch 10.10.0.2 http://10.2.0.6/)" = 200
check "log line for the blocked flow names user, rule and action" \
	wait_until 3 grep -q '"user_email":"bob@example.com".*"dst":"10.2.0.6".*"dst_port":80,"rule":"Block bob to .6".*"action":"drop","reason":"rule"' "$W/network.jsonl"
check "log line for the allowed flow" \
	wait_until 3 grep -q '"device":"admin-laptop".*"dst":"10.2.0.5".*"rule":"Allow web".*"action":"direct"' "$W/network.jsonl"
check "every log line is JSON" python3 -c '
import json,sys
for l in open(sys.argv[1]): json.loads(l)' "$W/network.jsonl"
check "ztctl -j maps dump parses as JSON with every section" python3 -c '
import json,subprocess,sys
d=json.loads(subprocess.check_output([sys.argv[1],"-j","--pin-root",sys.argv[2],"maps","dump"]))
assert set(d)=={"policy","routes","devices","pools","iri","flows","drops","nat","stats","counters"}, d.keys()
assert d["pools"]["ipv4"]=="100.80.0.0" and d["pools"]["ipv4_mask"]=="255.255.0.0", d["pools"]
assert any(r["rule"]=="Allow web" for r in d["policy"]["rules"])
assert any(r["prefix"]=="10.2.0.0/24" and r["route"]=="10.2.0.0/24" and r["path"]=="direct" for r in d["routes"]), d["routes"]
assert any(x["user_email"]=="bob@example.com" for x in d["devices"])
assert any(f["rule"]=="Allow web" and f["verdict"]=="direct" for f in d["flows"])
# the blocked connections: kept for every source port, never as flows
assert any(x["verdict"]=="drop" and x["src"].endswith(":*") for x in d["drops"]), d["drops"]
assert not any(f["verdict"]=="drop" for f in d["flows"]), d["flows"]' "$O/ztctl" "$PIN"
out=$(ztctl maps dump policy); rc=$?
check "ztctl human maps dump names the rule" test "$rc" = 0 -a -n "$(echo "$out" | grep 'Catch-all block')"

# ---- reload: revocation within 1 s, allowed flow undisturbed ----------------------
gen0=$(ztctl -j status | python3 -c 'import json,sys; print(json.load(sys.stdin)["kernel"]["generation"])')
t_start=$EPOCHREALTIME
in_cli busybox ping -c 25 -i 0.2 -W 1 10.2.0.5 > "$W/ping_revoked" 2>&1 &
p1=$!
in_cli busybox ping -c 25 -i 0.2 -W 1 -I 10.10.0.2 10.2.0.6 > "$W/ping_kept" 2>&1 &
p2=$!
sleep 2 # a fixed time, the point here: ten echo requests go out before the reload
# The new config drops the ping rule but allows ICMP to .6.
write_config "$W/ztd.yaml" '  - {name: Allow ping to .6, precedence: 20, action: allow, match: {protocol: icmp, dst_ip: 10.2.0.6/32}}'
out=$(ztctl reload); rc=$?
t_reload=$EPOCHREALTIME
check "ztctl reload applies and names the new generation ($out)" \
	test "$rc" = 0 -a "$out" = "reloaded: policy generation $((gen0 + 1)) in force"
wait "$p1" "$p2"
# Echo request N leaves about N * 0.2 s after the start: the last one
# answered must have left before the reload returned + 1 s, and the ones
# before the reload were answered.
last=$(grep -o 'seq=[0-9]*' "$W/ping_revoked" | tail -1 | cut -d= -f2)
got=$(grep -c 'bytes from' "$W/ping_revoked")
check "reload cuts a revoked flow within 1 s (last reply seq ${last:-none} of 0-24, $got replies)" \
	awk -v s="$t_start" -v r="$t_reload" -v last="${last:--1}" -v got="$got" \
	'BEGIN { exit !(got >= 5 && last >= 4 && last < 24 && s + last * 0.2 <= r + 1.0) }'
check "a flow the new policy allows is not disturbed by the reload ($(grep -c 'bytes from' "$W/ping_kept") of 25)" \
	test "$(grep -c 'bytes from' "$W/ping_kept")" -ge 24

# ---- invalid config at reload ------------------------------------------------------
cp "$W/ztd.yaml" "$W/good.yaml"
write_config "$W/ztd.yaml" '  - {name: Allow web, precedence: 30, action: allow, match: {}}'
bad_line=$(grep -n 'precedence: 30' "$W/ztd.yaml" | cut -d: -f1)
out=$(ztctl reload 2>&1); rc=$?
check "ztctl reload of an invalid file fails with every error and its line" \
	test "$rc" = 1 -a -n "$(echo "$out" | grep "ztd.yaml:$bad_line:.*name .Allow web. used twice")" \
	     -a -n "$(echo "$out" | grep "ztd.yaml:$bad_line:.*match is empty")" \
	     -a -n "$(echo "$out" | grep 'reload refused; ztd keeps running policy generation')" ||
	echo "$out" | sed 's/^/#   /'
printf 'network_policies:\n  - {name: x, precedence: 1, action: allow, match: {}}\n' >> "$W/ztd.yaml"
kill -HUP "$ZTD_PID"
check "invalid config at reload is refused with its line" \
	wait_until 5 grep -q "ztd.yaml:.*key 'network_policies' repeated" "$W/ztd.log"
check "the running policy is kept after a refused reload" \
	test "$(fetch 10.10.0.2 http://10.2.0.5/)" = 200
cp "$W/good.yaml" "$W/ztd.yaml"

# ---- steering rule, link watch, interfaces leaving the config ---------------------
check "the steering rule and local route table are installed (IPv4 and IPv6)" sh -c "
	ip -n $GW -4 rule show | grep -q 'from all fwmark 0x7a740001 lookup 31348' &&
	ip -n $GW -6 rule show | grep -q 'from all fwmark 0x7a740001 lookup 31348' &&
	ip -n $GW -4 route show table 31348 | grep -q '^local default dev lo' &&
	ip -n $GW -6 route show table 31348 | grep -q '^local default dev lo'"
ip -n "$GW" link del gw0 # takes cli0 with it
check "ztd notices gw0 is gone" wait_until 5 grep -q 'gw0 (ifindex [0-9]*) is gone' "$W/ztd.log"
netns_veth "$CLI" cli0 "$GW" gw0
client_link_up
check "gw0 comes back and gets its programs again" \
	wait_until 5 grep -q 'gw0 is back (ifindex [0-9]*): attached' "$W/ztd.log"
check "XDP is on the new gw0" sh -c "ip -n $GW -d link show gw0 | grep -q prog/xdp"
sleep 1 # neighbours on the new link
check "on the returned gw0 the allow still allows" test "$(fetch 10.10.0.2 http://10.2.0.5/)" = 200
check "on the returned gw0 the block still blocks" test "$(fetch 10.10.0.2 http://10.2.0.5:8080/)" = 000
# A second client link, gw1, where another host claims admin's address.
netns_add "$SPF"
netns_veth "$GW" gw1 "$SPF" spf0
ip -n "$GW" addr add 10.11.0.1/24 dev gw1
ip -n "$GW" link set gw1 up
ip -n "$SPF" addr add 10.11.0.2/24 dev spf0
ip -n "$SPF" addr add 10.10.0.2/32 dev spf0
ip -n "$SPF" link set spf0 up
ip -n "$SPF" route add 10.2.0.0/24 via 10.11.0.1 src 10.10.0.2
in_gw sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.gw1.rp_filter=0
ADMIN_PING='  - {name: Ping for admin, precedence: 20, action: allow, match: {protocol: icmp, user_email: admin@example.com}}'
IFACES='[gw0, gw1]' write_config "$W/ztd.yaml" "$ADMIN_PING"
ztctl reload >/dev/null
check "an interface added to the config is attached at reload" \
	sh -c "ip -n $GW -d link show gw1 | grep -q prog/xdp"
# Identity is bound to the interface a device is declared on: admin's
# address arriving on gw1 is nobody's, and admin's rule does not apply.
d0=$(stat_of drop rule)
nsenter --net=/run/netns/"$CLI" busybox ping -c 1 -W 2 -I 10.10.0.2 10.2.0.5 >/dev/null 2>&1
nsenter --net=/run/netns/"$SPF" busybox ping -c 2 -W 1 -I 10.10.0.2 10.2.0.5 >/dev/null 2>&1
check "admin's own ping from gw0 is allowed by admin's rule (logged)" \
	wait_until 3 grep -q '"interface":"gw0","device":"admin-laptop","user_email":"admin@example.com".*"protocol":"icmp".*"rule":"Ping for admin".*"action":"direct"' "$W/network.jsonl"
check "admin's address claimed from gw1 is unenrolled there: dropped and logged" \
	wait_until 3 grep -q '"interface":"gw1","device":"","user_email":"".*"src":"10.10.0.2".*"protocol":"icmp".*"action":"drop"' "$W/network.jsonl"
check "... and counted as a rule drop ($d0 -> $(stat_of drop rule))" test "$(stat_of drop rule)" -gt "$d0"
write_config "$W/ztd.yaml" "$PING_RULE"
ztctl reload >/dev/null
check "an interface removed from the config is detached at reload" \
	sh -c "! ip -n $GW -d link show gw1 | grep -q prog/xdp && ip -n $GW -d link show gw0 | grep -q prog/xdp"
check "and the pinned link of the removed interface is gone" \
	test "$(ls "$PIN/links" | wc -l)" = 1

# ---- SIGKILL, then restart adopting ----------------------------------------------------
kill -KILL "$ZTD_PID"; wait "$ZTD_PID" 2>/dev/null; ZTD_PID=
ztctl status > "$W/status_down"; rc=$?
check "after SIGKILL ztctl status says not running (exit 3) and what the kernel enforces" \
	test "$rc" = 3 -a -n "$(grep '^ztd: not running' "$W/status_down")" \
	     -a -n "$(grep 'enforcing policy generation' "$W/status_down")"
check "after SIGKILL the block is still enforced" test "$(fetch 10.10.0.2 http://10.2.0.5:8080/)" = 000
check "after SIGKILL the allow still works" test "$(fetch 10.10.0.2 http://10.2.0.5/)" = 200
prog_before=$(ip -n "$GW" -d link show gw0 | grep -o 'prog/xdp id [0-9]*')
check "a new ztd adopts the running programs" start_ztd
prog_after=$(ip -n "$GW" -d link show gw0 | grep -o 'prog/xdp id [0-9]*')
check "the XDP program was replaced in place ($prog_before -> $prog_after)" \
	test -n "$prog_after" -a "$prog_before" != "$prog_after"
check "after the restart traffic is still decided" \
	test "$(fetch 10.10.0.2 http://10.2.0.5/)" = 200 -a "$(fetch 10.10.0.2 http://10.2.0.5:8080/)" = 000
kill -TERM "$ZTD_PID"; wait "$ZTD_PID" 2>/dev/null; ZTD_PID=
check "after SIGTERM the block is still enforced" test "$(fetch 10.10.0.2 http://10.2.0.5:8080/)" = 000

# ---- detach ------------------------------------------------------------------------------
in_gw "$O/ztd" --detach --config "$W/ztd.yaml" --pin-root "$PIN" >/dev/null 2>&1
check "ztd --detach removes programs and maps" \
	test -z "$(ip -n "$GW" -d link show gw0 | grep prog/xdp)" -a ! -e "$PIN"
check "ztd --detach removes the steering rule and table" \
	test -z "$(ip -n "$GW" rule show | grep 0x7a740001)" -a -z "$(ip -n "$GW" route show table 31348 2>/dev/null)"
check "with zt detached the kernel alone routes" test "$(fetch 10.10.0.2 http://10.2.0.5:8080/)" = 200

# ---- a private mount namespace ------------------------------------------------------------
# Under 'ip netns exec' ztd gets its own /sys and mounts a bpffs there that
# dies with it: it must say so at start, naming the consequence and the fix.
ip netns exec "$GW" "$O/ztd" --config "$W/ztd.yaml" --pin-root /sys/fs/bpf/$ID-x \
	--socket "$W/ztd-x.sock" > "$W/ztd-x.log" 2>&1 &
XPID=$!
x_settled() { grep -q "running; control socket\|is not the host's" "$W/ztd-x.log" || ! kill -0 "$XPID" 2>/dev/null; }
wait_until 30 x_settled
kill -KILL "$XPID" 2>/dev/null; wait "$XPID" 2>/dev/null
check "under 'ip netns exec' ztd warns that its pins vanish with it and says to use nsenter" \
	grep -q "is not the host's.*pins vanish when it exits.*nsenter --net=" "$W/ztd-x.log"
check "started with nsenter it did not warn" bash -c "! grep -q \"is not the host's\" '$W/ztd.log'"
in_gw "$O/ztd" --detach --config "$W/ztd.yaml" --pin-root "$PIN" >/dev/null 2>&1
if [ "$fail" -gt 0 ]; then
	echo "# ztd's log:"
	sed 's/^/#   /' "$W/ztd.log"
fi
exit 0
