package dev.wgpr.client.control;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a caller asks of the daemon ({@link Protocol}): one record per operation. On the socket each is a
 * JSON object with {@code "v"} and {@code "op"} added ({@link ControlJson}); a record's constructor refuses
 * what the daemon could not serve, so a malformed request never reaches it.
 */
public sealed interface Request {
    /** The operation's name on the socket. */
    default String op() {
        return Operations.NAMES.get(getClass());
    }

    /** The record type of operation {@code op}. */
    static Class<? extends Request> type(String op) {
        Class<? extends Request> type = Operations.TYPES.get(op);
        if (type == null) {
            throw new IllegalArgumentException("unknown operation " + op);
        }
        return type;
    }

    record Ping() implements Request {}

    record Status() implements Request {}

    /**
     * {@link Status} as {@code wg-pr status} prints it, {@code verbose} as its {@code --verbose}; dates in
     * {@code zone}, the caller's time-zone id (the daemon refuses one it does not know).
     */
    record StatusText(boolean verbose, String zone) implements Request {
        public StatusText {
            Objects.requireNonNull(zone, "status-text needs \"zone\"");
        }
    }

    /**
     * Root, or a caller polkit or the launch group allows, for a config in the daemon's config directories.
     * {@code content} and {@code keyFiles} (key file path to its text) are what root's CLI read of the
     * config and its key files, so that the daemon reads no file root named; null for a caller that is not
     * root, whose config the daemon reads itself. {@code force}: bring up a config whose warnings say it
     * takes more than its author may mean ({@code ConfigProblem.Reason#needsForce}).
     */
    record Up(String config, String content, Map<String, String> keyFiles, boolean force) implements Request {
        public Up {
            requireAbsolute(config, "up");
            keyFiles = keyFiles == null ? null : Map.copyOf(keyFiles);
        }

        /** The config at {@code config}, for the daemon to read. */
        public Up(String config) {
            this(config, null, null, false);
        }

        public Up(ConfigText text, boolean force) {
            this(text.path(), text.content(), text.keyFiles(), force);
        }
    }

    /** Root, or a caller polkit or the launch group allows. */
    record Down(String tunnel) implements Request {
        public Down {
            Objects.requireNonNull(tunnel, "down needs \"tunnel\"");
        }
    }

    /** As {@link Up}. */
    record Reload(String config, String content, Map<String, String> keyFiles, boolean force) implements Request {
        public Reload {
            requireAbsolute(config, "reload");
            keyFiles = keyFiles == null ? null : Map.copyOf(keyFiles);
        }

        /** The config at {@code config}, for the daemon to read. */
        public Reload(String config) {
            this(config, null, null, false);
        }

        public Reload(ConfigText text, boolean force) {
            this(text.path(), text.content(), text.keyFiles(), force);
        }
    }

    /**
     * Starts {@code app} as the caller; the caller's stdin, stdout, stderr and the opened command come along as
     * descriptors. {@code tunnel} may be null: the one tunnel that names the app. {@code detached} true (the
     * tray's launches): the daemon answers {@link Reply.Started} and closes the connection, and the app
     * keeps running without its caller (no signals forwarded, no {@code SIGHUP} when the caller goes, no
     * {@link Reply.Exit}); null or false: the session of {@code wg-pr run}.
     */
    record Run(
            String app,
            String tunnel,
            List<String> argv,
            String cwd,
            Map<String, String> env,
            Boolean detached,
            Boolean traced)
            implements Request {
        public Run {
            if (app == null || argv == null || cwd == null || env == null) {
                throw new IllegalArgumentException("run needs app, argv, cwd and env");
            }
            argv = List.copyOf(argv);
            env = Map.copyOf(env);
        }

        /** A session that lasts as long as the app ({@code wg-pr run}). */
        public Run(String app, String tunnel, List<String> argv, String cwd, Map<String, String> env) {
            this(app, tunnel, argv, cwd, env, null, null);
        }

        public Run(
                String app, String tunnel, List<String> argv, String cwd, Map<String, String> env, Boolean detached) {
            this(app, tunnel, argv, cwd, env, detached, null);
        }

        /**
         * {@code wg-pr trace --app}: the app installs the trace's seccomp filter and stops itself before its
         * program runs, for the caller to take the listener ({@code dev.wgpr.client.trace.TraceStep}).
         */
        public boolean trace() {
            return Boolean.TRUE.equals(traced);
        }

        public boolean detach() {
            return Boolean.TRUE.equals(detached);
        }
    }

    /** After {@link Run}, on the same connection: a signal for the app. */
    record Signal(int signal) implements Request {}

    /** Root gets every event, anyone else the events of their own processes. */
    record Events(boolean follow) implements Request {}

    /**
     * The names the daemon's DNS forwarders resolved {@code addresses} from ({@code wg-pr trace}), asked by
     * anyone who may ask {@code status}: at most {@link #MAX_NAMED} IP literals at once.
     */
    record Names(List<String> addresses) implements Request {
        public static final int MAX_NAMED = 64;

        public Names {
            if (addresses == null || addresses.size() > MAX_NAMED) {
                throw new IllegalArgumentException("names needs \"addresses\": at most " + MAX_NAMED);
            }
            addresses = List.copyOf(addresses);
            addresses.forEach(InetAddress::ofLiteral); // an IllegalArgumentException for what is no address
        }
    }

    /** A config for {@link Up} or {@link Reload}: its path, and (from root's CLI) its text and key files. */
    record ConfigText(String path, String content, Map<String, String> keyFiles) {
        /** Only the path: the daemon reads the file. */
        public static ConfigText named(String path) {
            return new ConfigText(path, null, null);
        }
    }

    private static void requireAbsolute(String config, String op) {
        if (config == null || !Path.of(config).isAbsolute()) {
            throw new IllegalArgumentException(op + " needs \"config\": an absolute path");
        }
    }
}
