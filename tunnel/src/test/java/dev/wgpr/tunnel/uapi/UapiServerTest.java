package dev.wgpr.tunnel.uapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.tunnel.crypto.Key;
import dev.wgpr.tunnel.device.DeviceConfig;
import dev.wgpr.tunnel.device.PeerSettings;
import dev.wgpr.tunnel.device.PeerStatus;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class UapiServerTest {
    static final String A = "11".repeat(32);

    @TempDir
    Path root;

    Path dir;
    DeviceConfigStore store;
    UapiServer server;

    @BeforeEach
    void start() throws IOException {
        dir = root.resolve("wireguard");
        store = new DeviceConfigStore();
        server = UapiServer.start(dir, "wgtest0", store);
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
    }

    Path socket() {
        return server.socketPath();
    }

    @Test
    void getOnAnEmptyDeviceIsJustErrnoZero() throws IOException {
        assertEquals("errno=0\n\n", UapiClient.exchange(socket(), "get=1\n\n"));
    }

    @Test
    void setThenGetReportsEveryKeyInWireguardGoOrder() throws IOException {
        Key privateKey = Key.generatePrivate();
        String reply = UapiClient.exchange(
                socket(),
                "set=1\nprivate_key=" + UapiText.formatKey(privateKey) + "\nlisten_port=51820\nfwmark=7\npublic_key="
                        + A
                        + "\nendpoint=198.51.100.10:51820\npersistent_keepalive_interval=25\nallowed_ip=10.20.0.0/16\nallowed_ip=fd10::/64\n\n");

        assertEquals("errno=0\n\n", reply);
        assertEquals(
                "private_key=" + UapiText.formatKey(privateKey) + "\nlisten_port=51820\nfwmark=7\npublic_key=" + A
                        + "\npreshared_key=" + "0".repeat(64)
                        + "\nprotocol_version=1\nendpoint=198.51.100.10:51820\nlast_handshake_time_sec=0\nlast_handshake_time_nsec=0"
                        + "\ntx_bytes=0\nrx_bytes=0\npersistent_keepalive_interval=25\nallowed_ip=10.20.0.0/16\nallowed_ip=fd10::/64\nerrno=0\n\n",
                UapiClient.exchange(socket(), "get=1\n\n"));
    }

    @Test
    void getReportsTheDevicesLiveCounters() throws IOException {
        server.close();
        DeviceConfigStore live = new DeviceConfigStore(
                DeviceConfig.EMPTY,
                (current, next) -> {},
                key -> Optional.of(new PeerStatus(
                        PeerSettings.of(key),
                        Optional.of(Instant.ofEpochSecond(0, 1_700_000_000_123_456_789L)),
                        1000,
                        2000)));
        server = UapiServer.start(dir, "wgtest0", live);
        UapiClient.exchange(socket(), "set=1\npublic_key=" + A + "\n\n");

        String reply = UapiClient.exchange(socket(), "get=1\n\n");

        assertTrue(
                reply.contains(
                        "\nlast_handshake_time_sec=1700000000\nlast_handshake_time_nsec=123456789\ntx_bytes=2000\nrx_bytes=1000\n"),
                reply);
    }

    @Test
    void oneConnectionCarriesSeveralRequests() throws IOException {
        try (UapiClient client = UapiClient.connect(socket())) {
            assertEquals("errno=0\n\n", client.send("set=1\nlisten_port=1\n\n").readReply());
            assertEquals(
                    "errno=-22\n\n",
                    client.send("set=1\nlisten_port=x\nfwmark=1\n\n").readReply());
            assertEquals("listen_port=1\nerrno=0\n\n", client.send("get=1\n\n").readReply());
        }
    }

    @Test
    void aSetCutOffByTheEndOfInputIsAppliedAsWireguardGoDoes() throws IOException {
        try (UapiClient client = UapiClient.connect(socket())) {
            client.send("set=1\nlisten_port=9");
            client.shutdownOutput();
            assertEquals("errno=0\n\n", client.readReply());
        }
        assertEquals(9, store.config().listenPort());
    }

    @Test
    void anUnknownOperationClosesTheConnectionWithoutAReply() throws IOException {
        assertEquals("", UapiClient.exchange(socket(), "hello=1\n\n"));
    }

    @Test
    void getWithATrailingCharacterIsInvalid() throws IOException {
        assertEquals("errno=-22\n\n", UapiClient.exchange(socket(), "get=1\nx\n"));
    }

    @Test
    void anOversizedLineIsAnIoErrorAndChangesNothing() throws IOException {
        String reply = UapiClient.exchange(socket(), "set=1\nlisten_port=1\nallowed_ip=" + "1".repeat(70_000) + "\n\n");

        assertEquals("errno=-5\n\n", reply);
        assertEquals(DeviceConfig.EMPTY, store.config());
    }

    @Test
    void aLineOfExactlyTheLimitIsReadAndJudgedOnItsContent() throws IOException {
        String line = "x=" + "1".repeat(UapiConnection.MAX_LINE_BYTES - 2);

        assertEquals("errno=-22\n\n", UapiClient.exchange(socket(), "set=1\n" + line + "\n\n"));
    }

    @Test
    void aRefusedChangeRepliesTheListenersErrnoAndChangesNothing() throws IOException {
        server.close();
        DeviceConfigStore picky = new DeviceConfigStore(
                DeviceConfig.EMPTY,
                (current, next) -> {
                    if (next.listenPort() == 80) {
                        throw new UapiException(UapiException.PORT_IN_USE, "port 80 is taken");
                    }
                },
                key -> Optional.empty());
        server = UapiServer.start(dir, "wgtest0", picky);

        assertEquals("errno=-98\n\n", UapiClient.exchange(socket(), "set=1\nlisten_port=80\n\n"));
        assertEquals(DeviceConfig.EMPTY, picky.config());
    }

    @Test
    void aSilentClientDoesNotHoldUpOthers() throws IOException {
        try (UapiClient silent = UapiClient.connect(socket())) {
            silent.send("set=1\nlisten_port=1\n");
            assertEquals("errno=0\n\n", UapiClient.exchange(socket(), "get=1\n\n"));
        }
    }

    @Test
    void theSocketIsOnlyForItsOwnerAndTheDirectoryIsWorldReadable() throws IOException {
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket())));
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        assertEquals(List.of(socket()), listDir());
    }

    @Test
    void closeRemovesTheSocket() throws IOException {
        server.close();

        assertFalse(Files.exists(socket()));
        assertEquals(List.of(), listDir());
    }

    @Test
    void aLiveSocketOfAnotherServerIsNeverTakenOver() {
        assertThrows(FileAlreadyExistsException.class, () -> UapiServer.start(dir, "wgtest0", new DeviceConfigStore()));
        assertTrue(Files.exists(socket()));
    }

    @Test
    void aStaleSocketIsReplaced() throws IOException {
        Path stale = dir.resolve("wgstale.sock");
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(stale));
        } // closed: the file stays, nobody listens

        try (UapiServer replacement = UapiServer.start(dir, "wgstale", new DeviceConfigStore())) {
            assertEquals("errno=0\n\n", UapiClient.exchange(replacement.socketPath(), "get=1\n\n"));
        }
        assertFalse(Files.exists(stale));
    }

    @Test
    void aFileThatIsNotASocketIsNeverRemoved() throws IOException {
        Path file = Files.writeString(dir.resolve("wgfile.sock"), "keep me");

        assertThrows(FileAlreadyExistsException.class, () -> UapiServer.start(dir, "wgfile", new DeviceConfigStore()));
        assertEquals("keep me", Files.readString(file));
    }

    @Test
    void closingLeavesASocketThatReplacedOursAlone() throws IOException {
        Files.delete(socket());
        try (ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            other.bind(UnixDomainSocketAddress.of(socket()));
            server.close();
            assertTrue(Files.exists(socket()));
        }
        Files.delete(socket());
    }

    @Test
    void badInterfaceNamesAreRefused() {
        for (String name : List.of("", "a/b", "..", "sixteen-chars-xx", "with space")) {
            assertThrows(
                    IllegalArgumentException.class, () -> UapiServer.start(dir, name, new DeviceConfigStore()), name);
        }
    }

    @Test
    void closingEndsOpenConnections() throws IOException {
        try (UapiClient idle = UapiClient.connect(socket())) {
            idle.send("get=1\n\n").readReply(); // now certainly accepted and being served
            server.close();
            try {
                assertEquals("", idle.readReply());
            } catch (java.net.SocketException reset) {
                // a reset ends it as well as an orderly close
            }
        }
    }

    @Test
    void concurrentSetsAreSerializedAndNoneIsLost() throws Exception {
        List<Thread> clients = new java.util.ArrayList<>();
        for (int i = 1; i <= 32; i++) {
            String peer = String.format("%064x", i);
            clients.add(Thread.ofVirtual().start(() -> {
                try {
                    assertEquals("errno=0\n\n", UapiClient.exchange(socket(), "set=1\npublic_key=" + peer + "\n\n"));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }));
        }
        for (Thread client : clients) {
            client.join();
        }
        assertEquals(32, store.config().peers().size());
        assertEquals(Optional.empty(), store.config().privateKey());
    }

    private List<Path> listDir() throws IOException {
        try (var files = Files.list(dir)) {
            return files.toList();
        }
    }
}
