package dev.wgpr.client.daemon;

import dev.wgpr.client.control.Json;
import dev.wgpr.client.control.Message;
import dev.wgpr.client.control.PeerCredentials;
import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.OwnedFd;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The launch helper: a small process the daemon starts before it locks itself down, which starts the
 * apps of {@code wg-pr run} for it.
 *
 * <p>Why it exists. A Landlock domain is inherited by every process its holder starts, across fork
 * and exec, and nothing can leave it. An app started by a locked-down daemon would see the daemon's
 * tiny filesystem view (no home directory, no {@code /usr/bin}), which breaks every real app. So the
 * one thing that must run outside the daemon's confinement, starting apps, moves into this process,
 * started while the daemon is still unconfined. It starts what the daemon verified ({@link
 * Launcher#verified}) exactly as {@link Launcher#launch} does in an unconfined daemon (same code), and
 * nothing else: it has no control socket, reads no config, and answers
 * only the daemon, over a socketpair it inherited as descriptor 3; when the daemon goes away it
 * exits.
 *
 * <p>It is locked down as far as its job allows: {@code setpriv} starts it with {@code no_new_privs}
 * and a bounding set of only {@code CAP_SETUID}, {@code CAP_SETGID} (the launch step's {@code
 * setpriv} to the caller), {@code CAP_DAC_OVERRIDE} (the launch step's write to {@code cgroup.procs},
 * which needs write access to the common ancestor's, read-only for its owner on some systems) and
 * {@code CAP_KILL} (signals to the caller's app) and {@code CAP_SYS_ADMIN} (the launch step's {@code
 * unshare --mount} and bind mounts of the resolver view, {@link Launcher#RESOLVER_VIEW}, for the apps
 * of a tunnel with DNS); it is not dumpable and dumps no core. It never
 * opens a path a caller names: the command comes opened by the caller, and the working directory is
 * entered by the caller's own {@code env}. It keeps the full filesystem view, which the apps need.
 *
 * <p>It cannot be hung up: it has no controlling terminal and never opens anything that could become
 * one, and it ignores {@code SIGHUP}, {@code SIGTTIN} and {@code SIGTTOU} anyway (the apps start with
 * them at their defaults: the launch resets every signal).
 *
 * <p>Protocol. For each {@code run} the daemon makes a new socketpair and sends one end on the
 * helper's socket ({@code {"op":"channel"}} with one descriptor). On that channel: the daemon sends
 * the launch request with the caller's three stdio descriptors and its opened command; the helper
 * answers {@code {"pid":N}} or {@code {"refused":MESSAGE,"status":N}}; then the daemon may send {@code
 * {"signal":N}}; the helper sends {@code {"exited":B,"status":N,"signal":N}} when the app ends and
 * closes the channel.
 */
public final class LaunchHelper {
    /** The descriptor the helper finds its socket on. */
    static final int HELPER_FD = 3;

    /** What the helper keeps; see the class comment. */
    public static final String BOUNDING_SET = "-all,+setuid,+setgid,+dac_override,+kill,+sys_admin";

    private LaunchHelper() {}

    /** What the daemon asks the helper to start, sent with the caller's stdio and opened command. */
    record Order(
            String cgroup,
            String resolverView,
            int pid,
            int uid,
            int gid,
            List<Integer> groups,
            List<String> argv,
            String cwd,
            Map<String, String> env,
            boolean traced) {}

    /** The helper's answer to an {@link Order}: started ({@code pid}), refused, or failed ({@code error}). */
    record Answer(Integer pid, String refused, Integer status, String error) {}

    /** A signal for the app, from the daemon. */
    record Signal(int signal) {}

    /** How the app ended, from the helper. */
    record Ended(boolean exited, int status, int signal) {}

    /** A running helper, seen from the daemon. */
    public record Started(int pid, UnixSocket socket) {}

    /**
     * Starts the helper: {@code setpriv … -- java … LaunchHelper} with its socket as descriptor 3,
     * stdin from {@code /dev/null}, stdout and stderr to ours, in its own session (so a signal to the
     * daemon's process group does not reach it; it ends when the daemon's end of the socket closes).
     */
    public static Started start(Path java, String classPath) throws IOException {
        UnixSocket[] pair = UnixSocket.pair("launch helper socket");
        List<String> argv = new ArrayList<>(List.of(
                Launcher.SETPRIV.toString(),
                "--no-new-privs",
                "--bounding-set=" + BOUNDING_SET,
                "--inh-caps=-all",
                "--",
                java.toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-XX:-UsePerfData",
                "-XX:+DisableAttachMechanism",
                "-Xss512k",
                "-Xmx32m",
                // It lives as long as the daemon and does almost nothing, so its memory is what matters, not its
                // speed (bench/daemon, the helper idle after one run: 61.8 MiB RSS without these, 43.4 with them).
                // A small first heap (the JVM would commit all 32 MiB and fill a third of it before its first
                // collection); glibc's free native memory given back, as in the daemon. And no class-data archive:
                // the JDK's default one is relocated for ASLR, so all 13.8 MiB of it are written and resident,
                // more than the metaspace of the 1,400 classes the helper loads, read from the JDK's modules at
                // some 80 ms more CPU at its start. Not the daemon's archive either: the daemon writes it, and
                // the helper is the less confined of the two.
                "-Xms4m",
                "-XX:TrimNativeHeapInterval=5000",
                "-Xshare:off",
                "-cp",
                classPath,
                LaunchHelper.class.getName()));
        try (OwnedFd devNull =
                new OwnedFd(Libc.open("/dev/null", Libc.O_RDONLY | Libc.O_NOCTTY | Libc.O_CLOEXEC), "/dev/null")) {
            int pid = Launcher.spawn(argv, new int[] {devNull.fd(), 2, 2, pair[1].fd()});
            return new Started(pid, pair[0]);
        } finally {
            pair[1].close();
        }
    }

    /** The daemon's side: each launch goes to the helper over {@code socket}. */
    static LaunchService client(UnixSocket socket) {
        return (app, command, place) -> {
            UnixSocket[] channel = UnixSocket.pair("launch channel");
            try {
                synchronized (socket) {
                    socket.send(Json.write(Map.of("op", "channel")), new int[] {channel[1].fd()});
                }
            } catch (ErrnoException e) {
                channel[0].close();
                throw new IOException("the launch helper is gone: " + e.getMessage(), e);
            } finally {
                channel[1].close();
            }
            PeerCredentials caller = command.caller();
            Launcher.Request request = command.request();
            Order order = new Order(
                    place.cgroup().toString(),
                    place.resolverView().map(Path::toString).orElse(null),
                    caller.pid(),
                    caller.uid(),
                    caller.gid(),
                    Arrays.stream(caller.groups()).boxed().toList(),
                    request.argv(),
                    request.cwd().toString(),
                    request.environment(),
                    request.traced());
            try {
                channel[0].send(
                        Json.write(order),
                        command.fds().stream().mapToInt(OwnedFd::fd).toArray());
                Answer answer = Json.read(channel[0].receive().line(), Answer.class);
                if (answer.refused() != null) {
                    channel[0].close();
                    throw new LaunchRefusedException(answer.refused(), answer.status());
                }
                if (answer.pid() == null) {
                    channel[0].close();
                    throw new IOException("launch helper: " + answer.error());
                }
                return new RemoteProcess(answer.pid(), channel[0]);
            } catch (IOException | RuntimeException e) {
                channel[0].close();
                throw e;
            }
        };
    }

    /** An app the helper started; it reports the exit and relays signals. */
    private static final class RemoteProcess implements LaunchedProcess {
        private final int pid;
        private final UnixSocket channel;

        RemoteProcess(int pid, UnixSocket channel) {
            this.pid = pid;
            this.channel = channel;
        }

        @Override
        public int pid() {
            return pid;
        }

        @Override
        public Exit waitFor() throws ErrnoException {
            try {
                Ended ended = Json.read(channel.receive().line(), Ended.class);
                return new Exit(ended.exited(), ended.status(), ended.signal());
            } catch (IOException | RuntimeException e) {
                // The helper died: the app's fate is unknown; report it as killed.
                return new Exit(false, 0, Libc.SIGKILL);
            } finally {
                channel.close();
            }
        }

        @Override
        public void signal(int signal) {
            try {
                channel.send(Json.write(new Signal(signal)));
            } catch (ErrnoException | IllegalStateException e) {
                // the app has ended and the channel is closed
            }
        }
    }

    /** The helper process. */
    public static void main(String[] args) {
        try {
            // Nobody of the same uid reads this process's memory or attaches to it; no core dumps.
            Libc.prctl(Libc.PR_SET_DUMPABLE, 0, "prctl PR_SET_DUMPABLE");
            Libc.setrlimit(Libc.RLIMIT_CORE, 0, 0);
            for (int signal : new int[] {Libc.SIGHUP, Libc.SIGTTIN, Libc.SIGTTOU}) {
                Libc.ignoreSignal(signal);
            }
        } catch (ErrnoException e) {
            System.err.println("wg-pr launch helper: " + e.getMessage());
            System.exit(1);
        }
        UnixSocket socket = UnixSocket.adopt(new OwnedFd(HELPER_FD, "launch helper socket"));
        while (true) {
            Message message;
            try {
                message = socket.receive();
            } catch (EOFException e) {
                System.exit(0); // the daemon is gone
                return;
            } catch (IOException e) {
                System.err.println("wg-pr launch helper: " + e.getMessage());
                System.exit(1);
                return;
            }
            if (message.fds().size() != 1) {
                closeAll(message.fds());
                continue;
            }
            UnixSocket channel = UnixSocket.adopt(message.fds().getFirst());
            Thread.ofPlatform()
                    .name("launch")
                    .daemon()
                    .uncaughtExceptionHandler(LaunchHelper::logBroken)
                    .start(() -> serve(channel));
        }
    }

    private static void serve(UnixSocket channel) {
        List<OwnedFd> fds = List.of();
        try (channel) {
            Message message = channel.receive();
            fds = message.fds();
            Order order = Json.read(message.line(), Order.class);
            PeerCredentials caller = new PeerCredentials(
                    order.pid(),
                    order.uid(),
                    order.gid(),
                    order.groups().stream().mapToInt(Integer::intValue).toArray());
            Launcher.Request launch =
                    new Launcher.Request(order.argv(), Path.of(order.cwd()), order.env(), order.traced());
            LaunchedProcess process;
            try {
                // The daemon verified these very descriptors before it sent them.
                process = Launcher.launch(
                        new Launcher.Verified(caller, launch, fds),
                        new Launcher.Placement(
                                Path.of(order.cgroup()),
                                Optional.ofNullable(order.resolverView()).map(Path::of)));
            } catch (LaunchRefusedException e) {
                channel.send(Json.write(new Answer(null, e.getMessage(), e.exitStatus(), null)));
                return;
            } finally {
                closeAll(fds);
            }
            channel.send(Json.write(new Answer(process.pid(), null, null, null)));
            Thread.ofPlatform().name("launch-signals").daemon().start(() -> relaySignals(channel, process));
            LaunchedProcess.Exit exit = process.waitFor();
            channel.send(Json.write(new Ended(exit.exited(), exit.status(), exit.signal())));
        } catch (IOException | RuntimeException e) {
            closeAll(fds);
            try {
                channel.send(Json.write(new Answer(null, null, null, String.valueOf(e.getMessage()))));
            } catch (ErrnoException | IllegalStateException ignored) {
                // the daemon's end is gone
            }
        }
    }

    /**
     * A launch that ended in an error no launch expects (a broken invariant, a native call failing as it
     * never should): the daemon sees its channel close and tells the caller it lost the launch; the log
     * says why.
     */
    private static void logBroken(Thread thread, Throwable error) {
        System.err.println("wg-pr launch helper: a launch broke off: " + error);
        error.printStackTrace();
    }

    private static void relaySignals(UnixSocket channel, LaunchedProcess process) {
        while (true) {
            try {
                process.signal(Json.read(channel.receive().line(), Signal.class).signal());
            } catch (IOException | RuntimeException e) {
                return; // the channel closed: the app ended or the daemon went away
            }
        }
    }

    private static void closeAll(List<OwnedFd> fds) {
        for (OwnedFd fd : fds) {
            try {
                fd.close();
            } catch (ErrnoException e) {
                // a descriptor handed on to the app already; nothing to do
            }
        }
    }
}
