package dev.wgpr.client.config;

import java.util.List;
import java.util.Objects;

/** A valid config and the warnings found on the way (key files others may read). */
public record LoadedConfig(TunnelConfig config, List<ConfigProblem> warnings) {
    public LoadedConfig {
        Objects.requireNonNull(config, "config");
        warnings = List.copyOf(warnings);
        if (!warnings.stream().allMatch(warning -> warning.reason().isWarning())) {
            throw new IllegalArgumentException("an error among the warnings of a valid config: " + warnings);
        }
    }
}
