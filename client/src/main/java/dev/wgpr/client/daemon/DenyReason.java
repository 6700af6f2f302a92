package dev.wgpr.client.daemon;

import dev.wgpr.enforcement.Counter;
import java.util.Locale;

/**
 * Why the kernel denied an attempt: in words for people ({@code wg-pr events}), and as a stable code for programs
 * ({@code reasonCode} in {@code events --json}, listed in docs/status-json.md), which may match on it while the
 * words improve.
 */
record DenyReason(String code, String words) {
    static DenyReason of(Counter reason) {
        if (reason == null) {
            return new DenyReason("unknown", "unknown");
        }
        return switch (reason) {
            case DENY_NO_APP ->
                new DenyReason("not-an-app", "not an app: internal destinations are for the apps a peer names");
            case DENY_NO_GRANT ->
                new DenyReason("no-grant", "no grant of this app covers the destination, protocol and port");
            case DENY_FOREIGN_EXEC ->
                new DenyReason(
                        "foreign-exec",
                        "in the app's cgroup but not running its program: the app's grants are bound to its"
                                + " executables (children = \"same-exec\"; allowExec lists helpers)");
            case DENY_NO_POLICY -> new DenyReason("no-policy", "no policy published (fail closed)");
            case DENY_LISTENING ->
                new DenyReason("listening", "incoming connection from the tunnel: listening is closed to the tunnel");
            case DENY_MALFORMED -> new DenyReason("malformed", "a packet whose headers cannot be read (fail closed)");
            case DENY_APP_MARKED ->
                new DenyReason(
                        "app-socket-marked",
                        "the app's socket carried the mark of traffic that goes around the tunnel (it was"
                                + " handed to a process that is no app): cleared, this one datagram refused");
            case DENY_APP_SOCKET ->
                new DenyReason(
                        "app-socket",
                        "an app's socket, handed to a process that is no app or an excluded app, may not go"
                                + " around the tunnel (it would take the app's own traffic out in clear)");
            case DENY_FORWARDED ->
                new DenyReason("forwarded", "forwarded traffic (no local socket) may not enter the tunnel");
            default -> {
                String name = reason.name().toLowerCase(Locale.ROOT);
                yield new DenyReason(name.replace('_', '-'), name.replace('_', ' '));
            }
        };
    }
}
