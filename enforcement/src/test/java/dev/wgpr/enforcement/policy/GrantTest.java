package dev.wgpr.enforcement.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.enforcement.policy.InvalidGrantException.Kind;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GrantTest {
    @Test
    void prefixAloneMeansAnyProtocolAnyPort() {
        Grant grant = Grant.parse("10.20.0.0/16");
        assertEquals(Grant.allOf(IpPrefix.parse("10.20.0.0/16")), grant);
        assertEquals(Protocol.ANY, grant.protocol());
        assertTrue(grant.ports().isAll());
    }

    @Test
    void protocolWithoutPortsMeansEveryPortOfThatProtocol() {
        Grant grant = Grant.parse("10.20.0.53 udp");
        assertEquals(IpPrefix.parse("10.20.0.53/32"), grant.prefix());
        assertEquals(Protocol.UDP, grant.protocol());
        assertTrue(grant.ports().isAll());
    }

    @Test
    void fullGrantParsesEveryPart() {
        Grant grant = Grant.parse("  fd10:20::/32   tcp/8000-8099,9000 ");
        assertEquals(IpPrefix.parse("fd10:20::/32"), grant.prefix());
        assertEquals(Protocol.TCP, grant.protocol());
        assertEquals(PortSet.parse("8000-8099,9000"), grant.ports());
    }

    @Test
    void coversExactlyItsPrefixProtocolAndPorts() throws Exception {
        Grant grant = Grant.parse("10.20.0.0/16 tcp/22,8000-8099");
        InetAddress inside = InetAddress.ofLiteral("10.20.3.4");
        assertTrue(grant.covers(inside, Protocol.TCP, 22));
        assertTrue(grant.covers(inside, Protocol.TCP, 8050));
        assertFalse(grant.covers(inside, Protocol.TCP, 23));
        assertFalse(grant.covers(inside, Protocol.TCP, 8100));
        assertFalse(grant.covers(inside, Protocol.UDP, 22));
        assertFalse(grant.covers(InetAddress.ofLiteral("10.21.0.1"), Protocol.TCP, 22));
        assertTrue(Grant.parse("10.20.0.0/16 any/53").covers(inside, Protocol.UDP, 53));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.20.0.0/16", "10.20.0.0/16 tcp", "fd10:20::/32 udp/53", "10.0.0.1/32 any/22,80-90"})
    void toStringParsesBackToTheSameGrant(String text) {
        Grant grant = Grant.parse(text);
        assertEquals(text, grant.toString());
        assertEquals(grant, Grant.parse(grant.toString()));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "''|SYNTAX",
                "10.20.0.0/16 tcp/22 extra|SYNTAX",
                "10.20.0.0/16 icmp|SYNTAX",
                "10.20.0.0/16 TCP/22|SYNTAX",
                "10.20.0.0/16 tcp/|SYNTAX",
                "10.20.0.0/16 tcp/ssh|SYNTAX",
                "10.20.0.0/33|PREFIX",
                "corp.example.com tcp/22|PREFIX",
                "10.20.0.1/16 tcp/22|HOST_BITS",
                "10.20.0.0/16 tcp/0|PORT_RANGE",
                "10.20.0.0/16 udp/90-80|PORT_RANGE",
            })
    void badGrantsAreRejectedWithTheirKind(String text, Kind kind) {
        InvalidGrantException e = assertThrows(InvalidGrantException.class, () -> Grant.parse(text));
        assertEquals(kind, e.kind(), e.getMessage());
    }

    @Test
    void hostBitsMessageShowsTheNormalizedPrefix() {
        InvalidGrantException e = assertThrows(InvalidGrantException.class, () -> Grant.parse("fd10:20::1/32"));
        assertEquals("host bits set in fd10:20::1/32; the prefix is fd10:20::/32", e.getMessage());
    }
}
