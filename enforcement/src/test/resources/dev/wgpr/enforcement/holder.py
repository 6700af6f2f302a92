# A process that holds connections for the revocation tests, in an app's cgroup (or none) and the
# lab's client namespace. Commands on stdin, one answer line each:
#   PID                          -> its pid
#   tcp NAME FAMILY ADDR PORT    -> errno of a blocking connect (0: established, kept as NAME)
#   udp NAME FAMILY ADDR PORT    -> errno of a UDP connect (0: connected, kept as NAME)
#   echo NAME                    -> 0 when "ping" went out and came back on NAME, else the errno
#                                   (-1: the peer closed, 110: no answer within a second)
#   many N FAMILY ADDR PORT      -> how many of N TCP connects succeeded (kept as a group)
#   dead                         -> how many of the group are dead now (poll: error or hangup)
#   closeall                     -> closes the group, answers 0
# argv[1], if given, stretches the waits (2 s connect, 1 s echo) on a machine that many times slower.
import errno
import os
import resource
import select
import socket
import sys

# As many descriptors as we may have (the benchmark holds thousands of connections).
_, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
held = {}
group = []
slower = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
out = sys.stdout


def fam(f):
    return socket.AF_INET if f == "4" else socket.AF_INET6


def answer(value):
    out.write("%s\n" % value)
    out.flush()


def echo(s):
    try:
        s.send(b"ping")
        s.settimeout(1.0 * slower)
        data = s.recv(64)
        if data == b"ping":
            return 0
        return -1
    except socket.timeout:
        return errno.ETIMEDOUT
    except OSError as e:
        return e.errno if e.errno is not None else 255


for line in sys.stdin:
    parts = line.split()
    if not parts:
        continue
    op = parts[0]
    if op == "PID":
        answer(os.getpid())
    elif op in ("tcp", "udp"):
        name, family, address, port = parts[1], parts[2], parts[3], int(parts[4])
        s = socket.socket(fam(family), socket.SOCK_STREAM if op == "tcp" else socket.SOCK_DGRAM)
        s.settimeout(2.0 * slower)
        try:
            s.connect((address, port))
            held[name] = s
            answer(0)
        except OSError as e:
            s.close()
            answer(e.errno if e.errno is not None else 255)
    elif op == "echo":
        answer(echo(held[parts[1]]))
    elif op == "many":
        n, family, address, port = int(parts[1]), parts[2], parts[3], int(parts[4])
        ok = 0
        for _ in range(n):
            s = socket.socket(fam(family), socket.SOCK_STREAM)
            s.settimeout(2.0)
            try:
                s.connect((address, port))
                group.append(s)
                ok += 1
            except OSError:
                s.close()
        answer(ok)
    elif op == "dead":
        p = select.poll()
        for s in group:
            p.register(s, select.POLLIN)
        dead = sum(1 for _, ev in p.poll(0) if ev & (select.POLLERR | select.POLLHUP))
        answer(dead)
    elif op == "closeall":
        for s in group:
            s.close()
        group = []
        answer(0)
    else:
        answer(255)
