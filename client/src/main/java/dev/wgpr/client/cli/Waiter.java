package dev.wgpr.client.cli;

import dev.wgpr.client.control.ControlJson;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.client.lockdown.ExecBindings;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The process {@code wg-pr run} leaves beside the app for its whole life, small: once the daemon has
 * started the app, this JVM (about 70 MiB) execs perl with {@code waiter.pl} (a few MiB), which keeps the
 * control connection, forwards SIGINT, SIGTERM and SIGHUP as this JVM's handlers did, relays the
 * terminal and its window size (a {@link TerminalRelay} made raw here), and exits with the status the
 * daemon reports. Perl because perl-base is Essential on Debian and the launcher's last step is perl
 * already; the script gets the protocol's signal lines from here, so that it only has to recognise the
 * exit event.
 *
 * <p>Only the CLI's own process hands over ({@link #allowHandOver}, from {@code main}): a JVM that runs
 * commands in-process (tests, the training of the ahead-of-time cache) must not be replaced.
 */
final class Waiter {
    private static final String PERL = "/usr/bin/perl";

    private static final String SCRIPT = "waiter.pl";

    /** The signals the JVM forwards ({@link SignalForwarding#install}), by their numbers on Linux. */
    private static final Map<String, Integer> FORWARDED = Map.of("HUP", 1, "INT", 2, "TERM", 15);

    /** Those and SIGWINCH: what the waiter handles. */
    private static final int[] HANDLED = {1, 2, 15, 28};

    private static volatile boolean allowed;

    /** Held while a signal's line is written, so that the exec never cuts one in half. */
    private static final ReentrantLock SENDING = new ReentrantLock();

    /** Set, under {@link #SENDING}, from the moment the exec may happen until it failed. */
    private static boolean handingOver;

    private Waiter() {}

    /** This process is the CLI's own, which a waiter may replace. */
    static void allowHandOver() {
        allowed = true;
    }

    static boolean handOverAllowed() {
        return allowed;
    }

    /**
     * Forwards {@code signal}, caught by this JVM's handler, with {@code send}; while a hand-over is under
     * way, raises it again instead: the exec may come before {@code send} would, and the waiter has the
     * signals blocked from the exec until its handlers are in place, so the raised one waits for them.
     * Until the exec it comes back here, on another of this JVM's threads, and is raised again.
     */
    static void forward(int signal, SignalSend send) throws ErrnoException {
        SENDING.lock();
        try {
            if (!handingOver) {
                send.send();
                return;
            }
        } finally {
            SENDING.unlock();
        }
        Libc.kill((int) ProcessHandle.current().pid(), signal);
    }

    /** Writes a signal's line to the daemon. */
    @FunctionalInterface
    interface SignalSend {
        void send() throws ErrnoException;
    }

    /**
     * Replaces this process by the waiter, which reads on at {@code connection} where this process stopped;
     * returns only when it could not, with the reason (this process then waits itself).
     */
    static Exception handOver(UnixSocket connection, Optional<TerminalRelay> terminal) {
        try {
            String script;
            try (InputStream in = Waiter.class.getResourceAsStream(SCRIPT)) {
                if (in == null) {
                    return new IOException("resource " + SCRIPT + " is missing");
                }
                script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            HexFormat hex = HexFormat.of();
            List<String> argv = new ArrayList<>(List.of(
                    PERL,
                    "-e",
                    script,
                    "--",
                    Integer.toString(connection.fd()),
                    Integer.toString(terminal.map(TerminalRelay::master).orElse(-1)),
                    terminal.map(relay -> hex.formatHex(relay.savedSettings())).orElse(""),
                    hex.formatHex(connection.takeBuffered())));
            FORWARDED.forEach((name, number) -> argv.add(name + "=" + ControlJson.write(new Request.Signal(number))));
            ExecBindings.keepAcrossExec(connection.fd());
            if (terminal.isPresent()) {
                ExecBindings.keepAcrossExec(terminal.get().master());
            }
            // From here the signals wait for the waiter's handlers (it unblocks them once it has them):
            // between exec and those, their default action would end the waiter and leave the app
            // unattended. Until the exec, this JVM's handlers still take them on its other threads.
            ExecBindings.blockInThisThread(HANDLED);
            setHandingOver(true);
            // PERL_BADLANG=0: no warning about a locale perl-base cannot load (as the launcher's).
            ErrnoException notRun = ExecBindings.execve(argv, Map.of("PERL_BADLANG", "0"));
            setHandingOver(false);
            ExecBindings.unblockInThisThread(HANDLED);
            return notRun;
        } catch (IOException | IllegalStateException e) { // ErrnoException is an IOException
            return e;
        }
    }

    private static void setHandingOver(boolean value) {
        SENDING.lock();
        try {
            handingOver = value;
        } finally {
            SENDING.unlock();
        }
    }
}
