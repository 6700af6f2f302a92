package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.daemon.DaemonTesting.Cli;
import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.Namespace;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The daemon as users meet it: started by {@code up}, asked by anyone, stopped by SIGTERM. */
@RequiresRoot
class DaemonLifecycleTest {
    private static final String VALID = """
            [interface]
            name = "wgprt0"
            privateKey = "@OUR_PRIVATE_KEY@"
            address = ["10.77.0.2/32"]

            [[peer]]
            name = "gw"
            publicKey = "@PEER_KEY@"
            endpoint = "192.0.2.1:51820"
            allowedIPs = ["10.77.10.0/24"]

            [[peer.allowedApps]]
            name = "cat"
            exec = "/usr/bin/cat"
            """;

    private final Instance instance = DaemonTesting.uniqueInstance();

    @AfterEach
    void cleanUp() throws Exception {
        DaemonTesting.cleanUp(instance);
    }

    @Test
    @RequiresNetns
    @ExtendWith(NetnsLabExtension.class)
    void upStartsTheDaemonOnDemandWhichThenAnswersStatus(NetnsLab lab) throws Exception {
        // The daemon brings up a real interface: in a lab namespace, never the machine's own.
        Namespace ns = lab.namespace("client");
        Path config = DaemonTesting.config("valid.toml", VALID);
        assertFalse(Files.exists(instance.controlSocket()));
        Cli cli = Cli.root(instance).inNetns(ns.name());

        Result up = cli.run("up", config.toString());
        assertEquals(0, up.exitCode(), up::toString);
        assertTrue(up.out().contains("wgprt0 is up"), up::toString);

        long pid = DaemonTesting.daemonPid(instance);
        assertTrue(pid > 0 && ProcessHandle.of(pid).isPresent(), "the daemon runs after up");
        Result status = Cli.root(instance).run("status", "--json");
        assertEquals(0, status.exitCode(), status::toString);
        assertTrue(status.out().contains("\"pid\":" + pid), status::toString);
        assertTrue(status.out().contains("\"name\":\"wgprt0\""), status::toString);
        assertTrue(ns.ip("link").contains("wgprt0"), "the interface is in the daemon's namespace");
        assertEquals(0, cli.run("down", "wgprt0").exitCode());
        assertFalse(Files.exists(instance.cgroupSubtree(DaemonTesting.cgroup2())), "no cgroup left after down");
    }

    @Test
    @RequiresNetns
    @ExtendWith(NetnsLabExtension.class)
    void downGivenTheConfigTakesDownTheInterfaceItNamesThoughTheFileIsCalledOtherwise(NetnsLab lab) throws Exception {
        // wg-pr@valid.service stops with `down /etc/wg-pr/valid.toml`, whose interface is wgprt0.
        Namespace ns = lab.namespace("client");
        Path config = DaemonTesting.config("valid.toml", VALID);
        Cli cli = Cli.root(instance).inNetns(ns.name());
        Result up = cli.run("up", config.toString());
        assertEquals(0, up.exitCode(), up::toString);

        Result byStem = cli.run("down", "valid");
        assertEquals(1, byStem.exitCode(), byStem::toString);
        Result down = cli.run("down", config.toString());
        assertEquals(0, down.exitCode(), down::toString);
        assertTrue(down.out().contains("wgprt0 is down"), down::toString);
        assertFalse(ns.ip("link").contains("wgprt0"), "the interface is gone");
    }

    @Test
    @RequiresNetns
    @ExtendWith(NetnsLabExtension.class)
    void daemonStopTakesEveryTunnelDownAndReturnsOnceTheDaemonHasExited(NetnsLab lab) throws Exception {
        Namespace ns = lab.namespace("client");
        Cli cli = Cli.root(instance).inNetns(ns.name());
        assertEquals(
                0,
                cli.run("up", DaemonTesting.config("valid.toml", VALID).toString())
                        .exitCode());
        long pid = DaemonTesting.daemonPid(instance);

        Result stop = Cli.root(instance).run("daemon", "stop");

        assertEquals(0, stop.exitCode(), stop::toString);
        assertEquals(
                "the daemon of instance " + instance + " (pid " + pid + ") has stopped\n", stop.out(), stop::toString);
        assertTrue(ProcessHandle.of(pid).isEmpty(), "the daemon has exited when stop returns");
        assertFalse(ns.ip("link").contains("wgprt0"), "its tunnel is down");
        assertFalse(Files.exists(instance.controlSocket()));
        assertFalse(Files.exists(instance.cgroupSubtree(DaemonTesting.cgroup2())), "no cgroup left");
        Result again = Cli.root(instance).run("daemon", "stop");
        assertEquals(0, again.exitCode(), again::toString);
        assertEquals("no daemon of instance " + instance + " runs\n", again.out());
        assertEquals(4, Cli.nobody(instance).run("daemon", "stop").exitCode(), "only root may stop it");
    }

    /**
     * {@code ip netns exec} gives the command a mount namespace with a fresh sysfs and no cgroup2 on it;
     * the daemon it starts mounts the hierarchy there (only that namespace sees it) and works.
     */
    @Test
    @RequiresNetns
    @ExtendWith(NetnsLabExtension.class)
    void upUnderIpNetnsExecWorks(NetnsLab lab) throws Exception {
        Namespace ns = lab.namespace("client");
        ProcessBuilder up = Cli.root(instance)
                .builder("up", DaemonTesting.config("valid.toml", VALID).toString());
        up.command().addAll(0, List.of("ip", "netns", "exec", ns.name()));
        up.redirectErrorStream(true);
        Process process = up.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertEquals(0, process.waitFor(), output);
        assertTrue(output.contains("wgprt0 is up"), output);
        assertTrue(ns.ip("link").contains("wgprt0"), "the interface is in the namespace");
        assertEquals(
                0, Cli.root(instance).inNetns(ns.name()).run("down", "wgprt0").exitCode());
    }

    @Test
    void aBadConfigExitsWithTwoAndStartsNoDaemon() throws Exception {
        Path config = DaemonTesting.config("bad.toml", VALID.replace("10.77.10.0/24", "10.77.10.0/33"));

        Result up = Cli.root(instance).run("up", config.toString());

        assertEquals(2, up.exitCode(), up::toString);
        assertTrue(up.err().contains("bad.toml:"), "the mistake is named with file and line: " + up);
        assertFalse(Files.exists(instance.runtimeDirectory()), "no daemon was started, nothing was created");
    }

    @Test
    void anEndpointNameThatCannotBeResolvedFailsClearlyAndLeavesNothing() throws Exception {
        Path config = DaemonTesting.config(
                "unresolvable.toml", VALID.replace("192.0.2.1:51820", "no-such-host.invalid:51820"));

        Result up = Cli.root(instance).run("up", config.toString());

        assertEquals(1, up.exitCode(), up::toString);
        assertTrue(up.err().contains("cannot resolve the endpoint name no-such-host.invalid"), up::toString);
        Result status = Cli.root(instance).run("status", "--json");
        assertTrue(status.out().contains("\"tunnels\":[]"), status::toString);
        assertFalse(Files.exists(instance.cgroupSubtree(DaemonTesting.cgroup2())));
    }

    @Test
    void aNormalUserCannotBringTunnelsUpOrDownButMaySeeStatus() throws Exception {
        Path config = DaemonTesting.config("valid-nobody.toml", VALID);
        assertEquals(0, Cli.root(instance).run("daemon").exitCode(), "the daemon starts");

        Result up = Cli.nobody(instance).run("up", config.toString());
        Result down = Cli.nobody(instance).run("down", "wgprt0");
        Result status = Cli.nobody(instance).run("status");

        assertEquals(4, up.exitCode(), up::toString);
        assertTrue(up.err().contains("uid 65534 may not bring tunnels up"), up::toString);
        assertEquals(4, down.exitCode(), down::toString);
        assertTrue(down.err().contains("uid 65534 may not take tunnels down"), down::toString);
        assertEquals(0, status.exitCode(), status::toString);
        assertTrue(status.out().contains("instance " + instance + ": daemon pid"), status::toString);
    }

    @Test
    void sigtermStopsTheDaemonInOrderAndRemovesItsFiles() throws Exception {
        assertEquals(0, Cli.root(instance).run("daemon").exitCode());
        long pid = DaemonTesting.daemonPid(instance);
        ProcessHandle daemon = ProcessHandle.of(pid).orElseThrow();

        daemon.destroy(); // SIGTERM
        daemon.onExit().get(20, TimeUnit.SECONDS);

        assertFalse(Files.exists(instance.runtimeDirectory()), "socket, pid file and lock are gone");
        Result status = Cli.root(instance).run("status");
        assertTrue(status.out().contains("no daemon runs"), status::toString);
    }

    @Test
    void theDaemonRunsWithItsMemoryOptionsAfterTheLockdownReexecAndWithoutTheCallersNotifySocket() throws Exception {
        Result start = Cli.root(instance)
                .withEnvironment(Map.of("NOTIFY_SOCKET", "/nonexistent/notify.sock"))
                .run("daemon");
        assertEquals(0, start.exitCode(), start::toString);
        long pid = DaemonTesting.daemonPid(instance);
        List<String> argv =
                List.of(Files.readString(Path.of("/proc/" + pid + "/cmdline")).split("\0"));
        assertTrue(argv.contains("dev.wgpr.client.cli.LockedDownDaemon"), "the locked-down image: " + argv);
        for (String option :
                List.of("-Xms8m", "-Xmx64m", "-XX:-TieredCompilation", "-XX:TrimNativeHeapInterval=5000")) {
            assertTrue(argv.contains(option), option + " in " + argv);
        }
        String environment = Files.readString(Path.of("/proc/" + pid + "/environ"));
        assertTrue(List.of(environment.split("\0")).contains("MALLOC_ARENA_MAX=2"), "two malloc arenas");
        assertFalse(environment.contains("NOTIFY_SOCKET="), "systemd's socket is for the daemon systemd started");
    }

    @Test
    void theLockedDownDaemonWritesItsClassArchiveAtItsFirstStopMapsItAfterwardsAndReplacesADamagedOne(@TempDir Path dir)
            throws Exception {
        Path archive = dir.resolve("cache").resolve("daemon.jsa");
        Map<String, String> environment = Map.of("WG_PR_DAEMON_CLASS_ARCHIVE", archive.toString());

        assertFalse(startAndStop(environment, archive), "nothing to map at the first start");
        assertTrue(Files.size(archive) > 1 << 20, "written at the first stop: " + Files.size(archive) + " bytes");
        FileTime written = Files.getLastModifiedTime(archive);

        assertTrue(startAndStop(environment, archive), "mapped at the next start");
        assertEquals(written, Files.getLastModifiedTime(archive), "a daemon that used it leaves it as it was");

        // Damaged (its checksum no longer matches): the JVM refuses it, runs without, and the stop dumps a new one.
        try (FileChannel file = FileChannel.open(archive, StandardOpenOption.WRITE)) {
            file.write(ByteBuffer.wrap(new byte[4096]), Files.size(archive) / 2);
        }
        startAndStop(environment, archive);
        assertTrue(Files.getLastModifiedTime(archive).compareTo(written) > 0, "written again");
        FileTime rewritten = Files.getLastModifiedTime(archive);
        assertTrue(startAndStop(environment, archive), "the new one is mapped");
        assertEquals(rewritten, Files.getLastModifiedTime(archive), "and left as it was");
    }

    /** Starts this instance's daemon and stops it (SIGTERM): whether it had {@code archive} mapped. */
    private boolean startAndStop(Map<String, String> environment, Path archive) throws Exception {
        Result start = Cli.root(instance).withEnvironment(environment).run("daemon");
        assertEquals(0, start.exitCode(), start::toString);
        long pid = DaemonTesting.daemonPid(instance);
        boolean mapped = Files.readString(Path.of("/proc/" + pid + "/maps")).contains(archive.toString());
        ProcessHandle daemon = ProcessHandle.of(pid).orElseThrow();
        daemon.destroy(); // the orderly stop, which dumps the archive when this run had none mapped
        daemon.onExit().get(60, TimeUnit.SECONDS);
        return mapped;
    }

    @Test
    void aSecondDaemonOfTheSameInstanceRefusesToStart() throws Exception {
        assertEquals(0, Cli.root(instance).run("daemon").exitCode());
        long first = DaemonTesting.daemonPid(instance);

        Result second = Cli.root(instance).run("daemon", "--foreground");

        assertEquals(1, second.exitCode(), second::toString);
        assertTrue(second.err().contains("already running (pid " + first + ")"), second::toString);
        assertEquals(first, DaemonTesting.daemonPid(instance));
    }
}
