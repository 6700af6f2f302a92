package dev.wgpr.client.cli;

import dev.wgpr.client.control.CamelCase;
import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.client.control.EnforcementStatus;
import dev.wgpr.client.control.Protocol;
import dev.wgpr.client.control.TunnelStatus;
import dev.wgpr.client.dns.DnsCounters;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * {@code wg-pr status} as text, in the style of {@code wg show}: times relative to {@code clock} ("18 seconds
 * ago"), bytes in binary units, one fact per line, words instead of codes, routes as {@code ip route} prints
 * them; counters only with {@code --verbose}. The clock and the host's borrowing line are given, so that the
 * same status always reads the same (golden files in the tests).
 *
 * @param borrowing the protection against borrowing on this host, given whether the borrow guard is attached
 */
record StatusText(Clock clock, boolean verbose, Function<Boolean, String> borrowing) {
    private static final int LABEL = 14;

    /** A date and time with the zone's name ({@code 2026-12-07 03:52:09 UTC}), in a zone given with it. */
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss z", Locale.ROOT);

    /** Each kernel counter of the enforcement, explained (keys as {@code status --json} has them). */
    private static final Map<String, String> ENFORCEMENT_COUNTERS = Map.ofEntries(
            Map.entry("unconfigured", "allowed: no tunnel namespace configured yet"),
            Map.entry("otherNetns", "allowed without judging: another network namespace"),
            Map.entry("external", "allowed: the destination is not internal"),
            Map.entry("allowInternal", "allowed: internal and granted"),
            Map.entry("denyNoApp", "denied: internal, and the caller is no app"),
            Map.entry("denyNoGrant", "denied: internal, and no grant of the app covers it"),
            Map.entry("denyNoPolicy", "denied: no policy published (fail closed)"),
            Map.entry("denyForeignExec", "denied: in an app's cgroup but not running its program"),
            Map.entry("eventsLost", "deny events lost: their ring buffer was full"),
            Map.entry("eventsSuppressed", "deny events not logged: five a second from one source"),
            Map.entry("tunnelPass", "backstop: packets let into the tunnel"),
            Map.entry("denyForwarded", "backstop, denied: forwarded packets"),
            Map.entry("denyMalformed", "denied: headers that cannot be read (fail closed)"),
            Map.entry("inboundPass", "inbound: packets let through to an app"),
            Map.entry("denyListening", "inbound, denied: connections to a listening socket"));

    /** The whole text, one line per fact, each ending in a newline. */
    String render(DaemonStatus status) {
        Lines out = new Lines();
        DaemonStatus.Daemon daemon = status.daemon();
        if (daemon == null) {
            out.line("instance " + status.instance() + ": no daemon runs, so no tunnel is up");
            return out.toString();
        }
        out.line("instance " + status.instance() + ": daemon pid " + daemon.pid() + ", running since "
                + when(daemon.started()));
        for (String found : daemon.foundAtStart()) {
            out.row("", "at start", found);
        }
        for (String held : daemon.heldStaleRoutes()) {
            out.row("", "held route", held + " (a crashed daemon's, until a tunnel replaces it)");
        }
        if (status.tunnels().isEmpty()) {
            out.line("");
            out.line("no tunnel is up");
        }
        for (TunnelStatus tunnel : status.tunnels()) {
            tunnel(tunnel, out);
        }
        out.line("");
        enforcement(status.enforcement(), out);
        if (!status.running().isEmpty()) {
            out.line("");
        }
        for (DaemonStatus.RunningApp running : status.running()) {
            out.line("running: pid " + running.pid() + " app " + running.app() + " (tunnel " + running.tunnel()
                    + ", uid " + running.uid() + ")");
            if (running.leftFor() != null) {
                out.line("  " + running.leftNotice());
            }
        }
        return out.toString();
    }

    private void tunnel(TunnelStatus tunnel, Lines out) {
        out.line("");
        out.line("interface " + tunnel.name());
        out.row("  ", "config", tunnel.config());
        out.row("  ", "route mode", routeModeInWords(tunnel.routeMode()));
        if ("bypass".equals(tunnel.others())) {
            out.row("  ", "others", "bypass: processes that are no app go around the tunnel through the underlay");
        }
        if (tunnel.excludedApps() != null && !tunnel.excludedApps().isEmpty()) {
            out.row(
                    "  ",
                    "excluded apps",
                    String.join(", ", tunnel.excludedApps()) + ": never use the tunnel (wg-pr run --app NAME)");
        }
        out.row("  ", "addresses", String.join(", ", tunnel.addresses()));
        if (!tunnel.network()) {
            out.row("  ", "network", "none (apps registered for wg-pr run only)");
        }
        device(tunnel, out);
        routing(tunnel.routing(), out);
        if (tunnel.dns() != null) {
            dns(tunnel.dns(), out);
        }
        for (TunnelStatus.Peer peer : tunnel.peers()) {
            peer(peer, out);
        }
        for (TunnelStatus.App app : tunnel.apps()) {
            out.line("  app " + app.name() + " (peer " + app.peer() + ")");
            out.row("    ", "exec", app.exec() == null ? "any binary" : app.exec());
            if (app.sha256() != null) {
                out.row("    ", "sha256", app.sha256());
            }
            out.row("    ", "allow", String.join(", ", app.allow()));
            out.row("    ", "cgroup", app.cgroup() == null ? "not made yet" : app.cgroup());
        }
    }

    private void device(TunnelStatus tunnel, Lines out) {
        TunnelStatus.Device device = tunnel.device();
        if (device == null) {
            return;
        }
        out.row("  ", "backend", backendInWords(device.backend()));
        out.row("  ", "listen port", device.listenPort());
        if (device.uapiSocket() != null) {
            out.row("  ", "uapi socket", device.uapiSocket());
        }
        if (tunnel.backstop() != null) {
            out.row("  ", "backstop", backstopInWords(tunnel.backstop()));
        }
        if (verbose) {
            counters(out, "  ", "dropped", device.dropped(), CamelCase::words);
        } else {
            out.row("  ", "dropped", nonZero(device.dropped()).orElse("nothing"));
        }
        nonZero(device.threadFailures()).ifPresent(failures -> out.row("  ", "thread failures", failures));
        if (device.failure() != null) {
            out.row("  ", "FAILED", device.failure());
        }
    }

    private static void routing(TunnelStatus.Routing routing, Lines out) {
        if (routing == null) {
            out.row("  ", "installed", "no routes");
            return;
        }
        // The routes, as ip route prints them, and the address, link and MTU changes made with them.
        for (int i = 0; i < routing.routes().size(); i++) {
            out.row("  ", i == 0 ? "installed" : "", routing.routes().get(i));
        }
        for (TunnelStatus.Bypass bypass : routing.bypass()) {
            out.row(
                    "  ",
                    "bypass",
                    bypass.endpoint() + ": " + (bypass.hostRoute() == null ? "no host route" : bypass.hostRoute())
                            + " (" + bypass.reason() + ")");
        }
        if (!routing.exclusions().isEmpty()) {
            out.row("  ", "exclusions", String.join(", ", routing.exclusions()));
        }
    }

    private static void dns(TunnelStatus.Dns dns, Lines out) {
        out.line("  dns");
        out.row("    ", "servers", String.join(", ", dns.servers()));
        out.row("    ", "domains", dns.domains().isEmpty() ? "none" : String.join(", ", dns.domains()));
        out.row(
                "    ",
                "access",
                dns.access() + (dns.access().equals("apps") ? " (others get REFUSED for these domains)" : ""));
        if (dns.counters() == null) {
            out.row("    ", "forwarder", "stopped");
        } else {
            out.row("    ", "link face", String.join(", ", dns.linkFaces()) + " (udp and tcp 53)");
            out.row("    ", "apps face", dns.appsFace() + " (udp and tcp 53)");
            DnsCounters c = dns.counters();
            out.row(
                    "    ",
                    "queries",
                    c.answered() + " answered, " + c.refused() + " refused, " + c.forwarded() + " forwarded, "
                            + c.dropped() + " dropped"
                            + (c.strayAnswers() > 0 ? ", " + c.strayAnswers() + " stray answers" : ""));
        }
        out.row("    ", "apps' view", dns.appsView() ? "their own resolv.conf naming the apps face" : "none");
        out.row("    ", "host resolver", dns.resolverBackend() == null ? "not told" : dns.resolverBackend());
    }

    private void peer(TunnelStatus.Peer peer, Lines out) {
        out.line("  peer " + peer.name());
        out.row("    ", "public key", peer.publicKey());
        out.row("    ", "endpoint", endpoint(peer));
        out.row("    ", "handshake", handshake(peer));
        if (peer.rxBytes() != null) {
            out.row("    ", "transfer", transfer(peer));
        }
        if (peer.persistentKeepalive() != null && peer.persistentKeepalive() > 0) {
            out.row("    ", "keepalive", "every " + plural(peer.persistentKeepalive(), "second"));
        }
        out.row("    ", "allowed ips", String.join(", ", peer.allowedIPs()));
    }

    /** What the peer received and sent, in binary units; empty without a device (the tray says it too). */
    static String transfer(TunnelStatus.Peer peer) {
        return peer.rxBytes() == null ? "" : bytes(peer.rxBytes()) + " received, " + bytes(peer.txBytes()) + " sent";
    }

    /** The endpoint as configured, and the address it resolved to, or the device now sends to, when other. */
    static String endpoint(TunnelStatus.Peer peer) {
        if (peer.endpoint() == null) {
            return peer.currentEndpoint() == null
                    ? "none (the peer connects to us)"
                    : peer.currentEndpoint() + " (roamed)";
        }
        String resolved = peer.endpointAddress();
        String configured = resolved == null || resolved.equals(peer.endpoint())
                ? peer.endpoint()
                : peer.endpoint() + " (" + resolved + ")";
        String current = peer.currentEndpoint();
        return current == null || current.equals(resolved) || current.equals(peer.endpoint())
                ? configured
                : configured + ", now " + current + " (roamed)";
    }

    /** As {@code wg show} says it: how long ago, in words. */
    String handshake(TunnelStatus.Peer peer) {
        if (peer.rxBytes() == null) {
            return "unknown (no device)";
        }
        return peer.latestHandshake() == null ? "none yet" : ago(Instant.parse(peer.latestHandshake()));
    }

    /** {@code then} in words relative to the clock: {@code 1 hour, 5 seconds ago}. */
    String ago(Instant then) {
        long age = Math.max(0, Duration.between(then, clock.instant()).toSeconds());
        List<String> parts = new ArrayList<>();
        long[] units = {86400, 3600, 60, 1};
        String[] names = {"day", "hour", "minute", "second"};
        for (int i = 0; i < units.length; i++) {
            long n = age / units[i];
            age %= units[i];
            if (n > 0 || (i == units.length - 1 && parts.isEmpty())) {
                parts.add(plural(n, names[i]));
            }
        }
        return String.join(", ", parts) + " ago";
    }

    /**
     * Formats a date in {@code clock}'s zone and drops it: the JDK finds a zone's name in its locale data
     * (its CLDR provider, found by a service look-up that opens the class path's jar), some 10 ms at the
     * first name, which it keeps. For a caller that has time to spare before it renders.
     */
    static void prepare(Clock clock) {
        DATE.withZone(clock.getZone()).format(clock.instant());
    }

    /** An instant as a date in the clock's zone, and how long ago; text that is no instant as it is. */
    private String when(String instant) {
        try {
            Instant then = Instant.parse(instant);
            return DATE.withZone(clock.getZone()).format(then) + " (" + ago(then) + ")";
        } catch (DateTimeParseException e) {
            return instant;
        }
    }

    private static String plural(long n, String unit) {
        return n + " " + unit + (n == 1 ? "" : "s");
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

    /** The counters that are not 0, in words, as {@code 3 bad mac1, 1 replayed counter}; empty when all are. */
    static Optional<String> nonZero(Map<String, Long> counters) {
        List<String> parts = new ArrayList<>();
        new TreeMap<>(counters).forEach((name, value) -> {
            if (value != 0) {
                parts.add(value + " " + CamelCase.words(name));
            }
        });
        return parts.isEmpty() ? Optional.empty() : Optional.of(String.join(", ", parts));
    }

    /**
     * Every counter on its own line, under {@code title}, explained and sorted by the explanation, so that the
     * allowed and the denied stand together whatever order the map has.
     */
    private static void counters(
            Lines out, String indent, String title, Map<String, Long> counters, Function<String, String> explain) {
        out.line(indent + title);
        int width = counters.values().stream()
                .mapToInt(v -> Long.toString(v).length())
                .max()
                .orElse(1);
        Map<String, Long> explained = new TreeMap<>();
        counters.forEach((name, value) -> explained.put(explain.apply(name), value));
        explained.forEach((words, value) ->
                out.line(indent + "  " + " ".repeat(width - Long.toString(value).length()) + value + "  " + words));
    }

    private void enforcement(EnforcementStatus enforcement, Lines out) {
        if (!enforcement.active()) {
            out.line("enforcement " + enforcement.state()
                    + (EnforcementStatus.IDLE.equals(enforcement.state()) ? " (no tunnel is up)" : ""));
            return;
        }
        out.line("enforcement active");
        out.row("  ", "internal", String.join(", ", enforcement.internal()));
        if (!enforcement.exclusions().isEmpty()) {
            out.row("  ", "exclusions", String.join(", ", enforcement.exclusions()));
        }
        enforcement
                .apps()
                .forEach((name, app) -> out.row(
                        "  ",
                        "app " + name,
                        "#" + app.id() + ": " + String.join(", ", app.grants())
                                + (app.executables() == null
                                        ? "; to every process of the app"
                                        : "; only to its programs ("
                                                + plural(app.executables().size(), "file") + ")")));
        out.row("  ", "events", enforcement.eventsLogged() + " logged (wg-pr events)");
        EnforcementStatus.BorrowGuard guard = enforcement.borrowGuard();
        if (guard != null) {
            out.row(
                    "  ",
                    "borrow guard",
                    guard.attached() && guard.why() == null
                            ? "attached, " + guard.refused() + " refused, " + guard.privileged()
                                    + " allowed by CAP_SYS_PTRACE"
                            : (guard.attached() ? "attached, " : "not attached: ") + guard.why());
            out.row("  ", "borrowing", borrowing.apply(guard.attached()));
        }
        if (!verbose) {
            return;
        }
        out.row("  ", "generation", enforcement.generation());
        out.row("  ", "attached at", enforcement.attachedAt() + " (netns cookie " + enforcement.netnsCookie() + ")");
        out.row("  ", "pins", enforcement.pins());
        for (EnforcementStatus.Program program : enforcement.programs()) {
            out.row(
                    "  ",
                    program.hook(),
                    program.program()
                            + (program.id() == null ? "" : " id " + program.id())
                            + (program.pinned() ? ", pinned" : ", NOT pinned"));
        }
        if (guard != null && guard.program() != null) {
            out.row("  ", "guard program", "id " + guard.program());
        }
        if (enforcement.counters() == null) {
            out.row("  ", "counters", enforcement.countersUnreadable());
        } else {
            counters(
                    out,
                    "  ",
                    "counters",
                    enforcement.counters(),
                    name -> ENFORCEMENT_COUNTERS.getOrDefault(name, CamelCase.words(name)));
        }
    }

    private static String routeModeInWords(String mode) {
        return switch (mode) {
            case "per-prefix" -> "per-prefix (a route for each allowed prefix)";
            case "di-semi-default" -> "di-semi-default (both halves of the address space, beside the default route)";
            default -> mode;
        };
    }

    private static String backendInWords(String backend) {
        return switch (backend) {
            case "kernel" -> "kernel (the kernel's WireGuard module)";
            case "userspace" -> "userspace (wg-pr's own WireGuard on a TUN interface)";
            default -> backend;
        };
    }

    private static String backstopInWords(String backstop) {
        return switch (backstop) {
            case Protocol.BACKSTOP_IN_FORCE -> "in force (what enters or arrives through the device is judged)";
            case Protocol.BACKSTOP_MISSING -> "MISSING (bring the tunnel down and up again)";
            default -> backstop;
        };
    }

    /** The text being written: lines, and rows of a label padded to a column and a value. */
    private static final class Lines {
        private final StringBuilder text = new StringBuilder();

        void line(String line) {
            text.append(line).append('\n');
        }

        void row(String indent, String label, Object value) {
            line(indent + label + " ".repeat(Math.max(1, LABEL - label.length())) + value);
        }

        @Override
        public String toString() {
            return text.toString();
        }
    }
}
