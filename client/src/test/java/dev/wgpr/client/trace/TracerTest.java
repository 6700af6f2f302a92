package dev.wgpr.client.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.control.DaemonStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The tracer on the real kernel, without a daemon (every verdict is then "underlay" or "local"): what the
 * traced program sees is what it sees untraced, but for io_uring, and each call that names an address is
 * reported once.
 */
class TracerTest {
    private static final String PYTHON = "/usr/bin/python3";

    /** A program's stdout and exit status, run by {@code argv}. */
    private record Outcome(String out, int exit, List<Attempt> attempts, int unreadableQueries) {}

    @Test
    void aConnectTheKernelRefusesIsRefusedTheSameTracedAndShowsOnce() throws Exception {
        // A port nobody listens on: the kernel answers ECONNREFUSED (111) whether traced or not.
        String program = """
                import socket
                s = socket.socket()
                try:
                    s.connect(("127.0.0.1", 1))
                except OSError as e:
                    print("errno", e.errno)
                """;
        Outcome untraced = untraced(program);
        Outcome traced = traced(program);

        assertEquals("errno 111\n", untraced.out());
        assertEquals(untraced.out(), traced.out());
        assertEquals(untraced.exit(), traced.exit());
        assertEquals(List.of("connect tcp 127.0.0.1:1 local"), described(traced.attempts()));
    }

    @Test
    void aConnectedSocketsSendsPassUnannouncedWhileSendmsgToAnAddressIsReported() throws Exception {
        String program = """
                import socket
                u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                u.connect(("127.0.0.1", 9))
                for _ in range(3):
                    try:
                        u.send(b"x")
                    except ConnectionRefusedError:
                        pass  # the ICMP port unreachable of the send before
                v = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
                v.sendmsg([b"y"], [], 0, ("::1", 7))
                print("sent")
                """;
        Outcome traced = traced(program);

        assertEquals("sent\n", traced.out());
        assertEquals(
                List.of("connect udp 127.0.0.1:9 local", "sendmsg udp [::1]:7 local"), described(traced.attempts()));
    }

    @Test
    void aUnixSocketsConnectIsLocalAndItsStreamIsNotCalledTcp() throws Exception {
        String program = """
                import socket
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    s.connect("/nonexistent/wg-pr-trace-test")
                except OSError as e:
                    print("errno", e.errno)
                """;
        Outcome traced = traced(program);

        assertEquals("errno 2\n", traced.out());
        assertEquals(List.of("connect stream /nonexistent/wg-pr-trace-test local"), described(traced.attempts()));
    }

    @Test
    void ioUringSetupFailsWithEnosysUnderTraceAndIsReported() throws Exception {
        String program = """
                import ctypes
                libc = ctypes.CDLL(None, use_errno=True)
                params = ctypes.create_string_buffer(120)
                fd = libc.syscall(425, 4, params)
                print("fd" if fd >= 0 else "errno %d" % ctypes.get_errno())
                """;
        Outcome traced = traced(program);

        assertEquals("errno 38\n", traced.out(), "ENOSYS: programs fall back to plain calls");
        assertEquals(List.of("io_uring_setup -"), described(traced.attempts()));
    }

    @Test
    void aDnsQueryIsNamedSentToAnAddressOrOnAConnectedSocketAndJunkToPort53IsCountedNotFatal() throws Exception {
        String program = """
                import socket, struct
                def query(name, qid):
                    labels = b"".join(bytes([len(l)]) + l.encode() for l in name.split("."))
                    return struct.pack(">6H", qid, 0x0100, 1, 0, 0, 0) + labels + b"\\0" + struct.pack(">HH", 1, 1)
                u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                u.sendto(query("db.corp.example", 1), ("127.0.0.1", 53))
                c = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
                c.connect(("::1", 53))
                q = query("www.public.example", 2)
                c.sendmsg([q[:12], q[12:]])  # the header and the question in two pieces
                u.sendto(b"\\xff" * 5, ("127.0.0.1", 53))
                print("sent")
                """;
        Outcome untraced = untraced(program);
        Outcome traced = traced(program);

        assertEquals("sent\n", untraced.out());
        assertEquals(untraced.out(), traced.out());
        assertEquals(
                List.of(
                        "sendto udp 127.0.0.1:53 db.corp.example. A local",
                        "connect udp [::1]:53 local",
                        "sendmsg udp [::1]:53 www.public.example. A local",
                        "sendto udp 127.0.0.1:53 local"),
                described(traced.attempts()));
        assertEquals(1, traced.unreadableQueries(), "the junk, reported without a name");
    }

    @Test
    void aConnectThroughTheX32AbiIsReportedWithItsDestinationNotLetThroughUnseen() throws Exception {
        // x32's connect (42 | 0x40000000) from machine code: seccomp sees it before the kernel refuses it
        // (ENOSYS where the kernel has no x32) or serves it; either way, traced or not, the same answer.
        String program = """
                import ctypes, socket, struct
                libc = ctypes.CDLL(None, use_errno=True)
                libc.mmap.restype = ctypes.c_void_p
                libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
                page = libc.mmap(None, 4096, 7, 0x22 | 0x40, -1, 0)  # RWX, private anonymous, below 4 GiB
                code = bytes([0xb8, 0x2a, 0, 0, 0x40, 0x0f, 0x05, 0xc3])  # mov eax, 0x4000002a; syscall; ret
                address = struct.pack("<H", socket.AF_INET) + struct.pack(">H", 1) + socket.inet_aton("127.0.0.1") + bytes(8)
                ctypes.memmove(page, code, len(code))
                ctypes.memmove(page + 64, address, len(address))
                s = socket.socket()
                call = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_long, ctypes.c_long, ctypes.c_long)(page)
                print("x32 connect", call(s.fileno(), page + 64, 16))
                """;
        Outcome untraced = untraced(program);
        Outcome traced = traced(program);

        assertEquals(untraced.out(), traced.out());
        assertEquals(List.of("connect/x32 tcp 127.0.0.1:1 local"), described(traced.attempts()));
    }

    @Test
    void aDestinationIsNamedAsTheDaemonNamesItAskedOncePerAddressAndLoopbackNever() throws Exception {
        // A UDP socket's connect sends nothing: no packet leaves for the documentation address.
        String program = """
                import socket
                for address in ("192.0.2.80", "192.0.2.80", "192.0.2.81", "127.0.0.1"):
                    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    try:
                        u.connect((address, 9))
                    except OSError:
                        pass  # no route in a bare namespace: the call was announced all the same
                print("connected")
                """;
        List<List<String>> asked = new CopyOnWriteArrayList<>();
        DestinationNames names = new DestinationNames(addresses -> {
            asked.add(addresses);
            return Optional.of(addresses.contains("192.0.2.80") ? Map.of("192.0.2.80", "www.corp.example.") : Map.of());
        });

        Outcome traced = traced(program, names);

        assertEquals("connected\n", traced.out());
        assertEquals(
                List.of(
                        "connect udp 192.0.2.80:9 www.corp.example. underlay",
                        "connect udp 192.0.2.80:9 www.corp.example. underlay",
                        "connect udp 192.0.2.81:9 underlay",
                        "connect udp 127.0.0.1:9 local"),
                described(traced.attempts()));
        assertEquals(List.of(List.of("192.0.2.80"), List.of("192.0.2.81")), asked);
        assertTrue(TraceReport.line(traced.attempts().getFirst()).contains("192.0.2.80:9 (www.corp.example.)"));
    }

    private static Outcome untraced(String program) throws Exception {
        Process process = new ProcessBuilder(PYTHON, "-c", program)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Outcome(out, process.waitFor(), List.of(), 0);
    }

    private static Outcome traced(String program) throws IOException, InterruptedException {
        return traced(program, DestinationNames.none());
    }

    private static Outcome traced(String program, DestinationNames names) throws IOException, InterruptedException {
        List<Attempt> live = new CopyOnWriteArrayList<>();
        Tracer tracer = new Tracer(Judge.of(DaemonStatus.noDaemon("test"), Optional.empty()), names, false, live::add);
        Process process = new ProcessBuilder(TraceStep.command(List.of(PYTHON, "-c", program)))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        List<Attempt> attempts = tracer.trace(Math.toIntExact(process.pid()));
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = process.waitFor();
        assertEquals(attempts, live, "every attempt was also reported live, in order");
        return new Outcome(out, exit, attempts, tracer.unreadableQueries());
    }

    private static List<String> described(List<Attempt> attempts) {
        return attempts.stream()
                .map(a -> String.join(
                                " ",
                                a.syscall(),
                                a.protocol(),
                                a.destination(),
                                a.name(),
                                a.verdict().route())
                        .replaceAll(" +", " "))
                .toList();
    }
}
