package dev.wgpr.client.daemon;

import dev.wgpr.client.config.AppConfig;
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
import java.util.LinkedHashMap;
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
 * started while the daemon is still unconfined. It does exactly what {@link Launcher#launch} did in
 * the daemon (same code), and nothing else: it has no control socket, reads no config, and answers
 * only the daemon, over a socketpair it inherited as descriptor 3; when the daemon goes away it
 * exits.
 *
 * <p>It is locked down as far as its job allows: {@code setpriv} starts it with {@code no_new_privs}
 * and a bounding set of only {@code CAP_SETUID}, {@code CAP_SETGID} (the launch step's {@code
 * setpriv} to the caller), {@code CAP_DAC_OVERRIDE} (the launch step's write to {@code cgroup.procs},
 * which needs write access to the common ancestor's, read-only for its owner on some systems) and
 * {@code CAP_KILL} (signals to the caller's app); it is not dumpable and dumps no core. It never
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
    public static final String BOUNDING_SET = "-all,+setuid,+setgid,+dac_override,+kill";

    private LaunchHelper() {}

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
        return (app, cgroup, caller, request, fds) -> {
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
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("app", app.name());
            message.put("exec", app.exec().map(Path::toString).orElse(null));
            message.put("sha256", app.sha256().orElse(null));
            message.put("args", app.args().orElse(null));
            message.put("cgroup", cgroup.toString());
            message.put("pid", (long) caller.pid());
            message.put("uid", Integer.toUnsignedLong(caller.uid()));
            message.put("gid", Integer.toUnsignedLong(caller.gid()));
            List<Long> groups = new ArrayList<>();
            for (int group : caller.groups()) {
                groups.add(Integer.toUnsignedLong(group));
            }
            message.put("groups", groups);
            message.put("argv", request.argv());
            message.put("cwd", request.cwd().toString());
            message.put("env", request.environment());
            try {
                channel[0].send(
                        Json.write(message), fds.stream().mapToInt(OwnedFd::fd).toArray());
                Map<String, Object> reply =
                        Json.parseObject(channel[0].receive().line());
                if (reply.get("refused") instanceof String refusal) {
                    channel[0].close();
                    throw new LaunchRefusedException(refusal, ((Long) reply.get("status")).intValue());
                }
                if (!(reply.get("pid") instanceof Long pid)) {
                    channel[0].close();
                    throw new IOException("launch helper: " + reply.get("error"));
                }
                return new RemoteProcess(pid.intValue(), channel[0]);
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
                Map<String, Object> exit = Json.parseObject(channel.receive().line());
                return new Exit(
                        Boolean.TRUE.equals(exit.get("exited")),
                        ((Long) exit.get("status")).intValue(),
                        ((Long) exit.get("signal")).intValue());
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
                channel.send(Json.write(Map.of("signal", (long) signal)));
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
            Thread.ofPlatform().name("launch").daemon().start(() -> serve(channel));
        }
    }

    private static void serve(UnixSocket channel) {
        List<OwnedFd> fds = List.of();
        try (channel) {
            Message message = channel.receive();
            fds = message.fds();
            Map<String, Object> request = Json.parseObject(message.line());
            AppConfig app = new AppConfig(
                    (String) request.get("app"),
                    Optional.ofNullable((String) request.get("exec")).map(Path::of),
                    Optional.ofNullable((String) request.get("sha256")),
                    List.of(),
                    AppConfig.Children.ANY, // which processes get grants is the daemon's business
                    List.of(),
                    Optional.ofNullable((String) request.get("args")));
            List<?> groupList = (List<?>) request.get("groups");
            int[] groups = new int[groupList.size()];
            for (int i = 0; i < groups.length; i++) {
                groups[i] = (int) (long) (Long) groupList.get(i);
            }
            PeerCredentials caller = new PeerCredentials(
                    (int) (long) (Long) request.get("pid"),
                    (int) (long) (Long) request.get("uid"),
                    (int) (long) (Long) request.get("gid"),
                    groups);
            List<String> argv = new ArrayList<>();
            for (Object arg : (List<?>) request.get("argv")) {
                argv.add((String) arg);
            }
            Map<String, String> environment = new LinkedHashMap<>();
            ((Map<?, ?>) request.get("env")).forEach((k, v) -> environment.put((String) k, (String) v));
            Launcher.Request launch = new Launcher.Request(argv, Path.of((String) request.get("cwd")), environment);
            LaunchedProcess process;
            try {
                process = Launcher.launch(app, Path.of((String) request.get("cgroup")), caller, launch, fds);
            } catch (LaunchRefusedException e) {
                channel.send(Json.write(Map.of("refused", e.getMessage(), "status", (long) e.exitStatus())));
                return;
            } finally {
                closeAll(fds);
            }
            channel.send(Json.write(Map.of("pid", (long) process.pid())));
            Thread.ofPlatform().name("launch-signals").daemon().start(() -> relaySignals(channel, process));
            LaunchedProcess.Exit exit = process.waitFor();
            channel.send(Json.write(
                    Map.of("exited", exit.exited(), "status", (long) exit.status(), "signal", (long) exit.signal())));
        } catch (IOException | RuntimeException e) {
            closeAll(fds);
            try {
                channel.send(Json.write(Map.of("error", String.valueOf(e.getMessage()))));
            } catch (ErrnoException | IllegalStateException ignored) {
                // the daemon's end is gone
            }
        }
    }

    private static void relaySignals(UnixSocket channel, LaunchedProcess process) {
        while (true) {
            try {
                if (Json.parseObject(channel.receive().line()).get("signal") instanceof Long signal) {
                    process.signal(signal.intValue());
                }
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
