package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.client.tray.FakeWatcher;
import dev.wgpr.client.tray.PrivateSessionBus;
import dev.wgpr.testing.FileTrees;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Up and Down from the tray's menu change a real tunnel: the tray as nobody (in the daemon's launch group),
 * a config of the daemon's config directory, a WireGuard server in a lab namespace.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class TrayUpDownTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    /** Clicks the item labelled {@code label}, waiting for it to be in the menu. */
    private static void click(PrivateSessionBus bus, String item, String label) throws Exception {
        Pattern pattern = Pattern.compile("\\((\\d+), \\{'label': <'" + Pattern.quote(label) + "'>");
        String[] id = new String[1];
        DaemonTesting.await(label + " in the menu", () -> {
            try {
                Matcher m = pattern.matcher(
                        bus.gdbus(item, "/MenuBar", "com.canonical.dbusmenu.GetLayout", WAIT, "0", "-1", "[]"));
                if (m.find()) {
                    id[0] = m.group(1);
                }
                return id[0] != null;
            } catch (IOException | InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        bus.gdbus(item, "/MenuBar", "com.canonical.dbusmenu.Event", WAIT, id[0], "clicked", "<int32 0>", "0");
    }

    private static boolean up(TunnelLab net) {
        try {
            return net.cli().run("status", "--json").out().contains("\"name\":\"" + net.iface + "\"");
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void upAndDownFromTheMenuBringTheTunnelUpAndDown(NetnsLab lab) throws Exception {
        assumeTrue(PrivateSessionBus.available() && Files.isExecutable(Path.of("/usr/bin/gdbus")));
        TunnelLab net = TunnelLab.routed(lab);
        Path dir = Files.createTempDirectory(DaemonTesting.scratch(), "tray-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path configs = Files.createDirectory(dir.resolve("configs"));
        Files.setPosixFilePermissions(configs, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path config =
                Files.copy(net.config("per-prefix", "\"10.20.0.0/16\"", null), configs.resolve(net.iface + ".toml"));
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-------"));
        Process tray = null;
        try (PrivateSessionBus bus = PrivateSessionBus.start(true);
                FakeWatcher watcher = FakeWatcher.start(bus.address())) {
            Result daemon = net.cli()
                    .run(
                            "daemon",
                            "--launch-group",
                            Integer.toString(DaemonTesting.NOBODY),
                            "--config-dir",
                            configs.toString());
            assertEquals(0, daemon.exitCode(), daemon::toString);
            tray = DaemonTesting.Cli.nobody(net.instance)
                    .withEnvironment(Map.of("DBUS_SESSION_BUS_ADDRESS", bus.address()))
                    .start("tray", "--config-dir", configs.toString(), "--no-desktop-entries");
            Process running = tray;
            DaemonTesting.await("the tray's registration", () -> !watcher.items.isEmpty() || !running.isAlive());
            assertTrue(tray.isAlive(), "the tray exited");
            String item = watcher.items.getFirst();

            click(bus, item, "Up " + net.iface);
            DaemonTesting.await(net.iface + " up", () -> up(net));
            click(bus, item, "Down " + net.iface);
            DaemonTesting.await(net.iface + " down", () -> !up(net));

            click(bus, item, "Quit");
            assertTrue(tray.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS));
            Result quit = DaemonTesting.finish(tray);
            assertEquals(0, quit.exitCode(), quit::toString);
            assertEquals("", quit.err(), "no refusal, no failure");
        } finally {
            if (tray != null) {
                tray.destroyForcibly();
            }
            net.close();
            FileTrees.delete(dir);
        }
    }
}
