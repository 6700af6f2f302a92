package dev.wgpr.client.cli;

import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.client.control.EnforcementStatus;
import dev.wgpr.client.control.Json;
import dev.wgpr.client.control.Protocol;
import dev.wgpr.client.control.Request;
import dev.wgpr.client.control.TunnelStatus;
import dev.wgpr.client.daemon.Instance;
import dev.wgpr.client.dns.DnsCounters;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
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
            if (running.leftFor() != null) {
                out.println("  " + running.leftNotice());
            }
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
            row(out, "    ", "endpoint", endpoint(peer));
            row(out, "    ", "handshake", handshake(peer));
            if (peer.rxBytes() != null) {
                row(out, "    ", "transfer", bytes(peer.rxBytes()) + " received, " + bytes(peer.txBytes()) + " sent");
            }
            row(out, "    ", "allowed ips", String.join(", ", peer.allowedIPs()));
        }
        if (tunnel.backstop() != null) {
            row(out, "  ", "backstop", tunnel.backstop());
        }
        TunnelStatus.Device device = tunnel.device();
        if (device != null) {
            row(out, "  ", "backend", backendInWords(device.backend()));
            row(out, "  ", "listen port", device.listenPort());
            if (device.uapiSocket() != null) {
                row(out, "  ", "uapi socket", device.uapiSocket());
            }
            row(out, "  ", "dropped", nonZero(device.dropped()).orElse("nothing"));
            nonZero(device.threadFailures()).ifPresent(failures -> row(out, "  ", "thread failures", failures));
            if (device.failure() != null) {
                row(out, "  ", "FAILED", device.failure());
            }
        }
        TunnelStatus.Routing routing = tunnel.routing();
        if (routing == null) {
            row(out, "  ", "routes", "none installed");
        } else {
            for (int i = 0; i < routing.routes().size(); i++) {
                row(out, "  ", i == 0 ? "routes" : "", routing.routes().get(i));
            }
            for (TunnelStatus.Bypass bypass : routing.bypass()) {
                row(
                        out,
                        "  ",
                        "bypass",
                        bypass.endpoint() + ": " + (bypass.hostRoute() == null ? "no host route" : bypass.hostRoute())
                                + " (" + bypass.reason() + ")");
            }
            if (!routing.exclusions().isEmpty()) {
                row(out, "  ", "exclusions", String.join(", ", routing.exclusions()));
            }
        }
        if (tunnel.dns() != null) {
            print(tunnel.dns(), out);
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

    private static void print(TunnelStatus.Dns dns, PrintWriter out) {
        out.println("  dns");
        row(out, "    ", "servers", String.join(", ", dns.servers()));
        row(out, "    ", "domains", dns.domains().isEmpty() ? "none" : String.join(", ", dns.domains()));
        row(
                out,
                "    ",
                "access",
                dns.access() + (dns.access().equals("apps") ? " (others get REFUSED for these domains)" : ""));
        if (dns.counters() == null) {
            row(out, "    ", "forwarder", "STOPPED");
        } else {
            row(out, "    ", "link face", String.join(", ", dns.linkFaces()) + " (udp and tcp 53)");
            row(out, "    ", "apps face", dns.appsFace() + " (udp and tcp 53)");
            DnsCounters c = dns.counters();
            row(
                    out,
                    "    ",
                    "queries",
                    c.answered() + " answered, " + c.refused() + " refused, " + c.forwarded() + " forwarded, "
                            + c.dropped() + " dropped"
                            + (c.strayAnswers() > 0 ? ", " + c.strayAnswers() + " stray answers" : ""));
        }
        row(out, "    ", "apps' view", dns.appsView() ? "their own resolv.conf naming the apps face" : "none");
        row(out, "    ", "host resolver", dns.resolverBackend() == null ? "not told" : dns.resolverBackend());
    }

    /** The endpoint as configured, and the address it resolved to when that is not the same text. */
    static String endpoint(TunnelStatus.Peer peer) {
        if (peer.endpoint() == null) {
            return peer.currentEndpoint() == null
                    ? "none (the peer connects to us)"
                    : peer.currentEndpoint() + " (roamed)";
        }
        String resolved = peer.endpointAddress();
        return resolved == null || resolved.equals(peer.endpoint())
                ? peer.endpoint()
                : peer.endpoint() + " (" + resolved + ")";
    }

    /** As {@code wg show} says it: how long ago, in words. */
    static String handshake(TunnelStatus.Peer peer) {
        if (peer.latestHandshake() == null) {
            return "unknown (no device)";
        }
        if (peer.handshakeAgeSeconds() == null) {
            return "none yet";
        }
        long age = peer.handshakeAgeSeconds();
        List<String> parts = new ArrayList<>();
        long[] units = {86400, 3600, 60, 1};
        String[] names = {"day", "hour", "minute", "second"};
        for (int i = 0; i < units.length; i++) {
            long n = age / units[i];
            age %= units[i];
            if (n > 0 || (i == units.length - 1 && parts.isEmpty())) {
                parts.add(n + " " + names[i] + (n == 1 ? "" : "s"));
            }
        }
        return String.join(", ", parts) + " ago";
    }

    /** Bytes as {@code wg show} writes them: B, KiB, MiB, GiB with two decimals. */
    static String bytes(long count) {
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        if (count < 1024) {
            return count + " B";
        }
        double value = count;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.2f %s", value, units[unit]);
    }

    /** The counters that are not 0, as {@code 3 bad mac1, 1 replayed counter}; empty when all are. */
    static Optional<String> nonZero(Map<String, Long> counters) {
        List<String> parts = new ArrayList<>();
        new TreeMap<>(counters).forEach((name, value) -> {
            if (value != 0) {
                parts.add(value + " " + name.toLowerCase(Locale.ROOT).replace('_', ' '));
            }
        });
        return parts.isEmpty() ? Optional.empty() : Optional.of(String.join(", ", parts));
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
        if (!enforcement.exclusions().isEmpty()) {
            row(out, "  ", "exclusions", String.join(", ", enforcement.exclusions()));
        }
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
        EnforcementStatus.BorrowGuard guard = enforcement.borrowGuard();
        if (guard != null) {
            row(
                    out,
                    "  ",
                    "borrow guard",
                    guard.attached() && guard.why() == null
                            ? "attached: program id " + guard.program() + ", " + guard.refused() + " refused, "
                                    + guard.privileged() + " allowed by CAP_SYS_PTRACE"
                            : (guard.attached() ? "attached, " : "not attached: ") + guard.why());
            row(out, "  ", "borrowing", borrowing(guard.attached()));
        }
    }

    /** The protection against borrowing for a daemon's apps: its borrow guard, else this host's Yama. */
    private static String borrowing(boolean guard) {
        try {
            return BorrowProtection.onThisHost(guard).line();
        } catch (IOException | RuntimeException e) {
            return (guard ? "borrow guard attached" : "no borrow guard") + "; Yama unreadable: " + e.getMessage();
        }
    }

    private static void row(PrintWriter out, String indent, String label, Object value) {
        out.println(indent + label + " ".repeat(Math.max(1, 14 - label.length())) + value);
    }

    private static String backendInWords(String backend) {
        return switch (backend) {
            case "kernel" -> "kernel (the kernel's WireGuard module)";
            case "userspace" -> "userspace (wg-pr's own WireGuard on a TUN interface)";
            default -> backend;
        };
    }
}
