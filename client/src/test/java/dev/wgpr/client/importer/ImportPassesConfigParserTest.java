package dev.wgpr.client.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wgpr.client.config.BadConfigException;
import dev.wgpr.client.config.ConfigProblem;
import dev.wgpr.client.config.LoadedConfig;
import dev.wgpr.client.config.TunnelConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What the importer writes is a config wg-pr itself accepts, through its real parser. */
class ImportPassesConfigParserTest {
    static List<String> corpus() {
        return Corpus.fileNames();
    }

    @ParameterizedTest
    @MethodSource("corpus")
    void importedConfigPassesTheConfigParser(String file) {
        ImportResult result = Corpus.imported(file);
        Path toml = Path.of(file.replaceFirst("\\.conf$", ".toml"));
        LoadedConfig loaded;
        try {
            loaded = TunnelConfig.parse(result.toml(), toml);
        } catch (BadConfigException e) {
            throw new AssertionError(
                    file + " imports into a config wg-pr rejects:\n" + e.getMessage() + "\n\n" + result.toml(), e);
        }
        // The apps' programs are another machine's: whether they exist here says nothing of the import.
        assertEquals(
                List.of(),
                loaded.warnings().stream()
                        .filter(warning -> warning.reason() != ConfigProblem.Reason.EXEC_MISSING)
                        .toList());
        TunnelConfig config = loaded.config();
        assertEquals(
                ImportCorpusTest.parse(result).getArray("peer").size(),
                config.peers().size(),
                "every peer");
    }
}
