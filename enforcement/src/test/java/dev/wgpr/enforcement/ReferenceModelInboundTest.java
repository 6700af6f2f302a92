package dev.wgpr.enforcement;

import static dev.wgpr.enforcement.ReferenceModelTest.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.wgpr.enforcement.policy.InvalidGrantException;
import dev.wgpr.enforcement.policy.Listen;
import dev.wgpr.enforcement.policy.Protocol;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The inbound direction of the specification: {@code listen} per app, {@code incoming} per tunnel. */
class ReferenceModelInboundTest {
    static final AppId APP = AppId.of(1);
    static final AppId OTHER = AppId.of(2);

    /** Two tunnels: 10.20.0.0/16 + fd20::/64 in the setting given, 10.30.0.0/16 left at "apps". */
    static Policy policy(Incoming setting) {
        return Policy.builder()
                .internal("10.20.0.0/16", 0)
                .internal("fd20::/64", 0)
                .internal("10.30.0.0/16", 1)
                .exclude("10.20.99.0/24")
                .incoming("10.20.0.0/16", setting)
                .incoming("fd20::/64", setting)
                .grant(APP, "10.20.5.0/24 tcp/443")
                .grant(APP, "fd20::/64 udp/53")
                .grant(APP, "10.30.0.0/16")
                .grant(OTHER, "10.20.0.0/16")
                .listen(APP, "tcp/8080")
                .listen(APP, "udp/5060-5070")
                .build();
    }

    static Decision toListener(Policy policy, Optional<AppId> app, String source, int localPort) {
        return inbound(policy, true, true, app, source, Protocol.TCP, 40_000, localPort);
    }

    static Decision toUdp(Policy policy, Optional<AppId> app, String source, int sourcePort, int localPort) {
        return inbound(policy, true, false, app, source, Protocol.UDP, sourcePort, localPort);
    }

    /** The model's answer, checked against what the compiled trie answers as wgpr_inbound reads it. */
    static Decision inbound(
            Policy policy,
            boolean socket,
            boolean listening,
            Optional<AppId> app,
            String source,
            Protocol protocol,
            int sourcePort,
            int localPort) {
        Decision model = ReferenceModel.decideInbound(
                policy, socket, listening, app, ip(source), protocol, sourcePort, localPort);
        Decision compiled = new TrieSimulator(PolicyCompiler.compile(policy))
                .decideInbound(socket, listening, app, ip(source), protocol, sourcePort, localPort);
        assertEquals(model, compiled, "compiled trie vs model for " + app + " from " + source + " to " + localPort);
        return model;
    }

    @Test
    void anAppsListenerOnAListenPortAcceptsFromItsGrantPrefixesWhateverTheGrantsPorts() {
        Policy apps = policy(Incoming.APPS);
        // The grant of 10.20.5.0/24 covers tcp/443 only; its prefix is what counts for a listener.
        assertEquals(Decision.ALLOW_INCOMING, toListener(apps, Optional.of(APP), "10.20.5.9", 8080));
        assertEquals(Decision.ALLOW_INCOMING, toListener(apps, Optional.of(APP), "10.30.1.1", 8080));
        // A source no grant prefix of the app holds: refused.
        assertEquals(Decision.DENY_LISTENING, toListener(apps, Optional.of(APP), "10.20.6.1", 8080));
        // A port not in listen: refused.
        assertEquals(Decision.DENY_LISTENING, toListener(apps, Optional.of(APP), "10.20.5.9", 8081));
        // The connection it accepted (established, same local port) is judged the same way.
        assertEquals(
                Decision.ALLOW_INCOMING,
                inbound(apps, true, false, Optional.of(APP), "10.20.5.9", Protocol.TCP, 40_000, 8080));
    }

    @Test
    void theSamePortOfAProcessThatIsNoAppOrOfAnotherAppIsRefusedInApps() {
        Policy apps = policy(Incoming.APPS);
        assertEquals(Decision.DENY_LISTENING, toListener(apps, Optional.empty(), "10.20.5.9", 8080));
        assertEquals(Decision.DENY_LISTENING, toListener(apps, Optional.of(OTHER), "10.20.5.9", 8080));
        assertEquals(Decision.DENY_NO_APP, toUdp(apps, Optional.empty(), "10.20.5.9", 40_000, 5060));
    }

    @Test
    void aUdpSocketOnAListenPortReceivesFromAnySourcePortOfAGrantedSource() {
        Policy apps = policy(Incoming.APPS);
        assertEquals(Decision.ALLOW_INCOMING, toUdp(apps, Optional.of(APP), "10.20.5.9", 1234, 5065));
        assertEquals(Decision.ALLOW_INCOMING, toUdp(apps, Optional.of(APP), "fd20::9", 1234, 5060));
        // tcp/8080 does not open udp/8080, and a grant of tcp/443 does not cover udp from port 1234.
        assertEquals(Decision.DENY_NO_GRANT, toUdp(apps, Optional.of(APP), "10.20.5.9", 1234, 8080));
    }

    @Test
    void noneRefusesEvenTheAppsListenerButKeepsTheRepliesToItsOwnTraffic() {
        Policy none = policy(Incoming.NONE);
        assertEquals(Decision.DENY_LISTENING, toListener(none, Optional.of(APP), "10.20.5.9", 8080));
        assertEquals(Decision.DENY_NO_GRANT, toUdp(none, Optional.of(APP), "fd20::9", 1234, 5060));
        // The answer of 10.20.5.9:443 to the app's own connection (the grant covers it) passes in every setting.
        for (Incoming setting : Incoming.values()) {
            assertEquals(
                    Decision.ALLOW_INTERNAL,
                    inbound(policy(setting), true, false, Optional.of(APP), "10.20.5.9", Protocol.TCP, 443, 50_000),
                    setting.text());
        }
        assertEquals(
                Decision.DENY_NO_GRANT,
                inbound(none, true, false, Optional.of(APP), "10.20.5.9", Protocol.TCP, 444, 50_000));
    }

    @Test
    void allLetsAnyListenerAcceptFromTheTunnelsPrefixesOnly() {
        Policy all = policy(Incoming.ALL);
        assertEquals(Decision.ALLOW_INCOMING, toListener(all, Optional.empty(), "10.20.77.1", 22));
        assertEquals(Decision.ALLOW_INCOMING, toListener(all, Optional.empty(), "fd20::77", 22));
        assertEquals(Decision.ALLOW_INCOMING, toUdp(all, Optional.empty(), "10.20.77.1", 9, 5353));
        // The other tunnel stays at "apps"; an exclusion inside the "all" tunnel is no peer's prefix.
        assertEquals(Decision.DENY_LISTENING, toListener(all, Optional.empty(), "10.30.0.1", 22));
        assertEquals(Decision.DENY_LISTENING, toListener(all, Optional.empty(), "10.20.99.1", 22));
        assertEquals(Decision.DENY_LISTENING, toListener(all, Optional.of(APP), "10.20.99.1", 8080));
    }

    @Test
    void aPacketForNoSocketIsNeverLetIn() {
        for (Incoming setting : Incoming.values()) {
            assertEquals(
                    Decision.DENY_NO_APP,
                    inbound(policy(setting), false, false, Optional.empty(), "10.20.5.9", Protocol.ANY, 0, 0));
        }
    }

    @Test
    void aListenersAnswersGoBackExactlyWhereItsSettingLetsTheAttemptIn() {
        Policy apps = policy(Incoming.APPS);
        assertEquals(
                Optional.of(Decision.ALLOW_INCOMING),
                ReferenceModel.decideAnswer(apps, Optional.of(APP), ip("10.20.5.9"), Protocol.TCP, 8080, true));
        assertEquals(
                Optional.empty(),
                ReferenceModel.decideAnswer(apps, Optional.of(APP), ip("10.20.6.1"), Protocol.TCP, 8080, true));
        assertEquals(
                Optional.empty(),
                ReferenceModel.decideAnswer(apps, Optional.empty(), ip("10.20.5.9"), Protocol.TCP, 8080, true));
        assertEquals(
                Optional.empty(),
                ReferenceModel.decideAnswer(
                        policy(Incoming.NONE), Optional.of(APP), ip("10.20.5.9"), Protocol.TCP, 8080, true));
        assertEquals(
                Optional.of(Decision.ALLOW_INCOMING),
                ReferenceModel.decideAnswer(
                        policy(Incoming.ALL), Optional.empty(), ip("fd20::1"), Protocol.UDP, 9, true));
        // ICMP has no listener: "apps" opens nothing for it.
        assertEquals(
                Optional.empty(),
                ReferenceModel.decideAnswer(apps, Optional.of(APP), ip("10.20.5.9"), Protocol.ANY, 0, true));
    }

    @Test
    void allOpensNothingToASocketThatWouldSendFirst() {
        Policy all = policy(Incoming.ALL);
        assertEquals(
                Optional.empty(),
                ReferenceModel.decideAnswer(all, Optional.empty(), ip("10.20.5.9"), Protocol.UDP, 40_000, false),
                "a datagram to a remote that never wrote to the port");
        assertEquals(
                Optional.empty(),
                ReferenceModel.decideAnswer(all, Optional.empty(), ip("10.20.5.9"), Protocol.ANY, 0, false),
                "an echo request");
        assertEquals(
                Optional.of(Decision.ALLOW_INCOMING),
                ReferenceModel.decideAnswer(all, Optional.empty(), ip("10.20.5.9"), Protocol.ANY, 0, true),
                "the kernel's echo reply");
    }

    @Test
    void anAppsListenPortAnswersOnlyWhoWroteToIt() {
        assertEquals(
                Optional.empty(),
                ReferenceModel.decideAnswer(
                        policy(Incoming.APPS), Optional.of(APP), ip("10.20.5.9"), Protocol.UDP, 5060, false));
    }

    @Test
    void aListenPortIsTcpOrUdpWithPortsInRange() {
        assertEquals("udp/5060-5070", Listen.parse("udp/5060-5070").toString());
        assertThrows(InvalidGrantException.class, () -> Listen.parse("tcp"));
        assertThrows(InvalidGrantException.class, () -> Listen.parse("any/80"));
        assertThrows(InvalidGrantException.class, () -> Listen.parse("tcp/0"));
        assertThrows(InvalidGrantException.class, () -> Listen.parse("tcp/90-80"));
    }

    @Test
    void incomingNamesOnlyInternalPrefixes() {
        assertThrows(
                IllegalArgumentException.class,
                () -> Policy.builder().incoming("10.0.0.0/8", Incoming.ALL).build());
    }
}
