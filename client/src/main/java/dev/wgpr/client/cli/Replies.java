package dev.wgpr.client.cli;

import dev.wgpr.client.control.Protocol;
import java.io.PrintWriter;
import java.util.Map;

/** How the CLI reports a daemon's error reply. */
final class Replies {
    private Replies() {}

    /** Prints the daemon's message and returns the exit status that fits its kind. */
    static int reportError(String command, Map<String, Object> reply, PrintWriter err) {
        Object kind = reply.get("error");
        err.println("wg-pr " + command + ": " + reply.get("message"));
        if (Protocol.BAD_CONFIG.equals(kind) || Protocol.BAD_REQUEST.equals(kind)) {
            return WgPrCommand.EXIT_BAD_INPUT;
        }
        if (Protocol.PERMISSION.equals(kind)) {
            return WgPrCommand.EXIT_NOT_PERMITTED;
        }
        return WgPrCommand.EXIT_FAILURE;
    }
}
