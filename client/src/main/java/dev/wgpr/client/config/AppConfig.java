package dev.wgpr.client.config;

import dev.wgpr.enforcement.policy.Grant;
import dev.wgpr.enforcement.policy.Listen;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An application allowed to use a peer's internal routes.
 *
 * @param name the app's identity; it names its cgroup directory ({@code <cgroup2>/wg-pr/<name>})
 * @param exec when set, the launcher runs only this binary as the app
 * @param sha256 when set, the launcher checks the binary's digest (lower-case hex)
 * @param grants what the app may reach; all inside the peer's allowedIPs
 * @param children which processes in the app's cgroup its grants reach
 * @param allowExec with {@link Children#SAME_EXEC}: further programs whose processes get the grants
 *     (helpers the app legitimately starts)
 * @param args when set, a regular expression every argument after the command's name must match
 *     entirely, or the launcher refuses to start the app (for apps whose options can run code)
 * @param listen the local ports the app's listeners may be reached on from its grants' prefixes, where the
 *     tunnel's {@code incoming} is "apps" (enforcement/DESIGN.md, "Incoming")
 */
public record AppConfig(
        String name,
        Optional<Path> exec,
        Optional<String> sha256,
        List<Grant> grants,
        Children children,
        List<Path> allowExec,
        Optional<String> args,
        List<Listen> listen) {

    /** Which processes of an app's cgroup its grants reach. */
    public enum Children {
        /**
         * Only processes running the app's executable (what the launcher started as the app), or one of
         * its {@code allowExec} programs: a shell, helper or interpreter it starts runs without the grants.
         */
        SAME_EXEC("same-exec"),
        /** Every process in the app's cgroup, whatever it runs. */
        ANY("any");

        private final String configName;

        Children(String configName) {
            this.configName = configName;
        }

        /** As the config writes it. */
        public String configName() {
            return configName;
        }

        /** The setting {@code text} names, if any. */
        public static Optional<Children> of(String text) {
            for (Children children : values()) {
                if (children.configName.equals(text)) {
                    return Optional.of(children);
                }
            }
            return Optional.empty();
        }
    }

    /** An app that listens on nothing from the tunnel. */
    public AppConfig(
            String name,
            Optional<Path> exec,
            Optional<String> sha256,
            List<Grant> grants,
            Children children,
            List<Path> allowExec,
            Optional<String> args) {
        this(name, exec, sha256, grants, children, allowExec, args, List.of());
    }

    /** An app as older configs wrote it: grants bound to its executable, no helpers, any arguments. */
    public AppConfig(String name, Optional<Path> exec, Optional<String> sha256, List<Grant> grants) {
        this(name, exec, sha256, grants, Children.SAME_EXEC, List.of(), Optional.empty());
    }
    /** Safe as one cgroup directory name and in shell commands: no '/', no spaces, no leading dot. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    public AppConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(exec, "exec");
        Objects.requireNonNull(sha256, "sha256");
        grants = List.copyOf(grants);
        Objects.requireNonNull(children, "children");
        allowExec = List.copyOf(allowExec);
        listen = List.copyOf(listen);
        Objects.requireNonNull(args, "args");
        if (!isValidName(name)) {
            throw new IllegalArgumentException("bad app name '" + name + "'");
        }
        if (exec.isPresent() && !exec.get().isAbsolute()) {
            throw new IllegalArgumentException("exec " + exec.get() + " is not absolute");
        }
        if (sha256.isPresent() && !isValidSha256(sha256.get())) {
            throw new IllegalArgumentException("sha256 is not 64 lower-case hex digits");
        }
        for (Path program : allowExec) {
            if (!program.isAbsolute()) {
                throw new IllegalArgumentException("allowExec " + program + " is not absolute");
            }
        }
        if (children == Children.ANY && !allowExec.isEmpty()) {
            throw new IllegalArgumentException("allowExec needs children = \"same-exec\"");
        }
        args.ifPresent(Pattern::compile);
    }

    /** Whether every argument after the command's name matches {@link #args} (always, without it). */
    public boolean argumentsAllowed(List<String> arguments) {
        if (args.isEmpty()) {
            return true;
        }
        Pattern pattern = Pattern.compile(args.get());
        return arguments.stream().allMatch(argument -> pattern.matcher(argument).matches());
    }

    /** Whether {@code name} can name an app (and so a cgroup directory). */
    public static boolean isValidName(String name) {
        // The pattern already refuses "." and "..": they cannot start with a dot.
        return NAME.matcher(name).matches();
    }

    static boolean isValidSha256(String hex) {
        return SHA256.matcher(hex).matches();
    }
}
