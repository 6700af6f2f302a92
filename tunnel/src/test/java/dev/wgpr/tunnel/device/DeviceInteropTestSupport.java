package dev.wgpr.tunnel.device;

import dev.wgpr.testing.lab.Namespace;
import java.util.function.BooleanSupplier;

/** Waiting helpers for tests whose effects arrive over real sockets. */
final class DeviceInteropTestSupport {
    private DeviceInteropTestSupport() {}

    /** Pings up to {@code attempts} times (one second each); true on the first reply. */
    static boolean pingWithin(Namespace ns, String address, int attempts) {
        for (int i = 0; i < attempts; i++) {
            if (ns.ping(address)) {
                return true;
            }
        }
        return false;
    }

    static void awaitTrue(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 5 s: " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for: " + what, e);
            }
        }
    }
}
