package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wgpr.client.daemon.Instance;
import dev.wgpr.testing.RequiresRoot;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * When perl cannot run, {@code wg-pr run} stays the app's waiter itself. The stand-in daemon of the
 * start-up training sends the app's start and its exit in one write, so both are read at once before
 * the hand-over: the exit must still be there for this JVM once the exec has failed.
 */
@RequiresRoot // the stand-in listens in /run
class RunWithoutItsWaiterTest {
    @Test
    void aRunWhoseWaiterCannotStartReadsTheExitThatCameWithTheStart() throws Exception {
        Instance instance =
                new Instance("wgpr-waiterless-" + ProcessHandle.current().pid());
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        StartUpTraining.StandInDaemon daemon =
                StartUpTraining.StandInDaemon.listen(instance).orElseThrow();
        try {
            Waiter.handOverTo(instance.runtimeDirectory().resolve("no-perl").toString());
            int status = Main.execute(
                    new String[] {"--instance", instance.name(), "run", "--app", "a", "--", "/bin/true"},
                    new ByteArrayInputStream(new byte[0]),
                    new PrintStream(OutputStream.nullOutputStream()),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            assertEquals("", err.toString(StandardCharsets.UTF_8));
            assertEquals(0, status, "the stand-in's exit status");
        } finally {
            Waiter.handOverTo(null);
            daemon.close();
        }
    }
}
