package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.control.Json;
import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Borrowing an app's access by taking over its process (ptrace attach, writing {@code /proc/PID/mem},
 * {@code process_vm_writev}, {@code pidfd_getfd}), tried against an app nobody started with {@code
 * wg-pr run} under the daemon {@code wg-pr up} started: by another process of nobody's outside the app's
 * cgroup, and by another uid. What the same user achieves depends on the kernel (the borrow guard where
 * BPF LSM programs run, else Yama's ptrace_scope, else nothing); what {@code status} and {@code doctor}
 * say must be what happens. Another uid is refused on every kernel.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class SameUserBorrowingTest {
    private static final int OTHER_UID = 65533;
    private static final List<String> VECTORS =
            List.of("ptrace-seize", "proc-pid-mem", "process-vm-writev", "pidfd-getfd");

    private static TunnelLab net;
    private static Path attack;

    @BeforeAll
    static void upWithAnAppNobodyMayRun(NetnsLab lab) throws Exception {
        attack = DaemonTesting.scratch().resolve("borrow.py");
        try (InputStream script = SameUserBorrowingTest.class.getResourceAsStream("borrow.py")) {
            Files.write(attack, script.readAllBytes());
        }
        Files.setPosixFilePermissions(attack, PosixFilePermissions.fromString("rwxr-xr-x"));
        net = TunnelLab.routed(lab);
        Path config = net.config("per-prefix", "\"10.20.0.0/16\"", null);
        Result daemon = net.cli()
                .run(
                        "daemon",
                        "--launch-group",
                        Integer.toString(DaemonTesting.NOBODY),
                        "--config-dir",
                        config.getParent().toString());
        assertEquals(0, daemon.exitCode(), daemon::toString);
        Result up = net.up(config);
        assertEquals(0, up.exitCode(), up::toString);
    }

    @AfterAll
    static void down() throws Exception {
        if (net != null) {
            net.close();
        }
    }

    @Test
    void whatStatusAndDoctorSayAboutBorrowingIsWhatASameUserProcessAchievesAndAnotherUidIsRefused() throws Exception {
        Process app = DaemonTesting.Cli.nobody(net.instance)
                .inNetns(net.client.name())
                .start("run", "--app", "probe", "--", "sleep", "120");
        try {
            long pid = runningAppPid();
            assertTrue(
                    Files.readString(Path.of("/proc/" + pid + "/cgroup"))
                            .contains("/" + net.instance.name() + "/probe"),
                    "the attacked process is in the app's cgroup");

            Map<String, String> sameUser = attack(DaemonTesting.NOBODY, pid);
            Map<String, String> otherUid = attack(OTHER_UID, pid);
            Map<String, Object> status =
                    Json.parseObject(net.cli().run("status", "--json").out());
            Result text = net.cli().run("status");
            Result doctor = net.cli().run("doctor");

            String borrowing = text.out()
                    .lines()
                    .filter(line -> line.startsWith("  borrowing "))
                    .map(line -> line.substring("  borrowing".length()).strip())
                    .findFirst()
                    .orElseThrow(() -> new AssertionError(text.toString()));
            Map<?, ?> guard = (Map<?, ?>) ((Map<?, ?>) status.get("enforcement")).get("borrowGuard");
            String doctorLine = doctor.out()
                    .lines()
                    .filter(line -> line.contains(" borrowing: "))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError(doctor.toString()));
            assertTrue(text.out().contains("borrowing     " + borrowing), text::toString);
            for (String vector : VECTORS) {
                assertTrue(otherUid.get(vector).startsWith("refused"), vector + " by another uid: " + otherUid);
            }
            if (borrowing.startsWith("none")) {
                // This machine's kernel: BPF LSM programs refused, no Yama. Said, and true.
                assertEquals(false, guard.get("attached"), status::toString);
                assertTrue(
                        borrowing.endsWith(
                                "open: ptrace, /proc/PID/mem, process_vm_writev, pidfd_getfd by processes of the same user"),
                        borrowing);
                assertTrue(doctorLine.startsWith("WARN") && doctorLine.contains(borrowing), doctorLine);
                for (String vector : VECTORS) {
                    assertTrue(sameUser.get(vector).startsWith("allowed"), vector + " by the same user: " + sameUser);
                }
            } else {
                // The borrow guard or Yama: every vector refused to the same user, and the refusals counted.
                assertTrue(doctorLine.startsWith("OK"), doctorLine);
                for (String vector : VECTORS) {
                    assertTrue(sameUser.get(vector).startsWith("refused"), vector + " by the same user: " + sameUser);
                }
                if (Boolean.TRUE.equals(guard.get("attached"))) {
                    assertTrue(borrowing.startsWith("BPF LSM program"), borrowing);
                    assertTrue(((Number) guard.get("refused")).longValue() >= VECTORS.size(), guard.toString());
                }
            }
            assertTrue(app.isAlive(), "the app survived what was tried on it");
        } finally {
            app.destroy(); // the CLI forwards SIGTERM to its app
            if (!app.waitFor(20, TimeUnit.SECONDS)) {
                app.destroyForcibly();
            }
        }
    }

    /** Runs the four vectors as {@code uid} against {@code pid}: vector -> "allowed …" or "refused …". */
    private static Map<String, String> attack(int uid, long pid) throws Exception {
        Process process = new ProcessBuilder(
                        "setpriv",
                        "--reuid=" + uid,
                        "--regid=" + DaemonTesting.NOBODY,
                        "--clear-groups",
                        "--",
                        "/usr/bin/python3",
                        attack.toString(),
                        Long.toString(pid))
                .redirectErrorStream(true)
                .start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), out);
        Map<String, String> outcomes = new LinkedHashMap<>();
        out.lines().map(line -> line.split(" ", 2)).forEach(parts -> outcomes.put(parts[0], parts[1]));
        assertEquals(VECTORS, List.copyOf(outcomes.keySet()), out);
        return outcomes;
    }

    /** The pid of the one running app, as root's status lists it (within ten seconds). */
    private static long runningAppPid() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            List<?> running = (List<?>)
                    Json.parseObject(net.cli().run("status", "--json").out()).get("running");
            if (running.size() == 1) {
                return ((Number) ((Map<?, ?>) running.getFirst()).get("pid")).longValue();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the app is not running: " + running);
            }
            Thread.sleep(100);
        }
    }
}
