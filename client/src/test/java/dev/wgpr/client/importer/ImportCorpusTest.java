package dev.wgpr.client.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlTable;
import org.tomlj.TomlVersion;

/**
 * Every config of the corpus imports into valid TOML that carries all of its WireGuard data, and
 * reports exactly the lines wg-pr cannot carry over.
 */
class ImportCorpusTest {
    /**
     * What the importer must make of one corpus file.
     *
     * @param notCarriedOver {@code KEY@LINE} of every not-carried-over finding, in line order
     * @param apps per peer name, its apps as {@code name} or {@code name=exec}
     */
    record Expected(String file, List<String> notCarriedOver, Map<String, List<String>> apps) {
        @Override
        public String toString() {
            return file;
        }
    }

    static Stream<Expected> corpus() {
        return Stream.of(
                new Expected("laptop.conf", List.of(), peers("peer1")),
                new Expected("corp.conf", List.of("PostUp@9", "PostDown@10"), peers("hq-gw", "build-lab")),
                new Expected("v6only.conf", List.of("FwMark@4"), peers("peer1")),
                new Expected(
                        "gateway.conf",
                        List.of(
                                "Table@6",
                                "SaveConfig@7",
                                "PreUp@8",
                                "PostUp@9",
                                "PostUp@10",
                                "PreDown@11",
                                "PostDown@12"),
                        peers("peer1")),
                new Expected("commented.conf", List.of(), peers("prometheus", "grafana")),
                new Expected("lowercase.conf", List.of(), peers("peer1")),
                new Expected("multiline.conf", List.of(), peers("peer1")),
                new Expected(
                        "wiresock.conf",
                        List.of(
                                "AllowedApps@12",
                                "AllowedApps@12",
                                "AllowedApps@12",
                                "DisallowedApps@13", // C:\\Games\\Launcher.exe: a Windows program, no exec
                                "DisallowedIPs@14"),
                        Map.of("peer1", List.of("firefox", "chrome", "putty", "ssh=/usr/bin/ssh"))),
                new Expected(
                        "wiresock-if.conf",
                        List.of("AllowedApps@5"),
                        orderedMap(
                                "peer1", List.of("ssh=/usr/bin/ssh", "firefox=/usr/lib/firefox/firefox"),
                                "peer2", List.of("db-console=/opt/Internal Tools/bin/DB Console"))),
                new Expected("hub.conf", List.of(), peers("alice", "bob-phone", "peer3")),
                new Expected("home.conf", List.of("Jc@6"), peers("peer1")));
    }

    @Test
    void everyCorpusFileHasItsExpectationsAndThereAreAtLeastEight() {
        List<String> expected = corpus().map(Expected::file).sorted().toList();
        assertEquals(expected, Corpus.fileNames());
        assertTrue(expected.size() >= 8, "a corpus of at least 8 configs");
    }

    @ParameterizedTest
    @MethodSource("corpus")
    void importIsValidToml(Expected expected) {
        TomlParseResult toml = parse(Corpus.imported(expected.file()));
        assertFalse(toml.hasErrors(), () -> expected.file() + ": " + toml.errors());
    }

    @ParameterizedTest
    @MethodSource("corpus")
    void importCarriesOverEveryWireGuardValue(Expected expected) {
        WireGuardData original = WireGuardData.fromWgQuick(Corpus.text(expected.file()));
        WireGuardData imported = WireGuardData.fromToml(parse(Corpus.imported(expected.file())));
        assertFalse(original.peers().isEmpty(), "the naive reader found the peers");
        assertTrue(original.tunnelInterface().containsKey("privatekey"), "the naive reader found the interface");
        assertEquals(original, imported);
    }

    @ParameterizedTest
    @MethodSource("corpus")
    void importListsExactlyTheLinesNotCarriedOver(Expected expected) {
        List<String> notCarriedOver = Corpus.imported(expected.file()).findings(Finding.Kind.NOT_CARRIED_OVER).stream()
                .map(finding -> finding.key() + "@" + finding.line())
                .toList();
        assertEquals(expected.notCarriedOver(), notCarriedOver);
    }

    @ParameterizedTest
    @MethodSource("corpus")
    void importNamesPeersAndAppsAsExpected(Expected expected) {
        TomlParseResult toml = parse(Corpus.imported(expected.file()));
        Map<String, List<String>> apps = new LinkedHashMap<>();
        TomlArray peers = toml.getArray("peer");
        for (int i = 0; i < peers.size(); i++) {
            TomlTable peer = peers.getTable(i);
            List<String> peerApps = new ArrayList<>();
            TomlArray allowedApps = peer.getArray("allowedApps");
            for (int j = 0; allowedApps != null && j < allowedApps.size(); j++) {
                TomlTable app = allowedApps.getTable(j);
                String exec = app.getString("exec");
                peerApps.add(app.getString("name") + (exec == null ? "" : "=" + exec));
            }
            apps.put(peer.getString("name"), peerApps);
        }
        assertEquals(new ArrayList<>(expected.apps().entrySet()), new ArrayList<>(apps.entrySet()));
    }

    @ParameterizedTest
    @MethodSource("corpus")
    void everyPeerWithoutAppsIsWarnedAbout(Expected expected) {
        List<String> warned = Corpus.imported(expected.file()).findings(Finding.Kind.WARNING).stream()
                .filter(finding -> finding.message().contains("NO app may use its routes"))
                .map(finding -> finding.message().replaceFirst("^peer '([^']*)'.*", "$1"))
                .toList();
        List<String> withoutApps = expected.apps().entrySet().stream()
                .filter(peer -> peer.getValue().isEmpty())
                .map(Map.Entry::getKey)
                .toList();
        assertEquals(withoutApps, warned);
    }

    /** Import, write back as wg-quick, import again: the same config, and the same WireGuard data. */
    @ParameterizedTest
    @MethodSource("corpus")
    void importRoundTripsThroughWgQuick(Expected expected) throws ImportException {
        TomlParseResult imported = parse(Corpus.imported(expected.file()));
        String exported = WgQuickExport.of(imported);
        TomlParseResult reimported = parse(WgQuickImporter.importConfig(expected.file(), exported));
        assertEquals(WireGuardData.fromWgQuick(Corpus.text(expected.file())), WireGuardData.fromWgQuick(exported));
        assertEquals(plain(imported), plain(reimported));
    }

    @ParameterizedTest
    @MethodSource("corpus")
    void importIsStable(Expected expected) {
        assertEquals(
                Corpus.imported(expected.file()).toml(),
                Corpus.imported(expected.file()).toml());
    }

    static TomlParseResult parse(ImportResult result) {
        return Toml.parse(result.toml(), TomlVersion.V1_0_0);
    }

    /** TOML data as plain maps and lists, comparable with equals (tomlj's tables are not). */
    private static Object plain(Object toml) {
        return switch (toml) {
            case TomlTable table ->
                table.keySet().stream().collect(Collectors.toMap(key -> key, key -> plain(table.get(List.of(key)))));
            case TomlArray array ->
                array.toList().stream().map(ImportCorpusTest::plain).toList();
            default -> toml;
        };
    }

    private static Map<String, List<String>> peers(String... names) {
        Map<String, List<String>> peers = new LinkedHashMap<>();
        for (String name : names) {
            peers.put(name, List.of());
        }
        return peers;
    }

    private static Map<String, List<String>> orderedMap(String k1, List<String> v1, String k2, List<String> v2) {
        Map<String, List<String>> map = new LinkedHashMap<>();
        map.put(k1, v1);
        map.put(k2, v2);
        return map;
    }
}
