package dev.wgpr.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.routes.netlink.Route;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class RouteTagTest {
    @Test
    void theProtocolIsNotOneIproute2Reserves() throws Exception {
        for (String line : Files.readAllLines(Path.of("/etc/iproute2/rt_protos"))) {
            String[] words = line.strip().split("\\s+");
            if (!line.startsWith("#") && words.length == 2) {
                assertNotEquals(RouteTag.PROTOCOL, Integer.decode(words[0]), line);
            }
        }
    }

    @Test
    void thePackagingFileNamesTheProtocolWgPr() throws Exception {
        String conf = Files.readString(Path.of("../packaging/iproute2/rt_protos.d/wg-pr.conf"));
        assertTrue(conf.contains(RouteTag.PROTOCOL + "\t" + RouteTag.PROTOCOL_NAME + "\n"), conf);
    }

    @Test
    void eachInstanceOwnsItsOwnMetricBandAndNothingElse() {
        RouteTag corp = RouteTag.forInstance("wg-pr");
        RouteTag lab = RouteTag.forInstance("wgpr-lab-1");
        assertEquals(corp, RouteTag.forInstance("wg-pr"));
        assertNotEquals(corp.metric(), lab.metric());
        Route ours = Route.unreachable(IpPrefix.parse("10.0.0.0/8"))
                .withProtocol(RouteTag.PROTOCOL)
                .withMetric(corp.unreachableMetric());
        assertTrue(corp.owns(ours));
        assertFalse(lab.owns(ours));
        assertFalse(corp.owns(ours.withProtocol(Route.PROTOCOL_BOOT)), "same metric, somebody else's protocol");
        assertFalse(corp.owns(ours.withMetric(corp.unreachableMetric() + 1)));
        assertTrue(corp.bypassMetric() < corp.tunnelMetric() && corp.tunnelMetric() < corp.unreachableMetric());
    }

    @Test
    void aRouteIsDescribedAsIpRoutePrintsItWithWgPrsProtocolName() {
        IpPrefix internal = IpPrefix.parse("10.20.0.0/16");
        Route viaTunnel =
                Route.unicast(internal, 7).withProtocol(RouteTag.PROTOCOL).withMetric(5);
        Route twin = Route.unreachable(internal).withProtocol(RouteTag.PROTOCOL).withMetric(6);

        assertEquals(
                "10.20.0.0/16 dev corp0 proto wg-pr scope link metric 5",
                viaTunnel.describe(index -> index == 7 ? "corp0" : "?", RouteTag::protocolName));
        assertEquals(
                "unreachable 10.20.0.0/16 proto wg-pr metric 6", twin.describe(index -> "?", RouteTag::protocolName));
        assertEquals("10.20.0.0/16 dev #7 proto 87 scope link metric 5", viaTunnel.toString(), "no names: numbers");
        assertEquals("static", RouteTag.protocolName(4));
    }
}
