package dev.wgpr.client.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tomlj.Toml;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlVersion;

/** Strings and comments in the written TOML survive any content. */
class ImportTomlWriterTest {
    @ParameterizedTest
    @ValueSource(
            strings = {
                "plain",
                "Bob's \"work\" laptop",
                "C:\\Program Files\\x.exe",
                "tab\there",
                "bell\u0007 delete\u007f escape\u001b",
                "ünïcødé ✓ 🎉",
                "# not a comment",
                "",
            })
    void quotedStringsReadBackUnchanged(String value) {
        TomlParseResult toml = Toml.parse("key = " + TomlWriter.quoted(value), TomlVersion.V1_0_0);
        assertEquals(List.of(), toml.errors());
        assertEquals(value, toml.getString("key"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"AllowedApps = a\u0001b", "PostUp = printf '\\033[1m'\u001b", "Jc = \u007f"})
    void findingsWithControlCharactersStillMakeValidToml(String line) throws ImportException {
        String conf = """
                [Interface]
                PrivateKey = IK0nFmaK/kx7vn7v2eD2JvKxFcK5YZLQ92I6Pa0RyGA=
                Address = 10.8.0.2/32
                %s
                [Peer]
                PublicKey = 7Hnu2U4XLpCz7ho3BOm3bjNSj0yPXRLWFpsBBY4y8w4=
                AllowedIPs = 10.20.0.0/16
                """.formatted(line);
        ImportResult result = WgQuickImporter.importConfig("wg0.conf", conf);
        assertEquals(List.of(), Toml.parse(result.toml(), TomlVersion.V1_0_0).errors(), result.toml());
    }
}
