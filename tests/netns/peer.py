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
  udp HOST PORT         a UDP datagram on a connected socket: prints
                        "refused" when an ICMP port unreachable came back
                        (the kernel matched its quote to the socket),
                        "answered" or "timeout"
  pmtu HOST PORT SIZE   UDP datagrams of SIZE bytes with DF for up to 3 s;
                        prints the path MTU the kernel then has for HOST
                        (lower than the route's once a "fragmentation
                        needed" / "packet too big" matched the socket)
Every wait is bounded; nothing here runs longer than about 10 s.
"""
import os
import socket
import sys
import threading
import time


def serve(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(64)

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
            socks.append(connect(host, port, 2))
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
    elif cmd == "udp":
        udp(sys.argv[2], int(sys.argv[3]))
    elif cmd == "pmtu":
        pmtu(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(f"unknown command {cmd}")
