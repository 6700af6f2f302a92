package dev.wgpr.client.cli;

import dev.wgpr.client.control.ControlJson;
import dev.wgpr.client.control.Reply;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.client.daemon.Instance;
import dev.wgpr.client.daemon.LaunchRefusedException;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.OwnedFd;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.LongConsumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = {
            "Start CMD as app A: as you (never as root unless you are root), in A's cgroup from its"
                    + " first instruction, so it may use the internal routes A's grants allow.",
            "CMD must be A's exec (and match its sha256) when the config sets them. It gets your"
                    + " environment but the variables that change how the loader or an interpreter behaves"
                    + " (LD_*, GCONV_PATH, BASH_ENV, PYTHON*, NODE_OPTIONS, ...: docs/run-environment.md),"
                    + " with PATH=/usr/local/bin:/usr/bin:/bin, your"
                    + " stdin, stdout and stderr, and the signals this command receives; its exit status"
                    + " becomes this command's. CMD is found in your PATH and opened with your rights.",
            "In a terminal, CMD gets a terminal of its own, relayed to yours as ssh does: its keys"
                    + " (Ctrl-C, Ctrl-Z), window size and job control work as for the bare command.",
            "Allowed for root and members of group wg-pr (see `wg-pr daemon --launch-group`).",
        },
        footer = {
            "",
            "Example:",
            "  wg-pr run --app ssh -- ssh db1.corp",
            "",
            "Exit status: CMD's (128+N when killed by signal N); 126 when refused or not permitted,"
                    + " 127 when CMD is not found, 125 when the daemon cannot be reached.",
        })
final class RunCommand implements Callable<Integer> {
    static final int EXIT_NOT_STARTED = 125;
    static final int EXIT_REFUSED = 126;

    @Option(names = "--app", required = true, paramLabel = "A", description = "The app, as named in allowedApps.")
    String app;

    @Option(names = "--tunnel", paramLabel = "NAME", description = "The tunnel, when several name the app.")
    Optional<String> tunnel;

    @Option(
            names = "--detach",
            description = "Start CMD and return at once, as a desktop launcher does: its stdin, stdout and stderr"
                    + " are /dev/null, it runs on when this command ends, its exit status is not waited for."
                    + " Prints its pid.")
    boolean detach;

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
        if (detach) {
            try {
                long pid = detached(instance, app, tunnel.orElse(null), command, System.getProperty("user.dir"));
                spec.commandLine().getOut().println(pid);
                return 0;
            } catch (LaunchRefusedException e) {
                err.println("wg-pr run: " + e.getMessage());
                return e.exitStatus();
            } catch (DaemonClient.RefusedException e) {
                err.println("wg-pr run: " + e.getMessage());
                return Optional.ofNullable(e.error().status()).orElse(EXIT_REFUSED);
            } catch (DaemonClient.DaemonException e) {
                err.println("wg-pr run: " + e.getMessage());
                return EXIT_NOT_STARTED;
            }
        }
        return attached(instance, app, tunnel, command, err);
    }

    /** The whole command without {@code --detach}, for {@link #call} and for {@link FastPath}. */
    static int attached(Instance instance, String app, Optional<String> tunnel, List<String> command, PrintWriter err) {
        Request.Run request =
                new Request.Run(app, tunnel.orElse(null), command, System.getProperty("user.dir"), System.getenv());
        return run(err, "wg-pr run: ", instance, request, pid -> {}, Waiter.handOverAllowed());
    }

    /**
     * Runs {@code request} as its app with this process's stdio (a terminal of its own in a terminal) and
     * signals until it ends: its exit status. {@code started} gets the app's pid once the daemon has
     * started it (wg-pr trace takes its listener then); {@code prefix} starts each message.
     */
    static int run(PrintWriter err, String prefix, Instance instance, Request.Run request, LongConsumer started) {
        return run(err, prefix, instance, request, started, false);
    }

    /**
     * As {@link #run(PrintWriter, String, Instance, Request.Run, LongConsumer)}; with {@code handOver}, this
     * process becomes the small {@link Waiter} once the app has started.
     */
    private static int run(
            PrintWriter err,
            String prefix,
            Instance instance,
            Request.Run request,
            LongConsumer started,
            boolean handOver) {
        // Before the command is opened, work that needs no system call: the link of the downcall that
        // opening it needs may be under way on a thread of its own (FastPath), and takes longer.
        String requestLine = ControlJson.write(request);
        SignalForwarding.prepare();
        // Opened here, with your rights; the daemon checks and runs exactly this file.
        OwnedFd commandFile;
        try {
            commandFile = CommandFile.open(
                    request.argv().getFirst(),
                    Optional.ofNullable(System.getenv("PATH")).orElse(""));
        } catch (LaunchRefusedException e) {
            err.println(prefix + e.getMessage());
            return e.exitStatus();
        }
        try {
            return run(err, prefix, instance, requestLine, commandFile, started, handOver);
        } finally {
            try {
                commandFile.close();
            } catch (ErrnoException e) {
                // nothing was written through it
            }
        }
    }

    /**
     * Starts {@code argv} as {@code app} detached (stdio on /dev/null, no session kept: {@code --detach}, the
     * tray's Launch); its pid.
     */
    static long detached(Instance instance, String app, String tunnel, List<String> argv, String cwd)
            throws LaunchRefusedException, DaemonClient.DaemonException {
        Request.Run request = new Request.Run(app, tunnel, argv, cwd, System.getenv(), true);
        try (OwnedFd command = CommandFile.open(
                        argv.getFirst(),
                        Optional.ofNullable(System.getenv("PATH")).orElse(""));
                OwnedFd nothing = new OwnedFd(Libc.open("/dev/null", Libc.O_RDWR | Libc.O_CLOEXEC), "/dev/null");
                UnixSocket connection = DaemonClient.connectForDescriptors(
                        instance,
                        "no daemon runs for instance " + instance + "; bring a tunnel up first (wg-pr up CONFIG)")) {
            DaemonClient.send(connection, request, nothing.fd(), nothing.fd(), nothing.fd(), command.fd());
            return DaemonClient.receive(connection, Reply.Started.class).pid();
        } catch (ErrnoException e) {
            throw new DaemonClient.DaemonException("cannot open /dev/null: " + e.getMessage());
        } catch (IOException e) {
            throw new DaemonClient.DaemonException("lost the daemon: " + e.getMessage());
        }
    }

    private static int run(
            PrintWriter err,
            String prefix,
            Instance instance,
            String requestLine,
            OwnedFd commandFile,
            LongConsumer started,
            boolean handOver) {
        UnixSocket socket;
        try {
            socket = DaemonClient.connectForDescriptors(
                    instance,
                    "no daemon runs for instance " + instance + "; bring a tunnel up first (wg-pr up CONFIG)");
        } catch (DaemonClient.DaemonException e) {
            err.println(prefix + e.getMessage());
            return EXIT_NOT_STARTED;
        }
        Optional<TerminalRelay> terminal;
        try {
            terminal = TerminalRelay.forThisTerminal();
        } catch (ErrnoException e) {
            terminal = Optional.empty(); // no pseudo-terminal to be had: the app shares the caller's
        }
        try (UnixSocket connection = socket;
                TerminalRelay relay = terminal.orElse(null)) {
            // Forward signals from before the request goes out: the app may print (through the stdio
            // we pass it) and be signalled before this JVM would otherwise have installed the
            // handlers. A signal caught before the request is sent waits for it, then follows it on
            // the connection, and the daemon hands it to the app once it has started.
            CountDownLatch requestSent = new CountDownLatch(1);
            SignalForwarding.install(signal -> {
                try {
                    requestSent.await();
                    Waiter.forward(signal, () -> connection.send(ControlJson.write(new Request.Signal(signal))));
                } catch (ErrnoException | IllegalStateException e) {
                    // the app has ended and the connection with it
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            try {
                int[] stdio = relay == null ? new int[] {0, 1, 2} : relay.appStdio();
                DaemonClient.send(connection, requestLine, stdio[0], stdio[1], stdio[2], commandFile.fd());
            } finally {
                requestSent.countDown();
                commandFile.close(); // the daemon has its own copy; this process needs it no more
            }
            if (relay != null) {
                relay.makeRaw();
            }
            if (!handOver) {
                relayTerminal(relay);
            }
            // Read while the daemon starts the app rather than after it.
            Optional<Waiter.Script> waiterScript = handOver ? Optional.of(Waiter.Script.read()) : Optional.empty();
            started.accept(DaemonClient.receive(connection, Reply.Started.class).pid());
            if (handOver) {
                // Returns only when perl could not run: this JVM then waits as it always did.
                Waiter.handOver(connection, terminal, waiterScript.orElseThrow());
                relayTerminal(relay);
            }
            while (true) {
                if (DaemonClient.receiveEvent(connection) instanceof Reply.Exit exit) {
                    if (relay != null) {
                        relay.finish();
                    }
                    return exit.exitStatus();
                }
            }
        } catch (DaemonClient.RefusedException e) {
            err.println(prefix + e.getMessage());
            return Optional.ofNullable(e.error().status()).orElse(EXIT_REFUSED);
        } catch (IOException | DaemonClient.DaemonException e) {
            err.println(prefix + "lost the daemon: " + e.getMessage());
            return EXIT_NOT_STARTED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return EXIT_NOT_STARTED;
        }
    }

    private static void relayTerminal(TerminalRelay relay) {
        if (relay != null) {
            relay.startCopying();
            SignalForwarding.onWindowChange(relay::windowChanged);
        }
    }
}
