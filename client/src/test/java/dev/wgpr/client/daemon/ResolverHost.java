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

/**
 * The host of a test of the host's resolver: network namespace "host" of the lab, with a private /etc
 * ({@link PrivateEtc}) made in it and finished by a set-up script that starts the resolver it has, and
 * an instance of wg-pr of its own whose CLI and daemons run in both. Its tunnels' peers never answer:
 * what these tests look at is what {@code up}, {@code reload}, {@code down} and a crash do to the
 * resolver, and what the tunnel's forwarder answers on its link face.
 */
final class ResolverHost {
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
        Instance instance = DaemonTesting.uniqueInstance();
        Namespace netns = lab.namespace("host");
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
