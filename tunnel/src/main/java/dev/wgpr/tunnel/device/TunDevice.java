package dev.wgpr.tunnel.device;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A layer-3 TUN interface ({@code /dev/net/tun}, {@code IFF_TUN | IFF_NO_PI}): every read is one IP packet
 * the kernel routed into the interface, every write one packet it receives from it. The interface lives as
 * long as this descriptor is open (it is not made persistent), in the network namespace of the thread that
 * creates it.
 *
 * <p>The descriptor is non-blocking and the reader waits in {@code poll} beside a pipe, so {@link #close()}
 * can wake a reader that is waiting: closing a TUN descriptor does not wake a {@code read} blocked on it.
 * Under load reads succeed without any {@code poll}. One thread reads; any thread may write.
 */
public final class TunDevice implements AutoCloseable {
    /** What wireguard-go gives a new interface: 1500 minus the largest WireGuard overhead (IPv6 outside). */
    public static final int DEFAULT_MTU = 1420;

    private static final int POLL_FD_SIZE = (int) Libc.POLLFD.byteSize();

    private final String name;
    private final boolean vnetHeader;
    private final int fd;
    private final int wakeRead;
    private final int wakeWrite;
    /**
     * A datagram socket of the interface's namespace, opened with it, for the {@code ioctl}s that ask about the
     * interface: the timers read the MTU every second and must not need a new descriptor for it (a process out
     * of descriptors would stop its keepalives).
     */
    private final int controlSocket;

    private final CountDownLatch readerDone = new CountDownLatch(1);
    private final ThreadLocal<MemorySegment> writeState =
            ThreadLocal.withInitial(() -> Libc.allocateCallState(Arena.ofAuto()));
    /** Per writer: a virtio_net_hdr followed by room for the largest packet. */
    private final ThreadLocal<MemorySegment> writeBuffer = ThreadLocal.withInitial(() -> {
        MemorySegment buffer = Libc.mapAnonymous(Gso.VNET_HDR_LEN + 65536L, Arena.ofAuto());
        // "Checksum verified": the packet was authenticated by WireGuard, as the kernel module marks it.
        buffer.set(JAVA_BYTE, 0, (byte) Gso.F_DATA_VALID);
        return buffer;
    });

    private volatile boolean closed;
    private volatile boolean readerStarted;

    // Reader-thread state, reused for every read.
    private final Arena readerArena = Arena.ofShared();
    private final MemorySegment readState = Libc.allocateCallState(readerArena);
    private final MemorySegment pollFds = readerArena.allocate(Libc.POLLFD, 2);

    private TunDevice(String name, boolean vnetHeader, int fd, int wakeRead, int wakeWrite, int controlSocket) {
        this.name = name;
        this.vnetHeader = vnetHeader;
        this.fd = fd;
        this.wakeRead = wakeRead;
        this.wakeWrite = wakeWrite;
        this.controlSocket = controlSocket;
        pollFds.set(JAVA_INT, 0, fd);
        pollFds.set(JAVA_SHORT, 4, Libc.POLLIN);
        pollFds.set(JAVA_INT, POLL_FD_SIZE, wakeRead);
        pollFds.set(JAVA_SHORT, POLL_FD_SIZE + 4, Libc.POLLIN);
    }

    /**
     * Creates (or attaches to) the TUN interface {@code name} in the calling thread's network namespace and
     * sets its MTU to {@code mtu}; the interface is down until someone brings it up.
     */
    public static TunDevice create(String name, int mtu) throws IOException {
        return create(name, mtu, true);
    }

    /**
     * As {@link #create(String, int)}; with {@code offloads}, reads and writes carry a {@code
     * virtio_net_hdr} and the kernel may hand over TCP segments of up to 64 KiB with checksums left to
     * finish ({@code IFF_VNET_HDR}, TSO and checksum offload): see {@link #hasVnetHeader()}.
     */
    public static TunDevice create(String name, int mtu, boolean offloads) throws IOException {
        int fd = Libc.open("/dev/net/tun", Libc.O_RDWR | Libc.O_CLOEXEC | Libc.O_NONBLOCK);
        int controlSocket = -1;
        try {
            short flags =
                    (short) (TunBindings.IFF_TUN | TunBindings.IFF_NO_PI | (offloads ? TunBindings.IFF_VNET_HDR : 0));
            String actual = TunBindings.setIff(fd, name, flags);
            if (offloads) {
                TunBindings.setOffload(
                        fd,
                        TunBindings.TUN_F_CSUM
                                | TunBindings.TUN_F_TSO4
                                | TunBindings.TUN_F_TSO6
                                | TunBindings.TUN_F_TSO_ECN);
            }
            TunBindings.setInterfaceMtu(actual, mtu);
            controlSocket = Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
            int[] wake = Libc.pipe2(Libc.O_CLOEXEC | Libc.O_NONBLOCK);
            return new TunDevice(actual, offloads, fd, wake[0], wake[1], controlSocket);
        } catch (ErrnoException | RuntimeException e) {
            closeQuietly(fd);
            if (controlSocket >= 0) {
                closeQuietly(controlSocket);
            }
            throw e;
        }
    }

    /**
     * Attaches {@code fd}, an open {@code /dev/net/tun}, to a plain TUN interface {@code name} (no packet
     * information, no offloads), creating it: what {@code doctor} tries, and tests that need an interface
     * which lives exactly as long as a descriptor.
     *
     * @return the interface's name as the kernel chose it
     */
    public static String attach(int fd, String name) throws ErrnoException {
        return TunBindings.setIff(fd, name, (short) (TunBindings.IFF_TUN | TunBindings.IFF_NO_PI));
    }

    public String name() {
        return name;
    }

    /**
     * Whether reads start with a {@code virtio_net_hdr} (use {@link Gso#split}); writes never need one from
     * the caller, this class adds it.
     */
    public boolean hasVnetHeader() {
        return vnetHeader;
    }

    /**
     * The interface's current MTU (the user may change it with {@code ip link}), asked through a socket held
     * since creation: no new descriptor is needed.
     */
    public int mtu() throws ErrnoException {
        return TunBindings.interfaceMtu(controlSocket, name);
    }

    /**
     * Reads one packet into {@code buffer}, waiting for one. Only one thread may read.
     *
     * @return the packet's length, or -1 once {@link #close()} was called
     * @throws InterfaceGoneException when the interface was deleted (the descriptor reports an error)
     */
    public int read(MemorySegment buffer) throws IOException {
        return read(buffer, null, () -> {});
    }

    /**
     * As {@link #read(MemorySegment)}; when no packet comes for {@code quiet}, runs {@code whenQuiet} once, on
     * this thread, and waits on (how the reader gives back buffers an idle tunnel does not need).
     */
    public int read(MemorySegment buffer, Duration quiet, Runnable whenQuiet) throws IOException {
        readerStarted = true;
        int timeoutMillis = quiet == null ? -1 : (int) Math.min(quiet.toMillis(), Integer.MAX_VALUE);
        try {
            while (!closed) {
                long n = Libc.read(readState, fd, buffer, buffer.byteSize());
                if (n >= 0) {
                    return (int) n;
                }
                int errno = Libc.errno(readState);
                if (errno == Libc.EAGAIN) {
                    if (!awaitReadable(timeoutMillis)) {
                        whenQuiet.run();
                        timeoutMillis = -1;
                    }
                } else if (errno != Libc.EINTR) {
                    readerDone.countDown(); // this reader will not come back: close() need not wait
                    throw new InterfaceGoneException(name, errno);
                }
            }
            return -1;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        } finally {
            if (closed) {
                readerDone.countDown();
            }
        }
    }

    /**
     * Reads one packet if one is waiting, without waiting: how the reader drains a burst into one batch.
     *
     * @return the packet's length, or -1 when none is waiting (or the device is closed)
     */
    public int readNow(MemorySegment buffer) throws IOException {
        if (closed) {
            return -1;
        }
        try {
            long n = Libc.read(readState, fd, buffer, buffer.byteSize());
            if (n >= 0) {
                return (int) n;
            }
            int errno = Libc.errno(readState);
            if (errno == Libc.EAGAIN || errno == Libc.EINTR) {
                return -1;
            }
            readerDone.countDown();
            throw new InterfaceGoneException(name, errno);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** Waits up to {@code timeoutMillis} (-1: for ever) for a packet or a wake-up; false when the time ran out. */
    private boolean awaitReadable(int timeoutMillis) throws Throwable {
        int ready = Libc.poll(readState, pollFds, 2L, timeoutMillis);
        if (ready < 0 && Libc.errno(readState) != Libc.EINTR) {
            throw new ErrnoException("poll " + name, Libc.errno(readState));
        }
        // POLLERR/POLLHUP on the TUN descriptor: the next read reports the error.
        return ready != 0;
    }

    /**
     * Writes one IP packet: {@code packet}'s bytes (native or heap memory), whole. A packet the kernel refuses
     * (interface down, a malformed header) is lost as on a wire.
     *
     * @return false when the kernel refused it
     */
    public boolean write(MemorySegment packet) {
        if (closed) {
            return false;
        }
        try {
            MemorySegment data = packet;
            if (vnetHeader || !packet.isNative()) {
                // Behind the header this writer keeps (when the TUN wants one) or in native memory at all.
                long start = vnetHeader ? 0 : Gso.VNET_HDR_LEN;
                data = writeBuffer.get();
                MemorySegment.copy(packet, 0, data, Gso.VNET_HDR_LEN, packet.byteSize());
                data = data.asSlice(start, Gso.VNET_HDR_LEN + packet.byteSize() - start);
            }
            long n = Libc.write(writeState.get(), fd, data, data.byteSize());
            return n == data.byteSize();
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** Writes {@code data}, which starts with its own {@code virtio_net_hdr} (needs {@link #hasVnetHeader()}). */
    boolean writeWithHeader(MemorySegment data) {
        if (closed) {
            return false;
        }
        try {
            long n = Libc.write(writeState.get(), fd, data, data.byteSize());
            return n == data.byteSize();
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** Writes a packet held in {@code bytes[offset, offset+length)} (copied to native memory first). */
    public boolean write(byte[] bytes, int offset, int length) {
        return write(MemorySegment.ofArray(bytes).asSlice(offset, length));
    }

    /** Closes the descriptor, which removes the interface; a waiting reader returns -1 first. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(1);
            long ignored = Libc.write(Libc.allocateCallState(arena), wakeWrite, one, 1L);
            assert ignored <= 1;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        if (readerStarted) {
            try {
                // Never close a descriptor a reader may be about to use: the number could be reused.
                readerDone.await(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        closeQuietly(fd);
        closeQuietly(wakeRead);
        closeQuietly(wakeWrite);
        closeQuietly(controlSocket);
    }

    private static void closeQuietly(int fd) {
        try {
            Libc.close(fd);
        } catch (ErrnoException e) {
            // nothing more to do with a descriptor that will not close
        }
    }

    @Override
    public String toString() {
        return "TUN " + name;
    }

    /** The interface was deleted under us (or the descriptor broke): the device's life is over. */
    public static final class InterfaceGoneException extends IOException {
        private static final long serialVersionUID = 1L;

        private final int errno;

        InterfaceGoneException(String name, int errno) {
            super("TUN interface " + name + " is gone: read failed: " + Libc.strerror(errno));
            this.errno = errno;
        }

        public int errno() {
            return errno;
        }
    }
}
