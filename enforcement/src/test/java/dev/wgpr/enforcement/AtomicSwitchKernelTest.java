package dev.wgpr.enforcement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.enforcement.Prober.Probe;
import dev.wgpr.enforcement.policy.Protocol;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Generations switch continuously while probers hammer one destination both generations allow and
 * one both deny: a publish that edited the live trie in place (delete, then insert) would let
 * attempts see a half-built policy; one pointer swap never does.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class AtomicSwitchKernelTest {
    static final AppId APP = AppId.of(1);
    /** -Dwgpr.bench.attempts raises it, to count transients over millions of connects. */
    static final int ATTEMPTS = Integer.getInteger("wgpr.bench.attempts", 200_000);

    /** Two generations that differ everywhere except in the two probed destinations' verdicts. */
    static Policy generation(boolean second) {
        Policy.Builder builder = Policy.builder().internal("10.20.0.0/16", 0).internal("fd10:20::/32", 0);
        if (second) {
            builder.grant(APP, "10.20.0.0/17 tcp/22,80")
                    .exclude("10.20.128.0/24")
                    .grant(APP, "fd10:20::/32 udp/53");
        } else {
            builder.grant(APP, "10.20.1.0/24 tcp/22").grant(APP, "10.20.1.1/32 udp/53");
        }
        // Filler, so building a generation takes a while: many prefixes in the app's trie and the internal set.
        for (int i = 0; i < 500; i++) {
            builder.internal("10.30." + (i / 256 + (second ? 10 : 0)) + "." + (i % 256) + "/32", 0);
            builder.grant(APP, "10.30." + (i / 256 + (second ? 10 : 0)) + "." + (i % 256) + "/32 tcp/443");
        }
        return builder.build();
    }

    @Test
    void continuousSwitchesShowNoTransientAllowAndNoTransientDeny(NetnsLab lab) throws Exception {
        Policy first = generation(false);
        Policy second = generation(true);
        Probe allowedInBoth = new Probe("tcp", 4, "10.20.1.1", 22);
        Probe deniedInBoth = new Probe("tcp", 4, "10.20.2.1", 23);
        for (Policy policy : List.of(first, second)) {
            assertTrue(ReferenceModel.decide(policy, Optional.of(APP), ip("10.20.1.1"), Protocol.TCP, 22)
                    .allowed());
            assertTrue(!ReferenceModel.decide(policy, Optional.of(APP), ip("10.20.2.1"), Protocol.TCP, 23)
                    .allowed());
        }
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong switches = new AtomicLong();
        long transientDenies = 0;
        long transientAllows = 0;
        long attempts = 0;
        long started = System.nanoTime();
        try (EnforcementLab world = EnforcementLab.create(lab, first);
                ExecutorService pool = Executors.newFixedThreadPool(3)) {
            Path cgroup = world.enforcer.addApp("app", APP);
            List<Prober> probers =
                    List.of(world.prober("hammer1", Optional.of(cgroup)), world.prober("hammer2", Optional.of(cgroup)));
            Future<?> flipper = pool.submit(() -> {
                boolean useSecond = true;
                while (running.get()) {
                    world.publish(useSecond ? second : first);
                    useSecond = !useSecond;
                    switches.incrementAndGet();
                }
                return null;
            });
            List<Future<long[]>> hammers = new ArrayList<>();
            for (Prober prober : probers) {
                hammers.add(pool.submit(() -> hammer(prober, allowedInBoth, deniedInBoth, ATTEMPTS / probers.size())));
            }
            for (Future<long[]> hammer : hammers) {
                long[] counts = hammer.get();
                transientDenies += counts[0];
                transientAllows += counts[1];
                attempts += counts[2];
            }
            running.set(false);
            flipper.get();
        }
        System.out.printf(
                "atomic switch: %,d attempts during %,d generation switches in %,d ms: %d transient allows, %d transient denies%n",
                attempts, switches.get(), Prober.since(started).toMillis(), transientAllows, transientDenies);
        assertEquals(ATTEMPTS, attempts);
        assertTrue(switches.get() >= 20, "the generations really switched: " + switches.get());
        assertEquals(0, transientAllows, "transient allows");
        assertEquals(0, transientDenies, "transient denies");
    }

    private static long[] hammer(Prober prober, Probe allowed, Probe denied, int attempts) throws IOException {
        long transientDenies = 0;
        long transientAllows = 0;
        int done = 0;
        while (done < attempts) {
            List<Probe> batch = new ArrayList<>();
            for (int i = 0; i < 500 && done + batch.size() < attempts; i++) {
                batch.add(i % 2 == 0 ? allowed : denied);
            }
            int[] errnos = prober.run(batch);
            for (int i = 0; i < errnos.length; i++) {
                boolean permitted = errnos[i] != Prober.EPERM;
                if (batch.get(i) == allowed && !permitted) {
                    transientDenies++;
                }
                if (batch.get(i) == denied && permitted) {
                    transientAllows++;
                }
            }
            done += batch.size();
        }
        return new long[] {transientDenies, transientAllows, done};
    }

    static InetAddress ip(String literal) {
        return IpPrefix.parseAddress(literal);
    }
}
