package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A host whose resolver is Debian's resolvconf, for real (its package unpacked by dev.sh, not installed): in
 * a network and mount namespace of the test's own, with overlays over /etc, /usr/sbin, /usr/lib and /run
 * holding the package's files and run directory ({@code /run/INSTANCE} the machine's, so the test sees the
 * daemon), {@code /etc/resolv.conf} its symlink to {@code /run/resolvconf/resolv.conf} and a LAN record
 * already there. {@code wg-pr up} picks resolvconf by itself; the tunnel's link is asked first; after {@code
 * down} and after a SIGKILL'ed daemon with the next one started, the file is as before byte for byte.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class ResolvconfHostTest {
    static final Path UNPACKED = Path.of("/var/cache/wg-pr-resolvconf/root");
    private ResolverHost host;

    @BeforeEach
    void resolvconfHost(NetnsLab lab) throws Exception {
        Assumptions.assumeTrue(
                Files.isRegularFile(UNPACKED.resolve("sbin/resolvconf")),
                "resolvconf unpacked at " + UNPACKED + " (./dev.sh test does it)");
        host = ResolverHost.start(
                lab,
                String.join(
                        "\n",
                        "R=" + UNPACKED,
                        "mkdir -p $DIR/hostrun $DIR/ru $DIR/rw $DIR/su $DIR/sw $DIR/lu $DIR/lw",
                        "cp -a $R/etc/resolvconf /etc/resolvconf",
                        "cp $R/sbin/resolvconf $DIR/su/",
                        "mount -t overlay overlay -o lowerdir=/usr/sbin,upperdir=$DIR/su,workdir=$DIR/sw /usr/sbin",
                        "cp -a $R/lib/resolvconf $DIR/lu/",
                        "mount -t overlay overlay -o lowerdir=/usr/lib,upperdir=$DIR/lu,workdir=$DIR/lw /usr/lib",
                        "mount --bind /run $DIR/hostrun",
                        "mount -t overlay overlay -o lowerdir=/run,upperdir=$DIR/ru,workdir=$DIR/rw /run",
                        "mount --bind $DIR/hostrun${RUN#/run} $RUN",
                        "umount $DIR/hostrun",
                        // What the package's tmpfiles.d and postinst would do.
                        "mkdir -p /run/resolvconf/interface && touch /run/resolvconf/enable-updates",
                        "ln -sf /run/resolvconf/resolv.conf /etc/resolv.conf",
                        "printf 'nameserver 192.0.2.53\\nsearch lan.example\\n' | resolvconf -a eth0.inet"));
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (host != null) {
            host.close();
        }
    }

    private String resolvConf() throws Exception {
        return host.etc.run(
                "sh", "-c", "readlink /etc/resolv.conf; ls /run/resolvconf/interface; cat /etc/resolv.conf");
    }

    /** Tunnel wgprd2; resolvconf is picked by itself. */
    private static Path config() throws Exception {
        return ResolverHost.dnsConfig("wgprd2", 10, "\"10.79.0.2/32\"", "\"corp.example\"", "auto");
    }

    @Test
    void upPutsTheLinksServerFirstAndDownLeavesResolvConfAsBefore() throws Exception {
        String before = resolvConf();

        host.succeeds("up", config().toString());
        String up = resolvConf();
        assertTrue(up.contains("tun.wgprd2.wg-pr"), up);
        assertTrue(up.contains("nameserver 10.79.0.2\nnameserver 192.0.2.53\n"), "the link's server first: " + up);

        host.succeeds("down", "wgprd2");
        assertEquals(before, resolvConf());
    }

    @Test
    void theNextDaemonAfterASigkillTakesTheRecordBack() throws Exception {
        String before = resolvConf();
        host.succeeds("up", config().toString());

        host.killDaemon();
        assertTrue(resolvConf().contains("nameserver 10.79.0.2"), "the record outlives the killed daemon");
        host.succeeds("daemon");

        assertEquals(before, resolvConf());
    }
}
