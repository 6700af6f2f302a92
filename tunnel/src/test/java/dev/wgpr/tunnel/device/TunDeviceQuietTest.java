package dev.wgpr.tunnel.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.common.linux.Libc;
import dev.wgpr.testing.RequiresRoot;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The TUN reader's quiet action on a real interface (down, so nothing arrives): how the device's reader
 * gives back its batch buffers when the tunnel is idle.
 */
@RequiresRoot
class TunDeviceQuietTest {
    @Test
    void aReaderWithNothingToReadRunsItsQuietActionOnceAndStillEndsOnClose() throws Exception {
        String name = "wgprq"
                + HexFormat.of()
                        .toHexDigits(ThreadLocalRandom.current().nextInt())
                        .substring(0, 6);
        AtomicInteger quietRuns = new AtomicInteger();
        CountDownLatch quiet = new CountDownLatch(1);
        TunDevice tun = TunDevice.create(name, TunDevice.DEFAULT_MTU, false);
        try {
            CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment buffer = Libc.mapAnonymous(65536, arena);
                    return tun.read(buffer, Duration.ofMillis(200), () -> {
                        quietRuns.incrementAndGet();
                        quiet.countDown();
                    });
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertTrue(quiet.await(10, TimeUnit.SECONDS), "the quiet action ran");
            Thread.sleep(1000); // five more quiet spells' worth: the reader waits on without running it again
            assertEquals(1, quietRuns.get());

            tun.close();
            assertEquals(-1, read.get(10, TimeUnit.SECONDS), "a closed device ends the read");
        } finally {
            tun.close(); // idempotent: the interface goes with the descriptor, also when an assertion failed
        }
    }
}
