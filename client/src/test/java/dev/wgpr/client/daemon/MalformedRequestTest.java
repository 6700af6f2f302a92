package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.control.ControlJson;
import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.client.control.Protocol;
import dev.wgpr.client.control.Reply;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A request the daemon cannot read is answered with a reason, and the daemon goes on serving. */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class MalformedRequestTest {
    private static final Instance instance = DaemonTesting.uniqueInstance();
    private static Daemon daemon;

    @BeforeAll
    static void startDaemon(NetnsLab lab) throws Exception {
        daemon = lab.namespace("malformed").call(() -> Daemon.start(instance, Daemon.Options.defaults()));
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.stop();
        }
        DaemonTesting.cleanUp(instance);
    }

    @Test
    void aMalformedRequestGetsBadRequestWithItsReasonAndTheDaemonKeepsServing() throws Exception {
        List<String> malformed = List.of(
                "this is not JSON",
                "{\"v\":1,\"op\":\"up\",\"config\":\"relative.toml\"}",
                "{\"v\":1,\"op\":\"run\",\"app\":\"ssh\"}",
                "{\"v\":1,\"op\":\"down\",\"tunnel\":{\"nested\":[1,2]}}",
                "{\"v\":1,\"op\":\"format-disk\"}",
                "{\"v\":7,\"op\":\"ping\"}");
        for (String line : malformed) {
            Reply reply = ask(line, Reply.Pong.class);

            Reply.Error error = assertInstanceOf(Reply.Error.class, reply, line);
            assertEquals(Protocol.BAD_REQUEST, error.error(), line);
            assertFalse(error.message().isBlank(), line);
            assertFalse(
                    error.message().contains("\n") || error.message().contains("\tat "),
                    "a reason, not a stack trace: " + error.message());
        }

        assertEquals(
                new Reply.Pong(ProcessHandle.current().pid(), instance.name()),
                ask(ControlJson.write(new Request.Ping()), Reply.Pong.class));
        DaemonStatus status = (DaemonStatus) ask(ControlJson.write(new Request.Status()), DaemonStatus.class);
        assertEquals(DaemonStatus.SCHEMA, status.schemaVersion());
        assertTrue(status.daemon().threadFailures().isEmpty(), status.daemon()::toString);
    }

    private static Reply ask(String line, Class<? extends Reply> answer) throws Exception {
        try (UnixSocket socket = UnixSocket.connect(instance.controlSocket())) {
            socket.send(line);
            return ControlJson.readReply(socket.receive().line(), answer);
        }
    }
}
