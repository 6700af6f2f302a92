package dev.wgpr.client.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.config.DnsConfig;
import dev.wgpr.client.dns.FakeDnsServer.Mode;
import dev.wgpr.common.ThreadFailures;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/** The forwarder on loopback addresses, between dnsjava's stub resolver and small real DNS servers. */
class DnsForwarderTest {
    private static final Map<String, String> INTERNAL = Map.of("db1.corp.example", "10.20.0.10");
    private static final Map<String, String> PUBLIC = Map.of("www.public.example", "192.0.2.80");

    private final List<AutoCloseable> closing = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private final ResolvedNames names = new ResolvedNames();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
        assertEquals(List.of(), failures, "no forwarder thread may fail");
    }

    private FakeDnsServer server(String address, Map<String, String> names, Mode mode) throws IOException {
        FakeDnsServer server = new FakeDnsServer(InetAddress.getByName(address), names, mode);
        closing.add(server);
        return server;
    }

    private DnsForwarder forwarder(DnsConfig.Access access, List<FakeDnsServer> tunnel, List<FakeDnsServer> upstream)
            throws IOException {
        DnsConfig dns = new DnsConfig(
                List.of(InetAddress.getByName("10.20.0.53")), List.of("corp.example", "20.10.in-addr.arpa"), access);
        DnsForwarder forwarder = DnsForwarder.start(
                new DnsForwarder.Plan(
                        List.of(InetAddress.getByName("127.0.0.2")),
                        InetAddress.getByName("127.0.0.3"),
                        0,
                        dns,
                        tunnel.stream().map(FakeDnsServer::address).toList(),
                        upstream.stream().map(FakeDnsServer::address).toList()),
                new ThreadFailures(failures::add),
                names);
        closing.add(forwarder);
        return forwarder;
    }

    private static Message ask(InetSocketAddress face, String name) throws IOException {
        SimpleResolver resolver = new SimpleResolver(face);
        resolver.setTimeout(Duration.ofSeconds(10));
        return resolver.send(Message.newQuery(Record.newRecord(FakeDnsServer.name(name), Type.A, DClass.IN)));
    }

    private static String addressIn(Message answer) {
        return answer.getSection(Section.ANSWER).stream()
                .filter(ARecord.class::isInstance)
                .map(r -> ((ARecord) r).getAddress().getHostAddress())
                .findFirst()
                .orElse("none, rcode " + Rcode.string(answer.getRcode()));
    }

    @Test
    void appsFaceAsksTheTunnelServersForInternalNamesAndTheUpstreamForTheRest() throws IOException {
        FakeDnsServer internal = server("127.0.0.4", INTERNAL, Mode.ANSWER);
        FakeDnsServer upstream = server("127.0.0.5", PUBLIC, Mode.ANSWER);
        DnsForwarder forwarder = forwarder(DnsConfig.Access.APPS, List.of(internal), List.of(upstream));

        assertEquals("10.20.0.10", addressIn(ask(forwarder.appsFace(), "db1.corp.example")));
        assertEquals("10.20.0.10", addressIn(ask(forwarder.appsFace(), "DB1.Corp.Example")));
        assertEquals("192.0.2.80", addressIn(ask(forwarder.appsFace(), "www.public.example")));

        assertEquals(List.of("db1.corp.example", "DB1.Corp.Example"), internal.names());
        assertEquals(List.of("www.public.example"), upstream.names());
        assertEquals(new DnsCounters(3, 0, 3, 0, 0), forwarder.counters());
        assertEquals(
                Optional.of("www.public.example."),
                names.nameOf(InetAddress.getByName("192.0.2.80")),
                "what it relays is learnt, names of either route");
        assertEquals(Optional.of("DB1.Corp.Example."), names.nameOf(InetAddress.getByName("10.20.0.10")));
    }

    @Test
    void linkFaceRefusesInternalNamesWhenOnlyAppsMayResolveThem() throws IOException {
        FakeDnsServer internal = server("127.0.0.4", INTERNAL, Mode.ANSWER);
        FakeDnsServer upstream = server("127.0.0.5", PUBLIC, Mode.ANSWER);
        DnsForwarder forwarder = forwarder(DnsConfig.Access.APPS, List.of(internal), List.of(upstream));
        InetSocketAddress link = forwarder.linkFaces().getFirst();

        Message refused = ask(link, "db1.corp.example");
        assertEquals(Rcode.REFUSED, refused.getRcode());
        assertEquals(0, refused.getSection(Section.ANSWER).size());
        assertEquals(Rcode.REFUSED, ask(link, "10.0.20.10.in-addr.arpa").getRcode());
        assertEquals("192.0.2.80", addressIn(ask(link, "www.public.example")));

        assertEquals(List.of(), internal.names(), "an internal name asked on the link face reaches no server");
        assertEquals(List.of("www.public.example"), upstream.names());
        assertEquals(new DnsCounters(1, 2, 1, 0, 0), forwarder.counters());
    }

    @Test
    void linkFaceAnswersInternalNamesWhenEveryoneMayResolveThem() throws IOException {
        FakeDnsServer internal = server("127.0.0.4", INTERNAL, Mode.ANSWER);
        FakeDnsServer upstream = server("127.0.0.5", PUBLIC, Mode.ANSWER);
        DnsForwarder forwarder = forwarder(DnsConfig.Access.EVERYONE, List.of(internal), List.of(upstream));

        assertEquals("10.20.0.10", addressIn(ask(forwarder.linkFaces().getFirst(), "db1.corp.example")));
        assertEquals(List.of(), upstream.names(), "an internal name never goes to the upstream");
    }

    @Test
    void serversSeeTheForwardersOwnIdsAndClientsGetTheirs() throws IOException {
        FakeDnsServer internal = server("127.0.0.4", INTERNAL, Mode.ANSWER);
        DnsForwarder forwarder = forwarder(DnsConfig.Access.APPS, List.of(internal), List.of());
        List<Integer> clientIds = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Message query =
                    Message.newQuery(Record.newRecord(FakeDnsServer.name("db1.corp.example"), Type.A, DClass.IN));
            query.getHeader().setID(4242); // the same ID each time: the forwarder's must still differ
            clientIds.add(new SimpleResolver(forwarder.appsFace())
                    .send(query)
                    .getHeader()
                    .getID());
        }
        assertEquals(List.of(4242), clientIds.stream().distinct().toList());
        long distinctUpstreamIds = internal.seen.stream()
                .mapToInt(FakeDnsServer.Seen::id)
                .distinct()
                .count();
        assertTrue(distinctUpstreamIds >= 18, "the forwarder's IDs are random, got " + internal.seen);
    }

    @Test
    void aTruncatedUdpAnswerReachesTheClientWhichRetriesOverTcp() throws IOException {
        FakeDnsServer internal = server("127.0.0.4", INTERNAL, Mode.TRUNCATE_UDP);
        DnsForwarder forwarder = forwarder(DnsConfig.Access.APPS, List.of(internal), List.of());

        try (DatagramSocket client = new DatagramSocket()) {
            Message answer = new Message(exchangeUdp(client, forwarder.appsFace(), queryBytes(7, "db1.corp.example")));
            assertTrue(answer.getHeader().getFlag(Flags.TC), "the truncation bit is passed on");
            assertEquals(7, answer.getHeader().getID());
        }
        assertEquals(Optional.empty(), names.nameOf(InetAddress.getByName("10.20.0.10")), "no address yet");
        assertEquals("10.20.0.10", addressIn(ask(forwarder.appsFace(), "db1.corp.example")));
        assertEquals(
                Optional.of("db1.corp.example."),
                names.nameOf(InetAddress.getByName("10.20.0.10")),
                "learnt from the answer relayed over TCP");
        assertEquals(
                List.of(false, false, true),
                internal.seen.stream().map(FakeDnsServer.Seen::tcp).toList(),
                "two UDP queries, then the stub resolver's TCP retry relayed over TCP");
    }

    @Test
    void aServerThatDoesNotAnswerIsPassedOverForTheNext() throws IOException {
        FakeDnsServer silent = server("127.0.0.4", INTERNAL, Mode.SILENT);
        FakeDnsServer second = server("127.0.0.6", INTERNAL, Mode.ANSWER);
        DnsForwarder forwarder = forwarder(DnsConfig.Access.APPS, List.of(silent, second), List.of());

        long start = System.nanoTime();
        assertEquals("10.20.0.10", addressIn(ask(forwarder.appsFace(), "db1.corp.example")));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(took.compareTo(DnsForwarder.FIRST_SERVER_TIMEOUT) >= 0, "waited for the first: " + took);
        assertEquals(List.of("db1.corp.example"), silent.names());
        assertEquals(new DnsCounters(1, 0, 1, 0, 0), forwarder.counters());

        try (Socket tcp = new Socket()) { // over TCP too
            tcp.connect(forwarder.appsFace());
            var out = new java.io.DataOutputStream(tcp.getOutputStream());
            byte[] query = queryBytes(9, "db1.corp.example");
            out.writeShort(query.length);
            out.write(query);
            var in = new java.io.DataInputStream(tcp.getInputStream());
            byte[] answer = new byte[in.readUnsignedShort()];
            in.readFully(answer);
            assertEquals("10.20.0.10", addressIn(new Message(answer)));
            assertEquals(9, new Message(answer).getHeader().getID());
        }
    }

    @Test
    void malformedQueriesAndAnswersSentToAFaceAreDroppedAndCounted() throws IOException {
        FakeDnsServer internal = server("127.0.0.4", INTERNAL, Mode.ANSWER);
        DnsForwarder forwarder = forwarder(DnsConfig.Access.APPS, List.of(internal), List.of());
        byte[] query = queryBytes(1, "db1.corp.example");
        byte[] response = query.clone();
        response[2] |= (byte) 0x80; // QR: an answer, which a face must never bounce anywhere
        byte[] twoQuestions = query.clone();
        twoQuestions[5] = 2;
        List<byte[]> junk = List.of(
                new byte[0],
                new byte[] {1, 2, 3},
                java.util.Arrays.copyOf(query, query.length - 3),
                response,
                twoQuestions,
                "GET / HTTP/1.1\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        try (DatagramSocket client = new DatagramSocket()) {
            client.setSoTimeout(300);
            for (byte[] bad : junk) {
                client.send(new DatagramPacket(bad, bad.length, forwarder.appsFace()));
                try {
                    client.receive(new DatagramPacket(new byte[512], 512));
                    throw new AssertionError("a malformed query was answered");
                } catch (SocketTimeoutException expected) {
                    // dropped
                }
            }
        }
        assertEquals("10.20.0.10", addressIn(ask(forwarder.appsFace(), "db1.corp.example")));
        assertEquals(new DnsCounters(1, 0, 1, junk.size(), 0), forwarder.counters());
        assertEquals(List.of("db1.corp.example"), internal.names());
    }

    @Test
    void aFloodOfQueriesToASilentServerWaitsInABoundedTableAndTheExcessIsDropped() throws Exception {
        FakeDnsServer silent = server("127.0.0.4", INTERNAL, Mode.SILENT);
        DnsForwarder forwarder = forwarder(DnsConfig.Access.APPS, List.of(silent), List.of());
        int flood = DnsForwarder.MAX_PENDING + 300;
        try (DatagramSocket client = new DatagramSocket()) {
            for (int i = 0; i < flood; i++) {
                byte[] query = queryBytes(i, "db1.corp.example");
                client.send(new DatagramPacket(query, query.length, forwarder.appsFace()));
                if (i % 16 == 0) {
                    Thread.sleep(2); // the face's socket buffer must not drop them before the forwarder sees them
                }
            }
        }
        waitFor(() -> forwarder.counters().forwarded() == flood, "every query read");
        assertTrue(forwarder.waiting() <= DnsForwarder.MAX_PENDING, "waiting: " + forwarder.waiting());
        assertEquals(300, forwarder.counters().dropped(), "beyond the table: dropped at once");
        waitFor(() -> forwarder.counters().dropped() == flood, "the rest dropped at their deadline");
        assertEquals(0, forwarder.waiting());
    }

    @Test
    void aForgedAnswerFromAnotherAddressIsIgnoredForTheServersOwn() throws Exception {
        FakeDnsServer slow = server("127.0.0.4", INTERNAL, Mode.SLOW);
        DnsForwarder forwarder = forwarder(DnsConfig.Access.APPS, List.of(slow), List.of());
        Thread forger = Thread.ofPlatform().start(() -> {
            try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.7", 0))) {
                waitFor(() -> !slow.seen.isEmpty(), "the query at the server");
                Message forged = new Message(slow.seen.getFirst().id());
                forged.getHeader().setFlag(Flags.QR);
                var question = Record.newRecord(FakeDnsServer.name("db1.corp.example"), Type.A, DClass.IN);
                forged.addRecord(question, Section.QUESTION);
                forged.addRecord(
                        new ARecord(question.getName(), DClass.IN, 60, InetAddress.getByName("6.6.6.6")),
                        Section.ANSWER);
                byte[] wire = forged.toWire();
                socket.send(new DatagramPacket(wire, wire.length, forwarder.upstreamAddress()));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertEquals("10.20.0.10", addressIn(ask(forwarder.appsFace(), "db1.corp.example")));
        forger.join();
        assertEquals(1, forwarder.counters().strayAnswers());
    }

    @Test
    void tcpClientsBeyondTheLimitAreTurnedAwayAndCounted() throws Exception {
        DnsForwarder forwarder = forwarder(DnsConfig.Access.APPS, List.of(), List.of());
        List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < DnsForwarder.MAX_TCP_CONNECTIONS; i++) {
                Socket socket = new Socket();
                idle.add(socket);
                socket.connect(forwarder.appsFace());
            }
            waitFor(() -> forwarder.tcpClients() == DnsForwarder.MAX_TCP_CONNECTIONS, "every idle client taken");
            try (Socket oneTooMany = new Socket()) {
                oneTooMany.connect(forwarder.appsFace());
                oneTooMany.setSoTimeout(5000);
                try (InputStream in = oneTooMany.getInputStream()) {
                    assertEquals(-1, in.read(), "closed at once");
                }
            }
            // Counted by the forwarder's thread, which may close the connection before it counts it.
            waitFor(() -> forwarder.counters().dropped() == 1, "the turned-away client counted");
            assertEquals(1, forwarder.counters().dropped());
        } finally {
            for (Socket socket : idle) {
                socket.close();
            }
        }
        waitFor(() -> forwarder.tcpClients() == 0, "slots given back");
    }

    @Test
    void hostUpstreamIsReadFromResolvConf(@TempDir Path dir) throws IOException {
        Path resolvConf = dir.resolve("resolv.conf");
        Files.writeString(
                resolvConf, "# comment\nsearch lan\nnameserver 192.0.2.1\nnameserver 2001:db8::1\noptions ndots:2\n");
        assertEquals(
                List.of(new InetSocketAddress("192.0.2.1", 53), new InetSocketAddress("2001:db8::1", 53)),
                ResolvConfServers.read(resolvConf));
        assertEquals(List.of(), ResolvConfServers.read(dir.resolve("absent")));
    }

    static byte[] queryBytes(int id, String name) {
        Message query = Message.newQuery(Record.newRecord(FakeDnsServer.name(name), Type.A, DClass.IN));
        query.getHeader().setID(id & 0xffff);
        return query.toWire();
    }

    private static byte[] exchangeUdp(DatagramSocket client, InetSocketAddress to, byte[] query) throws IOException {
        client.setSoTimeout(5000);
        client.send(new DatagramPacket(query, query.length, to));
        DatagramPacket packet = new DatagramPacket(new byte[65_535], 65_535);
        client.receive(packet);
        return java.util.Arrays.copyOf(packet.getData(), packet.getLength());
    }

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }
}
