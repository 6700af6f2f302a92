package dev.wgpr.client.cli;

import dev.wgpr.client.lockdown.ExecBindings;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.stream.Collectors;

/**
 * Catches SIGINT, SIGTERM and SIGHUP in this JVM and hands their numbers to a consumer, so that
 * {@code wg-pr run} forwards them to the app instead of dying. Two ways:
 *
 * <ul>
 *   <li>When the launcher started this JVM with them blocked and {@code -Xrs}, so that no thread of it
 *       unblocks them ({@link #blockedFromTheStart}, the launchers' {@code run}), one thread takes them
 *       ({@link SignalTaker}). {@link #holdForExec} stops it, and from then on each stays pending for the
 *       waiter the exec runs: none is lost in the hand-over.
 *   <li>Otherwise through the JVM's own handlers, {@code sun.misc.Signal} (module jdk.unsupported,
 *       exported to everyone), reached by reflection because javac flags any direct use as proprietary
 *       API, which {@code -Werror} refuses. A signal that comes just before an exec can be lost there.
 * </ul>
 */
final class SignalForwarding {
    /** The signals {@link #install} forwards: their names by their numbers on Linux. */
    static final Map<Integer, String> FORWARDED = Map.of(1, "HUP", 2, "INT", 15, "TERM");

    /** The threads the JVM runs the handlers of {@link #install} on, one per signal caught. */
    private static final Set<String> HANDLER_THREADS =
            FORWARDED.values().stream().map(name -> "SIG" + name + " handler").collect(Collectors.toUnmodifiableSet());

    private SignalForwarding() {}

    /** The numbers of {@link #FORWARDED}. */
    static final int[] FORWARDED_NUMBERS =
            FORWARDED.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();

    /** The taker of the forwarded signals while they are blocked from the start, or null. */
    private static SignalTaker taker;

    /** What the forwarded signals go to, for {@link #resume}. */
    private static IntConsumer forwarding;

    static synchronized void install(IntConsumer forward) throws InterruptedException {
        forwarding = forward;
        if (blockedFromTheStart()) {
            if (taker != null) {
                taker.stop();
            }
            taker = SignalTaker.start(FORWARDED_NUMBERS, forward);
        } else {
            handle(forward, FORWARDED.values().toArray(String[]::new));
        }
    }

    /**
     * Whether every thread of this JVM has blocked SIGHUP, SIGINT and SIGTERM since it started: the
     * launcher blocked them before it ran java ({@code env --block-signal}), and {@code -Xrs} keeps the JVM
     * from unblocking them in its threads (which it does otherwise, and then they are unblocked here too).
     */
    static boolean blockedFromTheStart() {
        return StartMask.BLOCKED;
    }

    /** The calling thread's mask, read once: from /proc, without a system call's downcall. */
    private static final class StartMask {
        static final boolean BLOCKED = forwardedBlocked();

        private static boolean forwardedBlocked() {
            long forwarded = ExecBindings.signalBits(FORWARDED_NUMBERS);
            try {
                for (String line : Files.readAllLines(Path.of("/proc/thread-self/status"))) {
                    if (line.startsWith("SigBlk:")) {
                        long blocked = Long.parseUnsignedLong(
                                line.substring("SigBlk:".length()).strip(), 16);
                        return (blocked & forwarded) == forwarded;
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // not Linux's /proc: the JVM's handlers then
            }
            return false;
        }
    }

    /** Runs {@code action} on each SIGWINCH: the terminal's window changed size. */
    static void onWindowChange(Runnable action) {
        handle(signal -> action.run(), "WINCH");
    }

    /**
     * Before an exec: returns once every SIGINT, SIGTERM and SIGHUP taken so far has been through its
     * handler. With the signals {@link #blockedFromTheStart blocked from the start}, none is taken after
     * this, until {@link #resume}: each waits, pending, for the program the exec runs. Otherwise the JVM's
     * handlers go on taking them, and one taken between this and the exec is lost.
     */
    static void holdForExec(long patienceSeconds) throws InterruptedException {
        synchronized (SignalForwarding.class) {
            if (taker != null) {
                taker.stop();
                taker = null;
                return;
            }
        }
        awaitHandled(patienceSeconds);
    }

    /** After {@link #holdForExec}, when the exec failed: the signals go where {@link #install} sent them. */
    static synchronized void resume() throws InterruptedException {
        if (forwarding != null) {
            install(forwarding);
        }
    }

    /**
     * Returns once every SIGINT, SIGTERM and SIGHUP this JVM caught before the call has been through its
     * handler. The JVM runs each handler on a thread of its own, which its signal dispatcher starts for
     * the caught signals lowest number first: once a SIGURG (23) raised now has come to its handler, the
     * threads of those caught before it (1, 2, 15) have started, and joining them is enough. A dispatcher
     * that takes longer than {@code patience} is not waited for.
     */
    private static void awaitHandled(long patienceSeconds) throws InterruptedException {
        CountDownLatch marker = new CountDownLatch(1);
        if (!handle(signal -> marker.countDown(), "URG")) {
            return; // nothing is handled in Java
        }
        raise("URG");
        if (!marker.await(patienceSeconds, TimeUnit.SECONDS)) {
            return;
        }
        for (Thread thread : allThreads()) {
            if (thread != null && HANDLER_THREADS.contains(thread.getName())) {
                thread.join();
            }
        }
    }

    /**
     * The live threads of this JVM (nulls past the end): those of the root thread group, which holds the
     * signal dispatcher's. Not Thread.getAllStackTraces, which stops every thread to walk its stack when
     * only the names are wanted.
     */
    private static Thread[] allThreads() {
        ThreadGroup root = Thread.currentThread().getThreadGroup();
        while (root.getParent() != null) {
            root = root.getParent();
        }
        Thread[] threads = new Thread[root.activeCount() + 16]; // room for those started meanwhile
        root.enumerate(threads, true);
        return threads;
    }

    /**
     * Raises signal {@code name} in this process, as sun.misc.Signal does: without a binding of kill(2) of
     * its own, which the JVM would have to make at this moment (a good part of a hand-over's time).
     */
    private static void raise(String name) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            signalClass.getMethod("raise", signalClass).invoke(null, signal(signalClass, name));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("sun.misc.Signal handles signals but does not raise " + name, e);
        }
    }

    /** The sun.misc.Signal named {@code name} ("TERM"). */
    private static Object signal(Class<?> signalClass, String name) throws ReflectiveOperationException {
        return signalClass.getConstructor(String.class).newInstance(name);
    }

    /**
     * Makes the class of the handlers that {@link #install} makes, and handles nothing: a dynamic proxy
     * class, which the JVM defines at the first handler (some 10 ms in the CLI's interpreter; the
     * ahead-of-time cache does not keep it) and reuses for the others. For a caller that has to wait for
     * something else before it installs them.
     */
    static void prepare() {
        if (blockedFromTheStart()) {
            return; // the forwarded signals are taken without a handler
        }
        try {
            handler(signal -> {});
        } catch (ReflectiveOperationException e) {
            // install will find the same
        }
    }

    /** A sun.misc.SignalHandler that gives {@code forward} the number of each signal it handles. */
    private static Object handler(IntConsumer forward) throws ReflectiveOperationException {
        Class<?> signalClass = Class.forName("sun.misc.Signal");
        return Proxy.newProxyInstance(
                SignalForwarding.class.getClassLoader(),
                new Class<?>[] {Class.forName("sun.misc.SignalHandler")},
                (proxy, method, args) -> {
                    if (method.getName().equals("handle")) {
                        forward.accept((int) signalClass.getMethod("getNumber").invoke(args[0]));
                        return null;
                    }
                    if (method.getName().equals("hashCode")) {
                        return System.identityHashCode(proxy);
                    }
                    if (method.getName().equals("equals")) {
                        return proxy == args[0];
                    }
                    return "signal forwarder";
                });
    }

    /** Whether the handler is in place. */
    private static boolean handle(IntConsumer forward, String... names) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Object handler = handler(forward);
            for (String name : names) {
                signalClass
                        .getMethod("handle", signalClass, handlerClass)
                        .invoke(null, signal(signalClass, name), handler);
            }
            return true;
        } catch (ReflectiveOperationException e) {
            // Without sun.misc.Signal the signals end this process; the daemon then hangs the app up.
            return false;
        }
    }
}
