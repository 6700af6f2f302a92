package dev.wgpr.client.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * An application that never uses the tunnel, whatever it routes ({@code [[interface.excludedApps]]},
 * exclude mode): started with {@code wg-pr run --app NAME}, it reaches everything through the underlay.
 * The same identity rules as an allowed app (its own root-owned cgroup, optional binary and digest), so
 * that no process can declare itself excluded.
 *
 * @param name the identity; it names its cgroup directory, shared with the allowed apps' names
 * @param exec when set, the launcher runs only this binary as the app
 * @param sha256 when set, the launcher checks the binary's digest (lower-case hex)
 */
public record ExcludedAppConfig(String name, Optional<Path> exec, Optional<String> sha256) {
    public ExcludedAppConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(exec, "exec");
        Objects.requireNonNull(sha256, "sha256");
        if (!AppConfig.isValidName(name)) {
            throw new IllegalArgumentException("bad app name '" + name + "'");
        }
        if (exec.isPresent() && !exec.get().isAbsolute()) {
            throw new IllegalArgumentException("exec " + exec.get() + " is not absolute");
        }
        if (sha256.isPresent() && !AppConfig.isValidSha256(sha256.get())) {
            throw new IllegalArgumentException("sha256 is not 64 lower-case hex digits");
        }
    }
}
