#!/usr/bin/python3
# The traffic of guest.sh's kernel-wg check, one line per attempt ("WHAT TARGET ok|denied|FAILED why"):
#   serve PORT              echoes TCP and UDP on [::]:PORT (IPv4 too) until killed
#   app PORT ADDRESS...     as an app: TCP and UDP to each address must be echoed
#   pivot PORT ADDRESS DEV  as a process of no app: raw ICMP to ADDRESS, TCP bound to DEV
#                           (SO_BINDTODEVICE), plain UDP: each must come to nothing
#   gateway PORT ADDRESS... on the gateway, toward an app's serve behind each ADDRESS: UDP must be
#                           echoed (the app's grant covers the gateway), TCP refused (no app accepts
#                           connections from a tunnel)
#   hold PORT SECONDS ADDRESS  as an app: one TCP connection, a line echoed every 2 s for SECONDS;
#                           the connection must never fail
# Only the standard library, so it runs on any Debian host.
import os
import socket
import struct
import sys
import threading
import time

WAIT = float(os.environ.get("WGPR_KERNEL_WG_WAIT", "20"))


def family(address):
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def serve(port):
    tcp = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    tcp.bind(("::", port))
    tcp.listen(16)
    udp = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    udp.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    udp.bind(("::", port))

    def echo_udp():
        while True:
            data, peer = udp.recvfrom(2048)
            udp.sendto(data, peer)

    def echo_tcp(conn):
        with conn:
            while True:
                data = conn.recv(2048)
                if not data:
                    return
                conn.sendall(data)

    threading.Thread(target=echo_udp, daemon=True).start()
    print("serving", port, flush=True)
    while True:
        conn, _ = tcp.accept()
        threading.Thread(target=echo_tcp, args=(conn,), daemon=True).start()


def tcp_echo(address, port, device=None, wait=WAIT):
    s = socket.socket(family(address), socket.SOCK_STREAM)
    s.settimeout(wait)
    if device:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device.encode())
    try:
        s.connect((address, port))
        payload = b"wg-pr tcp %s" % address.encode()
        s.sendall(payload)
        return s.recv(2048) == payload
    finally:
        s.close()


def udp_echo(address, port, wait=WAIT):
    # A first datagram may wait for the handshake: send again every second until the echo comes.
    s = socket.socket(family(address), socket.SOCK_DGRAM)
    s.settimeout(1)
    payload = b"wg-pr udp %s" % address.encode()
    deadline = time.monotonic() + wait
    try:
        while time.monotonic() < deadline:
            s.sendto(payload, (address, port))
            try:
                if s.recv(2048) == payload:
                    return True
            except socket.timeout:
                pass
        return False
    finally:
        s.close()


def hold(address, port, seconds):
    # One connection across whatever the tunnel does meanwhile (a rekey): every echo must come back.
    s = socket.create_connection((address, port), timeout=WAIT)
    echoes, slowest, started = 0, 0.0, time.monotonic()
    try:
        while time.monotonic() - started < seconds:
            payload = b"wg-pr hold %d" % echoes
            sent = time.monotonic()
            s.sendall(payload)
            got = b""
            while len(got) < len(payload):
                data = s.recv(2048)
                if not data:
                    raise OSError("the gateway closed the connection")
                got += data
            if got != payload:
                raise OSError("echoed %r for %r" % (got, payload))
            echoes += 1
            slowest = max(slowest, time.monotonic() - sent)
            time.sleep(2)
    except OSError as e:
        print("hold %s FAILED after %d echoes in %d s: %s" % (address, echoes, time.monotonic() - started, e))
        return False
    finally:
        s.close()
    print("hold %s ok %d echoes over %d s on one connection, slowest %.2f s" % (
        address, echoes, time.monotonic() - started, slowest), flush=True)
    return True


def ping(address, wait):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.settimeout(wait)
    body = struct.pack("!BBHHH", 8, 0, 0, 0x7770, 1) + b"wg-pr pivot"
    padded = body + b"\0" * (len(body) % 2)
    checksum = sum(struct.unpack("!%dH" % (len(padded) // 2), padded))
    checksum = (checksum >> 16) + (checksum & 0xFFFF)
    checksum = ~(checksum + (checksum >> 16)) & 0xFFFF
    body = body[:2] + struct.pack("!H", checksum) + body[4:]
    try:
        s.sendto(body, (address, 0))
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            data, peer = s.recvfrom(2048)
            if peer[0] == address and data[20] == 0:  # an echo reply from the target
                return True
        return False
    finally:
        s.close()


def attempt(what, target, expected, action):
    try:
        reached = action()
        why = "" if reached else "no answer"
    except OSError as e:
        reached, why = False, "%s" % (e.strerror or e)
    verdict = ("ok" if reached else "denied") if reached == expected else "FAILED"
    print("%s %s %s %s" % (what, target, verdict, why if not reached else ""), flush=True)
    return reached == expected


def main():
    command, port = sys.argv[1], int(sys.argv[2])
    if command == "serve":
        serve(port)
    good = True
    if command == "app":
        for address in sys.argv[3:]:
            good &= attempt("tcp", address, True, lambda: tcp_echo(address, port))
            good &= attempt("udp", address, True, lambda: udp_echo(address, port))
    elif command == "pivot":
        address, device = sys.argv[3], sys.argv[4]
        good &= attempt("raw-icmp", address, False, lambda: ping(address, 5))
        good &= attempt("tcp-bindtodevice", address, False, lambda: tcp_echo(address, port, device, 5))
        good &= attempt("udp", address, False, lambda: udp_echo(address, port, 5))
    elif command == "gateway":
        for address in sys.argv[3:]:
            good &= attempt("udp-in", address, True, lambda: udp_echo(address, port))
            good &= attempt("tcp-in", address, False, lambda: tcp_echo(address, port, wait=5))
    elif command == "hold":
        good = hold(sys.argv[4], port, float(sys.argv[3]))
    sys.exit(0 if good else 1)


main()
