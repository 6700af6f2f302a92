package dev.wgpr.tunnel.device;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;

/**
 * The device's UDP socket, through FFM: one IPv6 socket with {@code IPV6_V6ONLY} off serves IPv4 too (as
 * IPv4-mapped addresses), datagrams are received in batches with {@code recvmmsg} and sent in batches with
 * {@code sendmmsg}, and the buffers are forced large (as root may) so bursts are not dropped. Created in the
 * network namespace of the calling thread.
 *
 * <p>Where the kernel has them, both offloads are on: a run of equal-sized datagrams to one destination goes
 * out as one message with a {@code UDP_SEGMENT} control message (UDP GSO: one trip through the stack for up
 * to {@link #MAX_SEGMENTS} datagrams, cut by the kernel or not at all across a veth), and datagrams of one
 * flow may come in joined ({@code UDP_GRO}), the segment size in a control message; the receiver cuts them
 * apart again. A kernel or route that refuses segmentation ({@code EIO}: no checksum offload on the way
 * out) turns send offload off for the socket; what was refused goes out datagram by datagram.
 *
 * <p>{@link #close()} wakes a receiver with {@code shutdown}, which makes a blocked {@code recvmmsg} return
 * at once, even on an unconnected UDP socket.
 *
 * <p>The batches' datagram slots (32 of 64 KiB: 2 MiB a batch) are mapped, not allocated: a page takes
 * memory once a datagram reaches it, and a batch gives its pages back after {@link #QUIET} without traffic,
 * so an idle tunnel holds a few pages rather than megabytes (the daemon's idle RSS).
 */
final class UdpSocket implements AutoCloseable {
    static final int BATCH = 32;
    /** How long without traffic before a batch gives its pages back. */
    static final Duration QUIET = Duration.ofSeconds(5);

    static final int MAX_DATAGRAM = 65536;
    /** The kernel's UDP_MAX_SEGMENTS: the most datagrams one offloaded message may carry. */
    static final int MAX_SEGMENTS = 64;
    /** The most UDP payload one offloaded message may carry: an IPv4 packet's 65535 bytes less the headers. */
    static final int MAX_SEGMENTED_BYTES = 65535 - 20 - 8;
    /** {@code CMSG_SPACE} of the u16 (send) or int (receive) a segment size takes. */
    private static final long CONTROL_SPACE = 24;
    /** {@code CMSG_LEN(sizeof(u16))}, which the kernel requires exactly for UDP_SEGMENT. */
    private static final long SEGMENT_CMSG_LEN = Libc.CMSG_HEADER + 2;

    private static final int BUFFER_BYTES = 7 << 20;
    private static final long SOCKADDR_SIZE = Libc.SOCKADDR_IN6.byteSize();
    private static final long MMSG_SIZE = Libc.MMSGHDR.byteSize();
    private static final long MSG_LEN_OFFSET = offset("msg_len");
    private static final long MSG_NAMELEN_OFFSET = offset("msg_namelen");
    private static final long MSG_IOV_OFFSET = offset("msg_iov");
    private static final long MSG_IOVLEN_OFFSET = offset("msg_iovlen");
    private static final long MSG_CONTROL_OFFSET = offset("msg_control");
    private static final long MSG_CONTROLLEN_OFFSET = offset("msg_controllen");
    private static final long MSG_FLAGS_OFFSET = offset("msg_flags");
    private static final long IOV_SIZE = Libc.IOVEC.byteSize();
    private static final byte[] V4_MAPPED_PREFIX = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff};

    private final int fd;
    private final int port;
    private volatile boolean closed;
    private final ThreadLocal<Sender> senders = ThreadLocal.withInitial(() -> new Sender(1));
    /** Whether send offload is on: the kernel has it, and no send has shown the route refuses it. */
    private volatile boolean segmenting;

    private final boolean receiveOffload;
    /** Messages that carried several datagrams: sent as one offloaded run, received joined. */
    final LongAdder segmentedSends = new LongAdder();

    final LongAdder joinedReceives = new LongAdder();

    /** Where a field of {@code struct mmsghdr} lies. */
    private static long offset(String field) {
        return Libc.MMSGHDR.byteOffset(MemoryLayout.PathElement.groupElement(field));
    }

    private UdpSocket(int fd, int port, boolean segmenting, boolean receiveOffload) {
        this.fd = fd;
        this.port = port;
        this.segmenting = segmenting;
        this.receiveOffload = receiveOffload;
    }

    /** A socket bound to {@code [::]:port} (0: a free port) for IPv4 and IPv6. */
    static UdpSocket bind(int port) throws ErrnoException {
        int fd = Libc.socket(Libc.AF_INET6, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        try {
            Libc.setsockoptInt(fd, Libc.IPPROTO_IPV6, Libc.IPV6_V6ONLY, 0, "setsockopt IPV6_V6ONLY");
            setBuffer(fd, Libc.SO_RCVBUFFORCE, Libc.SO_RCVBUF);
            setBuffer(fd, Libc.SO_SNDBUFFORCE, Libc.SO_SNDBUF);
            Libc.setReceiveTimeout(fd, QUIET); // a receiver that waited this long releases its pages
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment state = Libc.allocateCallState(arena);
                MemorySegment address = arena.allocate(Libc.SOCKADDR_IN6);
                address.set(JAVA_SHORT, 0, (short) Libc.AF_INET6);
                address.set(JAVA_SHORT, 2, Short.reverseBytes((short) port));
                Libc.check(Libc.bind(state, fd, address, (int) SOCKADDR_SIZE), state, "bind port " + port);
                MemorySegment length = arena.allocateFrom(JAVA_INT, (int) SOCKADDR_SIZE);
                Libc.check(Libc.getsockname(state, fd, address, length), state, "getsockname");
                int bound = Short.toUnsignedInt(Short.reverseBytes(address.get(JAVA_SHORT, 2)));
                // Setting a zero default segment size is how one asks whether the kernel has send offload.
                boolean segmenting = trySetsockopt(fd, Libc.SOL_UDP, Libc.UDP_SEGMENT, 0);
                boolean receiveOffload = trySetsockopt(fd, Libc.SOL_UDP, Libc.UDP_GRO, 1);
                return new UdpSocket(fd, bound, segmenting, receiveOffload);
            }
        } catch (ErrnoException | RuntimeException e) {
            Libc.close(fd);
            throw e;
        } catch (Throwable t) {
            Libc.close(fd);
            throw Libc.unexpected(t);
        }
    }

    private static void setBuffer(int fd, int forced, int plain) throws ErrnoException {
        try {
            Libc.setsockoptInt(fd, Libc.SOL_SOCKET, forced, BUFFER_BYTES, "setsockopt buffer");
        } catch (ErrnoException notRoot) {
            Libc.setsockoptInt(fd, Libc.SOL_SOCKET, plain, BUFFER_BYTES, "setsockopt buffer");
        }
    }

    private static boolean trySetsockopt(int fd, int level, int option, int value) {
        try {
            Libc.setsockoptInt(fd, level, option, value, "setsockopt");
            return true;
        } catch (ErrnoException older) {
            return false; // ENOPROTOOPT: a kernel without this offload
        }
    }

    int port() {
        return port;
    }

    /** Whether runs of equal datagrams go out as one offloaded message (UDP GSO). */
    boolean isSegmenting() {
        return segmenting;
    }

    /** Whether the kernel may hand over datagrams joined (UDP GRO). */
    boolean hasReceiveOffload() {
        return receiveOffload;
    }

    boolean isClosed() {
        return closed;
    }

    /** Sets {@code SO_MARK} (the fwmark routing rules can match); 0 clears it. */
    void setMark(long mark) throws ErrnoException {
        Libc.setsockoptInt(fd, Libc.SOL_SOCKET, Libc.SO_MARK, (int) mark, "setsockopt SO_MARK");
    }

    /** Sends one datagram (a handshake message, a keepalive) from this thread's own small batch. */
    boolean send(byte[] message, int offset, int length, InetSocketAddress to) {
        Sender sender = senders.get();
        sender.add(this, message, offset, length, to);
        return sender.flush(this) > 0;
    }

    /** Stops receivers and closes the socket once no receiver can be using it. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try (Arena arena = Arena.ofConfined()) {
            int ignored = Libc.shutdown(Libc.allocateCallState(arena), fd, Libc.SHUT_RDWR);
            assert ignored <= 0; // ENOTCONN on an unconnected socket, but the receivers are woken all the same
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** Releases the descriptor; call after the receiver has left (the number could be reused). */
    void release() {
        try {
            Libc.close(fd);
        } catch (ErrnoException e) {
            // nothing more to do
        }
    }

    /**
     * A receiving batch, owned by one thread: {@link #BATCH} messages of up to {@link #MAX_DATAGRAM} bytes
     * (with receive offload, each may be several datagrams joined), cut into datagrams, each with a
     * heap-free {@link ByteBuffer} view and its source address.
     */
    static final class Receiver implements AutoCloseable {
        private final Arena arena = Arena.ofConfined();
        private final MemorySegment messages = arena.allocate(MMSG_SIZE * BATCH, 8);
        private final MemorySegment names = arena.allocate(SOCKADDR_SIZE * BATCH, 8);
        private final MemorySegment iovecs = arena.allocate(IOV_SIZE * BATCH, 8);
        private final MemorySegment controls = arena.allocate(CONTROL_SPACE * BATCH, 8);
        private final MemorySegment buffers = Libc.mapAnonymous((long) MAX_DATAGRAM * BATCH, arena);
        private final MemorySegment state = Libc.allocateCallState(arena);
        /** Whether datagrams came since the buffers' pages were last given back. */
        private boolean touched;

        private final ByteBuffer[] messageViews = new ByteBuffer[BATCH];
        private final ByteBuffer[] views = new ByteBuffer[BATCH * MAX_SEGMENTS];
        private final InetSocketAddress[] sources = new InetSocketAddress[views.length];
        private final byte[] lastName = new byte[(int) SOCKADDR_SIZE];
        private final byte[] name = new byte[(int) SOCKADDR_SIZE];
        private InetSocketAddress lastSource;
        /** Messages of this receive that held several datagrams. */
        private int joined;
        /** The messages whose lengths the kernel overwrote in the last receive: those to reset. */
        private int written = BATCH;

        Receiver() {
            for (int i = 0; i < BATCH; i++) {
                MemorySegment buffer = buffers.asSlice((long) MAX_DATAGRAM * i, MAX_DATAGRAM);
                iovecs.set(ADDRESS, IOV_SIZE * i, buffer);
                iovecs.set(JAVA_LONG, IOV_SIZE * i + 8, MAX_DATAGRAM);
                messageViews[i] = buffer.asByteBuffer().order(ByteOrder.BIG_ENDIAN);
                long m = MMSG_SIZE * i;
                messages.set(ADDRESS, m, names.asSlice(SOCKADDR_SIZE * i, SOCKADDR_SIZE));
                messages.set(ADDRESS, m + MSG_IOV_OFFSET, iovecs.asSlice(IOV_SIZE * i, IOV_SIZE));
                messages.set(JAVA_LONG, m + MSG_IOVLEN_OFFSET, 1L);
                messages.set(ADDRESS, m + MSG_CONTROL_OFFSET, controls.asSlice(CONTROL_SPACE * i, CONTROL_SPACE));
            }
        }

        /**
         * Waits for datagrams and takes what has come, up to {@link #BATCH} messages.
         *
         * @return how many datagrams; then {@link #datagram(int)} and {@link #source(int)} describe each. 0
         *     when the socket was closed
         */
        int receive(UdpSocket socket) throws ErrnoException {
            // The kernel wrote the name, control and flags lengths only of the messages it filled: the
            // pointers stay as the constructor set them, and most receives fill one message or a few.
            for (int i = 0; i < written; i++) {
                long m = MMSG_SIZE * i;
                messages.set(JAVA_INT, m + MSG_NAMELEN_OFFSET, (int) SOCKADDR_SIZE);
                messages.set(JAVA_LONG, m + MSG_CONTROLLEN_OFFSET, CONTROL_SPACE);
                messages.set(JAVA_INT, m + MSG_FLAGS_OFFSET, 0);
            }
            written = 0;
            while (!socket.closed) {
                int n;
                try {
                    n = UdpBindings.recvmmsg(
                            state, socket.fd, messages, BATCH, Libc.MSG_WAITFORONE, MemorySegment.NULL);
                } catch (Throwable t) {
                    throw Libc.unexpected(t);
                }
                if (n > 0) {
                    written = n;
                    touched = true;
                    int count = 0;
                    joined = 0;
                    for (int i = 0; i < n; i++) {
                        count = cut(i, count);
                    }
                    if (joined > 0) {
                        socket.joinedReceives.add(joined);
                    }
                    return count;
                }
                if (n == 0 || socket.closed) {
                    return 0;
                }
                int errno = Libc.errno(state);
                if (errno == Libc.EAGAIN && touched) {
                    releasePages(); // QUIET has passed without a datagram
                } else if (errno != Libc.EINTR && errno != Libc.EAGAIN) {
                    // ICMP errors of earlier sends surface here (ECONNREFUSED…): not fatal for the socket.
                    if (errno == Libc.EBADF) {
                        throw new ErrnoException("recvmmsg", errno);
                    }
                }
            }
            return 0;
        }

        /** Gives the datagram slots' pages back; the views stay valid and fill the pages again. */
        private void releasePages() {
            Libc.discard(buffers);
            touched = false;
        }

        /** How much of the datagram slots is resident (for tests). */
        long residentBytes() throws ErrnoException {
            return Libc.residentBytes(buffers);
        }

        /** Unmaps the buffers; only the thread that received may close. */
        @Override
        public void close() {
            arena.close();
        }

        /** Cuts message {@code i} into its datagrams, stored from index {@code count}; returns the new count. */
        private int cut(int i, int count) {
            if (count == views.length) {
                return count; // see below: what does not fit is lost
            }
            int length = messages.get(JAVA_INT, MMSG_SIZE * i + MSG_LEN_OFFSET);
            int segment = segmentSize(i);
            InetSocketAddress source = decode(i);
            ByteBuffer message = messageViews[i].clear();
            if (segment <= 0 || segment >= length) {
                views[count] = message.limit(length);
                sources[count] = source;
                return count + 1;
            }
            // A local sender may join more, smaller datagrams than the views hold (the kernel allows 128 tiny
            // ones): what does not fit is lost, as with a full socket buffer.
            joined++;
            for (int offset = 0; offset < length && count < views.length; offset += segment) {
                views[count] = message.slice(offset, Math.min(segment, length - offset));
                sources[count] = source;
                count++;
            }
            return count;
        }

        /** The segment size the kernel reported for joined datagrams in message {@code i}, else 0. */
        private int segmentSize(int i) {
            long controlLength = messages.get(JAVA_LONG, MMSG_SIZE * i + MSG_CONTROLLEN_OFFSET);
            if (controlLength < Libc.CMSG_HEADER + 4) {
                return 0;
            }
            MemorySegment control = controls.asSlice(CONTROL_SPACE * i, CONTROL_SPACE);
            // One control message at most is asked for: UDP_GRO, an int.
            if (control.get(JAVA_INT, 8) == Libc.SOL_UDP && control.get(JAVA_INT, 12) == Libc.UDP_GRO) {
                return control.get(JAVA_INT, Libc.CMSG_HEADER);
            }
            return 0;
        }

        ByteBuffer datagram(int i) {
            return views[i];
        }

        InetSocketAddress source(int i) {
            return sources[i];
        }

        /** The source of message {@code i}; the same object as last time when it is the same peer. */
        private InetSocketAddress decode(int i) {
            MemorySegment.copy(names, JAVA_BYTE, SOCKADDR_SIZE * i, name, 0, name.length);
            if (lastSource != null && Arrays.equals(name, lastName)) {
                return lastSource;
            }
            System.arraycopy(name, 0, lastName, 0, name.length);
            int port = ((name[2] & 0xff) << 8) | (name[3] & 0xff);
            byte[] address = Arrays.copyOfRange(name, 8, 24);
            try {
                InetAddress inet = Arrays.equals(address, 0, 12, V4_MAPPED_PREFIX, 0, 12)
                        ? InetAddress.getByAddress(Arrays.copyOfRange(address, 12, 16))
                        : InetAddress.getByAddress(address);
                lastSource = new InetSocketAddress(inet, port);
            } catch (UnknownHostException e) {
                throw new AssertionError("4 or 16 bytes are always an address", e);
            }
            return lastSource;
        }
    }

    /**
     * A sending batch, owned by one thread: datagrams are copied in with {@link #add} and go out in one call.
     * With send offload, a datagram that continues a run (same destination, no longer than the run's first,
     * which a shorter one ends) joins the previous message instead of taking a new one.
     */
    static final class Sender {
        private final Arena arena = Arena.ofAuto();
        private final int capacity;
        private final MemorySegment messages;
        private final MemorySegment names;
        private final MemorySegment iovecs;
        private final MemorySegment controls;
        private final MemorySegment buffers;
        private final MemorySegment state;
        /** Per message: its bytes, datagrams, the size of its first datagram, whether a shorter one ended it. */
        private final int[] bytes;

        private final int[] segments;
        private final int[] segmentSize;
        private final boolean[] ended;
        private final InetSocketAddress[] destinations;
        private int count;
        private InetSocketAddress lastDestination;
        private final byte[] lastName = new byte[(int) SOCKADDR_SIZE];

        Sender(int capacity) {
            this.capacity = capacity;
            messages = arena.allocate(MMSG_SIZE * capacity, 8);
            names = arena.allocate(SOCKADDR_SIZE * capacity, 8);
            iovecs = arena.allocate(IOV_SIZE * capacity, 8);
            controls = arena.allocate(CONTROL_SPACE * capacity, 8);
            buffers = Libc.mapAnonymous((long) MAX_DATAGRAM * capacity, arena);
            state = Libc.allocateCallState(arena);
            bytes = new int[capacity];
            segments = new int[capacity];
            segmentSize = new int[capacity];
            ended = new boolean[capacity];
            destinations = new InetSocketAddress[capacity];
            for (int i = 0; i < capacity; i++) {
                long m = MMSG_SIZE * i;
                iovecs.set(ADDRESS, IOV_SIZE * i, buffers.asSlice((long) MAX_DATAGRAM * i, MAX_DATAGRAM));
                messages.set(ADDRESS, m, names.asSlice(SOCKADDR_SIZE * i, SOCKADDR_SIZE));
                messages.set(JAVA_INT, m + MSG_NAMELEN_OFFSET, (int) SOCKADDR_SIZE);
                messages.set(ADDRESS, m + MSG_IOV_OFFSET, iovecs.asSlice(IOV_SIZE * i, IOV_SIZE));
                messages.set(JAVA_LONG, m + MSG_IOVLEN_OFFSET, 1L);
                MemorySegment control = controls.asSlice(CONTROL_SPACE * i, CONTROL_SPACE);
                control.set(JAVA_LONG, 0, SEGMENT_CMSG_LEN);
                control.set(JAVA_INT, 8, Libc.SOL_UDP);
                control.set(JAVA_INT, 12, Libc.UDP_SEGMENT);
            }
        }

        /** Gives the datagram slots' pages back (when the batch is empty: after a flush). */
        void releasePages() {
            if (count != 0) {
                throw new IllegalStateException("a batch holding " + count + " messages cannot give its pages back");
            }
            Libc.discard(buffers);
        }

        /** Whether no message is free: the next {@link #add} needs a {@link #flush} first. */
        boolean isFull() {
            return count == capacity;
        }

        boolean isEmpty() {
            return count == 0;
        }

        /** How many messages are queued (each one datagram, or a run of them with send offload). */
        int messages() {
            return count;
        }

        /**
         * Queues a copy of {@code message[offset, offset+length)} for {@code to}, in the last message when
         * {@code socket} segments and the datagram continues its run. The batch must not be full.
         */
        void add(UdpSocket socket, byte[] message, int offset, int length, InetSocketAddress to) {
            int last = count - 1;
            if (last >= 0 && socket.segmenting && continues(last, length, to)) {
                MemorySegment.copy(
                        message, offset, buffers, JAVA_BYTE, (long) MAX_DATAGRAM * last + bytes[last], length);
                bytes[last] += length;
                segments[last]++;
                ended[last] = length < segmentSize[last];
                return;
            }
            int i = count++;
            MemorySegment.copy(message, offset, buffers, JAVA_BYTE, (long) MAX_DATAGRAM * i, length);
            bytes[i] = length;
            segments[i] = 1;
            segmentSize[i] = length;
            ended[i] = false;
            destinations[i] = to;
            if (to != lastDestination) {
                encode(to);
                lastDestination = to;
            }
            MemorySegment.copy(lastName, 0, names, JAVA_BYTE, SOCKADDR_SIZE * i, lastName.length);
        }

        private boolean continues(int i, int length, InetSocketAddress to) {
            return !ended[i]
                    && length <= segmentSize[i]
                    && segments[i] < MAX_SEGMENTS
                    && bytes[i] + length <= MAX_SEGMENTED_BYTES
                    && (to == destinations[i] || to.equals(destinations[i]));
        }

        private void encode(InetSocketAddress to) {
            Arrays.fill(lastName, (byte) 0);
            lastName[0] = (byte) Libc.AF_INET6; // little-endian sa_family
            lastName[2] = (byte) (to.getPort() >> 8);
            lastName[3] = (byte) to.getPort();
            byte[] address = to.getAddress().getAddress();
            if (to.getAddress() instanceof Inet4Address) {
                System.arraycopy(V4_MAPPED_PREFIX, 0, lastName, 8, 12);
                System.arraycopy(address, 0, lastName, 20, 4);
            } else {
                System.arraycopy(address, 0, lastName, 8, 16);
                if (to.getAddress() instanceof java.net.Inet6Address v6 && v6.getScopeId() != 0) {
                    ByteBuffer.wrap(lastName, 24, 4)
                            .order(ByteOrder.LITTLE_ENDIAN)
                            .putInt(v6.getScopeId());
                }
            }
        }

        /**
         * Sends everything queued (what the kernel refuses, such as to an unreachable address, is lost as on
         * a wire) and empties the batch.
         *
         * @return how many datagrams went out
         */
        int flush(UdpSocket socket) {
            for (int i = 0; i < count; i++) {
                describe(i, 0, bytes[i], segments[i] > 1 ? segmentSize[i] : 0);
            }
            int done = 0;
            int delivered = 0;
            try {
                while (done < count && !socket.closed) {
                    MemorySegment from = messages.asSlice(MMSG_SIZE * done);
                    int n = UdpBindings.sendmmsg(state, socket.fd, from, count - done, 0);
                    if (n > 0) {
                        for (int i = done; i < done + n; i++) {
                            delivered += segments[i];
                            if (segments[i] > 1) {
                                socket.segmentedSends.increment();
                            }
                        }
                        done += n;
                    } else {
                        int errno = Libc.errno(state);
                        if (errno != Libc.EINTR) {
                            // This one cannot go (no route, …): skip it, send the rest. A refused run goes
                            // datagram by datagram; EIO says the route cannot segment at all.
                            if (segments[done] > 1) {
                                if (errno == Libc.EIO) {
                                    socket.segmenting = false;
                                }
                                delivered += sendOneByOne(socket, done);
                            }
                            done++;
                        }
                    }
                }
            } catch (Throwable t) {
                throw Libc.unexpected(t);
            } finally {
                count = 0;
            }
            return delivered;
        }

        /** Points message {@code i} at {@code length} bytes from {@code offset} of its buffer, segmented or not. */
        private void describe(int i, int offset, int length, int segment) {
            long m = MMSG_SIZE * i;
            iovecs.set(ADDRESS, IOV_SIZE * i, buffers.asSlice((long) MAX_DATAGRAM * i + offset, length));
            iovecs.set(JAVA_LONG, IOV_SIZE * i + 8, length);
            if (segment > 0) {
                MemorySegment control = controls.asSlice(CONTROL_SPACE * i, CONTROL_SPACE);
                control.set(JAVA_SHORT, Libc.CMSG_HEADER, (short) segment);
                messages.set(ADDRESS, m + MSG_CONTROL_OFFSET, control);
                messages.set(JAVA_LONG, m + MSG_CONTROLLEN_OFFSET, CONTROL_SPACE);
            } else {
                messages.set(ADDRESS, m + MSG_CONTROL_OFFSET, MemorySegment.NULL);
                messages.set(JAVA_LONG, m + MSG_CONTROLLEN_OFFSET, 0L);
            }
        }

        /** Sends the datagrams of message {@code i} one at a time; returns how many went out. */
        private int sendOneByOne(UdpSocket socket, int i) throws Throwable {
            int delivered = 0;
            for (int offset = 0; offset < bytes[i]; offset += segmentSize[i]) {
                describe(i, offset, Math.min(segmentSize[i], bytes[i] - offset), 0);
                int n = UdpBindings.sendmmsg(state, socket.fd, messages.asSlice(MMSG_SIZE * i), 1, 0);
                delivered += Math.max(n, 0);
            }
            return delivered;
        }
    }
}
