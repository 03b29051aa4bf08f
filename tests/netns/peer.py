#!/usr/bin/env python3
"""peer.py — the TCP peers the DIRECT suite talks through the gateway with.

  serve PORT            dual-stack server: sends "ADDR PORT" of the peer it
                        sees, then echoes every line (stops after 60 s idle)
  ask HOST PORT         prints the server's first line (what it saw)
  hold HOST PORT N      opens N connections at once, prints how many connected
  revoke HOST PORT FILE sends a line every 0.1 s for up to 8 s; prints
                        "before=N after=M" (echoes before and after FILE
                        appeared), and "cut=S" (seconds from FILE to the
                        first echo that did not come) when one did not
  idle HOST PORT SECS   connects, reads the greeting, sends nothing for SECS,
                        then a line: prints "echoed" when it came back, else
                        "cut"
  userve PORT [LOG]     dual-stack UDP echo server: answers each datagram
                        with "ADDR PORT\n" of the peer it sees and the
                        datagram; LOG gets a line "ADDR PORT FIRST12BYTES" for each
                        (stops after 60 s idle)
  uecho HOST PORT N SIZE  N datagrams of SIZE bytes (each different) on one
                        connected socket, one at a time, up to 2 s each for
                        its echo: prints "got=K seen=ADDR" (K echoes whose
                        bytes were the datagram's)
  uflows HOST PORT N    N UDP sockets (N flows), one datagram each, sent again
                        every 0.4 s while unanswered, for up to 1.8 s: prints
                        how many were answered
  ethudp IF DSTMAC SRC SPORT DST DPORT TEXT
                        one Ethernet frame out of IF (AF_PACKET: any source
                        address) carrying an IPv4 UDP datagram of TEXT
  ping SRC HOST N SIZE  N ICMP echo requests of SIZE data bytes from SRC (a raw
                        socket), one at a time, up to 2 s each: prints "got=K"
                        (replies with the request's identifier, sequence and
                        data)
  udp HOST PORT         a UDP datagram on a connected socket: prints
                        "refused" when an ICMP port unreachable came back
                        (the kernel matched its quote to the socket),
                        "answered" or "timeout"
  udpcheck HOST PORT IF  as udp, and reads the port unreachable off IF
                        (AF_PACKET): prints "ok" when its addresses are the
                        ones the client used and every checksum in it is
                        right (outer IPv4, ICMP/ICMPv6, quoted IPv4, quoted
                        UDP), else what is wrong
  pmtu HOST PORT SIZE   UDP datagrams of SIZE bytes with DF for up to 3 s;
                        prints the path MTU the kernel then has for HOST
                        (lower than the route's once a "fragmentation
                        needed" / "packet too big" matched the socket)
  raw SRC DST PORT SPORT N FLAGS
                        N bare TCP segments (a raw socket: no connection,
                        nothing answers the server) from SRC ports SPORT to
                        SPORT+N-1 to DST:PORT, with FLAGS (S: SYN, A: ACK,
                        SA: both); prints N. Without an output rule of the
                        test's, the client's kernel answers a SYN-ACK with
                        a RST
  slowdns ADDR SECS [LOG]  a slow DNS server on ADDR:53 for SECS seconds: A
                        for slow.dc.local (10.3.0.81) after 0.4 s and for
                        slower.dc.local (10.3.0.82) after 1.6 s; no answer
                        ever for names under hang.test; for spoof.test
                        first two answers that are not (another id, then
                        another question), then the answer (10.3.0.83,
                        the name in upper case); NXDOMAIN for anything
                        else at once. LOG: a line "PORT ID NAME" for every
                        query, as it came
Every wait is bounded; nothing here runs longer than about 10 s (slowdns:
SECS).
"""
import os
import socket
import struct
import sys
import threading
import time


def serve(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(4096)

    def one(c, a):
        host = a[0][7:] if a[0].startswith("::ffff:") else a[0]
        c.settimeout(60)
        try:
            c.sendall(f"{host} {a[1]}\n".encode())
            while True:
                d = c.recv(4096)
                if not d:
                    break
                c.sendall(d)
        except OSError:
            pass
        c.close()

    while True:
        c, a = s.accept()
        threading.Thread(target=one, args=(c, a), daemon=True).start()


def connect(host, port, timeout=3):
    return socket.create_connection((host, port), timeout=timeout)


def ask(host, port):
    with connect(host, port) as c:
        print(c.makefile().readline().strip())


def hold(host, port, n):
    socks, ok = [], 0
    for _ in range(n):
        try:
            # 4 s: a SYN lost under QEMU's TCG is sent again after 1 s and 3 s
            socks.append(connect(host, port, 4))
            ok += 1
        except OSError:
            pass
    print(ok)


def revoke(host, port, trigger):
    c = connect(host, port)
    c.settimeout(0.5)
    c.makefile().readline()
    before = after = 0
    t_trigger = None
    end = time.time() + 8
    while time.time() < end:
        seen = os.path.exists(trigger)
        if seen and t_trigger is None:
            t_trigger = time.time()
        try:
            c.sendall(b"x\n")
            ok = c.recv(16) == b"x\n"
        except OSError:
            ok = False
        if not ok:
            if t_trigger is not None:
                print(f"before={before} after={after} cut={time.time() - t_trigger:.2f}")
                return
            print(f"before={before} after={after} lost-before-trigger")
            return
        if t_trigger is None:
            before += 1
        else:
            after += 1
        time.sleep(0.1)
    print(f"before={before} after={after}")


def idle(host, port, secs):
    c = connect(host, port)
    c.settimeout(2)
    c.makefile().readline()
    time.sleep(secs)
    try:
        c.sendall(b"after\n")
        print("echoed" if c.recv(16) == b"after\n" else "cut")
    except OSError:
        print("cut")


def udp_socket(host, port):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(1)
    s.connect((host, port))
    return s


def udp(host, port):
    with udp_socket(host, port) as s:
        for _ in range(3):
            try:
                s.send(b"ping")
                s.recv(64)
                print("answered")
                return
            except ConnectionRefusedError:
                print("refused")
                return
            except socket.timeout:
                pass
        print("timeout")


def userve(port, log=None):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.settimeout(60)
    out = open(log, "a", buffering=1) if log else None
    while True:
        try:
            d, a = s.recvfrom(65535)
        except socket.timeout:
            return
        host = a[0][7:] if a[0].startswith("::ffff:") else a[0]
        if out:
            out.write(f"{host} {a[1]} {d[:12].decode(errors='replace')}\n")
        try:
            s.sendto(f"{host} {a[1]}\n".encode() + d, a)
        except OSError:
            pass


def uecho(host, port, n, size):
    got, seen = 0, "none"
    with udp_socket(host, port) as s:
        s.settimeout(2)
        for i in range(n):
            d = (b"%08d" % i + os.urandom(size))[:size]
            try:
                s.send(d)
                r = s.recv(70000)
            except OSError:
                continue
            head, _, body = r.partition(b"\n")
            if body == d:
                got += 1
                seen = head.decode().split()[0]
    print(f"got={got} seen={seen}")


def uflows(host, port, n):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    socks = []
    for _ in range(n):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.setblocking(False)
        s.connect((host, port))
        s.send(b"hello")
        socks.append(s)
    answered, t0 = set(), time.time()
    again = t0 + 0.4
    while time.time() < t0 + 1.8 and len(answered) < n:
        for i, s in enumerate(socks):
            if i in answered:
                continue
            try:
                if s.recv(100):
                    answered.add(i)
            except OSError:
                pass
        if time.time() >= again:  # lost on the way (a busy machine): once more
            again += 0.4
            for i, s in enumerate(socks):
                if i not in answered:
                    try:
                        s.send(b"hello")
                    except OSError:
                        pass
        time.sleep(0.05)
    print(len(answered))


def ping(src, host, n, size):
    v6 = ":" in host
    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_RAW,
                      socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
    s.bind((src, 0))
    s.settimeout(2)
    ident, got = os.getpid() & 0xffff, 0
    for seq in range(n):
        data = os.urandom(size)
        msg = bytearray(struct.pack("!BBHHH", 128 if v6 else 8, 0, 0, ident, seq) + data)
        if not v6:
            msg[2:4] = struct.pack("!H", ~csum(bytes(msg)) & 0xffff)
        s.sendto(bytes(msg), (host, 0))
        end = time.time() + 2
        while time.time() < end:
            try:
                r = s.recv(70000)
            except socket.timeout:
                break
            if not v6:
                r = r[(r[0] & 15) * 4:]  # an IPv4 raw socket gets the IP header too
            if (len(r) >= 8 and r[0] == (129 if v6 else 0) and
                    struct.unpack("!HH", r[4:8]) == (ident, seq)):
                got += r[8:] == data
                break
    print(f"got={got}")


def ethudp(ifname, dstmac, src, sport, dst, dport, text):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    mine = s.getsockname()[4]
    body = text.encode()
    udp = struct.pack("!HHHH", sport, dport, 8 + len(body), 0) + body
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                               socket.inet_aton(src), socket.inet_aton(dst)))
    ip[10:12] = struct.pack("!H", ~csum(bytes(ip)) & 0xffff)
    s.send(bytes.fromhex(dstmac.replace(":", "")) + mine + b"\x08\x00" + bytes(ip) + udp)
    print("sent")


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(int.from_bytes(b[i:i + 2], "big") for i in range(0, len(b), 2))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s  # 0xffff: the bytes hold a right checksum


def raw(src, dst, port, sport, n, flags):
    bits = {"S": 0x02, "A": 0x10, "SA": 0x12}[flags]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    s.bind((src, 0))  # the kernel writes the IP header from this source
    a, b = socket.inet_aton(src), socket.inet_aton(dst)
    for i in range(n):
        seg = bytearray(struct.pack("!HHIIBBHHH", sport + i, port, 1000 + i,
                                    1 if bits & 0x10 else 0, 5 << 4, bits, 65535, 0, 0))
        pseudo = a + b + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(seg))
        seg[16:18] = struct.pack("!H", ~csum(pseudo + bytes(seg)) & 0xffff)
        s.sendto(bytes(seg), (dst, 0))
    print(n)


def udpcheck(host, port, ifname):
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    raw.bind((ifname, 0))
    raw.settimeout(0.5)
    v6 = ":" in host
    with udp_socket(host, port) as s:
        me, myport = s.getsockname()[:2]
        s.send(b"ping")
        end = time.time() + 3
        while time.time() < end:
            try:
                f = raw.recv(2048)
            except socket.timeout:
                continue
            if v6:
                if f[12:14] != b"\x86\xdd" or f[20] != 58 or f[54] != 1:
                    continue
                ip, icmp = f[14:54], f[54:54 + int.from_bytes(f[18:20], "big")]
                inner, iu = icmp[8:48], icmp[48:]
                src, dst = socket.inet_ntop(socket.AF_INET6, ip[8:24]), \
                    socket.inet_ntop(socket.AF_INET6, ip[24:40])
                isrc, idst = socket.inet_ntop(socket.AF_INET6, inner[8:24]), \
                    socket.inet_ntop(socket.AF_INET6, inner[24:40])
                ph = ip[8:40] + len(icmp).to_bytes(4, "big") + b"\0\0\0\x3a"
                sums = {"icmpv6": csum(ph + icmp)}
                ulen = int.from_bytes(iu[4:6], "big")
                iph = inner[8:40] + ulen.to_bytes(4, "big") + b"\0\0\0\x11"
            else:
                if f[12:14] != b"\x08\x00" or f[23] != 1:
                    continue
                hl = (f[14] & 15) * 4
                ip = f[14:14 + hl]
                icmp = f[14 + hl:14 + int.from_bytes(f[16:18], "big")]
                if icmp[0] != 3:
                    continue
                inner, iu = icmp[8:28], icmp[28:]
                src, dst = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
                isrc, idst = socket.inet_ntoa(inner[12:16]), socket.inet_ntoa(inner[16:20])
                sums = {"ip": csum(ip), "icmp": csum(icmp), "quoted ip": csum(inner)}
                ulen = int.from_bytes(iu[4:6], "big")
                iph = inner[12:20] + b"\0\x11" + ulen.to_bytes(2, "big")
            if len(iu) >= ulen:
                sums["quoted udp"] = csum(iph + iu[:ulen])
            bad = [k for k, v in sums.items() if v != 0xffff]
            tup = (src, dst, isrc, idst, int.from_bytes(iu[0:2], "big"),
                   int.from_bytes(iu[2:4], "big"))
            want = (host, me, me, host, myport, port)
            if tup != want:
                print(f"addresses {tup}, expected {want}")
            elif bad or "quoted udp" not in sums:
                print("bad checksums: " + ", ".join(bad or ["udp not quoted"]))
            else:
                print("ok")
            return
        print("no port unreachable seen")


def pmtu(host, port, size):
    with udp_socket(host, port) as s:
        if s.family == socket.AF_INET:
            s.setsockopt(socket.IPPROTO_IP, 10, 2)    # IP_MTU_DISCOVER: DO
            opt = (socket.IPPROTO_IP, 14)             # IP_MTU
        else:
            s.setsockopt(socket.IPPROTO_IPV6, 23, 2)  # IPV6_MTU_DISCOVER: DO
            opt = (socket.IPPROTO_IPV6, 24)           # IPV6_MTU
        mtu = s.getsockopt(*opt)
        end = time.time() + 3
        while time.time() < end:
            try:
                s.send(b"x" * size)
            except OSError:
                pass  # EMSGSIZE: the kernel knows a smaller path MTU
            time.sleep(0.2)
            mtu = s.getsockopt(*opt)
            if mtu < size:
                break
        print(mtu)


SLOW_NAMES = {"slow.dc.local": (0.4, bytes([10, 3, 0, 81])),
              "slower.dc.local": (1.6, bytes([10, 3, 0, 82]))}


def slowdns(addr, secs, log=None):
    logf = open(log, "a", buffering=1) if log else None
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 53))
    end = time.monotonic() + secs
    due = []  # (when, reply, to)
    while time.monotonic() < end:
        wait = min([w for w, _, _ in due] + [end]) - time.monotonic()
        s.settimeout(max(wait, 0.001))
        try:
            q, peer = s.recvfrom(2048)
        except socket.timeout:
            q = None
        now = time.monotonic()
        for item in [d for d in due if d[0] <= now]:
            s.sendto(item[1], item[2])
            due.remove(item)
        if not q or len(q) < 12:
            continue
        i, labels = 12, []
        while i < len(q) and q[i]:
            labels.append(q[i + 1:i + 1 + q[i]].decode(errors="replace").lower())
            i += 1 + q[i]
        question = q[12:i + 5]
        qtype = int.from_bytes(q[i + 1:i + 3], "big")
        name = ".".join(labels)
        if logf:
            logf.write(f"{peer[1]} {int.from_bytes(q[:2], 'big')} {name}\n")
        hit = SLOW_NAMES.get(name)
        if name == "hang.test" or name.endswith(".hang.test"):
            continue
        if name == "spoof.test" and qtype == 1:
            def a(qid, quest, addr):
                return (qid + b"\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00" + quest +
                        b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + addr)
            other_id = bytes([q[0] ^ 0x5a, q[1]])
            other_q = question.replace(b"spoof", b"spoog")
            s.sendto(a(other_id, question, bytes([6, 6, 6, 6])), peer)
            s.sendto(a(q[:2], other_q, bytes([6, 6, 6, 7])), peer)
            s.sendto(a(q[:2], question.upper(), bytes([10, 3, 0, 83])), peer)
            continue
        if hit and qtype == 1:
            reply = (q[:2] + b"\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00" + question +
                     b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + hit[1])
            due.append((now + hit[0], reply, peer))
        else:
            s.sendto(q[:2] + b"\x81\x83\x00\x01\x00\x00\x00\x00\x00\x00" + question, peer)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "serve":
        serve(int(sys.argv[2]))
    elif cmd == "ask":
        ask(sys.argv[2], int(sys.argv[3]))
    elif cmd == "hold":
        hold(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "revoke":
        revoke(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif cmd == "idle":
        idle(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    elif cmd == "udp":
        udp(sys.argv[2], int(sys.argv[3]))
    elif cmd == "ping":
        ping(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "ethudp":
        ethudp(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6],
               int(sys.argv[7]), sys.argv[8])
    elif cmd == "userve":
        userve(int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None)
    elif cmd == "uecho":
        uecho(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "uflows":
        uflows(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "udpcheck":
        udpcheck(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif cmd == "pmtu":
        pmtu(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "raw":
        raw(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]),
            sys.argv[7])
    elif cmd == "slowdns":
        slowdns(sys.argv[2], float(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None)
    else:
        sys.exit(f"unknown command {cmd}")
