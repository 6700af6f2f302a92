package dev.wgpr.enforcement.revoke;

import static dev.wgpr.enforcement.revoke.RevocationLab.ECHO_PORT;
import static dev.wgpr.enforcement.revoke.RevocationLab.ECHO_PORT_2;
import static dev.wgpr.enforcement.revoke.RevocationLab.SERVER2_V4;
import static dev.wgpr.enforcement.revoke.RevocationLab.SERVER2_V6;
import static dev.wgpr.enforcement.revoke.RevocationLab.SERVER_V4;
import static dev.wgpr.enforcement.revoke.RevocationLab.SERVER_V6;
import static dev.wgpr.enforcement.revoke.RevocationLab.in;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.enforcement.AppId;
import dev.wgpr.enforcement.Policy;
import dev.wgpr.enforcement.ReferenceModel;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Revocation through real processes holding real connections: a reload publishes the new policy and
 * the revoker ends the app's connections the new policy denies. Each test checks both sides: what
 * must die is dead (its next use fails) and what must live still answers, so a revoker that did
 * nothing, or destroyed everything, fails.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class RevocationKernelTest {
    static final AppId SSH = AppId.of(1);
    static final AppId WEB = AppId.of(2);
    static final Set<Integer> TCP_DEAD = Set.of(Holder.ECONNABORTED, Holder.ECONNRESET, Holder.EPIPE);
    /** A destroyed UDP socket is disconnected: send() has no destination; recv() reports the abort. */
    static final Set<Integer> UDP_DEAD = Set.of(Holder.EDESTADDRREQ, Holder.ECONNABORTED);

    /** SSH may reach every internal host on the echo ports; WEB only the first server. */
    static Policy.Builder granted() {
        return RevocationLab.basePolicy()
                .grant(SSH, "10.20.0.0/16 tcp/" + ECHO_PORT + "," + ECHO_PORT_2)
                .grant(SSH, "10.20.0.0/16 udp/" + ECHO_PORT)
                .grant(SSH, "fd10:20::/32 tcp/" + ECHO_PORT + "," + ECHO_PORT_2)
                .grant(SSH, "fd10:20::/32 udp/" + ECHO_PORT)
                .grant(WEB, SERVER_V4 + "/32")
                .grant(WEB, SERVER_V6 + "/128");
    }

    @Test
    void revokedTcpAndUdpConnectionsOfTheAppAndItsDescendantCgroupsDieAndNewAttemptsAreDenied(NetnsLab lab)
            throws Exception {
        try (RevocationLab world = RevocationLab.create(lab, granted().build())) {
            Path ssh = world.addApp("ssh", SSH);
            Path worker = Files.createDirectory(ssh.resolve("worker"));
            List<Holder> holders = List.of(world.holder("ssh", in(ssh)), world.holder("ssh-worker", in(worker)));
            for (Holder holder : holders) {
                assertEquals(0, holder.tcp("t4", SERVER_V4, ECHO_PORT), holder + " tcp v4");
                assertEquals(0, holder.tcp("t6", SERVER_V6, ECHO_PORT), holder + " tcp v6");
                assertEquals(0, holder.tcp("m4", "::ffff:" + SERVER_V4, ECHO_PORT), holder + " tcp v4-mapped");
                assertEquals(0, holder.udp("u4", SERVER_V4, ECHO_PORT), holder + " udp v4");
                assertEquals(0, holder.udp("u6", SERVER_V6, ECHO_PORT), holder + " udp v6");
                for (String name : List.of("t4", "t6", "m4", "u4", "u6")) {
                    assertEquals(0, holder.echo(name), holder + " " + name + " answers before the reload");
                }
            }

            // SSH keeps only the second server: everything it holds to the first is revoked.
            Policy revoked = RevocationLab.basePolicy()
                    .grant(SSH, SERVER2_V4 + "/32 tcp/" + ECHO_PORT)
                    .grant(SSH, SERVER2_V4 + "/32 udp/" + ECHO_PORT)
                    .grant(SSH, SERVER2_V6 + "/128 tcp/" + ECHO_PORT)
                    .grant(SSH, SERVER2_V6 + "/128 udp/" + ECHO_PORT)
                    .grant(WEB, SERVER_V4 + "/32")
                    .grant(WEB, SERVER_V6 + "/128")
                    .build();
            RevocationReport report = world.reload(revoked);

            assertTrue(report.failures().isEmpty(), report.failures().toString());
            assertEquals(10, report.destroyed().size(), report.summary() + " " + report.destroyed());
            for (Holder holder : holders) {
                for (String name : List.of("t4", "t6", "m4")) {
                    int errno = holder.echo(name);
                    assertTrue(TCP_DEAD.contains(errno), holder + " " + name + " must be dead, errno " + errno);
                }
                for (String name : List.of("u4", "u6")) {
                    int errno = holder.echo(name);
                    assertTrue(UDP_DEAD.contains(errno), holder + " " + name + " must be dead, errno " + errno);
                }
                assertEquals(Holder.EPERM, holder.tcp("new4", SERVER_V4, ECHO_PORT), holder + " new tcp v4");
                assertEquals(Holder.EPERM, holder.tcp("new6", SERVER_V6, ECHO_PORT), holder + " new tcp v6");
                assertEquals(Holder.EPERM, holder.udp("newu4", SERVER_V4, ECHO_PORT), holder + " new udp v4");
                assertEquals(Holder.EPERM, holder.udp("newu6", SERVER_V6, ECHO_PORT), holder + " new udp v6");
                // And what is still granted works from the same processes.
                assertEquals(0, holder.tcp("ok4", SERVER2_V4, ECHO_PORT), holder + " granted tcp v4");
                assertEquals(0, holder.echo("ok4"));
            }
            // Nothing left to do: a second sweep by the same policy finds nothing to revoke.
            RevocationReport again = world.revoker.sweep(revoked, world.apps());
            assertEquals(0, again.matched(), again.summary());
            assertTrue(again.examined() >= 2, "the granted connections are still there: " + again.summary());
        }
    }

    @Test
    void onlyTheRevokedDestinationsAndPortsCloseWhileOtherAppsAndOutsidersKeepTheirConnections(NetnsLab lab)
            throws Exception {
        // First the two servers are excluded (routed elsewhere, so external): a process outside every
        // app may connect to them, as it could have before wg-pr came up.
        Policy before =
                granted().exclude(SERVER_V4 + "/32").exclude(SERVER_V6 + "/128").build();
        try (RevocationLab world = RevocationLab.create(lab, before)) {
            Holder outsider = world.holder("outsider", Optional.empty());
            assertEquals(0, outsider.tcp("o4", SERVER_V4, ECHO_PORT));
            assertEquals(0, outsider.tcp("o6", SERVER_V6, ECHO_PORT));
            assertEquals(0, outsider.udp("ou4", SERVER_V4, ECHO_PORT));

            world.reload(granted().build()); // now internal: the outsider's new attempts are denied
            assertEquals(Holder.EPERM, outsider.tcp("denied", SERVER_V4, ECHO_PORT));

            Holder ssh = world.holder("ssh", in(world.addApp("ssh", SSH)));
            Holder web = world.holder("web", in(world.addApp("web", WEB)));
            assertEquals(0, ssh.tcp("lose4", SERVER_V4, ECHO_PORT));
            assertEquals(0, ssh.tcp("lose6", SERVER_V6, ECHO_PORT));
            assertEquals(0, ssh.udp("loseu4", SERVER_V4, ECHO_PORT));
            assertEquals(0, ssh.tcp("otherport4", SERVER_V4, ECHO_PORT_2));
            assertEquals(0, ssh.tcp("otherhost4", SERVER2_V4, ECHO_PORT));
            assertEquals(0, ssh.tcp("otherhost6", SERVER2_V6, ECHO_PORT));
            assertEquals(0, ssh.udp("otherhostu4", SERVER2_V4, ECHO_PORT));
            assertEquals(0, web.tcp("w4", SERVER_V4, ECHO_PORT));
            assertEquals(0, web.tcp("w6", SERVER_V6, ECHO_PORT));
            assertEquals(0, web.udp("wu4", SERVER_V4, ECHO_PORT));

            // SSH loses port 7001 (TCP and UDP) on the first server, v4 and v6; keeps 7002 there and
            // everything on the second. WEB's grants do not change.
            Policy next = RevocationLab.basePolicy()
                    .grant(SSH, "10.20.0.0/16 tcp/" + ECHO_PORT_2)
                    .grant(SSH, SERVER2_V4 + "/32 tcp/" + ECHO_PORT)
                    .grant(SSH, SERVER2_V4 + "/32 udp/" + ECHO_PORT)
                    .grant(SSH, SERVER2_V6 + "/128 tcp/" + ECHO_PORT)
                    .grant(WEB, SERVER_V4 + "/32")
                    .grant(WEB, SERVER_V6 + "/128")
                    .build();
            RevocationReport report = world.reload(next);

            assertEquals(1, report.apps(), "only SSH's grants changed: " + report.summary());
            assertTrue(report.failures().isEmpty(), report.failures().toString());
            Set<String> destroyed = report.destroyed().stream()
                    .map(r -> r.transport() + " " + host(r.remote().getAddress()) + ":"
                            + r.remote().getPort())
                    .collect(Collectors.toSet());
            assertEquals(
                    Set.of(
                            "tcp4 " + hostOf(SERVER_V4) + ":" + ECHO_PORT,
                            "tcp6 " + hostOf(SERVER_V6) + ":" + ECHO_PORT,
                            "udp4 " + hostOf(SERVER_V4) + ":" + ECHO_PORT),
                    destroyed);
            assertTrue(report.destroyed().stream().allMatch(r -> r.app().equals(SSH)));

            for (String name : List.of("lose4", "lose6")) {
                int errno = ssh.echo(name);
                assertTrue(TCP_DEAD.contains(errno), name + " must be dead, errno " + errno);
            }
            int udpErrno = ssh.echo("loseu4");
            assertTrue(UDP_DEAD.contains(udpErrno), "loseu4 must be dead, errno " + udpErrno);
            for (String name : List.of("otherport4", "otherhost4", "otherhost6", "otherhostu4")) {
                assertEquals(0, ssh.echo(name), "ssh " + name + " is still granted and must still answer");
            }
            for (String name : List.of("w4", "w6", "wu4")) {
                assertEquals(0, web.echo(name), "web " + name + " is another app's and must still answer");
            }
            for (String name : List.of("o4", "o6", "ou4")) {
                assertEquals(0, outsider.echo(name), "outsider " + name + " belongs to no app and is left alone");
            }
        }
    }

    @Test
    void anUnchangedReloadSweepsNoApp(NetnsLab lab) throws Exception {
        try (RevocationLab world = RevocationLab.create(lab, granted().build())) {
            Holder ssh = world.holder("ssh", in(world.addApp("ssh", SSH)));
            assertEquals(0, ssh.tcp("t4", SERVER_V4, ECHO_PORT));
            RevocationReport report = world.reload(granted().build());
            assertEquals(0, report.apps(), report.summary());
            assertEquals(0, ssh.echo("t4"));
            // A change in the internal set sweeps every app, and still closes nothing that is granted.
            RevocationReport routing =
                    world.reload(granted().exclude("10.20.200.0/24").build());
            assertEquals(1, routing.apps(), routing.summary());
            assertEquals(1, routing.examined(), routing.summary());
            assertEquals(0, routing.matched(), routing.summary());
            assertEquals(0, ssh.echo("t4"));
        }
    }

    private static String host(InetAddress address) {
        return ReferenceModel.unmapped(address).getHostAddress();
    }

    private static String hostOf(String address) throws IOException {
        return InetAddress.getByName(address).getHostAddress();
    }
}
