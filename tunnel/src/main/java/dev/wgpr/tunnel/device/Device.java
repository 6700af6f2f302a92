package dev.wgpr.tunnel.device;

import dev.wgpr.common.ThreadFailures;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.tunnel.Clock;
import dev.wgpr.tunnel.crypto.ChaChaPoly;
import dev.wgpr.tunnel.crypto.Key;
import dev.wgpr.tunnel.protocol.Keypair;
import dev.wgpr.tunnel.protocol.Limits;
import dev.wgpr.tunnel.protocol.Messages;
import dev.wgpr.tunnel.protocol.Peer;
import dev.wgpr.tunnel.protocol.Protocol;
import dev.wgpr.tunnel.protocol.Received;
import dev.wgpr.tunnel.protocol.TransportData;
import dev.wgpr.tunnel.protocol.TransportHeader;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The userspace WireGuard interface: a {@link TunDevice} and a UDP socket joined by the {@link Protocol}.
 *
 * <p>Outbound, a packet read from the TUN goes to the peer whose allowed IPs hold its destination (longest
 * prefix), is sealed under that peer's current keypair and sent to its endpoint; without a usable keypair
 * it waits (bounded) while a handshake is made. Inbound, a datagram goes to {@link Protocol#receive}; data
 * whose inner source the sending peer may not use is dropped, the rest is written to the TUN; the sender's
 * endpoint follows the source of every authenticated message (roaming).
 *
 * <p>Threads (platform threads, started by {@link #create} so they inherit its network namespace): a TUN
 * reader (drains bursts, cuts TSO super-packets, seals, sends in {@code sendmmsg} batches whose runs to one
 * peer go as one UDP GSO message), a UDP reader ({@code recvmmsg} batches, UDP GRO messages cut apart, opens
 * on the heap, joins TCP segments for the TUN), handshake workers (the
 * Diffie-Hellman work, behind a bounded queue whose length decides "under load" for cookies), and a control
 * thread that runs the timers every {@link #TICK_MILLIS} ms and rebinds the socket. One thread per
 * direction keeps each peer's packets in order. With {@link Options#cryptoThreads()} above 1, those two
 * threads hand the sealing and opening of a burst's packets to a {@link CryptoPool} and send or deliver
 * them in the order they were read (counters taken in that order before the parallel sealing; replay
 * window checked in that order after the parallel opening); with 1, they do the crypto inline. All time comes from the {@link Clock}; tests drive {@link
 * #tick()} with a manual one.
 */
public final class Device implements Backend {
    private static final System.Logger LOG = System.getLogger(Device.class.getName());

    static final long TICK_MILLIS = 100;
    /** wireguard-go's QueueHandshakeSize; under load above an eighth of it, as there. */
    static final int HANDSHAKE_QUEUE = 4096;

    static final int HANDSHAKE_WORKERS = Math.max(1, Runtime.getRuntime().availableProcessors());

    static final int UNDER_LOAD_QUEUE_LENGTH = HANDSHAKE_QUEUE / 8;
    static final long UNDER_LOAD_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Retransmissions before giving up: REKEY_ATTEMPT_TIME / REKEY_TIMEOUT, as wireguard-go counts them. */
    static final int MAX_RETRANSMITS = (int) (Limits.REKEY_ATTEMPT_TIME_NANOS / Limits.REKEY_TIMEOUT_NANOS);

    static final long JITTER_NANOS = TimeUnit.MILLISECONDS.toNanos(334);
    private static final int MAX_PACKET = 65535;
    private static final int BUFFER_SIZE = TransportHeader.SIZE + MAX_PACKET + 16 + 16;

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

    /** A handshake message waiting for the worker. */
    private record Handshake(ByteBuffer message, InetSocketAddress source) {}

    /**
     * A packet of the TUN reader's burst that a crypto worker seals under the counter taken when it was read;
     * {@code sealed} is the message length once its job is done (-1: not sent).
     */
    private static final class Sealing implements Runnable {
        final PeerState state;
        final InetSocketAddress endpoint;
        final Keypair keypair;
        final long counter;
        final byte[] buffer;
        final int length;
        final int mtu;
        final CryptoPool.Job job = new CryptoPool.Job(this);
        int sealed = -1;

        Sealing(
                PeerState state,
                InetSocketAddress endpoint,
                Keypair keypair,
                long counter,
                byte[] buffer,
                int length,
                int mtu) {
            this.state = state;
            this.endpoint = endpoint;
            this.keypair = keypair;
            this.counter = counter;
            this.buffer = buffer;
            this.length = length;
            this.mtu = mtu;
        }

        @Override
        public void run() {
            sealed = keypair.sealWith(counter, buffer, 0, length, mtu);
        }
    }

    /** A datagram of the UDP reader's batch that a crypto worker opens. */
    private record Opening(TransportData data, InetSocketAddress source, int length, CryptoPool.Job job) {
        Opening(TransportData data, InetSocketAddress source, int length) {
            this(data, source, length, new CryptoPool.Job(data::open));
        }
    }

    private final TunDevice tun;
    private final Options options;
    private final Clock clock;
    private final Object configLock = new Object();
    private final Map<Key, PeerState> peers = new ConcurrentHashMap<>();
    private volatile Map<Peer, PeerState> byProtocolPeer = Map.of();
    private volatile AllowedIps<PeerState> routes = AllowedIps.empty();
    private volatile Protocol protocol;
    private volatile Optional<Key> privateKey = Optional.empty();
    private volatile UdpSocket udp;
    private volatile long fwmark;
    private volatile int listenPort;
    private volatile int mtu;
    private long nextPeerOrder;

    private final BlockingQueue<Handshake> handshakes = new ArrayBlockingQueue<>(HANDSHAKE_QUEUE);
    private final BlockingQueue<Runnable> controlTasks = new LinkedBlockingQueue<>();
    private volatile long underLoadUntil = PeerState.NONE;
    private final Object tickLock = new Object();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private volatile boolean closed;
    private volatile IOException failure;
    private final List<Thread> threads = new ArrayList<>();
    /** Parallel crypto; null when the I/O threads seal and open inline. */
    private final CryptoPool crypto;
    /** The TUN reader's packets being sealed, in the order they go out, and their buffers (reused). */
    private final List<Sealing> sealing = new ArrayList<>();

    private final byte[][] sealBuffers = new byte[CryptoPool.IN_FLIGHT][];
    /** The UDP reader's datagrams being opened, in the order they arrived, and their buffers (reused). */
    private final List<Opening> opening = new ArrayList<>();

    private final byte[][] openBuffers = new byte[CryptoPool.IN_FLIGHT][];
    /** The UDP reader and its receive offload, which only it touches. */
    private volatile Thread udpThread;

    private Gro udpGro;

    final LongAdder droppedNoRoute = new LongAdder();
    final LongAdder droppedSourceNotAllowed = new LongAdder();
    final LongAdder droppedMalformedPacket = new LongAdder();
    final LongAdder droppedHandshakeQueueFull = new LongAdder();
    final LongAdder droppedRateLimited = new LongAdder();
    private final SourceRateLimiter rateLimiter = new SourceRateLimiter();
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
        threads.add(Thread.ofPlatform().name("wg-tun-" + tun.name()).daemon().start(() -> keepRunning(this::tunLoop)));
        udpThread =
                Thread.ofPlatform().name("wg-udp-" + tun.name()).daemon().unstarted(() -> keepRunning(this::udpLoop));
        threads.add(udpThread);
        udpThread.start();
        // Handshakes are independent Diffie-Hellman work (the protocol locks per peer): one worker per core.
        for (int i = 0; i < HANDSHAKE_WORKERS; i++) {
            threads.add(Thread.ofPlatform()
                    .name("wg-handshake-" + i + "-" + tun.name())
                    .daemon()
                    .start(() -> keepRunning(this::handshakeLoop)));
        }
        threads.add(Thread.ofPlatform()
                .name("wg-timers-" + tun.name())
                .daemon()
                .start(() -> keepRunning(this::controlLoop)));
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
                if (!closed) {
                    threadFailures.survive(t);
                }
            }
        }
    }

    /** What reached the root of the device's threads so far, by thread (they went on). */
    public Map<String, Long> threadFailures() {
        return threadFailures.counts();
    }

    // ---------------------------------------------------------------- configuration (Backend)

    @Override
    public String interfaceName() {
        return tun.name();
    }

    @Override
    public Optional<Key> privateKey() {
        return privateKey;
    }

    @Override
    public void setPrivateKey(Optional<Key> key) {
        synchronized (configLock) {
            if (key.equals(privateKey)) {
                return;
            }
            Protocol old = protocol;
            Protocol fresh = key.map(k -> new Protocol(k, clock)).orElse(null);
            privateKey = key;
            protocol = fresh;
            for (PeerState state : peers.values()) {
                if (old != null && state.peer != null) {
                    old.removePeer(state.peer);
                }
                state.peer = fresh == null ? null : addToProtocol(fresh, state);
                synchronized (state) {
                    state.handshakeInFlight = false;
                    state.awaitingConfirmation = null;
                    state.lastInitiationSent = PeerState.NONE;
                }
            }
            rebuildIndexes();
        }
    }

    private static Peer addToProtocol(Protocol protocol, PeerState state) {
        if (state.publicKey.equals(protocol.publicKey())) {
            return null; // a device is never its own peer; the entry stays, inert
        }
        return protocol.addPeer(state.publicKey, state.presharedKey.orElse(null));
    }

    @Override
    public int listenPort() {
        return listenPort;
    }

    @Override
    public void setListenPort(int port) throws IOException {
        if (port != 0 && port == listenPort) {
            return;
        }
        // The control thread lives in the device's network namespace; the caller may not.
        FutureTask<Void> task = new FutureTask<>(() -> {
            bind(port);
            return null;
        });
        controlTasks.add(task);
        try {
            task.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding port " + port, e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException("cannot bind port " + port + ": " + e.getCause(), e.getCause());
        }
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

    @Override
    public long fwmark() {
        return fwmark;
    }

    @Override
    public void setFwmark(long mark) throws IOException {
        fwmark = mark;
        udp.setMark(mark);
    }

    @Override
    public void setPeer(PeerSettings settings) {
        boolean sendKeepalive;
        PeerState state;
        synchronized (configLock) {
            state = peers.get(settings.publicKey());
            boolean created = state == null;
            if (created) {
                state = new PeerState(settings.publicKey(), nextPeerOrder++);
            }
            state.presharedKey = settings.presharedKey();
            if (settings.endpoint().isPresent()) {
                state.endpoint = settings.endpoint().get();
            }
            sendKeepalive = settings.persistentKeepaliveSeconds() > 0 && state.persistentKeepaliveSeconds == 0;
            state.persistentKeepaliveSeconds = settings.persistentKeepaliveSeconds();
            // A prefix has one owner: taking it from another peer, as wireguard-go's trie does.
            for (PeerState other : peers.values()) {
                if (other != state && other.allowedIps.stream().anyMatch(settings.allowedIps()::contains)) {
                    other.allowedIps = other.allowedIps.stream()
                            .filter(p -> !settings.allowedIps().contains(p))
                            .toList();
                }
            }
            state.allowedIps = settings.allowedIps();
            Protocol current = protocol;
            if (created) {
                state.peer = current == null ? null : addToProtocol(current, state);
                peers.put(state.publicKey, state);
            } else if (state.peer != null) {
                state.peer.setPresharedKey(settings.presharedKey().orElse(null));
            }
            rebuildIndexes();
        }
        if (sendKeepalive) {
            sendKeepalive(state); // as wireguard-go: a persistent keepalive starts at once
        }
    }

    @Override
    public void removePeer(Key publicKey) {
        synchronized (configLock) {
            PeerState state = peers.remove(publicKey);
            if (state == null) {
                return;
            }
            Protocol current = protocol;
            if (current != null && state.peer != null) {
                current.removePeer(state.peer);
            }
            state.takeStaged();
            rebuildIndexes();
        }
    }

    /** Called holding configLock: the maps the data path reads, swapped in whole. */
    private void rebuildIndexes() {
        Map<Peer, PeerState> byPeer = new java.util.IdentityHashMap<>();
        Map<IpPrefix, PeerState> table = new HashMap<>();
        for (PeerState state : peers.values()) {
            if (state.peer != null) {
                byPeer.put(state.peer, state);
            }
            state.allowedIps.forEach(prefix -> table.put(prefix, state));
        }
        byProtocolPeer = byPeer;
        routes = AllowedIps.of(table);
    }

    @Override
    public List<PeerStatus> peers() {
        return peers.values().stream()
                .sorted(Comparator.comparingLong(s -> s.order))
                .map(this::status)
                .toList();
    }

    private PeerStatus status(PeerState s) {
        long handshake = s.lastHandshakeEpochNanos;
        return new PeerStatus(
                s.publicKey,
                s.presharedKey,
                Optional.ofNullable(s.endpoint),
                s.persistentKeepaliveSeconds,
                s.allowedIps,
                handshake == 0 ? Optional.empty() : Optional.of(Instant.ofEpochSecond(0, handshake)),
                s.rxBytes.get(),
                s.txBytes.get());
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
        synchronized (configLock) {
            Protocol current = protocol;
            if (current != null) {
                peers.values().stream().filter(s -> s.peer != null).forEach(s -> current.removePeer(s.peer));
            }
        }
        terminated.countDown();
    }

    // ---------------------------------------------------------------- outbound

    private void tunLoop() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = Libc.mapAnonymous(Gso.VNET_HDR_LEN + MAX_PACKET, arena);
            byte[] buffer = new byte[BUFFER_SIZE];
            UdpSocket.Sender batch = new UdpSocket.Sender(UdpSocket.BATCH);
            Gso.Sink out = (packet, offset, length) -> {
                try {
                    routeOut(packet, length, batch);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "dropped an outgoing packet: " + e, e);
                }
            };
            boolean vnet = tun.hasVnetHeader();
            Runnable releasePages = () -> {
                Libc.discard(in);
                batch.releasePages();
            };
            while (!closed) {
                int length = tun.read(in, UdpSocket.QUIET, releasePages);
                // A burst is drained without waiting and goes out in sendmmsg batches.
                while (length >= 0) {
                    if (vnet) {
                        int packets = Gso.split(in, length, buffer, TransportHeader.SIZE, out);
                        if (packets == 0) {
                            droppedMalformedPacket.increment();
                        } else if (packets > 1) {
                            segmentedReads.increment();
                        }
                    } else {
                        MemorySegment.copy(
                                in, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, buffer, TransportHeader.SIZE, length);
                        out.packet(buffer, TransportHeader.SIZE, length);
                    }
                    length = tun.readNow(in);
                }
                if (!sealing.isEmpty()) {
                    finishSealing(batch);
                }
                if (!batch.isEmpty()) {
                    batch.flush(udp);
                }
            }
        }
    }

    /** A packet at {@code buffer[16, 16+length)}: to its peer, or dropped when no peer routes it. */
    private void routeOut(byte[] buffer, int length, UdpSocket.Sender batch) {
        int offset = TransportHeader.SIZE;
        PeerState state;
        if (length >= 20 && (buffer[offset] >> 4 & 0xf) == 4) {
            state = routes.lookupV4(intAt(buffer, offset + 16));
        } else if (length >= 40 && (buffer[offset] >> 4 & 0xf) == 6) {
            state = routes.lookupV6(longAt(buffer, offset + 24), longAt(buffer, offset + 32));
        } else {
            droppedMalformedPacket.increment();
            return;
        }
        if (state == null) {
            droppedNoRoute.increment();
            return;
        }
        sendData(state, buffer, length, batch);
    }

    /**
     * Seals and sends the packet at {@code buffer[16, 16+length)} (empty: a keepalive) to {@code state},
     * or stages it and starts a handshake when there is no usable keypair.
     */
    private void sendData(PeerState state, byte[] buffer, int length, UdpSocket.Sender batch) {
        Peer peer = state.peer;
        InetSocketAddress endpoint = state.endpoint;
        if (peer == null || endpoint == null) {
            return; // no private key, or nowhere to send: wireguard-go drops these too
        }
        Keypair keypair = peer.currentKeypair().orElse(null);
        // With crypto workers, the TUN reader's packets take their counters here, in the order they were
        // read, and are sealed in parallel; sent, in that order, by finishSealing.
        boolean parallel = batch != null && crypto != null;
        long counter = Keypair.NO_COUNTER;
        int sealedLength;
        if (keypair == null) {
            sealedLength = -1;
        } else if (parallel) {
            counter = keypair.takeCounter();
            sealedLength = counter == Keypair.NO_COUNTER ? -1 : 0;
        } else {
            sealedLength = keypair.seal(buffer, 0, length, mtu);
        }
        if (sealedLength < 0) {
            if (length > 0) {
                byte[] copy = new byte[length];
                System.arraycopy(buffer, TransportHeader.SIZE, copy, 0, length);
                state.stage(copy);
            }
            initiateHandshake(state, false);
            return;
        }
        long now = clock.nanoTime();
        // The timers before the packet leaves: its answer may come back (and set or clear them on the
        // receiving thread) before the send returns here.
        authenticatedSent(state, now);
        if (length > 0 && state.newHandshakeDue == PeerState.NONE) {
            // Data sent and nothing heard back within keepalive + rekey timeout: the session may be dead.
            state.newHandshakeDue = now + Limits.KEEPALIVE_TIMEOUT_NANOS + Limits.REKEY_TIMEOUT_NANOS;
        }
        if (parallel) {
            startSealing(state, endpoint, keypair, counter, buffer, length, batch);
        } else if (batch != null) {
            addToBatch(batch, state, buffer, sealedLength, endpoint);
        } else if (send(buffer, sealedLength, endpoint)) {
            state.txBytes.addAndGet(sealedLength);
        } else {
            return;
        }
        // Keep the key fresh: the initiator rekeys by age, anyone by message count.
        if ((keypair.isInitiator() && now - keypair.createdNanos() >= options.rekeyAfterTimeNanos())
                || Long.compareUnsigned(keypair.sendCounter(), options.rekeyAfterMessages()) >= 0) {
            initiateHandshake(state, false);
        }
    }

    private void addToBatch(
            UdpSocket.Sender batch, PeerState state, byte[] message, int length, InetSocketAddress endpoint) {
        if (batch.isFull()) {
            batch.flush(udp);
        }
        batch.add(udp, message, 0, length, endpoint);
        state.txBytes.addAndGet(length);
    }

    /**
     * Hands the packet at {@code packet[16, 16+length)} to the crypto workers, to be sealed under {@code
     * counter}; {@code packet} is the reader's, so it is copied to a buffer of its own first.
     */
    private void startSealing(
            PeerState state,
            InetSocketAddress endpoint,
            Keypair keypair,
            long counter,
            byte[] packet,
            int length,
            UdpSocket.Sender batch) {
        if (sealing.size() == CryptoPool.IN_FLIGHT) {
            finishSealing(batch);
        }
        int mtuNow = mtu;
        int room = TransportHeader.SIZE + Keypair.paddedLength(length, mtuNow) + ChaChaPoly.TAG_LENGTH;
        byte[] buffer = slot(sealBuffers, sealing.size(), room);
        System.arraycopy(packet, TransportHeader.SIZE, buffer, TransportHeader.SIZE, length);
        Sealing job = new Sealing(state, endpoint, keypair, counter, buffer, length, mtuNow);
        sealing.add(job);
        crypto.submit(job.job);
    }

    /** Sends the burst's sealed packets in the order they were read, each once its sealing is done. */
    private void finishSealing(UdpSocket.Sender batch) {
        for (Sealing job : sealing) {
            try {
                crypto.await(job.job);
                if (job.sealed >= 0) {
                    addToBatch(batch, job.state, job.buffer, job.sealed, job.endpoint);
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "dropped an outgoing packet: " + e, e);
            }
        }
        sealing.clear();
    }

    /** Buffer {@code i} of {@code ring}, made at least {@code size} bytes long. */
    private static byte[] slot(byte[][] ring, int i, int size) {
        byte[] buffer = ring[i];
        if (buffer == null || buffer.length < size) {
            buffer = new byte[Math.max(size, 2048)];
            ring[i] = buffer;
        }
        return buffer;
    }

    private void sendKeepalive(PeerState state) {
        sendData(state, new byte[TransportHeader.SIZE + 32], 0, null);
    }

    private void sendStaged(PeerState state) {
        byte[][] packets = state.takeStaged();
        for (byte[] packet : packets) {
            byte[] buffer = new byte[TransportHeader.SIZE + packet.length + 32];
            System.arraycopy(packet, 0, buffer, TransportHeader.SIZE, packet.length);
            sendData(state, buffer, packet.length, null);
        }
    }

    /**
     * Sends a new initiation unless one went out less than REKEY_TIMEOUT ago (a retry always goes out).
     */
    private void initiateHandshake(PeerState state, boolean retry) {
        byte[] message;
        InetSocketAddress endpoint;
        synchronized (state) {
            long now = clock.nanoTime();
            if (!retry) {
                if (state.lastInitiationSent != PeerState.NONE
                        && now - state.lastInitiationSent < Limits.REKEY_TIMEOUT_NANOS) {
                    return;
                }
                state.retransmits = 0;
            }
            Protocol current = protocol;
            Peer peer = state.peer;
            endpoint = state.endpoint;
            if (current == null || peer == null || endpoint == null) {
                return;
            }
            message = current.createInitiation(peer).orElse(null);
            if (message == null) {
                return;
            }
            state.handshakeInFlight = true;
            state.lastInitiationSent = now;
            state.retransmitAt = now
                    + Limits.REKEY_TIMEOUT_NANOS
                    + ThreadLocalRandom.current().nextLong(JITTER_NANOS);
        }
        authenticatedSent(state, clock.nanoTime()); // before the send, as in sendData
        if (send(message, message.length, endpoint)) {
            initiationsSent.incrementAndGet();
            state.txBytes.addAndGet(message.length);
        }
    }

    private boolean send(byte[] message, int length, InetSocketAddress endpoint) {
        return udp.send(message, 0, length, endpoint);
    }

    // ---------------------------------------------------------------- inbound

    private void udpLoop() {
        try (UdpSocket.Receiver receiver = new UdpSocket.Receiver()) {
            receiveUntilClosed(receiver);
        }
    }

    private void receiveUntilClosed(UdpSocket.Receiver receiver) {
        byte[] scratch = new byte[UdpSocket.MAX_DATAGRAM];
        if (tun.hasVnetHeader()) {
            udpGro = new Gro(tun, Arena.ofAuto());
        }
        while (!closed) {
            UdpSocket socket = udp;
            int count;
            try {
                count = receiver.receive(socket);
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "receive: {0}", e.getMessage());
                continue;
            }
            for (int i = 0; i < count; i++) {
                try {
                    receive(receiver.datagram(i), receiver.source(i), scratch);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "dropped a datagram from " + receiver.source(i) + ": " + e, e);
                }
            }
            if (!opening.isEmpty()) {
                finishOpening();
            }
            if (udpGro != null) {
                udpGro.flush(); // a batch's TCP segments, joined, go to the kernel now
            }
        }
    }

    /** One datagram; {@code scratch} is the UDP reader's own array, where transport data is opened. */
    private void receive(ByteBuffer datagram, InetSocketAddress source, byte[] scratch) {
        int type = datagram.remaining() >= 4 ? datagram.get(0) : 0;
        if (type == 1 || type == 2) {
            // The expensive messages go to the worker; a full queue means we are flooded: drop.
            ByteBuffer copy = ByteBuffer.allocate(datagram.remaining());
            copy.put(datagram).flip();
            if (!handshakes.offer(new Handshake(copy, source))) {
                droppedHandshakeQueueFull.increment();
            }
            return;
        }
        Protocol current = protocol;
        if (current == null) {
            return;
        }
        int length = datagram.remaining();
        boolean parallel = crypto != null && type == Messages.TRANSPORT_DATA;
        if (parallel && opening.size() == CryptoPool.IN_FLIGHT) {
            finishOpening();
        }
        // Opened on the heap: the JDK's cipher opens an array in place, but copies a direct buffer into a new
        // array (and back) for every message. In parallel, each datagram of the batch has an array of its own.
        byte[] buffer = parallel ? slot(openBuffers, opening.size(), length) : scratch;
        datagram.get(datagram.position(), buffer, 0, length);
        if (parallel) {
            Opening job = new Opening(current.beginData(ByteBuffer.wrap(buffer, 0, length)), source, length);
            opening.add(job);
            crypto.submit(job.job());
        } else {
            act(current.receive(ByteBuffer.wrap(buffer, 0, length), source, false), source, length);
        }
    }

    /**
     * Acts on the batch's opened datagrams in the order they arrived, each once its opening is done: the
     * replay window, keypair rotation, timers and delivery to the TUN see them in that order, as inline.
     */
    private void finishOpening() {
        for (Opening job : opening) {
            try {
                crypto.await(job.job());
                act(job.data().finish(), job.source(), job.length());
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "dropped a datagram from " + job.source() + ": " + e, e);
            }
        }
        opening.clear();
    }

    private void handshakeLoop() {
        while (!closed) {
            Handshake handshake;
            try {
                handshake = handshakes.take();
            } catch (InterruptedException e) {
                return;
            }
            Protocol current = protocol;
            if (current == null) {
                continue;
            }
            try {
                int length = handshake.message.remaining();
                boolean underLoad = underLoad();
                if (underLoad && !rateLimiter.allow(handshake.source.getAddress(), clock.nanoTime())) {
                    droppedRateLimited.increment();
                    continue;
                }
                act(current.receive(handshake.message, handshake.source, underLoad), handshake.source, length);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "dropped a handshake message: " + e, e);
            }
        }
    }

    /** Under load while the handshake queue is long, and for a second after (as wireguard-go). */
    boolean underLoad() {
        long now = clock.nanoTime();
        if (handshakes.size() >= UNDER_LOAD_QUEUE_LENGTH) {
            underLoadUntil = now + UNDER_LOAD_AFTER_NANOS;
            return true;
        }
        long until = underLoadUntil;
        return until != PeerState.NONE && now - until < 0;
    }

    /** Does what {@code Protocol.receive} said: reply, install, deliver. */
    private void act(Received received, InetSocketAddress source, int datagramLength) {
        switch (received) {
            case Received.Data(Peer peer, Keypair keypair, ByteBuffer plaintext) -> {
                PeerState state = byProtocolPeer.get(peer);
                if (state == null) {
                    return;
                }
                long now = clock.nanoTime();
                authenticated(state, source, datagramLength, now);
                boolean confirmed;
                synchronized (state) {
                    confirmed = keypair == state.awaitingConfirmation;
                    if (confirmed) {
                        state.awaitingConfirmation = null;
                    }
                }
                if (confirmed) {
                    handshakeComplete(state);
                    sendStaged(state);
                }
                if (plaintext.remaining() > 0) {
                    deliver(state, plaintext, now);
                }
                // Keep the key fresh from the receiving side: an initiator whose keypair is nearly
                // rejected starts a new handshake even if it has nothing to send.
                if (keypair.isInitiator()
                        && now - keypair.createdNanos()
                                >= Limits.REJECT_AFTER_TIME_NANOS
                                        - Limits.KEEPALIVE_TIMEOUT_NANOS
                                        - Limits.REKEY_TIMEOUT_NANOS) {
                    initiateHandshake(state, false);
                }
            }
            case Received.Respond(Peer peer, byte[] message, Keypair keypair) -> {
                PeerState state = byProtocolPeer.get(peer);
                if (state == null) {
                    return;
                }
                long now = clock.nanoTime();
                authenticated(state, source, datagramLength, now);
                synchronized (state) {
                    state.awaitingConfirmation = keypair;
                    state.zeroKeysAt = now + 3 * Limits.REJECT_AFTER_TIME_NANOS;
                }
                authenticatedSent(state, now); // before the send, as in sendData
                if (send(message, message.length, source)) {
                    state.txBytes.addAndGet(message.length);
                }
            }
            case Received.Established(Peer peer, Keypair keypair) -> {
                PeerState state = byProtocolPeer.get(peer);
                if (state == null) {
                    return;
                }
                long now = clock.nanoTime();
                authenticated(state, source, datagramLength, now);
                synchronized (state) {
                    state.zeroKeysAt = now + 3 * Limits.REJECT_AFTER_TIME_NANOS;
                }
                handshakeComplete(state);
                boolean anyStaged;
                synchronized (state) {
                    anyStaged = !state.staged.isEmpty();
                }
                // The responder needs a first message under the new keypair to start using it.
                if (anyStaged) {
                    sendStaged(state);
                } else {
                    sendKeepalive(state);
                }
            }
            case Received.SendCookie(byte[] message) -> send(message, message.length, source);
            case Received.CookieStored cookie -> {
                // The next retransmission carries mac2 with the cookie; nothing to do now.
            }
            case Received.Dropped dropped -> {
                // counted by the protocol
            }
        }
    }

    private void authenticated(PeerState state, InetSocketAddress source, int datagramLength, long now) {
        if (source != null && !source.equals(state.endpoint)) {
            state.endpoint = source; // roaming: answer where the peer is now
        }
        state.rxBytes.addAndGet(datagramLength);
        if (state.newHandshakeDue != PeerState.NONE) {
            state.newHandshakeDue = PeerState.NONE;
        }
        state.lastTraversal = now;
    }

    private void authenticatedSent(PeerState state, long now) {
        if (state.keepaliveDue != PeerState.NONE) {
            state.keepaliveDue = PeerState.NONE;
        }
        state.lastTraversal = now;
    }

    private void handshakeComplete(PeerState state) {
        synchronized (state) {
            state.handshakeInFlight = false;
            state.retransmits = 0;
        }
        Instant now = clock.now();
        state.lastHandshakeEpochNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /** An authenticated, decrypted packet: to the TUN if its source belongs to the peer that sent it. */
    private void deliver(PeerState state, ByteBuffer plaintext, long now) {
        int version = (plaintext.get(plaintext.position()) >> 4) & 0xf;
        int base = plaintext.position();
        int length;
        PeerState owner;
        if (version == 4 && plaintext.remaining() >= 20) {
            length = plaintext.getShort(base + 2) & 0xffff;
            owner = routes.lookupV4(plaintext.getInt(base + 12));
        } else if (version == 6 && plaintext.remaining() >= 40) {
            length = 40 + (plaintext.getShort(base + 4) & 0xffff);
            owner = routes.lookupV6(plaintext.getLong(base + 8), plaintext.getLong(base + 16));
        } else {
            droppedMalformedPacket.increment();
            return;
        }
        if (length > plaintext.remaining() || length < 20) {
            droppedMalformedPacket.increment();
            return;
        }
        if (owner != state) {
            droppedSourceNotAllowed.increment();
            return;
        }
        if (state.keepaliveDue == PeerState.NONE) {
            // Data received: if we send nothing within KEEPALIVE_TIMEOUT, a keepalive says we are alive. Set
            // before the packet is delivered, so whatever its delivery causes sees the timer running.
            state.keepaliveDue = now + Limits.KEEPALIVE_TIMEOUT_NANOS;
        }
        MemorySegment packet = MemorySegment.ofBuffer(plaintext).asSlice(0, length);
        Gro gro = udpGro;
        if (gro != null && Thread.currentThread() == udpThread) {
            gro.add(packet);
        } else {
            tun.write(packet);
        }
    }

    // ---------------------------------------------------------------- timers

    private void controlLoop() {
        long lastMtuCheck = PeerState.NONE;
        while (!closed) {
            try {
                Runnable task = controlTasks.poll(TICK_MILLIS, TimeUnit.MILLISECONDS);
                if (task != null) {
                    task.run();
                }
                tick();
                long now = System.nanoTime();
                if (lastMtuCheck == PeerState.NONE || now - lastMtuCheck > TimeUnit.SECONDS.toNanos(1)) {
                    lastMtuCheck = now;
                    mtu = tun.mtu();
                }
            } catch (InterruptedException e) {
                return;
            } catch (Throwable t) {
                if (!closed) {
                    threadFailures.survive(t); // the next tick comes all the same: keepalives go on
                }
            }
        }
    }

    /**
     * Runs every timer that is due at the clock's time (the control thread calls it every tick; tests too,
     * hence the lock: two ticks never interleave).
     */
    void tick() {
        synchronized (tickLock) {
            tickLocked();
        }
    }

    private void tickLocked() {
        long now = clock.nanoTime();
        rateLimiter.sweep(now);
        for (PeerState state : peers.values()) {
            boolean retransmit = false;
            synchronized (state) {
                if (state.handshakeInFlight && now - state.retransmitAt >= 0) {
                    if (state.retransmits >= MAX_RETRANSMITS) {
                        // Give up: drop what waited; the keys go too, unless something resets this.
                        state.handshakeInFlight = false;
                        state.staged.clear();
                        if (state.zeroKeysAt == PeerState.NONE) {
                            state.zeroKeysAt = now + 3 * Limits.REJECT_AFTER_TIME_NANOS;
                        }
                    } else {
                        state.retransmits++;
                        retransmit = true;
                    }
                }
            }
            if (retransmit) {
                initiateHandshake(state, true);
            }
            long keepaliveDue = state.keepaliveDue;
            if (keepaliveDue != PeerState.NONE && now - keepaliveDue >= 0) {
                state.keepaliveDue = PeerState.NONE;
                sendKeepalive(state);
            }
            long newHandshakeDue = state.newHandshakeDue;
            if (newHandshakeDue != PeerState.NONE && now - newHandshakeDue >= 0) {
                state.newHandshakeDue = PeerState.NONE;
                initiateHandshake(state, false);
            }
            synchronized (state) {
                // Under the peer's lock, which also guards setting it: a session derived meanwhile wins.
                long zeroKeysAt = state.zeroKeysAt;
                if (zeroKeysAt != PeerState.NONE && now - zeroKeysAt >= 0) {
                    state.zeroKeysAt = PeerState.NONE;
                    Protocol current = protocol;
                    Peer peer = state.peer;
                    if (current != null && peer != null) {
                        current.clearKeys(peer);
                    }
                    state.handshakeInFlight = false;
                    state.awaitingConfirmation = null;
                }
            }
            int keepalive = state.persistentKeepaliveSeconds;
            long last = state.lastTraversal;
            if (keepalive > 0 && (last == PeerState.NONE || now - last >= TimeUnit.SECONDS.toNanos(keepalive))) {
                sendKeepalive(state);
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private static int intAt(byte[] b, int i) {
        return (b[i] & 0xff) << 24 | (b[i + 1] & 0xff) << 16 | (b[i + 2] & 0xff) << 8 | (b[i + 3] & 0xff);
    }

    private static long longAt(byte[] b, int i) {
        return (long) intAt(b, i) << 32 | (intAt(b, i + 4) & 0xffffffffL);
    }

    /** Test access: the protocol's drop counts and others. */
    Protocol protocol() {
        return protocol;
    }

    /**
     * Everything the device dropped so far, by reason: the protocol's reasons ({@code MALFORMED}, {@code
     * BAD_MAC1}, {@code REPLAYED_COUNTER}…) and the device's own ({@code NO_ROUTE}, {@code
     * SOURCE_NOT_ALLOWED}, {@code MALFORMED_PACKET}, {@code HANDSHAKE_QUEUE_FULL}, {@code RATE_LIMITED}).
     * Zero counts are included, so the keys are stable.
     */
    public Map<String, Long> dropped() {
        Map<String, Long> counts = new java.util.LinkedHashMap<>();
        Protocol current = protocol;
        for (dev.wgpr.tunnel.protocol.Drop reason : dev.wgpr.tunnel.protocol.Drop.values()) {
            counts.put(reason.name(), current == null ? 0 : current.dropped(reason));
        }
        counts.put("NO_ROUTE", droppedNoRoute.sum());
        counts.put("SOURCE_NOT_ALLOWED", droppedSourceNotAllowed.sum());
        counts.put("MALFORMED_PACKET", droppedMalformedPacket.sum());
        counts.put("HANDSHAKE_QUEUE_FULL", droppedHandshakeQueueFull.sum());
        counts.put("RATE_LIMITED", droppedRateLimited.sum());
        return counts;
    }

    /** Test access: how many joined TCP super-packets were written to the TUN (receive offload). */
    long joinedWrites() {
        Gro gro = udpGro;
        return gro == null ? 0 : gro.joinedWrites;
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
        PeerState state = peers.get(publicKey);
        return state == null || state.peer == null ? Optional.empty() : state.peer.currentKeypair();
    }
}
