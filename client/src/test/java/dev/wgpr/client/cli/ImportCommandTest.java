package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code wg-pr import} as a user runs it, in-process through the real command line. */
class ImportCommandTest {
    private static final String CORP = """
            [Interface]
            PrivateKey = IK0nFmaK/kx7vn7v2eD2JvKxFcK5YZLQ92I6Pa0RyGA=
            Address = 10.8.0.2/32
            PostUp = iptables -A FORWARD -i %i -j ACCEPT

            [Peer]
            PublicKey = 7Hnu2U4XLpCz7ho3BOm3bjNSj0yPXRLWFpsBBY4y8w4=
            AllowedIPs = 10.20.0.0/16
            Endpoint = vpn.example.com:51820
            """;

    @TempDir
    Path directory;

    static Stream<Path> corpus() throws IOException, URISyntaxException {
        Path corpus =
                Path.of(ImportCommandTest.class.getResource("/import-corpus").toURI());
        List<Path> files;
        try (Stream<Path> listing = Files.list(corpus)) {
            files = listing.filter(f -> f.toString().endsWith(".conf")).sorted().toList();
        }
        return files.stream();
    }

    @ParameterizedTest
    @MethodSource("corpus")
    void everyCorpusConfigImportsIntoAConfigThatPassesCheck(Path conf) {
        Path toml = directory.resolve(conf.getFileName().toString().replace(".conf", ".toml"));
        CliRun imported = CliRun.of("import", conf.toString(), "-o", toml.toString());
        assertEquals(0, imported.exitCode(), imported.err());
        CliRun check = CliRun.of("check", toml.toString());
        assertEquals(0, check.exitCode(), () -> check.err() + "\n" + read(toml));
        assertTrue(check.out().contains("is valid"), check.out());
    }

    @Test
    void writesTheConfigToStdoutAndTheReportToStderr() throws IOException {
        CliRun run = CliRun.of("import", write("corp.conf", CORP).toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("[interface]\nname = \"corp\"\n"), run.out());
        assertTrue(run.out().contains("endpoint = \"vpn.example.com:51820\""), run.out());
        assertTrue(run.err().contains("corp.conf:4: PostUp: scripts are not run by wg-pr"), run.err());
        assertTrue(run.err().contains("corp.conf:6: AllowedApps: peer 'peer1' names no apps"), run.err());
        assertFalse(run.out().contains("Not carried over:"), "the report stays out of the config");
    }

    @Test
    void writesTheOutputFileOwnerOnlyBecauseItHoldsThePrivateKey() throws IOException {
        Path toml = directory.resolve("corp.toml");
        CliRun run = CliRun.of("import", write("corp.conf", CORP).toString(), "-o", toml.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("", run.out());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(toml)));
        assertTrue(read(toml).contains("privateKey = \"IK0nFmaK/kx7vn7v2eD2JvKxFcK5YZLQ92I6Pa0RyGA=\""));
    }

    @Test
    void refusesToOverwriteAnExistingFile() throws IOException {
        Path toml = write("corp.toml", "precious\n");
        CliRun run = CliRun.of("import", write("corp.conf", CORP).toString(), "-o", toml.toString());
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("exists; use --force"), run.err());
        assertEquals("precious\n", read(toml));
    }

    @Test
    void forceReplacesAnExistingFileAndMakesItOwnerOnly() throws IOException {
        Path toml = write("corp.toml", "old\n");
        Files.setPosixFilePermissions(toml, PosixFilePermissions.fromString("rw-r--r--"));
        CliRun run = CliRun.of("import", write("corp.conf", CORP).toString(), "-o", toml.toString(), "--force");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(read(toml).startsWith("# Imported from corp.conf"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(toml)));
        try (Stream<Path> left = Files.list(directory)) {
            assertEquals(
                    List.of("corp.conf", "corp.toml"),
                    left.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary file left behind");
        }
    }

    @Test
    void invalidConfigExitsTwoNamingLineAndFieldAndWritesNothing() throws IOException {
        Path conf = write("bad.conf", CORP.replace("10.20.0.0/16", "10.20.0.0/33"));
        Path toml = directory.resolve("bad.toml");
        CliRun run = CliRun.of("import", conf.toString(), "-o", toml.toString());
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains(conf + ":8: AllowedIPs: "), run.err());
        assertTrue(run.err().contains("nothing was written"), run.err());
        assertFalse(Files.exists(toml));
        assertEquals("", run.out());
    }

    @Test
    void missingFileExitsTwo() {
        CliRun run = CliRun.of("import", directory.resolve("nope.conf").toString());
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("nope.conf: no such file"), run.err());
    }

    @Test
    void helpExplainsTheModelAndShowsAnExample() {
        CliRun run = CliRun.of("import", "--help");
        assertEquals(0, run.exitCode());
        String help = run.out().replaceAll("\\s+", " ");
        assertTrue(help.contains("Usage: wg-pr import"), help);
        assertTrue(help.contains("wg-pr import /etc/wireguard/corp.conf -o corp.toml"), help);
        assertTrue(help.contains("no app may use it until you add some"), help);
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(directory.resolve(name), text, StandardCharsets.UTF_8);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
