package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.control.Json;
import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.client.daemon.TunnelLab.Attempt;
import dev.wgpr.client.dns.LabCommands;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.LabProcess;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code wg-pr trace} (issue 22) on the real kernel, in the tunnel lab with a tunnel up: a Python program
 * connects over TCP and UDP from two threads and a child process; traced, each attempt shows once with its
 * destination and verdict, and the program prints and exits as untraced. A process that is no app trying
 * the internal prefix is flagged as a leak; the app, traced through {@code --app}, is not. So is a query for
 * an internal name asked of the public resolver. A connection to an address the app resolved through the
 * tunnel's forwarder carries the name.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class TraceEndToEndTest {
    private static final String PYTHON = "/usr/bin/python3";
    /** The tunnel's DNS server, behind the peer. */
    private static final String INTERNAL_DNS = "10.20.0.53";

    /**
     * The ProxyCommand: a relay of bash's, which ends its reader once ssh closes its input. ssh sends the
     * proxy SIGHUP as it exits; were bash to die of it first, the reader would keep the connection open,
     * sshd would wait for the client's end, and the reader for sshd's: ignored, so it never leaves one.
     */
    private static final String PROXY = "trap \"\" HUP; exec 3<>/dev/tcp/%h/%p; cat <&3 & cat >&3; kill $!";

    private TunnelLab net;
    private Path script;

    @BeforeEach
    void script() throws Exception {
        script = DaemonTesting.scratch().resolve("connections.py");
        try (InputStream in = TraceEndToEndTest.class.getResourceAsStream("/dev/wgpr/client/trace/connections.py")) {
            Files.write(script, in.readAllBytes());
        }
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (net != null) {
            net.close();
        }
    }

    @Test
    void eachConnectionOfThreadsAndAChildShowsOnceAndTheProgramPrintsAndExitsAsUntraced(NetnsLab lab) throws Exception {
        net = up(lab);
        List<String> program = program(false);

        Attempt untraced = net.inClient(program);
        Result traced = trace(program);

        assertEquals(7, untraced.exit(), untraced.toString());
        assertEquals(untraced.exit(), traced.exitCode(), traced::toString);
        assertEquals(untraced.out(), traced.out(), "the program's stdout is the same traced");
        Map<String, Object> summary = summary(traced);
        List<Map<String, Object>> attempts = ipAttempts(summary);
        assertEquals(
                List.of(
                        "connect tcp 203.0.113.20:8080 underlay allowed",
                        "connect tcp 203.0.113.20:8080 underlay allowed",
                        "sendto udp 203.0.113.20:9 underlay allowed"),
                attempts.stream().map(TraceEndToEndTest::described).sorted().toList(),
                traced::toString);
        List<Object> connectingPids = attempts.stream()
                .filter(a -> a.get("syscall").equals("connect"))
                .map(a -> a.get("pid"))
                .toList();
        assertNotEquals(connectingPids.get(0), connectingPids.get(1), "one connection is the child's");
        assertEquals(0L, summary.get("leaks"), traced::toString);
        assertEquals(7L, summary.get("exitStatus"));

        // curl (its own connect, non-blocking, and its own threads), the same way.
        List<String> curl =
                List.of("curl", "-sS", "--http0.9", "http://" + TunnelLab.INTERNET_V4 + ":" + TunnelLab.PORT + "/");
        Attempt curlUntraced = net.inClient(curl);
        Result curlTraced = trace(curl);
        assertEquals("hello\n", curlUntraced.out(), curlUntraced.toString());
        assertEquals(curlUntraced.out(), curlTraced.out(), curlTraced::toString);
        assertEquals(
                List.of("connect tcp 203.0.113.20:8080 underlay allowed"),
                ipAttempts(summary(curlTraced)).stream()
                        .map(TraceEndToEndTest::described)
                        .toList(),
                curlTraced::toString);
    }

    @Test
    void aProcessThatIsNoAppTryingTheInternalPrefixIsFlaggedAsALeakAndTheAppIsNot(NetnsLab lab) throws Exception {
        net = up(lab);

        Result traced = trace(program(true));

        assertTrue(traced.out().contains("internal refused 1"), "the kernel's hooks still deny it: " + traced);
        Map<String, Object> summary = summary(traced);
        assertEquals(1L, summary.get("leaks"), traced::toString);
        assertTrue(
                ipAttempts(summary).stream()
                        .map(TraceEndToEndTest::described)
                        .anyMatch(
                                ("connect tcp " + TunnelLab.INTERNAL_V4 + ":8080 tunnel " + net.iface + " LEAK")
                                        ::equals),
                traced::toString);
        assertTrue(traced.err().contains("LEAK: a process that is no app"), "the live line says so: " + traced);

        Result app = net.cli()
                .run(appTrace(List.of(
                                "/bin/bash",
                                "-c",
                                "exec 3<>/dev/tcp/" + TunnelLab.INTERNAL_V4 + "/8080 && head -c 5 <&3"))
                        .toArray(String[]::new));
        assertEquals(0, app.exitCode(), app::toString);
        assertEquals("hello", app.out(), app::toString);
        Map<String, Object> appSummary = summary(app);
        assertEquals(0L, appSummary.get("leaks"), app::toString);
        assertEquals(
                List.of("connect tcp " + TunnelLab.INTERNAL_V4 + ":8080 tunnel " + net.iface + " allowed"),
                ipAttempts(appSummary).stream()
                        .map(TraceEndToEndTest::described)
                        .toList(),
                app::toString);
    }

    @Test
    void withBlockTheTraceRefusesWhatWgPrWouldDenyBeforeTheKernelsHooksSeeIt(NetnsLab lab) throws Exception {
        net = up(lab);

        Result blocked = trace(List.of("--block"), program(true));
        Attempt untraced = net.inClient(program(true));

        assertTrue(blocked.out().contains("internal refused 1"), "EPERM, as the hooks would say: " + blocked);
        assertEquals(1L, summary(blocked).get("leaks"), blocked::toString);
        assertTrue(untraced.out().contains("internal refused 1"), untraced.toString());
        String events = net.awaitEvents(TunnelLab.INTERNAL_V4);
        assertEquals(
                1,
                events.lines()
                        .filter(line -> line.contains(TunnelLab.INTERNAL_V4))
                        .count(),
                "only the untraced attempt reached the hooks and left an event:\n" + events);
    }

    /**
     * DNS through the tunnel, in one lab (its set-up is the test's cost): a non-app's query for an internal
     * name asked of the public resolver is flagged, the same asked of the tunnel's link face and a public
     * name asked of the public resolver are not. Then the app resolves the internal name through the
     * tunnel's forwarder (its apps face, which relays it to dnsmasq behind the peer) and connects to it:
     * the trace names the connection by that name, asked of the daemon, whose forwarder learnt it from the
     * answer it relayed.
     */
    @Test
    void aQueryForAnInternalNameAskedOfThePublicResolverIsFlaggedAndAnAppsConnectionIsNamedByWhatItResolved(
            NetnsLab lab) throws Exception {
        net = TunnelLab.routed(lab);
        Path resolvConf = DaemonTesting.scratch().resolve(net.iface + "-resolv.conf");
        Files.writeString(resolvConf, "nameserver " + TunnelLab.INTERNET_V4 + "\n");
        Path config =
                TunnelLab.withDns(net.config("per-prefix", TunnelLab.ALLOWED_IPS, null), INTERNAL_DNS, "corp.example");
        Result up = net.cli().withResolvConf(resolvConf).run("up", config.toString());
        assertEquals(0, up.exitCode(), up::toString);
        // The link face, where the host's resolver asks for the tunnel's zones: the tunnel's first address.
        String linkFace = "10.8.0.2";
        String program = """
                import socket, struct, sys
                def query(name, qid):
                    labels = b"".join(bytes([len(l)]) + l.encode() for l in name.split("."))
                    return struct.pack(">6H", qid, 0x0100, 1, 0, 0, 0) + labels + b"\\0" + struct.pack(">HH", 1, 1)
                public, face = sys.argv[1], sys.argv[2]
                u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                u.sendto(query("db.corp.example", 1), (public, 53))
                u.sendto(query("www.public.example", 2), (public, 53))
                u.sendto(query("db.corp.example", 3), (face, 53))
                print("asked")
                """;

        Result traced = trace(List.of(PYTHON, "-c", program, TunnelLab.INTERNET_V4, linkFace));

        assertEquals(0, traced.exitCode(), traced::toString);
        Map<String, Object> summary = summary(traced);
        assertEquals(
                List.of(
                        "sendto udp " + TunnelLab.INTERNET_V4 + ":53 db.corp.example. A underlay LEAK",
                        "sendto udp " + TunnelLab.INTERNET_V4 + ":53 www.public.example. A underlay allowed",
                        "sendto udp " + linkFace + ":53 db.corp.example. A underlay allowed"),
                ipAttempts(summary).stream().map(TraceEndToEndTest::described).toList(),
                traced::toString);
        assertEquals(1L, summary.get("leaks"), traced::toString);
        assertTrue(traced.err().contains("internal zones, asked of a server that is not"), traced::toString);

        net.serverNs.address("lo", INTERNAL_DNS + "/32");
        try (LabProcess dns = net.serverNs.start(LabCommands.dnsmasq(
                        INTERNAL_DNS,
                        List.of(
                                "--address=/db1.corp.example/" + TunnelLab.INTERNAL_V4,
                                "--local=/corp.example/",
                                "--pid-file="))
                .toArray(String[]::new))) {
            Result app = net.cli()
                    .run(appTrace(List.of("/bin/bash", "-c", "exec 3<>/dev/tcp/db1.corp.example/8080 && head -c 5 <&3"))
                            .toArray(String[]::new));

            assertEquals(0, app.exitCode(), app + "\ndnsmasq:\n" + dns.output());
            assertEquals("hello", app.out(), app::toString);
            assertEquals(
                    List.of("connect tcp " + TunnelLab.INTERNAL_V4 + ":8080 db1.corp.example. tunnel " + net.iface
                            + " allowed"),
                    ipAttempts(summary(app)).stream()
                            .filter(a -> a.get("syscall").equals("connect")
                                    && !a.get("destination").toString().endsWith(":53"))
                            .map(TraceEndToEndTest::described)
                            .toList(),
                    app::toString);
            assertTrue(
                    app.err().contains(TunnelLab.INTERNAL_V4 + ":8080 (db1.corp.example.) -> tunnel"),
                    "the live line names it: " + app);
        }
    }

    /**
     * ssh reaching the internal host through a {@code ProxyCommand} (the command ssh forks connects, ssh
     * itself talks over its pipes): traced as app probe, whose children keep its grants, the proxy's one
     * connection shows with its verdict, ssh logs in and prints what it prints untraced.
     */
    @Test
    void sshThroughAProxyCommandShowsTheProxysConnectionOnceAndLogsInAsUntraced(NetnsLab lab) throws Exception {
        net = TunnelLab.routed(lab);
        Path config = net.config("per-prefix", TunnelLab.ALLOWED_IPS, null);
        Files.writeString(
                config, Files.readString(config).replace("name = \"probe\"", "name = \"probe\"\nchildren = \"any\""));
        assertEquals(0, net.up(config).exitCode());

        try (LabSshd sshd = LabSshd.start(net)) {
            Result[] runs = sshThroughAProxyCommand(sshd);

            assertEquals(0, runs[0].exitCode(), runs[0]::toString);
            assertEquals("logged-in\n", runs[0].out(), runs[0]::toString);
            assertSshsProxyConnection(runs, "allowed");
        }
    }

    /**
     * The same where the app's grants are bound to ssh (children = "same-exec", the default): the kernel
     * refuses the proxy's connection, and the trace says so instead of "allowed".
     */
    @Test
    void sshsProxyCommandIsShownRefusedWhereTheAppsGrantsAreBoundToSsh(NetnsLab lab) throws Exception {
        net = up(lab);

        try (LabSshd sshd = LabSshd.start(net)) {
            Result[] runs = sshThroughAProxyCommand(sshd);

            assertEquals(255, runs[0].exitCode(), runs[0]::toString);
            assertTrue(runs[0].err().contains("Operation not permitted"), runs[0]::toString);
            assertSshsProxyConnection(runs, "denied");
        }
    }

    /** ssh as app probe through a bash ProxyCommand, untraced then traced: both results, in that order. */
    private Result[] sshThroughAProxyCommand(LabSshd sshd) throws Exception {
        List<String> ssh = new ArrayList<>(List.of("/usr/bin/ssh"));
        ssh.addAll(sshd.batchSshOptions());
        ssh.addAll(List.of(
                "-o",
                "ProxyCommand=/bin/bash -c '" + PROXY + "'",
                "root@" + TunnelLab.INTERNAL_V4,
                "echo",
                "logged-in"));
        List<String> run = new ArrayList<>(List.of("run", "--app", "probe", "--"));
        run.addAll(ssh);
        Result untraced = net.cli().run(run.toArray(String[]::new));
        Result traced = net.cli().run(appTrace(ssh).toArray(String[]::new));
        return new Result[] {untraced, traced};
    }

    /** The traced run ended as the untraced one, and showed the proxy's one connection as {@code verdict}. */
    private void assertSshsProxyConnection(Result[] runs, String verdict) {
        Result traced = runs[1];
        assertEquals(runs[0].exitCode(), traced.exitCode(), traced::toString);
        assertEquals(runs[0].out(), traced.out(), traced::toString);
        Map<String, Object> summary = summary(traced);
        assertEquals(
                List.of("connect tcp " + TunnelLab.INTERNAL_V4 + ":22 tunnel " + net.iface + " " + verdict),
                ipAttempts(summary).stream().map(TraceEndToEndTest::described).toList(),
                traced::toString);
        assertEquals(0L, summary.get("leaks"), traced::toString);
    }

    private TunnelLab up(NetnsLab lab) throws Exception {
        TunnelLab tunnel = TunnelLab.routed(lab);
        Result up = tunnel.up(tunnel.config("per-prefix", TunnelLab.ALLOWED_IPS, null));
        assertEquals(0, up.exitCode(), up::toString);
        return tunnel;
    }

    private List<String> program(boolean leak) {
        List<String> command = new ArrayList<>(List.of(
                PYTHON,
                script.toString(),
                TunnelLab.INTERNET_V4,
                TunnelLab.INTERNAL_V4,
                Integer.toString(TunnelLab.PORT)));
        if (leak) {
            command.add("leak");
        }
        return command;
    }

    private Result trace(List<String> program) throws Exception {
        return trace(List.of(), program);
    }

    private Result trace(List<String> options, List<String> program) throws Exception {
        List<String> args = new ArrayList<>(List.of("trace", "--json"));
        args.addAll(options);
        args.add("--");
        args.addAll(program);
        return net.cli().run(args.toArray(String[]::new));
    }

    /** {@code wg-pr trace --json --app probe -- program…}. */
    private static List<String> appTrace(List<String> program) {
        List<String> args = new ArrayList<>(List.of("trace", "--json", "--app", "probe", "--"));
        args.addAll(program);
        return args;
    }

    /** The summary: the last line of stderr, one line of JSON. */
    private static Map<String, Object> summary(Result traced) {
        List<String> lines = traced.err().lines().toList();
        return Json.parseObject(lines.getLast());
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> ipAttempts(Map<String, Object> summary) {
        return ((List<Map<String, Object>>) summary.get("attempts"))
                .stream()
                        .filter(a -> a.get("family").equals("inet")
                                || a.get("family").equals("inet6"))
                        .toList();
    }

    @SuppressWarnings("unchecked")
    private static String described(Map<String, Object> attempt) {
        Map<String, Object> verdict = (Map<String, Object>) attempt.get("verdict");
        String word = Boolean.TRUE.equals(verdict.get("leak"))
                ? "LEAK"
                : Boolean.TRUE.equals(verdict.get("allowed")) ? "allowed" : "denied";
        String name = (String) attempt.get("name");
        return attempt.get("syscall") + " " + attempt.get("protocol") + " " + attempt.get("destination")
                + (name.isEmpty() ? "" : " " + name) + " " + verdict.get("route") + " " + word;
    }
}
