package dev.wgpr.enforcement.revoke;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.enforcement.AppId;
import dev.wgpr.enforcement.Decision;
import dev.wgpr.enforcement.Policy;
import dev.wgpr.enforcement.ReferenceModel;
import dev.wgpr.enforcement.policy.Protocol;
import dev.wgpr.routes.netlink.SockDiag;
import dev.wgpr.routes.netlink.SockDiag.InetSocket;
import dev.wgpr.routes.netlink.SockDiag.Transport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Closes the open connections a new policy no longer allows: after {@code
 * Enforcer.publish(next)} has made new attempts fail, every connected TCP socket and connected UDP
 * socket of an app (its cgroup or a descendant) whose destination, protocol and port {@link
 * ReferenceModel#decide} now denies for that app is destroyed with sock_diag {@code SOCK_DESTROY}: the
 * app's next read or write fails with {@code ECONNABORTED}, a TCP peer gets a RST, a UDP socket is
 * disconnected (a later {@code sendto} is judged by the hooks again).
 *
 * <p>Listening sockets, unconnected UDP sockets and sockets of processes outside every app are left
 * alone: the hooks judge each later {@code connect}/{@code sendmsg} of theirs anyway. The socket's
 * cgroup is the one its creator was in when it created it, so a socket an app made and passed on
 * still counts as the app's.
 *
 * <p>sock_diag is per network namespace: {@link #open()} must run in the tunnel's namespace (the one
 * the enforcement judges). Why not a BPF socket iterator with {@code bpf_sock_destroy()}: see
 * enforcement/DESIGN.md, "Revocation".
 */
public final class SocketRevoker implements AutoCloseable {
    /** TCP states of a connection (anything with a peer), not LISTEN, CLOSE or TIME_WAIT. */
    static final int TCP_CONNECTED = SockDiag.states(
            SockDiag.TCP_SYN_SENT,
            SockDiag.TCP_SYN_RECV,
            SockDiag.TCP_ESTABLISHED,
            SockDiag.TCP_FIN_WAIT1,
            SockDiag.TCP_FIN_WAIT2,
            SockDiag.TCP_CLOSE_WAIT,
            SockDiag.TCP_LAST_ACK,
            SockDiag.TCP_CLOSING);
    /** A UDP socket with a peer set by connect() is ESTABLISHED; an unconnected one is CLOSE. */
    static final int UDP_CONNECTED = SockDiag.states(SockDiag.TCP_ESTABLISHED);

    private static final int ENOENT = Libc.ENOENT;

    private final SockDiag diag;

    private SocketRevoker(SockDiag diag) {
        this.diag = diag;
    }

    /** A revoker for the network namespace of the calling thread (the tunnel's). */
    public static SocketRevoker open() throws ErrnoException {
        return new SocketRevoker(SockDiag.open());
    }

    /**
     * After {@code previous} was replaced by {@code next}: sweeps the apps whose grants changed, or
     * every app when the internal set or its exclusions changed (a destination may have become
     * internal). Apps being removed by the same reload belong in {@code appCgroups} too (their grants
     * are gone from {@code next}); call this before their cgroups are removed.
     *
     * @param appCgroups each app's cgroup ({@code Enforcer.addApp}'s answer); descendants are found here
     */
    public RevocationReport revoke(Policy previous, Policy next, Map<AppId, Path> appCgroups) throws IOException {
        boolean routingChanged = !previous.internal().equals(next.internal())
                || !previous.exclusions().equals(next.exclusions());
        Map<AppId, Path> affected = new TreeMap<>();
        appCgroups.forEach((app, cgroup) -> {
            if (routingChanged || !previous.grantsOf(app).equals(next.grantsOf(app))) {
                affected.put(app, cgroup);
            }
        });
        return sweep(next, affected);
    }

    /**
     * Judges every connected socket of the apps in {@code appCgroups} by {@code policy} and destroys
     * those it denies. Safe to repeat: a second sweep finds nothing more to do.
     */
    public synchronized RevocationReport sweep(Policy policy, Map<AppId, Path> appCgroups) throws IOException {
        if (appCgroups.isEmpty()) {
            return RevocationReport.NOTHING;
        }
        long start = System.nanoTime();
        Map<Long, AppId> owner = new HashMap<>();
        for (Map.Entry<AppId, Path> app : appCgroups.entrySet()) {
            for (long id : cgroupIds(app.getValue())) {
                owner.put(id, app.getKey());
            }
        }
        List<Long> ids = List.copyOf(owner.keySet());
        int examined = 0;
        List<RevocationReport.Revoked> destroyed = new ArrayList<>();
        List<RevocationReport.Failure> failures = new ArrayList<>();
        int gone = 0;
        for (Transport transport : Transport.values()) {
            int states = transport == Transport.TCP ? TCP_CONNECTED : UDP_CONNECTED;
            Protocol protocol = transport == Transport.TCP ? Protocol.TCP : Protocol.UDP;
            for (int family : new int[] {Libc.AF_INET, Libc.AF_INET6}) {
                for (InetSocket socket : diag.dump(transport, family, states, ids)) {
                    AppId app = owner.get(socket.cgroupId());
                    if (app == null || socket.remote().getAddress().isAnyLocalAddress()) {
                        continue; // the kernel filter makes the first impossible; the second has no peer
                    }
                    examined++;
                    Decision decision = ReferenceModel.decide(
                            policy,
                            Optional.of(app),
                            socket.remote().getAddress(),
                            protocol,
                            socket.remote().getPort());
                    if (decision.allowed()) {
                        continue;
                    }
                    try {
                        diag.destroy(socket);
                        destroyed.add(new RevocationReport.Revoked(
                                app, name(socket), socket.local(), socket.remote(), decision));
                    } catch (ErrnoException e) {
                        if (e.errno() == ENOENT) {
                            gone++; // closed (or reused) since the dump: nothing left to end
                        } else {
                            failures.add(
                                    new RevocationReport.Failure(app, socket.toString(), e.errno(), e.getMessage()));
                        }
                    }
                }
            }
        }
        return new RevocationReport(
                appCgroups.size(),
                ids.size(),
                examined,
                destroyed,
                gone,
                failures,
                Duration.ofNanos(System.nanoTime() - start));
    }

    /**
     * The cgroup ids of {@code cgroup} and every cgroup below it (cgroup v2 ids are the kernfs inode
     * numbers of the directories). Only root can make cgroups inside an app's, so the tree does not
     * grow behind our back in a way that matters: a socket in a cgroup made after the walk was made
     * after the new policy was published, when the hooks already judged its connect.
     */
    static List<Long> cgroupIds(Path cgroup) throws IOException {
        List<Long> ids = new ArrayList<>();
        try (Stream<Path> tree = Files.walk(cgroup)) {
            for (Path dir : (Iterable<Path>) tree.filter(Files::isDirectory)::iterator) {
                try {
                    ids.add(((Number) Files.getAttribute(dir, "unix:ino")).longValue());
                } catch (NoSuchFileException e) {
                    // removed during the walk: its sockets (if any) moved nowhere, it had no processes
                }
            }
        } catch (NoSuchFileException e) {
            return List.of(); // no such app cgroup (any more): no sockets of it
        } catch (UncheckedIOException e) {
            if (e.getCause() instanceof NoSuchFileException) {
                return ids;
            }
            throw e.getCause();
        }
        return ids;
    }

    private static String name(InetSocket socket) {
        return (socket.transport() == Transport.TCP ? "tcp" : "udp") + (socket.family() == Libc.AF_INET6 ? "6" : "4");
    }

    @Override
    public void close() throws ErrnoException {
        diag.close();
    }
}
