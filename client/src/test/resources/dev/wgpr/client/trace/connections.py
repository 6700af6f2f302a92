# Connections from several threads and a child process, for wg-pr trace's tests and bench/trace.
# Usage: connections.py INTERNET INTERNAL PORT [leak]
import os
import socket
import sys
import threading

internet, internal, port = sys.argv[1], sys.argv[2], int(sys.argv[3])


def hello(address):
    with socket.create_connection((address, port), timeout=5) as s:
        return s.recv(5).decode()


out = []


def tcp():
    out.append("thread tcp " + hello(internet))


def udp():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.sendto(b"x", (internet, 9))
    out.append("thread udp sent")


threads = [threading.Thread(target=tcp), threading.Thread(target=udp)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for line in sorted(out):
    print(line, flush=True)
pid = os.fork()
if pid == 0:
    print("child " + hello(internet), flush=True)
    os._exit(0)
os.waitpid(pid, 0)
if len(sys.argv) > 4:
    try:
        hello(internal)
        print("internal reached")
    except OSError as e:
        print("internal refused", e.errno)
sys.exit(7)
