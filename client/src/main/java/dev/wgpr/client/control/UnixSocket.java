package dev.wgpr.client.control;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.OwnedFd;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A Unix stream socket driven through libc, for the control protocol: lines of UTF-8 text (one JSON
 * value each), descriptors passed with {@code SCM_RIGHTS}, the peer's identity from {@code
 * SO_PEERCRED}/{@code SO_PEERGROUPS}.
 *
 * <p>Why not the JDK's {@code SocketChannel}: it has {@code ExtendedSocketOptions.SO_PEERCRED}, but
 * that gives user and group <em>names</em> only (no pid, no supplementary groups), and no JDK channel
 * can send or receive descriptors, which {@code wg-pr run} needs to hand the caller's stdio to the
 * daemon. Both ends therefore use the raw socket. Blocking calls: use platform threads.
 */
public final class UnixSocket implements LineConnection {
    /** Longest line either side accepts: a status reply with thousands of routes fits easily. */
    static final int MAX_LINE = 4 << 20;

    /** A line that grew beyond the receiver's limit before its end; it was not read whole. */
    public static final class LineTooLongException extends IOException {
        private static final long serialVersionUID = 1L;

        LineTooLongException(int limit) {
            super("control message longer than " + limit + " bytes");
        }
    }

    private static final int MAX_FDS = 8;
    private static final int CHUNK = 64 * 1024;

    private final OwnedFd fd;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private final List<OwnedFd> pendingFds = new ArrayList<>();
    /** Sending has its own lock: one thread may send (a forwarded signal) while another receives. */
    private final Object sendLock = new Object();

    private UnixSocket(OwnedFd fd) {
        this.fd = fd;
    }

    /** Takes ownership of {@code fd}, an already connected stream socket (e.g. one end of a socketpair). */
    public static UnixSocket adopt(OwnedFd fd) {
        return new UnixSocket(fd);
    }

    /** Two connected stream sockets ({@code socketpair}), both close-on-exec. */
    public static UnixSocket[] pair(String what) throws ErrnoException {
        int[] fds = Libc.socketpair(Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC);
        return new UnixSocket[] {
            new UnixSocket(new OwnedFd(fds[0], what + " (this end)")),
            new UnixSocket(new OwnedFd(fds[1], what + " (other end)"))
        };
    }

    /** The descriptor, for handing it to another process. */
    public int fd() {
        return fd.fd();
    }

    /** Connects to the socket at {@code path}. */
    public static UnixSocket connect(Path path) throws ErrnoException {
        OwnedFd fd = new OwnedFd(
                Libc.socket(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0), "control socket " + path);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = address(arena, path);
            MemorySegment state = Libc.allocateCallState(arena);
            int result = UnixBindings.connect(state, fd.fd(), address, (int) address.byteSize());
            Libc.check(result, state, "connect " + path);
            return new UnixSocket(fd);
        } catch (ErrnoException e) {
            closeQuietly(fd);
            throw e;
        } catch (Throwable t) {
            closeQuietly(fd);
            throw Libc.unexpected(t);
        }
    }

    /**
     * Takes ownership of {@code fd}, a listening socket someone else bound at {@code path} (systemd's socket
     * activation), once it is seen to be one: a Unix socket whose address is {@code path}. It becomes
     * close-on-exec, as the sockets this class makes are.
     *
     * @throws ErrnoException when {@code fd} is no socket, or not that one ({@code EINVAL})
     */
    public static UnixSocket adoptListener(int fd, Path path) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = arena.allocate(Libc.SOCKADDR_UN);
            MemorySegment length = arena.allocate(JAVA_INT);
            length.set(JAVA_INT, 0, (int) address.byteSize());
            MemorySegment state = Libc.allocateCallState(arena);
            Libc.check(Libc.getsockname(state, fd, address, length), state, "getsockname of descriptor " + fd);
            String bound = new String(
                            address.asSlice(2, Math.max(0, length.get(JAVA_INT, 0) - 2))
                                    .toArray(JAVA_BYTE),
                            StandardCharsets.UTF_8)
                    .replace("\0", "");
            if (address.get(JAVA_SHORT, 0) != Libc.AF_UNIX || !bound.equals(path.toString())) {
                throw new ErrnoException(
                        "descriptor " + fd + " is not the socket at " + path + " (it is '" + bound + "')", Libc.EINVAL);
            }
            Libc.fcntl(fd, F_SETFD, FD_CLOEXEC, "fcntl F_SETFD of descriptor " + fd);
            return new UnixSocket(new OwnedFd(fd, "control socket " + path + " (from systemd)"));
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    private static final int F_SETFD = 2;
    private static final int FD_CLOEXEC = 1;

    /** A listening socket bound at {@code path} (which must not exist). */
    public static UnixSocket listen(Path path, int backlog) throws ErrnoException {
        OwnedFd fd = new OwnedFd(
                Libc.socket(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0), "control socket " + path);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = address(arena, path);
            MemorySegment state = Libc.allocateCallState(arena);
            Libc.check(Libc.bind(state, fd.fd(), address, (int) address.byteSize()), state, "bind " + path);
            Libc.check(UnixBindings.listen(state, fd.fd(), backlog), state, "listen " + path);
            return new UnixSocket(fd);
        } catch (ErrnoException e) {
            closeQuietly(fd);
            throw e;
        } catch (Throwable t) {
            closeQuietly(fd);
            throw Libc.unexpected(t);
        }
    }

    /** Waits for the next connection; throws once {@link #shutdown()} was called. */
    public UnixSocket accept() throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.allocateCallState(arena);
            while (true) {
                int client =
                        UnixBindings.accept4(state, fd.fd(), MemorySegment.NULL, MemorySegment.NULL, Libc.SOCK_CLOEXEC);
                if (client >= 0) {
                    return new UnixSocket(new OwnedFd(client, "control connection"));
                }
                if (Libc.errno(state) != Libc.EINTR) {
                    throw new ErrnoException("accept", Libc.errno(state));
                }
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** The kernel's record of who connected: pid, uid, gid and supplementary groups. */
    public PeerCredentials peer() throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.allocateCallState(arena);
            MemorySegment cred = arena.allocate(Libc.UCRED);
            MemorySegment length = arena.allocateFrom(JAVA_INT, (int) Libc.UCRED.byteSize());
            Libc.check(
                    Libc.getsockopt(state, fd.fd(), Libc.SOL_SOCKET, Libc.SO_PEERCRED, cred, length),
                    state,
                    "getsockopt SO_PEERCRED");
            int pid = cred.get(JAVA_INT, Libc.UCRED.byteOffset(PathElement.groupElement("pid")));
            int uid = cred.get(JAVA_INT, Libc.UCRED.byteOffset(PathElement.groupElement("uid")));
            int gid = cred.get(JAVA_INT, Libc.UCRED.byteOffset(PathElement.groupElement("gid")));
            int capacity = 65_536;
            MemorySegment groups = arena.allocate(JAVA_INT, capacity);
            MemorySegment groupsLength = arena.allocateFrom(JAVA_INT, capacity * 4);
            Libc.check(
                    Libc.getsockopt(state, fd.fd(), Libc.SOL_SOCKET, Libc.SO_PEERGROUPS, groups, groupsLength),
                    state,
                    "getsockopt SO_PEERGROUPS");
            int count = groupsLength.get(JAVA_INT, 0) / 4;
            return new PeerCredentials(
                    pid, uid, gid, groups.asSlice(0, count * 4L).toArray(JAVA_INT));
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** Sends one line (a newline is added). */
    public void send(String line) throws ErrnoException {
        send(line, new int[0]);
    }

    @Override
    public void sendLine(String line) throws ErrnoException {
        send(line);
    }

    /** The next line; descriptors that came with it are not expected here, and are closed. */
    @Override
    public String receiveLine() throws IOException {
        Message message = receive();
        message.fds().forEach(UnixSocket::closeQuietly);
        return message.line();
    }

    /**
     * Sends one line with {@code fds} attached to its first byte. The descriptors stay open here; the
     * receiver gets duplicates.
     */
    public void send(String line, int[] fds) throws ErrnoException {
        synchronized (sendLock) {
            sendLocked(line, fds, 0);
        }
    }

    /**
     * Sends one line without waiting, as far as the peer's receive buffer takes it: for the last word to a
     * peer about to be dropped, whom the sender must not wait for.
     */
    public void sendNow(String line) throws ErrnoException {
        synchronized (sendLock) {
            try {
                sendLocked(line, new int[0], Libc.MSG_DONTWAIT);
            } catch (ErrnoException e) {
                if (e.errno() != Libc.EAGAIN) {
                    throw e;
                }
            }
        }
    }

    private void sendLocked(String line, int[] fds, int flags) throws ErrnoException {
        if (line.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("a protocol line cannot hold a newline");
        }
        if (fds.length > MAX_FDS) {
            throw new IllegalArgumentException("at most " + MAX_FDS + " descriptors per message");
        }
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.allocateCallState(arena);
            MemorySegment data = arena.allocate(bytes.length);
            MemorySegment.copy(bytes, 0, data, JAVA_BYTE, 0, bytes.length);
            long offset = 0;
            boolean first = true;
            while (offset < bytes.length) {
                MemorySegment iov = arena.allocate(Libc.IOVEC);
                iov.set(ADDRESS, 0, data.asSlice(offset));
                iov.set(JAVA_LONG, 8, bytes.length - offset);
                MemorySegment msg = arena.allocate(Libc.MSGHDR);
                msg.set(ADDRESS, offset(Libc.MSGHDR, "msg_iov"), iov);
                msg.set(JAVA_LONG, offset(Libc.MSGHDR, "msg_iovlen"), 1L);
                if (first && fds.length > 0) {
                    long space = Libc.CMSG_HEADER + align(4L * fds.length);
                    MemorySegment control = arena.allocate(space, 8);
                    control.set(JAVA_LONG, 0, Libc.CMSG_HEADER + 4L * fds.length);
                    control.set(JAVA_INT, 8, Libc.SOL_SOCKET);
                    control.set(JAVA_INT, 12, Libc.SCM_RIGHTS);
                    for (int i = 0; i < fds.length; i++) {
                        control.set(JAVA_INT, Libc.CMSG_HEADER + 4L * i, fds[i]);
                    }
                    msg.set(ADDRESS, offset(Libc.MSGHDR, "msg_control"), control);
                    msg.set(JAVA_LONG, offset(Libc.MSGHDR, "msg_controllen"), space);
                }
                long sent = UnixBindings.sendmsg(state, fd.fd(), msg, Libc.MSG_NOSIGNAL | flags);
                if (sent < 0) {
                    if (Libc.errno(state) == Libc.EINTR) {
                        continue;
                    }
                    throw new ErrnoException("sendmsg", Libc.errno(state));
                }
                first = false;
                offset += sent;
            }
        } catch (ErrnoException | RuntimeException e) {
            throw e; // a closed socket's IllegalStateException included: its caller's to handle
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /**
     * The next line and every descriptor received up to its end.
     *
     * @throws EOFException when the peer closed the connection before a whole line
     */
    public Message receive() throws IOException {
        return receive(MAX_LINE);
    }

    /**
     * As {@link #receive()}, for lines of at most {@code maxLength} bytes: a longer one is not read further.
     *
     * @throws LineTooLongException when {@code maxLength} bytes came without a line's end
     */
    public synchronized Message receive(int maxLength) throws IOException {
        while (true) {
            Optional<Message> line = bufferedLine(maxLength);
            if (line.isPresent()) {
                return line.get();
            }
            if (!fill(maxLength, 0)) {
                throw new EOFException("the other side closed the control connection");
            }
        }
    }

    /**
     * What arrived, without waiting: the next line if it is here whole, else empty (one {@code recvmsg}
     * took what was waiting). For a reader that watches many connections with {@code poll}.
     *
     * @throws EOFException when the peer closed the connection before a whole line
     * @throws LineTooLongException when {@code maxLength} bytes came without a line's end
     */
    public synchronized Optional<Message> receiveNow(int maxLength) throws IOException {
        Optional<Message> line = bufferedLine(maxLength);
        if (line.isPresent()) {
            return line;
        }
        if (!fill(maxLength, Libc.MSG_DONTWAIT)) {
            throw new EOFException("the other side closed the control connection");
        }
        return bufferedLine(maxLength);
    }

    /**
     * What came after the lines read so far: for a program this process execs to read on where it stopped
     * (the waiter of {@code wg-pr run}). This connection keeps it, for this process to read on should the
     * exec fail.
     *
     * @throws IllegalStateException when descriptors came with it, which no program could take over
     */
    public synchronized byte[] unread() {
        if (!pendingFds.isEmpty()) {
            throw new IllegalStateException("descriptors came after the last line read");
        }
        return pending.toByteArray();
    }

    /** The first whole line in {@link #pending}, with the descriptors that came before its end. */
    private Optional<Message> bufferedLine(int maxLength) throws LineTooLongException {
        byte[] buffered = pending.toByteArray();
        for (int i = 0; i < buffered.length && i <= maxLength; i++) {
            if (buffered[i] == '\n') {
                String line = new String(buffered, 0, i, StandardCharsets.UTF_8);
                pending.reset();
                pending.write(buffered, i + 1, buffered.length - i - 1);
                List<OwnedFd> fds = List.copyOf(pendingFds);
                pendingFds.clear();
                return Optional.of(new Message(line, fds));
            }
        }
        if (buffered.length > maxLength) {
            throw new LineTooLongException(maxLength);
        }
        return Optional.empty();
    }

    /**
     * One recvmsg of at most what a line of {@code maxLength} bytes still needs (so a long line is never
     * buffered beyond its limit): appends data to {@link #pending}, descriptors to {@link #pendingFds}.
     * False at the end of the stream; true also when nothing was waiting ({@code MSG_DONTWAIT} in {@code
     * flags}).
     */
    private boolean fill(int maxLength, int flags) throws ErrnoException {
        long room = Math.clamp((long) maxLength + 1 - pending.size(), 1, CHUNK);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.allocateCallState(arena);
            MemorySegment data = arena.allocate(room);
            MemorySegment iov = arena.allocate(Libc.IOVEC);
            iov.set(ADDRESS, 0, data);
            iov.set(JAVA_LONG, 8, room);
            long space = Libc.CMSG_HEADER + align(4L * MAX_FDS);
            MemorySegment control = arena.allocate(space, 8);
            MemorySegment msg = arena.allocate(Libc.MSGHDR);
            msg.set(ADDRESS, offset(Libc.MSGHDR, "msg_iov"), iov);
            msg.set(JAVA_LONG, offset(Libc.MSGHDR, "msg_iovlen"), 1L);
            msg.set(ADDRESS, offset(Libc.MSGHDR, "msg_control"), control);
            msg.set(JAVA_LONG, offset(Libc.MSGHDR, "msg_controllen"), space);
            long received;
            while (true) {
                received = UnixBindings.recvmsg(state, fd.fd(), msg, Libc.MSG_CMSG_CLOEXEC | flags);
                if (received >= 0 || Libc.errno(state) != Libc.EINTR) {
                    break;
                }
            }
            if (received < 0) {
                if (Libc.errno(state) == Libc.EAGAIN && (flags & Libc.MSG_DONTWAIT) != 0) {
                    return true;
                }
                throw new ErrnoException("recvmsg", Libc.errno(state));
            }
            collectFds(msg, control);
            // Descriptors count against the receiver's limit: a peer sending a few with every byte of a long
            // line could otherwise make it run out of them.
            if ((msg.get(JAVA_INT, offset(Libc.MSGHDR, "msg_flags")) & Libc.MSG_CTRUNC) != 0
                    || pendingFds.size() > MAX_FDS) {
                // Descriptors beyond our buffer were closed by the kernel; the message is not what the
                // sender meant, so the connection is not trusted further.
                throw new ErrnoException("recvmsg: too many descriptors", Libc.E2BIG);
            }
            if (received == 0) {
                return false;
            }
            pending.write(data.asSlice(0, received).toArray(JAVA_BYTE), 0, (int) received);
            return true;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    private void collectFds(MemorySegment msg, MemorySegment control) {
        long length = msg.get(JAVA_LONG, offset(Libc.MSGHDR, "msg_controllen"));
        long at = 0;
        while (at + Libc.CMSG_HEADER <= length) {
            long cmsgLen = control.get(JAVA_LONG, at);
            int level = control.get(JAVA_INT, at + 8);
            int type = control.get(JAVA_INT, at + 12);
            if (cmsgLen < Libc.CMSG_HEADER || at + cmsgLen > length) {
                break;
            }
            if (level == Libc.SOL_SOCKET && type == Libc.SCM_RIGHTS) {
                for (long i = Libc.CMSG_HEADER; i + 4 <= cmsgLen; i += 4) {
                    pendingFds.add(new OwnedFd(control.get(JAVA_INT, at + i), "received descriptor"));
                }
            }
            at += align(cmsgLen);
        }
    }

    /** Wakes a thread blocked in {@link #accept()} or {@link #receive()}; they then fail. */
    public void shutdown() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.allocateCallState(arena);
            int ignored = Libc.shutdown(state, fd.fd(), Libc.SHUT_RDWR);
        } catch (IllegalStateException e) {
            // already closed
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    @Override
    public void close() {
        closeQuietly(fd);
        for (OwnedFd received : pendingFds) {
            closeQuietly(received);
        }
        pendingFds.clear();
    }

    private static void closeQuietly(OwnedFd fd) {
        try {
            fd.close();
        } catch (ErrnoException e) {
            // nothing useful to do about a failed close of a socket we are done with
        }
    }

    private static MemorySegment address(Arena arena, Path path) {
        byte[] bytes = path.toString().getBytes(StandardCharsets.UTF_8);
        if (bytes.length >= 108) {
            throw new IllegalArgumentException("socket path too long (max 107 bytes): " + path);
        }
        MemorySegment address = arena.allocate(Libc.SOCKADDR_UN);
        address.set(JAVA_SHORT, 0, (short) Libc.AF_UNIX);
        MemorySegment.copy(bytes, 0, address, JAVA_BYTE, 2, bytes.length);
        return address;
    }

    private static long offset(java.lang.foreign.StructLayout layout, String field) {
        return layout.byteOffset(PathElement.groupElement(field));
    }

    private static long align(long length) {
        return (length + 7) & ~7L;
    }
}
