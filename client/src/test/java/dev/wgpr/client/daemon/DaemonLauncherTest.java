package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.config.TunnelConfig;
import dev.wgpr.client.daemon.DaemonTesting.Cli;
import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.enforcement.cgroup.ScratchCgroup;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.Namespace;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code wg-pr run} through a real daemon and a real CLI process running as {@code nobody}. The daemon
 * runs in this JVM so that the test can register the apps of a config without bringing a tunnel up
 * (their cgroups come from the real enforcement layer); everything the launcher does is the production
 * path.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class DaemonLauncherTest {
    private static final String CONFIG = """
            [interface]
            name = "wgprt1"
            privateKey = "@OUR_PRIVATE_KEY@"
            address = ["10.78.0.2/32"]

            [[peer]]
            name = "gw"
            publicKey = "@PEER_KEY@"
            endpoint = "192.0.2.1:51820"
            allowedIPs = ["10.78.10.0/24"]

            [[peer.allowedApps]]
            name = "anything"

            [[peer.allowedApps]]
            name = "cat"
            exec = "/usr/bin/cat"

            [[peer.allowedApps]]
            name = "pinned"
            exec = "/usr/bin/cat"
            sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
            """;

    private static final Instance instance = DaemonTesting.uniqueInstance();
    private static Daemon daemon;

    @BeforeAll
    static void startDaemon(NetnsLab lab) throws Exception {
        // nobody's primary group may launch; see callerOutsideTheLaunchGroupIsRefused. Started from a
        // thread in a lab namespace, so the enforcement it starts for the apps judges that namespace
        // only (its threads are born there too), never the machine's own traffic.
        Namespace ns = lab.namespace("launcher");
        daemon = ns.call(
                () -> Daemon.start(instance, new Daemon.Options(Integer.toString(DaemonTesting.NOBODY), List.of())));
        daemon.tunnels()
                .addWithoutNetwork(TunnelConfig.load(DaemonTesting.config("launcher.toml", CONFIG))
                        .config());
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.stop();
        }
        boolean appCgroupsLeft = Files.exists(instance.cgroupSubtree(DaemonTesting.cgroup2()));
        // Before the assertion: a test that failed with its app still running leaves the app cgroups, and
        // cleanUp ends the app and removes them.
        DaemonTesting.cleanUp(instance);
        assertFalse(appCgroupsLeft, "app cgroups removed at stop");
    }

    private static Cli nobody() {
        return Cli.nobody(instance);
    }

    @Test
    void theAppRunsAsTheCallerNotAsRoot() throws Exception {
        Result run = nobody().run("run", "--app", "anything", "--", "sh", "-c", "id -u; id -g; id -G");

        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("65534\n65534\n65534\n", run.out(), run::toString);
    }

    @Test
    void theAppIsInItsCgroupFromItsFirstInstruction() throws Exception {
        // cat's first and only action reads its own cgroup: it was there before it ran.
        Result run = nobody().run("run", "--app", "cat", "--", "cat", "/proc/self/cgroup");

        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().lines().anyMatch(line -> line.equals("0::/" + instance + "/cat")), run::toString);
    }

    @Test
    void theAppCgroupAcceptsProcessesFromRootOnly() throws Exception {
        Path procs =
                instance.cgroupSubtree(DaemonTesting.cgroup2()).resolve("cat").resolve("cgroup.procs");

        Result move = nobody().withStdin("").run("run", "--app", "anything", "--", "sh", "-c", "echo $$ > " + procs);

        assertTrue(move.exitCode() != 0, "nobody could move itself into another app's cgroup: " + move);
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(procs)));
    }

    /**
     * The real {@code wg-pr run}: the caller's session reaches the app (ssh keeps its agent), the loader's and
     * interpreters' variables (docs/run-environment.md) do not, nor the launcher's own, and PATH is the system's.
     */
    @Test
    void theAppGetsTheCallersEnvironmentButNotTheLoadersVariables() throws Exception {
        Map<String, String> environment = Map.of(
                "LD_PRELOAD", "/lib/x86_64-linux-gnu/libc.so.6",
                "LD_LIBRARY_PATH", "/tmp",
                "GCONV_PATH", "/tmp",
                "BASH_ENV", "/tmp/evil.sh",
                "PYTHONSTARTUP", "/tmp/evil.py",
                "WGPR_EXEC_PATH", "/tmp/evil",
                "SSH_AUTH_SOCK", "/run/user/65534/ssh-agent.sock",
                "MY_PROJECT_SETTING", "kept as it is",
                "LANG", "C.UTF-8",
                "PATH", "/usr/bin:/bin:.:relative");

        Result run = nobody().withEnvironment(environment).run("run", "--app", "anything", "--", "env");

        assertEquals(0, run.exitCode(), run::toString);
        for (String denied :
                List.of("LD_PRELOAD", "LD_LIBRARY_PATH", "GCONV_PATH", "BASH_ENV", "PYTHONSTARTUP", "WGPR_EXEC_PATH")) {
            assertFalse(run.out().contains(denied + "="), denied + " reached the app: " + run);
        }
        assertTrue(run.out().contains("SSH_AUTH_SOCK=/run/user/65534/ssh-agent.sock\n"), run::toString);
        assertTrue(run.out().contains("MY_PROJECT_SETTING=kept as it is\n"), run::toString);
        assertTrue(run.out().contains("LANG=C.UTF-8\n"), run::toString);
        assertTrue(
                run.out().contains("PATH=/usr/local/bin:/usr/bin:/bin\n"), "the safe PATH, not the caller's: " + run);
    }

    @Test
    void stdinAndStdoutPassThrough() throws Exception {
        Result run = nobody().withStdin("hello through the daemon\n").run("run", "--app", "cat", "--", "cat");

        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("hello through the daemon\n", run.out());
    }

    @Test
    void stderrPassesThrough() throws Exception {
        Result run = nobody().run("run", "--app", "anything", "--", "sh", "-c", "echo to-stderr >&2");

        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.err().contains("to-stderr"), run::toString);
    }

    @Test
    void theExitStatusPassesThrough() throws Exception {
        Result run = nobody().run("run", "--app", "anything", "--", "sh", "-c", "exit 42");

        assertEquals(42, run.exitCode(), run::toString);
    }

    /**
     * {@code wg-pr run} as {@code cli} runs it, under {@code wrapper} (none: empty), of an app that prints
     * "ready", then runs until SIGTERM ends it with {@code status}.
     */
    private static Process runningAppThatExitsOnSigterm(int status, Cli cli, List<String> wrapper) throws Exception {
        Process run = cli.startUnder(
                wrapper,
                "run",
                "--app",
                "anything",
                "--",
                "sh",
                "-c",
                "trap 'echo got-term; exit " + status + "' TERM; echo ready; while :; do sleep 0.1; done");
        DaemonTesting.awaitOutput(run, "ready", Duration.ofSeconds(30));
        return run;
    }

    @Test
    void sigtermToTheCliReachesTheApp() throws Exception {
        Process cli = runningAppThatExitsOnSigterm(7, nobody(), List.of());

        cli.destroy(); // SIGTERM to the CLI only

        Result result = DaemonTesting.finish(cli);
        assertTrue(result.out().contains("got-term"), result::toString);
        assertEquals(7, result.exitCode(), result::toString);
    }

    @Test
    void aSigtermThatComesWhileTheCliExecsItsWaiterReachesTheApp() throws Exception {
        // strace holds the exec of the waiter's perl, and traces nothing else: the TERM comes while the
        // JVM's other threads still run, where one of its own handlers would take it and end with the exec.
        List<String> holdingTheWaitersExec = straceOfTheWaitersExec(
                "/dev/null", "delay_enter=" + Duration.ofSeconds(3).toNanos() / 1000);
        Process strace = runningAppThatExitsOnSigterm(7, nobody().runInItsJvm(), holdingTheWaitersExec);
        ProcessHandle cli = strace.toHandle().children().findFirst().orElseThrow();
        DaemonTesting.await("a thread of the CLI in execve", () -> threadInSyscall(cli.pid(), EXECVE));

        cli.destroy(); // SIGTERM to the CLI only
        assertTrue(threadInSyscall(cli.pid(), EXECVE), "the TERM came after the exec");

        Result result = DaemonTesting.finish(strace);
        assertTrue(result.out().contains("got-term"), result::toString);
        assertEquals(7, result.exitCode(), result::toString);
    }

    @Test
    void aSigtermReachesTheAppWhenTheCliCannotExecItsWaiter() throws Exception {
        // strace fails the exec of the waiter's perl (and traces nothing else): the JVM, which blocked the
        // signals for the exec, must take them again and forward them itself.
        Path trace = Files.createTempFile(DaemonTesting.scratch(), "strace-", ".txt");
        List<String> failingTheWaitersExec = straceOfTheWaitersExec(trace.toString(), "error=ENOENT");
        Process strace = runningAppThatExitsOnSigterm(7, nobody().runInItsJvm(), failingTheWaitersExec);
        ProcessHandle cli = strace.toHandle().children().findFirst().orElseThrow();
        DaemonTesting.await(
                "the CLI's try to exec its waiter",
                () -> Files.readString(trace).contains("(INJECTED)"));

        cli.destroy(); // SIGTERM to the CLI only

        Result result = DaemonTesting.finish(strace);
        assertTrue(result.out().contains("got-term"), result::toString);
        assertEquals(7, result.exitCode(), result::toString);
        Files.delete(trace);
    }

    private static final String EXECVE = "59"; // x86-64

    /**
     * strace running the rest of its arguments and tampering with the exec of the waiter's perl alone, as
     * {@code injection} says (strace's {@code -e inject=execve:INJECTION}); its log in {@code log}.
     */
    private static List<String> straceOfTheWaitersExec(String log, String injection) {
        return List.of(
                "strace",
                "-f",
                "-qq",
                "-o",
                log,
                "-P",
                "/usr/bin/perl",
                "-e",
                "trace=execve",
                "-e",
                "inject=execve:" + injection);
    }

    /** Whether a thread of {@code pid} is in system call {@code number} (its /proc/PID/task/TID/syscall). */
    private static boolean threadInSyscall(long pid, String number) throws Exception {
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                try {
                    if (Files.readString(task.resolve("syscall")).startsWith(number + " ")) {
                        return true;
                    }
                } catch (java.io.IOException e) {
                    // the thread ended meanwhile
                }
            }
        }
        return false;
    }

    @Test
    void aCommandThatIsNotTheAppsExecIsRefused() throws Exception {
        Result run = nobody().run("run", "--app", "cat", "--", "id");

        assertEquals(126, run.exitCode(), run::toString);
        assertTrue(run.err().contains("is not app cat's exec /usr/bin/cat"), run::toString);
        assertEquals("", run.out());
    }

    @Test
    void aBinaryWhoseSha256DiffersIsRefused() throws Exception {
        Result run = nobody().run("run", "--app", "pinned", "--", "cat", "/etc/hostname");

        assertEquals(126, run.exitCode(), run::toString);
        assertTrue(run.err().contains("not app pinned's 0000"), run::toString);
        assertEquals("", run.out());
    }

    @Test
    void aCommandThatDoesNotExistIsReportedAs127() throws Exception {
        Result run = nobody().run("run", "--app", "anything", "--", "no-such-command-wgpr");

        assertEquals(127, run.exitCode(), run::toString);
        assertTrue(run.err().contains("command not found"), run::toString);
    }

    @Test
    void anUnknownAppIsRefused() throws Exception {
        Result run = nobody().run("run", "--app", "nope", "--", "true");

        assertEquals(126, run.exitCode(), run::toString);
        assertTrue(run.err().contains("has an app named nope"), run::toString);
    }

    @Test
    void aCallerOutsideTheLaunchGroupIsRefused() throws Exception {
        Result run = nobody().as(DaemonTesting.NOBODY, 1).run("run", "--app", "anything", "--", "true");

        assertEquals(126, run.exitCode(), run::toString);
        assertTrue(run.err().contains("may not start apps"), run::toString);
    }

    @Test
    void anAppMovedOutOfItsCgroupLosesItsGrantsAndStatusAndEventsSaySo() throws Exception {
        ScratchCgroup elsewhere = ScratchCgroup.create(DaemonTesting.cgroup2(), "wgpr-escape");
        Process cli =
                nobody().start("run", "--app", "anything", "--", "sh", "-c", "echo ready; while :; do sleep 0.1; done");
        try {
            DaemonTesting.awaitOutput(cli, "ready", Duration.ofSeconds(30));
            String before = Cli.root(instance).run("status").out();
            Matcher running =
                    Pattern.compile("running: pid (\\d+) app anything").matcher(before);
            assertTrue(running.find(), before);
            String pid = running.group(1);
            assertFalse(before.contains("left its app cgroup"), before);

            // As systemd-run --scope or flatpak run do: the launched process itself, moved elsewhere.
            Files.writeString(elsewhere.path().resolve("cgroup.procs"), pid);

            String where = "/" + DaemonTesting.cgroup2().relativize(elsewhere.path());
            Result status = nobody().run("status");
            assertTrue(
                    status.out()
                            .contains("anything (pid " + pid + ") left its app cgroup for " + where
                                    + "; it no longer has the app's grants; launch it with `wg-pr run --app anything"),
                    status::toString);
            Result events = Cli.root(instance).run("events"); // deny events are root's to read
            assertTrue(
                    events.out()
                            .lines()
                            .anyMatch(line -> line.contains("pid " + pid + " (sh) uid 65534 app anything:"
                                    + " denied from now on, anything (pid " + pid + ") left its app cgroup for "
                                    + where)),
                    events::toString);
            Thread.sleep(1500); // the once-a-second look ran again, and status looked again
            nobody().run("status");
            assertEquals(
                    1,
                    Cli.root(instance)
                            .run("events")
                            .out()
                            .lines()
                            .filter(line -> line.contains("pid " + pid + " ") && line.contains("left its app cgroup"))
                            .count(),
                    "told once per move");
        } finally {
            cli.destroy(); // SIGTERM reaches the app where it is now: it ends, and the scratch cgroup empties
            DaemonTesting.finish(cli);
            removeOnceEmpty(elsewhere);
        }
    }

    private static void removeOnceEmpty(ScratchCgroup cgroup) throws Exception {
        for (int attempt = 0; ; attempt++) {
            try {
                cgroup.close();
                return;
            } catch (java.nio.file.FileSystemException e) {
                if (attempt == 50) {
                    throw e;
                }
                Thread.sleep(100); // the loop's last sleep still ends
            }
        }
    }

    @Test
    void statusListsTheAppsAndTheirCgroups() throws Exception {
        Result status = nobody().run("status");

        assertEquals(0, status.exitCode(), status::toString);
        assertTrue(status.out().contains("app cat (peer gw)"), status::toString);
        assertTrue(
                status.out()
                        .contains(instance.cgroupSubtree(DaemonTesting.cgroup2())
                                .resolve("cat")
                                .toString()),
                status::toString);
    }
}
