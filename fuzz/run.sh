#!/usr/bin/env bash
# run.sh — runs each libFuzzer harness (built by make into BUILD/fuzz) for
# ZT_FUZZ_SECS seconds (default 10) from its seeds, under ASan and UBSan;
# one 'ok' line per harness that found nothing, 'not ok' with the crash
# otherwise (the input is kept in BUILD/fuzz/crashes). Usage: run.sh BUILD_DIR
set -u
O=$(cd "${1:-build}" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECS=${ZT_FUZZ_SECS:-10}
W=$(mktemp -d /tmp/zt-fuzz.XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir -p "$O/fuzz/crashes" "$W/dns" "$W/config" "$W/ctl" "$W/tls" "$W/http" "$W/ssh" "$W/pxmsg" "$W/mux"

# Seeds: a query with EDNS, one with a compression pointer in an extra
# record, a response, two queries framed as over TCP with a third cut
# short; the example config and a small one.
printf '\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01\x03ssh\x08internal\x05local\x00\x00\x01\x00\x01\x00\x00\x29\x10\x00\x00\x00\x80\x00\x00\x00' > "$W/dns/q1"
printf '\x00\x07\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01\x01a\x01b\x00\x00\x1c\x00\x01\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x00\x00\x00' > "$W/dns/q2"
printf '\x00\x07\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00\x03www\x07example\x03com\x00\x00\x01\x00\x01\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x0a\x00\x00\x01' > "$W/dns/r1"
printf '\x00\x2f\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01\x03ssh\x08internal\x05local\x00\x00\x01\x00\x01\x00\x00\x29\x10\x00\x00\x00\x80\x00\x00\x00\x00\x2f\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01\x03ssh\x08internal\x05local\x00\x00\x01\x00\x01\x00\x00\x29\x10\x00\x00\x00\x80\x00\x00\x00\x00\x2f\x12\x34' > "$W/dns/t1"
cp "$ROOT/examples/ztd.yaml" "$W/config/example.yaml"
# A RELOAD reply (header, generation 99), and a STATUS body after a header.
printf 'ztcL\x00\x01\x00\x02\x00\x00\x00\x63' > "$W/ctl/reload"
printf 'ztcL\x00\x01\x00\x01\x00\x00\x10\x92\x00\x00\x00\x00\x6a\x18\x4b\x80\x00\x00\x00\x07\x00\x01x\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00\x04\x00\x00\x00\x05\x01\x00\x00\x00\x04\x00\x03gw0\x01\x00\x00\x00\x01\x00\x00\x00\x02' > "$W/ctl/status"
printf 'gateway: {interface: zt0}\nroutes: {hostname: [{hostname: "*.a.b", tunnel: t}]}\n' > "$W/config/small.yaml"

# A ClientHello (SNI ssh.internal.local, ALPN h2) in one record, and cut
# into records of 7 bytes.
python3 - "$W/tls" <<'PY'
import struct, sys
sni = b"ssh.internal.local"
ext = struct.pack(">HHHBH", 0, len(sni) + 5, len(sni) + 3, 0, len(sni)) + sni
ext += struct.pack(">HHHB", 16, 5, 3, 2) + b"h2"
body = b"\x03\x03" + bytes(32) + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
body += struct.pack(">H", len(ext)) + ext
msg = b"\x01" + struct.pack(">I", len(body))[1:] + body
def recs(n):
    return b"".join(b"\x16\x03\x01" + struct.pack(">H", len(msg[i:i + n])) + msg[i:i + n]
                    for i in range(0, len(msg), n))
open(sys.argv[1] + "/one", "wb").write(recs(16384))
open(sys.argv[1] + "/cut", "wb").write(recs(7))
PY

# An HTTP request head with Host and a port, one cut short; SSH lines.
printf 'GET /index.html HTTP/1.1\r\nHost: app.internal.local:8080\r\nUser-Agent: curl/8\r\n\r\n' > "$W/http/get"
printf 'POST / HTTP/1.0\r\nhost:  a.b \r\nContent-Length: 3\r\n\r\nabc' > "$W/http/post"
printf 'GET / HTTP/1.1\r\nHost: a.b\r\nX: y' > "$W/http/cut"
printf 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n' > "$W/ssh/openssh"
printf 'SSH-1.99-x\n' > "$W/ssh/lf"
# A worker's ASK (IPv4, after detection: TLS, SNI a.b), END and PROGRESS.
printf '\x01\x00\x00\x00\x00\x00\x00\x00\x07\x01\x00\x01\x00\x02\x0a\x0a\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x0a\x02\x00\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x9c\x40\x01\xbb\x00\x00\x00\x03\x01\x00\x03a.b' > "$W/pxmsg/ask"
printf '\x02\x00\x00\x00\x00\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x02' > "$W/pxmsg/end"
printf '\x03\x01\x00\x00\x00\x00\x00\x00\x00\x07\x02\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x06' > "$W/pxmsg/progress"
# Tunnel frames: a header (DATA, FIN, stream 7), an OPEN record (TCP to
# 10.2.0.5:443 in vnet 0, no name), a HELLO record, and a session's input:
# control bytes, then OPEN of stream 3 to 10.2.0.5:22, 3 bytes of DATA,
# FIN, a PING and a GO_AWAY.
printf '\x00\x00\x00\x00\x04\x00\x00\x00\x07\x00\x00\x00\x10' > "$W/mux/hdr"
printf '\x01\x01\x02\x00\x00\x01\xbb\x0a\x02\x00\x05\x00' > "$W/mux/open"
printf '\x02\x00\x01%s\x00\x01\x02c1' "$(head -c 48 /dev/zero | tr '\0' 'a')" > "$W/mux/hello"
# A user token's credential (version 1, id, issued, expires, email a@b,
# no vnet, no groups, a signature), and a HELLO version 2 carrying it.
cred="\x01$(printf 'i%.0s' $(seq 16))\x00\x00\x00\x00\x00\x00\x03\xe8\x00\x00\x00\x00\x00\x00\x07\xd0\x03a@b\x00\x00$(printf 's%.0s' $(seq 64))"
printf "\x03$cred" > "$W/mux/cred"
printf "\x02\x00\x02\x00\x67$cred" > "$W/mux/hello2"
printf '\x05\x07\x0f\x03\x01\x02\x07\x0f\x03\x01\x02\x07\x0f\x03\x01\x02\x00\x04\x00\x01\x00\x00\x00\x03\x00\x00\x00\x0c\x01\x02\x00\x00\x00\x16\x0a\x02\x00\x05\x00\x00\x00\x00\x04\x00\x00\x00\x03\x00\x00\x00\x03abc\x00\x02\x00\x01\x00\x00\x00\x00\x00\x00\x00\x2a\x00\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00' > "$W/mux/session"

fail=0
for h in dns config ctl tls http ssh pxmsg mux; do
	bin=$O/fuzz/fuzz_$h
	if [ ! -x "$bin" ]; then
		echo "not ok - fuzz_$h is not built (make)"
		fail=1
		continue
	fi
	if "$bin" -max_total_time="$SECS" -timeout=5 -rss_limit_mb=2048 \
		-artifact_prefix="$O/fuzz/crashes/$h-" "$W/$h" > "$W/$h.log" 2>&1; then
		echo "ok - fuzz_$h: $(grep -o 'Done [0-9]* runs' "$W/$h.log" | cut -d' ' -f2) inputs in ${SECS}s, no crash, leak or UB"
	else
		sed -n '/ERROR\|runtime error\|SUMMARY/p' "$W/$h.log" | head -20 | sed 's/^/# /'
		echo "not ok - fuzz_$h found a failing input (kept in $O/fuzz/crashes/)"
		fail=1
	fi
done
exit $fail
