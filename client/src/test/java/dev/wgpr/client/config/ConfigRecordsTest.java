package dev.wgpr.client.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.wgpr.common.net.InterfaceAddress;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.enforcement.policy.Grant;
import dev.wgpr.tunnel.crypto.Key;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** The records refuse impossible states themselves, whoever builds them. */
class ConfigRecordsTest {
    private static final Key PEER_KEY = Key.fromBase64(ConfigTesting.PEER_KEY);
    private static final Key OUR_KEY = Key.fromBase64(ConfigTesting.OUR_PRIVATE_KEY);

    @Test
    void appRefusesADotDotName() {
        assertThrows(IllegalArgumentException.class, () -> app("..", List.of()));
    }

    @Test
    void appRefusesARelativeExec() {
        assertThrows(
                IllegalArgumentException.class,
                () -> new AppConfig("ssh", Optional.of(Path.of("ssh")), Optional.empty(), List.of()));
    }

    @Test
    void peerRefusesAGrantOutsideItsAllowedIps() {
        assertThrows(
                IllegalArgumentException.class,
                () -> peer(PEER_KEY, List.of(app("ssh", List.of(Grant.parse("10.30.0.0/16 tcp/22"))))));
    }

    @Test
    void peerCopiesItsLists() {
        List<AppConfig> apps = new ArrayList<>(List.of(app("ssh", List.of())));
        PeerConfig peer = peer(PEER_KEY, apps);
        apps.clear();
        assertEquals(1, peer.allowedApps().size());
        assertThrows(
                UnsupportedOperationException.class, () -> peer.allowedApps().clear());
    }

    @Test
    void interfaceRefusesAnMtuBelowTheIpv6Minimum() {
        assertThrows(
                IllegalArgumentException.class,
                () -> new InterfaceConfig(
                        "corp0",
                        OUR_KEY,
                        Optional.empty(),
                        List.of(InterfaceAddress.parse("10.8.0.2/32")),
                        OptionalInt.empty(),
                        OptionalInt.of(1200),
                        DnsConfig.NONE,
                        RouteModeSetting.AUTO,
                        BackendSetting.AUTO));
    }

    @Test
    void tunnelRefusesTheSameAppNameTwice() {
        PeerConfig first = peer(PEER_KEY, List.of(app("ssh", List.of())));
        PeerConfig second = peer(Key.fromBase64(ConfigTesting.OTHER_PEER_KEY), List.of(app("ssh", List.of())));
        assertThrows(IllegalArgumentException.class, () -> tunnel(List.of(first, second)));
    }

    @Test
    void tunnelRefusesAPeerWithOurOwnKey() {
        assertThrows(IllegalArgumentException.class, () -> tunnel(List.of(peer(OUR_KEY.publicKey(), List.of()))));
    }

    @Test
    void tunnelRefusesToHaveNoPeers() {
        assertThrows(IllegalArgumentException.class, () -> tunnel(List.of()));
    }

    private static AppConfig app(String name, List<Grant> grants) {
        return new AppConfig(name, Optional.empty(), Optional.empty(), grants);
    }

    private static PeerConfig peer(Key publicKey, List<AppConfig> apps) {
        return new PeerConfig(
                "corp-gw",
                publicKey,
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                List.of(IpPrefix.parse("10.20.0.0/16")),
                OptionalInt.empty(),
                apps);
    }

    private static TunnelConfig tunnel(List<PeerConfig> peers) {
        InterfaceConfig iface = new InterfaceConfig(
                "corp0",
                OUR_KEY,
                Optional.empty(),
                List.of(InterfaceAddress.parse("10.8.0.2/32")),
                OptionalInt.empty(),
                OptionalInt.empty(),
                DnsConfig.NONE,
                RouteModeSetting.AUTO,
                BackendSetting.AUTO);
        return new TunnelConfig(Path.of("corp.toml"), iface, peers);
    }
}
