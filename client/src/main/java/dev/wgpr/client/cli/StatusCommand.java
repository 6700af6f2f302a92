package dev.wgpr.client.cli;

import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.client.control.EnforcementStatus;
import dev.wgpr.client.control.Json;
import dev.wgpr.client.control.Protocol;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.control.TunnelStatus;
import dev.wgpr.client.daemon.Instance;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
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
    @Option(names = "--json", description = "Print the daemon's answer as one JSON object.")
    boolean json;

    @ParentCommand
    WgPrCommand root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Instance instance = root.instance();
        Optional<DaemonStatus> reply;
        try {
            reply = DaemonClient.call(instance, new Request.Status(), DaemonStatus.class);
        } catch (DaemonClient.DaemonException e) {
            return e.report("status", err);
        }
        DaemonStatus status = reply.orElseGet(() -> DaemonStatus.noDaemon(instance.name()));
        if (json) {
            out.println(Json.write(status));
        } else if (reply.isEmpty()) {
            out.println("instance " + instance + ": no daemon runs, so no tunnel is up");
        } else {
            print(status, out);
        }
        return unguardedTunnels(status, err);
    }

    /**
     * Fails loudly when a tunnel's device lacks its backstop: its internal prefixes would then be
     * guarded by the sock_addr hooks alone (no ICMP, no SO_BINDTODEVICE, no forwarded traffic).
     */
    private static int unguardedTunnels(DaemonStatus status, PrintWriter err) {
        List<String> missing = status.tunnelsWithBackstop(Protocol.BACKSTOP_MISSING);
        if (missing.isEmpty()) {
            return 0;
        }
        err.println("wg-pr status: the backstop is MISSING on " + String.join(", ", missing)
                + ": what enters or arrives through the tunnel is not fully judged; bring it down and up again");
        return WgPrCommand.EXIT_FAILURE;
    }

    private static void print(DaemonStatus status, PrintWriter out) {
        DaemonStatus.Daemon daemon = status.daemon();
        out.println("instance " + status.instance() + ": daemon pid " + daemon.pid() + ", running since "
                + daemon.started());
        for (String found : daemon.foundAtStart()) {
            row(out, "", "at start", found);
        }
        if (status.tunnels().isEmpty()) {
            out.println();
            out.println("no tunnel is up");
        }
        for (TunnelStatus tunnel : status.tunnels()) {
            print(tunnel, out);
        }
        out.println();
        print(status.enforcement(), out);
        for (DaemonStatus.RunningApp running : status.running()) {
            out.println("running: pid " + running.pid() + " app " + running.app() + " (tunnel " + running.tunnel()
                    + ", uid " + running.uid() + ")");
        }
    }

    private static void print(TunnelStatus tunnel, PrintWriter out) {
        out.println();
        out.println("interface " + tunnel.name() + " (" + tunnel.config() + ")");
        row(out, "  ", "route mode", tunnel.routeMode());
        row(out, "  ", "addresses", String.join(", ", tunnel.addresses()));
        if (!tunnel.network()) {
            row(out, "  ", "network", "none (apps registered for wg-pr run only)");
        }
        for (TunnelStatus.Peer peer : tunnel.peers()) {
            out.println("  peer " + peer.name());
            row(out, "    ", "public key", peer.publicKey());
            row(
                    out,
                    "    ",
                    "endpoint",
                    peer.endpoint() == null
                            ? "none"
                            : peer.endpoint()
                                    + (peer.endpointAddress() == null ? "" : " (" + peer.endpointAddress() + ")"));
            row(
                    out,
                    "    ",
                    "handshake",
                    peer.latestHandshake() == null ? "unknown (no device)" : peer.latestHandshake());
            if (peer.rxBytes() != null) {
                row(out, "    ", "transfer", peer.rxBytes() + " B received, " + peer.txBytes() + " B sent");
            }
            row(out, "    ", "allowed ips", String.join(", ", peer.allowedIPs()));
        }
        if (tunnel.backstop() != null) {
            row(out, "  ", "backstop", tunnel.backstop());
        }
        TunnelStatus.Device device = tunnel.device();
        if (device != null) {
            row(out, "  ", "listen port", device.listenPort());
            row(out, "  ", "uapi socket", device.uapiSocket());
            row(out, "  ", "dropped", device.dropped());
            row(out, "  ", "thread fails", device.threadFailures());
            if (device.failure() != null) {
                row(out, "  ", "FAILED", device.failure());
            }
        }
        TunnelStatus.Routing routing = tunnel.routing();
        if (routing == null) {
            row(out, "  ", "routes", "none installed");
        } else {
            routing.routes().forEach(route -> row(out, "  ", "route", route));
            for (TunnelStatus.Bypass bypass : routing.bypass()) {
                row(
                        out,
                        "  ",
                        "bypass",
                        bypass.endpoint() + ": " + (bypass.hostRoute() == null ? "no host route" : bypass.hostRoute())
                                + " (" + bypass.reason() + ")");
            }
            row(out, "  ", "exclusions", String.join(", ", routing.exclusions()));
        }
        for (TunnelStatus.App app : tunnel.apps()) {
            out.println("  app " + app.name() + " (peer " + app.peer() + ")");
            row(out, "    ", "exec", app.exec() == null ? "any binary" : app.exec());
            if (app.sha256() != null) {
                row(out, "    ", "sha256", app.sha256());
            }
            row(out, "    ", "allow", String.join(", ", app.allow()));
            row(out, "    ", "cgroup", app.cgroup());
        }
    }

    private static void print(EnforcementStatus enforcement, PrintWriter out) {
        out.println("enforcement " + enforcement.state());
        if (!enforcement.active()) {
            return;
        }
        row(out, "  ", "generation", enforcement.generation());
        row(out, "  ", "attached at", enforcement.attachedAt() + " (netns cookie " + enforcement.netnsCookie() + ")");
        row(out, "  ", "pins", enforcement.pins());
        for (EnforcementStatus.Program program : enforcement.programs()) {
            row(
                    out,
                    "  ",
                    program.hook(),
                    program.program() + " id " + program.id() + (program.pinned() ? ", pinned" : ", NOT pinned"));
        }
        row(out, "  ", "internal", String.join(", ", enforcement.internal()));
        row(out, "  ", "exclusions", String.join(", ", enforcement.exclusions()));
        enforcement
                .apps()
                .forEach((name, app) -> row(
                        out,
                        "  ",
                        "app " + name,
                        "#" + app.id() + ": " + String.join(", ", app.grants())
                                + (app.executables() == null
                                        ? "; to every process of the app"
                                        : "; only to its programs ("
                                                + app.executables().size()
                                                + (app.executables().size() == 1 ? " file)" : " files)"))));
        if (enforcement.counters() == null) {
            row(out, "  ", "counters", enforcement.countersUnreadable());
        } else {
            enforcement.counters().forEach((name, value) -> row(out, "  ", name, value));
        }
        row(out, "  ", "events", enforcement.eventsLogged() + " logged (wg-pr events)");
    }

    private static void row(PrintWriter out, String indent, String label, Object value) {
        out.println(indent + label + " ".repeat(Math.max(1, 14 - label.length())) + value);
    }
}
