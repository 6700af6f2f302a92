package dev.wgpr.client.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.TestPaths;
import dev.wgpr.client.daemon.Instance;
import dev.wgpr.client.lockdown.Capabilities;
import dev.wgpr.client.lockdown.Lockdown;
import dev.wgpr.client.lockdown.LockdownPlan;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The units in packaging/systemd pass {@code systemd-analyze verify} without a warning (it exits 0 even
 * for an unknown {@code Type=}, so its stderr must be empty too), and {@code systemd-analyze security}
 * rates the daemon's unit at most {@value #DAEMON_EXPOSURE_LIMIT}. {@code /usr/bin/wg-pr} is
 * replaced by the repository's launcher, which verify requires to exist; ./dev.sh installs systemd-analyze.
 */
class SystemdUnitsTest {
    private static final Path ANALYZE = Path.of("/usr/bin/systemd-analyze");
    private static final double DAEMON_EXPOSURE_LIMIT = 5.0;
    private static final Pattern OVERALL = Pattern.compile("Overall exposure level for (\\S+): ([0-9.]+) ");

    @Test
    void theDaemonAndTunnelUnitsVerifyCleanly(@TempDir Path dir) throws Exception {
        List<String> units = installUnits(dir);
        List<String> command = new ArrayList<>(List.of(ANALYZE.toString(), "verify", "--man=no"));
        command.addAll(units);
        Result verify = run(dir, command);
        assertEquals(0, verify.status(), verify.err());
        assertEquals("", verify.err().strip(), "no warnings");
        String daemon = Files.readString(dir.resolve("wg-pr.service"));
        assertTrue(daemon.contains("\nType=notify\n") && daemon.contains("\nNotifyAccess=main\n"), daemon);
    }

    @Test
    void theDaemonsUnitIsRatedAtMostFiveBySystemdAnalyzeSecurity(@TempDir Path dir) throws Exception {
        for (String unit : installUnits(dir).stream()
                .filter(unit -> unit.endsWith(".service"))
                .toList()) {
            double exposure = exposure(dir, unit);
            System.out.println("systemd-analyze security " + Path.of(unit).getFileName() + ": " + exposure);
            if (unit.endsWith("/wg-pr.service")) {
                assertTrue(exposure <= DAEMON_EXPOSURE_LIMIT, "exposure " + exposure);
            }
        }
    }

    @Test
    void theDaemonsBoundingSetHoldsWhatTheLockdownKeepsAndNoRawOrModuleOrPtraceCapability() throws Exception {
        String daemon = Files.readString(TestPaths.repositoryRoot().resolve("packaging/systemd/wg-pr.service"));
        String bounding = daemon.lines()
                .filter(line -> line.startsWith("CapabilityBoundingSet="))
                .findFirst()
                .orElseThrow();
        // What the lockdown keeps on this host (Lockdown.plan): a capability missing from the bounding set
        // could not be kept, and the daemon would not start.
        LockdownPlan plan = Lockdown.plan(new Instance(Instance.DEFAULT_NAME), List.of());
        for (int capability : plan.capabilities()) {
            String kept = Capabilities.name(capability).toUpperCase(Locale.ROOT);
            assertTrue(bounding.contains(" " + kept) || bounding.contains("=" + kept), kept + " in " + bounding);
        }
        for (String never : List.of("CAP_SYS_MODULE", "CAP_SYS_PTRACE", "CAP_SYS_RAWIO", "CAP_NET_RAW")) {
            assertFalse(bounding.contains(never), never + " in " + bounding);
        }
    }

    private static double exposure(Path dir, String unit) throws Exception {
        Result security = run(dir, List.of(ANALYZE.toString(), "security", "--offline=true", unit));
        assertEquals(0, security.status(), security.err());
        Matcher overall = OVERALL.matcher(security.out());
        assertTrue(overall.find(), security.out());
        return Double.parseDouble(overall.group(2));
    }

    /** The units with the launcher's path, and an instance of the template: what verify and security read. */
    private static List<String> installUnits(Path dir) throws IOException {
        assertTrue(Files.isExecutable(ANALYZE), "systemd-analyze is missing: apt-get install systemd (./dev.sh does)");
        Path root = TestPaths.repositoryRoot();
        try (Stream<Path> files = Files.list(root.resolve("packaging/systemd"))) {
            // The system units; user/ holds the tray's, which DebianPackageTest verifies with --user.
            for (Path unit : files.filter(Files::isRegularFile).sorted().toList()) {
                String text = Files.readString(unit)
                        .replace("/usr/bin/wg-pr", root.resolve("wg-pr").toString());
                Files.writeString(dir.resolve(unit.getFileName()), text);
            }
        }
        Files.copy(dir.resolve("wg-pr@.service"), dir.resolve("wg-pr@corp.service"));
        return List.of(
                dir.resolve("wg-pr.service").toString(),
                dir.resolve("wg-pr.socket").toString(),
                dir.resolve("wg-pr@corp.service").toString());
    }

    private record Result(int status, String out, String err) {}

    private static Result run(Path dir, List<String> command) throws Exception {
        Process process = new ProcessBuilder(command).directory(dir.toFile()).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "systemd-analyze finished");
        return new Result(process.exitValue(), out, err);
    }
}
