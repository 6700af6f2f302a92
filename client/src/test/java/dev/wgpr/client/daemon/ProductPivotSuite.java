package dev.wgpr.client.daemon;

import dev.wgpr.client.control.DeniedAttempt;
import dev.wgpr.client.daemon.ProductPivotLab.Inbound;
import dev.wgpr.enforcement.Agent;
import dev.wgpr.enforcement.InternalHost;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

/**
 * Runs vectors against a {@link ProductPivotLab}, every one of them whatever the others did, and
 * records for each what was expected and what was observed: the attacker's own view, the packets
 * that arrived at the internal network (for an internal host reaching in to a listener: what the
 * listener received), and the deny events {@code wg-pr events} printed for it.
 */
final class ProductPivotSuite {
    /** What a row must show. */
    enum Expected {
        /** Nothing arrives, the attempt fails, and a deny event names it (none when the kernel refuses). */
        DENIED,
        /** The attempt succeeds (the app within its grant; everyone's Internet, LAN and loopback). */
        WORKS,
        /** The kernel refuses with EPERM before anything is sent (raw and packet sockets): no event due. */
        EPERM,
        /** Observed and reported, not asserted: a documented limit of the design. */
        LIMIT,
        /**
         * Never through the tunnel (issue 18's modes: a process that is no app on a {@code bypass} tunnel,
         * an excluded app on a {@code deny} one): refused, or sent around the tunnel by the underlay,
         * which has no way to the internal hosts. Nothing may arrive behind the tunnel and nothing may
         * answer; no deny event is due (what goes around is not denied).
         */
        NOT_THROUGH,
        /**
         * Works around the tunnel (issue 18's modes): the attempt succeeds and the client's kernel handed
         * nothing to a tunnel device meanwhile, so the underlay carried it.
         */
        AROUND
    }

    /**
     * One attempt as the table shows it.
     *
     * @param arrived packets that arrived at the internal network; for an attempt to reach a listener in the
     *     client, the connections and datagrams the listener received
     * @param listener the program a deny event must name (an attempt to reach a listener), or empty
     */
    record Row(
            String attacker,
            String vector,
            Expected expected,
            String outcome,
            String detail,
            long intoTunnel,
            long arrived,
            String arrivedSample,
            List<String> events,
            long denials,
            boolean kernelRefuses,
            String listener) {
        boolean breached() {
            return outcome.equals("connected") || outcome.equals("replied");
        }

        String observed() {
            if (outcome.equals("error")) {
                return "ERROR";
            }
            if (expected == Expected.WORKS) {
                return breached() ? "WORKS" : "BLOCKED";
            }
            if (expected == Expected.AROUND) {
                return !breached() ? "BLOCKED" : intoTunnel > 0 ? "WORKS, TUNNEL" : "AROUND";
            }
            if (breached() || arrived > 0) {
                return "REACHED";
            }
            if (expected == Expected.EPERM) {
                return detail.contains("EPERM") ? "EPERM" : "NOT EPERM";
            }
            if (detail.startsWith("exec ")) {
                return "NOT STARTED"; // the command was refused before it could send anything
            }
            if (expected == Expected.NOT_THROUGH) {
                if (!events.isEmpty() || denials > 0) {
                    return "DENIED"; // a hook or the backstop
                }
                // Refused by the kernel or the underlay (EPERM, ENETUNREACH, ICMP unreachable), or sent
                // and lost on the underlay: nothing behind the tunnel saw it either way.
                return outcome.equals("sent") || detail.equals("timeout") ? "AROUND, LOST" : "REFUSED";
            }
            if (!listener.isEmpty()) {
                // Refused on its way to a listener: the event must name the program, as `wg-pr events` does.
                return events.stream().anyMatch(event -> event.endsWith(" by " + listener))
                        ? "DENIED"
                        : events.isEmpty() ? "DENIED, NO EVENT" : "DENIED, UNNAMED";
            }
            // ENETUNREACH: no route at all (e.g. to a link-local address: the tunnel has none), no hook ran.
            boolean unroutable = detail.contains("ENETUNREACH");
            if (events.isEmpty() && denials == 0 && !kernelRefuses && !unroutable && !outcome.equals("absent")) {
                return "DENIED, NO EVENT";
            }
            return "DENIED";
        }

        boolean asExpected() {
            return switch (expected) {
                case DENIED -> observed().equals("DENIED") || observed().equals("NOT STARTED");
                case EPERM -> observed().equals("EPERM");
                case WORKS -> observed().equals("WORKS");
                case LIMIT -> !observed().equals("ERROR");
                case NOT_THROUGH -> !breached() && arrived == 0 && !observed().equals("ERROR");
                case AROUND -> observed().equals("AROUND");
            };
        }
    }

    private final ProductPivotLab lab;
    private final List<Row> rows = new ArrayList<>();

    ProductPivotSuite(ProductPivotLab lab) {
        this.lab = lab;
    }

    List<Row> rows() {
        return List.copyOf(rows);
    }

    /** Runs {@code vector} in {@code agent}; its deny events are those of the agent's uid. */
    Row run(Agent agent, String vector, Expected expected) throws Exception {
        return run(agent, vector, expected, uidIn(Set.of((long) agent.uid())));
    }

    /**
     * Runs {@code vector} in {@code agent} through a socket {@code owner} made and handed over: a deny
     * event may name either (a hook that runs in the sending task names its uid, the tunnel's backstop
     * the socket's owner).
     */
    Row runWithSocketOf(Agent owner, Agent agent, String vector, Expected expected) throws Exception {
        // An excluded app may run as the app's own user: one uid then.
        return run(agent, vector, expected, uidIn(Set.copyOf(List.of((long) agent.uid(), (long) owner.uid()))));
    }

    private static Predicate<Map<String, Object>> uidIn(Set<Long> uids) {
        return event -> uids.contains(((Number) event.get("uid")).longValue());
    }

    /**
     * Runs {@code vector} in {@code agent} outside the tunnel's namespace (a neighbour whose traffic the
     * client forwards): every deny event printed meanwhile is its.
     */
    Row runAnyEvent(Agent agent, String vector, Expected expected) throws Exception {
        return run(agent, vector, expected, event -> true);
    }

    private Row run(Agent agent, String vector, Expected expected, Predicate<Map<String, Object>> ours)
            throws Exception {
        return record(
                agent.label(), vector, expected, Agent.KERNEL_REFUSES.contains(vector), ours, capture(), "", () -> {
                    Agent.Result result = agent.run(vector);
                    return new Inbound(result.outcome(), result.detail());
                });
    }

    /**
     * Records an attempt that is not an agent's own (forwarded traffic, an internal host reaching in):
     * every deny event printed meanwhile is its.
     */
    Row record(String attacker, String vector, Expected expected, Callable<Inbound> attempt) throws Exception {
        return record(attacker, vector, expected, false, event -> true, capture(), "", attempt);
    }

    /**
     * Records an internal host's attempt, from {@code source}, to reach {@code port} ({@code protocol}) of the
     * listeners {@code listener} runs in the client: what arrived is what the listener received (connections
     * accepted, datagrams), and its deny events are the inbound ones for that source and port, which must name
     * the listening program, {@code program}.
     */
    Row recordInbound(
            String vector,
            Expected expected,
            Agent listener,
            String program,
            String source,
            int port,
            String protocol,
            Callable<Inbound> attempt)
            throws Exception {
        Predicate<Map<String, Object>> ours = event -> DeniedAttempt.INBOUND.equals(event.get("direction"))
                && source.equals(event.get("source"))
                && event.get("localPort") instanceof Number local
                && local.intValue() == port
                && protocol.equals(event.get("protocol"));
        Capture received = new Capture() {
            @Override
            public long settled() throws IOException {
                return Long.parseLong(listener.ask("RECEIVED " + port).strip());
            }

            @Override
            public InternalHost.Count since(long before) throws IOException {
                return new InternalHost.Count(settled(), "received by " + listener.label() + " on " + port);
            }
        };
        return record("internal", vector, expected, false, ours, received, program, attempt);
    }

    /**
     * Where a row counts what arrived: {@link #settled} before the attempt, {@link #since} that after it (the
     * count and a sample of what arrived).
     */
    private interface Capture {
        long settled() throws IOException, InterruptedException;

        InternalHost.Count since(long before) throws IOException;
    }

    /** The capture behind the tunnels: packets that arrived at the internal network. */
    private Capture capture() {
        return new Capture() {
            @Override
            public long settled() throws IOException, InterruptedException {
                return lab.settledArrivals();
            }

            @Override
            public InternalHost.Count since(long before) throws IOException {
                return lab.arrivedSince(before);
            }
        };
    }

    private Row record(
            String attacker,
            String vector,
            Expected expected,
            boolean kernelRefuses,
            Predicate<Map<String, Object>> ours,
            Capture capture,
            String listener,
            Callable<Inbound> attempt)
            throws Exception {
        long before = capture.settled();
        long intoTunnelBefore = lab.intoTunnels();
        lab.newEvents(); // what earlier rows left is theirs
        long denialsBefore = lab.denials();
        Inbound result;
        try {
            result = attempt.call();
        } catch (IOException | RuntimeException e) {
            result = new Inbound("error", e.toString());
        }
        Thread.sleep(60); // a SYN or datagram in flight reaches the capture
        InternalHost.Count after = capture.since(before);
        long intoTunnel = lab.intoTunnels() - intoTunnelBefore;
        List<String> events = new ArrayList<>();
        // Events reach `wg-pr events --follow` through the daemon's poll of the ring buffer: wait for
        // them where one is due, not where the kernel refused or the attempt was to work.
        long deadline = System.nanoTime()
                + (expected == Expected.WORKS || expected == Expected.AROUND || kernelRefuses
                        ? 150_000_000L
                        : expected == Expected.NOT_THROUGH ? 500_000_000L : 1_500_000_000L);
        do {
            for (Map<String, Object> event : lab.newEvents()) {
                if (ours.test(event)) {
                    events.add(shown(event));
                }
            }
            if (!events.isEmpty()) {
                break;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        Row row = new Row(
                attacker,
                vector,
                expected,
                result.outcome(),
                result.detail(),
                intoTunnel,
                after.packets() - before,
                after.last(),
                List.copyOf(events),
                lab.denials() - denialsBefore,
                kernelRefuses,
                listener);
        rows.add(row);
        return row;
    }

    /**
     * A deny event as the table shows it: the hook, the remote end and the protocol; an inbound one also the
     * local port and the program listening there ("an unknown program" when the daemon named none).
     */
    private static String shown(Map<String, Object> event) {
        if (DeniedAttempt.INBOUND.equals(event.get("direction"))) {
            Object comm = event.get("comm");
            return event.get("hook") + ":" + event.get("source") + ">:" + event.get("localPort") + "/"
                    + event.get("protocol") + " by "
                    + (comm == null || comm.toString().isEmpty() ? "an unknown program" : comm);
        }
        return event.get("hook") + ":" + event.get("destination") + "/" + event.get("protocol");
    }

    /** The rows not as expected. */
    List<Row> failures() {
        return rows.stream().filter(row -> !row.asExpected()).toList();
    }

    String table() {
        StringBuilder table = new StringBuilder();
        String format = "%-10s %-46s %-11s %-17s %-7s %-7s %-30s %s%n";
        table.append(String.format(
                "%n" + format,
                "attacker",
                "vector",
                "expected",
                "observed",
                "tunnel",
                "arrived",
                "deny events",
                "detail"));
        for (Row row : rows) {
            table.append(String.format(
                    format,
                    row.attacker(),
                    row.vector(),
                    row.expected(),
                    row.observed(),
                    row.intoTunnel(),
                    row.arrived(),
                    !row.events().isEmpty()
                            ? row.events().size() + " " + row.events().getFirst()
                            : row.denials() > 0
                                    ? "summarised (" + row.denials() + " counted)"
                                    : row.kernelRefuses() ? "- (kernel refuses)" : "-",
                    (row.outcome() + " " + row.detail()).strip()
                            + (row.arrived() > 0 ? " [" + row.arrivedSample() + "]" : "")));
        }
        long denied = rows.stream()
                .filter(row -> row.expected() == Expected.DENIED || row.expected() == Expected.EPERM)
                .count();
        long deniedAsExpected = rows.stream()
                .filter(row -> row.expected() == Expected.DENIED || row.expected() == Expected.EPERM)
                .filter(Row::asExpected)
                .count();
        long works = rows.stream()
                .filter(row -> row.expected() == Expected.WORKS || row.expected() == Expected.AROUND)
                .count();
        long worksAsExpected = rows.stream()
                .filter(row -> row.expected() == Expected.WORKS || row.expected() == Expected.AROUND)
                .filter(Row::asExpected)
                .count();
        table.append(String.format(
                "%ndenied as expected: %d/%d; allowed cases working: %d/%d",
                deniedAsExpected, denied, worksAsExpected, works));
        long notThrough = rows.stream()
                .filter(row -> row.expected() == Expected.NOT_THROUGH)
                .count();
        if (notThrough > 0) {
            table.append(String.format(
                    "; never through the tunnel as expected: %d/%d",
                    rows.stream()
                            .filter(row -> row.expected() == Expected.NOT_THROUGH && row.asExpected())
                            .count(),
                    notThrough));
        }
        table.append(String.format("%n"));
        return table.toString();
    }
}
