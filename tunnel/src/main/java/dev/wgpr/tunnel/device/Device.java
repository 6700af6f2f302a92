package dev.wgpr.tunnel.device;

import dev.wgpr.common.ThreadFailures;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.tunnel.Clock;
import dev.wgpr.tunnel.crypto.Key;
import dev.wgpr.tunnel.protocol.Drop;
import dev.wgpr.tunnel.protocol.Keypair;
import dev.wgpr.tunnel.protocol.Limits;
import dev.wgpr.tunnel.protocol.Protocol;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The userspace WireGuard interface: a {@link TunDevice} and a UDP socket joined by the {@link Protocol},
 * split by concern as wireguard-go splits its {@code device/}: {@link Outbound} (TUN to wire), {@link
 * Inbound} (wire to TUN), {@link Handshakes} (the workers and initiations), {@link Timers} (whitepaper
 * section 6 and the control thread) and {@link PeerTable} (the configuration and the cryptokey routing
 * index). This class starts and stops them, owns the socket, and is the {@link Backend} callers configure.
 *
 * <p>Threads (platform threads, started by {@link #create} so they inherit its network namespace): a TUN
 * reader, a UDP reader, handshake workers and a control thread. One thread per direction keeps each peer's
 * packets in order. With {@link Options#cryptoThreads()} above 1, those two threads hand the sealing and
 * opening of a burst's packets to a {@link CryptoPool} and send or deliver them in the order they were read
 * (counters taken in that order before the parallel sealing; replay window checked in that order after the
 * parallel opening); with 1, they do the crypto inline. All time comes from the {@link Clock}; tests drive
 * {@link #tick()} with a manual one.
 */
public final class Device implements Backend {
    private static final System.Logger LOG = System.getLogger(Device.class.getName());

    /**
     * Tuning of one device; the defaults are the protocol's. Tests shorten the rekey interval to see
     * rekeys happen.
     *
     * @param rekeyAfterTimeNanos an initiator starts a new handshake once its keypair is this old
     * @param rekeyAfterMessages ... or has sent this many messages
     * @param cryptoThreads threads that seal and open data packets in parallel; 1: the two I/O threads do it
     *     inline (see {@link CryptoPool#defaultThreads()} for the default)
     */
    public record Options(Clock clock, int mtu, long rekeyAfterTimeNanos, long rekeyAfterMessages, int cryptoThreads) {
        public static Options defaults() {
            return new Options(
                    Clock.system(),
                    TunDevice.DEFAULT_MTU,
                    Limits.REKEY_AFTER_TIME_NANOS,
                    Limits.REKEY_AFTER_MESSAGES,
                    CryptoPool.defaultThreads());
        }

        public Options withClock(Clock newClock) {
            return new Options(newClock, mtu, rekeyAfterTimeNanos, rekeyAfterMessages, cryptoThreads);
        }

        public Options withRekeyAfterTime(long nanos) {
            return new Options(clock, mtu, nanos, rekeyAfterMessages, cryptoThreads);
        }

        public Options withRekeyAfterMessages(long messages) {
            return new Options(clock, mtu, rekeyAfterTimeNanos, messages, cryptoThreads);
        }

        public Options withCryptoThreads(int threads) {
            return new Options(clock, mtu, rekeyAfterTimeNanos, rekeyAfterMessages, threads);
        }
    }

    final TunDevice tun;
    final Options options;
    final Clock clock;
    final PeerTable peers;
    final Outbound outbound;
    final Inbound inbound;
    final Handshakes handshakes;
    final Timers timers;
    /** Parallel crypto; null when the I/O threads seal and open inline. */
    final CryptoPool crypto;

    private final Object configureLock = new Object();
    private volatile DeviceConfig configured = DeviceConfig.EMPTY;
    private volatile UdpSocket udp;
    private volatile long fwmark;
    private volatile int listenPort;
    private volatile int mtu;

    private final CountDownLatch terminated = new CountDownLatch(1);
    private volatile boolean closed;
    private volatile IOException failure;
    private final List<Thread> threads = new ArrayList<>();

    final LongAdder droppedNoRoute = new LongAdder();
    final LongAdder droppedSourceNotAllowed = new LongAdder();
    final LongAdder droppedMalformedPacket = new LongAdder();
    final LongAdder droppedHandshakeQueueFull = new LongAdder();
    final LongAdder droppedRateLimited = new LongAdder();
    /** TUN reads that were TCP super-packets (TSO) cut into several wire packets. */
    final LongAdder segmentedReads = new LongAdder();

    final AtomicLong initiationsSent = new AtomicLong();
    /** What reached the root of one of the device's threads; they go on after it. */
    private final ThreadFailures threadFailures;

    private Device(TunDevice tun, Options options) {
        this.tun = tun;
        this.options = options;
        this.clock = options.clock();
        this.mtu = options.mtu();
        this.peers = new PeerTable(clock);
        this.outbound = new Outbound(this);
        this.inbound = new Inbound(this);
        this.handshakes = new Handshakes(this);
        this.timers = new Timers(this);
        this.threadFailures = new ThreadFailures(line -> LOG.log(Level.WARNING, "{0}: {1}", tun.name(), line));
        this.crypto = CryptoPool.startOrInline(options.cryptoThreads(), tun.name());
    }

    /**
     * Creates the TUN interface {@code name} (down, MTU from the options) and a UDP socket on a free port,
     * both in the calling thread's network namespace, and starts the device. Configure it with the {@link
     * Backend} methods; it carries traffic once it has a private key and peers.
     */
    public static Device create(String name, Options options) throws IOException {
        TunDevice tun = TunDevice.create(name, options.mtu());
        Device device = new Device(tun, options);
        try {
            device.bind(0);
            device.start();
            return device;
        } catch (IOException | RuntimeException e) {
            device.close();
            throw e;
        }
    }

    public static Device create(String name) throws IOException {
        return create(name, Options.defaults());
    }

    private void start() {
        startThread("wg-tun-", outbound::tunLoop);
        startThread("wg-udp-", inbound::udpLoop);
        // Handshakes are independent Diffie-Hellman work (the protocol locks per peer): one worker per core.
        for (int i = 0; i < Handshakes.WORKERS; i++) {
            startThread("wg-handshake-" + i + "-", handshakes::work);
        }
        startThread("wg-timers-", timers::controlLoop);
    }

    private void startThread(String prefix, Loop loop) {
        threads.add(Thread.ofPlatform().name(prefix + tun.name()).daemon().start(() -> keepRunning(loop)));
    }

    /** The body of one of the device's threads: returns when the device closes, or throws when it must stop. */
    @FunctionalInterface
    private interface Loop {
        void run() throws IOException;
    }

    /**
     * Runs {@code loop} until it returns; anything unexpected it throws is counted, reported and the loop
     * started again, so no thread of the device ends silently. An {@link IOException} means the TUN interface
     * is gone: the device stops, visibly ({@link #failure()}).
     */
    private void keepRunning(Loop loop) {
        while (!closed) {
            try {
                loop.run();
                return;
            } catch (IOException e) {
                if (!closed) {
                    failure = e;
                    LOG.log(Level.INFO, "{0}; stopping the device", e.getMessage());
                    Thread.ofPlatform().daemon().start(this::close);
                }
                return;
            } catch (Throwable t) {
                survive(t);
            }
        }
    }

    /** Counts and reports what reached the root of one of the device's threads, which goes on. */
    void survive(Throwable t) {
        if (!closed) {
            threadFailures.survive(t);
        }
    }

    boolean isClosed() {
        return closed;
    }

    /** What reached the root of the device's threads so far, by thread (they went on). */
    public Map<String, Long> threadFailures() {
        return threadFailures.counts();
    }

    // ---------------------------------------------------------------- the socket and the MTU

    UdpSocket udp() {
        return udp;
    }

    boolean send(byte[] message, int length, InetSocketAddress endpoint) {
        return udp.send(message, 0, length, endpoint);
    }

    int mtu() {
        return mtu;
    }

    /** Takes the interface's MTU as it is now (someone may have run {@code ip link set mtu}). */
    void followMtu() throws ErrnoException {
        mtu = tun.mtu();
    }

    private void bind(int port) throws IOException {
        UdpSocket socket = UdpSocket.bind(port);
        if (fwmark != 0) {
            socket.setMark(fwmark);
        }
        UdpSocket old = udp;
        udp = socket;
        listenPort = socket.port();
        if (old != null) {
            old.close(); // wakes the UDP reader, which moves to the new socket
            // Senders may still hold the old one for a moment: free its descriptor (whose number the
            // kernel could reuse) only once none can.
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    // release now
                }
                old.release();
            });
        }
    }

    // ---------------------------------------------------------------- configuration (Backend)

    @Override
    public String interfaceName() {
        return tun.name();
    }

    @Override
    public DeviceConfig configuration() {
        return configured;
    }

    @Override
    public void configure(DeviceConfig next) throws IOException {
        synchronized (configureLock) {
            DeviceConfig current = configured;
            if (next.listenPort() != current.listenPort()
                    && !(next.listenPort() == listenPort && next.listenPort() != 0)) {
                try {
                    bindOnControlThread(next.listenPort());
                } catch (IOException e) {
                    throw new IOException("cannot listen on port " + next.listenPort() + ": " + e.getMessage(), e);
                }
            }
            if (next.fwmark() != current.fwmark()) {
                fwmark = next.fwmark();
                try {
                    udp.setMark(next.fwmark());
                } catch (IOException e) {
                    throw new IOException("cannot set fwmark " + next.fwmark() + ": " + e.getMessage(), e);
                }
            }
            for (PeerSettings peer : current.peers()) {
                if (next.peer(peer.publicKey()).isEmpty()) {
                    peers.remove(peer.publicKey());
                }
            }
            if (!next.privateKey().equals(current.privateKey())) {
                peers.setPrivateKey(next.privateKey());
            }
            for (PeerSettings peer : next.peers()) {
                Optional<PeerSettings> before = current.peer(peer.publicKey());
                if (before.isPresent() && before.get().equals(peer)) {
                    continue;
                }
                // Only a newly set endpoint is passed on: one the peer roamed to stays until another is set.
                boolean sameEndpoint =
                        before.isPresent() && before.get().endpoint().equals(peer.endpoint());
                // As wireguard-go: a persistent keepalive starts at once.
                peers.set(sameEndpoint ? peer.withEndpoint(Optional.empty()) : peer)
                        .ifPresent(outbound::sendKeepalive);
            }
            configured = next;
        }
    }

    @Override
    public int listenPort() {
        return listenPort;
    }

    /** Binds {@code port} on the control thread, which lives in the device's network namespace (the caller may not). */
    private void bindOnControlThread(int port) throws IOException {
        FutureTask<Void> task = new FutureTask<>(() -> {
            bind(port);
            return null;
        });
        timers.submit(task);
        try {
            task.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding port " + port, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException("cannot bind port " + port + ": " + e.getCause(), e.getCause());
        }
    }

    @Override
    public List<PeerStatus> peers() {
        return peers.statuses();
    }

    @Override
    public void awaitTermination() throws InterruptedException {
        terminated.await();
    }

    /** Waits up to {@code timeout} for the device to stop; true if it has. */
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return terminated.await(timeout, unit);
    }

    /** Why the device stopped by itself (its interface was deleted), if it did. */
    public Optional<IOException> failure() {
        return Optional.ofNullable(failure);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        tun.close();
        if (crypto != null) {
            crypto.close();
        }
        UdpSocket socket = udp;
        if (socket != null) {
            socket.close();
        }
        for (Thread thread : threads) {
            thread.interrupt();
        }
        for (Thread thread : threads) {
            if (thread != Thread.currentThread()) {
                try {
                    thread.join(TimeUnit.SECONDS.toMillis(2));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        if (socket != null) {
            socket.release(); // the threads that used it have ended
        }
        peers.clearAll();
        terminated.countDown();
    }

    // ---------------------------------------------------------------- counters

    /**
     * Everything the device dropped so far, by reason: the protocol's reasons ({@code MALFORMED}, {@code
     * BAD_MAC1}, {@code REPLAYED_COUNTER}…) and the device's own ({@code NO_ROUTE}, {@code
     * SOURCE_NOT_ALLOWED}, {@code MALFORMED_PACKET}, {@code HANDSHAKE_QUEUE_FULL}, {@code RATE_LIMITED}).
     * Zero counts are included, so the keys are stable.
     */
    public Map<String, Long> dropped() {
        Map<String, Long> counts = new LinkedHashMap<>();
        Protocol current = peers.protocol();
        for (Drop reason : Drop.values()) {
            counts.put(reason.name(), current == null ? 0 : current.dropped(reason));
        }
        counts.put("NO_ROUTE", droppedNoRoute.sum());
        counts.put("SOURCE_NOT_ALLOWED", droppedSourceNotAllowed.sum());
        counts.put("MALFORMED_PACKET", droppedMalformedPacket.sum());
        counts.put("HANDSHAKE_QUEUE_FULL", droppedHandshakeQueueFull.sum());
        counts.put("RATE_LIMITED", droppedRateLimited.sum());
        return counts;
    }

    /** Test access: runs the timers that are due now. */
    void tick() {
        timers.tick();
    }

    /** Test access: the protocol's drop counts and others. */
    Protocol protocol() {
        return peers.protocol();
    }

    /** Test access: how many joined TCP super-packets were written to the TUN (receive offload). */
    long joinedWrites() {
        return inbound.joinedWrites();
    }

    /** Test access: messages of several datagrams the current socket sent (UDP GSO) and received (UDP GRO). */
    long[] udpOffloads() {
        UdpSocket socket = udp;
        return new long[] {socket.segmentedSends.sum(), socket.joinedReceives.sum()};
    }

    /** Test access: packets sealed or opened by a crypto worker rather than inline (0 without workers). */
    long cryptoOnWorkers() {
        return crypto == null ? 0 : crypto.ranByWorkers.sum();
    }

    /** Test access: the current keypair of a peer, if any. */
    Optional<Keypair> currentKeypair(Key publicKey) {
        return peers.currentKeypair(publicKey);
    }
}
