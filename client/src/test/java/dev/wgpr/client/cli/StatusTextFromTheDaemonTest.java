package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.control.ControlJson;
import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.client.control.Protocol;
import dev.wgpr.client.control.Reply;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.client.daemon.Daemon;
import dev.wgpr.client.daemon.Instance;
import dev.wgpr.testing.FileTrees;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.io.IOException;
import java.time.Clock;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Plain {@code wg-pr status} prints the text the daemon renders of its status ({@code status-text}), which is
 * the text the CLI makes of the same status tree; and the CLI still prints it when the daemon renders none.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class StatusTextFromTheDaemonTest {
    private static final Instance rendering = unique("rendering");
    private static final Instance treeOnly = unique("tree-only");
    private static final List<Daemon> daemons = new ArrayList<>();

    @BeforeAll
    static void startDaemons(NetnsLab lab) throws Exception {
        daemons.add(lab.namespace("statustext")
                .call(() -> Daemon.start(rendering, Daemon.Options.defaults().withStatusText(StatusCommand::text))));
        daemons.add(lab.namespace("statustree").call(() -> Daemon.start(treeOnly, Daemon.Options.defaults())));
    }

    @AfterAll
    static void stopDaemons() throws IOException {
        daemons.forEach(Daemon::stop);
        for (Instance instance : List.of(rendering, treeOnly)) {
            FileTrees.delete(instance.runtimeDirectory());
        }
    }

    @Test
    void statusPrintsTheDaemonsTextWhichIsTheCliTextOfTheSameStatus() throws Exception {
        for (boolean verbose : new boolean[] {false, true}) {
            Reply.StatusText answer = assertInstanceOf(
                    Reply.StatusText.class,
                    ask(rendering, new Request.StatusText(verbose, "UTC"), Reply.StatusText.class));
            DaemonStatus tree = (DaemonStatus) ask(rendering, new Request.Status(), DaemonStatus.class);
            CliRun status = verbose
                    ? CliRun.of("--instance", rendering.name(), "status", "--verbose")
                    : CliRun.of("--instance", rendering.name(), "status");

            assertEquals(0, status.exitCode(), status::toString);
            assertEquals(agesAside(answer.text()), agesAside(status.out()));
            assertEquals(
                    agesAside(StatusCommand.text(tree, verbose, Clock.system(ZoneId.of("UTC")))),
                    agesAside(answer.text()));
            assertEquals(List.of(), answer.backstopMissing());
        }
    }

    @Test
    void theDaemonWritesDatesInTheCallersZone() throws Exception {
        Reply.StatusText tokyo =
                (Reply.StatusText) ask(rendering, new Request.StatusText(false, "Asia/Tokyo"), Reply.StatusText.class);
        Reply.StatusText utc =
                (Reply.StatusText) ask(rendering, new Request.StatusText(false, "UTC"), Reply.StatusText.class);

        assertTrue(tokyo.text().lines().findFirst().orElseThrow().contains(" GMT+09:00 ("), tokyo.text());
        assertTrue(utc.text().lines().findFirst().orElseThrow().contains(" UTC ("), utc.text());
    }

    @Test
    void aZoneTheDaemonDoesNotKnowIsABadRequest() throws Exception {
        Reply.Error error = assertInstanceOf(
                Reply.Error.class,
                ask(rendering, new Request.StatusText(false, "Mars/Olympus_Mons"), Reply.StatusText.class));

        assertEquals(Protocol.BAD_REQUEST, error.error());
        assertEquals("unknown time zone Mars/Olympus_Mons", error.message());
    }

    @Test
    void aDaemonThatRendersNoTextRefusesToAndTheCliRendersTheTreeItself() throws Exception {
        Reply.Error error = assertInstanceOf(
                Reply.Error.class, ask(treeOnly, new Request.StatusText(false, "UTC"), Reply.StatusText.class));
        DaemonStatus tree = (DaemonStatus) ask(treeOnly, new Request.Status(), DaemonStatus.class);
        CliRun status = CliRun.of("--instance", treeOnly.name(), "status");

        assertEquals(Protocol.BAD_REQUEST, error.error());
        assertEquals(0, status.exitCode(), status::toString);
        assertEquals(agesAside(StatusCommand.text(tree, false, Clock.systemDefaultZone())), agesAside(status.out()));
    }

    private static Reply ask(Instance instance, Request request, Class<? extends Reply> answer) throws Exception {
        try (UnixSocket socket = UnixSocket.connect(instance.controlSocket())) {
            socket.send(ControlJson.write(request));
            return ControlJson.readReply(socket.receive().line(), answer);
        }
    }

    /** The text with every "(… ago)" the same: the two were made a moment apart. */
    private static String agesAside(String text) {
        return text.replaceAll("\\([^()]* ago\\)", "(some time ago)");
    }

    private static Instance unique(String what) {
        return new Instance("wg-pr-test-" + what + "-"
                + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()));
    }
}
