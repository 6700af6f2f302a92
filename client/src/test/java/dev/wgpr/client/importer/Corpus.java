package dev.wgpr.client.importer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The wg-quick configs under {@code src/test/resources/import-corpus}, written for these tests. */
final class Corpus {
    private Corpus() {}

    static Path directory() {
        try {
            return Path.of(Corpus.class.getResource("/import-corpus").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String> fileNames() {
        try (Stream<Path> files = Files.list(directory())) {
            return files.map(f -> f.getFileName().toString())
                    .filter(name -> name.endsWith(".conf"))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String text(String fileName) {
        try {
            return Files.readString(directory().resolve(fileName), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ImportResult imported(String fileName) {
        try {
            return WgQuickImporter.importConfig(fileName, text(fileName));
        } catch (ImportException e) {
            throw new AssertionError(fileName + " should import:\n" + e.getMessage(), e);
        }
    }
}
