package dev.wgpr.client.trace;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import dev.wgpr.client.dns.DnsQuery;
import dev.wgpr.common.Pace;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.net.IpText;
import dev.wgpr.enforcement.policy.Protocol;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.xbill.DNS.Type;

/**
 * Serves one traced process tree's notifications until no process of it is left: reads what each call
 * names from the caller's memory ({@code process_vm_readv}), checks that the notification still stands
 * ({@code SECCOMP_IOCTL_NOTIF_ID_VALID}: the memory read was the caller's), and answers {@code
 * SECCOMP_USER_NOTIF_FLAG_CONTINUE}: the call goes on exactly as without the trace, and wg-pr's kernel
 * hooks decide it. With {@code block}, a call wg-pr would deny fails with EPERM at once instead.
 *
 * <p>The target may change the memory after the check (it is its own memory, and with CONTINUE the kernel
 * reads it again): what the trace shows is what the call named when it was announced. That is enough for
 * a trace, never for enforcement, which stays in the kernel's hooks. An attempt is reported once the answer
 * was taken: a call interrupted before it (a signal, and the call restarted) is reported when it is made
 * again, not twice.
 */
public final class Tracer {
    private static final int MAX_ADDRESS = 128;
    private static final int MSGHDR_SIZE = 56;
    private static final int MMSGHDR_SIZE = 64;
    private static final int MAX_MMSG = 64;
    private static final int SO_TYPE = 3;
    private static final int SO_PROTOCOL = 38;
    private static final int DNS_PORT = 53;
    /** Enough for any query with one question and EDNS options; a longer message is no query a resolver sends. */
    private static final int MAX_QUERY = 1024;

    private static final int MAX_IOV = 16;
    private static final int IOVEC_SIZE = 16;

    private final Judge judge;
    private final DestinationNames names;
    private final boolean block;
    private final Consumer<Attempt> live;
    private final List<Attempt> attempts = new ArrayList<>();
    private int unreadableQueries;
    /** Those of the call being served: counted once its answer is taken, as its attempts are. */
    private int unreadableInCall;

    /** {@code names}: the name each destination was resolved from ({@link DestinationNames#none()}: none). */
    public Tracer(Judge judge, DestinationNames names, boolean block, Consumer<Attempt> live) {
        this.judge = judge;
        this.names = names;
        this.block = block;
        this.live = live;
    }

    /** Starts {@code argv} traced, as the caller, with this process's stdio; its process. */
    public static Process start(List<String> argv) throws IOException {
        return new ProcessBuilder(TraceStep.command(argv)).inheritIO().start();
    }

    /** How many sends to port 53 carried no DNS query the trace could read (they are reported without a name). */
    public int unreadableQueries() {
        return unreadableQueries;
    }

    /**
     * Takes the listener of {@code pid} (started through {@link TraceStep}) and serves it until every
     * process of the traced tree has ended; every attempt seen, in order.
     */
    public List<Attempt> trace(int pid) throws IOException {
        // Live lines are written by a thread of their own: the next call need not wait for a terminal.
        ExecutorService printer = Executors.newSingleThreadExecutor(
                Thread.ofPlatform().name("trace-lines").daemon(true).factory());
        try (NotifyListener listener = NotifyListener.takeFrom(pid, Pace.scaled(Duration.ofSeconds(30)))) {
            while (true) {
                Optional<Boolean> ready = listener.await(1000);
                if (ready.isEmpty()) {
                    return List.copyOf(attempts);
                }
                if (ready.get()) {
                    Optional<NotifyListener.Notification> notification = listener.receive();
                    if (notification.isPresent()) {
                        serve(listener, notification.get(), printer);
                    }
                }
            }
        } catch (ErrnoException e) {
            throw new IOException(e.getMessage(), e);
        } finally {
            printer.close(); // waits for the lines already handed to it
        }
    }

    private void serve(NotifyListener listener, NotifyListener.Notification call, ExecutorService printer)
            throws ErrnoException {
        unreadableInCall = 0;
        Abi abi = Abi.of(call.arch(), call.number());
        Optional<Syscall> syscall = abi == null ? Optional.empty() : Syscall.of(abi, call.number());
        List<Attempt> seen = syscall.isEmpty() ? List.of() : describe(abi, syscall.get(), call);
        if (!listener.stillValid(call.id())) {
            return; // the caller went away while we read: what we read may be another process's
        }
        int errno = 0;
        if (syscall.equals(Optional.of(Syscall.IO_URING_SETUP))) {
            errno = Libc.ENOSYS;
        } else if (block && seen.stream().anyMatch(a -> !a.verdict().allowed())) {
            errno = Libc.EPERM;
        }
        if (listener.answer(call.id(), errno)) {
            unreadableQueries += unreadableInCall;
            for (Attempt attempt : seen) {
                attempts.add(attempt);
                printer.execute(() -> live.accept(attempt));
            }
        }
    }

    private List<Attempt> describe(Abi abi, Syscall syscall, NotifyListener.Notification call) {
        if (abi != Abi.X86_64 && !syscall.sameInEveryAbi()) {
            return otherAbi(abi, syscall, call);
        }
        String label = abi == Abi.X86_64 ? syscall.callName() : syscall.callName() + "/" + abi.label;
        int tid = call.tid();
        long[] args = call.args();
        try (Arena arena = Arena.ofConfined();
                Caller caller = Caller.of(tid)) {
            List<Sent> sent = new ArrayList<>();
            switch (syscall) {
                case CONNECT, BIND -> sent.add(new Sent(read(arena, tid, args[1], Math.min(args[2], MAX_ADDRESS))));
                case SENDTO ->
                    sent.add(new Sent(
                            read(arena, tid, args[4], Math.min(args[5], MAX_ADDRESS)),
                            new Payload(arena, tid, args[1], args[2])));
                case SENDMSG ->
                    named(arena, caller, (int) args[0], read(arena, tid, args[1], MSGHDR_SIZE))
                            .ifPresent(sent::add);
                case SENDMMSG -> {
                    long count = Math.min(args[2] & 0xffffffffL, MAX_MMSG);
                    MemorySegment vector = read(arena, tid, args[1], count * MMSGHDR_SIZE);
                    for (long i = 0; i < vector.byteSize() / MMSGHDR_SIZE; i++) {
                        named(arena, caller, (int) args[0], vector.asSlice(i * MMSGHDR_SIZE, MSGHDR_SIZE))
                                .ifPresent(sent::add);
                    }
                }
                case LISTEN, ACCEPT, ACCEPT4 -> sent.add(new Sent(socketAddress(arena, caller, (int) args[0], false)));
                case IO_URING_SETUP -> {
                    return List.of(unaddressed(
                            label,
                            caller,
                            new Verdict(
                                    "-",
                                    false,
                                    "io_uring is refused under trace (ENOSYS): its submissions would pass unseen",
                                    false)));
                }
            }
            String protocol = protocol(caller, (int) args[0]);
            Set<String> distinct = new LinkedHashSet<>();
            List<Attempt> result = new ArrayList<>();
            for (Sent one : sent) {
                Attempt attempt = attempt(syscall, label, caller, protocol, one);
                if (distinct.add(attempt.destination() + " " + attempt.name())) {
                    result.add(attempt);
                }
            }
            return result;
        } catch (IOException e) {
            return List.of(); // the caller is gone, or passed memory it does not have: the call fails by itself
        }
    }

    /**
     * A call of another ABI whose structures differ from x86-64's ({@code struct msghdr} with 32-bit
     * pointers, {@code socketcall}'s argument block): reported, not decoded.
     */
    private List<Attempt> otherAbi(Abi abi, Syscall syscall, NotifyListener.Notification call) {
        try (Caller caller = Caller.of(call.tid())) {
            return List.of(unaddressed(
                    syscall.callName() + "/" + abi.label,
                    caller,
                    new Verdict(
                            "-",
                            true,
                            "made through the " + abi.label + " ABI: seen, not decoded; wg-pr's hooks judge it as"
                                    + " any other",
                            false)));
        } catch (ErrnoException e) {
            return List.of();
        }
    }

    /**
     * One destination a call names, with what it sends there when that may be a DNS query (the payload is
     * read only for port 53).
     */
    private record Sent(MemorySegment address, Optional<Payload> payload) {
        Sent(MemorySegment address) {
            this(address, Optional.empty());
        }

        Sent(MemorySegment address, Payload payload) {
            this(address, Optional.of(payload));
        }
    }

    /** Where a call's data is in the caller's memory: one buffer, or a {@code struct iovec} array. */
    private record Payload(Arena arena, int tid, long address, long length, boolean vector) {
        Payload(Arena arena, int tid, long address, long length) {
            this(arena, tid, address, length, false);
        }

        /** The first {@link #MAX_QUERY} bytes at most; empty when the memory cannot be read. */
        byte[] bytes() {
            try {
                if (!vector) {
                    return read(arena, tid, address, Math.min(length, MAX_QUERY))
                            .toArray(JAVA_BYTE);
                }
                long count = Math.min(length, MAX_IOV);
                MemorySegment iovecs = read(arena, tid, address, count * IOVEC_SIZE);
                java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                for (long i = 0; i < iovecs.byteSize() / IOVEC_SIZE && out.size() < MAX_QUERY; i++) {
                    long base = iovecs.get(JAVA_LONG, i * IOVEC_SIZE);
                    long size = Math.min(iovecs.get(JAVA_LONG, i * IOVEC_SIZE + 8), MAX_QUERY - out.size());
                    if (size > 0) {
                        out.writeBytes(read(arena, tid, base, size).toArray(JAVA_BYTE));
                    }
                }
                return out.toByteArray();
            } catch (IOException e) {
                return new byte[0];
            }
        }
    }

    private Attempt attempt(Syscall syscall, String label, Caller caller, String protocol, Sent sent) {
        MemorySegment address = sent.address();
        int family = address.byteSize() >= 2 ? Short.toUnsignedInt(address.get(JAVA_SHORT_UNALIGNED, 0)) : -1;
        boolean incoming = syscall == Syscall.BIND
                || syscall == Syscall.LISTEN
                || syscall == Syscall.ACCEPT
                || syscall == Syscall.ACCEPT4;
        if ((family == Libc.AF_INET || family == Libc.AF_INET6)
                && address.byteSize() >= (family == Libc.AF_INET ? 8 : 24)) {
            boolean v4 = family == Libc.AF_INET;
            int port = Short.toUnsignedInt(address.get(JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 2));
            byte[] raw = address.asSlice(v4 ? 4 : 8, v4 ? 4 : 16).toArray(JAVA_BYTE);
            InetAddress destination;
            try {
                destination = InetAddress.getByAddress(raw);
            } catch (UnknownHostException e) {
                throw new AssertionError(e);
            }
            String where = (v4 ? IpText.of(destination) : "[" + IpText.of(destination) + "]") + ":" + port;
            Optional<DnsQuery> query =
                    port == DNS_PORT ? sent.payload().flatMap(payload -> query(payload, protocol)) : Optional.empty();
            // A query's name is what it asks; another destination's, the name the program resolved it from.
            String name = query.map(
                            q -> q.name() + " " + Type.string(q.question().getType()))
                    .orElseGet(() -> incoming ? "" : names.nameOf(destination));
            Verdict verdict = incoming
                    ? new Verdict("incoming", true, "waits for peers on " + where, false)
                    : query.isPresent()
                            ? judge.judgeQuery(
                                    caller,
                                    destination,
                                    protocolOf(protocol),
                                    port,
                                    query.get().name())
                            : judge.judge(caller, destination, protocolOf(protocol), port);
            return attempt(label, caller, v4 ? "inet" : "inet6", protocol, where, name, verdict);
        }
        if (family == Libc.AF_UNIX) {
            String path = unixPath(address);
            return attempt(
                    label, caller, "unix", protocol, path, "", new Verdict("local", true, "a unix socket", false));
        }
        return attempt(
                label,
                caller,
                family < 0 ? "" : Integer.toString(family),
                protocol,
                "",
                "",
                new Verdict("local", true, "not an IP socket", false));
    }

    /**
     * The DNS query a send to port 53 carries (over TCP after its two-byte length); empty, and counted,
     * when it is none: a program may send anything to port 53, and a trace must never fail on it.
     */
    private Optional<DnsQuery> query(Payload payload, String protocol) {
        byte[] bytes = payload.bytes();
        int skip = 0;
        if (protocol.equals("tcp") && bytes.length >= 2) {
            skip = 2;
        }
        Optional<DnsQuery> query = bytes.length - skip > 0
                ? DnsQuery.parse(Arrays.copyOfRange(bytes, skip, bytes.length), bytes.length - skip)
                : Optional.empty();
        if (query.isEmpty()) {
            unreadableInCall++;
        }
        return query;
    }

    /** An attempt whose family, protocol and address are not read: io_uring's setup, another ABI's call. */
    private Attempt unaddressed(String syscall, Caller caller, Verdict verdict) {
        return attempt(syscall, caller, "", "", "", "", verdict);
    }

    private Attempt attempt(
            String syscall, Caller caller, String family, String protocol, String where, String name, Verdict verdict) {
        return new Attempt(
                Instant.now().toString(),
                caller.pid,
                caller.tid,
                caller.comm,
                syscall,
                family,
                protocol,
                where,
                name,
                verdict);
    }

    private static Protocol protocolOf(String protocol) {
        return switch (protocol) {
            case "tcp" -> Protocol.TCP;
            case "udp" -> Protocol.UDP;
            default -> Protocol.ANY;
        };
    }

    private static String unixPath(MemorySegment address) {
        byte[] path = address.asSlice(2).toArray(JAVA_BYTE);
        if (path.length > 0 && path[0] == 0) {
            return "@" + new String(path, 1, path.length - 1, StandardCharsets.UTF_8).replace("\0", "");
        }
        int end = 0;
        while (end < path.length && path[end] != 0) {
            end++;
        }
        return new String(path, 0, end, StandardCharsets.UTF_8);
    }

    /**
     * Where a {@code struct msghdr} goes and what it carries: its {@code msg_name}, or for a connected
     * socket's send the socket's peer when that is a DNS server (what else it sends went where its
     * {@code connect} said, and was reported there); empty otherwise.
     */
    private static Optional<Sent> named(Arena arena, Caller caller, int fd, MemorySegment msghdr) throws IOException {
        long name = msghdr.get(JAVA_LONG, 0);
        int length = msghdr.get(JAVA_INT, 8);
        Payload payload = new Payload(arena, caller.tid, msghdr.get(JAVA_LONG, 16), msghdr.get(JAVA_LONG, 24), true);
        if (name != 0 && length > 0) {
            return Optional.of(new Sent(read(arena, caller.tid, name, Math.min(length, MAX_ADDRESS)), payload));
        }
        MemorySegment peer = socketAddress(arena, caller, fd, true);
        return port(peer) == DNS_PORT ? Optional.of(new Sent(peer, payload)) : Optional.empty();
    }

    /** The port of an IPv4 or IPv6 socket address, -1 for any other. */
    private static int port(MemorySegment address) {
        if (address.byteSize() < 4) {
            return -1;
        }
        int family = Short.toUnsignedInt(address.get(JAVA_SHORT_UNALIGNED, 0));
        return family == Libc.AF_INET || family == Libc.AF_INET6
                ? Short.toUnsignedInt(address.get(JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 2))
                : -1;
    }

    static MemorySegment read(Arena arena, int tid, long address, long length) throws IOException {
        if (address == 0 || length <= 0) {
            throw new IOException("no address");
        }
        MemorySegment into = arena.allocate(length, 8);
        long read = Libc.processVmRead(tid, address, into);
        return into.asSlice(0, read);
    }

    /**
     * The socket's own address (listen, accept) or, with {@code peer}, the one it is connected to: a copy
     * of its descriptor asks it. Empty when it has none (a send on an unconnected socket fails by itself).
     */
    private static MemorySegment socketAddress(Arena arena, Caller caller, int fd, boolean peer) throws ErrnoException {
        int socket = caller.copyOf(fd);
        try {
            MemorySegment state = Libc.allocateCallState(arena);
            MemorySegment address = arena.allocate(MAX_ADDRESS, 8);
            MemorySegment length = arena.allocateFrom(JAVA_INT, MAX_ADDRESS);
            int result = peer
                    ? Libc.getpeername(state, socket, address, length)
                    : Libc.getsockname(state, socket, address, length);
            if (peer && result < 0 && Libc.errno(state) == Libc.ENOTCONN) {
                return address.asSlice(0, 0);
            }
            Libc.check(result, state, peer ? "getpeername" : "getsockname");
            return address.asSlice(0, Math.min(length.get(JAVA_INT, 0), MAX_ADDRESS));
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        } finally {
            Libc.close(socket);
        }
    }

    private static String protocol(Caller caller, int fd) {
        try {
            int socket = caller.copyOf(fd);
            try {
                int type = (int) Libc.getsockoptLong(socket, Libc.SOL_SOCKET, SO_TYPE, "SO_TYPE");
                int protocol = (int) Libc.getsockoptLong(socket, Libc.SOL_SOCKET, SO_PROTOCOL, "SO_PROTOCOL");
                // An IP socket reports the protocol the kernel chose (6, 17) even when asked for 0; 0 is a
                // unix socket's.
                return switch (type) {
                    case Libc.SOCK_STREAM -> protocol == 6 ? "tcp" : protocol == 0 ? "stream" : "stream/" + protocol;
                    case Libc.SOCK_DGRAM ->
                        protocol == 17 ? "udp" : protocol == 1 ? "icmp" : protocol == 0 ? "dgram" : "dgram/" + protocol;
                    case Libc.SOCK_RAW -> "raw/" + protocol;
                    default -> "type " + type;
                };
            } finally {
                Libc.close(socket);
            }
        } catch (ErrnoException e) {
            return "";
        }
    }
}
