package dev.wgpr.client.cli;

import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.client.control.Reply;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.daemon.Instance;
import dev.wgpr.client.trace.Attempt;
import dev.wgpr.client.trace.DestinationNames;
import dev.wgpr.client.trace.Judge;
import dev.wgpr.client.trace.TraceReport;
import dev.wgpr.client.trace.Tracer;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
        name = "trace",
        mixinStandardHelpOptions = true,
        description = {
            "Run CMD as you (as app A with --app) and show every connection it and its descendants attempt: connect, sendto,"
                    + " sendmsg, sendmmsg to an address, bind, listen, accept; with where each goes (a tunnel"
                    + " or the underlay), the DNS name it was resolved from (where a wg-pr DNS forwarder"
                    + " relayed the answer) and whether wg-pr allows it, and why. A process that is no app"
                    + " trying a tunnel's internal prefix is flagged as a LEAK, and so is a DNS query for a"
                    + " tunnel's internal name sent to a server that is not the tunnel's.",
            "Tracing does not change what CMD does: each call is announced through seccomp and continued"
                    + " unchanged, and wg-pr's kernel hooks decide it as they would untraced. The one"
                    + " exception: io_uring_setup fails with ENOSYS (programs fall back to plain calls), since"
                    + " io_uring submissions would pass unseen.",
            "Live lines go to stderr as calls happen; the summary table (or, with --json, one line of"
                    + " JSON) to stderr when every traced process has ended. CMD's stdout is left alone.",
        },
        footer = {
            "",
            "Example:",
            "  wg-pr trace -- curl -sS https://git.corp/",
            "",
            "Exit status: CMD's (128+N when killed by signal N); 125 when it could not be traced.",
        })
final class TraceCommand implements Callable<Integer> {
    static final int EXIT_NOT_TRACED = 125;
    private static final int SIGKILL = 9;

    @Option(
            names = "--app",
            paramLabel = "A",
            description = "Run CMD as app A, as `wg-pr run --app A` does (same checks, same launcher), traced."
                    + " Under the borrow guard only root may trace an app: taking its listener is a"
                    + " ptrace-mode access the guard refuses to anyone else outside the app's cgroup.")
    Optional<String> app;

    @Option(
            names = "--tunnel",
            paramLabel = "NAME",
            description = "Judge against this tunnel only (default: every tunnel that is up); with --app, also"
                    + " the tunnel whose app A is meant, as for `wg-pr run`.")
    Optional<String> tunnel;

    @Option(names = "--json", description = "The summary as one line of JSON instead of the table.")
    boolean json;

    @Option(
            names = "--block",
            description = "Fail with EPERM, at once, the calls wg-pr would deny (for programs that misbehave"
                    + " when the kernel's hooks deny them later). This does change what CMD sees.")
    boolean block;

    @Parameters(paramLabel = "CMD", arity = "1..*", description = "The command and its arguments, after --.")
    List<String> command;

    @ParentCommand
    WgPrCommand root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        Instance instance = root.instance();
        DaemonStatus status;
        try {
            status = DaemonClient.call(instance, new Request.Status(), DaemonStatus.class)
                    .orElseGet(() -> DaemonStatus.noDaemon(instance.name()));
        } catch (DaemonClient.DaemonException e) {
            err.println("wg-pr trace: " + e.getMessage());
            return EXIT_NOT_TRACED;
        }
        Tracer tracer = new Tracer(
                Judge.of(status, tunnel, () -> laterStatus(instance)), destinationNames(instance), block, attempt -> {
                    err.println(TraceReport.line(attempt));
                    err.flush();
                });
        if (app.isPresent()) {
            return traceApp(err, instance, tracer);
        }
        try {
            Process process = Tracer.start(command);
            List<Attempt> attempts = tracer.trace(Math.toIntExact(process.pid()));
            return summary(err, attempts, tracer.unreadableQueries(), process.waitFor());
        } catch (IOException e) {
            err.println("wg-pr trace: " + e.getMessage());
            return EXIT_NOT_TRACED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return EXIT_NOT_TRACED;
        }
    }

    /**
     * The app through {@code wg-pr run}'s own path; the daemon's launcher installs the filter in it
     * (Request.Run#trace), and this process traces it from the moment the daemon says it started.
     */
    private int traceApp(PrintWriter err, Instance instance, Tracer tracer) {
        Request.Run request = new Request.Run(
                app.get(), tunnel.orElse(null), command, System.getProperty("user.dir"), System.getenv(), null, true);
        AtomicReference<List<Attempt>> attempts = new AtomicReference<>(List.of());
        AtomicReference<Thread> tracing = new AtomicReference<>();
        int exit = RunCommand.run(
                err,
                "wg-pr trace: ",
                instance,
                request,
                pid -> tracing.set(Thread.ofPlatform().name("trace").start(() -> {
                    try {
                        attempts.set(tracer.trace(Math.toIntExact(pid)));
                    } catch (IOException e) {
                        err.println("wg-pr trace: " + e.getMessage() + "; ending the app, which would run untraced");
                        err.flush();
                        try {
                            Libc.kill(Math.toIntExact(pid), SIGKILL);
                        } catch (ErrnoException gone) {
                            // it ended by itself
                        }
                    }
                })));
        if (tracing.get() == null) {
            return exit; // never started: run said why
        }
        try {
            tracing.get().join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return EXIT_NOT_TRACED;
        }
        return summary(err, attempts.get(), tracer.unreadableQueries(), exit);
    }

    private int summary(PrintWriter err, List<Attempt> attempts, int unreadableQueries, int exit) {
        err.print(
                json
                        ? TraceReport.json(attempts, unreadableQueries, exit) + "\n"
                        : TraceReport.table(attempts, unreadableQueries, exit));
        err.flush();
        return exit;
    }

    /**
     * The names the daemon's DNS forwarders resolved destinations from; none when no daemon runs or it
     * refuses the request (a daemon older than it).
     */
    private static DestinationNames destinationNames(Instance instance) {
        return new DestinationNames(addresses -> {
            try {
                return DaemonClient.call(instance, new Request.Names(addresses), Reply.Names.class)
                        .map(Reply.Names::names);
            } catch (DaemonClient.DaemonException e) {
                return Optional.empty();
            }
        });
    }

    /** The daemon's status now, for the programs of apps it launched after the trace began; empty if none. */
    private static Optional<DaemonStatus> laterStatus(Instance instance) {
        try {
            return DaemonClient.call(instance, new Request.Status(), DaemonStatus.class);
        } catch (DaemonClient.DaemonException e) {
            return Optional.empty();
        }
    }
}
