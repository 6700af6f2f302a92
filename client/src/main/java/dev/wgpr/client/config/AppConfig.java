package dev.wgpr.client.config;

import dev.wgpr.enforcement.policy.Grant;
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
 */
public record AppConfig(String name, Optional<Path> exec, Optional<String> sha256, List<Grant> grants) {
    /** Safe as one cgroup directory name and in shell commands: no '/', no spaces, no leading dot. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    public AppConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(exec, "exec");
        Objects.requireNonNull(sha256, "sha256");
        grants = List.copyOf(grants);
        if (!isValidName(name)) {
            throw new IllegalArgumentException("bad app name '" + name + "'");
        }
        if (exec.isPresent() && !exec.get().isAbsolute()) {
            throw new IllegalArgumentException("exec " + exec.get() + " is not absolute");
        }
        if (sha256.isPresent() && !isValidSha256(sha256.get())) {
            throw new IllegalArgumentException("sha256 is not 64 lower-case hex digits");
        }
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
