package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.enforcement.policy.Grant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GrantScopesTest {
    private static final GrantScopes A_WITH_B_INSIDE = new GrantScopes(Map.of(
            IpPrefix.parse("10.20.0.0/16"), "a",
            IpPrefix.parse("10.20.5.0/24"), "b",
            IpPrefix.parse("10.20.5.128/25"), "a"));

    @Test
    void aWideGrantLosesTheMoreSpecificPrefixOfAnotherTunnelButKeepsItsOwnInsideIt() {
        List<String> kept = clip("10.20.0.0/16 tcp/8080", "a");
        assertEquals(
                List.of(
                        "10.20.0.0/22 tcp/8080",
                        "10.20.4.0/24 tcp/8080",
                        "10.20.5.128/25 tcp/8080",
                        "10.20.6.0/23 tcp/8080",
                        "10.20.8.0/21 tcp/8080",
                        "10.20.16.0/20 tcp/8080",
                        "10.20.32.0/19 tcp/8080",
                        "10.20.64.0/18 tcp/8080",
                        "10.20.128.0/17 tcp/8080"),
                kept);
    }

    @Test
    void aGrantInsideAnotherTunnelsPrefixIsDroppedAndOneOfItsOwnIsKeptWhole() {
        assertEquals(List.of(), clip("10.20.5.10/32 tcp/22", "a"));
        assertEquals(List.of("10.20.5.10/32 tcp/22"), clip("10.20.5.10/32 tcp/22", "b"));
        assertEquals(List.of("10.20.5.0/25"), clip("10.20.5.0/24", "b"));
    }

    @Test
    void destinationsNoTunnelRoutesStayGranted() {
        assertEquals(List.of("192.168.0.0/16 udp/53"), clip("192.168.0.0/16 udp/53", "a"));
        assertEquals(List.of("fd10::/16"), clip("fd10::/16", "b"));
    }

    private static List<String> clip(String grant, String tunnel) {
        return A_WITH_B_INSIDE.clip(Grant.parse(grant), tunnel).stream()
                .map(Grant::toString)
                .toList();
    }
}
