# A listener for the inbound kernel tests: PROTO (tcp|udp) FAMILY (4|6) PORT. Prints "ready" once bound,
# then one line per connection accepted ("accepted ADDR", after sending "hi") or datagram received
# ("received ADDR", after sending it back with sendto: a listener's answer).
import socket
import sys

proto, family, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
af = socket.AF_INET6 if family == "6" else socket.AF_INET
s = socket.socket(af, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::" if family == "6" else "0.0.0.0", port))
if proto == "tcp":
    s.listen(8)
print("ready", flush=True)
while True:
    if proto == "tcp":
        c, a = s.accept()
        c.sendall(b"hi")
        c.close()
        print("accepted", a[0], flush=True)
    else:
        d, a = s.recvfrom(100)
        try:
            s.sendto(d, a)
        except OSError as e:
            print("answer refused", e.errno, flush=True)
        print("received", a[0], flush=True)
