package dev.wgpr.client.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.tunnel.crypto.Key;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A wg-quick file that cannot be imported is refused with every problem, by line and field. */
class ImportErrorsTest {
    private static final String PRIVATE_KEY = "IK0nFmaK/kx7vn7v2eD2JvKxFcK5YZLQ92I6Pa0RyGA=";
    private static final String PEER_KEY = "7Hnu2U4XLpCz7ho3BOm3bjNSj0yPXRLWFpsBBY4y8w4=";

    /** Valid; each test breaks one thing. Line numbers: [Peer] is line 5, AllowedIPs line 7. */
    private static final String VALID = """
            [Interface]
            PrivateKey = %s
            Address = 10.8.0.2/32

            [Peer]
            PublicKey = %s
            AllowedIPs = 10.20.0.0/16
            Endpoint = vpn.example.com:51820
            """.formatted(PRIVATE_KEY, PEER_KEY);

    @Test
    void theValidBaseImports() throws ImportException {
        WgQuickImporter.importConfig("wg0.conf", VALID);
    }

    @Test
    void noInterfaceSection() {
        assertProblem(
                VALID.replace("[Interface]\n", "")
                        .replaceFirst("PrivateKey.*\n", "")
                        .replaceFirst("Address.*\n", ""),
                0,
                "[Interface]",
                "missing");
    }

    @Test
    void secondInterfaceSection() {
        assertProblem(
                VALID + "[Interface]\n", 9, "[Interface]", "a second [Interface] section; the first is at line 1");
    }

    @Test
    void noPeerSection() {
        assertProblem(VALID.substring(0, VALID.indexOf("[Peer]")), 0, "[Peer]", "at least one peer");
    }

    @Test
    void keyBeforeAnySection() {
        assertProblem("MTU = 1420\n" + VALID, 1, "MTU", "comes before the first [Interface] or [Peer] header");
    }

    @Test
    void unknownSection() {
        assertProblem(VALID + "[Peers]\nPublicKey = x\n", 9, "[Peers]", "unknown section");
    }

    @Test
    void lineThatIsNeitherKeyNorHeader() {
        assertProblem(
                VALID.replace("Address = 10.8.0.2/32", "Address = 10.8.0.2/32\nMTU 1420"),
                4,
                "MTU 1420",
                "expected KEY = VALUE");
    }

    @Test
    void privateKeyThatIsNoKey() {
        assertProblem(VALID.replace(PRIVATE_KEY, "not-a-key"), 2, "PrivateKey", "not a WireGuard key");
    }

    @Test
    void privateKeyWithAWrongLastCharacter() {
        // The same 32 bytes for Java's lenient decoder, but not what wg accepts.
        assertProblem(
                VALID.replace(PRIVATE_KEY, PRIVATE_KEY.replace("GA=", "GB=")), 2, "PrivateKey", "not canonical base64");
    }

    @Test
    void allZeroKey() {
        assertProblem(VALID.replace(PEER_KEY, Key.fromBytes(new byte[32]).toBase64()), 6, "PublicKey", "all-zero");
    }

    @Test
    void missingPrivateKey() {
        assertProblem(VALID.replaceFirst("PrivateKey.*\n", ""), 1, "PrivateKey", "missing");
    }

    @Test
    void missingPublicKey() {
        assertProblem(VALID.replaceFirst("PublicKey.*\n", ""), 5, "PublicKey", "missing");
    }

    @Test
    void publicKeyThatIsNoKey() {
        assertProblem(VALID.replace(PEER_KEY, PEER_KEY.substring(1)), 6, "PublicKey", "not a WireGuard key");
    }

    @Test
    void presharedKeyThatIsNoKey() {
        assertProblem(
                VALID.replace("AllowedIPs", "PresharedKey = abc\nAllowedIPs"),
                7,
                "PresharedKey",
                "not a WireGuard key");
    }

    @Test
    void allowedIpsWithABadPrefixLength() {
        assertProblem(VALID.replace("10.20.0.0/16", "10.20.0.0/33"), 7, "AllowedIPs", "33 is outside 0..32");
    }

    @Test
    void allowedIpsWithABadAddress() {
        assertProblem(VALID.replace("10.20.0.0/16", "10.20.0.256/16"), 7, "AllowedIPs", "not an IPv4 or IPv6 address");
    }

    @Test
    void allowedIpsWithAHostName() {
        assertProblem(
                VALID.replace("10.20.0.0/16", "intranet.example.com/16"),
                7,
                "AllowedIPs",
                "not an IPv4 or IPv6 address");
    }

    @Test
    void missingAllowedIps() {
        assertProblem(VALID.replaceFirst("AllowedIPs.*\n", ""), 5, "AllowedIPs", "missing");
    }

    @Test
    void addressThatIsNoAddress() {
        assertProblem(VALID.replace("10.8.0.2/32", "10.8.0/32"), 3, "Address", "not an IPv4 or IPv6 address");
    }

    @Test
    void missingAddress() {
        assertProblem(VALID.replaceFirst("Address.*\n", ""), 1, "Address", "missing");
    }

    @Test
    void dnsServerThatIsNoAddress() {
        // wg-quick takes anything made of digits and dots for an address, not for a search domain.
        assertProblem(
                VALID.replace("Address = 10.8.0.2/32", "Address = 10.8.0.2/32\nDNS = 10.0.0"),
                4,
                "DNS",
                "not an IPv4 or IPv6 address");
    }

    @Test
    void endpointWithoutPort() {
        assertProblem(VALID.replace("vpn.example.com:51820", "vpn.example.com"), 8, "Endpoint", "has no port");
    }

    @Test
    void endpointPortOutOfRange() {
        assertProblem(
                VALID.replace("vpn.example.com:51820", "vpn.example.com:65536"),
                8,
                "Endpoint",
                "65536 is outside 1..65535");
    }

    @Test
    void ipv6EndpointWithoutBrackets() {
        assertProblem(VALID.replace("vpn.example.com:51820", "fd00::1:51820"), 8, "Endpoint", "needs brackets");
    }

    @Test
    void bracketedIpv4Endpoint() {
        assertProblem(
                VALID.replace("vpn.example.com:51820", "[192.0.2.1]:51820"),
                8,
                "Endpoint",
                "brackets are for IPv6 addresses only");
    }

    @Test
    void endpointHostThatIsNoName() {
        assertProblem(
                VALID.replace("vpn.example.com:51820", "vpn_gw!.example.com:51820"),
                8,
                "Endpoint",
                "neither an IPv4 address nor a host name");
    }

    @Test
    void endpointThatLooksLikeAMistypedIpv4Address() {
        assertProblem(
                VALID.replace("vpn.example.com:51820", "192.0.2.300:51820"),
                8,
                "Endpoint",
                "neither an IPv4 address nor a host name");
    }

    @Test
    void listenPortOutOfRange() {
        assertProblem(
                VALID.replace("Address", "ListenPort = 70000\nAddress"), 3, "ListenPort", "70000 is outside 0..65535");
    }

    @Test
    void mtuThatIsNoNumber() {
        assertProblem(VALID.replace("Address", "MTU = auto\nAddress"), 3, "MTU", "'auto' is not a number");
    }

    @Test
    void keepaliveThatIsNoNumber() {
        assertProblem(
                VALID.replace("Endpoint", "PersistentKeepalive = -5\nEndpoint"),
                8,
                "PersistentKeepalive",
                "'-5' is not a number");
    }

    @Test
    void peerKeyInTheInterfaceSection() {
        assertProblem(
                VALID.replace("Address", "Endpoint = 192.0.2.1:1\nAddress"),
                3,
                "Endpoint",
                "belongs in [Peer], not in [Interface]");
    }

    @Test
    void interfaceKeyInAPeerSection() {
        assertProblem(VALID + "ListenPort = 51820\n", 9, "ListenPort", "belongs in [Interface], not in [Peer]");
    }

    @Test
    void twoPeersWithTheSamePublicKey() {
        assertProblem(
                VALID + "\n[Peer]\nPublicKey = " + PEER_KEY + "\nAllowedIPs = 10.30.0.0/16\n",
                10,
                "PublicKey",
                "the same public key as the [Peer] at line 5");
    }

    @Test
    void peerWithOurOwnPublicKey() {
        String ours = Key.fromBase64(PRIVATE_KEY).publicKey().toBase64();
        assertProblem(VALID.replace(PEER_KEY, ours), 5, "PublicKey", "our own public key");
    }

    @Test
    void keyWithoutValue() {
        assertProblem(VALID.replace("vpn.example.com:51820", ""), 8, "Endpoint", "has no value");
    }

    @Test
    void everyProblemIsReportedAtOnceInLineOrderWithFileAndLine() {
        String broken = VALID.replace(PRIVATE_KEY, "x")
                .replace("10.20.0.0/16", "10.20.0.0/99")
                .replace("vpn.example.com:51820", "vpn.example.com");
        ImportException e =
                assertThrows(ImportException.class, () -> WgQuickImporter.importConfig("corp.conf", broken));
        assertEquals(
                List.of(2, 7, 8),
                e.problems().stream().map(ImportException.Problem::line).toList());
        List<String> lines = e.getMessage().lines().toList();
        assertEquals(3, lines.size());
        assertTrue(lines.get(0).startsWith("corp.conf:2: PrivateKey: not a WireGuard key"), lines.get(0));
        assertTrue(lines.get(1).startsWith("corp.conf:7: AllowedIPs: "), lines.get(1));
        assertTrue(lines.get(2).startsWith("corp.conf:8: Endpoint: "), lines.get(2));
    }

    @Test
    void errorMessagesNeverShowTheKey() {
        String almost = PRIVATE_KEY.replace("GA=", "GB=");
        ImportException e = assertThrows(
                ImportException.class,
                () -> WgQuickImporter.importConfig("wg0.conf", VALID.replace(PRIVATE_KEY, almost)));
        assertTrue(!e.getMessage().contains(almost.substring(0, 20)), e.getMessage());
    }

    private static void assertProblem(String conf, int line, String field, String reasonFragment) {
        ImportException e = assertThrows(ImportException.class, () -> WgQuickImporter.importConfig("wg0.conf", conf));
        assertEquals(1, e.problems().size(), e::getMessage);
        ImportException.Problem problem = e.problems().getFirst();
        assertEquals(line, problem.line(), e::getMessage);
        assertEquals(field, problem.field(), e::getMessage);
        assertTrue(problem.reason().contains(reasonFragment), problem::reason);
    }
}
