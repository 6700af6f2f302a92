package dev.wgpr.client.daemon;

import java.util.Map;
import java.util.OptionalInt;

/**
 * The control socket as systemd's socket activation hands it over (wg-pr.socket; {@code sd_listen_fds(3)}):
 * one listening socket at descriptor 3, for this very process ({@code LISTEN_PID}, which an exec keeps). A
 * daemon started that way serves the socket systemd holds, so a connection that comes while no daemon runs
 * waits for the one it starts, and it leaves the socket file in place when it stops.
 */
public final class SystemdSocket {
    /** {@code SD_LISTEN_FDS_START}. */
    static final int FIRST_DESCRIPTOR = 3;

    private SystemdSocket() {}

    /** The descriptor systemd passed to this process, if it passed exactly one. */
    public static OptionalInt passed(Map<String, String> environment) {
        String pid = environment.get("LISTEN_PID");
        String count = environment.get("LISTEN_FDS");
        if (pid == null || count == null) {
            return OptionalInt.empty();
        }
        try {
            if (Long.parseLong(pid.strip()) == ProcessHandle.current().pid() && Integer.parseInt(count.strip()) == 1) {
                return OptionalInt.of(FIRST_DESCRIPTOR);
            }
        } catch (NumberFormatException e) {
            // not systemd's
        }
        return OptionalInt.empty();
    }
}
