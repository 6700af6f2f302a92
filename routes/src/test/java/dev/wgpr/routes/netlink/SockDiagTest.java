package dev.wgpr.routes.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.routes.netlink.SockDiag.InetSocket;
import dev.wgpr.routes.netlink.SockDiag.Transport;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.Namespace;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * sock_diag against real sockets of this JVM inside a lab namespace (so the dump holds only what the
 * test made): the dump finds them with their addresses and cgroup, the cgroup filter keeps and drops
 * them, and SOCK_DESTROY really aborts them.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class SockDiagTest {
    static final int CONNECTED = SockDiag.states(SockDiag.TCP_ESTABLISHED);

    @Test
    void theDumpListsAnEstablishedConnectionAndTheCgroupFilterKeepsOrDropsIt(NetnsLab lab) throws Exception {
        Namespace ns = lab.namespace("diag");
        ns.call(() -> {
            // AF_INET on purpose: Java's default sockets are AF_INET6 (dual stack), dumped as family 6.
            try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.INET)
                            .bind(new InetSocketAddress("127.0.0.1", 0));
                    SocketChannel client = SocketChannel.open(StandardProtocolFamily.INET);
                    SockDiag diag = SockDiag.open()) {
                client.connect(server.getLocalAddress());
                int port = ((InetSocketAddress) client.getLocalAddress()).getPort();
                try (SocketChannel accepted = server.accept()) {
                    assertEquals(port, ((InetSocketAddress) accepted.getRemoteAddress()).getPort());
                    List<InetSocket> all = diag.dumpAll(Transport.TCP, Libc.AF_INET, CONNECTED);
                    InetSocket ours = all.stream()
                            .filter(s -> s.local().getPort() == port)
                            .findFirst()
                            .orElseThrow(() -> new AssertionError("client's socket in " + all));
                    assertEquals(Libc.AF_INET, ours.family());
                    assertEquals(SockDiag.TCP_ESTABLISHED, ours.state());
                    assertEquals(server.getLocalAddress(), ours.remote());
                    assertTrue(ours.cgroupId() != 0, "the kernel reports the socket's cgroup");
                    assertTrue(ours.cookie() != 0, "and its cookie");
                    // Both ends are ours (same cgroup): a filter naming our cgroup keeps both, others drop both.
                    assertEquals(
                            2,
                            diag.dump(Transport.TCP, Libc.AF_INET, CONNECTED, List.of(ours.cgroupId()))
                                    .size());
                    assertEquals(
                            2,
                            diag.dump(Transport.TCP, Libc.AF_INET, CONNECTED, List.of(1L, 2L, ours.cgroupId(), 3L))
                                    .size());
                    assertEquals(
                            0,
                            diag.dump(Transport.TCP, Libc.AF_INET, CONNECTED, List.of(ours.cgroupId() + 1))
                                    .size());
                    assertEquals(
                            0,
                            diag.dump(Transport.TCP, Libc.AF_INET, CONNECTED, List.of())
                                    .size());
                    // Nothing AF_INET6 was made.
                    assertEquals(
                            0,
                            diag.dumpAll(Transport.TCP, Libc.AF_INET6, CONNECTED)
                                    .size());
                    // The listener is not ESTABLISHED: the state mask decides.
                    assertEquals(
                            1,
                            diag.dumpAll(Transport.TCP, Libc.AF_INET, SockDiag.states(SockDiag.TCP_LISTEN))
                                    .size());
                }
                return null;
            }
        });
    }

    @Test
    void destroyingAnEstablishedTcpConnectionAbortsItAndResetsThePeer(NetnsLab lab) throws Exception {
        Namespace ns = lab.namespace("diag");
        for (String loopback : List.of("127.0.0.1", "::1", "::ffff:127.0.0.1")) {
            ns.call(() -> {
                InetAddress listen = InetAddress.getByName(loopback.startsWith("::ffff") ? "::" : loopback);
                try (ServerSocket server = new ServerSocket(0, 50, listen);
                        Socket client = new Socket();
                        SockDiag diag = SockDiag.open()) {
                    // "::ffff:127.0.0.1" through an AF_INET6 socket: Java connects dual-stack sockets so.
                    client.connect(new InetSocketAddress(InetAddress.getByName(loopback), server.getLocalPort()));
                    try (Socket accepted = server.accept()) {
                        InetSocket target = only(dumpBoth(diag), client);
                        diag.destroy(target);
                        SocketException aborted = assertThrows(
                                SocketException.class,
                                () -> client.getOutputStream().write(1));
                        assertTrue(aborted.getMessage().contains("abort"), loopback + ": " + aborted.getMessage());
                        // The peer got the RST.
                        assertThrows(
                                SocketException.class,
                                () -> accepted.getInputStream().read());
                        // Gone: the same identity is not there to destroy again.
                        ErrnoException gone = assertThrows(ErrnoException.class, () -> diag.destroy(target));
                        assertEquals(Libc.ENOENT, gone.errno(), gone.getMessage());
                    }
                    return null;
                }
            });
        }
    }

    @Test
    void destroyingAConnectedUdpSocketDisconnectsIt(NetnsLab lab) throws Exception {
        Namespace ns = lab.namespace("diag");
        for (String loopback : List.of("127.0.0.1", "::1")) {
            ns.call(() -> {
                StandardProtocolFamily protocolFamily =
                        loopback.contains(":") ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
                try (DatagramChannel peer = DatagramChannel.open(protocolFamily);
                        DatagramChannel client = DatagramChannel.open(protocolFamily);
                        SockDiag diag = SockDiag.open()) {
                    peer.bind(new InetSocketAddress(InetAddress.getByName(loopback), 0));
                    client.connect(peer.getLocalAddress());
                    client.write(ByteBuffer.wrap(new byte[] {1}));
                    int family = loopback.contains(":") ? Libc.AF_INET6 : Libc.AF_INET;
                    int port = ((InetSocketAddress) client.getLocalAddress()).getPort();
                    List<InetSocket> found = diag.dumpAll(Transport.UDP, family, CONNECTED).stream()
                            .filter(s -> s.local().getPort() == port)
                            .toList();
                    assertEquals(1, found.size(), "the connected UDP socket, not the unconnected peer: " + found);
                    diag.destroy(found.getFirst());
                    // The kernel disconnected it: a send without an address has nowhere to go.
                    assertThrows(IOException.class, () -> client.write(ByteBuffer.wrap(new byte[] {2})));
                    assertEquals(
                            0,
                            diag.dumpAll(Transport.UDP, family, CONNECTED).stream()
                                    .filter(s -> s.local().getPort() == port)
                                    .count());
                    return null;
                }
            });
        }
    }

    @Test
    void theCgroupFilterIsOneConditionAndJumpPerIdWithTheLastJumpLeftOut() {
        assertEquals(12, SockDiag.cgroupFilter(List.of(7L)).length);
        assertEquals(12 + 4 + 12 + 4 + 12, SockDiag.cgroupFilter(List.of(7L, 8L, 9L)).length);
    }

    private static List<InetSocket> dumpBoth(SockDiag diag) throws ErrnoException {
        List<InetSocket> all = new ArrayList<>(diag.dumpAll(Transport.TCP, Libc.AF_INET, CONNECTED));
        all.addAll(diag.dumpAll(Transport.TCP, Libc.AF_INET6, CONNECTED));
        return all;
    }

    /** The dumped socket that is {@code client}'s end (by its local port). */
    private static InetSocket only(List<InetSocket> sockets, Socket client) {
        List<InetSocket> matching = sockets.stream()
                .filter(s -> s.local().getPort() == client.getLocalPort())
                .toList();
        assertEquals(1, matching.size(), "client's socket in " + sockets);
        return matching.getFirst();
    }
}
