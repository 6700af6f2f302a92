package dev.wgpr.client.cli;

import dev.wgpr.client.control.ControlJson;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.client.lockdown.ExecBindings;
import dev.wgpr.common.linux.ErrnoException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

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
 * commands in-process (tests) must not be replaced. The training of the ahead-of-time cache rehearses the
 * hand-over with a perl that is not there ({@link #handOverTo}), so that the cache holds all of it
 * up to the exec, and the way on without a waiter.
 */
final class Waiter {
    private static final String PERL = "/usr/bin/perl";

    private static final String SCRIPT = "waiter.pl";

    /**
     * How long the hand-over waits for this JVM's signal handlers to have come: they take milliseconds;
     * past this, it goes on without them.
     */
    private static final long HANDLER_PATIENCE_SECONDS = 10;

    private static final int WINCH = 28;

    /**
     * The forwarded signals ({@link SignalForwarding#FORWARDED}) and SIGWINCH: what the waiter handles, blocked
     * in the exec's thread until it has its handlers (it is told their numbers).
     */
    private static final int[] HANDLED = IntStream.concat(
                    Arrays.stream(SignalForwarding.FORWARDED_NUMBERS), IntStream.of(WINCH))
            .toArray();

    /** The perl a hand-over execs, or null while none may happen. */
    private static volatile String perl;

    /** Held while a signal's line is written, and from the waiter's last argument to the exec. */
    private static final ReentrantLock SENDING = new ReentrantLock();

    /** Set, under {@link #SENDING}, from the start of a hand-over until its exec failed. */
    private static boolean handingOver;

    /** The signals caught while {@link #handingOver}, by number, for the waiter to send first. */
    private static final List<Integer> deferred = new ArrayList<>();

    private Waiter() {}

    /** This process is the CLI's own, which a waiter may replace. */
    static void allowHandOver() {
        perl = PERL;
    }

    /**
     * Hand-overs exec {@code perl} (one that is not there rehearses them: the exec fails, and this JVM
     * waits itself), or none happens when null.
     */
    static void handOverTo(String perl) {
        Waiter.perl = perl;
    }

    static boolean handOverAllowed() {
        return perl != null;
    }

    /**
     * Forwards {@code signal}, caught by this JVM's handler, with {@code send}; while a hand-over is under
     * way, leaves it to the waiter, which sends it first. Raising it again for the waiter to catch would
     * lose it: this JVM's other threads take it back at once, and one that holds it as the exec comes
     * ends with it.
     */
    static void forward(int signal, SignalSend send) throws ErrnoException {
        SENDING.lock();
        try {
            if (handingOver) {
                deferred.add(signal);
            } else {
                send.send();
            }
        } finally {
            SENDING.unlock();
        }
    }

    /** Writes a signal's line to the daemon. */
    @FunctionalInterface
    interface SignalSend {
        void send() throws ErrnoException;
    }

    /**
     * Replaces this process by the waiter running {@code script}, which reads on at {@code connection} where this process stopped;
     * returns only when it could not, with the reason (this process then waits itself).
     */
    static Exception handOver(UnixSocket connection, Optional<TerminalRelay> terminal, Script script) {
        // From here a caught signal waits for the waiter: its handler may run too late for this JVM to
        // send its line before the exec. The longer part of the hand-over comes after this.
        SENDING.lock();
        try {
            handingOver = true;
        } finally {
            SENDING.unlock();
        }
        Exception notHandedOver;
        try {
            notHandedOver = exec(connection, terminal, script);
        } catch (IOException | IllegalStateException e) { // ErrnoException is an IOException
            notHandedOver = e;
        }
        SENDING.lock();
        try {
            handingOver = false;
            for (int signal : deferred) {
                connection.send(ControlJson.write(new Request.Signal(signal)));
            }
            deferred.clear();
        } catch (ErrnoException | IllegalStateException e) {
            // the app has ended and the connection with it
        } finally {
            SENDING.unlock();
        }
        return notHandedOver;
    }

    /**
     * The waiter's perl script, a resource of this jar, or why it cannot be had. {@code run} reads it while
     * the daemon starts the app: the first resource read opens the jar and reads its directory, which
     * loading the classes from the ahead-of-time cache never did (some 10 ms, far more on a busy machine).
     */
    static final class Script {
        private final Optional<String> text;
        private final IOException unreadable;

        private Script(Optional<String> text, IOException unreadable) {
            this.text = text;
            this.unreadable = unreadable;
        }

        static Script read() {
            try (InputStream in = Waiter.class.getResourceAsStream(SCRIPT)) {
                if (in == null) {
                    return new Script(Optional.empty(), new IOException("resource " + SCRIPT + " is missing"));
                }
                return new Script(Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8)), null);
            } catch (IOException e) {
                return new Script(Optional.empty(), e);
            }
        }

        String text() throws IOException {
            return text.orElseThrow(() -> unreadable);
        }
    }

    /** Execs the waiter; returns only when it could not run. */
    private static Exception exec(UnixSocket connection, Optional<TerminalRelay> terminal, Script script)
            throws IOException {
        HexFormat hex = HexFormat.of();
        List<String> argv = new ArrayList<>(List.of(
                perl,
                "-w", // what the script's warnings pragma would do, without loading its module
                "-e",
                script.text(),
                "--",
                Integer.toString(connection.fd()),
                Integer.toString(terminal.map(TerminalRelay::master).orElse(-1)),
                terminal.map(relay -> hex.formatHex(relay.savedSettings())).orElse(""),
                hex.formatHex(connection.unread()),
                Arrays.stream(HANDLED).mapToObj(Integer::toString).collect(Collectors.joining(","))));
        List<String> signalLines = new ArrayList<>();
        SignalForwarding.FORWARDED.forEach(
                (number, name) -> signalLines.add(name + "=" + ControlJson.write(new Request.Signal(number))));
        ExecBindings.keepAcrossExec(connection.fd());
        if (terminal.isPresent()) {
            ExecBindings.keepAcrossExec(terminal.get().master());
        }
        // From here the signals wait for the waiter's handlers (it unblocks them once it has them):
        // between exec and those, their default action would end the waiter and leave the app
        // unattended. Those blocked from the start are already, and stay so if the exec fails (this JVM
        // has no handler for them); otherwise this JVM's handlers still take them on its other threads
        // until the exec, and defer them.
        int[] blockedForExec = SignalForwarding.blockedFromTheStart() ? new int[] {WINCH} : HANDLED;
        ExecBindings.blockInThisThread(blockedForExec);
        try {
            SignalForwarding.holdForExec(HANDLER_PATIENCE_SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ErrnoException notRun;
        SENDING.lock();
        try {
            // Held through the exec: a handler that comes now waits, and ends with this JVM. (With the
            // signals blocked from the start none comes: each waits for the waiter.)
            argv.add(String.join(
                    ",", deferred.stream().map(SignalForwarding.FORWARDED::get).toList()));
            argv.addAll(signalLines);
            // PERL_BADLANG=0: no warning about a locale perl-base cannot load.
            notRun = ExecBindings.execve(argv, Map.of("PERL_BADLANG", "0"));
            ExecBindings.unblockInThisThread(blockedForExec);
        } finally {
            SENDING.unlock();
        }
        try {
            SignalForwarding.resume();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return notRun;
    }
}
