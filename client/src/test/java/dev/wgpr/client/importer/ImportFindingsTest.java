package dev.wgpr.client.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlTable;

/** What the importer tells the user, and what it does, about lines it cannot carry over as they are. */
class ImportFindingsTest {
    private static final String INTERFACE = """
            [Interface]
            PrivateKey = IK0nFmaK/kx7vn7v2eD2JvKxFcK5YZLQ92I6Pa0RyGA=
            Address = 10.8.0.2/32
            """;
    private static final String PEER = """
            [Peer]
            PublicKey = 7Hnu2U4XLpCz7ho3BOm3bjNSj0yPXRLWFpsBBY4y8w4=
            AllowedIPs = 10.20.0.0/16
            """;
    private static final String OTHER_PEER = """
            [Peer]
            PublicKey = CzaNMphswQ93kggdjKO8fPdyHZdK8HbizKcK8cKH9hk=
            AllowedIPs = 10.30.0.0/16
            """;

    @Test
    void allowedIpsWithHostBitsAreClearedAsTheKernelDoesAndReported() throws ImportException {
        ImportResult result = importConfig(INTERFACE + PEER.replace("10.20.0.0/16", "10.20.1.7/16, fd10::1/64"));
        assertEquals(
                List.of("10.20.0.0/16", "fd10::/64"),
                firstPeer(result).getArray("allowedIPs").toList());
        assertEquals(
                List.of(
                        "line 6 AllowedIPs: 10.20.1.7/16 has host bits set: imported as 10.20.0.0/16, the prefix"
                                + " the kernel uses for it",
                        "line 6 AllowedIPs: fd10::1/64 has host bits set: imported as fd10::/64, the prefix the kernel"
                                + " uses for it"),
                describe(result.findings(Finding.Kind.CHANGED)));
    }

    @Test
    void interfaceAddressesKeepTheirHostBits() throws ImportException {
        TomlTable tunnelInterface = toml(importConfig(INTERFACE.replace("10.8.0.2/32", "10.8.0.2/24") + PEER))
                .getTable("interface");
        assertEquals(List.of("10.8.0.2/24"), tunnelInterface.getArray("address").toList());
    }

    @Test
    void aRepeatedSingleValueKeyKeepsTheLastValueAsWgDoesAndReportsTheFirst() throws ImportException {
        ImportResult result =
                importConfig(INTERFACE + PEER + "Endpoint = 192.0.2.1:51820\nEndpoint = 192.0.2.2:51820\n");
        assertEquals("192.0.2.2:51820", firstPeer(result).getString("endpoint"));
        assertEquals(
                List.of("line 7 Endpoint: replaced by line 8, as wg reads it: the last value wins"),
                describe(result.findings(Finding.Kind.NOT_CARRIED_OVER)));
    }

    @Test
    void unknownKeysAreListedNotDroppedWithoutTheirValueWhichMightBeAMisspelledKey() throws ImportException {
        ImportResult result = importConfig(INTERFACE + "Jmin = 40\n" + PEER);
        assertEquals(
                List.of("line 4 Jmin: not a key of wg-quick or WireSock; wg-pr has no counterpart"),
                describe(result.findings(Finding.Kind.NOT_CARRIED_OVER)));
    }

    @Test
    void tableOffIsReportedWithWhatWgPrDoesInstead() throws ImportException {
        ImportResult result = importConfig(INTERFACE + "Table = off\n" + PEER);
        Finding finding = result.findings(Finding.Kind.NOT_CARRIED_OVER).getFirst();
        assertEquals("Table", finding.key());
        assertTrue(finding.message().contains("wg-pr installs a route for every peer's allowedIPs"), finding::message);
    }

    @Test
    void tableWithARoutingTableIsReportedAsNotUsed() throws ImportException {
        ImportResult result = importConfig(INTERFACE + "Table = 1234\n" + PEER);
        assertEquals(
                List.of("line 4 Table: wg-pr installs its own routes; Table is not used (was: 1234)"),
                describe(result.findings(Finding.Kind.NOT_CARRIED_OVER)));
    }

    @Test
    void scriptsAreReportedWithTheirCommands() throws ImportException {
        ImportResult result = importConfig(INTERFACE + "PreDown = echo bye\n" + PEER);
        assertEquals(
                List.of("line 4 PreDown: scripts are not run by wg-pr (was: echo bye)"),
                describe(result.findings(Finding.Kind.NOT_CARRIED_OVER)));
    }

    @Test
    void dnsSearchDomainsBecomeDnsDomainsAndServersAreKept() throws ImportException {
        ImportResult result = importConfig(INTERFACE + "DNS = 10.20.0.53 corp.example, FD10::53\n" + PEER);
        assertEquals(
                List.of("10.20.0.53", "fd10::53"),
                toml(result).getTable("interface").getArray("dns").toList());
        assertEquals(
                List.of("corp.example"),
                toml(result).getTable("interface").getArray("dnsDomains").toList());
        assertEquals(
                List.of("line 4 DNS: search domain corp.example went to dnsDomains: their names are asked of the"
                        + " tunnel's servers, and not added as search suffixes"),
                describe(result.findings(Finding.Kind.CHANGED)));
        assertEquals(List.of(), result.findings(Finding.Kind.NOT_CARRIED_OVER));
    }

    @Test
    void listenPortZeroIsLeftOutBecauseItMeansARandomPortAnyway() throws ImportException {
        ImportResult result = importConfig(INTERFACE + "ListenPort = 0\n" + PEER);
        assertNull(toml(result).getTable("interface").get("listenPort"));
        assertEquals(
                "ListenPort", result.findings(Finding.Kind.CHANGED).getFirst().key());
    }

    @Test
    void mtuOutsideWgPrsRangeIsLeftOutAndReported() throws ImportException {
        ImportResult result = importConfig(INTERFACE + "MTU = 1200\n" + PEER);
        assertNull(toml(result).getTable("interface").get("mtu"));
        assertEquals(
                List.of("line 4 MTU: 1200 is outside wg-pr's 1280..9000 (IPv6 needs 1280): left out, so wg-pr"
                        + " chooses the MTU"),
                describe(result.findings(Finding.Kind.NOT_CARRIED_OVER)));
    }

    @Test
    void keepaliveOffIsTheSameAsNone() throws ImportException {
        ImportResult result = importConfig(INTERFACE + PEER + "PersistentKeepalive = off\n");
        assertNull(firstPeer(result).get("persistentKeepalive"));
        assertEquals(List.of(), result.findings(Finding.Kind.NOT_CARRIED_OVER));
    }

    @Test
    void aPeerWithoutAppsIsWarnedThatNoAppMayUseItsRoutes() throws ImportException {
        ImportResult result = importConfig(INTERFACE + "# Name = corp-gw\n" + PEER);
        assertEquals(
                List.of("line 5 AllowedApps: peer 'corp-gw' names no apps: by wg-pr's model NO app may use its routes"
                        + " (10.20.0.0/16) until you add [[peer.allowedApps]] entries and start those apps with"
                        + " `wg-pr run --app NAME -- COMMAND`"),
                describe(result.findings(Finding.Kind.WARNING)));
        assertNull(firstPeer(result).get("allowedApps"));
        assertTrue(result.toml().contains("# [[peer.allowedApps]]\n# name = \"ssh\""), "an example in the file");
    }

    @Test
    void disallowedAppsBecomeExcludedAppsWithAWarningThatOthersDoNotUseTheTunnel() throws ImportException {
        ImportResult result = importConfig(INTERFACE + PEER + "AllowedApps = ssh\nDisallowedApps = steam, ssh\n");
        TomlArray excluded = toml(result).getTable("interface").getArray("excludedApps");
        assertEquals("steam", excluded.getTable(0).getString("name"));
        assertEquals("ssh-2", excluded.getTable(1).getString("name"), "one namespace with the allowed apps");
        Finding finding = result.findings(Finding.Kind.WARNING).stream()
                .filter(f -> f.key().equals("DisallowedApps"))
                .findFirst()
                .orElseThrow();
        assertTrue(finding.message().contains("imported as [[interface.excludedApps]]"), finding::message);
        assertTrue(finding.message().contains("Unlike WireSock"), finding::message);
    }

    @Test
    void aFullTunnelIsImportedWithOthersDenyWrittenOutAndAWarning() throws ImportException {
        ImportResult result =
                importConfig(INTERFACE + "[Peer]\nPublicKey = 7Hnu2U4XLpCz7ho3BOm3bjNSj0yPXRLWFpsBBY4y8w4="
                        + "\nAllowedIPs = 0.0.0.0/0, ::/0\n");
        assertEquals("deny", toml(result).getTable("interface").getString("others"));
        assertTrue(
                result.findings(Finding.Kind.WARNING).stream()
                        .anyMatch(f -> f.key().equals("others")),
                result.findings(Finding.Kind.WARNING)::toString);
    }

    @Test
    void anAppInTwoPeersStaysUnderTheFirstBecauseAConfigNamesEachAppOnce() throws ImportException {
        ImportResult result = importConfig(
                INTERFACE + PEER + "AllowedApps = /usr/bin/ssh\n" + OTHER_PEER + "AllowedApps = /usr/bin/ssh, git\n");
        TomlArray peers = toml(result).getArray("peer");
        assertEquals(
                "ssh", peers.getTable(0).getArray("allowedApps").getTable(0).getString("name"));
        assertEquals(1, peers.getTable(1).getArray("allowedApps").size());
        assertEquals(
                "git", peers.getTable(1).getArray("allowedApps").getTable(0).getString("name"));
        assertEquals(
                List.of("line 11 AllowedApps: app 'ssh' is listed under peer 'peer1' already; a wg-pr config names"
                        + " each app once, so it may not use the routes of peer 'peer2'"),
                describe(result.findings(Finding.Kind.NOT_CARRIED_OVER)));
    }

    @Test
    void twoProgramsWithTheSameBaseNameBecomeTwoApps() throws ImportException {
        ImportResult result =
                importConfig(INTERFACE + PEER + "AllowedApps = /usr/bin/python3, /opt/tool/bin/python3\n");
        TomlArray apps = firstPeer(result).getArray("allowedApps");
        assertEquals("python3", apps.getTable(0).getString("name"));
        assertEquals("python3-2", apps.getTable(1).getString("name"));
        assertEquals("/opt/tool/bin/python3", apps.getTable(1).getString("exec"));
        assertEquals(
                "AllowedApps", result.findings(Finding.Kind.CHANGED).getFirst().key());
    }

    @Test
    void theSameAppListedTwiceInAPeerIsOneApp() throws ImportException {
        ImportResult result = importConfig(INTERFACE + PEER + "AllowedApps = firefox\nAllowedApps = firefox\n");
        assertEquals(1, firstPeer(result).getArray("allowedApps").size());
    }

    @Test
    void interfaceAppsOfAOnePeerTunnelAreThatPeersApps() throws ImportException {
        ImportResult result = importConfig(INTERFACE + "AllowedApps = /usr/bin/ssh\n" + PEER);
        assertEquals(
                "/usr/bin/ssh",
                firstPeer(result).getArray("allowedApps").getTable(0).getString("exec"));
        assertEquals(List.of(), result.findings(Finding.Kind.NOT_CARRIED_OVER));
        assertEquals(List.of(), result.findings(Finding.Kind.WARNING));
    }

    @Test
    void aFileNameThatIsNoInterfaceNameGivesAUsableNameAndSaysSo() throws ImportException {
        ImportResult result = WgQuickImporter.importConfig("/etc/wireguard/my corp vpn (new).conf", INTERFACE + PEER);
        assertEquals("my-corp-vpn-new", toml(result).getTable("interface").getString("name"));
        assertEquals("name", result.findings(Finding.Kind.CHANGED).getFirst().key());
    }

    @Test
    void peersWithTheSameNameAreNumbered() throws ImportException {
        ImportResult result = importConfig(INTERFACE + "# Name = gw\n" + PEER + "# Name = gw\n" + OTHER_PEER);
        TomlArray peers = toml(result).getArray("peer");
        assertEquals("gw", peers.getTable(0).getString("name"));
        assertEquals("gw-2", peers.getTable(1).getString("name"));
    }

    @Test
    void peerNamesKeepWhatPeopleWrote() throws ImportException {
        ImportResult result = importConfig(INTERFACE + "# Name = Bob's \"work\" laptop\n" + PEER);
        assertEquals("Bob's \"work\" laptop", firstPeer(result).getString("name"));
        assertEquals(List.of(), result.findings(Finding.Kind.CHANGED));
    }

    @Test
    void everyFindingIsAlsoACommentInTheConfig() throws ImportException {
        ImportResult result = importConfig(INTERFACE + "PostUp = echo up\nFwMark = 51820\n" + PEER);
        assertTrue(
                result.toml()
                        .contains("# not carried over: line 4, PostUp: scripts are not run by wg-pr (was: echo up)"),
                result.toml());
        assertTrue(result.toml().contains("# not carried over: line 5, FwMark: "), result.toml());
        assertTrue(result.toml().contains("# warning: line 6, AllowedApps: peer 'peer1' names no apps"), result.toml());
    }

    @Test
    void nothingToReportMeansNoFindings() throws ImportException {
        ImportResult result = importConfig(INTERFACE + PEER + "AllowedApps = /usr/bin/ssh\n");
        assertEquals(List.of(), result.findings());
        assertFalse(result.toml().contains("# not carried over"));
    }

    private static ImportResult importConfig(String conf) throws ImportException {
        return WgQuickImporter.importConfig("wg0.conf", conf);
    }

    private static TomlParseResult toml(ImportResult result) {
        TomlParseResult toml = Toml.parse(result.toml());
        assertEquals(List.of(), toml.errors());
        return toml;
    }

    private static TomlTable firstPeer(ImportResult result) {
        return toml(result).getArray("peer").getTable(0);
    }

    private static List<String> describe(List<Finding> findings) {
        return findings.stream()
                .map(f -> "line " + f.line() + " " + f.key() + ": " + f.message())
                .toList();
    }
}
