package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.control.ControlJson;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.client.daemon.DaemonTesting.Cli;
import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.client.lockdown.Lockdown;
import dev.wgpr.testing.FileTrees;
import dev.wgpr.testing.RequiresRoot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The locked-down daemon, as {@code wg-pr daemon} starts it, seen from outside through the kernel's
 * own reports ({@code /proc/PID/task/*}{@code /status}), through requests that make it touch files, and
 * through the apps it starts; and the same lockdown applied to a probe process that tries what the
 * daemon never would on request (writing anywhere).
 */
@RequiresRoot
class LockdownDaemonTest {
    /**
     * CAP_NET_BIND_SERVICE (10), CAP_NET_ADMIN (12), CAP_PERFMON (38), CAP_BPF (39), and CAP_DAC_OVERRIDE
     * (1) where the cgroup2 root is read-only for its owner (as on this test machine).
     */
    private static final long KEPT = (1L << 10) | (1L << 12) | (1L << 38) | (1L << 39) | dacOverride();

    private static long dacOverride() {
        try {
            return Lockdown.cgroup2RootIsReadOnlyForItsOwner() ? 1L << 1 : 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final String CONFIG = """
            [interface]
            name = "wgprt9"
            privateKey = "@OUR_PRIVATE_KEY@"
            address = ["10.79.0.2/32"]

            [[peer]]
            name = "gw"
            publicKey = "@PEER_KEY@"
            endpoint = "192.0.2.1:51820"
            allowedIPs = ["10.79.10.0/24"]

            [[peer.allowedApps]]
            name = "anything"
            """;

    private final Instance instance = DaemonTesting.uniqueInstance();
    private final Instance unlocked = DaemonTesting.uniqueInstance();
    private final List<Process> started = new ArrayList<>();
    private final List<Path> made = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (Process process : started) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
        DaemonTesting.cleanUp(instance);
        DaemonTesting.cleanUp(unlocked);
        for (Path path : made) {
            FileTrees.delete(path);
        }
    }

    private long startLockedDown() throws Exception {
        Result start = Cli.root(instance).run("daemon");
        assertEquals(0, start.exitCode(), start::toString);
        long pid = DaemonTesting.daemonPid(instance);
        assertTrue(pid > 0, "pid file written");
        return pid;
    }

    @Test
    void everyThreadOfTheDaemonHasNoNewPrivsAndOnlyTheFourCapabilitiesItNeeds() throws Exception {
        long pid = startLockedDown();

        List<Path> tasks;
        try (Stream<Path> list = Files.list(Path.of("/proc/" + pid + "/task"))) {
            tasks = list.toList();
        }
        assertTrue(tasks.size() > 5, "a JVM has many threads: " + tasks.size());
        for (Path task : tasks) {
            Map<String, String> status = status(task.resolve("status"));
            assertEquals("1", status.get("NoNewPrivs"), task::toString);
            assertEquals(KEPT, Long.parseUnsignedLong(status.get("CapEff"), 16), task + " CapEff");
            assertEquals(KEPT, Long.parseUnsignedLong(status.get("CapPrm"), 16), task + " CapPrm");
            assertEquals(KEPT, Long.parseUnsignedLong(status.get("CapBnd"), 16), task + " CapBnd");
            assertEquals(0, Long.parseUnsignedLong(status.get("CapAmb"), 16), task + " CapAmb");
        }
    }

    @Test
    void theDaemonCannotReadEtcShadowEvenWhenRootAsksItTo() throws Exception {
        startLockedDown();
        // The same request to a daemon started with --no-lockdown reads the file, and fails to parse it.
        Result control = Cli.root(unlocked).run("daemon", "--no-lockdown");
        assertEquals(
                "0",
                status(Path.of("/proc/" + DaemonTesting.daemonPid(unlocked) + "/status"))
                        .get("NoNewPrivs"));
        assertEquals(0, control.exitCode(), control::toString);

        String locked = upReply(instance, "/etc/shadow");
        String open = upReply(unlocked, "/etc/shadow");

        assertTrue(locked.contains("cannot read /etc/shadow"), locked);
        assertFalse(open.contains("cannot read"), "the unlocked daemon could read it: " + open);
    }

    @Test
    void anotherRootProcessWithoutCapSysPtraceCannotOpenTheDaemonsMemory() throws Exception {
        long pid = startLockedDown();
        // A control with the daemon's capabilities, but dumpable: the reader may open its memory, so a
        // denial for the daemon comes from the lockdown, not from the capability comparison.
        Process dumpable = new ProcessBuilder(
                        "setpriv",
                        "--bounding-set=-all,+net_bind_service,+net_admin,+perfmon,+bpf,+dac_override",
                        "--inh-caps=-all",
                        "--",
                        "sleep",
                        "60")
                .start();
        started.add(dumpable);
        Thread.sleep(200);

        // Same uid (root), every capability but CAP_SYS_PTRACE: what a compromised root service has.
        String locked = openAsRootWithoutPtrace("/proc/" + pid + "/mem");
        String ordinary = openAsRootWithoutPtrace("/proc/" + dumpable.pid() + "/mem");

        assertEquals("opened", ordinary, "the probe itself works on an ordinary process");
        assertTrue(locked.contains("Permission denied"), locked);
    }

    @Test
    void statusShowsTheLockdown() throws Exception {
        startLockedDown();

        Result status = Cli.root(instance).run("status", "--json");

        assertEquals(0, status.exitCode(), status::toString);
        assertTrue(status.out().contains("\"state\":\"locked down\""), status::toString);
        assertTrue(status.out().contains("\"noNewPrivs\":true"), status::toString);
        assertTrue(status.out().contains("\"dumpable\":false"), status::toString);
        assertTrue(
                status.out().contains("\"cap_net_bind_service\",\"cap_net_admin\",\"cap_perfmon\",\"cap_bpf\"]"),
                status::toString);
        assertFalse(status.out().contains("cap_sys_admin"), status::toString);
        assertTrue(status.out().contains("enforced on every thread"), status::toString);
        assertTrue(status.out().contains("\"core\":\"0/0\""), status::toString);
        // Its start-up rtnetlink dump (stale routes) still worked under the lockdown.
        assertFalse(status.out().contains("could not look for stale routes"), status::toString);
    }

    @Test
    void underTheDaemonsLockdownOnlyItsStateDirectoryIsWritableAndSecretsAreUnreadable() throws Exception {
        String tag = HexFormat.of()
                .formatHex(new byte[] {(byte) ThreadLocalRandom.current().nextInt()});
        Path inState = instance.runtimeDirectory().resolve("probe-" + tag);
        List<String> ops = List.of(
                "read:/etc/shadow",
                "read:/root/.bashrc",
                "write:/tmp/wgpr-lockdown-probe-" + tag,
                "write:/etc/wgpr-lockdown-probe-" + tag,
                "write:/root/wgpr-lockdown-probe-" + tag,
                "write:/run/wgpr-lockdown-probe-" + tag,
                "read:/etc/passwd",
                "write:" + inState,
                "tun:wgprlk" + tag);
        made.add(instance.runtimeDirectory());
        List<String> command = new ArrayList<>(List.of(
                // A network namespace of its own: the TUN device it makes is never on the host.
                "unshare",
                "--net",
                "--",
                DaemonTesting.JAVA.toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseSerialGC",
                "-cp",
                DaemonTesting.classPath(),
                "dev.wgpr.client.lockdown.LockdownProbe",
                "stage1",
                instance.name()));
        command.addAll(ops);

        Process probe = new ProcessBuilder(command).redirectErrorStream(true).start();
        started.add(probe);
        String out = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(probe.waitFor(60, TimeUnit.SECONDS), out);

        for (String denied : ops.subList(0, 6)) {
            assertTrue(out.contains(denied + ": denied (Permission denied)"), denied + " in:\n" + out);
        }
        for (String allowed : ops.subList(6, 9)) {
            assertTrue(out.contains(allowed + ": ok"), allowed + " in:\n" + out);
        }
        assertTrue(out.contains("CapEff:\t" + String.format("%016x", KEPT)), out);
        for (String dir : List.of("/tmp", "/etc", "/root", "/run")) {
            assertFalse(Files.exists(Path.of(dir, "wgpr-lockdown-probe-" + tag)));
        }
    }

    @Test
    void runThroughTheLockedDownDaemonStartsAnAppThatIsNotConfinedByIt() throws Exception {
        Path config = DaemonTesting.config("lockdown-launcher.toml", CONFIG);
        // A file outside everything the daemon may read; the app, running as nobody, may read it.
        Path secretDir = Files.createTempDirectory("wgpr-lockdown-outside-");
        made.add(secretDir);
        Files.setPosixFilePermissions(secretDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path outside = secretDir.resolve("outside.txt");
        Files.writeString(outside, "outside the daemon's view\n");
        Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rw-r--r--"));
        Process daemon = new ProcessBuilder(
                        DaemonTesting.JAVA.toString(),
                        "--enable-native-access=ALL-UNNAMED",
                        "-XX:+UseSerialGC",
                        "-cp",
                        DaemonTesting.classPath(),
                        LockedDownLauncherDaemon.class.getName(),
                        "stage1",
                        instance.name(),
                        Integer.toString(DaemonTesting.NOBODY),
                        config.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(Files.createTempFile(
                                DaemonTesting.scratch(), "lockdown-daemon-", ".log") // removed with the scratch
                        .toFile()))
                .start();
        started.add(daemon);
        awaitAnswer(instance, daemon);
        Path appCgroup = instance.cgroupSubtree(DaemonTesting.cgroup2()).resolve("anything");
        assertTrue(Files.isDirectory(appCgroup), "the locked-down daemon made the app cgroup");
        assertEquals("1", status(Path.of("/proc/" + daemon.pid() + "/status")).get("NoNewPrivs"));

        Result run = Cli.nobody(instance)
                .run(
                        "run",
                        "--app",
                        "anything",
                        "--",
                        "sh",
                        "-c",
                        "id -u; cat /proc/self/cgroup; cat " + outside + "; grep NoNewPrivs /proc/self/status");

        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().startsWith("65534\n"), run::toString);
        assertTrue(run.out().contains("0::/" + instance + "/anything\n"), run::toString);
        assertTrue(run.out().contains("outside the daemon's view"), "the app is outside the Landlock domain: " + run);
    }

    private static void awaitAnswer(Instance instance, Process daemon) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (Files.exists(instance.controlSocket())
                    && Cli.root(instance).run("status").exitCode() == 0
                    && Files.isDirectory(
                            instance.cgroupSubtree(DaemonTesting.cgroup2()).resolve("anything"))) {
                return;
            }
            assertTrue(daemon.isAlive(), "the locked-down daemon exited");
            Thread.sleep(100);
        }
        throw new AssertionError("the locked-down daemon did not come up");
    }

    private static String upReply(Instance instance, String config) throws IOException {
        try (UnixSocket socket = UnixSocket.connect(instance.controlSocket())) {
            socket.send(ControlJson.write(new Request.Up(config)));
            return socket.receive().line();
        }
    }

    private static String openAsRootWithoutPtrace(String file) throws Exception {
        Process process = new ProcessBuilder(
                        "setpriv",
                        "--bounding-set=-sys_ptrace",
                        "--inh-caps=-all",
                        "--",
                        "sh",
                        "-c",
                        "exec 3< \"$0\" && echo opened",
                        file)
                .redirectErrorStream(true)
                .start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        process.waitFor();
        return out;
    }

    private static Map<String, String> status(Path file) throws IOException {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                fields.put(line.substring(0, colon), line.substring(colon + 1).strip());
            }
        }
        return fields;
    }
}
