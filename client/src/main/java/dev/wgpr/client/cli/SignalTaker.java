package dev.wgpr.client.cli;

import dev.wgpr.client.lockdown.ExecBindings;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.function.IntConsumer;

/**
 * The one thread of this JVM that takes the forwarded signals when every thread blocks them
 * ({@link SignalForwarding#blockedFromTheStart}): it waits for them with rt_sigtimedwait(2) and hands each
 * to a consumer. Once {@link #stop} has returned, nothing in this JVM takes one: each stays pending in the
 * process, and an exec keeps it for the program it runs. The JVM's own handlers give no such moment: they
 * run on threads its dispatcher starts some time after the signal came, and one that comes too late for
 * the exec is lost.
 */
final class SignalTaker {
    /**
     * What {@link #stop} sends the taker to end its wait: SIGURG, which nothing in this JVM handles, blocked
     * in the taker's thread alone so that it waits there.
     */
    private static final int STOP = 23;

    private final Thread thread;
    private final CountDownLatch waiting = new CountDownLatch(1);
    private volatile int threadId;

    private SignalTaker(int[] signals, IntConsumer take) {
        int[] taken = Arrays.copyOf(signals, signals.length + 1);
        taken[signals.length] = STOP;
        thread = Thread.ofPlatform().name("signal taker").daemon().unstarted(() -> takeUntilStopped(taken, take));
    }

    /** A started taker of {@code signals}, which every thread of this JVM blocks, each given to {@code take}. */
    static SignalTaker start(int[] signals, IntConsumer take) {
        SignalTaker taker = new SignalTaker(signals, take);
        taker.thread.start();
        return taker;
    }

    private void takeUntilStopped(int[] taken, IntConsumer take) {
        try {
            ExecBindings.blockInThisThread(STOP);
            threadId = ExecBindings.threadId();
        } catch (ErrnoException e) {
            throw new IllegalStateException("the signal taker cannot start", e);
        } finally {
            waiting.countDown();
        }
        while (true) {
            int signal;
            try {
                signal = ExecBindings.takeSignal(taken);
            } catch (ErrnoException e) {
                if (e.errno() == Libc.EINTR) {
                    continue;
                }
                throw new IllegalStateException("the signal taker cannot wait", e);
            }
            if (signal == STOP) {
                return;
            }
            take.accept(signal);
        }
    }

    /**
     * Returns once the taker has handed on every signal it took and takes no more. (A taker that failed,
     * loudly, took none since.)
     */
    void stop() throws InterruptedException {
        waiting.await();
        if (thread.isAlive()) {
            try {
                ExecBindings.signalThread(threadId, STOP);
            } catch (ErrnoException e) {
                throw new IllegalStateException("cannot stop the signal taker", e);
            }
        }
        thread.join();
    }
}
