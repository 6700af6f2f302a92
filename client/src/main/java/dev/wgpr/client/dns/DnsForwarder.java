package dev.wgpr.client.dns;

import dev.wgpr.client.config.DnsConfig;
import dev.wgpr.client.dns.DnsRouting.Face;
import dev.wgpr.client.dns.DnsRouting.Route;
import dev.wgpr.common.Pace;
import dev.wgpr.common.ThreadFailures;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.xbill.DNS.Rcode;

/**
 * One tunnel's DNS forwarder, UDP and TCP on each of its faces (see {@link DnsRouting}): it answers
 * REFUSED itself where the routing says so and otherwise relays the query, under an ID of its own, to the
 * tunnel's servers or to the host's upstream, trying them in turn. A UDP answer goes back as the server
 * sent it, truncation bit included, so a client retries over TCP, which is relayed over TCP.
 *
 * <p>Each answer it relays is learnt first ({@link ResolvedNames}, shared by the daemon's forwarders): a client
 * that connects as soon as it has its answer finds its destination named.
 *
 * <p>Bounded under a flood: at most {@link #MAX_PENDING} UDP queries wait for a server and at most
 * {@link #MAX_TCP_CONNECTIONS} TCP clients are served at once, each idle for at most
 * {@link #TCP_IDLE}; the rest is dropped and counted.
 */
public final class DnsForwarder implements AutoCloseable {
    static final int MAX_PENDING = 1024;
    static final int MAX_TCP_CONNECTIONS = 64;

    /** A server's first chance to answer; each next server gets twice the one before, up to 8 times. */
    static final Duration FIRST_SERVER_TIMEOUT = Duration.ofMillis(1500);

    static final Duration TCP_IDLE = Duration.ofSeconds(10);

    /** How often, at least, waiting queries are checked for their deadline. */
    private static final int SWEEP_MILLIS = 50;

    /**
     * What to start.
     *
     * @param linkAddresses the tunnel interface's first IPv4 and first IPv6 address (either may be absent)
     * @param appsAddress the loopback address only the tunnel's apps may reach
     * @param port 53, or 0 for one the kernel picks (tests): then every face has the same one
     * @param tunnelServers the tunnel's DNS servers
     * @param upstreamServers where every other name goes: the host's servers as they were before up
     */
    public record Plan(
            List<InetAddress> linkAddresses,
            InetAddress appsAddress,
            int port,
            DnsConfig dns,
            List<InetSocketAddress> tunnelServers,
            List<InetSocketAddress> upstreamServers) {
        public Plan {
            linkAddresses = List.copyOf(linkAddresses);
            Objects.requireNonNull(appsAddress, "appsAddress");
            Objects.requireNonNull(dns, "dns");
            tunnelServers = List.copyOf(tunnelServers);
            upstreamServers = List.copyOf(upstreamServers);
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("port " + port);
            }
        }
    }

    private record FaceSockets(Face face, DatagramSocket udp, ServerSocket tcp) {}

    private final DnsRouting routing;
    private final List<InetSocketAddress> tunnelServers;
    private final List<InetSocketAddress> upstreamServers;
    private final ThreadFailures failures;
    private final ResolvedNames names;
    private final List<FaceSockets> faces = new ArrayList<>();
    private final DatagramSocket upstream;
    private final PendingQueries pending = new PendingQueries(MAX_PENDING);
    private final Semaphore tcpSlots = new Semaphore(MAX_TCP_CONNECTIONS);
    private final Set<Socket> tcpClients = ConcurrentHashMap.newKeySet();
    private final SecureRandom random = new SecureRandom();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong answered = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong forwarded = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong strayAnswers = new AtomicLong();
    private volatile boolean closed;

    private DnsForwarder(Plan plan, ThreadFailures failures, ResolvedNames names) throws SocketException {
        this.routing = DnsRouting.of(plan.dns());
        this.tunnelServers = plan.tunnelServers();
        this.upstreamServers = plan.upstreamServers();
        this.failures = failures;
        this.names = names;
        this.upstream = new DatagramSocket();
        upstream.setSoTimeout(SWEEP_MILLIS);
    }

    /**
     * Binds every face and starts serving, learning what it relays into {@code names}; nothing stays bound
     * when a face cannot be.
     */
    public static DnsForwarder start(Plan plan, ThreadFailures failures, ResolvedNames names) throws IOException {
        DnsForwarder forwarder = new DnsForwarder(plan, failures, names);
        try {
            int port = plan.port();
            for (InetAddress address : plan.linkAddresses()) {
                port = forwarder.bind(Face.LINK, new InetSocketAddress(address, port));
            }
            forwarder.bind(Face.APPS, new InetSocketAddress(plan.appsAddress(), port));
        } catch (IOException | RuntimeException e) {
            forwarder.close();
            throw e;
        }
        forwarder.startThreads();
        return forwarder;
    }

    private int bind(Face face, InetSocketAddress address) throws IOException {
        DatagramSocket udp = new DatagramSocket(null);
        ServerSocket tcp = new ServerSocket();
        faces.add(new FaceSockets(face, udp, tcp));
        try {
            udp.bind(address);
            tcp.setReuseAddress(true);
            tcp.bind(new InetSocketAddress(address.getAddress(), udp.getLocalPort()), 64);
        } catch (IOException e) {
            throw new IOException(
                    "DNS " + face.name().toLowerCase() + " face on " + address + ": " + e.getMessage(), e);
        }
        return udp.getLocalPort();
    }

    private void startThreads() {
        threads.add(Thread.ofPlatform().name("dns-upstream").daemon().start(this::relayAnswers));
        for (FaceSockets face : faces) {
            String where = face.udp().getLocalSocketAddress().toString();
            threads.add(Thread.ofPlatform().name("dns-udp " + where).daemon().start(() -> serveUdp(face)));
            threads.add(Thread.ofPlatform().name("dns-tcp " + where).daemon().start(() -> acceptTcp(face)));
        }
    }

    /** The link face's addresses, UDP and TCP alike. */
    public List<InetSocketAddress> linkFaces() {
        return faces.stream()
                .filter(f -> f.face() == Face.LINK)
                .map(f -> (InetSocketAddress) f.udp().getLocalSocketAddress())
                .toList();
    }

    public InetSocketAddress appsFace() {
        return faces.stream()
                .filter(f -> f.face() == Face.APPS)
                .map(f -> (InetSocketAddress) f.udp().getLocalSocketAddress())
                .findFirst()
                .orElseThrow();
    }

    public DnsCounters counters() {
        return new DnsCounters(answered.get(), refused.get(), forwarded.get(), dropped.get(), strayAnswers.get());
    }

    /** Queries waiting for a server's answer over UDP. */
    int waiting() {
        return pending.size();
    }

    int tcpClients() {
        return tcpClients.size();
    }

    /** Where servers' UDP answers come in: the loopback view of the upstream socket, for tests. */
    InetSocketAddress upstreamAddress() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), upstream.getLocalPort());
    }

    private List<InetSocketAddress> serversFor(Route route) {
        return route == Route.TUNNEL ? tunnelServers : upstreamServers;
    }

    static Duration timeoutOf(int attempt) {
        return Pace.scaled(FIRST_SERVER_TIMEOUT).multipliedBy(1L << Math.min(attempt, 3));
    }

    // UDP

    private void serveUdp(FaceSockets face) {
        DatagramPacket packet = new DatagramPacket(new byte[DnsQuery.MAX_LENGTH], DnsQuery.MAX_LENGTH);
        while (!closed) {
            try {
                packet.setLength(DnsQuery.MAX_LENGTH);
                face.udp().receive(packet);
                onUdpQuery(face, packet);
            } catch (IOException e) {
                if (!closed) {
                    failures.survive(e);
                }
            } catch (RuntimeException | Error e) {
                failures.survive(e);
            }
        }
    }

    private void onUdpQuery(FaceSockets face, DatagramPacket packet) throws IOException {
        var parsed = DnsQuery.parse(packet.getData(), packet.getLength());
        if (parsed.isEmpty()) {
            dropped.incrementAndGet();
            return;
        }
        DnsQuery query = parsed.get();
        InetSocketAddress client = (InetSocketAddress) packet.getSocketAddress();
        Route route = routing.route(face.face(), query.name());
        if (route == Route.REFUSE) {
            refused.incrementAndGet(); // counted first: a client that has its answer finds it counted
            reply(face.udp(), query.refused(), client);
            return;
        }
        List<InetSocketAddress> servers = serversFor(route);
        if (servers.isEmpty()) {
            dropped.incrementAndGet();
            reply(face.udp(), query.answer(Rcode.SERVFAIL), client);
            return;
        }
        forwarded.incrementAndGet();
        send(query, client, face.udp(), servers, 0);
    }

    private void send(
            DnsQuery query, InetSocketAddress client, DatagramSocket face, List<InetSocketAddress> servers, int attempt)
            throws IOException {
        long deadline = System.nanoTime() + timeoutOf(attempt).toNanos();
        PendingQueries.Pending sent = pending.add(query, client, face, servers, attempt, deadline);
        if (sent == null) {
            dropped.incrementAndGet();
            return;
        }
        byte[] wire = query.withId(sent.upstreamId());
        try {
            upstream.send(new DatagramPacket(wire, wire.length, sent.server()));
        } catch (IOException unreachable) {
            // as if it never answered: the sweep moves the query on to the next server
        }
    }

    private static void reply(DatagramSocket face, byte[] answer, InetSocketAddress client) throws IOException {
        face.send(new DatagramPacket(answer, answer.length, client));
    }

    private void relayAnswers() {
        DatagramPacket packet = new DatagramPacket(new byte[DnsQuery.MAX_LENGTH], DnsQuery.MAX_LENGTH);
        long nextSweep = System.nanoTime();
        while (!closed) {
            try {
                packet.setLength(DnsQuery.MAX_LENGTH);
                try {
                    upstream.receive(packet);
                    onUpstreamAnswer(packet);
                } catch (SocketTimeoutException quiet) {
                    // time to look at the deadlines
                }
                long now = System.nanoTime();
                if (now - nextSweep >= 0) {
                    nextSweep = now + Duration.ofMillis(SWEEP_MILLIS).toNanos();
                    for (PendingQueries.Pending late : pending.expire(now)) {
                        if (late.hasNextServer()) {
                            send(late.query(), late.client(), late.face(), late.servers(), late.attempt() + 1);
                        } else {
                            dropped.incrementAndGet();
                        }
                    }
                }
            } catch (IOException e) {
                if (!closed) {
                    failures.survive(e);
                }
            } catch (RuntimeException | Error e) {
                failures.survive(e);
            }
        }
    }

    private void onUpstreamAnswer(DatagramPacket packet) throws IOException {
        int length = packet.getLength();
        PendingQueries.Pending asked =
                length >= DnsQuery.HEADER_LENGTH ? pending.get(DnsQuery.idOf(packet.getData())) : null;
        if (asked == null
                || !asked.server().equals(packet.getSocketAddress())
                || !asked.query().isAnsweredBy(packet.getData(), length, asked.upstreamId())
                || !pending.remove(asked)) {
            strayAnswers.incrementAndGet();
            return;
        }
        answered.incrementAndGet();
        names.learn(packet.getData(), length);
        reply(asked.face(), asked.query().answerForClient(packet.getData(), length), asked.client());
    }

    // TCP

    private void acceptTcp(FaceSockets face) {
        while (!closed) {
            try {
                Socket client = face.tcp().accept();
                if (!tcpSlots.tryAcquire()) {
                    client.close();
                    dropped.incrementAndGet();
                    continue;
                }
                tcpClients.add(client);
                Thread.ofVirtual().name("dns-tcp-client").start(() -> serveTcpClient(face.face(), client));
            } catch (IOException e) {
                if (!closed) {
                    failures.survive(e);
                }
            } catch (RuntimeException | Error e) {
                failures.survive(e);
            }
        }
    }

    private void serveTcpClient(Face face, Socket client) {
        try (client) {
            client.setSoTimeout(Math.toIntExact(Pace.scaled(TCP_IDLE).toMillis()));
            DataInputStream in = new DataInputStream(client.getInputStream());
            DataOutputStream out = new DataOutputStream(client.getOutputStream());
            byte[] buffer = new byte[DnsQuery.MAX_LENGTH];
            while (!closed) {
                int length;
                try {
                    length = in.readUnsignedShort();
                } catch (EOFException done) {
                    return;
                }
                in.readFully(buffer, 0, length);
                if (!answerOverTcp(face, buffer, length, out)) {
                    return;
                }
            }
        } catch (IOException gone) {
            // the client went away or idled out: nothing is owed to it
        } catch (RuntimeException | Error e) {
            failures.survive(e);
        } finally {
            tcpClients.remove(client);
            tcpSlots.release();
        }
    }

    /** Answers one query read from a TCP client; false when the connection is to end. */
    private boolean answerOverTcp(Face face, byte[] buffer, int length, DataOutputStream out) throws IOException {
        var parsed = DnsQuery.parse(buffer, length);
        if (parsed.isEmpty()) {
            dropped.incrementAndGet();
            return false;
        }
        DnsQuery query = parsed.get();
        Route route = routing.route(face, query.name());
        if (route == Route.REFUSE) {
            refused.incrementAndGet();
            writeFramed(out, query.refused());
            return true;
        }
        List<InetSocketAddress> servers = serversFor(route);
        forwarded.incrementAndGet();
        for (int attempt = 0; attempt < servers.size(); attempt++) {
            byte[] answer = exchangeTcp(query, servers.get(attempt), timeoutOf(attempt));
            if (answer != null) {
                answered.incrementAndGet();
                writeFramed(out, answer);
                return true;
            }
        }
        dropped.incrementAndGet();
        writeFramed(out, query.answer(Rcode.SERVFAIL));
        return true;
    }

    /** {@code query} asked of {@code server} over TCP: its answer for the client, or null. */
    private byte[] exchangeTcp(DnsQuery query, InetSocketAddress server, Duration timeout) {
        int upstreamId = random.nextInt(1 << 16);
        try (Socket socket = new Socket()) {
            int millis = Math.toIntExact(timeout.toMillis());
            socket.connect(server, millis);
            socket.setSoTimeout(millis);
            writeFramed(new DataOutputStream(socket.getOutputStream()), query.withId(upstreamId));
            DataInputStream in = new DataInputStream(socket.getInputStream());
            byte[] answer = new byte[in.readUnsignedShort()];
            in.readFully(answer);
            if (!query.isAnsweredBy(answer, answer.length, upstreamId)) {
                strayAnswers.incrementAndGet();
                return null;
            }
            names.learn(answer, answer.length);
            return query.answerForClient(answer, answer.length);
        } catch (IOException unanswered) {
            return null;
        }
    }

    private static void writeFramed(DataOutputStream out, byte[] message) throws IOException {
        out.writeShort(message.length);
        out.write(message);
        out.flush();
    }

    /** Stops serving and unbinds every face; queries still waiting are dropped. */
    @Override
    public void close() {
        closed = true;
        for (FaceSockets face : faces) {
            face.udp().close();
            closeQuietly(face.tcp());
        }
        upstream.close();
        tcpClients.forEach(DnsForwarder::closeQuietly);
        for (Thread thread : threads) {
            try {
                thread.join(Duration.ofSeconds(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception ignored) {
            // closing for good: nothing to do about it
        }
    }
}
