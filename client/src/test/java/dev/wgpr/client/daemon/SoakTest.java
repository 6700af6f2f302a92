package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.LabProcess;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A bounded soak: for {@code wgpr.soak.seconds} (default 90; {@code bench/soak --minutes N}
 * runs it longer), an authorized app and an unauthorized process keep connecting through and around
 * the tunnel while the config is reloaded every second, and halfway the daemon is killed with
 * SIGKILL and brought back with {@code wg-pr up}. Afterwards: no packet for an internal prefix left
 * through the LAN, the app lost no connection outside the kill window, the unauthorized process never
 * reached an internal host and always reached the Internet host, every reload outside the kill window
 * worked, and the restarted daemon's descriptors and memory did not grow.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class SoakTest {
    private static final String ALLOWED = "\"10.8.0.1/32\", \"10.20.0.0/16\"";
    private static final String GRANT = "\"10.20.0.0/16 tcp/8080\"";
    /** The reloads cycle through these: a grant the traffic does not need, and a prefix more. */
    private static final List<String[]> VARIANTS = List.of(
            new String[] {GRANT, "\"10.20.0.0/16 tcp/8080,9999\""},
            new String[] {"\"10.20.0.0/16\"", "\"10.20.0.0/16\", \"10.30.0.0/16\""},
            new String[] {GRANT, GRANT});
    /** After the restart, time for the new handshake before the app must get through again. */
    private static final long RECOVERY_MILLIS = 5_000;

    private TunnelLab net;
    private final List<Process> processes = new ArrayList<>();
    private final List<LabProcess> labProcesses = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        if (net != null) {
            endAppProcesses();
        }
        for (Process process : processes) {
            process.destroyForcibly();
            process.waitFor();
        }
        for (LabProcess process : labProcesses) {
            process.stop();
        }
        if (net != null) {
            net.close();
        }
    }

    @Test
    void trafficReloadsAndAKilledDaemonLeakNothingLoseNothingAndGrowNothing(NetnsLab lab) throws Exception {
        long seconds = Long.getLong("wgpr.soak.seconds", 90);
        net = TunnelLab.routed(lab);
        Path config = net.config("per-prefix", ALLOWED, GRANT);
        String original = Files.readString(config);
        assertEquals(0, net.up(config).exitCode());

        Path capture = lab.scratchDir().resolve("soak-lan.pcap");
        LabProcess tcpdump = net.captureLan(capture, "net 10.20.0.0/16 or net 10.30.0.0/16");
        labProcesses.add(tcpdump);
        LabProcess outsider = net.client.start(
                "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", "/bin/bash", "-c", outsiderLoop());
        labProcesses.add(outsider);
        Process firstApp = startApp();

        long start = System.currentTimeMillis();
        long killAt = start + seconds * 1000 / 2;
        long end = start + seconds * 1000;
        List<String> reloadFailures = new ArrayList<>();
        int reloads = 0;
        long killed = 0;
        long restarted = 0;
        Process secondApp = null;
        long[] daemonAfterRestart = null;
        while (System.currentTimeMillis() < end) {
            long round = System.currentTimeMillis();
            if (killed == 0 && round >= killAt) {
                killed = killDaemon();
                stopApp(firstApp);
                Result up = net.up(config.resolveSibling("soak-current.toml"));
                assertEquals(0, up.exitCode(), "the restart: " + up);
                restarted = System.currentTimeMillis();
                secondApp = startApp();
                continue;
            }
            String[] variant = VARIANTS.get(reloads % VARIANTS.size());
            String text = original.replace(variant[0], variant[1]);
            Path current = config.resolveSibling("soak-current.toml");
            Files.writeString(current, text);
            Result reload = net.cli().run("reload", current.toString());
            reloads++;
            if (reload.exitCode() != 0) {
                reloadFailures.add(reload.toString());
            }
            if (restarted > 0
                    && daemonAfterRestart == null
                    && round > restarted + Math.max(3_000, (end - restarted) / 4)) {
                daemonAfterRestart = daemonFootprint();
            }
            Thread.sleep(Math.max(0, 1000 - (System.currentTimeMillis() - round)));
        }
        long[] daemonAtEnd = daemonFootprint();
        stopApp(secondApp);
        outsider.stop();
        tcpdump.stop();

        List<String> appLines = new ArrayList<>(lines(DaemonTesting.outputSoFar(firstApp)));
        appLines.addAll(lines(DaemonTesting.outputSoFar(secondApp)));
        System.out.printf(
                "soak: %d s, %d reloads, kill window %d ms (SIGKILL to the restarted tunnel plus %d ms for the"
                        + " handshake), app attempts %d (%d failed, all inside the window), outsider attempts %d,"
                        + " restarted daemon: %d -> %d descriptors, %d -> %d KiB RSS%n",
                seconds,
                reloads,
                restarted - killed,
                RECOVERY_MILLIS,
                appLines.stream().filter(l -> l.matches("\\d+ (ok|fail)")).count(),
                appLines.stream().filter(l -> l.endsWith(" fail")).count(),
                lines(outsider.output()).stream()
                        .filter(l -> l.contains("internal:"))
                        .count(),
                daemonAfterRestart == null ? -1 : daemonAfterRestart[0],
                daemonAtEnd[0],
                daemonAfterRestart == null ? -1 : daemonAfterRestart[1],
                daemonAtEnd[1]);
        assertTrue(killed > 0 && restarted > 0, "the daemon was killed and restarted");
        assertEquals(List.of(), reloadFailures, reloads + " reloads");
        assertEquals(
                "", net.client.run("tcpdump", "-n", "-r", capture.toString()).strip(), "leaked to the LAN");
        assertAppNeverFailedOutside(appLines, killed, restarted + RECOVERY_MILLIS);
        assertOutsiderNeverReachedInsideAndAlwaysOutside(lines(outsider.output()));
        assertTrue(daemonAfterRestart != null, "the restarted daemon was sampled; the soak is too short");
        assertTrue(
                daemonAtEnd[0] <= daemonAfterRestart[0] + 2,
                "descriptors of the daemon: " + daemonAfterRestart[0] + " then " + daemonAtEnd[0]);
        assertTrue(
                daemonAtEnd[1] <= daemonAfterRestart[1] * 3 / 2,
                "RSS of the daemon (KiB): " + daemonAfterRestart[1] + " then " + daemonAtEnd[1]);
        endAppProcesses();
        net.down();
    }

    /**
     * Ends the app loops this test started: the one from before the kill outlived its daemon and its
     * CLI (as a user's app would), and the daemon's cgroup cannot go while it runs.
     */
    private void endAppProcesses() throws Exception {
        Path procs = net.instance.cgroupSubtree(DaemonTesting.cgroup2()).resolve("probe/cgroup.procs");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (Files.exists(procs) && !Files.readString(procs).isBlank()) {
            for (String pid : Files.readString(procs).split("\\s+")) {
                if (!pid.isEmpty()) {
                    ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
            assertTrue(System.nanoTime() < deadline, "the app's processes did not end");
            Thread.sleep(50);
        }
    }

    /** Connects to the internal service every 100 ms; one line per attempt: "epoch-millis ok|fail". */
    private Process startApp() throws Exception {
        String loop = """
                while :; do
                  t=$(date +%%s%%3N)
                  if timeout 3 bash -c 'exec 3<>/dev/tcp/%s/%d && head -c 5 <&3' >/dev/null 2>&1
                  then echo "$t ok"; else echo "$t fail"; fi
                  sleep 0.1
                done
                """.formatted(TunnelLab.INTERNAL_V4, TunnelLab.PORT);
        Process app = net.cli().start("run", "--app", "probe", "--", "/bin/bash", "-c", loop);
        processes.add(app);
        DaemonTesting.awaitOutput(app, " ok", Duration.ofSeconds(30));
        return app;
    }

    /** Nobody, outside every app: the internal service and the Internet host, every 100 ms. */
    private static String outsiderLoop() {
        return """
                while :; do
                  t=$(date +%%s%%3N)
                  timeout 3 bash -c 'exec 3<>/dev/tcp/%1$s/%3$d && head -c 5 <&3' >/dev/null 2>&1 \
                    && i=reached || i=blocked
                  timeout 3 bash -c 'exec 3<>/dev/tcp/%2$s/%3$d && head -c 5 <&3' >/dev/null 2>&1 \
                    && o=reached || o=blocked
                  echo "$t internal:$i internet:$o"
                  sleep 0.1
                done
                """.formatted(TunnelLab.INTERNAL_V4, TunnelLab.INTERNET_V4, TunnelLab.PORT);
    }

    /** SIGKILL, as a crash; returns when the daemon and its TUN interface are gone. */
    private long killDaemon() throws Exception {
        long pid = DaemonTesting.daemonPid(net.instance);
        ProcessHandle daemon = ProcessHandle.of(pid).orElseThrow();
        long at = System.currentTimeMillis();
        net.client.run("kill", "-9", Long.toString(pid));
        daemon.onExit().get(20, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (net.client.ip("link").contains(net.iface)) {
            assertTrue(System.nanoTime() < deadline, "the TUN interface outlived the daemon");
            Thread.sleep(20);
        }
        return at;
    }

    /** The app's CLI, and the app if the daemon's death did not end it. */
    private static void stopApp(Process cli) throws Exception {
        cli.descendants().forEach(ProcessHandle::destroyForcibly);
        cli.destroyForcibly();
        cli.waitFor(20, TimeUnit.SECONDS);
    }

    /** The daemon's open descriptors and its resident memory in KiB. */
    private long[] daemonFootprint() throws Exception {
        long pid = DaemonTesting.daemonPid(net.instance);
        long fds;
        try (var entries = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            fds = entries.count();
        }
        long rss = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                .filter(line -> line.startsWith("VmRSS:"))
                .mapToLong(line -> Long.parseLong(line.replaceAll("[^0-9]", "")))
                .findFirst()
                .orElseThrow();
        return new long[] {fds, rss};
    }

    private static void assertAppNeverFailedOutside(List<String> lines, long from, long to) {
        List<String> failures = new ArrayList<>();
        int attempts = 0;
        for (String line : lines) {
            String[] fields = line.split(" ");
            if (fields.length != 2) {
                continue;
            }
            attempts++;
            long at = Long.parseLong(fields[0]);
            if (fields[1].equals("fail") && (at < from || at > to)) {
                failures.add(line);
            }
        }
        assertTrue(attempts > 100, "the app made " + attempts + " attempts");
        assertEquals(List.of(), failures, "failed outside the kill window " + from + ".." + to);
    }

    private static void assertOutsiderNeverReachedInsideAndAlwaysOutside(List<String> lines) {
        int attempts = 0;
        for (String line : lines) {
            if (!line.contains("internal:")) {
                continue;
            }
            attempts++;
            assertTrue(line.contains("internal:blocked"), "an outsider reached an internal host: " + line);
            assertTrue(line.contains("internet:reached"), "an outsider lost the Internet: " + line);
        }
        assertTrue(attempts > 100, "the outsider made " + attempts + " attempts");
    }

    private static List<String> lines(String output) {
        return output.lines().toList();
    }
}
