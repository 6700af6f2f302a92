package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.daemon.DaemonTesting.Cli;
import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code wg-pr run} as the launchers start it on x86-64: run.pl, in the JVM's place, sends what the JVM
 * would send and says what it would say, and leaves to the JVM what it does not do itself.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class RunWithoutAJvmTest {
    /** Values a JSON writer must escape, and text beyond ASCII (U+2028 is a line end to JavaScript); none with a newline, which the daemon drops (CleanEnvironment). */
    private static final Map<String, String> AWKWARD_VARIABLES = Map.of(
            "AWKWARD_QUOTED", "say \"hi\" \\ back\\slash",
            "AWKWARD_BLANKS", "tab\tand\rreturn",
            "AWKWARD_CONTROL", "bell\u0007escape\u001b",
            "AWKWARD_TEXT", "grüße, 日本, 😀, \u2028\u2029",
            "AWKWARD_EMPTY", "");

    private static final List<String> AWKWARD_ARGUMENTS =
            List.of("a \"quoted\" word", "back\\slash", "new\nline", "grüße 😀", "\u2028");

    private static TunnelLab net;

    @BeforeAll
    static void up(NetnsLab lab) throws Exception {
        net = TunnelLab.routed(lab);
        net.upWithNobodyInTheLaunchGroup(net.config("per-prefix", "\"10.20.0.0/16\"", null));
    }

    @AfterAll
    static void down() throws Exception {
        if (net != null) {
            net.close();
        }
    }

    @Test
    void aPlainRunStartsNoJvm() throws Exception {
        List<String> programs = programsExecuted(net.nobody(), List.of(), "run", "--app", "probe", "--", "true");

        assertTrue(programs.contains("/usr/bin/perl"), programs::toString);
        assertFalse(programs.stream().anyMatch(program -> program.endsWith("/java")), programs::toString);
    }

    @Test
    void aFormRunPlDoesNotTakeGoesToTheJvm() throws Exception {
        List<String> programs = programsExecuted(net.nobody(), List.of(), "run", "--app=probe", "--", "true");

        assertTrue(programs.stream().anyMatch(program -> program.endsWith("/java")), programs::toString);
    }

    @Test
    void aVariableThatIsNotUtf8GoesToTheJvm() throws Exception {
        // A byte no UTF-8 text has: the JVM decodes it as it decodes everything, run.pl does not guess.
        List<String> notUtf8 = List.of("sh", "-c", "WGPR_LATIN1=$(printf 'gr\\374\\337e') exec \"$@\"", "sh");

        List<String> programs = programsExecuted(net.nobody(), notUtf8, "run", "--app", "probe", "--", "true");

        assertTrue(programs.stream().anyMatch(program -> program.endsWith("/java")), programs::toString);
    }

    @Test
    void theAppGetsTheArgumentsEnvironmentAndDirectoryTheJvmWouldGiveIt() throws Exception {
        // The whole environment, and each awkward variable whole (env's lines split those with a newline).
        StringBuilder script = new StringBuilder("pwd; printf '<%s>\\n' \"$@\"; env | sort; ");
        AWKWARD_VARIABLES
                .keySet()
                .forEach(name -> script.append("printf '%s=<%s>\\n' ")
                        .append(name)
                        .append(" \"$")
                        .append(name)
                        .append("\"; "));
        List<String> args =
                new ArrayList<>(List.of("run", "--app", "probe", "--", "sh", "-c", script.toString(), "sh"));
        args.addAll(AWKWARD_ARGUMENTS);
        Cli caller = net.nobody().withEnvironment(AWKWARD_VARIABLES);

        Result withoutJvm = caller.run(args.toArray(String[]::new));
        Result inJvm = caller.runInItsJvm().run(args.toArray(String[]::new));

        assertEquals(0, withoutJvm.exitCode(), withoutJvm::toString);
        assertEquals(inJvm.toString(), withoutJvm.toString());
        for (String argument : AWKWARD_ARGUMENTS) {
            assertTrue(withoutJvm.out().contains("<" + argument + ">"), withoutJvm::toString);
        }
        AWKWARD_VARIABLES.forEach((name, value) ->
                assertTrue(withoutJvm.out().contains(name + "=<" + value + ">"), withoutJvm::toString));
    }

    @Test
    void aCommandNotFoundIsReportedAsTheJvmReportsIt() throws Exception {
        assertSameOutcome(net.nobody(), 127, "run", "--app", "probe", "--", "no-such-command-of-wgpr");
        assertSameOutcome(net.nobody(), 127, "run", "--app", "probe", "--", "/no/such/file");
    }

    @Test
    void aRefusalIsReportedAsTheJvmReportsIt() throws Exception {
        assertSameOutcome(net.nobody(), 126, "run", "--app", "no-such-app", "--", "true");
        Path unreadable = Files.createTempFile(DaemonTesting.scratch(), "root-only-", "");
        try {
            assertSameOutcome(net.nobody(), 126, "run", "--app", "probe", "--", unreadable.toString());
        } finally {
            Files.delete(unreadable);
        }
    }

    @Test
    void noDaemonIsReportedAsTheJvmReportsIt() throws Exception {
        Cli elsewhere =
                Cli.nobody(new Instance("wgpr-none-" + ProcessHandle.current().pid()));

        assertSameOutcome(elsewhere, 125, "run", "--app", "probe", "--", "true");
    }

    @Test
    void theAppsExitStatusIsTheRunsStatus() throws Exception {
        Result run = net.nobody().run("run", "--app", "probe", "--", "sh", "-c", "echo out; echo err >&2; exit 42");

        assertEquals(new Result(42, "out\n", "err\n").toString(), run.toString());
    }

    private static void assertSameOutcome(Cli caller, int exitCode, String... args) throws Exception {
        Result withoutJvm = caller.run(args);
        Result inJvm = caller.runInItsJvm().run(args);

        assertEquals(exitCode, withoutJvm.exitCode(), withoutJvm::toString);
        assertFalse(withoutJvm.err().isBlank(), withoutJvm::toString);
        assertEquals(inJvm.toString(), withoutJvm.toString());
    }

    /**
     * The programs that {@code wg-pr ARGS}, run by {@code caller} under {@code wrapper} (a command that runs
     * the rest of its arguments), and its children executed.
     */
    private static List<String> programsExecuted(Cli caller, List<String> wrapper, String... args) throws Exception {
        Path log = Files.createTempFile(DaemonTesting.scratch(), "execs-", ".txt");
        try {
            List<String> command =
                    new ArrayList<>(List.of("strace", "-f", "-qq", "-o", log.toString(), "-e", "trace=execve"));
            command.addAll(wrapper);
            Result run = DaemonTesting.finish(caller.startUnder(command, args));
            assertEquals(0, run.exitCode(), run::toString);
            List<String> programs = new ArrayList<>();
            for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                int start = line.indexOf("execve(\"");
                if (start >= 0 && !line.contains("= -1 ")) {
                    programs.add(line.substring(start + 8, line.indexOf('"', start + 8)));
                }
            }
            return programs;
        } finally {
            Files.delete(log);
        }
    }
}
