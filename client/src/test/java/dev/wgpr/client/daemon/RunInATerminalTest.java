package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.cli.Main;
import dev.wgpr.client.control.Json;
import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.common.Pace;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code wg-pr run} in a terminal behaves as the bare command there: a person at a pseudo-terminal (a
 * driver that types and reads the screen, as uid nobody) sees the prompt, the window size and its
 * changes, Ctrl-C ending the foreground job and not the session, job control, and the exit status; an
 * interactive ssh session to the internal host through the tunnel does the same.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class RunInATerminalTest {
    /** A prompt set by typing, quoted so that the typed command's echo never looks like the prompt. */
    private static final String SET_PROMPT = "PS1='rdy''> '\n";

    private static final String PROMPT = "rdy> ";

    private static TunnelLab net;

    private static Path driver;

    @BeforeAll
    static void up(NetnsLab lab) throws Exception {
        net = TunnelLab.routed(lab);
        Path config = net.config("per-prefix", "\"10.20.0.0/16\"", null);
        Files.writeString(config, """

                [[peer.allowedApps]]
                name = "shell"
                exec = "/bin/bash"

                [[peer.allowedApps]]
                name = "ssh"
                exec = "/usr/bin/ssh"
                """, StandardOpenOption.APPEND);
        net.upWithNobodyInTheLaunchGroup(config);
        driver = DaemonTesting.scratch()
                .resolve("terminal-driver-" + ProcessHandle.current().pid() + ".py");
        try (InputStream script = RunInATerminalTest.class.getResourceAsStream("terminal-driver.py")) {
            Files.copy(script, driver);
        }
        Files.setPosixFilePermissions(driver, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterAll
    static void down() throws Exception {
        if (net != null) {
            net.close();
        }
        if (driver != null) {
            Files.deleteIfExists(driver);
        }
    }

    @Test
    void aShellStartedAsAnAppHasItsOwnTerminalWindowSizeKeysJobControlAndExitStatus() throws Exception {
        List<String> shell = List.of("/bin/bash", "--norc", "--noprofile", "-i");
        List<String> run = new ArrayList<>(wgpr("run", "--app", "shell", "--"));
        run.addAll(shell);

        assertBehavesAsAtATerminal(drive(shell, sessionSteps(true)), "the bare shell");
        assertBehavesAsAtATerminal(drive(run, sessionSteps(true)), "the shell through wg-pr run");
    }

    @Test
    void anInteractiveSshSessionThroughRunBehavesAsAtATerminal() throws Exception {
        try (LabSshd sshd = LabSshd.start(net, "PermitRootLogin prohibit-password")) {
            List<String> ssh = new ArrayList<>(wgpr("run", "--app", "ssh", "--", "/usr/bin/ssh"));
            ssh.addAll(sshd.sshOptions());
            ssh.add("root@" + TunnelLab.INTERNAL_V4);

            Result session = drive(ssh, sessionSteps(false));

            assertBehavesAsAtATerminal(session, "ssh through wg-pr run");
        }
    }

    /**
     * Types a session: the prompt, the window's size before and after a change, (where the shell's terminal
     * is wg-pr's own) the controlling terminal and job control, Ctrl-C on a foreground job, exit 7.
     */
    private static List<List<Object>> sessionSteps(boolean jobControl) {
        List<List<Object>> steps = new ArrayList<>(List.of(
                List.of("send", SET_PROMPT),
                List.of("expect", PROMPT),
                List.of("send", "stty size\n"),
                List.of("expect", "\\b24 80\\r"),
                List.of("resize", 30, 100),
                List.of("until", "stty size\n", "\\b30 100\\r")));
        if (jobControl) {
            steps.addAll(List.of(
                    // Field 7 of /proc/PID/stat: the controlling terminal's device number, 0 for none.
                    List.of("send", "echo ctty=$(cut -d' ' -f7 /proc/$$/stat)\n"),
                    List.of("expect", "ctty=[1-9][0-9]*\\r"),
                    List.of("send", "sleep 50 &\n"),
                    List.of("expect", "\\[1\\] [0-9]+"),
                    List.of("send", "jobs\n"),
                    List.of("expect", "Running +sleep 50"),
                    List.of("send", "kill %1\n"),
                    List.of("expect", PROMPT)));
        }
        steps.addAll(List.of(
                // The marker comes from the process Ctrl-C must reach, once it runs in the foreground.
                List.of("send", "sh -c \"echo st''arted; exec sleep 60\"; echo not-inter''rupted\n"),
                List.of("expect", "started"),
                List.of("send", "\u0003"),
                List.of("expect", PROMPT),
                List.of("send", "echo status=$?\n"),
                List.of("expect", "status=130"),
                List.of("send", "exit 7\n")));
        return steps;
    }

    private static void assertBehavesAsAtATerminal(Result session, String what) {
        assertEquals(0, session.exitCode(), () -> what + ": " + session);
        assertTrue(session.out().endsWith("exit=7\n"), () -> what + " ends with its exit status: " + session);
        assertTrue(!session.out().contains("not-interrupted"), () -> what + ": Ctrl-C ended sleep: " + session);
    }

    private static Result drive(List<String> command, List<List<Object>> steps) throws Exception {
        Duration limit = Pace.scaled(Duration.ofSeconds(60));
        List<String> full =
                new ArrayList<>(List.of(driver.toString(), Long.toString(limit.toSeconds()), Json.write(steps), "--"));
        full.addAll(command);
        return net.asNobody(full, limit.multipliedBy(steps.size() + 2));
    }

    private static List<String> wgpr(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("--instance", net.instance.name()));
        command.addAll(List.of(args));
        return TunnelLab.javaCommand(Main.class, command.toArray(String[]::new));
    }
}
