#!/usr/bin/env python3
"""muteconn.py — a connector that takes no stream, for tests/netns/tunnel.sh:
it dials the gateway with a tunnel's token (HELLO version 1: the tunnel's
id and secret, connection 0 of 1), answers the gateway's PINGs, and never
answers an OPEN (neither accepts nor refuses the stream).

  muteconn.py TOKEN HOST PORT SECS  prints "ack" once HELLO is taken, then
                                    after SECS (or the gateway closing) the
                                    number of OPENs it left unanswered
"""
import struct, sys
from utoken import answer, b64d, dial, each_frame

HDR = ">BBHII"  # version, type, flags, stream, length


def main():
    token, host, port, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    rec = b64d(open(token).read().strip()[len("zt1."):])
    off = 2 + rec[1]  # version, the name's length and bytes
    tid, secret = rec[off:off + 16], rec[off + 16:off + 48]
    name = b"mute"
    body = struct.pack(">H", 1) + tid + secret + bytes([0, 1, len(name)]) + name
    s = dial(host, port)
    s.sendall(struct.pack(HDR, 0, 5, 1, 0, len(body)) + body)
    if answer(s) != "ack":
        sys.exit("HELLO not taken")
    print("ack", flush=True)
    opens = 0
    for typ, flags, _, length in each_frame(s, secs):
        if typ == 2 and not flags & 2:  # a PING: its PONG
            s.sendall(struct.pack(HDR, 0, 2, 2, 0, length))
        elif typ == 4:
            opens += 1
    print(opens, flush=True)


if __name__ == "__main__":
    main()
