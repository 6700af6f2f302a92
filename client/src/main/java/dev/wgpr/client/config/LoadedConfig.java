package dev.wgpr.client.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** A valid config and the warnings found on the way (key files others may read). */
public record LoadedConfig(TunnelConfig config, List<ConfigProblem> warnings) {
    public LoadedConfig {
        Objects.requireNonNull(config, "config");
        warnings = List.copyOf(warnings);
        if (!warnings.stream().allMatch(warning -> warning.reason().isWarning())) {
            throw new IllegalArgumentException("an error among the warnings of a valid config: " + warnings);
        }
    }

    /**
     * Why {@code up} and {@code reload} refuse this config without {@code --force} (its warnings that {@link
     * ConfigProblem.Reason#needsForce}), and how to go on; empty when they do not.
     */
    public Optional<String> forceRefusal() {
        List<ConfigProblem> traps = warnings.stream()
                .filter(warning -> warning.reason().needsForce())
                .toList();
        if (traps.isEmpty()) {
            return Optional.empty();
        }
        StringBuilder refusal = new StringBuilder();
        traps.forEach(trap -> refusal.append(trap).append('\n'));
        return Optional.of(refusal.append(
                        "nothing was changed: write the setting out in the config, or add --force to go ahead as it is")
                .toString());
    }
}
