package dev.wgpr.client.cli;

import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.client.control.Json;
import dev.wgpr.client.control.Protocol;
import dev.wgpr.client.control.Reply;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.daemon.Instance;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.TimeZone;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
        name = "status",
        mixinStandardHelpOptions = true,
        description = {
            "Show the tunnels that are up: interface, peers (endpoint, latest handshake, transfer,"
                    + " allowed IPs), routes and bypass decisions, apps and their cgroups, enforcement"
                    + " state, and the apps started with `wg-pr run` that still run.",
            "Any user may ask; nothing secret is shown.",
        },
        footer = {"", "Exit status: 0, also when no daemon runs (then nothing is up); 1 on errors."})
final class StatusCommand implements Callable<Integer> {
    @Option(
            names = "--json",
            description =
                    "Print the daemon's answer as one JSON object (docs/status-json.md, docs/status.schema.json).")
    boolean json;

    @Option(
            names = {"-v", "--verbose"},
            description = "Also show every counter, explained, and the enforcement's programs and pins.")
    boolean verbose;

    @ParentCommand
    WgPrCommand root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return show(
                root.instance(),
                json,
                verbose,
                spec.commandLine().getOut(),
                spec.commandLine().getErr());
    }

    /** The whole command, for picocli's {@link #call} and for {@link FastPath}. */
    static int show(Instance instance, boolean json, boolean verbose, PrintWriter out, PrintWriter err) {
        if (!json) {
            try {
                Optional<Reply.StatusText> text = DaemonClient.call(
                        instance,
                        new Request.StatusText(verbose, TimeZone.getDefault().getID()),
                        Reply.StatusText.class);
                if (text.isPresent()) {
                    out.print(text.get().text());
                    out.flush(); // as below
                    return unguardedTunnels(text.get().backstopMissing(), err);
                }
            } catch (DaemonClient.RefusedException e) {
                if (!e.error().error().equals(Protocol.BAD_REQUEST)) {
                    return e.report("status", err);
                }
                // A daemon that renders no text (one of an older wg-pr still running): it sends the tree.
            } catch (DaemonClient.DaemonException e) {
                return e.report("status", err);
            }
        }
        Optional<DaemonStatus> reply;
        try {
            // The text's clock too is made while the daemon answers: finding this host's zone's rules is a
            // service look-up of the class path.
            reply = DaemonClient.call(
                    instance,
                    new Request.Status(),
                    DaemonStatus.class,
                    json ? () -> {} : () -> StatusText.prepare(Clock.systemDefaultZone()));
        } catch (DaemonClient.DaemonException e) {
            return e.report("status", err);
        }
        DaemonStatus status = reply.orElseGet(() -> DaemonStatus.noDaemon(instance.name()));
        if (json) {
            out.println(Json.write(status));
        } else {
            out.print(text(status, verbose, Clock.systemDefaultZone()));
            out.flush(); // picocli's writer flushes by itself only at println, and the text ends in its own newline
        }
        return unguardedTunnels(status.tunnelsWithBackstop(Protocol.BACKSTOP_MISSING), err);
    }

    /**
     * The status as this command prints it: here, and in the daemon for a {@code status-text} request ({@link
     * dev.wgpr.client.daemon.StatusRendering}).
     */
    static String text(DaemonStatus status, boolean verbose, Clock clock) {
        return new StatusText(clock, verbose, StatusCommand::borrowing).render(status);
    }

    /**
     * Fails loudly when a tunnel's device lacks its backstop ({@code missing} names them): its internal
     * prefixes would then be guarded by the sock_addr hooks alone (no ICMP, no SO_BINDTODEVICE, no forwarded
     * traffic).
     */
    private static int unguardedTunnels(List<String> missing, PrintWriter err) {
        if (missing.isEmpty()) {
            return 0;
        }
        err.println("wg-pr status: the backstop is MISSING on " + String.join(", ", missing)
                + ": what enters or arrives through the tunnel is not fully judged; bring it down and up again");
        return WgPrCommand.EXIT_FAILURE;
    }

    /** The protection against borrowing for a daemon's apps: its borrow guard, else this host's Yama. */
    static String borrowing(boolean guard) {
        try {
            return BorrowProtection.onThisHost(guard).line();
        } catch (IOException | RuntimeException e) {
            return (guard ? "borrow guard attached" : "no borrow guard") + "; Yama unreadable: " + e.getMessage();
        }
    }
}
