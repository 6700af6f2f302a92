package dev.wgpr.client.cli;

import dev.wgpr.client.control.Json;
import dev.wgpr.client.control.Protocol;
import dev.wgpr.client.daemon.Instance;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
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
        Optional<Map<String, Object>> reply;
        try {
            reply = DaemonClient.call(instance, Protocol.request(Protocol.STATUS));
        } catch (DaemonClient.DaemonException e) {
            err.println("wg-pr status: " + e.getMessage());
            return WgPrCommand.EXIT_FAILURE;
        }
        if (reply.isPresent() && !DaemonClient.isOk(reply.get())) {
            return Replies.reportError("status", reply.get(), err);
        }
        if (json) {
            Map<String, Object> shown = new LinkedHashMap<>();
            if (reply.isEmpty()) {
                shown.put("instance", instance.name());
                shown.put("daemon", null);
                shown.put("tunnels", List.of());
            } else {
                reply.get().forEach(shown::put);
                shown.remove("v");
                shown.remove("ok");
                Map<String, Object> enforcement = map(reply.get().get("enforcement"));
                if ("active".equals(enforcement.get("state"))) {
                    shown.put("borrowing", borrowing(enforcement));
                }
            }
            out.println(Json.write(shown));
            return reply.isEmpty() ? 0 : unguardedTunnels(reply.get(), err);
        }
        if (reply.isEmpty()) {
            out.println("instance " + instance + ": no daemon runs, so no tunnel is up");
            return 0;
        }
        print(reply.get(), out);
        return unguardedTunnels(reply.get(), err);
    }

    /**
     * Fails loudly when a tunnel's device lacks its backstop: its internal prefixes would then be
     * guarded by the sock_addr hooks alone (no ICMP, no SO_BINDTODEVICE, no forwarded traffic).
     */
    private static int unguardedTunnels(Map<String, Object> status, PrintWriter err) {
        List<String> missing = tunnelsByBackstop(status).getOrDefault(Protocol.BACKSTOP_MISSING, List.of());
        if (missing.isEmpty()) {
            return 0;
        }
        err.println("wg-pr status: the backstop is MISSING on " + String.join(", ", missing)
                + ": what enters or arrives through the tunnel is not fully judged; bring it down and up again");
        return WgPrCommand.EXIT_FAILURE;
    }

    /** The names of a status reply's tunnels by their backstop state (tunnels without a device left out). */
    static Map<String, List<String>> tunnelsByBackstop(Map<String, Object> status) {
        return list(status.get("tunnels")).stream()
                .map(StatusCommand::map)
                .filter(tunnel -> tunnel.get("backstop") != null)
                .collect(Collectors.groupingBy(
                        tunnel -> String.valueOf(tunnel.get("backstop")),
                        Collectors.mapping(tunnel -> String.valueOf(tunnel.get("name")), Collectors.toList())));
    }

    private static void print(Map<String, Object> status, PrintWriter out) {
        Map<String, Object> daemon = map(status.get("daemon"));
        out.println("instance " + status.get("instance") + ": daemon pid " + daemon.get("pid") + ", running since "
                + daemon.get("started"));
        for (String found : strings(daemon.get("foundAtStart"))) {
            row(out, "", "at start", found);
        }
        List<Object> tunnels = list(status.get("tunnels"));
        if (tunnels.isEmpty()) {
            out.println();
            out.println("no tunnel is up");
        }
        for (Object item : tunnels) {
            Map<String, Object> tunnel = map(item);
            out.println();
            out.println("interface " + tunnel.get("name") + " (" + tunnel.get("config") + ")");
            row(out, "  ", "route mode", tunnel.get("routeMode"));
            row(out, "  ", "addresses", String.join(", ", strings(tunnel.get("addresses"))));
            if (Boolean.FALSE.equals(tunnel.get("network"))) {
                row(out, "  ", "network", "none (apps registered for wg-pr run only)");
            }
            for (Object p : list(tunnel.get("peers"))) {
                Map<String, Object> peer = map(p);
                out.println("  peer " + peer.get("name"));
                row(out, "    ", "public key", peer.get("publicKey"));
                row(
                        out,
                        "    ",
                        "endpoint",
                        peer.get("endpoint") == null
                                ? "none"
                                : peer.get("endpoint")
                                        + (peer.get("endpointAddress") == null
                                                ? ""
                                                : " (" + peer.get("endpointAddress") + ")"));
                row(out, "    ", "handshake", peer.getOrDefault("latestHandshake", "unknown (no device)"));
                if (peer.containsKey("rxBytes")) {
                    row(
                            out,
                            "    ",
                            "transfer",
                            peer.get("rxBytes") + " B received, " + peer.get("txBytes") + " B sent");
                }
                row(out, "    ", "allowed ips", String.join(", ", strings(peer.get("allowedIPs"))));
            }
            if (tunnel.get("backstop") != null) {
                row(out, "  ", "backstop", tunnel.get("backstop"));
            }
            Map<String, Object> device = map(tunnel.get("device"));
            device.forEach((key, value) -> row(out, "  ", key, value));
            Object routing = tunnel.get("routing");
            if (routing == null) {
                row(out, "  ", "routes", "none installed");
            } else {
                map(routing).forEach((key, value) -> row(out, "  ", key, value));
            }
            for (Object a : list(tunnel.get("apps"))) {
                Map<String, Object> app = map(a);
                out.println("  app " + app.get("name") + " (peer " + app.get("peer") + ")");
                row(out, "    ", "exec", app.get("exec") == null ? "any binary" : app.get("exec"));
                if (app.get("sha256") != null) {
                    row(out, "    ", "sha256", app.get("sha256"));
                }
                row(out, "    ", "allow", String.join(", ", strings(app.get("allow"))));
                row(out, "    ", "cgroup", app.get("cgroup"));
            }
        }
        out.println();
        printEnforcement(map(status.get("enforcement")), out);
        for (Object r : list(status.get("running"))) {
            Map<String, Object> running = map(r);
            out.println("running: pid " + running.get("pid") + " app " + running.get("app") + " (tunnel "
                    + running.get("tunnel") + ", uid " + running.get("uid") + ")");
        }
    }

    private static void printEnforcement(Map<String, Object> enforcement, PrintWriter out) {
        out.println("enforcement " + enforcement.get("state"));
        if (!"active".equals(enforcement.get("state"))) {
            return;
        }
        row(out, "  ", "generation", enforcement.get("generation"));
        row(
                out,
                "  ",
                "attached at",
                enforcement.get("attachedAt") + " (netns cookie " + enforcement.get("netnsCookie") + ")");
        row(out, "  ", "pins", enforcement.get("pins"));
        for (Object p : list(enforcement.get("programs"))) {
            Map<String, Object> program = map(p);
            row(
                    out,
                    "  ",
                    String.valueOf(program.get("hook")),
                    program.get("program") + " id " + program.get("id")
                            + (Boolean.TRUE.equals(program.get("pinned")) ? ", pinned" : ", NOT pinned"));
        }
        row(out, "  ", "internal", String.join(", ", strings(enforcement.get("internal"))));
        row(out, "  ", "exclusions", String.join(", ", strings(enforcement.get("exclusions"))));
        map(enforcement.get("apps")).forEach((name, a) -> {
            Map<String, Object> app = map(a);
            row(out, "  ", "app " + name, "#" + app.get("id") + ": " + String.join(", ", strings(app.get("grants"))));
        });
        map(enforcement.get("counters")).forEach((name, value) -> row(out, "  ", name, value));
        row(out, "  ", "events", enforcement.get("eventsLogged") + " logged (wg-pr events)");
        Map<String, Object> guard = map(enforcement.get("borrowGuard"));
        row(
                out,
                "  ",
                "borrow guard",
                Boolean.TRUE.equals(guard.get("attached"))
                        ? "attached: program id " + guard.get("program") + ", " + guard.get("refused") + " refused, "
                                + guard.get("privileged") + " allowed by CAP_SYS_PTRACE"
                        : "not attached: " + guard.get("why"));
        row(out, "  ", "borrowing", borrowing(enforcement));
    }

    /** The protection against borrowing for a daemon's apps: its borrow guard, else this host's Yama. */
    private static String borrowing(Map<String, Object> enforcement) {
        boolean guard = Boolean.TRUE.equals(map(enforcement.get("borrowGuard")).get("attached"));
        try {
            return BorrowProtection.onThisHost(guard).line();
        } catch (IOException | RuntimeException e) {
            return (guard ? "borrow guard attached" : "no borrow guard") + "; Yama unreadable: " + e.getMessage();
        }
    }

    private static void row(PrintWriter out, String indent, String label, Object value) {
        out.println(indent + label + " ".repeat(Math.max(1, 14 - label.length())) + value);
    }

    @SuppressWarnings("unchecked") // status objects are JSON objects
    private static Map<String, Object> map(Object value) {
        return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    @SuppressWarnings("unchecked") // status arrays are JSON arrays
    private static List<Object> list(Object value) {
        return value instanceof List<?> l ? (List<Object>) l : List.of();
    }

    private static List<String> strings(Object value) {
        return list(value).stream().map(String::valueOf).toList();
    }
}
