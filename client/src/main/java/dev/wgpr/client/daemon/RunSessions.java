package dev.wgpr.client.daemon;

import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.client.control.PeerCredentials;
import dev.wgpr.client.control.Protocol;
import dev.wgpr.client.control.Reply;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.OwnedFd;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The apps {@code wg-pr run} starts. A session keeps its caller's connection (and its thread) until the app
 * ends: the caller's signals come in on it ({@link SignalForwarder}) and the app's exit goes out.
 */
final class RunSessions {
    private final Authorization policy;
    private final LaunchService launcher;
    private final Tunnels tunnels;
    private final PrintStream log;
    private final Map<Integer, DaemonStatus.RunningApp> running = new ConcurrentHashMap<>();
    private final CgroupEscapes escapes;

    RunSessions(Authorization policy, LaunchService launcher, Tunnels tunnels, EventLog events, PrintStream log) {
        this.policy = policy;
        this.launcher = launcher;
        this.tunnels = tunnels;
        this.log = log;
        this.escapes = new CgroupEscapes(running, events, log);
    }

    /** The apps that still run, as {@code caller} may see them: root all, others their own. */
    List<DaemonStatus.RunningApp> visibleTo(PeerCredentials caller) {
        escapes.check(); // a move just made shows in this status, not only after the next look
        long uid = Integer.toUnsignedLong(caller.uid());
        return running.values().stream()
                .filter(app -> caller.isRoot() || app.uid() == uid)
                .toList();
    }

    /** Stops watching the apps' cgroups. */
    void close() {
        escapes.close();
    }

    /** Serves one session; {@code fds} are the caller's stdin, stdout, stderr and command (closed by the caller). */
    void run(UnixSocket connection, PeerCredentials caller, Request.Run request, List<OwnedFd> fds) {
        try {
            runAndWait(connection, caller, request, fds);
        } catch (IOException | RuntimeException e) {
            log.println("wg-pr daemon: run: " + e);
        }
    }

    private void runAndWait(UnixSocket connection, PeerCredentials caller, Request.Run request, List<OwnedFd> fds)
            throws IOException {
        Optional<String> refusal = policy.refusal(caller, Authorization.Action.RUN);
        if (refusal.isPresent()) {
            log.println("wg-pr daemon: run for uid " + Integer.toUnsignedString(caller.uid()) + " refused: "
                    + refusal.get());
            RequestDispatch.send(connection, new Reply.Error(Protocol.PERMISSION, refusal.get()));
            return;
        }
        Launcher.Request launch;
        try {
            launch = new Launcher.Request(request.argv(), Path.of(request.cwd()), request.env(), request.trace());
        } catch (IllegalArgumentException e) {
            RequestDispatch.send(
                    connection,
                    new Reply.Error(Protocol.BAD_REQUEST, "run needs app, argv, cwd and env: " + e.getMessage()));
            return;
        }
        LaunchedProcess process;
        try {
            Tunnels.LaunchableApp app = tunnels.app(request.app(), Optional.ofNullable(request.tunnel()));
            process = launcher.launch(app.app(), Launcher.verified(app.app(), caller, launch, fds), app.placement());
            running.put(
                    process.pid(),
                    new DaemonStatus.RunningApp(
                            process.pid(), request.app(), app.tunnel(), Integer.toUnsignedLong(caller.uid())));
            log.println("wg-pr daemon: run --app " + request.app() + " for uid "
                    + Integer.toUnsignedString(caller.uid()) + ": pid " + process.pid());
            escapes.watch(process.pid(), app.cgroup());
        } catch (LaunchRefusedException e) {
            log.println("wg-pr daemon: run --app " + request.app() + " for uid "
                    + Integer.toUnsignedString(caller.uid()) + " refused: " + e.getMessage());
            RequestDispatch.send(connection, new Reply.Error(Protocol.REFUSED, e.getMessage(), e.exitStatus()));
            return;
        }
        RequestDispatch.closeAll(fds);
        try {
            RequestDispatch.send(connection, new Reply.Started(process.pid()));
            if (request.detach()) {
                connection.shutdown(); // the caller (the tray) leaves; the app stays, its exit goes unreported
                process.waitFor();
                return;
            }
            Thread forwarder = Thread.ofPlatform()
                    .name("run-signals")
                    .daemon()
                    .start(() -> SignalForwarder.forward(connection, process));
            LaunchedProcess.Exit exit = process.waitFor();
            try {
                RequestDispatch.send(
                        connection,
                        exit.exited() ? new Reply.Exit(exit.status(), null) : new Reply.Exit(null, exit.signal()));
            } catch (ErrnoException e) {
                // the caller is gone; the app ended anyway
            }
            connection.shutdown();
            forwarder.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            escapes.forget(process.pid());
            running.remove(process.pid());
        }
    }
}
