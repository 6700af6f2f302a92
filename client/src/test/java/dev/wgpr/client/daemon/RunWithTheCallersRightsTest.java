package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.cli.Main;
import dev.wgpr.client.control.Json;
import dev.wgpr.client.daemon.DaemonTesting.Cli;
import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.testing.FileTrees;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code wg-pr run} against the daemon as {@code wg-pr up} starts it (locked down, apps started by its
 * launch helper), tried by unprivileged callers the way an attacker would: the command is opened with
 * the caller's rights, never root's, and nothing about a file the caller cannot read comes back; the
 * helper cannot be given a terminal or hung up; the app inherits no descriptor and no {@code PATH};
 * {@code status} shows a caller only its own apps.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class RunWithTheCallersRightsTest {
    /** A second unprivileged uid (no passwd entry needed), in the launch group 65534 like nobody. */
    private static final int OTHER_UID = 65533;

    private static TunnelLab net;

    @BeforeAll
    static void upWithNobodyInTheLaunchGroup(NetnsLab lab) throws Exception {
        net = TunnelLab.routed(lab);
        Path config = net.config("per-prefix", "\"10.20.0.0/16\"", null);
        Files.writeString(config, """

                [[peer.allowedApps]]
                name = "pinned"
                sha256 = "%s"

                [[peer.allowedApps]]
                name = "cat"
                exec = "/usr/bin/cat"
                """.formatted(sha256(Path.of("/usr/bin/cat"))), StandardOpenOption.APPEND);
        net.upWithNobodyInTheLaunchGroup(config);
    }

    @AfterAll
    static void down() throws Exception {
        if (net != null) {
            net.close();
        }
    }

    private static Cli nobody() {
        return net.nobody();
    }

    /** {@code wg-pr run --app probe -- COMMAND…} as nobody. */
    private static Result runProbe(String... command) throws Exception {
        List<String> args = new ArrayList<>(List.of("run", "--app", "probe", "--"));
        args.addAll(List.of(command));
        return nobody().run(args.toArray(String[]::new));
    }

    @Test
    void theCallersTerminalRacedIntoTheCommandPathNeverBecomesTheHelpersControllingTerminal() throws Exception {
        long helper = helperPid();
        Path dir = Files.createTempDirectory(DaemonTesting.scratch(), "race-");
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
            Path link = dir.resolve("cmd");
            // As the attacker did, in a terminal of its own: the command is a symlink to the caller's
            // pty, first plainly, then flipping between a regular file and the pty during launches.
            // Then the terminal closes, which once hung up the helper that had made it its own.
            Result run = inTerminal("""
                    t=$(tty)
                    ln -sfn "$t" %1$s
                    wgpr run --app probe -- %1$s
                    echo "plain exit $?"
                    (while :; do ln -sfn /usr/bin/true %1$s; ln -sfn "$t" %1$s; done) &
                    for i in 1 2 3 4 5 6; do wgpr run --app probe -- %1$s; done
                    kill $!
                    """.formatted(link));

            assertTrue(run.out().contains("not a regular file opened for reading that you may execute"), run::toString);
            assertTrue(run.out().contains("plain exit 126"), run::toString);
            assertEquals(0, ttyOf(helper), "the helper has no controlling terminal");
            assertTrue(ProcessHandle.of(helper).isPresent(), "the helper survives the terminal's end");
            assertLaunchesStillWork();
        } finally {
            FileTrees.delete(dir);
        }
    }

    @Test
    void aFifoAsTheCommandIsRefusedWithoutBlocking() throws Exception {
        Path fifo = DaemonTesting.scratch().resolve("fifo-" + System.nanoTime());
        assertEquals(
                0,
                new ProcessBuilder("mkfifo", "-m", "0777", fifo.toString())
                        .start()
                        .waitFor());
        try {
            long started = System.nanoTime();
            Result run = runProbe(fifo.toString());

            assertEquals(126, run.exitCode(), run::toString);
            assertTrue(run.err().contains("not a regular file opened for reading"), run::toString);
            assertTrue(Duration.ofNanos(System.nanoTime() - started).toSeconds() < 20, "no open blocked");
            assertLaunchesStillWork();
        } finally {
            Files.deleteIfExists(fifo);
        }
    }

    @Test
    void anUnreadableFileIsRefusedForAPinnedAppWithoutItsDigest() throws Exception {
        String shadowDigest = sha256(Path.of("/etc/shadow"));

        Result viaCli = nobody().run("run", "--app", "pinned", "--", "/etc/shadow");
        // An attacker's own client sends /etc/shadow opened with O_PATH, which needs no read permission.
        Result raw = asNobody(RawRunRequest.class, net.instance.name(), "pinned", "/etc/shadow");

        assertEquals(126, viaCli.exitCode(), viaCli::toString);
        assertEquals(0, raw.exitCode(), raw::toString);
        assertTrue(raw.out().contains("not a regular file opened for reading"), raw::toString);
        for (Result result : List.of(viaCli, raw)) {
            assertFalse(result.toString().contains(shadowDigest), result::toString);
            assertFalse(result.toString().contains("sha256"), result::toString);
        }
        // The control: the pinned binary itself runs, hashed through the caller's descriptor.
        Result cat = nobody().withStdin("pinned ok\n").run("run", "--app", "pinned", "--", "cat");
        assertEquals(0, cat.exitCode(), cat::toString);
        assertEquals("pinned ok\n", cat.out());
    }

    @Test
    void anotherBinaryMountedOverTheAppsExecInTheCallersOwnNamespaceIsRefused() throws Exception {
        // The caller's descriptor may come from a mount namespace of its own (an unprivileged user
        // namespace), where another binary shows the exec's path: the check compares files, not paths.
        List<String> command = new ArrayList<>(
                List.of("unshare", "-Urm", "sh", "-c", "mount --bind /usr/bin/id /usr/bin/cat && exec \"$@\"", "sh"));
        command.addAll(javaCommand(
                Main.class, "--instance", net.instance.name(), "run", "--app", "cat", "--", "/usr/bin/cat"));

        Result run = asNobody(command);

        assertEquals(126, run.exitCode(), run::toString);
        assertTrue(run.err().contains("is not app cat's exec /usr/bin/cat"), run::toString);
        assertFalse(run.out().contains("uid="), run::toString);
    }

    @Test
    void aFileInADirectoryTheCallerCannotSearchIsRefusedLikeAMissingOne() throws Exception {
        Path hidden = Files.createTempDirectory(DaemonTesting.scratch(), "root-only-");
        try {
            Files.setPosixFilePermissions(hidden, PosixFilePermissions.fromString("rwx------"));
            Files.copy(Path.of("/usr/bin/true"), hidden.resolve("present"));
            Files.setPosixFilePermissions(hidden.resolve("present"), PosixFilePermissions.fromString("rwxr-xr-x"));

            Result present = runProbe(hidden.resolve("present").toString());
            Result missing = runProbe(hidden.resolve("missing").toString());

            assertEquals(126, present.exitCode(), present::toString);
            assertEquals(missing.exitCode(), present.exitCode(), missing::toString);
            assertEquals(missing.err().replace("missing", "X"), present.err().replace("present", "X"));
        } finally {
            FileTrees.delete(hidden);
        }
    }

    @Test
    void theAppHasNoDescriptorButItsStdio() throws Exception {
        // sh is the app; ls, its child, lists the app's descriptors.
        Result run = runProbe("sh", "-c", "ls /proc/$$/fd; true");

        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("0\n1\n2\n", run.out(), run::toString);
    }

    @Test
    void aScriptStillRunsThroughItsInterpreter() throws Exception {
        Path script = Files.createTempFile(DaemonTesting.scratch(), "script-", ".sh");
        try {
            Files.writeString(script, "#!/bin/sh\necho \"script ran: $1\"\n");
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));

            Result run = runProbe(script.toString(), "argument");

            assertEquals(0, run.exitCode(), run::toString);
            assertEquals("script ran: argument\n", run.out(), run::toString);
        } finally {
            Files.deleteIfExists(script);
        }
    }

    @Test
    void theAppKeepsTheCallersArgvAndIsNamedAfterItsProgramOnEveryKernel() throws Exception {
        Result run = runProbe("cat", "/proc/self/cmdline", "/proc/self/comm");

        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().startsWith("cat\0/proc/self/cmdline\0"), "argv[0] is the caller's: " + run);
        assertTrue(run.out().endsWith("\0cat\n"), "comm is the program's name, not \"3\": " + run);
    }

    @Test
    void thePathInsideTheAppIsTheSafeDefaultNotTheCallers() throws Exception {
        Path callersBin = Files.createTempDirectory(DaemonTesting.scratch(), "callers-bin-");
        try {
            Files.setPosixFilePermissions(callersBin, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.writeString(callersBin.resolve("id"), "#!/bin/sh\necho the-callers-id\n");
            Files.setPosixFilePermissions(callersBin.resolve("id"), PosixFilePermissions.fromString("rwxr-xr-x"));

            Result run = nobody().withEnvironment(Map.of("PATH", callersBin + ":/usr/bin:/bin"))
                    .run("run", "--app", "probe", "--", "sh", "-c", "echo \"$PATH\"; id -u");

            assertEquals(0, run.exitCode(), run::toString);
            assertEquals("/usr/local/bin:/usr/bin:/bin\n65534\n", run.out(), run::toString);
        } finally {
            FileTrees.delete(callersBin);
        }
    }

    /**
     * The attacker: any local user, reading every process's arguments ({@code /proc/PID/cmdline}) while a
     * user starts an app, for the secrets in that user's variables. strace on the launch helper records the
     * arguments of every exec on the way to the app, so the test sees each step, not what a race samples
     * (envp is left out of its lines: only the arguments are for all to read).
     */
    @Test
    void theCallersVariablesAreInNoArgumentsOfAnyStepOnTheWayToTheApp() throws Exception {
        String secret = "s3cret-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(8));
        Path execs = Files.createTempFile(DaemonTesting.scratch(), "launch-execs-", ".txt");
        long helper = helperPid();
        Process strace = new ProcessBuilder(
                        "strace",
                        "-f",
                        "-qq",
                        "-s",
                        "65536",
                        "-e",
                        "trace=execve,execveat",
                        "-e",
                        "signal=none",
                        "-o",
                        execs.toString(),
                        "-p",
                        Long.toString(helper))
                .redirectErrorStream(true)
                .start();
        try {
            DaemonTesting.await(
                    "strace attached to the launch helper",
                    () -> procStatus(helper).get("TracerPid").equals(Long.toString(strace.pid())));

            Result run = nobody().withEnvironment(Map.of("API_TOKEN", secret))
                    .run("run", "--app", "probe", "--", "sh", "-c", "echo \"$API_TOKEN\"");

            assertEquals(0, run.exitCode(), run::toString);
            assertEquals(secret + "\n", run.out(), "the app has the caller's variable");
        } finally {
            strace.destroy();
            strace.waitFor();
        }
        String seen = Files.readString(execs);
        assertTrue(seen.contains("/usr/bin/setpriv"), "strace saw the launch's steps:\n" + seen);
        assertFalse(seen.contains(secret), "a step had the caller's variable among its arguments:\n" + seen);
    }

    @Test
    void theHelperIgnoresHangupsAndTheAppIgnoresNoSignal() throws Exception {
        long helper = helperPid();

        net.client.run("kill", "-HUP", Long.toString(helper));
        Thread.sleep(200);

        assertTrue(ProcessHandle.of(helper).isPresent(), "SIGHUP did not end the helper");
        long ignored = Long.parseLong(procStatus(helper).get("SigIgn"), 16);
        for (int signal : new int[] {1, 21, 22}) { // SIGHUP, SIGTTIN, SIGTTOU
            assertTrue((ignored & (1L << (signal - 1))) != 0, "signal " + signal + " ignored: " + ignored);
        }
        Result app = runProbe("grep", "SigIgn", "/proc/self/status");
        assertEquals(0, app.exitCode(), app::toString);
        // Signals 1 to 31 at their defaults. (glibc's posix_spawn leaves its own two internal
        // signals, 32 and 33, ignored, and no glibc program can change them; glibc installs its own
        // handlers for them when it needs them.)
        long appIgnores = Long.parseLong(app.out().strip().split("\t")[1], 16);
        assertEquals(0, appIgnores & 0x7fffffffL, app::toString);
    }

    @Test
    void statusShowsANonRootCallerOnlyItsOwnApps() throws Exception {
        List<Process> apps = new ArrayList<>();
        try {
            apps.add(net.cli().start("run", "--app", "probe", "--", "sleep", "120"));
            apps.add(nobody().as(OTHER_UID, DaemonTesting.NOBODY).start("run", "--app", "probe", "--", "sleep", "120"));
            apps.add(nobody().start("run", "--app", "probe", "--", "sleep", "120"));
            awaitRunning(3);

            Result text = nobody().run("status");
            Result json = nobody().run("status", "--json");

            assertEquals(0, text.exitCode(), text::toString);
            List<String> running =
                    text.out().lines().filter(l -> l.startsWith("running:")).toList();
            assertEquals(1, running.size(), text::toString);
            assertTrue(running.getFirst().contains("uid 65534"), text::toString);
            List<?> listed = (List<?>) Json.parseObject(json.out()).get("running");
            assertEquals(1, listed.size(), json::toString);
            assertEquals(65534L, ((Map<?, ?>) listed.getFirst()).get("uid"), json::toString);
        } finally {
            for (Process app : apps) {
                app.destroy(); // the CLI forwards SIGTERM to its app
                if (!app.waitFor(20, TimeUnit.SECONDS)) {
                    app.destroyForcibly();
                }
            }
        }
    }

    @Test
    void theProcessBesideARunningAppIsASmallWaiterThatForwardsSignalsAndReportsTheStatus() throws Exception {
        Process run = nobody().start("run", "--app", "probe", "--", "sleep", "120");
        try {
            awaitRunning(1);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!procStatus(run.pid()).get("Name").equals("wg-pr run (wait")) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no waiter: " + procStatus(run.pid()));
                }
                Thread.sleep(100);
            }
            long rssKiB = Long.parseLong(procStatus(run.pid()).get("VmRSS").split(" ")[0]);
            assertTrue(rssKiB <= 24 * 1024, "the waiter's RSS, KiB: " + rssKiB);

            run.destroy(); // SIGTERM, which the waiter forwards to the app

            assertTrue(run.waitFor(20, TimeUnit.SECONDS));
            assertEquals(128 + 15, run.exitValue(), "the app's status: ended by the SIGTERM forwarded to it");
        } finally {
            run.destroyForcibly();
        }
    }

    /** Root's status lists {@code count} running apps (within ten seconds). */
    private static void awaitRunning(int count) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            Result status = net.cli().run("status", "--json");
            if (((List<?>) Json.parseObject(status.out()).get("running")).size() == count) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not " + count + " apps running: " + status);
            }
            Thread.sleep(100);
        }
    }

    private static void assertLaunchesStillWork() throws Exception {
        Result later = runProbe("echo", "still launching");
        assertEquals(0, later.exitCode(), later::toString);
        assertEquals("still launching\n", later.out());
    }

    /** The launch helper: the daemon's child running {@link LaunchHelper}. */
    private static long helperPid() {
        return ProcessHandle.of(DaemonTesting.daemonPid(net.instance))
                .orElseThrow()
                .children()
                .filter(child -> child.info().commandLine().orElse("").contains(LaunchHelper.class.getName()))
                .findFirst()
                .orElseThrow()
                .pid();
    }

    /** Field 7 of /proc/PID/stat: the controlling terminal's device number, 0 for none. */
    private static long ttyOf(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[4]);
    }

    private static Map<String, String> procStatus(long pid) throws Exception {
        Map<String, String> fields = new HashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            String[] parts = line.split(":\\s*", 2);
            fields.put(parts[0], parts.length > 1 ? parts[1] : "");
        }
        return fields;
    }

    /**
     * {@code script} (shell code) as nobody in a new pseudo-terminal of its own ({@code script(1)}),
     * with {@code wgpr} a function running this instance's CLI; the output is the terminal's.
     */
    private static Result inTerminal(String script) throws Exception {
        StringBuilder wgpr = new StringBuilder("wgpr() {");
        for (String word : javaCommand(Main.class, "--instance", net.instance.name())) {
            wgpr.append(" '").append(word).append('\'');
        }
        wgpr.append(" \"$@\"; }\n");
        return asNobody(List.of("script", "-qec", wgpr + script, "/dev/null"));
    }

    /** {@code java MAIN ARGS} as nobody in the client namespace. */
    private static Result asNobody(Class<?> main, String... args) throws Exception {
        return asNobody(javaCommand(main, args));
    }

    private static List<String> javaCommand(Class<?> main, String... args) throws IOException {
        return TunnelLab.javaCommand(main, args);
    }

    private static Result asNobody(List<String> command) throws Exception {
        return net.asNobody(command, Duration.ofMinutes(1));
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
