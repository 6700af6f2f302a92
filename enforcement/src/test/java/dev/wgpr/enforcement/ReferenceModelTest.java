package dev.wgpr.enforcement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.enforcement.policy.Protocol;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The decision function (the specification) and the compiler checked against it. */
class ReferenceModelTest {
    static final AppId A = AppId.of(1);
    static final AppId B = AppId.of(2);

    static InetAddress ip(String literal) {
        return IpPrefix.parseAddress(literal);
    }

    static Decision decide(Policy policy, Optional<AppId> app, String dst, Protocol protocol, int port) {
        Decision model = ReferenceModel.decide(policy, app, ip(dst), protocol, port);
        // Every case here is also a compiler case: the compiled trie must agree with the model.
        Decision compiled = new TrieSimulator(PolicyCompiler.compile(policy)).decide(app, ip(dst), protocol, port);
        assertEquals(model, compiled, "compiled trie vs model for " + app + " " + dst + " " + protocol + "/" + port);
        return model;
    }

    @Test
    void onTheTunnelEveryDestinationIsJudgedByGrantsAndForwardingByThePolicyFlag() {
        Policy policy = Policy.builder()
                .internal("10.20.0.0/16", 0)
                .exclude("10.20.99.0/24")
                .grant(A, "10.20.0.0/16 tcp/22")
                .grant(B, "10.20.5.0/24")
                .build();
        // An exclusion does not make a packet on the tunnel external.
        assertEquals(
                Decision.DENY_NO_APP,
                ReferenceModel.decideTunnel(policy, true, Optional.empty(), ip("10.20.99.5"), Protocol.TCP, 22));
        assertEquals(
                Decision.ALLOW_INTERNAL,
                ReferenceModel.decideTunnel(policy, true, Optional.of(A), ip("10.20.99.5"), Protocol.TCP, 22));
        assertEquals(
                Decision.DENY_NO_GRANT,
                ReferenceModel.decideTunnel(policy, true, Optional.of(A), ip("10.20.1.1"), Protocol.ANY, 0));
        assertEquals(
                Decision.ALLOW_INTERNAL,
                ReferenceModel.decideTunnel(policy, true, Optional.of(B), ip("10.20.5.5"), Protocol.ANY, 0));
        assertEquals(
                Decision.DENY_NO_GRANT,
                ReferenceModel.decideTunnel(policy, true, Optional.of(B), ip("fe80::1"), Protocol.UDP, 53));
        assertEquals(
                Decision.DENY_FORWARDED,
                ReferenceModel.decideTunnel(policy, false, Optional.empty(), ip("10.20.1.1"), Protocol.TCP, 22));
        Policy forwarding = Policy.builder()
                .internal("10.20.0.0/16", 0)
                .allowForwarding(true)
                .build();
        assertEquals(
                Decision.ALLOW_FORWARDED,
                ReferenceModel.decideTunnel(forwarding, false, Optional.empty(), ip("10.20.1.1"), Protocol.TCP, 22));
        assertTrue(PolicyCompiler.compile(forwarding).stream()
                .anyMatch(e -> e.app() == TrieEntry.GENERATION_APP && e.forward()));
    }

    @Test
    void theLongestMatchDecidesWhetherADestinationIsInternal() {
        Policy policy = Policy.builder()
                .internal("10.0.0.0/8", 0)
                .exclude("10.20.0.0/16")
                .internal("10.20.30.0/24", 1)
                .exclude("10.20.30.40/32")
                .build();
        assertEquals(Decision.DENY_NO_APP, decide(policy, Optional.empty(), "10.1.2.3", Protocol.TCP, 80));
        assertEquals(Decision.ALLOW_EXTERNAL, decide(policy, Optional.empty(), "10.20.1.1", Protocol.TCP, 80));
        assertEquals(Decision.DENY_NO_APP, decide(policy, Optional.empty(), "10.20.30.41", Protocol.TCP, 80));
        assertEquals(Decision.ALLOW_EXTERNAL, decide(policy, Optional.empty(), "10.20.30.40", Protocol.TCP, 80));
        assertEquals(Decision.ALLOW_EXTERNAL, decide(policy, Optional.empty(), "11.0.0.1", Protocol.UDP, 53));
    }

    @Test
    void anExclusionWinsOverAnInternalPrefixOfTheSameLength() {
        Policy policy =
                Policy.builder().internal("10.0.0.0/8", 0).exclude("10.0.0.0/8").build();
        assertEquals(Decision.ALLOW_EXTERNAL, decide(policy, Optional.empty(), "10.1.1.1", Protocol.TCP, 1));
    }

    @Test
    void withoutAnAppInternalIsDeniedAndExternalAllowed() {
        Policy policy =
                Policy.builder().internal("fd10::/16", 0).grant(A, "fd10::/16").build();
        assertEquals(Decision.DENY_NO_APP, decide(policy, Optional.empty(), "fd10::1", Protocol.TCP, 443));
        assertEquals(Decision.ALLOW_INTERNAL, decide(policy, Optional.of(A), "fd10::1", Protocol.TCP, 443));
        assertEquals(Decision.DENY_NO_GRANT, decide(policy, Optional.of(B), "fd10::1", Protocol.TCP, 443));
        assertEquals(Decision.ALLOW_EXTERNAL, decide(policy, Optional.empty(), "2001:db8::1", Protocol.TCP, 443));
    }

    @Test
    void aBypassedPrefixLetsNonAppsAroundButKeepsAppsToTheirGrants() {
        Policy policy = Policy.builder()
                .bypass("0.0.0.0/0", 0)
                .grant(A, "0.0.0.0/0 tcp/443")
                .build();
        assertEquals(Decision.ALLOW_BYPASS, decide(policy, Optional.empty(), "203.0.113.7", Protocol.TCP, 80));
        assertEquals(Decision.ALLOW_BYPASS, decide(policy, Optional.empty(), "::ffff:203.0.113.7", Protocol.UDP, 53));
        assertEquals(Decision.ALLOW_INTERNAL, decide(policy, Optional.of(A), "203.0.113.7", Protocol.TCP, 443));
        assertEquals(Decision.DENY_NO_GRANT, decide(policy, Optional.of(A), "203.0.113.7", Protocol.TCP, 80));
        assertEquals(Decision.DENY_NO_GRANT, decide(policy, Optional.of(B), "203.0.113.7", Protocol.TCP, 80));
    }

    @Test
    void aDenyTunnelsPrefixInsideABypassedOneIsDeniedToNonApps() {
        Policy policy = Policy.builder()
                .bypass("0.0.0.0/0", 0)
                .internal("10.20.0.0/16", 1)
                .bypass("10.20.5.0/24", 0)
                .exclude("10.20.99.0/24")
                .build();
        assertEquals(Decision.DENY_NO_APP, decide(policy, Optional.empty(), "10.20.1.1", Protocol.TCP, 22));
        assertEquals(Decision.ALLOW_BYPASS, decide(policy, Optional.empty(), "10.20.5.1", Protocol.TCP, 22));
        assertEquals(Decision.ALLOW_BYPASS, decide(policy, Optional.empty(), "192.0.2.1", Protocol.TCP, 22));
        assertEquals(Decision.ALLOW_EXTERNAL, decide(policy, Optional.empty(), "10.20.99.1", Protocol.TCP, 22));
    }

    @Test
    void onlyAnInternalPrefixCanBeBypassed() {
        assertThrows(
                IllegalArgumentException.class,
                () -> new Policy(
                        java.util.Map.of(),
                        java.util.Set.of(),
                        java.util.Map.of(),
                        false,
                        java.util.Set.of(),
                        java.util.Set.of(IpPrefix.parse("10.0.0.0/8")),
                        java.util.Set.of()));
    }

    @Test
    void anExcludedAppGoesAroundTheDefaultRoutesPartsButNotADenyTunnelsOwnPrefixes() {
        AppId torrent = AppId.excluded(1);
        Policy policy = Policy.builder()
                .aroundForExcluded("0.0.0.0/1", 0)
                .aroundForExcluded("128.0.0.0/1", 0)
                .internal("10.20.0.0/16", 0)
                .grant(A, "0.0.0.0/0")
                .build();
        assertEquals(Decision.ALLOW_BYPASS, decide(policy, Optional.of(torrent), "203.0.113.7", Protocol.TCP, 80));
        assertEquals(Decision.DENY_NO_GRANT, decide(policy, Optional.of(torrent), "10.20.0.10", Protocol.TCP, 80));
        assertEquals(Decision.DENY_NO_APP, decide(policy, Optional.empty(), "203.0.113.7", Protocol.TCP, 80));
        assertEquals(Decision.ALLOW_INTERNAL, decide(policy, Optional.of(A), "203.0.113.7", Protocol.TCP, 80));
        assertEquals(Decision.ALLOW_EXTERNAL, decide(policy, Optional.of(torrent), "::1", Protocol.TCP, 80));
    }

    @Test
    void excludedAppsGoAroundEveryBypassedPrefix() {
        AppId torrent = AppId.excluded(3);
        Policy policy = Policy.builder().bypass("10.20.0.0/16", 0).build();
        assertEquals(Decision.ALLOW_BYPASS, decide(policy, Optional.of(torrent), "10.20.0.10", Protocol.UDP, 53));
        assertTrue(torrent.isExcluded());
        assertTrue(!A.isExcluded());
    }

    @Test
    void portSetsAreExactNeverWidened() {
        Policy policy = Policy.builder()
                .internal("10.20.0.0/16", 0)
                .grant(A, "10.20.0.0/16 tcp/22,8000-8099")
                .build();
        assertEquals(Decision.ALLOW_INTERNAL, decide(policy, Optional.of(A), "10.20.1.1", Protocol.TCP, 22));
        assertEquals(Decision.DENY_NO_GRANT, decide(policy, Optional.of(A), "10.20.1.1", Protocol.TCP, 23));
        assertEquals(Decision.DENY_NO_GRANT, decide(policy, Optional.of(A), "10.20.1.1", Protocol.TCP, 21));
        assertEquals(Decision.ALLOW_INTERNAL, decide(policy, Optional.of(A), "10.20.1.1", Protocol.TCP, 8000));
        assertEquals(Decision.ALLOW_INTERNAL, decide(policy, Optional.of(A), "10.20.1.1", Protocol.TCP, 8099));
        assertEquals(Decision.DENY_NO_GRANT, decide(policy, Optional.of(A), "10.20.1.1", Protocol.TCP, 8100));
        assertEquals(Decision.DENY_NO_GRANT, decide(policy, Optional.of(A), "10.20.1.1", Protocol.TCP, 7999));
        assertEquals(Decision.DENY_NO_GRANT, decide(policy, Optional.of(A), "10.20.1.1", Protocol.UDP, 22));
    }

    @Test
    void aDestinationIsGrantedByTheUnionOfEveryGrantContainingIt() {
        Policy policy = Policy.builder()
                .internal("10.0.0.0/8", 0)
                .grant(A, "10.0.0.0/8 tcp/22")
                .grant(A, "10.20.0.0/16 udp/53")
                .grant(A, "10.20.30.0/24 tcp/443")
                .build();
        // The most specific grant alone would lose 22 and udp/53.
        assertEquals(Decision.ALLOW_INTERNAL, decide(policy, Optional.of(A), "10.20.30.1", Protocol.TCP, 22));
        assertEquals(Decision.ALLOW_INTERNAL, decide(policy, Optional.of(A), "10.20.30.1", Protocol.UDP, 53));
        assertEquals(Decision.ALLOW_INTERNAL, decide(policy, Optional.of(A), "10.20.30.1", Protocol.TCP, 443));
        assertEquals(Decision.DENY_NO_GRANT, decide(policy, Optional.of(A), "10.20.31.1", Protocol.TCP, 443));
        assertEquals(Decision.ALLOW_INTERNAL, decide(policy, Optional.of(A), "10.20.31.1", Protocol.UDP, 53));
        assertEquals(Decision.DENY_NO_GRANT, decide(policy, Optional.of(A), "10.21.0.1", Protocol.UDP, 53));
        List<TrieEntry> entries = PolicyCompiler.compile(policy);
        TrieEntry innermost = entries.stream()
                .filter(e -> e.app() == 1 && e.prefix().equals(IpPrefix.parse("10.20.30.0/24")))
                .findFirst()
                .orElseThrow();
        assertEquals("[22, 443]", innermost.tcp().toString());
        assertEquals("[53]", innermost.udp().toString());
    }

    @Test
    void anIpv4MappedIpv6DestinationIsJudgedAsIpv4() {
        Policy policy = Policy.builder()
                .internal("10.20.0.0/16", 0)
                .internal("::/0", 0)
                .grant(A, "10.20.0.0/16 tcp/22")
                .grant(B, "::/0")
                .build();
        InetAddress mapped = ReferenceModel.unmapped(Inet6Address.ofLiteral("::ffff:10.20.1.1"));
        assertEquals(ip("10.20.1.1"), mapped);
        assertEquals(Decision.ALLOW_INTERNAL, decide(policy, Optional.of(A), "::ffff:10.20.1.1", Protocol.TCP, 22));
        assertEquals(Decision.DENY_NO_GRANT, decide(policy, Optional.of(A), "::ffff:10.20.1.1", Protocol.TCP, 23));
        // ::/0 is internal and B may use all of it, but neither reaches IPv4 destinations.
        assertEquals(Decision.DENY_NO_GRANT, decide(policy, Optional.of(B), "10.20.1.1", Protocol.TCP, 22));
        assertEquals(Decision.ALLOW_INTERNAL, decide(policy, Optional.of(B), "fd00::1", Protocol.TCP, 22));
        assertEquals(Decision.ALLOW_EXTERNAL, decide(policy, Optional.empty(), "192.0.2.1", Protocol.TCP, 22));
        assertEquals(Decision.ALLOW_EXTERNAL, decide(policy, Optional.empty(), "::ffff:192.0.2.1", Protocol.TCP, 22));
    }

    @Test
    void anyProtocolCoversTcpUdpAndPortlessProtocolsOnlyWithEveryPort() {
        Policy policy = Policy.builder()
                .internal("10.0.0.0/8", 0)
                .grant(A, "10.1.0.0/16 any")
                .grant(A, "10.2.0.0/16 any/53")
                .build();
        assertEquals(Decision.ALLOW_INTERNAL, decide(policy, Optional.of(A), "10.1.0.1", Protocol.TCP, 1));
        assertEquals(Decision.ALLOW_INTERNAL, decide(policy, Optional.of(A), "10.1.0.1", Protocol.UDP, 65535));
        assertEquals(Decision.ALLOW_INTERNAL, decide(policy, Optional.of(A), "10.1.0.1", Protocol.ANY, 0));
        assertEquals(Decision.ALLOW_INTERNAL, decide(policy, Optional.of(A), "10.2.0.1", Protocol.UDP, 53));
        assertEquals(Decision.ALLOW_INTERNAL, decide(policy, Optional.of(A), "10.2.0.1", Protocol.TCP, 53));
        assertEquals(Decision.DENY_NO_GRANT, decide(policy, Optional.of(A), "10.2.0.1", Protocol.TCP, 54));
        assertEquals(Decision.DENY_NO_GRANT, decide(policy, Optional.of(A), "10.2.0.1", Protocol.ANY, 53));
    }

    @Test
    void aUnionTooLargeForOneTrieValueIsRefusedNotWidened() {
        Policy.Builder builder = Policy.builder().internal("10.0.0.0/8", 0);
        for (int i = 0; i < PolicyCompiler.MAX_RANGES + 1; i++) {
            builder.grant(A, "10.0.0.0/8 tcp/" + (1000 + 2 * i));
        }
        PolicyCompiler.PolicyTooLargeException e = assertThrows(
                PolicyCompiler.PolicyTooLargeException.class, () -> PolicyCompiler.compile(builder.build()));
        assertTrue(e.getMessage().contains("17 separate ranges"), e.getMessage());
    }

    @Test
    void theCompiledTrieAgreesWithTheModelOnRandomPolicies() {
        RandomCases random = new RandomCases(20_261_122L);
        int cases = 0;
        for (int p = 0; p < 300; p++) {
            Policy policy = random.policy();
            TrieSimulator trie = new TrieSimulator(PolicyCompiler.compile(policy));
            for (int i = 0; i < 300; i++) {
                RandomCases.Case c = random.attempt(policy);
                Decision model = ReferenceModel.decide(policy, c.app(), c.destination(), c.protocol(), c.port());
                assertEquals(model, trie.decide(c.app(), c.destination(), c.protocol(), c.port()), c + " in " + policy);
                cases++;
            }
        }
        assertEquals(90_000, cases);
    }
}
