package dev.wgpr.client.daemon;

import dev.wgpr.client.control.ControlJson;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.control.RequestReader;
import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.common.linux.Libc;
import java.io.IOException;
import java.util.Set;

/**
 * Hands the signals a {@code run} caller sends on its connection to its app. When the caller goes away while
 * the app runs, the app gets {@code SIGHUP}, as when a terminal hangs up.
 */
final class SignalForwarder {
    /** Signals a caller may forward: HUP, INT, QUIT, USR1, USR2, TERM, WINCH. */
    private static final Set<Integer> FORWARDED = Set.of(1, 2, 3, 10, 12, 15, 28);

    private SignalForwarder() {}

    /** Reads {@link Request.Signal} messages until the connection ends. */
    static void forward(UnixSocket connection, LaunchedProcess process) {
        while (true) {
            try {
                if (ControlJson.readRequest(connection
                                        .receive(RequestReader.MAX_REQUEST)
                                        .line())
                                instanceof Request.Signal(int signal)
                        && FORWARDED.contains(signal)) {
                    process.signal(signal);
                }
            } catch (IOException | IllegalArgumentException e) {
                process.signal(Libc.SIGHUP);
                return;
            }
        }
    }
}
