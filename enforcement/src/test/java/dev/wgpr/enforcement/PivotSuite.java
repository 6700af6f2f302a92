package dev.wgpr.enforcement;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs pivot vectors against a {@link PivotLab} and records, for each: what the attacker saw, how
 * many of its packets arrived at the internal network (the capture), and which enforcement layer
 * left a deny event for it. Used by PivotKernelTest (bench/pivots prints the product's suite, ProductPivotTest in client).
 */
final class PivotSuite {
    record Row(
            String agent,
            String vector,
            String outcome,
            String detail,
            long arrived,
            String arrivedSample,
            Set<String> layers,
            boolean expectEvent) {
        boolean blocked() {
            return arrived == 0
                    && !outcome.equals("connected")
                    && !outcome.equals("replied")
                    && !outcome.equals("error");
        }

        boolean eventAsExpected() {
            return !expectEvent || !layers.isEmpty() || outcome.equals("absent");
        }

        boolean passed() {
            return blocked() && eventAsExpected();
        }
    }

    private final PivotLab lab;
    private final List<Row> rows = new ArrayList<>();

    PivotSuite(PivotLab lab) {
        this.lab = lab;
    }

    List<Row> rows() {
        return rows;
    }

    /** Runs {@code vector} in {@code agent}; deny events of the agent's uid (or forwarded) are its. */
    Row run(Agent agent, String vector) throws IOException, InterruptedException {
        return run(agent, vector, "", !Agent.KERNEL_REFUSES.contains(vector));
    }

    /**
     * As {@link #run(Agent, String)}, the row named {@code vector + suffix}, with the expectation of a
     * deny event given.
     */
    Row run(Agent agent, String vector, String suffix, boolean expectEvent) throws IOException, InterruptedException {
        lab.world.enforcer.drainEvents();
        long suppressedBefore = lab.world.enforcer.counters().get(Counter.EVENTS_SUPPRESSED);
        long before = lab.arrived().packets();
        Agent.Result result;
        if (vector.equals("tcp4-connect-during-reloads")) {
            result = duringReloads(agent, vector);
        } else {
            result = agent.run(vector);
        }
        Thread.sleep(60); // a SYN or datagram in flight reaches the capture
        InternalHost.Count after = lab.arrived();
        Set<String> layers = new TreeSet<>();
        for (DenyEvent event : lab.world.enforcer.pollEvents(Duration.ofMillis(20))) {
            boolean forwarded = event.reason() == Counter.DENY_FORWARDED;
            // A socket an app handed over is the app's: the backstop names its owner, the app's uid.
            boolean appsSocket = vector.endsWith("-from-app") && event.uid() == PivotLab.APP_UID;
            if (event.uid() == agent.uid()
                    || appsSocket
                    || (forwarded && agent.label().startsWith("forwarded"))) {
                layers.add(event.layer() == Hook.Layer.BACKSTOP ? "backstop" : "sock_addr");
            }
        }
        if (layers.isEmpty() && lab.world.enforcer.counters().get(Counter.EVENTS_SUPPRESSED) > suppressedBefore) {
            // Its source had five events this second already (the kernel's event rate limit): counted.
            layers.add("summarised");
        }
        Row row = new Row(
                agent.label(),
                vector + suffix,
                result.outcome(),
                result.detail(),
                after.packets() - before,
                after.last(),
                layers,
                expectEvent);
        rows.add(row);
        return row;
    }

    /** Connects in a tight loop while generations are published continuously. */
    private Agent.Result duringReloads(Agent agent, String vector) throws IOException {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong published = new AtomicLong();
        Policy a = PivotLab.policy();
        Policy b = EnforcementLab.basePolicy()
                .grant(PivotLab.SSH, "10.20.0.0/16 tcp/22")
                .grant(PivotLab.WEB, "10.20.5.0/24 tcp/443")
                .build();
        Thread publisher = Thread.ofPlatform().start(() -> {
            try {
                while (!stop.get()) {
                    lab.world.enforcer.publish(published.get() % 2 == 0 ? b : a);
                    published.incrementAndGet();
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            Agent.Result result = agent.run(vector);
            return new Agent.Result(
                    result.vector(), result.outcome(), result.detail() + ", " + published.get() + " generations");
        } finally {
            stop.set(true);
            try {
                publisher.join();
                lab.world.enforcer.publish(PivotLab.policy());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    long blocked() {
        return rows.stream().filter(Row::passed).count();
    }

    String table() {
        StringBuilder table = new StringBuilder();
        table.append(String.format(
                "%n%-9s %-50s %-8s %-10s %-8s %-18s %s%n",
                "attacker", "vector", "expected", "result", "arrived", "deny event", "detail"));
        for (Row row : rows) {
            table.append(String.format(
                    "%-9s %-50s %-8s %-10s %-8d %-18s %s%n",
                    row.agent(),
                    row.vector(),
                    "blocked",
                    row.passed() ? "blocked" : row.blocked() ? "NO EVENT" : "BREACH",
                    row.arrived(),
                    row.layers().isEmpty()
                            ? (row.outcome().equals("absent")
                                    ? "- (absent)"
                                    : row.expectEvent() ? "MISSING" : "- (kernel)")
                            : String.join("+", row.layers()),
                    row.outcome()
                            + (row.detail().isEmpty() ? "" : " " + row.detail())
                            + (row.arrived() > 0 ? " [" + row.arrivedSample() + "]" : "")));
        }
        table.append(String.format("%nblocked: %d/%d%n", blocked(), rows.size()));
        return table.toString();
    }
}
