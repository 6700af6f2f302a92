package dev.wgpr.client.cli;

import dev.wgpr.client.control.ControlJson;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Exec;
import dev.wgpr.common.linux.Libc;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Once the app of {@code wg-pr run} has started, this JVM execs a small perl program (run-waiter.pl) that
 * waits in its place for the app's whole life: forwards the signals, relays the app's terminal and exits
 * with its status. A JVM cannot shrink below some 35 MB however it is started; the waiter is a few MB.
 * perl-base is Essential on Debian (the launch step uses it too); without it this JVM keeps waiting.
 *
 * <p>The signals this JVM forwards must not be lost in the handover. They are blocked in the thread that
 * execs, and the forwarder sends none once the handover began: it re-raises each on that thread instead,
 * where it stays pending across the exec until the waiter, its handlers installed, unblocks them. A
 * forward already under way when the handover begins is finished first, so no half line reaches the
 * daemon.
 */
final class RunWaiter {
    static final Path PERL = Path.of("/usr/bin/perl");
    private static final String SCRIPT = "run-waiter.pl";
    private static final int[] FORWARDED = {Libc.SIGINT, Libc.SIGTERM, Libc.SIGHUP};
    private static final int SIGWINCH = 28;
    /** A number no signal has, replaced by the waiter's {@code %d}. */
    private static final int PLACEHOLDER = 987_654_321;

    private final AtomicInteger forwardsUnderWay = new AtomicInteger();
    private volatile int handoverThread;

    /**
     * The forwarder {@code wg-pr run} installs: {@code send} while this JVM waits, a re-raise for the waiter
     * once the handover began.
     */
    IntConsumer forwarder(IntConsumer send) {
        return signal -> {
            forwardsUnderWay.incrementAndGet();
            try {
                int thread = handoverThread;
                if (thread == 0) {
                    send.accept(signal);
                    return;
                }
                try {
                    Exec.signalThread(thread, signal);
                } catch (ErrnoException e) {
                    // the handover thread is gone: the exec succeeded, or this JVM is ending anyway
                }
            } finally {
                forwardsUnderWay.decrementAndGet();
            }
        };
    }

    /**
     * Replaces this process with the waiter for {@code connection}, and, when {@code master} is not -1, the
     * app's terminal. Returns only when that could not be done; this JVM then waits as before.
     */
    void become(UnixSocket connection, int master) {
        if (!Main.isWholeProcess() || !Files.isExecutable(PERL)) {
            return;
        }
        String script;
        try (InputStream in = RunWaiter.class.getResourceAsStream(SCRIPT)) {
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException | NullPointerException e) {
            return;
        }
        int[] blocked = {FORWARDED[0], FORWARDED[1], FORWARDED[2], SIGWINCH};
        Exec.blockSignals(blocked);
        handoverThread = Exec.currentThreadId();
        while (forwardsUnderWay.get() > 0) {
            Thread.onSpinWait();
        }
        try {
            Exec.closeOnExecFrom(3); // the JVM's own (its jars, its modules) are nothing to the waiter
            Exec.keepAcrossExec(connection.fd());
            if (master >= 0) {
                Exec.keepAcrossExec(master);
            }
            String signalLine = ControlJson.write(new Request.Signal(PLACEHOLDER))
                    .replace("%", "%%")
                    .replace(Integer.toString(PLACEHOLDER), "%d");
            ErrnoException failed = Exec.execve(
                    List.of(
                            PERL.toString(),
                            "-e",
                            script,
                            "--",
                            Integer.toString(connection.fd()),
                            Integer.toString(master),
                            signalLine,
                            connection.buffered()),
                    Map.of("PERL_BADLANG", "0"));
            System.err.println("wg-pr run: " + failed.getMessage() + "; this JVM waits instead");
        } catch (ErrnoException e) {
            System.err.println("wg-pr run: " + e.getMessage() + "; this JVM waits instead");
        }
        handoverThread = 0;
        Exec.unblockSignals(blocked);
    }
}
