# A probe process for the enforcement tests: reads cases from stdin, one a line,
#   OP FAMILY ADDRESS PORT    OP: tcp | mptcp | udpc (UDP connect) | udps (UDP sendto) |
#                                 ping (an echo request from an ICMP datagram socket; PORT unused)
# and answers each with the errno of the attempt (0 = success, 115 = EINPROGRESS).
# OP keep makes a TCP and a UDP socket of FAMILY and keeps them (answers 0); oldtcp (connect, then
# closed) and oldudps (sendto, kept for the next) use the kept ones, made before.
# "FLUSH" flushes the answers; "PID" answers the process id. Nothing waits: TCP connects are
# non-blocking, and every socket is closed at once.
import os
import socket
import sys

out = sys.stdout
kept = {}
for line in sys.stdin:
    parts = line.split()
    if not parts:
        continue
    if parts[0] == "FLUSH":
        out.flush()
        continue
    if parts[0] == "PID":
        out.write("%d\n" % os.getpid())
        out.flush()
        continue
    op, family, address, port = parts[0], parts[1], parts[2], int(parts[3])
    af = socket.AF_INET if family == "4" else socket.AF_INET6
    err = 0
    if op == "keep":
        kept["tcp"] = socket.socket(af, socket.SOCK_STREAM)
        kept["tcp"].setblocking(False)
        kept["udp"] = socket.socket(af, socket.SOCK_DGRAM)
        kept["udp"].setblocking(False)
        out.write("0\n")
        continue
    if op == "oldtcp" or op == "oldudps":
        s = kept.pop("tcp") if op == "oldtcp" else kept["udp"]
        try:
            if op == "oldtcp":
                s.connect((address, port))
            else:
                s.sendto(b"x", (address, port))
        except OSError as e:
            err = e.errno if e.errno is not None else 255
        if op == "oldtcp":
            s.close()
        out.write("%d\n" % err)
        continue
    try:
        if op == "tcp" or op == "mptcp":
            s = socket.socket(af, socket.SOCK_STREAM, 262 if op == "mptcp" else 0)
            s.setblocking(False)
        elif op == "ping":
            icmp = socket.IPPROTO_ICMP if af == socket.AF_INET else socket.IPPROTO_ICMPV6
            s = socket.socket(af, socket.SOCK_DGRAM, icmp)
            s.setblocking(False)
        else:
            s = socket.socket(af, socket.SOCK_DGRAM)
            s.setblocking(False)
    except OSError as e:
        out.write("-%d\n" % e.errno)
        continue
    try:
        if op == "udps":
            s.sendto(b"x", (address, port))
        elif op == "ping":
            # type (8 or 128), code, checksum (the kernel's), identifier (the kernel's), sequence
            s.sendto(bytes([8 if af == socket.AF_INET else 128, 0, 0, 0, 0, 0, 0, 1]) + b"wg-pr", (address, 0))
        else:
            s.connect((address, port))
    except OSError as e:
        err = e.errno if e.errno is not None else 255
    finally:
        s.close()
    out.write("%d\n" % err)
