package dev.wgpr.client.cli;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The daemon's side of systemd's readiness protocol ({@code sd_notify(3)}, {@code Type=notify}): state
 * lines sent as one datagram each to the socket named by {@code NOTIFY_SOCKET}. Without the variable
 * (not started by systemd) it does nothing. A failed send is reported and otherwise ignored: readiness
 * is advice to the service manager, never a reason for the daemon to fail.
 */
final class SystemdNotify {
    static final String VARIABLE = "NOTIFY_SOCKET";

    private final String socket;
    private final PrintWriter err;

    private SystemdNotify(String socket, PrintWriter err) {
        this.socket = socket;
        this.err = err;
    }

    /** The notifier for {@code environment}'s {@code NOTIFY_SOCKET}, silent when it is unset or empty. */
    static SystemdNotify from(Map<String, String> environment, PrintWriter err) {
        return new SystemdNotify(environment.getOrDefault(VARIABLE, ""), err);
    }

    /** {@code READY=1} with the main pid and a status line: the control socket accepts. */
    void ready(String status) {
        send("READY=1\nMAINPID=" + ProcessHandle.current().pid() + "\nSTATUS=" + status + "\n");
    }

    /** {@code STOPPING=1}: the orderly stop has begun. */
    void stopping(String status) {
        send("STOPPING=1\nSTATUS=" + status + "\n");
    }

    private void send(String state) {
        if (socket.isEmpty()) {
            return;
        }
        try {
            Libc.sendUnixDatagram(socket, state.getBytes(StandardCharsets.UTF_8));
        } catch (ErrnoException | IllegalArgumentException e) {
            err.println("wg-pr daemon: telling systemd (" + VARIABLE + "=" + socket + "): " + e.getMessage());
            err.flush();
        }
    }
}
