package dev.wgpr.client.cli;

import java.lang.reflect.Proxy;
import java.util.function.IntConsumer;

/**
 * Catches SIGINT, SIGTERM and SIGHUP in this JVM and hands their numbers to a consumer, so that
 * {@code wg-pr run} forwards them to the app instead of dying. It uses {@code sun.misc.Signal}
 * (module jdk.unsupported, exported to everyone), reached by reflection because javac flags any
 * direct use as proprietary API, which {@code -Werror} refuses.
 */
final class SignalForwarding {
    private SignalForwarding() {}

    static void install(IntConsumer forward) {
        handle(forward, "INT", "TERM", "HUP");
    }

    /** Runs {@code action} on each SIGWINCH: the terminal's window changed size. */
    static void onWindowChange(Runnable action) {
        handle(signal -> action.run(), "WINCH");
    }

    private static void handle(IntConsumer forward, String... names) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Object handler = Proxy.newProxyInstance(
                    SignalForwarding.class.getClassLoader(), new Class<?>[] {handlerClass}, (proxy, method, args) -> {
                        if (method.getName().equals("handle")) {
                            forward.accept(
                                    (int) signalClass.getMethod("getNumber").invoke(args[0]));
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
            for (String name : names) {
                Object signal = signalClass.getConstructor(String.class).newInstance(name);
                signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, signal, handler);
            }
        } catch (ReflectiveOperationException e) {
            // Without sun.misc.Signal the signals end this process; the daemon then hangs the app up.
        }
    }
}
