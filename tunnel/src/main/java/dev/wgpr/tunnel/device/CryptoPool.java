package dev.wgpr.tunnel.device;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Worker threads that seal and open packets in parallel, as wireguard-go's encryption and decryption
 * workers. An I/O thread {@link #submit submits} the crypto of each packet of a batch as a {@link Job} and
 * then {@link #await awaits} the jobs in the order it submitted them, so the packets go on the wire (or into
 * the TUN) in the order they arrived: per peer as in wireguard-go's sequential queues, and here for all
 * peers of one direction. While it waits, the I/O thread runs queued jobs itself (its own first), so no
 * core idles and a job never waits for a busy worker.
 */
final class CryptoPool implements AutoCloseable {
    /** How many of a batch's packets may be in flight before the I/O thread hands them on. */
    static final int IN_FLIGHT = 64;

    /** Beyond this many threads the queue, not the crypto, is what limits. */
    static final int MAX_THREADS = 8;

    /** System property overriding {@link #defaultThreads()}; 1 does all crypto inline in the I/O threads. */
    static final String THREADS_PROPERTY = "wgpr.cryptoThreads";

    /** One packet's crypto: run exactly once, by a worker or by the I/O thread that awaits it. */
    static final class Job {
        private final Runnable crypto;
        private final AtomicBoolean claimed = new AtomicBoolean();
        private volatile boolean done;
        private volatile Thread waiter;
        private RuntimeException failure;

        Job(Runnable crypto) {
            this.crypto = crypto;
        }

        /** Runs the crypto unless another thread has claimed it; true if this thread ran it. */
        boolean tryRun() {
            if (claimed.get() || !claimed.compareAndSet(false, true)) {
                return false;
            }
            try {
                crypto.run();
            } catch (RuntimeException e) {
                failure = e; // thrown to the thread that awaits this job, not to whoever ran it
            } catch (Throwable t) {
                // An error too: the worker goes on, and the waiter must not take the packet for sealed.
                failure = new IllegalStateException("crypto failed: " + t, t);
            } finally {
                done = true; // publishes what the crypto wrote to the thread that sees it
                Thread w = waiter;
                if (w != null) {
                    LockSupport.unpark(w);
                }
            }
            return true;
        }
    }

    private final LinkedBlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final List<Thread> workers = new ArrayList<>();
    /** Jobs a worker ran (the others ran on the I/O thread that awaited them); tests see parallelism here. */
    final LongAdder ranByWorkers = new LongAdder();

    private CryptoPool(int threads, String name) {
        for (int i = 0; i < threads; i++) {
            workers.add(Thread.ofPlatform()
                    .name("wg-crypto-" + i + "-" + name)
                    .daemon()
                    .start(this::work));
        }
    }

    /**
     * The crypto threads of a device by default: one per core up to {@link #MAX_THREADS}, but none (inline
     * crypto, no hand-off) on two cores or fewer, where the two I/O threads alone can keep every core busy.
     * On a shared two-core machine, {@code bench/tunnel 5} alternating 2 workers and inline at a load average
     * near 4, wg-pr to wg-pr with one stream made 2.09 and 1.99 Gbit/s with workers against 2.92 and 2.59
     * inline (four streams 2.40, 2.58 against 3.07, 3.18), and wg-pr to wireguard-go was about 15 % slower
     * with workers in five rounds of five: the hand-off costs there and wins nothing, so it is only paid where
     * there are spare cores.
     */
    static int defaultThreads() {
        String property = System.getProperty(THREADS_PROPERTY);
        if (property != null) {
            try {
                return Math.max(1, Integer.parseInt(property.strip()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "system property " + THREADS_PROPERTY + ": not a number of threads: '" + property + "'");
            }
        }
        int cores = Runtime.getRuntime().availableProcessors();
        return cores <= 2 ? 1 : Math.min(cores, MAX_THREADS);
    }

    /** A pool of {@code threads} workers, or null for one thread: crypto inline, without any hand-off. */
    static CryptoPool startOrInline(int threads, String name) {
        return threads <= 1 ? null : new CryptoPool(Math.min(threads, MAX_THREADS), name);
    }

    int threads() {
        return workers.size();
    }

    void submit(Job job) {
        queue.add(job);
    }

    /**
     * Returns once {@code job} has run: runs it here if no worker took it, else helps with others.
     *
     * @throws RuntimeException what the job's crypto threw
     */
    void await(Job job) {
        if (!job.tryRun() && !job.done) {
            job.waiter = Thread.currentThread();
            while (!job.done) {
                Job other = queue.poll();
                if (other != null) {
                    other.tryRun();
                } else if (!job.done) {
                    LockSupport.park(this);
                }
            }
        }
        if (job.failure != null) {
            throw job.failure;
        }
    }

    private void work() {
        while (true) {
            Job job;
            try {
                job = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (job.tryRun()) {
                ranByWorkers.increment();
            }
        }
    }

    @Override
    public void close() {
        workers.forEach(Thread::interrupt);
    }

    /** Buffer {@code i} of {@code ring} (one per job in flight), made at least {@code size} bytes long. */
    static byte[] slot(byte[][] ring, int i, int size) {
        byte[] buffer = ring[i];
        if (buffer == null || buffer.length < size) {
            buffer = new byte[Math.max(size, 2048)];
            ring[i] = buffer;
        }
        return buffer;
    }
}
