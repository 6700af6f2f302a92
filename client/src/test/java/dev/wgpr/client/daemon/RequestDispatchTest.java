package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.wgpr.client.control.ControlJson;
import dev.wgpr.client.control.Message;
import dev.wgpr.client.control.PeerCredentials;
import dev.wgpr.client.control.Reply;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.client.dns.ResolvedNames;
import dev.wgpr.common.ThreadFailures;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RequestDispatch} runs the daemon's {@code tunnelsChanged} hook (the locked-down daemon gives back the
 * pages a change brought) after each {@code up}, {@code reload} and {@code down}, once the reply is sent, and
 * after no other request.
 */
class RequestDispatchTest {
    private static final PeerCredentials ROOT = new PeerCredentials(1, 0, 0, new int[0]);

    private final InMemoryPieces kernel = new InMemoryPieces();
    private final Instance instance = new Instance("wg-pr-test");
    private final Tunnels tunnels = new Tunnels(
            kernel.pieces(),
            new DnsStage.Settings(
                    List::of, instance, new ThreadFailures(line -> {}), Optional.empty(), new ResolvedNames()),
            Path.of("/nonexistent/resolver-state"));
    /** What each run of the hook found: the replies the caller could read by then. */
    private final List<String> hookSaw = new ArrayList<>();

    private UnixSocket caller;
    private UnixSocket daemonEnd;

    @TempDir
    Path dir;

    private RequestDispatch dispatch() {
        return new RequestDispatch(
                instance,
                tunnels,
                null, // no run in this test
                new Authorization("wg-pr", List.of(), (who, action) -> {
                    throw new AssertionError("root is not asked about");
                }),
                null, // no events either
                who -> {
                    throw new AssertionError("no status in this test");
                },
                Optional.empty(),
                new ResolvedNames(),
                this::hookRan,
                new PrintStream(OutputStream.nullOutputStream()));
    }

    private void hookRan() {
        try {
            hookSaw.add(caller.receiveNow(1 << 16)
                    .map(message -> message.line().contains("\"error\"") ? "error" : "reply")
                    .orElse("nothing"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private Reply ask(Request request, Class<? extends Reply> answer) throws IOException {
        UnixSocket[] pair = UnixSocket.pair("test control connection");
        caller = pair[0];
        daemonEnd = pair[1];
        int before = hookSaw.size();
        dispatch().serve(daemonEnd, ROOT, new Message(ControlJson.write(request), List.of()));
        try {
            // The hook took the reply off the connection when it ran; read it here when it did not.
            return hookSaw.size() > before
                    ? null
                    : ControlJson.readReply(caller.receive().line(), answer);
        } finally {
            caller.close();
            daemonEnd.close();
        }
    }

    private Path config() throws IOException {
        Path file = dir.resolve("corp0.toml");
        Files.writeString(file, """
                interface = { name = "corp0", privateKey = "wI7M4flROZFaV3d9lSkM6fkGQm3mcQm8nB0Ivxb9ylc=", \
                address = ["10.8.0.2/32"] }
                peer = [{ name = "gw", publicKey = "sfnQo04r2H4azGR0gkEpHTtGGYrzqtORSt41p9FMsHQ=", \
                endpoint = "192.0.2.1:51820", allowedIPs = ["10.20.0.0/16"] }]
                """);
        return file;
    }

    @Test
    void upReloadAndDownRunTheHookOnceEachAfterTheirReply() throws Exception {
        String config = config().toString();

        ask(new Request.Up(config, null, null, false), Reply.Upped.class);
        ask(new Request.Reload(config, null, null, false), Reply.Reloaded.class);
        ask(new Request.Down("corp0"), Reply.Downed.class);

        assertEquals(List.of("reply", "reply", "reply"), hookSaw);
    }

    @Test
    void aFailedUpRunsTheHookToo() throws Exception {
        ask(new Request.Up(dir.resolve("missing.toml").toString(), null, null, false), Reply.Upped.class);

        assertEquals(List.of("error"), hookSaw, "a failed up loaded classes as well");
    }

    @Test
    void aPingRunsNoHook() throws Exception {
        Reply reply = ask(new Request.Ping(), Reply.Pong.class);

        assertInstanceOf(Reply.Pong.class, reply);
        assertEquals(List.of(), hookSaw);
    }
}
