package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.enforcement.cgroup.Cgroup2Mount;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@link SocketHolders} against the real {@code /proc} and cgroup2 tree: this JVM holds a socket, in its own
 * cgroup (on a test machine, one with many processes, often the root), and is found by the socket's inode.
 * The search gets 2 s here, not the daemon's 100 ms: what is checked is that it finds the right process
 * among many, which a cold JVM on a loaded machine may not do within the daemon's bound (the daemon then says
 * "an unknown program").
 */
class SocketHoldersTest {
    private final Path cgroup2 = Cgroup2Mount.find().orElseThrow().path();
    private final SocketHolders holders = new SocketHolders(cgroup2, Duration.ofSeconds(2));
    private final long uid = ((Number) attribute("/proc/self", "unix:uid")).longValue();

    SocketHoldersTest() throws Exception {}

    @Test
    void findsTheProcessHoldingAUdpSocketOnThePort() throws Exception {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            Optional<SocketHolders.Holder> holder = holders.find(ownCgroup(), uid, 17, socket.getLocalPort());
            assertEquals(ProcessHandle.current().pid(), holder.orElseThrow().pid());
            assertEquals(
                    Files.readString(Path.of("/proc/self/comm")).strip(),
                    holder.get().comm());
        }
    }

    @Test
    void findsTheProcessHoldingATcpListener() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Optional<SocketHolders.Holder> holder = holders.find(ownCgroup(), uid, 6, socket.getLocalPort());
            assertEquals(ProcessHandle.current().pid(), holder.orElseThrow().pid());
        }
    }

    @Test
    void findsNothingWhereTheListenerIsGone() throws Exception {
        int port;
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            port = socket.getLocalPort();
        }
        assertTrue(holders.find(ownCgroup(), uid, 17, port).isEmpty());
    }

    @Test
    void findsNothingInAnotherCgroup() throws Exception {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            long root = ((Number) attribute(cgroup2.toString(), "unix:ino")).longValue();
            // The root cgroup holds no process of this test's (on a machine where it does, it is not ours).
            if (root != ownCgroup()) {
                assertTrue(holders.find(root, uid, 17, socket.getLocalPort())
                        .filter(h -> h.pid() == ProcessHandle.current().pid())
                        .isEmpty());
            }
        }
    }

    /** The id of this JVM's cgroup: the inode of its directory. */
    private long ownCgroup() throws Exception {
        String line = Files.readAllLines(Path.of("/proc/self/cgroup")).stream()
                .filter(l -> l.startsWith("0::"))
                .findFirst()
                .orElseThrow();
        Path dir = cgroup2.resolve(line.substring(3).replaceFirst("^/", ""));
        return ((Number) attribute(dir.toString(), "unix:ino")).longValue();
    }

    private static Object attribute(String path, String name) throws Exception {
        return Files.getAttribute(Path.of(path), name);
    }
}
