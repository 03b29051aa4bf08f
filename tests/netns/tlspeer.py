#!/usr/bin/env python3
"""tlspeer.py — TLS clients the proxy suite talks through the gateway with.

  split HOST PORT SNI REC SEG   a real TLS handshake (Python's ssl, not
                        verified) whose ClientHello is cut into TLS records
                        of REC bytes of handshake each, sent in TCP segments
                        of SEG bytes (TCP_NODELAY, 2 ms apart); then
                        "GET / HTTP/1.0"; prints "ok STATUS-LINE" or
                        "failed: WHY"
  big HOST PORT SNI SIZE  a ClientHello built here (SNI, padding) of SIZE
                        bytes of handshake message in records of at most
                        16 KiB; prints what came back first: "tls" (a TLS
                        record: the server answered), "eof" or "reset"
  slow HOST PORT SECS   sends a ClientHello's first bytes one every 0.25 s
                        for up to SECS; prints "reset", "eof" or "open"
Every connection times out: nothing here waits forever.
"""
import socket
import ssl
import struct
import sys
import time


def records(msg, n):
    return b"".join(b"\x16\x03\x01" + struct.pack(">H", len(msg[i:i + n])) + msg[i:i + n]
                    for i in range(0, len(msg), n))


def split(host, port, sni, rec, seg):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    o = ctx.wrap_bio(inc, out, server_hostname=sni)
    try:
        o.do_handshake()
    except ssl.SSLWantReadError:
        pass
    first = out.read()
    msg, i = b"", 0
    while i < len(first):
        n = struct.unpack(">H", first[i + 3:i + 5])[0]
        msg += first[i + 5:i + 5 + n]
        i += 5 + n
    data = records(msg, rec)
    s = socket.create_connection((host, port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for k in range(0, len(data), seg):
        s.sendall(data[k:k + seg])
        time.sleep(0.002)
    try:
        while True:
            try:
                o.do_handshake()
                break
            except ssl.SSLWantReadError:
                d = out.read()
                if d:
                    s.sendall(d)
                b = s.recv(65536)
                if not b:
                    print("failed: eof in the handshake")
                    return
                inc.write(b)
        o.write(b"GET / HTTP/1.0\r\n\r\n")
        s.sendall(out.read())
        got, done = b"", False
        while not done:
            b = s.recv(65536)
            if not b:
                break
            inc.write(b)
            try:
                while True:
                    r = o.read(65536)
                    if not r:  # close_notify: the page is whole
                        done = True
                        break
                    got += r
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLZeroReturnError:
                done = True
        print("ok", got.split(b"\r\n")[0].decode(errors="replace"))
    except (OSError, ssl.SSLError) as e:
        print("failed:", e)


def hello(sni, size):
    """A ClientHello handshake message of exactly size bytes."""
    name = sni.encode()
    ext = struct.pack(">HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    body = b"\x03\x03" + bytes(32) + b"\x00" + b"\x00\x04\x13\x01\xc0\x2f" + b"\x01\x00"
    fixed = len(body) + 2 + len(ext) + 4  # + extensions' length + padding's header
    pad = size - 4 - fixed
    ext += struct.pack(">HH", 21, pad) + bytes(pad)
    body += struct.pack(">H", len(ext)) + ext
    return b"\x01" + struct.pack(">I", len(body))[1:] + body


def first_answer(s):
    try:
        b = s.recv(1)
        return "tls" if b[:1] in (b"\x15", b"\x16") else "eof" if not b else "other"
    except ConnectionResetError:
        return "reset"
    except socket.timeout:
        return "open"


def big(host, port, sni, size):
    s = socket.create_connection((host, port), timeout=5)
    try:
        s.sendall(records(hello(sni, size), 16384))
    except OSError:
        print("reset")
        return
    print(first_answer(s))


def slow(host, port, secs):
    s = socket.create_connection((host, port), timeout=2)
    data = records(hello("app.internal.local", 600), 16384)
    end = time.time() + secs
    for i in range(len(data)):
        if time.time() > end:
            break
        try:
            s.sendall(data[i:i + 1])
        except OSError:
            print("reset")
            return
        time.sleep(0.25)
    s.settimeout(0.5)
    print(first_answer(s))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "split":
        split(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
    elif cmd == "big":
        big(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
    elif cmd == "slow":
        slow(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    else:
        sys.exit(__doc__)
