package dev.wgpr.enforcement.revoke;

import dev.wgpr.enforcement.AppId;
import dev.wgpr.enforcement.Enforcer;
import dev.wgpr.enforcement.NetnsCookie;
import dev.wgpr.enforcement.Policy;
import dev.wgpr.testing.lab.LabProcess;
import dev.wgpr.testing.lab.Namespace;
import dev.wgpr.testing.lab.NetnsLab;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The revocation tests' world: a lab namespace "client" whose stand-in tunnel device (a veth) leads
 * to a namespace "server" holding the internal addresses 10.20.1.1, 10.20.2.1, fd10:20::1 and
 * fd10:20::2, each with a TCP and UDP echo service on {@link #ECHO_PORT} and {@link #ECHO_PORT_2},
 * and a TCP listener on {@link #SINK_PORT} that accepts and holds connections without a thread each. So an app's connection to an internal
 * destination is really established and really answers. Enforcement is attached at the real cgroup2
 * root under a unique instance name and judges only the client namespace. Nothing leaves the lab.
 */
final class RevocationLab implements AutoCloseable {
    static final String INTERNAL_V4 = "10.20.0.0/16";
    static final String INTERNAL_V6 = "fd10:20::/32";
    static final String SERVER_V4 = "10.20.1.1";
    static final String SERVER2_V4 = "10.20.2.1";
    static final String SERVER_V6 = "fd10:20::1";
    static final String SERVER2_V6 = "fd10:20::2";
    static final int ECHO_PORT = 7001;
    static final int ECHO_PORT_2 = 7002;
    static final int SINK_PORT = 7100;

    private static final SecureRandom RANDOM = new SecureRandom();

    final NetnsLab lab;
    final Namespace client;
    final Namespace server;
    final Enforcer enforcer;
    final SocketRevoker revoker;
    private final Map<AppId, Path> apps = new TreeMap<>();
    private final List<Holder> holders = new ArrayList<>();

    private RevocationLab(NetnsLab lab, Namespace client, Namespace server, Enforcer enforcer, SocketRevoker revoker) {
        this.lab = lab;
        this.client = client;
        this.server = server;
        this.enforcer = enforcer;
        this.revoker = revoker;
    }

    /** The internal set of the lab, no grants. */
    static Policy.Builder basePolicy() {
        return Policy.builder().internal(INTERNAL_V4, 0).internal(INTERNAL_V6, 0);
    }

    static RevocationLab create(NetnsLab lab, Policy initial) throws IOException {
        Namespace client = lab.namespace("client");
        Namespace server = lab.namespace("server");
        var tunnel = lab.veth(client, server);
        String tun = tunnel.a().name();
        client.address(tun, "10.20.255.1/32", "fd10:20:ffff::1/128");
        client.routeDev(INTERNAL_V4, tun).routeDev(INTERNAL_V6, tun);
        // On-link /16 and /32 on the server side: it answers ARP/ND for the client's tunnel addresses.
        tunnel.b().address(SERVER_V4 + "/16", SERVER2_V4 + "/32", SERVER_V6 + "/32", SERVER2_V6 + "/128");
        Path script = resource(lab.scratchDir(), "echo_server.py");
        for (int port : new int[] {ECHO_PORT, ECHO_PORT_2}) {
            String sink = port == ECHO_PORT ? String.valueOf(SINK_PORT) : "0";
            LabProcess echo = server.start(
                    "python3",
                    "-u",
                    script.toString(),
                    String.valueOf(port),
                    sink,
                    SERVER_V4,
                    SERVER2_V4,
                    SERVER_V6,
                    SERVER2_V6);
            server.awaitTcpListener(port, Duration.ofSeconds(10));
            if (!echo.isAlive()) {
                throw new IOException("echo server died: " + echo.output());
            }
        }
        long cookie = client.call(NetnsCookie::ofCurrentThread);
        Enforcer enforcer = Enforcer.start(Enforcer.Config.atRoot(uniqueInstance(), cookie), initial);
        try {
            SocketRevoker revoker = client.call(SocketRevoker::open);
            return new RevocationLab(lab, client, server, enforcer, revoker);
        } catch (RuntimeException e) {
            enforcer.close();
            throw e;
        }
    }

    static String uniqueInstance() {
        byte[] random = new byte[5];
        RANDOM.nextBytes(random);
        return "wg-pr-test-" + HexFormat.of().formatHex(random);
    }

    /** Copies a test resource next to the lab's other scratch files (once) and returns its path. */
    static Path resource(Path scratch, String name) throws IOException {
        Path file = scratch.resolve(name);
        if (!Files.exists(file)) {
            try (InputStream in = RevocationLab.class.getResourceAsStream("/dev/wgpr/enforcement/" + name)) {
                if (in == null) {
                    throw new IOException("no test resource " + name);
                }
                Holder.copy(in, file);
            }
        }
        return file;
    }

    Path addApp(String name, AppId id) throws IOException {
        Path cgroup = enforcer.addApp(name, id);
        apps.put(id, cgroup);
        return cgroup;
    }

    /** The app cgroups, as the daemon would hand them to the revoker. */
    Map<AppId, Path> apps() {
        return Map.copyOf(apps);
    }

    /** A holder in the client namespace, in {@code cgroup} if given (else in the test's own cgroup: no app). */
    Holder holder(String label, Optional<Path> cgroup) throws IOException {
        Holder holder = Holder.start(label, client.name(), cgroup, lab.scratchDir());
        holders.add(holder);
        return holder;
    }

    /** Publishes {@code next} and then revokes what it no longer allows: what the daemon's reload does. */
    RevocationReport reload(Policy next) throws IOException {
        Policy previous = enforcer.policy();
        enforcer.publish(next);
        return revoker.revoke(previous, next, apps());
    }

    /**
     * Stops the holders (by their own process handles), removes every cgroup below the instance
     * (deepest first), then enforcement; the lab removes namespaces and the servers.
     */
    @Override
    public void close() throws IOException {
        IOException failure = null;
        for (Holder holder : holders) {
            holder.close();
        }
        try {
            revoker.close();
        } catch (IOException e) {
            failure = e;
        }
        try (var walk = Files.walk(enforcer.instanceCgroup())) {
            List<Path> dirs = walk.filter(Files::isDirectory)
                    .filter(p -> !p.equals(enforcer.instanceCgroup()))
                    .sorted((a, b) -> b.getNameCount() - a.getNameCount())
                    .toList();
            for (Path dir : dirs) {
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            failure = failure == null ? e : failure;
        }
        try {
            enforcer.close();
        } catch (IOException e) {
            failure = failure == null ? e : failure;
        }
        if (failure != null) {
            throw failure;
        }
    }

    static Optional<Path> in(Path cgroup) {
        return Optional.of(cgroup);
    }
}
