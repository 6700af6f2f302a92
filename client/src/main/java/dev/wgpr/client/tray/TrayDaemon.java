package dev.wgpr.client.tray;

import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.client.control.DeniedAttempt;
import dev.wgpr.client.control.TunnelStatus;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * What the tray asks of the daemon, over its control socket, as the CLI does (the CLI implements it with its
 * own client; the tests with a fake). Every answer and every refusal is the daemon's: the tray decides
 * nothing itself. Also the status words of {@code wg-pr status}, so that the tray says things as it does.
 */
public interface TrayDaemon {
    /** A refusal or failure, in the daemon's words (or why it cannot be reached). */
    final class Failure extends Exception {
        private static final long serialVersionUID = 1L;

        public Failure(String message) {
            super(message);
        }
    }

    /** The status; {@link DaemonStatus#noDaemon} when no daemon runs. */
    DaemonStatus status() throws Failure;

    /**
     * The deny events of this user's processes the daemon keeps ({@code recent}), then each new one as it
     * happens ({@code follow}), until the daemon goes away (returns) or the connection fails.
     */
    void denials(Consumer<List<DeniedAttempt>> recent, Consumer<DeniedAttempt> follow) throws Failure, IOException;

    /** Brings up the tunnel of {@code config}; its name. */
    String up(Path config) throws Failure;

    void down(String tunnel) throws Failure;

    /** Starts {@code argv} as {@code app} of {@code tunnel}, detached from the tray; its pid. */
    long launch(String app, String tunnel, List<String> argv) throws Failure;

    /** How long ago the peer's latest handshake was, as {@code wg-pr status} says it. */
    String handshake(TunnelStatus.Peer peer);

    /** The peer's transfer, as {@code wg-pr status} says it; empty without a device. */
    String transfer(TunnelStatus.Peer peer);

    /** The whole status as {@code wg-pr status} prints it. */
    String statusText(DaemonStatus status);
}
