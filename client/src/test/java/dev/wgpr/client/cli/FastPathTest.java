package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.TestPaths;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class FastPathTest {
    /** An instance no daemon serves: unique to this run, and never started. */
    private static final String NOBODY_HOME =
            "fast-path-test-" + ProcessHandle.current().pid();

    private static final Path CORP = TestPaths.repositoryRoot().resolve("configs/corp.toml");

    static Stream<List<String>> itsCommands() throws IOException {
        Path badConfig = Files.createTempFile("fast-path-test", ".toml");
        Files.writeString(badConfig, "[interface]\nmtu = \"large\"\n");
        badConfig.toFile().deleteOnExit();
        return Stream.of(
                List.of("--version"),
                List.of("-V"),
                List.of("check", CORP.toString()),
                List.of("--instance", NOBODY_HOME, "check", CORP.toString()),
                List.of("check", badConfig.toString()),
                List.of("check", "/nonexistent/fast-path-test.toml"),
                List.of("--instance", NOBODY_HOME, "status"),
                List.of("status", "--instance=" + NOBODY_HOME, "--json"),
                List.of("--instance", NOBODY_HOME, "status", "--verbose", "--json"),
                List.of("--instance", NOBODY_HOME, "status", "-v"),
                List.of("--instance", NOBODY_HOME, "run", "--app", "x", "--", "/bin/true"),
                List.of("run", "--tunnel", "t", "--instance=" + NOBODY_HOME, "--app", "x", "--", "true", "--instance"),
                List.of("--instance", NOBODY_HOME, "run", "--app", "x", "--", "/nonexistent/fast-path-test"));
    }

    @ParameterizedTest
    @MethodSource("itsCommands")
    void runsItsCommandsItselfAndPrintsWhatTheWholeCliPrints(List<String> args) {
        String[] argv = args.toArray(String[]::new);
        CliRun fast = CliRun.capture((out, err) ->
                FastPath.execute(argv, out, err).orElseThrow(() -> new AssertionError("not taken: " + args)));

        assertEquals(CliRun.ofTheWholeCli(argv), fast);
    }

    static Stream<List<String>> notItsCommands() {
        return Stream.of(
                List.of(),
                List.of("--help"),
                List.of("status", "--help"),
                List.of("status", "-vh"),
                List.of("status", "--json", "--json"),
                List.of("status", "-v", "--verbose"),
                List.of("status", "extra"),
                List.of("status", "--"),
                List.of("--instance", "a", "--instance", "b", "status"),
                List.of("--instance", "--json", "status"),
                List.of("--instance=", "status"),
                List.of("--instance", "bad/name", "status"),
                List.of("--instance=../x", "run", "--app", "x", "--", "true"),
                List.of("status", "--instance"),
                List.of("@arguments.txt"),
                List.of("--instance", "@arguments.txt", "status"),
                List.of("check"),
                List.of("check", "a.toml", "b.toml"),
                List.of("check", "-x"),
                List.of("check", "--", "a.toml"),
                List.of("check", "@a.toml"),
                List.of("--version", "--instance", "a"),
                List.of("-V", "status"),
                List.of("events"),
                List.of("stat"),
                List.of("run", "--app", "x"),
                List.of("run", "--app", "x", "--"),
                List.of("run", "--app=x", "--", "true"),
                List.of("run", "--detach", "--app", "x", "--", "true"),
                List.of("run", "--app", "x", "--app", "y", "--", "true"),
                List.of("run", "--tunnel", "t", "--", "true"),
                List.of("run", "--app", "-x", "--", "true"),
                List.of("run", "--app", "x", "--", "@arguments.txt"),
                List.of("run", "--app", "x", "--", ""),
                List.of("run", "-h", "--app", "x", "--", "true"));
    }

    @ParameterizedTest
    @MethodSource("badInstanceNames")
    void aBadInstanceNameIsAUsageErrorThatSaysWhyWithoutAStackTrace(List<String> args) {
        CliRun run = CliRun.of(args.toArray(String[]::new));

        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.err().startsWith("bad instance name '"), run::toString);
        assertFalse(run.err().contains("Exception"), run::toString);
    }

    static Stream<List<String>> badInstanceNames() {
        return Stream.of(
                List.of("--instance", "bad/name", "status"),
                List.of("--instance=.hidden", "run", "--app", "x", "--", "true"),
                List.of("--instance", "two words", "events"));
    }

    @ParameterizedTest
    @MethodSource("notItsCommands")
    void leavesEveryOtherCommandLineToTheWholeCli(List<String> args) {
        PrintStream discard = new PrintStream(OutputStream.nullOutputStream());
        assertEquals(Optional.empty(), FastPath.execute(args.toArray(String[]::new), discard, discard));
    }
}
