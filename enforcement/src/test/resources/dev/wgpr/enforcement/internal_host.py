# The internal network behind the lab's tunnel device: TCP listeners and UDP echo servers on every
# address of this namespace, and a capture of every IP packet that arrives from the tunnels.
# argv: DEVICES TCP_PORTS UDP_PORTS (comma lists; Ethernet devices and TUN devices without a link
# header alike). stdin: "COUNT" answers "N SUMMARY-OF-LAST-5"; "COUNT I" answers "N
# SUMMARY-OF-THE-FIRST-5-FROM-I" (what arrived since the count was I).
import socket, struct, sys, threading

devs, tcp_ports, udp_ports = sys.argv[1].split(","), sys.argv[2].split(","), sys.argv[3].split(",")
lock = threading.Lock()
seen = []

def tcp_socket(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(128)
    return s

def tcp_server(s):
    while True:
        c, _ = s.accept()
        c.close()

def udp_socket(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
    s.bind(("::", port))
    return s

def udp_server(s):
    # Answers from the address it was asked at (as a real server bound to it does), not from the
    # address routing would choose: the client only takes replies from what its grants cover.
    while True:
        data, ancillary, _, peer = s.recvmsg(2048, socket.CMSG_SPACE(20))
        asked = [d[:16] for level, kind, d in ancillary if level == socket.IPPROTO_IPV6 and kind == socket.IPV6_PKTINFO]
        source = [(socket.IPPROTO_IPV6, socket.IPV6_PKTINFO, asked[0] + bytes(4))] if asked else []
        try:
            s.sendmsg([data], source, 0, peer)
        except OSError:  # asked at a broadcast or multicast address: answer from routing's choice
            s.sendto(data, peer)

def capture_socket(dev):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))  # ETH_P_ALL
    s.bind((dev, 0))
    return s

def capture(s):
    while True:
        frame, addr = s.recvfrom(65535)
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        link = 14 if addr[3] == 1 else 0  # ARPHRD_ETHER has a 14-byte header; a TUN device none
        eth = addr[1]
        ip = frame[link:]
        if eth == 0x0800:
            proto, src, dst = ip[9], socket.inet_ntop(socket.AF_INET, ip[12:16]), socket.inet_ntop(socket.AF_INET, ip[16:20])
        elif eth == 0x86DD:
            proto, src, dst = ip[6], socket.inet_ntop(socket.AF_INET6, ip[8:24]), socket.inet_ntop(socket.AF_INET6, ip[24:40])
        else:
            continue
        with lock:
            seen.append("%s>%s/%d" % (src, dst, proto))

# Everything is bound before READY, so nothing races the first attempt.
for p in tcp_ports:
    threading.Thread(target=tcp_server, args=(tcp_socket(int(p)),), daemon=True).start()
for p in udp_ports:
    threading.Thread(target=udp_server, args=(udp_socket(int(p)),), daemon=True).start()
for d in devs:
    threading.Thread(target=capture, args=(capture_socket(d),), daemon=True).start()
print("READY", flush=True)
for line in sys.stdin:
    words = line.split()
    if words and words[0] == "COUNT":
        with lock:
            shown = seen[int(words[1]):][:5] if len(words) > 1 else seen[-5:]
            print("%d %s" % (len(seen), ",".join(shown)), flush=True)
# stdin may be /dev/null (a lab process): serve until killed.
threading.Event().wait()
