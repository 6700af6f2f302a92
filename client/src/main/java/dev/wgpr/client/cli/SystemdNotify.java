package dev.wgpr.client.cli;

import dev.wgpr.common.Pace;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * The daemon's side of systemd's readiness protocol ({@code sd_notify(3)}, {@code Type=notify}): state
 * lines sent as one datagram each to the socket named by {@code NOTIFY_SOCKET}. Without the variable
 * (not started by systemd) it does nothing. A failed send is reported and otherwise ignored: readiness
 * is advice to the service manager, never a reason for the daemon to fail.
 */
final class SystemdNotify {
    static final String VARIABLE = "NOTIFY_SOCKET";

    /** systemd's default {@code TimeoutStartSec=}, which a start on an ordinary machine stays well within. */
    static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    /**
     * The shipped wg-pr.service's {@code TimeoutStopSec=}, which an orderly stop stays well within (systemd
     * does not tell its service; SystemdNotifyTest keeps the two equal).
     */
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

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

    /**
     * {@code EXTEND_TIMEOUT_USEC}: the start may take systemd's default start timeout scaled by this
     * machine's {@link Pace}. On an emulated CPU the daemon's start (two JVM images, the BPF programs)
     * takes longer than 90 s, and systemd would kill a daemon that is slow, not stuck; on an ordinary
     * machine this asks for nothing beyond what the unit allows (systemd never shortens a timeout so).
     */
    void startTakesPacedTime() {
        send(pacedTimeout(START_TIMEOUT));
    }

    /** {@code READY=1} with the main pid and a status line: the control socket accepts. */
    void ready(String status) {
        send("READY=1\nMAINPID=" + ProcessHandle.current().pid() + "\nSTATUS=" + status + "\n");
    }

    /**
     * {@code STOPPING=1}: the orderly stop has begun; it may take the unit's stop timeout scaled by this
     * machine's {@link Pace} (every tunnel down, the class-data archive written: on an emulated CPU more
     * than 30 s, and systemd would kill the daemon halfway).
     */
    void stopping(String status) {
        send("STOPPING=1\n" + pacedTimeout(STOP_TIMEOUT) + "STATUS=" + status + "\n");
    }

    private static String pacedTimeout(Duration base) {
        return "EXTEND_TIMEOUT_USEC=" + Pace.scaled(base).toNanos() / 1000 + "\n";
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
