package dev.wgpr.client.cli;

import dev.wgpr.client.daemon.Daemon;
import dev.wgpr.client.daemon.HandOver;
import dev.wgpr.client.daemon.Instance;
import java.io.IOException;
import java.io.PrintWriter;

/** The daemon in the foreground of this process, reporting readiness to systemd when systemd started it. */
final class DaemonService {
    private DaemonService() {}

    /**
     * Runs the daemon in this process until SIGTERM (then takes every tunnel down) or until it stops: from
     * {@link DaemonCommand} without lockdown, in {@link LockedDownDaemon} locked down. {@code afterReady} runs
     * once the daemon is ready (its start-up done), {@code afterStop} once every tunnel is down.
     */
    static int serve(
            Instance instance, Daemon.Options options, PrintWriter err, Runnable afterReady, Runnable afterStop) {
        Daemon daemon;
        try {
            daemon = Daemon.start(instance, options);
        } catch (IOException e) {
            err.println("wg-pr daemon: " + e.getMessage());
            return WgPrCommand.EXIT_FAILURE;
        }
        SystemdNotify systemd = SystemdNotify.from(System.getenv(), err);
        // SIGTERM, SIGINT and SIGHUP run the shutdown hooks: the orderly stop, or the hand-over root asked for.
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            if (HandOver.requested(instance)) {
                                try {
                                    HandOver.withdraw(instance); // honoured once: the next stop is orderly
                                } catch (IOException e) {
                                    err.println("wg-pr daemon: " + e.getMessage());
                                }
                                systemd.stopping("handing over to the next daemon");
                                err.println("wg-pr daemon: handing over to the next daemon: exiting with every"
                                        + " tunnel's enforcement, fail-closed routes and apps left in force");
                                err.flush();
                                // No orderly stop, no other hook: as a crash, which the next daemon recovers from.
                                Runtime.getRuntime().halt(HandOver.EXIT_STATUS);
                            }
                            systemd.stopping("taking every tunnel down");
                            daemon.stop();
                            afterStop.run();
                        },
                        "daemon-stop"));
        err.println("wg-pr daemon: instance " + instance + " ready, pid "
                + ProcessHandle.current().pid());
        // Daemon.start returned: the control socket listens, so `wg-pr up` can connect from now on.
        systemd.ready("instance " + instance + ": control socket " + instance.controlSocket());
        afterReady.run();
        try {
            daemon.awaitStopped();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
