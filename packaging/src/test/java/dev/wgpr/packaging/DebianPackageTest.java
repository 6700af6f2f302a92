package dev.wgpr.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.testing.RequiresRoot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The .deb as users meet it, built once by packaging/build-deb.sh from this build: lintian's
 * verdict; a clean Debian 12 root without a JDK in which it is installed with {@code apt install
 * ./wg-pr_*.deb}, used and purged (packaging/test-install.sh); and a booted Debian 12 whose systemd runs
 * the confined units (packaging/test-service.sh, run once for the two tests that read it): the cgroup
 * subtree systemd delegates to wg-pr.service, a user's apps in it with her home, /tmp and devices, and
 * {@code systemd-run --user --scope} taking one out, which the daemon reports. The roots come from the Debian mirror once (mmdebstrap,
 * under a minute each) and are cached; the three take about two minutes, most of it jlink and lintian.
 */
@RequiresRoot
class DebianPackageTest {
    private static final Path REPOSITORY = Path.of("").toAbsolutePath().getParent();
    private static final Pattern RESTART = Pattern.compile("daemon pid (\\d+) -> (\\d+); wg-pr@corp.service (\\S+)");

    private static Path deb;
    private static String serviceSession;

    @BeforeAll
    static void buildThePackage() throws Exception {
        run(List.of(REPOSITORY.resolve("packaging/build-deb.sh").toString()));
        try (Stream<Path> files = Files.list(REPOSITORY.resolve("packaging/target"))) {
            deb = files.filter(file -> file.getFileName().toString().matches("wg-pr_.*_amd64\\.deb"))
                    .findFirst()
                    .orElseThrow();
        }
        System.out.println(deb.getFileName() + ": " + Files.size(deb) / 1024 + " KiB");
    }

    @Test
    void lintianFindsNoErrorAndNoWarningBeyondTheJustifiedOverrides() throws Exception {
        // Each override the package ships is justified there and in packaging/README.md.
        String lintian = run(List.of("lintian", "--fail-on", "error,warning", deb.toString()));
        assertTrue(lintian.lines().noneMatch(line -> line.startsWith("E:") || line.startsWith("W:")), lintian);
    }

    @Test
    void aCleanDebianInstallsUsesAndPurgesThePackageWithoutAJdkAndNothingIsLeft() throws Exception {
        String session =
                run(List.of(REPOSITORY.resolve("packaging/test-install.sh").toString(), deb.toString()));
        assertTrue(session.contains("--- no JDK came with it: none;"), session);
        assertTrue(session.matches("(?s).*--- wg-pr --version\nwg-pr \\d+\\.\\d+\\.\\d+.*"), session);
        assertTrue(session.contains(" 0 FAIL\n"), "doctor found nothing failing: " + session);
        assertTrue(session.contains("wg-pr - WireGuard split-tunnel client"), "man wg-pr: " + session);
        assertTrue(session.contains("wg-pr.toml - configuration of a wg-pr tunnel"), "man 5 wg-pr.toml: " + session);
        for (String shell : List.of("bash", "zsh", "fish")) {
            assertTrue(session.contains("\n" + shell + " completes: status\n"), shell + ", wg-pr st<TAB>: " + session);
        }
        assertTrue(session.contains("--- the wg-pr group: wg-pr:x:"), "the group while installed: " + session);
        assertTrue(session.contains("\nno tunnel is up\n"), "the daemon answered status: " + session);
        assertTrue(session.contains("its class-data archive: daemon.jsa"), "the stopped daemon dumped: " + session);
        assertTrue(session.contains("--- wg-pr demo\n"), session);
        assertTrue(session.contains("Done: nothing of the lab is left."), "the demo in the clean root: " + session);
        String left = session.substring(session.indexOf("--- left after purge"), session.indexOf("--- end"));
        assertEquals(1, left.lines().count(), "nothing of wg-pr left after apt purge: " + left);
    }

    @Test
    void underSystemdTheConfinedDaemonRunsATunnelAnAppWritesItsUsersHomeAnUpgradeHandsOverAndPurgeStops()
            throws Exception {
        String session = serviceSession();
        assertTrue(session.contains("wg-pr.service active, wg-pr@corp.service active\n"), session);
        assertTrue(session.contains("status: instance wg-pr: control socket"), "READY=1 and STATUS=: " + session);
        assertTrue(session.contains("  backstop      in force ("), session);
        Matcher exposure = Pattern.compile("Overall exposure level for wg-pr.service: ([0-9.]+)")
                .matcher(session);
        assertTrue(exposure.find(), session);
        System.out.println("systemd-analyze security wg-pr.service, as systemd runs it: " + exposure.group(1));
        assertTrue(Double.parseDouble(exposure.group(1)) <= 5.0, session);
        assertTrue(session.contains("--- systemd-analyze verify: the units as shipped\nclean\n"), session);
        // The unit leaves the user's files to apps (no ProtectHome=): what `wg-pr run` is for.
        assertTrue(session.contains("app wrote /home/alice/written-by-app as alice\n"), session);
        Matcher restart = RESTART.matcher(session);
        assertTrue(restart.find(), session);
        assertNotEquals(restart.group(1), restart.group(2), "the upgrade restarted the daemon: " + session);
        assertEquals("active", restart.group(3), "the tunnel came back after the upgrade: " + session);
        // The probe can see a leak: before any tunnel, its connect is sent out (and times out in the dummy).
        assertTrue(session.contains("--- a non-app before any tunnel: sent\n"), session);
        Matcher during = Pattern.compile("a non-app during the upgrade: (.*)\n").matcher(session);
        assertTrue(during.find(), session);
        System.out.println("a non-app's connects to the tunnel's prefix during the upgrade: " + during.group(1));
        assertTrue(
                during.group(1).matches("((denied|unreachable) \\d+,?)+"),
                "every connect of the non-app during the upgrade was stopped, none sent: " + session);
        assertTrue(
                session.contains("handing over to the next daemon: exiting with every tunnel's enforcement"),
                "the old daemon handed over rather than stopping in order: " + session);
        assertTrue(
                session.contains("down corp0: left up for the next daemon (a hand-over is pending)"),
                "wg-pr@corp's down during the upgrade was answered by the daemon, which left the tunnel up: "
                        + session);
        // wg-pr.socket: with no daemon running, a member of the launch group brings a tunnel of /etc/wg-pr up.
        assertTrue(session.contains("wg-pr.service inactive, wg-pr.socket active\ncorp0 is up\n"), session);
        assertTrue(session.contains("wg-pr.service active, triggered by wg-pr.socket\ninterface corp0\n"), session);
        assertTrue(session.contains("wg-pr.service inactive, wg-pr@corp.service inactive\n"), session);
        assertTrue(
                session.contains("\nleft: \ninterfaces: lo wan1@wan0 wan0@wan1 \n"), "purge left nothing: " + session);
    }

    @Test
    void
            underSystemdAppsLiveInTheDelegatedSubtreeWithTheirUsersHomeTmpAndDevicesOutliveARestartAndAScopeEscapeIsReported()
                    throws Exception {
        String session = serviceSession();
        // systemd-cgls: the daemon in its leaf, the app below the instance cgroup, both in wg-pr.service.
        assertTrue(session.contains("Unit wg-pr.service (/system.slice/wg-pr.service):\n├─wg-pr (#"), session);
        assertTrue(session.matches("(?s).*\n│ └─shell \\(#\\d+\\)\n│ └─\\d+ sleep 600\n└─daemon \\(#.*"), session);
        assertTrue(session.contains(" in 0::/system.slice/wg-pr.service/wg-pr/shell\n"), session);
        assertTrue(session.contains("cgroup2 at /sys/fs/cgroup\n"), session);
        assertTrue(session.contains("delegated subtree: root 755 cgroup.procs root 644\n"), session);
        assertTrue(session.contains("at the cgroup2 root: nothing of wg-pr\n"), session);
        assertTrue(session.contains("alice may not move a process into an app cgroup\n"), session);
        // The app has what its user has: her home, the /tmp everyone sees, a character device.
        assertTrue(session.contains("app wrote /home/alice/home-by-app as alice\n"), session);
        assertTrue(session.contains("app wrote /tmp/tmp-by-app as alice\n"), session);
        assertTrue(session.contains("device: opened /dev/wgpr-fuse\n"), session);
        assertTrue(session.contains("under DeviceAllow=/dev/net/tun: refused\n"), "the control: " + session);
        // systemd-run --user --scope moved the app (through PID 1) out of its cgroup: status and events say so.
        String left =
                "left its app cgroup for /user.slice/user-1000.slice/user@1000.service/app.slice/escaped-app.scope;"
                        + " it no longer has the app's grants";
        Matcher status = Pattern.compile(
                        "running: pid (\\d+) app scoped \\(tunnel corp0, uid 1000\\)\n  scoped \\(pid (\\d+)\\) "
                                + Pattern.quote(left))
                .matcher(session);
        assertTrue(status.find(), session);
        assertEquals(status.group(1), status.group(2));
        assertTrue(
                session.contains(
                        "pid " + status.group(1) + " (sleep) uid 1000 app scoped: denied from now on, scoped (pid "
                                + status.group(1) + ") " + left),
                "the event: " + session);
        assertTrue(session.contains("└─escaped-app.scope (#"), session);
        // The upgrade restarted the daemon; the app stayed in its cgroup (KillMode=process).
        Matcher app = Pattern.compile("app pid (\\d+) in 0::/system.slice/wg-pr.service/wg-pr/shell\n")
                .matcher(session);
        assertTrue(app.find(), session);
        assertTrue(
                session.contains(
                        "app pid " + app.group(1) + " still runs in 0::/system.slice/wg-pr.service/wg-pr/shell\n"),
                session);
    }

    /** packaging/test-service.sh, run once for the tests that read its session. */
    private static synchronized String serviceSession() throws Exception {
        if (serviceSession == null) {
            serviceSession =
                    run(List.of(REPOSITORY.resolve("packaging/test-service.sh").toString(), deb.toString()));
        }
        return serviceSession;
    }

    /** Runs {@code command} in the repository with this JDK as JAVA_HOME; its output, which it must end with 0. */
    private static String run(List<String> command) throws Exception {
        ProcessBuilder builder =
                new ProcessBuilder(command).directory(REPOSITORY.toFile()).redirectErrorStream(true);
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(10, TimeUnit.MINUTES), String.join(" ", command));
        System.out.print(output);
        assertEquals(0, process.exitValue(), String.join(" ", command) + "\n" + output);
        return output;
    }
}
