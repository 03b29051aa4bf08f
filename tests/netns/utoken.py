#!/usr/bin/env python3
"""utoken.py — user tokens and the access HELLO from outside zt, for
tests/netns/access.sh (docs/access.md has the formats).

  can-sign              exit 0 when python3-cryptography is here (sign needs
                        it; the test VM's Python has the standard library only)
  sign KEY TEMPLATE EMAIL TTL  a token for EMAIL living TTL seconds, signed
                        with the Ed25519 seed in KEY (32 bytes: ztd's
                        users.key, or /dev/urandom for a key that is not
                        the gateway's), with TEMPLATE's pin and addresses
  tamper TOKEN          TOKEN with one byte of its email changed
  garbage HOST PORT     TLS to the endpoint, HELLO version 2 with random
                        bytes for a credential: prints "goaway N" (the
                        answer), "ack", or "closed"
  hold HOST PORT TOKEN N  N connections at once, each saying HELLO with
                        TOKEN's credential: prints "accepted=A refused=R"
  both HOST PORT TOKEN NAME ADDR DPORT  one stream whose OPEN names NAME
                        and the address ADDR both: prints "rst N" (the
                        gateway's answer) or "accepted"
  streams HOST PORT TOKEN N NAME DPORT [C]  N streams to NAME:DPORT at once
                        on each of C connections (1), sending nothing: prints
                        "pending=P rst6=R" (streams still waiting, refused at
                        a limit; all connections together)
"""
import base64, os, socket, ssl, struct, sys, time

PREFIX = "ztu1."


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def split(text):
    """(credential without signature, signature, the rest) of a token."""
    rec = b64d(text.strip()[len(PREFIX):])
    off = 1 + 16 + 8 + 8
    for _ in range(3):
        off += 1 + rec[off]
    return rec[:off], rec[off:off + 64], rec[off + 64:]


def sign(keyfile, template, email, ttl):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    with open(keyfile, "rb") as f:
        seed = f.read(32)
    _, _, rest = split(open(template).read())
    now = int(time.time())
    e = email.encode()
    body = bytes([1]) + os.urandom(16) + struct.pack(">QQ", now - 60, now + int(ttl))
    body += bytes([len(e)]) + e + b"\0" + b"\0"
    sig = Ed25519PrivateKey.from_private_bytes(seed).sign(body)
    print(PREFIX + b64e(body + sig + rest))


def tamper(token):
    body, sig, rest = split(open(token).read())
    b = bytearray(body)
    b[1 + 16 + 8 + 8 + 1] ^= 0x01  # the email's first letter
    print(PREFIX + b64e(bytes(b) + sig + rest))


def dial(host, port):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the pin is not the point here
    s = socket.create_connection((host, int(port)), timeout=5)
    return ctx.wrap_socket(s)


def hello(s, cred):
    body = struct.pack(">HH", 2, len(cred)) + cred
    s.sendall(struct.pack(">BBHII", 0, 5, 1, 0, len(body)) + body)


def answer(s):
    """'ack', 'goaway N' or 'closed': the first answer to HELLO."""
    buf = b""
    try:
        while True:
            while len(buf) >= 12:
                _, typ, flags, _, length = struct.unpack(">BBHII", buf[:12])
                if typ == 5 and flags & 2:
                    return "ack"
                if typ == 3:
                    return "goaway %d" % length
                buf = buf[12 + (length if typ in (0, 4, 5) else 0):]
            d = s.recv(4096)
            if not d:
                return "closed"
            buf += d
    except OSError as e:
        print(repr(e), file=sys.stderr)
        return "closed"


def each_frame(s, secs):
    """Frames (type, flags, stream, length) as they come, for up to secs or
    until the connection ends."""
    buf, end = b"", time.time() + secs
    s.settimeout(min(0.2, secs))
    while time.time() < end:
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            return
        if not d:
            return
        buf += d
        while len(buf) >= 12:
            _, typ, flags, sid, length = struct.unpack(">BBHII", buf[:12])
            body = length if typ in (0, 4, 5) else 0
            if len(buf) < 12 + body:
                break
            yield typ, flags, sid, length
            buf = buf[12 + body:]


def frames(s, want, secs=3):
    """Frames (type, flags, stream, length) read for up to secs, until want
    of them came."""
    out = []
    for f in each_frame(s, secs):
        out.append(f)
        if len(out) >= want:
            break
    return out


def open_rec(name, addr, dport):
    if addr:
        rec = struct.pack(">BBHH", 1, 2, 0, dport) + socket.inet_aton(addr)
    else:
        rec = struct.pack(">BBHH", 1, 0, 0, dport)
    return rec + bytes([len(name)]) + name.encode()


def access(host, port, token):
    body, sig, _ = split(open(token).read())
    s = dial(host, port)
    hello(s, body + sig)
    if answer(s) != "ack":
        sys.exit("HELLO not taken")
    return s


def main():
    cmd = sys.argv[1]
    if cmd == "can-sign":
        try:
            import cryptography  # noqa: F401
        except ImportError:
            sys.exit(1)
    elif cmd == "sign":
        sign(*sys.argv[2:6])
    elif cmd == "tamper":
        tamper(sys.argv[2])
    elif cmd == "garbage":
        s = dial(sys.argv[2], sys.argv[3])
        hello(s, os.urandom(200))
        print(answer(s))
    elif cmd == "hold":
        body, sig, _ = split(open(sys.argv[4]).read())
        conns, acc, ref = [], 0, 0
        for _ in range(int(sys.argv[5])):
            s = dial(sys.argv[2], sys.argv[3])
            hello(s, body + sig)
            a = answer(s)
            if a == "ack":
                acc += 1
                conns.append(s)
            else:
                ref += 1
        print("accepted=%d refused=%d" % (acc, ref))
    elif cmd == "both":
        s = access(sys.argv[2], sys.argv[3], sys.argv[4])
        rec = open_rec(sys.argv[5], sys.argv[6], int(sys.argv[7]))
        s.sendall(struct.pack(">BBHII", 0, 4, 1, 1, len(rec)) + rec)
        for typ, flags, sid, length in frames(s, 1):
            if typ == 1 and sid == 1:
                print("rst %d" % length if flags & 8 else "accepted")
                return
        print("nothing")
    elif cmd == "streams":
        n, c = int(sys.argv[5]), int(sys.argv[8]) if len(sys.argv) > 8 else 1
        conns = [access(sys.argv[2], sys.argv[3], sys.argv[4]) for _ in range(c)]
        rec = open_rec(sys.argv[6], None, int(sys.argv[7]))
        for s in conns:
            s.sendall(b"".join(struct.pack(">BBHII", 0, 4, 1, 2 * i + 1, len(rec)) + rec
                               for i in range(n)))
        # The detection waits 1 s: only refusals, which come at once, come
        # before it (all connections' in 0.5 s, then what each has).
        time.sleep(0.4)
        got = [f for s in conns for f in frames(s, n, 0.1 / c)]
        rst6 = sum(1 for t, f, _, l in got if t == 1 and f & 8 and l == 6)
        other = sorted(set((t, f, l) for t, f, _, l in got if not (t == 1 and f & 8 and l == 6)))
        if other:
            print("other frames (type, flags, length): %s" % other, file=sys.stderr)
        print("pending=%d rst6=%d" % (n * c - len(got), rst6))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":  # muteconn.py imports its helpers
    main()
