package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.daemon.DaemonTesting.Cli;
import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.testing.lab.Namespace;
import dev.wgpr.testing.lab.NetnsLab;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The host of a test of the host's resolver: network namespace "host" of the lab, with a private /etc
 * ({@link PrivateEtc}) made in it and finished by a set-up script that starts the resolver it has, and
 * an instance of wg-pr of its own whose CLI and daemons run in both. Its tunnels' peers never answer:
 * what these tests look at is what {@code up}, {@code reload}, {@code down} and a crash do to the
 * resolver, and what the tunnel's forwarder answers on its link face.
 */
final class ResolverHost {
    /** Debian's systemd-resolved, unpacked by dev.sh, never installed. */
    private static final Path RESOLVED_ROOT = Path.of("/var/cache/wg-pr-resolved/root");

    private static final Path RESOLVED = RESOLVED_ROOT.resolve("lib/systemd/systemd-resolved");
    static final Path RESOLVECTL = RESOLVED_ROOT.resolve("usr/bin/resolvectl");

    final Instance instance;
    final Namespace netns;
    final PrivateEtc etc;

    private ResolverHost(Instance instance, Namespace netns, PrivateEtc etc) {
        this.instance = instance;
        this.netns = netns;
        this.etc = etc;
    }

    /**
     * Makes the host; {@code setUp} (a shell script, see {@link PrivateEtc#create(List, String)}) finds the
     * instance's runtime directory, made already, in {@code $RUN}.
     */
    static ResolverHost start(NetnsLab lab, String setUp) throws Exception {
        return start(DaemonTesting.uniqueInstance(), lab.namespace("host"), setUp);
    }

    /** A host in {@code netns} (such as a {@link TunnelLab}'s client), for {@code instance}. */
    static ResolverHost start(Instance instance, Namespace netns, String setUp) throws Exception {
        try {
            Files.createDirectories(instance.runtimeDirectory());
            PrivateEtc etc = PrivateEtc.create(
                    List.of("nsenter", "--net=/run/netns/" + netns.name(), "--"),
                    "RUN=" + instance.runtimeDirectory() + "\n" + setUp);
            return new ResolverHost(instance, netns, etc);
        } catch (Exception e) {
            DaemonTesting.cleanUp(instance);
            throw e;
        }
    }

    /** Skips the test where dev.sh has not unpacked systemd-resolved or dbus-daemon is missing. */
    static void assumeSystemdResolved() {
        Assumptions.assumeTrue(
                Files.isExecutable(RESOLVED) && Files.isExecutable(Path.of("/usr/bin/dbus-daemon")),
                "systemd-resolved unpacked at " + RESOLVED_ROOT + " and dbus-daemon (./dev.sh test sets both up)");
    }

    /**
     * The set-up of a host whose resolver is systemd-resolved, for real, with a dbus-daemon as its system
     * bus ({@code /run/dbus} and {@code /run/systemd} private), {@code /etc/resolv.conf} a symlink to its
     * stub, and {@code resolvedConf} its /etc/systemd/resolved.conf when not empty.
     */
    static String systemdResolved(String resolvedConf) throws IOException {
        Path busConfig = DaemonTesting.config(
                "system-bus.xml", DaemonTesting.systemBusConfig(Path.of("/run/dbus/system_bus_socket")));
        return String.join(
                "\n",
                "mount -t tmpfs tmpfs /run/dbus",
                "mkdir -p /run/systemd && mount -t tmpfs tmpfs /run/systemd",
                // resolved drops its privileges to this user, as the package's sysusers would make it.
                "echo 'systemd-resolve:x:990:990:systemd Resolver:/:/usr/sbin/nologin' >> /etc/passwd",
                "echo 'systemd-resolve:x:990:' >> /etc/group",
                resolvedConf.isEmpty()
                        ? ""
                        : "mkdir -p /etc/systemd && printf '%s' '" + resolvedConf + "' > /etc/systemd/resolved.conf",
                "ip link set lo up",
                "ln -sf ../run/systemd/resolve/stub-resolv.conf /etc/resolv.conf",
                "dbus-daemon --config-file=" + busConfig + " --fork --print-pid > $DIR/dbus.pid",
                RESOLVED + " > $DIR/resolved.log 2>&1 &",
                "echo $! > $DIR/resolved.pid",
                "for i in $(seq 100); do " + RESOLVECTL + " status >/dev/null 2>&1 && break; sleep 0.1; done",
                RESOLVECTL + " status > /dev/null");
    }

    /** The CLI as root on the host (a daemon it starts runs there). */
    Cli cli() {
        return Cli.root(instance).inMountNamespace(etc.namespace()).inNetnsFile(etc.networkNamespace());
    }

    /** {@code wg-pr ARGS} on the host, required to succeed. */
    Result succeeds(String... args) throws IOException, InterruptedException {
        Result result = cli().run(args);
        assertEquals(0, result.exitCode(), result::toString);
        return result;
    }

    /** SIGKILL to the instance's daemon, as a crash; returns once it is gone. */
    void killDaemon() throws Exception {
        ProcessHandle daemon =
                ProcessHandle.of(DaemonTesting.daemonPid(instance)).orElseThrow();
        assertTrue(daemon.destroyForcibly(), "SIGKILL sent");
        daemon.onExit().get(20, TimeUnit.SECONDS);
    }

    /**
     * The config of tunnel {@code iface} with DNS: addresses {@code addresses} and domains {@code domains}
     * (TOML list items), the host's resolver told by {@code resolver}; peer gw at 192.0.2.{@code
     * subnet - 9} routing 10.79.{@code subnet}.0/24, where its DNS server .53 is; app cat.
     */
    static Path dnsConfig(String iface, int subnet, String addresses, String domains, String resolver)
            throws IOException {
        return DaemonTesting.config(
                iface + ".toml", """
                [interface]
                name = "%s"
                privateKey = "@OUR_PRIVATE_KEY@"
                address = [%s]
                dns = ["10.79.%d.53"]
                dnsDomains = [%s]
                dnsResolver = "%s"

                [[peer]]
                name = "gw"
                publicKey = "@PEER_KEY@"
                endpoint = "192.0.2.%d:51820"
                allowedIPs = ["10.79.%d.0/24"]

                [[peer.allowedApps]]
                name = "cat"
                exec = "/usr/bin/cat"
                """.formatted(iface, addresses, subnet, domains, resolver, subnet - 9, subnet));
    }

    /** Stops the instance's daemon and removes what it left, then the private /etc and what it started. */
    void close() throws Exception {
        try {
            DaemonTesting.cleanUp(instance);
        } finally {
            etc.close();
        }
    }
}
