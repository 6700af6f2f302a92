package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.TestPaths;
import dev.wgpr.client.control.ControlJson;
import dev.wgpr.client.control.Protocol;
import dev.wgpr.client.control.Reply;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.daemon.DaemonTesting.Cli;
import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.common.Pace;
import dev.wgpr.testing.FileTrees;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Control without root, decided by a real polkitd (Debian's) on a system bus of the test's own
 * (dbus-daemon), with the package's actions and a rules file of the test's: they allow the user
 * "daemon" (uid 1) every wg-pr action and refuse everyone else. The daemon's launch group is nobody's
 * (65534), which polkit overrules while it runs; once polkitd is gone, the group decides again.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PolkitControlTest {
    private static final int DAEMON_USER = 1; // "daemon" in Debian's base passwd

    private static final String RULES = """
            polkit.addRule(function(action, subject) {
                if (action.id.indexOf("dev.wgpr.") == 0) {
                    return subject.user == "daemon" ? polkit.Result.YES : polkit.Result.NO;
                }
            });
            """;

    private static TunnelLab net;
    private static Path dir;
    private static Path config;
    private static Process bus;
    private static Process polkitd;
    private static String address;

    @BeforeAll
    static void up(NetnsLab lab) throws Exception {
        net = TunnelLab.routed(lab);
        dir = Files.createTempDirectory(DaemonTesting.scratch(), "polkit-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path socket = dir.resolve("system_bus_socket");
        Files.writeString(dir.resolve("bus.conf"), DaemonTesting.systemBusConfig(socket));
        bus = new ProcessBuilder("dbus-daemon", "--nofork", "--config-file=" + dir.resolve("bus.conf"))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("bus.log").toFile())
                .start();
        address = "unix:path=" + socket;

        Path actions = Files.createDirectory(dir.resolve("actions"));
        Files.copy(
                TestPaths.repositoryRoot().resolve("packaging/polkit/dev.wgpr.policy"),
                actions.resolve("dev.wgpr.policy"));
        Path rules = Files.createDirectory(dir.resolve("rules.d"));
        Files.writeString(rules.resolve("50-wgpr-test.rules"), RULES);
        // polkitd reads its actions and rules from fixed places: a mount namespace of its own shows it the test's.
        ProcessBuilder polkit = new ProcessBuilder(
                        "unshare",
                        "--mount",
                        "--propagation",
                        "private",
                        "--",
                        "sh",
                        "-c",
                        "mount --bind \"$1\" /usr/share/polkit-1/actions && mount --bind \"$2\" /etc/polkit-1/rules.d"
                                + " && exec /usr/lib/polkit-1/polkitd --no-debug",
                        "polkitd",
                        actions.toString(),
                        rules.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("polkitd.log").toFile());
        polkit.environment().put("DBUS_SYSTEM_BUS_ADDRESS", address);
        polkitd = polkit.start();
        awaitOwner(address, true);

        Path configs = Files.createDirectory(dir.resolve("configs"));
        Files.setPosixFilePermissions(configs, PosixFilePermissions.fromString("rwxr-xr-x"));
        config = Files.copy(net.config("per-prefix", "\"10.20.0.0/16\"", null), configs.resolve(net.iface + ".toml"));
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-------"));
        Result daemon = net.cli()
                .withEnvironment(Map.of("DBUS_SYSTEM_BUS_ADDRESS", address))
                .run(
                        "daemon",
                        "--launch-group",
                        Integer.toString(DaemonTesting.NOBODY),
                        "--config-dir",
                        configs.toString());
        assertEquals(0, daemon.exitCode(), daemon::toString);
    }

    @AfterAll
    static void down() throws Exception {
        try {
            if (net != null) {
                net.close();
            }
        } finally {
            for (Process process : new Process[] {polkitd, bus}) {
                if (process != null) {
                    process.destroy();
                    process.waitFor(Pace.scaled(Duration.ofSeconds(20)).toSeconds(), TimeUnit.SECONDS);
                    process.destroyForcibly();
                }
            }
            if (dir != null) {
                FileTrees.delete(dir);
            }
        }
    }

    private static Cli as(int uid) {
        return Cli.nobody(net.instance).inNetns(net.client.name()).as(uid, uid);
    }

    @Test
    @Order(1)
    void aUserPolkitAllowsBringsATunnelUpStartsAnAppAndTakesTheTunnelDown() throws Exception {
        Result up = as(DAEMON_USER).run("up", config.toString());
        assertEquals(0, up.exitCode(), up::toString);
        assertEquals(net.iface + " is up\n", up.out());

        Result run = as(DAEMON_USER).run("run", "--app", "probe", "--", "/bin/sh", "-c", "id -u; exit 3");
        assertEquals(3, run.exitCode(), run::toString);
        assertEquals("1\n", run.out(), "the app runs as its caller");

        Result down = as(DAEMON_USER).run("down", net.iface);
        assertEquals(0, down.exitCode(), down::toString);
    }

    @Test
    @Order(2)
    void aUserPolkitRefusesIsToldWhyAndNothingChanges() throws Exception {
        Result up = as(DaemonTesting.NOBODY).run("up", config.toString());
        Result run = as(DaemonTesting.NOBODY).run("run", "--app", "probe", "--", "/bin/true");

        assertEquals(4, up.exitCode(), up::toString);
        assertTrue(
                up.err().contains("uid 65534 may not bring tunnels up: polkit does not allow dev.wgpr.up"),
                up::toString);
        assertEquals(126, run.exitCode(), run::toString);
        assertTrue(
                run.err().contains("uid 65534 may not start apps: polkit does not allow dev.wgpr.run"), run::toString);
        Result status = net.cli().run("status", "--json");
        assertTrue(status.out().contains("\"tunnels\":[]"), () -> "no tunnel came up: " + status);
    }

    @Test
    @Order(3)
    void rootAlwaysMay() throws Exception {
        Result up = net.cli().run("up", config.toString());
        assertEquals(0, up.exitCode(), up::toString);
        net.down();
    }

    @Test
    @Order(4)
    void aUserPolkitAllowsMayStillNotNameAConfigOutsideTheConfigDirectories() throws Exception {
        Path elsewhere = net.config("per-prefix", "\"10.20.0.0/16\"", null);
        Files.setPosixFilePermissions(elsewhere, PosixFilePermissions.fromString("rw-r--r--"));

        Result up = as(DAEMON_USER).run("up", elsewhere.toString());

        assertEquals(4, up.exitCode(), up::toString);
        assertTrue(up.err().contains(elsewhere + ": only root may name a config outside /etc/wg-pr"), up::toString);
    }

    /**
     * The names apps resolved (what {@code wg-pr trace} shows beside a destination) are asked as {@code run}
     * is authorized, not as {@code status}: else any local user could learn internal names that
     * {@code dnsAccess = "apps"} keeps from processes that are no app (docs/trace.md).
     */
    @Test
    @Order(5)
    void onlyAUserPolkitLetsStartAppsLearnsTheNamesAppsResolved() throws Exception {
        assertInstanceOf(Reply.Names.class, namesAskedBy(DAEMON_USER));

        Reply refused = namesAskedBy(DaemonTesting.NOBODY);

        assertEquals(
                Protocol.PERMISSION,
                assertInstanceOf(Reply.Error.class, refused).error(),
                refused::toString);
    }

    @Test
    @Order(6)
    void withoutPolkitTheLaunchGroupDecides() throws Exception {
        polkitd.destroy();
        polkitd.waitFor();
        awaitOwner(address, false);
        assertEquals(0, net.cli().run("up", config.toString()).exitCode(), "root brings the tunnel up");

        Result member = as(DaemonTesting.NOBODY).run("run", "--app", "probe", "--", "/bin/sh", "-c", "exit 5");
        Result stranger = as(DAEMON_USER).run("run", "--app", "probe", "--", "/bin/true");

        assertEquals(5, member.exitCode(), member::toString);
        assertEquals(126, stranger.exitCode(), stranger::toString);
        assertTrue(
                stranger.err().contains("uid 1 may not start apps: only root and members of group '65534' may"),
                stranger::toString);
    }

    /** The daemon's answer to a {@code names} request that {@code uid} writes on the control socket. */
    private static Reply namesAskedBy(int uid) throws Exception {
        String request = ControlJson.write(new Request.Names(List.of(TunnelLab.INTERNAL_V4)));
        Process ask = new ProcessBuilder(
                        "setpriv",
                        "--reuid=" + uid,
                        "--regid=" + uid,
                        "--clear-groups",
                        "--",
                        "/usr/bin/python3",
                        "-c",
                        """
                        import socket, sys
                        control = socket.socket(socket.AF_UNIX)
                        control.connect(sys.argv[1])
                        control.sendall(sys.argv[2].encode() + b"\\n")
                        print(control.makefile().readline(), end="")
                        """,
                        net.instance.controlSocket().toString(),
                        request)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String reply = new String(ask.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, ask.waitFor(), reply);
        return ControlJson.readReply(reply.strip(), Reply.Names.class);
    }

    /** Waits until polkit's name has an owner on the bus at {@code address} (or, {@code owned} false, none). */
    private static void awaitOwner(String address, boolean owned) throws Exception {
        long deadline = System.nanoTime() + Pace.scaled(Duration.ofSeconds(30)).toNanos();
        while (true) {
            Process ask = new ProcessBuilder(
                            "dbus-send",
                            "--bus=" + address,
                            "--print-reply",
                            "--dest=org.freedesktop.DBus",
                            "/org/freedesktop/DBus",
                            "org.freedesktop.DBus.NameHasOwner",
                            "string:org.freedesktop.PolicyKit1")
                    .redirectErrorStream(true)
                    .start();
            String reply = new String(ask.getInputStream().readAllBytes());
            ask.waitFor();
            if (reply.contains("boolean " + owned)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("polkitd " + (owned ? "did not appear" : "did not go") + " on the test's bus: "
                        + reply + "\n" + Files.readString(dir.resolve("polkitd.log")));
            }
            Thread.sleep(100);
        }
    }
}
