package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class HelpTest {
    static Stream<String> subcommands() {
        return WgPrCommand.commandLine(System.in, System.out, System.err).getSubcommands().keySet().stream()
                .filter(name -> !name.equals("help"));
    }

    @ParameterizedTest
    @MethodSource("subcommands")
    void everySubcommandExplainsItselfWithHelp(String name) {
        CliRun run = CliRun.of(name, "--help");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().startsWith("Usage: wg-pr " + name), run.out());
        String description = run.out().lines().skip(1).findFirst().orElse("");
        assertTrue(description.length() > 20, "a sentence of description follows the usage line: " + run.out());
    }

    @ParameterizedTest
    @MethodSource("subcommands")
    void helpLinesFitAnEightyColumnTerminal(String name) {
        CliRun.of(name, "--help").out().lines().forEach(line -> assertTrue(line.length() <= 80, line));
    }
}
