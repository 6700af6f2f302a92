# The pivot agent: a real process that tries one way after another to reach an internal host.
# Reads "RUN VECTOR" lines, answers "VECTOR|OUTCOME|DETAIL" where OUTCOME is
#   connected  - a TCP (or MPTCP) connection to the target was established: a breach
#   replied    - an answer came back from the target (ICMP echo reply, UDP reply): a breach
#   sent       - the kernel accepted the data; whether it reached the target, the capture says
#   denied     - EPERM from the enforcement hooks (errno 1)
#   failed     - another errno (EACCES, EPERM from capabilities, ENETUNREACH, ...), named in DETAIL
#   absent     - this kernel lacks what the vector needs (e.g. SCTP): nothing to stop
# "PID" answers the pid; "APPFD N" / "APPPID N" set what the borrowing vectors aim at.
# Arguments: a JSON object (targets, tunnel device name and index, app cgroup, ...).
import ctypes, ctypes.util, errno, json, mmap, os, select, socket, struct, subprocess, sys, threading, time

cfg = json.loads(sys.argv[1])
T4, T6, X4, X6 = cfg["t4"], cfg["t6"], cfg["x4"], cfg["x6"]  # internal host; excluded-by-routing host in corp
DNS4 = cfg["dns4"]
TUN, TUNIDX = cfg["tun"], cfg["tunidx"]
APPCG = cfg["appcg"]
MARK = cfg.get("mark", 0x77670000)  # the steering's mark (issue 18) where the lab knows it
TUNADDR4, TUNADDR6 = cfg["tunaddr4"], cfg.get("tunaddr6", "fd10:20:ffff::1")
# Control hosts outside the tunnel: the Internet and the LAN (whose route is more specific than a tunnel prefix).
INET4, INET6 = cfg.get("inet4", "192.0.2.50"), cfg.get("inet6", "2001:db8:2::50")
LAN4, LAN6 = cfg.get("lan4", "10.20.99.1"), cfg.get("lan6", "fd10:20:99::1")
libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
libc.syscall.restype = ctypes.c_long
state = {"appfd": -1, "apppid": -1, "unix": cfg.get("unix")}

class Outcome(Exception):
    def __init__(self, outcome, detail=""):
        self.outcome, self.detail = outcome, detail

def errname(e):
    return errno.errorcode.get(e, str(e))

def oserr(e):
    n = e.errno if e.errno is not None else 0
    return Outcome("denied" if n == errno.EPERM else "failed", errname(n))

def wait_connected(s, timeout=0.6):
    _, w, _ = select.select([], [s], [], timeout)
    if not w:
        return Outcome("failed", "timeout")
    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if err == 0:
        return Outcome("connected", "")
    return Outcome("denied" if err == errno.EPERM else "failed", errname(err))

def tcp(family, addr, port, proto=0, setup=None, bind=None):
    s = socket.socket(family, socket.SOCK_STREAM, proto)
    try:
        if setup:
            setup(s)
        if bind:
            s.bind(bind)
        s.setblocking(False)
        try:
            s.connect((addr, port) if family == socket.AF_INET else (addr, port, 0, 0) if isinstance(addr, str) else addr)
        except BlockingIOError:
            pass
        except OSError as e:
            return oserr(e)
        return wait_connected(s)
    finally:
        s.close()

def await_reply(s, timeout=0.4):
    r, _, _ = select.select([s], [], [], timeout)
    if r:
        try:
            s.recv(2048)
            return Outcome("replied", "")
        except OSError as e:
            return Outcome("sent", "recv " + errname(e.errno))
    return Outcome("sent", "")

def udp(family, send, setup=None, proto=0, reply=True):
    s = socket.socket(family, socket.SOCK_DGRAM, proto)
    try:
        if setup:
            setup(s)
        try:
            send(s)
        except OSError as e:
            return oserr(e)
        return await_reply(s) if reply else Outcome("sent", "")
    finally:
        s.close()

def a4(port):
    return (T4, port)

def a6(port, addr=None, scope=0):
    return (addr or T6, port, 0, scope)

# ---- io_uring through raw syscalls (no liburing) ---------------------------------------------
SYS_io_uring_setup, SYS_io_uring_enter = 425, 426

def uring_op(opcode, fd, addr, off=0, length=0, op_flags=0):
    params = ctypes.create_string_buffer(120)
    ufd = libc.syscall(SYS_io_uring_setup, 4, params)
    if ufd < 0:
        raise OSError(ctypes.get_errno(), "io_uring_setup")
    try:
        sq_entries, cq_entries = struct.unpack_from("II", params, 0)
        sq = struct.unpack_from("IIIIIIII", params, 40)   # head tail mask entries flags dropped array resv
        cq = struct.unpack_from("IIIIIIII", params, 80)   # head tail mask entries overflow cqes flags resv
        sqring = mmap.mmap(ufd, sq[6] + sq_entries * 4, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE, offset=0)
        sqes = mmap.mmap(ufd, sq_entries * 64, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE, offset=0x10000000)
        cqring = mmap.mmap(ufd, cq[5] + cq_entries * 16, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE, offset=0x8000000)
        sqe = struct.pack("BBHiQQIIQ", opcode, 0, 0, fd, off, addr, length, op_flags, 0x77) + bytes(24)
        sqes[0:64] = sqe
        tail = struct.unpack_from("I", sqring, sq[1])[0]
        mask = struct.unpack_from("I", sqring, sq[2])[0]
        struct.pack_into("I", sqring, sq[6] + (tail & mask) * 4, 0)
        struct.pack_into("I", sqring, sq[1], tail + 1)
        n = libc.syscall(SYS_io_uring_enter, ufd, 1, 1, 1, None, 0)
        if n < 0:
            raise OSError(ctypes.get_errno(), "io_uring_enter")
        head = struct.unpack_from("I", cqring, cq[0])[0]
        cmask = struct.unpack_from("I", cqring, cq[2])[0]
        _, res, _ = struct.unpack_from("QiI", cqring, cq[5] + (head & cmask) * 16)
        return res
    finally:
        os.close(ufd)

def sockaddr_in(addr, port):
    return struct.pack("!HH4s8x", 0, port, socket.inet_aton(addr))[0:0] + struct.pack("=H", socket.AF_INET) + struct.pack("!H4s8x", port, socket.inet_aton(addr))

def sockaddr_in6(addr, port, scope=0):
    return struct.pack("=H", socket.AF_INET6) + struct.pack("!HI16s", port, 0, socket.inet_pton(socket.AF_INET6, addr)) + struct.pack("=I", scope)

def uring_connect(family, sa):
    s = socket.socket(family, socket.SOCK_STREAM)
    try:
        buf = ctypes.create_string_buffer(sa, len(sa))
        res = uring_op(16, s.fileno(), ctypes.addressof(buf), off=len(sa))  # IORING_OP_CONNECT
        if res == 0:
            return Outcome("connected", "io_uring")
        return Outcome("denied" if -res == errno.EPERM else "failed", errname(-res))
    finally:
        s.close()

class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]

class msghdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32), ("iov", ctypes.c_void_p),
                ("iovlen", ctypes.c_size_t), ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]

class mmsghdr(ctypes.Structure):
    _fields_ = [("hdr", msghdr), ("len", ctypes.c_uint32)]

def make_msghdr(sa, payload=b"pivot"):
    name = ctypes.create_string_buffer(sa, len(sa))
    data = ctypes.create_string_buffer(payload, len(payload))
    iov = iovec(ctypes.addressof(data), len(payload))
    m = msghdr(ctypes.addressof(name), len(sa), ctypes.addressof(iov), 1, None, 0, 0)
    return m, (name, data, iov)

def uring_sendmsg(family, sa):
    return uring_sendmsg_setup(family, sa, None)

def uring_sendmsg_setup(family, sa, setup):
    s = socket.socket(family, socket.SOCK_DGRAM)
    try:
        if setup:
            setup(s)
        m, keep = make_msghdr(sa)
        res = uring_op(9, s.fileno(), ctypes.addressof(m), length=1)  # IORING_OP_SENDMSG
        if res >= 0:
            return await_reply(s)
        return Outcome("denied" if -res == errno.EPERM else "failed", errname(-res))
    finally:
        s.close()

def sendmmsg(family, sa):
    s = socket.socket(family, socket.SOCK_DGRAM)
    try:
        m, keep = make_msghdr(sa)
        vec = (mmsghdr * 2)(mmsghdr(m, 0), mmsghdr(m, 0))
        n = libc.sendmmsg(s.fileno(), vec, 2, 0)
        if n < 0:
            e = ctypes.get_errno()
            return Outcome("denied" if e == errno.EPERM else "failed", errname(e))
        return await_reply(s)
    finally:
        s.close()

# ---- helpers for processes ----------------------------------------------------------------------
def run(cmd, timeout=5):
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout, text=True)
    except subprocess.TimeoutExpired:
        return Outcome("failed", "timeout")
    except OSError as e:
        # Refused before any packet: the command could not even start (say under a confinement).
        status = dict(l.split(":", 1) for l in open("/proc/self/status") if ":" in l)
        raise Outcome("failed", "exec %s %s (NoNewPrivs %s, Seccomp %s, CapBnd %s)" % (
            cmd[0], errname(e.errno), status["NoNewPrivs"].strip(), status["Seccomp"].strip(), status["CapBnd"].strip()))
    out = (p.stdout + p.stderr).strip().replace("\n", " ")[-160:].replace("|", "/")
    return p.returncode, out

def child(code):
    """Runs python code in a fresh child of this process (same uid, cgroup, namespace); its stdout
    is 'OUTCOME|DETAIL'."""
    rc, out = run([sys.executable, "-c", PRELUDE + code])
    parts = out.rsplit("|", 1) if "|" in out else ["failed", out]
    last = parts[0].split()[-1] if parts[0].split() else "failed"
    return Outcome(last, parts[1] if len(parts) > 1 else "")

PRELUDE = """
import errno, os, socket, sys
def say(outcome, detail=''):
    print(outcome + '|' + detail); sys.exit(0)
def err(e):
    n = e.errno or 0
    say('denied' if n == errno.EPERM else 'failed', errno.errorcode.get(n, str(n)))
"""

def unshare(flags_args, code):
    rc, out = run(["unshare"] + flags_args + ["--", sys.executable, "-c", PRELUDE + code])
    if "|" not in out:
        return Outcome("failed", out or "rc %d" % rc)
    o, d = out.rsplit("|", 1)
    return Outcome(o.split()[-1], d)

def write_file(path, data):
    try:
        with open(path, "w") as f:
            f.write(data)
        return Outcome("connected", "wrote " + path)  # a breach of the hardening
    except OSError as e:
        return Outcome("failed", errname(e.errno))

def icmp_echo(family, addr, setup=None, connect=False):
    proto = socket.IPPROTO_ICMP if family == socket.AF_INET else socket.IPPROTO_ICMPV6
    try:
        s = socket.socket(family, socket.SOCK_DGRAM, proto)
    except OSError as e:
        return oserr(e)
    try:
        if setup:
            setup(s)
        pkt = struct.pack("!BBHHH", 8 if family == socket.AF_INET else 128, 0, 0, 0x77, 1) + b"pivot"
        target = (addr, 0) if family == socket.AF_INET else (addr, 0, 0, 0)
        try:
            if connect:
                s.connect(target)
                s.send(pkt)
            else:
                s.sendto(pkt, target)
        except OSError as e:
            return oserr(e)
        return await_reply(s)
    finally:
        s.close()

def raw(family, proto, addr):
    try:
        s = socket.socket(family, socket.SOCK_RAW, proto)
    except OSError as e:
        return oserr(e)
    s.close()
    return Outcome("connected", "raw socket created")

def bindtodevice(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, TUN.encode())

def bindtoifindex(s):
    s.setsockopt(socket.SOL_SOCKET, 62, TUNIDX)  # SO_BINDTOIFINDEX

def unicast_if(s):
    # IP_UNICAST_IF / IPV6_UNICAST_IF: the outgoing interface for unicast (an index in network byte
    # order), no privilege needed.
    if s.family == socket.AF_INET:
        s.setsockopt(socket.IPPROTO_IP, 50, struct.pack("!I", TUNIDX))
    else:
        s.setsockopt(socket.IPPROTO_IPV6, 76, struct.pack("!I", TUNIDX))

def lsrr_via_internal(s):
    # IP_OPTIONS with a loose source route whose first hop is the internal host: the hooks would see
    # the final (external) destination while routing sends the packet to the first hop, into the
    # tunnel; the kernel refuses the option to an unprivileged process (EPERM on 6.18).
    s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, b"\x01\x83\x07\x04" + socket.inet_aton(T4))

def pktinfo_send(family, addr, port):
    s = socket.socket(family, socket.SOCK_DGRAM)
    try:
        if family == socket.AF_INET:
            anc = [(socket.IPPROTO_IP, 8, struct.pack("=I4s4s", TUNIDX, bytes(4), bytes(4)))]
            dst = (addr, port)
        else:
            anc = [(socket.IPPROTO_IPV6, socket.IPV6_PKTINFO, struct.pack("=16sI", bytes(16), TUNIDX))]
            dst = (addr, port, 0, 0)
        try:
            s.sendmsg([b"pivot"], anc, 0, dst)
        except OSError as e:
            return oserr(e)
        return await_reply(s)
    finally:
        s.close()

def borrow_fd():
    # pidfd_getfd(pidfd_open(app), app's socket fd): the socket is the app's (cgroup), the caller is not.
    pidfd = libc.syscall(434, state["apppid"], 0)
    if pidfd < 0:
        return Outcome("failed", "pidfd_open " + errname(ctypes.get_errno()))
    fd = libc.syscall(438, pidfd, state["appfd"], 0)
    e = ctypes.get_errno()
    os.close(pidfd)
    if fd < 0:
        return Outcome("failed", "pidfd_getfd " + errname(e))
    s = socket.socket(fileno=fd)
    try:
        s.connect((T4, 80))  # a fresh destination through the app's socket: judged by the caller
        return Outcome("connected", "pidfd_getfd + connect")
    except OSError as e:
        return oserr(e)
    finally:
        s.close()

def ptrace_attach():
    r = libc.ptrace(0x4206, state["apppid"], None, None)  # PTRACE_SEIZE
    if r < 0:
        return Outcome("failed", "ptrace " + errname(ctypes.get_errno()))
    libc.ptrace(17, state["apppid"], None, None)  # PTRACE_DETACH
    return Outcome("connected", "ptrace attached")

def proc_mem():
    try:
        fd = os.open("/proc/%d/mem" % state["apppid"], os.O_RDWR)
        os.close(fd)
        return Outcome("connected", "opened /proc/PID/mem")
    except OSError as e:
        return Outcome("failed", "open " + errname(e.errno))

def vm_writev():
    buf = ctypes.create_string_buffer(8)
    local = iovec(ctypes.addressof(buf), 8)
    remote = iovec(0x10000, 8)
    n = libc.process_vm_writev(state["apppid"], ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
    e = ctypes.get_errno()
    if n < 0 and e in (errno.EPERM, errno.EACCES, errno.ESRCH):
        return Outcome("failed", "process_vm_writev " + errname(e))
    return Outcome("connected", "process_vm_writev reached the app (%d, %s)" % (n, errname(e)))

def scm_rights_from(creator_code):
    """A socket made by another process (creator_code builds it as s) arrives over SCM_RIGHTS; this
    process then sends through it to the internal host."""
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    code = PRELUDE + "import array, socket\n" + creator_code + \
        "\nu = socket.socket(fileno=%d)\nu.sendmsg([b'x'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [s.fileno()]))])\n" % b.fileno()
    p = subprocess.Popen([sys.executable, "-c", code], pass_fds=[b.fileno()])
    b.close()
    try:
        msg, anc, _, _ = a.recvmsg(16, socket.CMSG_SPACE(4))
        p.wait(5)
        if not anc:
            return Outcome("failed", "no descriptor")
        fd = struct.unpack("i", anc[0][2][:4])[0]
        s = socket.socket(fileno=fd)
        try:
            if s.type == socket.SOCK_DGRAM:
                s.sendto(b"pivot", (T4, 53))
                return await_reply(s)
            s.setblocking(False)
            try:
                s.connect((T4, 22))
            except BlockingIOError:
                pass
            return wait_connected(s)
        except OSError as e:
            return oserr(e)
        finally:
            s.close()
    finally:
        a.close()

def proxy_via_local_listener():
    # The attacker's own relay on loopback: whatever it opens toward the internal host is its own.
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    c = socket.create_connection(("127.0.0.1", port))
    conn, _ = srv.accept()
    try:
        return tcp(socket.AF_INET, T4, 22)
    finally:
        for x in (c, conn, srv):
            x.close()

def race_reloads(n=30000):
    # Connects in a tight loop while the test publishes generations continuously.
    connected = 0
    other = {}
    for _ in range(n):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect((T4, 22))
            connected += 1
        except BlockingIOError:
            connected += 1
        except OSError as e:
            if e.errno != errno.EPERM:
                other[errname(e.errno)] = other.get(errname(e.errno), 0) + 1
        finally:
            s.close()
    if connected:
        return Outcome("connected", "%d of %d connects got through" % (connected, n))
    return Outcome("denied", "%d of %d EPERM %s" % (n, n, other or ""))

def reuse_after_denied():
    s = socket.socket()
    try:
        try:
            s.connect(a4(22))
        except OSError:
            pass
        s.settimeout(1)
        s.connect(a4(22))  # the same socket again: judged again
        return Outcome("connected", "")
    except OSError as e:
        return oserr(e)
    finally:
        s.close()

def uring_connect_setup(family, sa, setup):
    s = socket.socket(family, socket.SOCK_STREAM)
    try:
        setup(s)
        s.setblocking(False)
        buf = ctypes.create_string_buffer(sa, len(sa))
        res = uring_op(16, s.fileno(), ctypes.addressof(buf), off=len(sa))
        if res == 0:
            return Outcome("connected", "io_uring")
        if -res == errno.EINPROGRESS:
            return wait_connected(s)
        return Outcome("denied" if -res == errno.EPERM else "failed", errname(-res))
    finally:
        s.close()

def mcast4(s):
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, struct.pack("=4s4si", bytes(4), bytes(4), TUNIDX))

def mcast6(s):
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, TUNIDX)

def so_mark(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, 0x77)

def transparent(s):
    s.setsockopt(socket.SOL_IP, 19, 1)  # IP_TRANSPARENT

def tfo_connect(s):
    s.setsockopt(socket.IPPROTO_TCP, 30, 1)  # TCP_FASTOPEN_CONNECT

def tfo_sendto(family, addr, port):
    s = socket.socket(family, socket.SOCK_STREAM)
    try:
        s.setblocking(False)
        dst = (addr, port) if family == socket.AF_INET else (addr, port, 0, 0)
        try:
            s.sendto(b"pivot", socket.MSG_FASTOPEN, dst)
        except BlockingIOError:
            pass
        except OSError as e:
            return oserr(e)
        return wait_connected(s)
    finally:
        s.close()

# ---- paths no sock_addr hook sees on their own --------------------------------------------------
def ping_binary(*args):
    rc, out = run(["ping", "-n", "-c", "1", "-W", "1"] + list(args))
    return Outcome("replied" if rc == 0 else "failed", out)

def sctp(kind):
    try:
        s = socket.socket(AF4, socket.SOCK_STREAM if kind == "connect" else socket.SOCK_SEQPACKET, 132)
    except OSError as e:
        return Outcome("absent", "no SCTP in this kernel: " + errname(e.errno))
    try:
        if kind == "connect":
            s.setblocking(False)
            try:
                s.connect(a4(22))
            except BlockingIOError:
                pass
            except OSError as e:
                return oserr(e)
            return wait_connected(s)
        try:
            s.sendto(b"pivot", a4(22))  # an association set up implicitly by the first message
        except OSError as e:
            return oserr(e)
        return await_reply(s)
    finally:
        s.close()

def sendfile_after_connect(kind):
    # sendfile and splice need a connected socket: the connect is judged, not the data.
    s = socket.socket(AF4, socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM)
    r, w = os.pipe()
    try:
        s.settimeout(1)
        try:
            s.connect(a4(22 if kind == "tcp" else 53))
        except OSError as e:
            return oserr(e)
        with open(sys.executable, "rb") as f:
            try:
                if kind == "tcp":
                    os.sendfile(s.fileno(), f.fileno(), 0, 5)
                    return Outcome("connected", "sendfile")
                os.write(w, b"pivot")
                os.splice(r, s.fileno(), 5)
                return await_reply(s)
            except OSError as e:
                return oserr(e)
    finally:
        s.close()
        os.close(r)
        os.close(w)

# A process that is no app receives a socket an app made (SCM_RIGHTS over a Unix socket the app
# serves, see "SERVE") and uses it: the socket is judged as the app's, by the app's exact grants.
FROM_APP = {"tcp4": lambda: socket.socket(), "udp4": lambda: socket.socket(AF4, socket.SOCK_DGRAM),
            "icmp4": lambda: socket.socket(AF4, socket.SOCK_DGRAM, socket.IPPROTO_ICMP),
            "tcp4-connected": lambda: socket.create_connection(a4(22), timeout=2),
            # The app's own UDP socket, which it keeps using (a dup: the same socket).
            "udp4-held": lambda: socket.socket(fileno=os.dup(held_udp().fileno()))}

def held_udp():
    if "heldudp" not in state:
        state["heldudp"] = socket.socket(AF4, socket.SOCK_DGRAM)
    return state["heldudp"]

def send_on_held_udp():
    # The app's granted DNS query on the UDP socket it keeps (and may have handed over).
    s = held_udp()
    try:
        s.sendto(b"\x12\x34\x01\x00\x00\x01" + bytes(6) + b"\x02db\x04corp\x00\x00\x01\x00\x01", (DNS4, 53))
    except OSError as e:
        return oserr(e)
    return await_reply(s)

def around_on_apps_held_udp():
    # A process that is no app sends on the app's own UDP socket to where it goes around the tunnel
    # (the Internet host's port 53, under a bypass full tunnel): it may, but the app's socket must not
    # keep the steering's mark, or the app's next granted datagram would leave by the underlay.
    if not state.get("served"):
        return Outcome("error", "no app serves sockets (SERVE)")
    u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        u.connect(state["served"])
        u.sendall(b"udp4-held\n")
        msg, anc, _, _ = u.recvmsg(64, socket.CMSG_SPACE(4))
        if not anc:
            return Outcome("failed", "the app could not hand it over: " + msg.decode())
        s = socket.socket(fileno=struct.unpack("i", anc[0][2][:4])[0])
    finally:
        u.close()
    try:
        try:
            s.sendto(b"dns", (INET4, 53))
        except OSError as e:
            return oserr(e)
        return await_reply(s)
    finally:
        s.close()

def serve_sockets(path):
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    os.chmod(path, 0o777)
    srv.listen(8)
    def loop():
        while True:
            c, _ = srv.accept()
            with c:
                try:
                    made = FROM_APP[c.recv(64).decode().strip()]()
                    c.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", made.fileno()))])
                    made.close()
                except OSError as e:
                    c.sendall(("E" + errname(e.errno)).encode())
    threading.Thread(target=loop, daemon=True).start()

def socket_from_app(kind):
    if not state.get("served"):
        return Outcome("error", "no app serves sockets (SERVE)")
    u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        u.connect(state["served"])
        u.sendall(kind.encode() + b"\n")
        msg, anc, _, _ = u.recvmsg(64, socket.CMSG_SPACE(4))
        if not anc:
            return Outcome("failed", "the app could not make it: " + msg.decode())
        s = socket.socket(fileno=struct.unpack("i", anc[0][2][:4])[0])
    finally:
        u.close()
    try:
        if kind == "tcp4":
            s.setblocking(False)
            try:
                s.connect(a4(80))  # the app's grant is tcp/22,8000-8099
            except BlockingIOError:
                pass
            except OSError as e:
                return oserr(e)
            return wait_connected(s)
        if kind == "udp4":
            s.sendto(b"pivot", a4(54))  # the app has no udp/54 grant
            return await_reply(s)
        if kind == "icmp4":
            s.sendto(struct.pack("!BBHHH", 8, 0, 0, 0x77, 1) + b"pivot", (T4, 0))  # no portless grant
            return await_reply(s)
        s.sendall(b"pivot")  # an established connection the app handed over
        return Outcome("connected", "data sent on the app's connection")
    except OSError as e:
        return oserr(e)
    finally:
        s.close()

# Sockets connected before the tunnel came up ("PRECONNECT"), while their destination was not yet
# internal: the hooks judged their connect then; afterwards the kernel routes what they send into
# the tunnel, and a connected send passes no sock_addr hook.
def preconnect():
    u = socket.socket(AF4, socket.SOCK_DGRAM)
    u.connect(a4(53))
    i = socket.socket(AF4, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
    i.connect((T4, 0))
    state["pre"] = {"udp4": u, "icmp4": i}
    # ... and sockets only created before it, used after it (issue 18: a non-app's socket from before
    # a bypass tunnel carries no mark; the hooks mark it, or the backstop drops what no hook sees).
    state["fresh"] = {
        "udp4": socket.socket(AF4, socket.SOCK_DGRAM),
        "tcp4": socket.socket(AF4, socket.SOCK_STREAM),
        "icmp4": socket.socket(AF4, socket.SOCK_DGRAM, socket.IPPROTO_ICMP),
    }

def use_created_before(kind):
    if kind not in state.get("fresh", {}):
        return Outcome("error", "no %s socket created before the tunnel (PRECONNECT), or used already" % kind)
    s = state["fresh"].pop(kind)
    try:
        if kind == "tcp4":
            s.setblocking(False)
            try:
                s.connect(a4(22))
            except BlockingIOError:
                pass
            except OSError as e:
                return oserr(e)
            return wait_connected(s)
        try:
            if kind == "udp4":
                s.sendto(b"pivot", a4(53))
            else:
                s.sendto(struct.pack("!BBHHH", 8, 0, 0, 0x77, 3) + b"pivot", (T4, 0))
        except OSError as e:
            return oserr(e)
        return await_reply(s)
    finally:
        s.close()

def cmsg_so_mark():
    # The steering's own mark on one datagram, as a SOL_SOCKET/SO_MARK control message (the kernel
    # wants CAP_NET_RAW or CAP_NET_ADMIN for it, as for the socket option).
    s = socket.socket(AF4, socket.SOCK_DGRAM)
    try:
        try:
            s.sendmsg([b"pivot"], [(socket.SOL_SOCKET, socket.SO_MARK, struct.pack("=I", MARK))], 0, a4(53))
        except OSError as e:
            return oserr(e)
        return await_reply(s)
    finally:
        s.close()

def tcp_reconnect_after_unspec():
    # connect() to an external host (allowed), connect(AF_UNSPEC) to dissolve it, connect() again to
    # the internal host: the second connect must be judged on its own.
    s = socket.socket(AF4, socket.SOCK_STREAM)
    try:
        s.settimeout(1)
        try:
            s.connect((INET4, 443))
        except OSError as e:
            return Outcome("error", "the external connect failed: " + errname(e.errno))
        unspec = ctypes.create_string_buffer(16)  # sa_family 0 = AF_UNSPEC
        if libc.connect(s.fileno(), unspec, 16) != 0:
            return Outcome("failed", "AF_UNSPEC " + errname(ctypes.get_errno()))
        s.setblocking(False)
        try:
            s.connect(a4(22))
        except BlockingIOError:
            pass
        except OSError as e:
            return oserr(e)
        return wait_connected(s)
    finally:
        s.close()

def send_preconnected(kind):
    if "pre" not in state:
        return Outcome("error", "nothing connected before the tunnel (PRECONNECT)")
    s = state["pre"][kind]
    try:
        s.send(b"pivot" if kind == "udp4" else struct.pack("!BBHHH", 8, 0, 0, 0x77, 2) + b"pivot")
    except OSError as e:
        return oserr(e)
    return await_reply(s)

# Listeners ("LISTEN PORT": TCP and UDP, IPv4 and IPv6, on every address): what an internal host that
# connects in, or sends to them, gets. A connection accepted gets "hi", a datagram is sent back (the
# answers Reach waits for); "RECEIVED PORT" answers how many connections and datagrams came to PORT.
received = {}

def listen(port):
    t = socket.socket(AF6, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    t.bind(("::", port))
    t.listen(16)
    u = socket.socket(AF6, socket.SOCK_DGRAM)
    u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    u.bind(("::", port))
    received[port] = 0
    def tcp_loop():
        while True:
            c, _ = t.accept()
            received[port] += 1
            try:
                c.sendall(b"hi")
            except OSError:
                pass
            finally:
                c.close()
    def udp_loop():
        while True:
            data, peer = u.recvfrom(2048)
            received[port] += 1
            try:
                u.sendto(data, peer)
            except OSError:
                pass
    threading.Thread(target=tcp_loop, daemon=True).start()
    threading.Thread(target=udp_loop, daemon=True).start()

AF4, AF6 = socket.AF_INET, socket.AF_INET6
V = {
    # TCP and its variants
    "tcp4-connect": lambda: tcp(AF4, T4, 22),
    "tcp4-connect-http": lambda: tcp(AF4, T4, 80),
    "tcp6-connect": lambda: tcp(AF6, T6, 22),
    "tcp6-v4mapped": lambda: tcp(AF6, "::ffff:" + T4, 22),
    "tcp6-zone-scope-id": lambda: tcp(AF6, (T6, 22, 0, TUNIDX), 0),
    "tcp4-port-below-range": lambda: tcp(AF4, T4, 7999),
    "tcp4-port-above-range": lambda: tcp(AF4, T4, 8100),
    "tcp4-port-21": lambda: tcp(AF4, T4, 21),
    "tcp4-port-23": lambda: tcp(AF4, T4, 23),
    "tcp4-network-address": lambda: tcp(AF4, "10.20.0.0", 22),
    "tcp4-bind-tunnel-source": lambda: tcp(AF4, T4, 22, bind=(TUNADDR4, 0)),
    "tcp4-fastopen-sendto": lambda: tfo_sendto(AF4, T4, 22),
    "tcp6-fastopen-sendto": lambda: tfo_sendto(AF6, T6, 22),
    "tcp4-fastopen-connect-opt": lambda: tcp(AF4, T4, 22, setup=tfo_connect),
    "mptcp4-connect": lambda: tcp(AF4, T4, 22, proto=262),
    "mptcp6-connect": lambda: tcp(AF6, T6, 22, proto=262),
    "tcp4-so-mark": lambda: tcp(AF4, T4, 22, setup=so_mark),
    "tcp4-ip-transparent": lambda: tcp(AF4, T4, 22, setup=transparent),
    "tcp4-bindtodevice-internal": lambda: tcp(AF4, T4, 22, setup=bindtodevice),
    "tcp4-bindtodevice-excluded-dst": lambda: tcp(AF4, X4, 22, setup=bindtodevice),
    "tcp6-bindtodevice-excluded-dst": lambda: tcp(AF6, X6, 22, setup=bindtodevice),
    "tcp6-v4mapped-bindtodevice-excluded": lambda: tcp(AF6, "::ffff:" + X4, 22, setup=bindtodevice),
    "tcp4-dns-internal-resolver": lambda: tcp(AF4, DNS4, 53),
    "io_uring-connect4": lambda: uring_connect(AF4, sockaddr_in(T4, 22)),
    "io_uring-connect6": lambda: uring_connect(AF6, sockaddr_in6(T6, 22)),
    "tcp4-local-proxy": proxy_via_local_listener,
    "tcp4-connect-during-reloads": race_reloads,
    # UDP and its variants
    "udp4-sendto": lambda: udp(AF4, lambda s: s.sendto(b"pivot", a4(53))),
    "udp4-connect-send": lambda: udp(AF4, lambda s: (s.connect(a4(53)), s.send(b"pivot"))),
    "udp6-sendto": lambda: udp(AF6, lambda s: s.sendto(b"pivot", a6(53))),
    "udp6-connect-send": lambda: udp(AF6, lambda s: (s.connect(a6(53)), s.send(b"pivot"))),
    "udp6-v4mapped-sendto": lambda: udp(AF6, lambda s: s.sendto(b"pivot", a6(53, "::ffff:" + T4))),
    "udp6-v4mapped-connect": lambda: udp(AF6, lambda s: (s.connect(a6(53, "::ffff:" + T4)), s.send(b"pivot"))),
    "udp4-sendmsg": lambda: udp(AF4, lambda s: s.sendmsg([b"pi", b"vot"], [], 0, a4(53))),
    "udp4-sendmmsg": lambda: sendmmsg(AF4, sockaddr_in(T4, 53)),
    "udp6-sendmmsg": lambda: sendmmsg(AF6, sockaddr_in6(T6, 53)),
    "udp4-external-connected-then-sendto-internal": lambda: udp(AF4, lambda s: (s.connect((INET4, 53)), s.sendto(b"pivot", a4(53)))),
    "udp4-tcp-only-port-22": lambda: udp(AF4, lambda s: s.sendto(b"pivot", a4(22))),
    "udplite4-sendto": lambda: udp(AF4, lambda s: s.sendto(b"pivot", a4(53)), proto=136),
    "udp4-dns-internal-resolver": lambda: udp(AF4, lambda s: s.sendto(b"\x12\x34\x01\x00\x00\x01" + bytes(6) + b"\x02db\x04corp\x00\x00\x01\x00\x01", (DNS4, 53))),
    "udp4-broadcast-internal": lambda: udp(AF4, lambda s: (s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1), s.sendto(b"pivot", ("10.20.255.255", 53)))),
    "udp4-multicast-via-tunnel": lambda: udp(AF4, lambda s: s.sendto(b"pivot", ("239.1.2.3", 53)), setup=mcast4),
    "udp4-allhosts-via-tunnel": lambda: udp(AF4, lambda s: s.sendto(b"pivot", ("224.0.0.1", 53)), setup=mcast4),
    "udp6-multicast-via-tunnel": lambda: udp(AF6, lambda s: s.sendto(b"pivot", ("ff02::1", 53, 0, TUNIDX)), setup=mcast6),
    "udp6-link-local-zone-tunnel": lambda: udp(AF6, lambda s: s.sendto(b"pivot", ("fe80::1", 53, 0, TUNIDX))),
    "udp4-bindtodevice-excluded-dst": lambda: udp(AF4, lambda s: s.sendto(b"pivot", (X4, 53)), setup=bindtodevice),
    "udp6-bindtodevice-excluded-dst": lambda: udp(AF6, lambda s: s.sendto(b"pivot", (X6, 53, 0, 0)), setup=bindtodevice),
    "udp4-pktinfo-ifindex-excluded-dst": lambda: pktinfo_send(AF4, X4, 53),
    "udp6-pktinfo-ifindex-excluded-dst": lambda: pktinfo_send(AF6, X6, 53),
    "udp4-so-mark": lambda: udp(AF4, lambda s: s.sendto(b"pivot", a4(53)), setup=so_mark),
    "io_uring-sendmsg4": lambda: uring_sendmsg(AF4, sockaddr_in(T4, 53)),
    "io_uring-sendmsg6": lambda: uring_sendmsg(AF6, sockaddr_in6(T6, 53)),
    # ICMP, raw and packet sockets
    "icmp4-ping-socket-sendto": lambda: icmp_echo(AF4, T4),
    "icmp4-ping-socket-connect": lambda: icmp_echo(AF4, T4, connect=True),
    "icmp6-ping-socket-sendto": lambda: icmp_echo(AF6, T6),
    "icmp4-ping-socket-bindtodevice-excluded": lambda: icmp_echo(AF4, X4, setup=bindtodevice),
    "icmp4-setcap-ping-binary": lambda: (lambda r: Outcome("replied" if r[0] == 0 else "failed", r[1]))(run(["ping", "-n", "-c", "1", "-W", "1", T4])),
    "icmp6-setcap-ping-binary": lambda: (lambda r: Outcome("replied" if r[0] == 0 else "failed", r[1]))(run(["ping", "-6", "-n", "-c", "1", "-W", "1", T6])),
    "icmp4-setcap-ping-excluded-via-tunnel": lambda: (lambda r: Outcome("replied" if r[0] == 0 else "failed", r[1]))(run(["ping", "-n", "-c", "1", "-W", "1", "-I", TUN, X4])),
    "raw4-socket": lambda: raw(AF4, socket.IPPROTO_ICMP, T4),
    "raw6-socket": lambda: raw(AF6, socket.IPPROTO_ICMPV6, T6),
    "raw4-ipproto-raw": lambda: raw(AF4, socket.IPPROTO_RAW, T4),
    "packet-socket": lambda: (lambda: (socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0).close(), Outcome("connected", "packet socket"))[1])() if True else None,
    # user namespaces
    "userns-raw-socket": lambda: unshare(["-Ur"], "\ntry:\n    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)\n    say('connected','raw socket in userns')\nexcept OSError as e:\n    err(e)\n"),
    "userns-packet-socket": lambda: unshare(["-Ur"], "\ntry:\n    socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)\n    say('connected','packet socket in userns')\nexcept OSError as e:\n    err(e)\n"),
    "userns-bindtodevice-mark": lambda: unshare(["-Ur"], "\ns=socket.socket()\ntry:\n    s.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, 7)\n    say('connected','SO_MARK in userns')\nexcept OSError as e:\n    err(e)\n"),
    "userns-new-netns-connect": lambda: unshare(["-Urn"], "\ns=socket.socket()\ns.settimeout(1)\ntry:\n    s.connect(('%s', 22))\n    say('connected','')\nexcept OSError as e:\n    err(e)\n" % T4),
    "userns-setns-tunnel-netns": lambda: unshare(["-Ur"], "\nimport ctypes\nfd=os.open('/proc/1/ns/net', os.O_RDONLY)\nr=ctypes.CDLL(None, use_errno=True).setns(fd, 0x40000000)\nsay('connected','setns') if r==0 else say('failed', errno.errorcode[ctypes.get_errno()])\n"),
    "userns-cgroupns-join-app": lambda: unshare(["-UrC"], "\ntry:\n    open('%s/cgroup.procs','w').write(str(os.getpid()))\n    say('connected','joined app')\nexcept OSError as e:\n    say('failed', errno.errorcode[e.errno])\n" % APPCG),
    "userns-ping-group-range": lambda: unshare(["-Ur"], "\ntry:\n    open('/proc/sys/net/ipv4/ping_group_range','w').write('0 2147483647')\n    say('connected','widened')\nexcept OSError as e:\n    say('failed', errno.errorcode[e.errno])\n"),
    # cgroups: becoming the app
    "cgroup-join-app": lambda: write_file(APPCG + "/cgroup.procs", str(os.getpid())),
    "cgroup-join-app-thread": lambda: write_file(APPCG + "/cgroup.threads", str(os.getpid())),
    "cgroup-mkdir-under-app": lambda: (lambda: (os.mkdir(APPCG + "/pivot"), Outcome("connected", "mkdir"))[1])() if not os.path.exists(APPCG + "/pivot") else Outcome("connected", "exists"),
    "cgroup-subtree-control": lambda: write_file(APPCG + "/cgroup.subtree_control", "+pids"),
    # sockets from elsewhere
    "scm-rights-udp-from-unauthorized": lambda: scm_rights_from("s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)"),
    "scm-rights-tcp-from-unauthorized": lambda: scm_rights_from("s = socket.socket()"),
    # borrowing an authorized app process
    "borrow-pidfd-getfd": borrow_fd,
    "borrow-ptrace-seize": ptrace_attach,
    "borrow-proc-pid-mem": proc_mem,
    "borrow-process-vm-writev": vm_writev,
    # more shapes of the same calls
    "tcp4-blocking-connect": lambda: (lambda s: (s.settimeout(1), s.connect(a4(22)), Outcome("connected", ""))[2])(socket.socket()),
    "tcp6-bind-tunnel-source": lambda: tcp(AF6, T6, 22, bind=(TUNADDR6, 0, 0, 0)),
    "tcp4-reuse-after-denied-connect": lambda: reuse_after_denied(),
    "udp4-connect-external-then-reconnect-internal": lambda: udp(AF4, lambda s: (s.connect((INET4, 53)), s.connect(a4(53)), s.send(b"pivot"))),
    "udp4-sendto-msg-confirm": lambda: udp(AF4, lambda s: s.sendto(b"pivot", 0x800, a4(53))),
    "udp4-bindtodevice-internal": lambda: udp(AF4, lambda s: s.sendto(b"pivot", a4(53)), setup=bindtodevice),
    "udp6-ttl1-hop-limit": lambda: udp(AF6, lambda s: s.sendto(b"pivot", a6(53)), setup=lambda s: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 1)),
    "udp4-fragmented-datagram": lambda: udp(AF4, lambda s: s.sendto(bytes(4000), a4(53))),
    "udp4-fragmented-bindtodevice-excluded": lambda: udp(AF4, lambda s: s.sendto(bytes(4000), (X4, 53)), setup=bindtodevice),
    "udp6-fragmented-bindtodevice-excluded": lambda: udp(AF6, lambda s: s.sendto(bytes(4000), (X6, 53, 0, 0)), setup=bindtodevice),
    "io_uring-connect4-bindtodevice-excluded": lambda: uring_connect_setup(AF4, sockaddr_in(X4, 22), bindtodevice),
    "icmp6-ping-socket-bindtodevice-excluded": lambda: icmp_echo(AF6, X6, setup=bindtodevice),
    "forked-daemon-child-connect": lambda: child("s=socket.socket()\ns.settimeout(1)\nif os.fork():\n    os.wait(); sys.exit(0)\nos.setsid()\ntry:\n    s.connect(('%s', 22)); say('connected')\nexcept OSError as e:\n    err(e)\n" % T4),
    # tools an unprivileged user has
    "curl-http-internal": lambda: (lambda r: Outcome("connected" if r[0] == 0 else "failed", r[1]))(run(["curl", "-s", "-m", "2", "-o", "/dev/null", "http://%s:80/" % T4])),
    # paths past the sock_addr hooks (the product's backstop and ingress programs must see them)
    "icmp4-setcap-ping-I-tunnel-address": lambda: ping_binary("-I", TUNADDR4, T4),
    "icmp6-setcap-ping-I-tunnel-address": lambda: ping_binary("-6", "-I", TUNADDR6, T6),
    "icmp6-setcap-ping-excluded-via-tunnel": lambda: ping_binary("-6", "-I", TUN, X6),
    "sctp4-connect": lambda: sctp("connect"),
    "sctp4-sendto-implicit-association": lambda: sctp("sendto"),
    "tcp4-sendfile-after-connect": lambda: sendfile_after_connect("tcp"),
    "udp4-splice-after-connect": lambda: sendfile_after_connect("udp"),
    "scm-rights-tcp4-from-app": lambda: socket_from_app("tcp4"),
    "scm-rights-udp4-from-app": lambda: socket_from_app("udp4"),
    "scm-rights-icmp4-from-app": lambda: socket_from_app("icmp4"),
    "io_uring-sendmsg4-bindtodevice-excluded": lambda: uring_sendmsg_setup(AF4, sockaddr_in(X4, 53), bindtodevice),
    "tcp4-bindtoifindex-excluded-dst": lambda: tcp(AF4, X4, 22, setup=bindtoifindex),
    "udp4-unicast-if-excluded-dst": lambda: udp(AF4, lambda s: s.sendto(b"pivot", (X4, 53)), setup=unicast_if),
    "udp6-unicast-if-excluded-dst": lambda: udp(AF6, lambda s: s.sendto(b"pivot", (X6, 53, 0, 0)), setup=unicast_if),
    "icmp4-ping-socket-unicast-if-excluded": lambda: icmp_echo(AF4, X4, setup=unicast_if),
    "udp4-lsrr-first-hop-internal": lambda: udp(AF4, lambda s: s.sendto(b"pivot", (INET4, 53)), setup=lsrr_via_internal),
    "tcp4-lsrr-first-hop-internal": lambda: tcp(AF4, INET4, 443, setup=lsrr_via_internal),
}

# Control cases, not attacks (LIST does not name them): what must keep working.
WEB = cfg["web"]
C = {
    "control-tcp4-internet": lambda: tcp(AF4, INET4, 443),
    "control-tcp6-internet": lambda: tcp(AF6, INET6, 443),
    "control-udp4-internet": lambda: udp(AF4, lambda s: s.sendto(b"dns", (INET4, 53))),
    "control-tcp6-v4mapped-internet": lambda: tcp(AF6, "::ffff:" + INET4, 443),
    "control-tcp4-lan-exclusion": lambda: tcp(AF4, LAN4, 80),
    "control-tcp6-lan-exclusion": lambda: tcp(AF6, LAN6, 80),
    "control-udp4-lan-exclusion": lambda: udp(AF4, lambda s: s.sendto(b"dns", (LAN4, 53))),
    "control-tcp4-loopback": lambda: loopback(AF4, "127.0.0.1"),
    "control-tcp6-loopback": lambda: loopback(AF6, "::1"),
    "control-icmp4-ping-web-host": lambda: icmp_echo(AF4, WEB),
    "control-icmp4-setcap-ping-web-host": lambda: (lambda r: Outcome("replied" if r[0] == 0 else "failed", r[1]))(run(["ping", "-n", "-c", "1", "-W", "1", WEB])),
    "control-tcp4-web-any-port": lambda: tcp(AF4, WEB, 8100),
    "control-tcp4-excluded-direct": lambda: tcp(AF4, X4, 22),
    # not in LIST: an established connection an app hands over is the app's (a documented limit)
    "limit-scm-rights-tcp4-connection-from-app": lambda: socket_from_app("tcp4-connected"),
    # not in LIST: they need sockets connected before the tunnel came up ("PRECONNECT")
    "udp4-connected-before-up-send": lambda: send_preconnected("udp4"),
    "udp4-created-before-up-sendto": lambda: use_created_before("udp4"),
    "tcp4-created-before-up-connect": lambda: use_created_before("tcp4"),
    "icmp4-created-before-up-sendto": lambda: use_created_before("icmp4"),
    # Issue 18's modes: straight at the internal host through the tunnel device (not toward an
    # address routing excludes, as the -excluded- vectors above), which a marked socket's table has no
    # route for: the kernel then assumes the destination on-link and sends it out of the device.
    "udp4-pktinfo-ifindex-internal": lambda: pktinfo_send(AF4, T4, 53),
    "udp6-pktinfo-ifindex-internal": lambda: pktinfo_send(AF6, T6, 53),
    "udp6-v4mapped-pktinfo-ifindex-internal": lambda: pktinfo_send(AF6, "::ffff:" + T4, 53),
    "icmp4-ping-socket-bindtodevice-internal": lambda: icmp_echo(AF4, T4, setup=bindtodevice),
    "icmp6-ping-socket-bindtodevice-internal": lambda: icmp_echo(AF6, T6, setup=bindtodevice),
    "tcp6-v4mapped-bindtodevice-internal": lambda: tcp(AF6, "::ffff:" + T4, 22, setup=bindtodevice),
    "udp6-v4mapped-bindtodevice-internal": lambda: udp(AF6, lambda s: s.sendto(b"pivot", a6(53, "::ffff:" + T4)), setup=bindtodevice),
    "tcp4-bindtoifindex-internal": lambda: tcp(AF4, T4, 22, setup=bindtoifindex),
    "udp4-unicast-if-internal": lambda: udp(AF4, lambda s: s.sendto(b"pivot", a4(53)), setup=unicast_if),
    "icmp4-ping-socket-unicast-if-internal": lambda: icmp_echo(AF4, T4, setup=unicast_if),
    "tcp4-unspec-disconnect-then-connect-internal": tcp_reconnect_after_unspec,
    "udp4-cmsg-so-mark-steering-mark": cmsg_so_mark,
    "udp4-around-on-apps-held-socket": around_on_apps_held_udp,
    "udp4-app-granted-on-held-socket": send_on_held_udp,
    "udp4-so-mark-steering-mark": lambda: udp(AF4, lambda s: s.sendto(b"pivot", a4(53)), setup=lambda s: s.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, MARK)),
    "icmp4-connected-before-up-send": lambda: send_preconnected("icmp4"),
    "control-udp4-web-any-port": lambda: udp(AF4, lambda s: s.sendto(b"x", (WEB, 54))),
}

def loopback(family, addr):
    srv = socket.socket(family)
    srv.bind((addr, 0))
    srv.listen(1)
    try:
        return tcp(family, addr, srv.getsockname()[1])
    finally:
        srv.close()

V_ALL = dict(V)
V_ALL.update(C)

def safe(fn):
    try:
        r = fn()
        return r if isinstance(r, Outcome) else Outcome("failed", repr(r))
    except Outcome as o:
        return o
    except OSError as e:
        return oserr(e)
    except Exception as e:  # a bug in a vector must not look like a block
        return Outcome("error", type(e).__name__ + ": " + str(e).replace("|", "/"))

out = sys.stdout
for line in sys.stdin:
    parts = line.split()
    if not parts:
        continue
    if parts[0] == "PID":
        out.write("%d\n" % os.getpid())
    elif parts[0] == "LIST":
        out.write(" ".join(V.keys()) + "\n")
    elif parts[0] == "APPPID":
        state["apppid"] = int(parts[1]); out.write("ok\n")
    elif parts[0] == "APPFD":
        state["appfd"] = int(parts[1]); out.write("ok\n")
    elif parts[0] == "HOLD":
        held = socket.socket(); state.setdefault("held", []).append(held); out.write("%d\n" % held.fileno())
    elif parts[0] == "NODUMP":
        libc.prctl(4, 0, 0, 0, 0); out.write("%d\n" % libc.prctl(3, 0, 0, 0, 0))  # PR_SET/GET_DUMPABLE
    elif parts[0] == "DUMPABLE":
        out.write("%d\n" % libc.prctl(3, 0, 0, 0, 0))
    elif parts[0] == "SERVE":
        serve_sockets(parts[1]); out.write("ok\n")
    elif parts[0] == "SERVED":
        state["served"] = parts[1]; out.write("ok\n")
    elif parts[0] == "PRECONNECT":
        preconnect(); out.write("ok\n")
    elif parts[0] == "LISTEN":
        listen(int(parts[1])); out.write("ok\n")
    elif parts[0] == "RECEIVED":
        out.write("%d\n" % received.get(int(parts[1]), 0))
    elif parts[0] == "RUN":
        o = safe(V_ALL[parts[1]])
        out.write("%s|%s|%s\n" % (parts[1], o.outcome, o.detail.replace("\n", " ")))
    out.flush()
