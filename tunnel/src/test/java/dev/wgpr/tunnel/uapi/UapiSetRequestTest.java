package dev.wgpr.tunnel.uapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.tunnel.crypto.Key;
import dev.wgpr.tunnel.device.DeviceConfig;
import dev.wgpr.tunnel.device.PeerSettings;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class UapiSetRequestTest {
    static final String A = "11".repeat(32);
    static final String B = "22".repeat(32);
    static final String C = "33".repeat(32);
    static final String ZERO = "00".repeat(32);

    static DeviceConfig apply(DeviceConfig config, String... lines) throws UapiException {
        return SetRequest.parse(Arrays.asList(lines)).applyTo(config);
    }

    static DeviceConfig apply(String... lines) throws UapiException {
        return apply(DeviceConfig.EMPTY, lines);
    }

    static Key key(String hex) {
        return UapiText.parseKey(hex);
    }

    static IpPrefix prefix(String text) {
        return IpPrefix.parse(text);
    }

    static int errnoOf(String... lines) {
        return assertThrows(UapiException.class, () -> SetRequest.parse(Arrays.asList(lines)))
                .errno();
    }

    @Test
    void deviceKeysSetPrivateKeyClampedListenPortAndFwmark() throws UapiException {
        DeviceConfig config = apply("private_key=" + "ff".repeat(32), "listen_port=51820", "fwmark=4294967295");

        assertEquals(
                "f8" + "ff".repeat(30) + "7f",
                UapiText.formatKey(config.privateKey().orElseThrow()));
        assertEquals(51820, config.listenPort());
        assertEquals(4294967295L, config.fwmark());
    }

    @Test
    void zeroPrivateKeyRemovesIt() throws UapiException {
        DeviceConfig config = apply(apply("private_key=" + A), "private_key=" + ZERO);

        assertEquals(Optional.empty(), config.privateKey());
    }

    @Test
    void peerKeysSetEveryPeerField() throws UapiException {
        DeviceConfig config = apply(
                "public_key=" + A,
                "preshared_key=" + B,
                "endpoint=[2001:db8::1]:51820",
                "persistent_keepalive_interval=25",
                "protocol_version=1",
                "allowed_ip=10.20.0.0/16",
                "allowed_ip=fd10::/64");

        PeerSettings peer = config.peer(key(A)).orElseThrow();
        assertEquals(Optional.of(key(B)), peer.presharedKey());
        assertEquals(Optional.of(new InetSocketAddress("2001:db8::1", 51820)), peer.endpoint());
        assertEquals(25, peer.persistentKeepaliveSeconds());
        assertEquals(List.of(prefix("10.20.0.0/16"), prefix("fd10::/64")), peer.allowedIps());
    }

    @Test
    void zeroPresharedKeyRemovesIt() throws UapiException {
        DeviceConfig config =
                apply(apply("public_key=" + A, "preshared_key=" + B), "public_key=" + A, "preshared_key=" + ZERO);

        assertEquals(Optional.empty(), config.peer(key(A)).orElseThrow().presharedKey());
    }

    @Test
    void allowedIpHostBitsAreClearedAndLengthTakesSignAndLeadingZeros() throws UapiException {
        DeviceConfig config = apply(
                "public_key=" + A,
                "allowed_ip=10.1.2.3/8",
                "allowed_ip=10.0.0.0/+16",
                "allowed_ip=1.2.3.4/032",
                "allowed_ip=9.9.9.9/-0");

        assertEquals(
                List.of(prefix("10.0.0.0/8"), prefix("10.0.0.0/16"), prefix("1.2.3.4/32"), prefix("0.0.0.0/0")),
                config.peer(key(A)).orElseThrow().allowedIps());
    }

    @Test
    void allowedIpMovesToThePeerThatClaimsItLast() throws UapiException {
        DeviceConfig config = apply(
                "public_key=" + A,
                "allowed_ip=10.0.0.0/8",
                "allowed_ip=10.1.0.0/16",
                "public_key=" + B,
                "allowed_ip=10.0.0.0/8");

        assertEquals(
                List.of(prefix("10.1.0.0/16")),
                config.peer(key(A)).orElseThrow().allowedIps());
        assertEquals(
                List.of(prefix("10.0.0.0/8")), config.peer(key(B)).orElseThrow().allowedIps());
    }

    @Test
    void reinsertingAnAllowedIpMovesItToTheEnd() throws UapiException {
        DeviceConfig config =
                apply("public_key=" + A, "allowed_ip=1.2.3.4/32", "allowed_ip=10.0.0.0/8", "allowed_ip=1.2.3.4/32");

        assertEquals(
                List.of(prefix("10.0.0.0/8"), prefix("1.2.3.4/32")),
                config.peer(key(A)).orElseThrow().allowedIps());
    }

    @Test
    void replaceAllowedIpsDropsOnlyThatPeersPrefixes() throws UapiException {
        DeviceConfig before =
                apply("public_key=" + A, "allowed_ip=10.0.0.0/8", "public_key=" + B, "allowed_ip=11.0.0.0/8");

        DeviceConfig after = apply(before, "public_key=" + A, "replace_allowed_ips=true", "allowed_ip=12.0.0.0/8");

        assertEquals(
                List.of(prefix("12.0.0.0/8")), after.peer(key(A)).orElseThrow().allowedIps());
        assertEquals(
                List.of(prefix("11.0.0.0/8")), after.peer(key(B)).orElseThrow().allowedIps());
    }

    @Test
    void replacePeersRemovesEveryPeerBeforeTheNewOnes() throws UapiException {
        DeviceConfig before = apply("public_key=" + A, "allowed_ip=10.0.0.0/8");

        DeviceConfig after = apply(before, "replace_peers=true", "public_key=" + B, "allowed_ip=10.0.0.0/8");

        assertEquals(
                List.of(key(B)),
                after.peers().stream().map(PeerSettings::publicKey).toList());
    }

    @Test
    void removeDeletesThePeerAndIgnoresTheRestOfItsSection() throws UapiException {
        DeviceConfig before = apply("public_key=" + A, "allowed_ip=10.0.0.0/8", "public_key=" + B);

        DeviceConfig after = apply(before, "public_key=" + A, "remove=true", "allowed_ip=11.0.0.0/8");

        assertEquals(
                List.of(key(B)),
                after.peers().stream().map(PeerSettings::publicKey).toList());
        assertEquals(List.of(), after.peer(key(B)).orElseThrow().allowedIps());
    }

    @Test
    void updateOnlyNeverCreatesButUpdatesAnExistingPeer() throws UapiException {
        DeviceConfig before = apply("public_key=" + A);

        DeviceConfig after = apply(
                before,
                "public_key=" + A,
                "update_only=true",
                "persistent_keepalive_interval=5",
                "public_key=" + C,
                "update_only=true",
                "allowed_ip=1.0.0.0/8");

        assertEquals(
                List.of(key(A)),
                after.peers().stream().map(PeerSettings::publicKey).toList());
        assertEquals(5, after.peer(key(A)).orElseThrow().persistentKeepaliveSeconds());
    }

    @Test
    void aPeerWithTheDevicesOwnPublicKeyIsIgnored() throws UapiException {
        Key privateKey = Key.generatePrivate();
        String own = UapiText.formatKey(privateKey.publicKey());

        DeviceConfig config =
                apply("private_key=" + UapiText.formatKey(privateKey), "public_key=" + own, "allowed_ip=10.0.0.0/8");

        assertEquals(List.of(), config.peers());
    }

    @Test
    void aNewPrivateKeyRemovesThePeerWithItsPublicKey() throws UapiException {
        Key privateKey = Key.generatePrivate();
        DeviceConfig before =
                apply("public_key=" + UapiText.formatKey(privateKey.publicKey()), "allowed_ip=10.0.0.0/8");

        DeviceConfig after = apply(before, "private_key=" + UapiText.formatKey(privateKey));

        assertEquals(List.of(), after.peers());
    }

    @Test
    void anEmptyRequestChangesNothing() throws UapiException {
        DeviceConfig before = apply("public_key=" + A);

        assertSame(before, apply(before));
    }

    @Test
    void upperCaseHexKeysAreAccepted() throws UapiException {
        assertTrue(apply("public_key=" + "AB".repeat(32))
                .peer(key("ab".repeat(32)))
                .isPresent());
    }

    @Test
    void aLineWithoutEqualsIsAProtocolError() {
        assertEquals(UapiException.PROTOCOL, errnoOf("listen_port"));
    }

    static Stream<String> badRequests() {
        return Stream.of(
                "bogus=1",
                "=1",
                "public_key=" + A + "|bogus=1",
                "public_key=" + A + "|listen_port=1",
                "allowed_ip=10.0.0.0/8",
                "endpoint=1.2.3.4:5",
                "replace_peers=false",
                "private_key=",
                "private_key=" + "1".repeat(63),
                "private_key=" + "1".repeat(66),
                "private_key=" + "g".repeat(64),
                "listen_port=",
                "listen_port=65536",
                "listen_port=-1",
                "listen_port=+1",
                "listen_port=1=2",
                "fwmark=4294967296",
                "fwmark=0x10",
                "public_key=" + "1".repeat(63),
                "public_key=" + A + "|preshared_key=xyz",
                "public_key=" + A + "|remove=false",
                "public_key=" + A + "|update_only=yes",
                "public_key=" + A + "|replace_allowed_ips=1",
                "public_key=" + A + "|protocol_version=2",
                "public_key=" + A + "|persistent_keepalive_interval=65536",
                "public_key=" + A + "|endpoint=1.2.3.4",
                "public_key=" + A + "|endpoint=1.2.3.4:65536",
                "public_key=" + A + "|endpoint=1.2.3.4:+5",
                "public_key=" + A + "|endpoint=[1.2.3.4]:5",
                "public_key=" + A + "|endpoint=::1:5",
                "public_key=" + A + "|endpoint=localhost:5",
                "public_key=" + A + "|endpoint=[fe80::1%eth0]:5",
                "public_key=" + A + "|endpoint=[::ffff:1.2.3.4]:5",
                "public_key=" + A + "|allowed_ip=10.0.0.0",
                "public_key=" + A + "|allowed_ip=10.0.0.0/33",
                "public_key=" + A + "|allowed_ip=fd00::/129",
                "public_key=" + A + "|allowed_ip=01.2.3.4/32",
                "public_key=" + A + "|allowed_ip=256.0.0.0/8",
                "public_key=" + A + "|allowed_ip=-10.0.0.0/8",
                "public_key=" + A + "|allowed_ip=fe80::1%eth0/128",
                "public_key=" + A + "|allowed_ip=::ffff:1.2.3.4/128",
                "public_key=" + A + "|allowed_ip=example.com/32",
                "public_key=" + A + "|allowed_ip=10.0.0.0/8x");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void badKeysAndValuesAreInvalid(String request) {
        assertEquals(UapiException.INVALID, errnoOf(request.split("\\|")));
    }

    @Test
    void aBadLineAnywhereLeavesTheConfigurationUntouched() throws UapiException {
        DeviceConfigStore store = new DeviceConfigStore();
        store.apply(SetRequest.parse(List.of("listen_port=1", "public_key=" + A)));
        DeviceConfig before = store.config();

        assertThrows(
                UapiException.class,
                () -> store.apply(
                        SetRequest.parse(List.of("replace_peers=true", "public_key=" + B, "allowed_ip=nope"))));

        assertSame(before, store.config());
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "10.0.0.0/8, 10.0.0.0/8",
        "FD10:0:0:0:1:0:0:0/64, fd10::/64",
        "2001:db8:0:0:1:0:0:1/128, 2001:db8::1:0:0:1/128",
        "::1.2.3.4/128, ::102:304/128",
        "0:0:1:0:0:0:0:0/128, 0:0:1::/128",
        "1:0:0:2:0:0:0:3/128, 1:0:0:2::3/128",
        "1:0:1:0:1:0:1:0/128, 1:0:1:0:1:0:1:0/128",
        "::/0, ::/0"
    })
    void prefixesPrintAsWireguardGoPrintsThem(String input, String printed) {
        assertEquals(printed, UapiText.formatPrefix(UapiText.parsePrefix(input)));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "198.51.100.10:51820, 198.51.100.10:51820",
        "[2001:DB8::1]:051820, [2001:db8::1]:51820",
        "[fe80::1%2]:5, [fe80::1]:5"
    })
    void endpointsPrintAsWireguardGoPrintsThem(String input, String printed) {
        assertEquals(printed, UapiText.formatEndpoint(UapiText.parseEndpoint(input)));
    }
}
