# The internal services of the revocation tests, run in the lab's "server" namespace:
#   echo_server.py PORT SINKPORT ADDRESS...
# TCP echo on PORT (dual stack, every address); UDP echo on PORT of each ADDRESS, one socket per
# address, so that a reply leaves from the address the request went to (a wildcard UDP socket would
# answer from whatever source routing picks, which a connected client drops). With SINKPORT > 0, a
# TCP listener there that accepts and holds connections without a thread each (never reads), so a
# benchmark can hold thousands.
import resource
import socket
import sys
import threading

port = int(sys.argv[1])


def serve_tcp_client(c):
    try:
        while True:
            data = c.recv(4096)
            if not data:
                break
            c.sendall(data)
    except OSError:
        pass
    finally:
        c.close()


def serve_tcp():
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    s.listen(1024)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve_tcp_client, args=(c,), daemon=True).start()


def serve_udp(address):
    s = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((address, port))
    while True:
        data, peer = s.recvfrom(4096)
        s.sendto(data, peer)


def hold(sink):
    # Accepts and keeps every connection (one thread, no reads), so the accept queue never fills
    # however many connections a benchmark opens and has destroyed in turn.
    held = []
    while True:
        c, _ = sink.accept()
        held.append(c)


if int(sys.argv[2]) > 0:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sink = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    sink.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sink.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sink.bind(("::", int(sys.argv[2])))
    sink.listen(4096)
    threading.Thread(target=hold, args=(sink,), daemon=True).start()

for address in sys.argv[3:]:
    threading.Thread(target=serve_udp, args=(address,), daemon=True).start()
serve_tcp()
