package dev.wgpr.client.daemon;

import dev.wgpr.client.config.BadConfigException;
import dev.wgpr.client.config.ConfigProblem;
import dev.wgpr.client.config.KeyFiles;
import dev.wgpr.client.config.LoadedConfig;
import dev.wgpr.client.config.TunnelConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A config as {@code up} and {@code reload} get it: the file at {@code path}, read by the daemon (a config
 * of its config directories), or the text and key files root's CLI read and sent ({@code content}), of
 * which {@code path} only names the file in messages and gives the default interface name.
 */
record ConfigSource(Path path, Optional<String> content, Map<Path, String> keyFiles) {
    ConfigSource {
        keyFiles = Map.copyOf(keyFiles);
    }

    static ConfigSource onDisk(Path path) {
        return new ConfigSource(path, Optional.empty(), Map.of());
    }

    /** What the CLI sent: the config's text, and each key file's, by the path the config names it by. */
    static ConfigSource sent(Path path, String content, Map<String, String> keyFiles) {
        Map<Path, String> files = keyFiles == null
                ? Map.of()
                : keyFiles.entrySet().stream()
                        .collect(Collectors.toMap(entry -> Path.of(entry.getKey()), Map.Entry::getValue));
        return new ConfigSource(path, Optional.of(content), files);
    }

    /**
     * The config; refused as a bad config when it has mistakes, and, unless {@code force}, when a warning
     * says it takes more than its author may mean ({@link ConfigProblem.Reason#needsForce}).
     */
    TunnelConfig load(boolean force) throws UpFailedException {
        try {
            String text = content.isPresent() ? content.get() : Files.readString(path, StandardCharsets.UTF_8);
            KeyFiles keys = content.isPresent() ? KeyFiles.sent(keyFiles) : KeyFiles.ON_DISK;
            LoadedConfig loaded = TunnelConfig.parse(text, path, keys);
            Optional<String> refusal = force ? Optional.empty() : loaded.forceRefusal();
            if (refusal.isPresent()) {
                throw new UpFailedException(UpFailedException.Kind.BAD_CONFIG, refusal.get());
            }
            return loaded.config();
        } catch (BadConfigException e) {
            throw new UpFailedException(
                    UpFailedException.Kind.BAD_CONFIG,
                    e.problems().stream().map(ConfigProblem::toString).collect(Collectors.joining("\n")));
        } catch (IOException e) {
            throw new UpFailedException(
                    UpFailedException.Kind.BAD_CONFIG,
                    "cannot read " + path + ": " + e.getMessage()
                            + " (a daemon started for another config's directory reads no other; root's CLI"
                            + " sends the config itself)");
        }
    }
}
