package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code wg-pr up} of a config whose endpoint is a name, on a host whose resolver does not answer yet (a
 * laptop at boot, wg-pr@.service started before the network): with WG_ENDPOINT_RESOLUTION_RETRIES it asks
 * the daemon again until the name resolves, as wg-quick@ does; without, it fails at once. The host's
 * resolv.conf names a server on its own loopback, where nothing listens (nothing leaves the namespace);
 * the name appears in its /etc/hosts while {@code up} waits.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class EndpointResolutionRetryTest {
    private static final String NAME = "gw.wg-pr-retry.test";
    private ResolverHost host;

    @BeforeEach
    void aHostWhoseResolverDoesNotAnswer(NetnsLab lab) throws Exception {
        host = ResolverHost.start(
                lab,
                String.join(
                        "\n",
                        "ip link set lo up",
                        // the overlay's own file: the machine's resolv.conf (or what a symlink leads to) stays as it is
                        "rm -f /etc/resolv.conf",
                        "printf 'nameserver 127.0.0.1\\noptions timeout:1 attempts:1\\n' > /etc/resolv.conf"));
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (host != null) {
            host.close();
        }
    }

    private static Path config() throws Exception {
        return DaemonTesting.config("wgprr0.toml", """
                [interface]
                name = "wgprr0"
                privateKey = "@OUR_PRIVATE_KEY@"
                address = ["10.78.0.2/32"]

                [[peer]]
                name = "gw"
                publicKey = "@PEER_KEY@"
                endpoint = "%s:51820"
                allowedIPs = ["10.78.10.0/24"]
                """.formatted(NAME));
    }

    @Test
    void upAsksAgainWhileTheEndpointsNameDoesNotResolveAndIsUpOnceItDoes() throws Exception {
        Process up = host.cli()
                .withEnvironment(Map.of("WG_ENDPOINT_RESOLUTION_RETRIES", "infinity"))
                .start("up", config().toString());
        DaemonTesting.awaitErrorOutput(up, "trying again in 1.2 s");
        assertTrue(up.isAlive(), "still trying");

        host.etc.run("sh", "-c", "echo '192.0.2.77 " + NAME + "' >> /etc/hosts");

        Result result = DaemonTesting.finish(up);
        assertEquals(0, result.exitCode(), result::toString);
        assertTrue(result.out().contains("wgprr0 is up"), result::toString);
        assertTrue(
                result.err().contains("wg-pr up: peer gw: cannot resolve the endpoint name " + NAME + " ("),
                result::toString);
        assertTrue(result.err().contains("nothing was changed; trying again in 1.0 s"), result::toString);
        Result status = host.succeeds("status");
        assertTrue(status.out().contains("192.0.2.77:51820"), status::toString);
        host.succeeds("down", "wgprr0");
    }

    @Test
    void withoutTheVariableUpFailsAtOnceAndChangesNothing() throws Exception {
        Result up = host.cli().run("up", config().toString());
        assertEquals(1, up.exitCode(), up::toString);
        assertTrue(up.err().contains("cannot resolve the endpoint name " + NAME), up::toString);
        assertFalse(up.err().contains("trying again"), up::toString);
        assertFalse(host.succeeds("status").out().contains("wgprr0"), "nothing is up");
    }

    @Test
    void aValueThatIsNoNumberIsBadInputBeforeAnythingHappens() throws Exception {
        Result up = host.cli()
                .withEnvironment(Map.of("WG_ENDPOINT_RESOLUTION_RETRIES", "often"))
                .run("up", config().toString());
        assertEquals(2, up.exitCode(), up::toString);
        assertEquals(
                "wg-pr up: WG_ENDPOINT_RESOLUTION_RETRIES=often is neither a number of retries nor infinity\n",
                up.err());
    }
}
