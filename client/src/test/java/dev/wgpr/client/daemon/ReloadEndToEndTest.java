package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.client.daemon.TunnelLab.Who;
import dev.wgpr.testing.FileTrees;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code wg-pr reload} and the underlay watch for real: the daemon in a lab's client namespace,
 * wireguard-go as the server, real routes and real BPF enforcement.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class ReloadEndToEndTest {
    private static final String ALLOWED = TunnelLab.ALLOWED_IPS;
    private static final int KEPT_PORT = 7070;
    private static final int REVOKED_PORT = 7071;
    private static final String GRANTS = "\"10.20.0.0/16 tcp/7070,7071,8080\"";
    private static final String GRANTS_WITHOUT_7071 = "\"10.20.0.0/16 tcp/7070,8080\"";

    private TunnelLab net;
    private final List<ServerSocket> echoServers = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (Process process : processes) {
            process.destroyForcibly();
            process.waitFor();
        }
        for (ServerSocket socket : echoServers) {
            socket.close();
        }
        if (net != null) {
            net.close();
        }
    }

    @Test
    void aRevokedGrantEndsItsOpenConnectionWhileTheAppsOtherConnectionAndTheSessionKeepRunning(NetnsLab lab)
            throws Exception {
        net = TunnelLab.routed(lab);
        echo(KEPT_PORT);
        echo(REVOKED_PORT);
        Path config = net.config("per-prefix", ALLOWED, GRANTS);
        assertEquals(0, net.up(config).exitCode());
        Process app = net.cli().start("run", "--app", "probe", "--", "/bin/bash", "-c", holdBothConnections());
        processes.add(app);
        DaemonTesting.awaitOutput(app, "7070:ok 7071:ok", Duration.ofSeconds(20));
        String handshake = latestHandshake();

        Files.writeString(config, Files.readString(config).replace(GRANTS, GRANTS_WITHOUT_7071));
        Result reload = net.cli().run("reload", config.toString());

        assertEquals(0, reload.exitCode(), reload::toString);
        assertTrue(reload.out().contains("app probe now"), reload::toString);
        DaemonTesting.awaitOutput(app, "7070:ok 7071:dead", Duration.ofSeconds(10));
        Thread.sleep(1000); // a few more rounds of the app's loop
        String after = DaemonTesting.outputSoFar(app);
        String sinceRevocation = after.substring(after.indexOf("7070:ok 7071:dead"));
        assertFalse(sinceRevocation.contains("7070:dead"), "the still-granted connection kept running: " + after);
        assertEquals(handshake, latestHandshake(), "no new handshake: the session was kept");
        assertTrue(net.connect(Who.APP, TunnelLab.INTERNAL_V4).connected(), "port 8080 is still granted");
        assertTrue(connectFromApp(REVOKED_PORT).denied(), "a new connection to the revoked port is denied");
    }

    @Test
    void aReloadWithAMistakeChangesNothing(NetnsLab lab) throws Exception {
        net = TunnelLab.routed(lab);
        Path config = net.config("per-prefix", ALLOWED, null);
        assertEquals(0, net.up(config).exitCode());
        String before = net.snapshot();
        String generationBefore = generation();

        Path broken = config.resolveSibling(config.getFileName() + ".broken.toml");
        Files.writeString(broken, Files.readString(config).replace("persistentKeepalive", "persistentKeepAlive"));
        Result reload = net.cli().run("reload", broken.toString());

        assertEquals(2, reload.exitCode(), reload::toString);
        assertTrue(reload.err().contains("persistentKeepAlive"), "names the field: " + reload);
        assertEquals(before, net.snapshot(), "routes and links as before");
        assertEquals(generationBefore, generation(), "no new policy generation");
        assertTrue(net.connect(Who.APP, TunnelLab.INTERNAL_V4).connected());
        assertTrue(net.connect(Who.NOBODY, TunnelLab.INTERNAL_V4).denied());
    }

    /**
     * The locked-down daemon reads configs only in the directories it was started for; root's CLI reads the
     * config and its key files itself and sends them, so a config anywhere else (here with its private key in
     * a file beside it) reloads as well.
     */
    @Test
    void rootReloadsAnEditedConfigFromAnotherDirectoryWithItsKeyInAFile(NetnsLab lab) throws Exception {
        net = TunnelLab.routed(lab);
        Path config = net.config("per-prefix", ALLOWED, null);
        assertEquals(0, net.up(config).exitCode());
        Path elsewhere = Files.createTempDirectory("wgpr-elsewhere-"); // beside the daemon's config directory
        try {
            String key = net.clientKey.toBase64();
            Files.writeString(elsewhere.resolve("client.key"), key + "\n");
            Path edited = elsewhere.resolve("edited.toml");
            Files.writeString(
                    edited,
                    Files.readString(config)
                            .replace("privateKey = \"" + key + "\"", "privateKeyFile = \"client.key\"")
                            .replace("\"10.20.0.0/16\"", "\"10.20.0.0/16\", \"10.30.0.0/16\""));

            Result reload = net.cli().run("reload", edited.toString());

            assertEquals(0, reload.exitCode(), reload::toString);
            assertTrue(net.client.ip("route").contains("10.30.0.0/16 dev " + net.iface), reload::toString);
            assertTrue(net.connect(Who.APP, TunnelLab.INTERNAL_V4).connected(), "the same key: the session holds");
        } finally {
            FileTrees.delete(elsewhere);
        }
    }

    @Test
    void aReloadThatAddsAPrefixRoutesAndGuardsItAndTakingItAwayLeavesNothing(NetnsLab lab) throws Exception {
        net = TunnelLab.routed(lab);
        String pristine = net.snapshot();
        Path config = net.config("per-prefix", ALLOWED, null);
        assertEquals(0, net.up(config).exitCode());
        String up = net.snapshot();

        Files.writeString(
                config, Files.readString(config).replace("\"10.20.0.0/16\"", "\"10.20.0.0/16\", \"10.30.0.0/16\""));
        Result wider = net.cli().run("reload", config.toString());
        assertEquals(0, wider.exitCode(), wider::toString);
        String routes = net.client.ip("route");
        assertTrue(routes.contains("10.30.0.0/16 dev " + net.iface), routes);
        assertTrue(routes.contains("unreachable 10.30.0.0/16"), "its fail-closed twin: " + routes);
        assertTrue(net.connect(Who.NOBODY, "10.30.0.10").denied(), "the new prefix is internal");
        assertTrue(net.connect(Who.APP, TunnelLab.INTERNAL_V4).connected());

        Files.writeString(config, Files.readString(config).replace(", \"10.30.0.0/16\"", ""));
        Result narrower = net.cli().run("reload", config.toString());
        assertEquals(0, narrower.exitCode(), narrower::toString);
        assertEquals(up, net.snapshot(), "the routes are those of the first up again");

        net.down();
        assertEquals(pristine, net.snapshot());
        assertEquals(List.of(), net.leftovers());
    }

    @Test
    void theBypassRouteFollowsTheUnderlayToANewGateway(NetnsLab lab) throws Exception {
        net = TunnelLab.routed(lab);
        assertEquals(0, net.up(net.config("per-prefix", ALLOWED, null)).exitCode());
        assertTrue(net.client.ip("route").contains("198.51.100.10 via 192.168.10.1"));

        String routerLan = net.router.run("ip", "-o", "-4", "addr", "show", "to", "192.168.10.1")
                .split("\\s+")[1];
        net.router.address(routerLan, "192.168.10.254/24");
        net.client.run("ip", "route", "replace", "default", "via", "192.168.10.254");

        String routes = awaitRoute("198.51.100.10 via 192.168.10.254");
        assertFalse(routes.contains("198.51.100.10 via 192.168.10.1"), "the old bypass route is gone: " + routes);
        assertTrue(net.connect(Who.APP, TunnelLab.INTERNAL_V4).connected(), "the tunnel still works");
        Result status = net.cli().run("status", "--json");
        assertTrue(status.out().contains("via 192.168.10.254"), "status shows the new decision: " + status);

        net.down();
        assertFalse(net.client.ip("route").contains("198.51.100.10"), "down removes the new bypass route too");
    }

    /** An app process that holds one connection to each echo port and reports both, five times a second. */
    private static String holdBothConnections() {
        return """
                exec 3<>/dev/tcp/%1$s/%2$d 4<>/dev/tcp/%1$s/%3$d || exit 3
                while true; do
                  a=dead; b=dead
                  { echo ping >&3 && read -t 1 line <&3 && [ "$line" = ping ] && a=ok; } 2>/dev/null
                  { echo ping >&4 && read -t 1 line <&4 && [ "$line" = ping ] && b=ok; } 2>/dev/null
                  echo "%2$d:$a %3$d:$b"
                  sleep 0.2
                done
                """.formatted(TunnelLab.INTERNAL_V4, KEPT_PORT, REVOKED_PORT);
    }

    private TunnelLab.Attempt connectFromApp(int port) throws Exception {
        Result r = net.cli()
                .run(
                        "run",
                        "--app",
                        "probe",
                        "--",
                        "timeout",
                        "10",
                        "/bin/bash",
                        "-c",
                        "exec 3<>/dev/tcp/" + TunnelLab.INTERNAL_V4 + "/" + port);
        return new TunnelLab.Attempt(r.exitCode(), r.out(), r.err());
    }

    /** A line echo service on the internal address, behind the server. */
    private void echo(int port) {
        ServerSocket server = net.serverNs.call(() -> {
            ServerSocket s = new ServerSocket();
            s.bind(new InetSocketAddress(TunnelLab.INTERNAL_V4, port));
            return s;
        });
        echoServers.add(server);
        Thread.ofPlatform().daemon().name("echo-" + port).start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket connection = server.accept();
                    Thread.ofPlatform().daemon().start(() -> echoLines(connection));
                } catch (IOException e) {
                    // closed
                }
            }
        });
    }

    private static void echoLines(Socket connection) {
        try (connection;
                BufferedReader in = new BufferedReader(
                        new InputStreamReader(connection.getInputStream(), StandardCharsets.US_ASCII));
                OutputStream out = connection.getOutputStream()) {
            String line;
            while ((line = in.readLine()) != null) {
                out.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        } catch (IOException e) {
            // the client went away, or its connection was destroyed
        }
    }

    private String latestHandshake() {
        return net.client.run("wg", "show", net.iface, "latest-handshakes").strip();
    }

    private String generation() throws Exception {
        Result status = net.cli().run("status", "--json");
        int at = status.out().indexOf("\"generation\":");
        assertTrue(at >= 0, status::toString);
        return status.out().substring(at, status.out().indexOf(',', at));
    }

    private String awaitRoute(String expected) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        String routes = net.client.ip("route");
        while (!routes.contains(expected)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no '" + expected + "' in:\n" + routes);
            }
            Thread.sleep(50);
            routes = net.client.ip("route");
        }
        return routes;
    }
}
