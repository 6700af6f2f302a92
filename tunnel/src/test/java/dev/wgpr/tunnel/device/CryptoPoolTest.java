package dev.wgpr.tunnel.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class CryptoPoolTest {
    @Test
    void oneThreadMeansInlineCryptoWithoutAPool() {
        assertNull(CryptoPool.startOrInline(1, "test"));
    }

    @Test
    void everyJobRunsExactlyOnceAndIsDoneWhenAwaitedInSubmissionOrder() {
        CryptoPool pool = CryptoPool.startOrInline(4, "test");
        try {
            int n = 20_000;
            AtomicIntegerArray runs = new AtomicIntegerArray(n);
            int[] results = new int[n];
            for (int start = 0; start < n; start += CryptoPool.IN_FLIGHT) {
                List<CryptoPool.Job> batch = new ArrayList<>();
                for (int i = start; i < Math.min(n, start + CryptoPool.IN_FLIGHT); i++) {
                    int index = i;
                    CryptoPool.Job job = new CryptoPool.Job(() -> {
                        runs.incrementAndGet(index);
                        results[index] = index * 7; // published to the awaiting thread by the job's completion
                    });
                    batch.add(job);
                    pool.submit(job);
                }
                for (int j = 0; j < batch.size(); j++) {
                    pool.await(batch.get(j));
                    assertEquals((start + j) * 7, results[start + j], "result visible once awaited");
                }
            }
            for (int i = 0; i < n; i++) {
                assertEquals(1, runs.get(i), "job " + i + " ran once");
            }
            assertTrue(pool.ranByWorkers.sum() > 0, "workers took part");
        } finally {
            pool.close();
        }
    }

    @Test
    void whatAJobThrowsReachesTheThreadThatAwaitsIt() {
        CryptoPool pool = CryptoPool.startOrInline(2, "test");
        try {
            IllegalStateException failure = new IllegalStateException("bad packet");
            CryptoPool.Job job = new CryptoPool.Job(() -> {
                throw failure;
            });
            pool.submit(job);
            assertSame(failure, assertThrows(IllegalStateException.class, () -> pool.await(job)));
        } finally {
            pool.close();
        }
    }

    @Test
    void aThreadCountPropertyThatIsNoNumberIsNamedInTheError() {
        String before = System.getProperty(CryptoPool.THREADS_PROPERTY);
        System.setProperty(CryptoPool.THREADS_PROPERTY, "many");
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, CryptoPool::defaultThreads);
            assertTrue(e.getMessage().contains("wgpr.cryptoThreads")
                    && e.getMessage().contains("many"));
            System.setProperty(CryptoPool.THREADS_PROPERTY, "3");
            assertEquals(3, CryptoPool.defaultThreads());
        } finally {
            if (before == null) {
                System.clearProperty(CryptoPool.THREADS_PROPERTY);
            } else {
                System.setProperty(CryptoPool.THREADS_PROPERTY, before);
            }
        }
    }
}
