package dev.wgpr.client.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.wgpr.client.TestPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The configs shipped in configs/ are valid, without warnings but those about this machine: an app's
 * program it lacks. Loaded from a copy only its owner may read, as a user keeps a config with keys in
 * it (a checkout's files are world-readable).
 */
class ExampleConfigsTest {
    @ParameterizedTest
    @ValueSource(strings = {"corp.toml", "demo.toml"})
    void exampleConfigIsValid(String name, @TempDir Path directory) throws Exception {
        Path copy = Files.copy(TestPaths.repositoryRoot().resolve("configs").resolve(name), directory.resolve(name));
        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-------"));
        LoadedConfig loaded = TunnelConfig.load(copy);
        assertEquals(
                List.of(),
                loaded.warnings().stream()
                        .filter(warning -> warning.reason() != ConfigProblem.Reason.EXEC_MISSING)
                        .toList());
        assertFalse(loaded.config().peers().isEmpty());
        assertFalse(
                loaded.config().peers().getFirst().allowedApps().isEmpty(), "an example without apps shows nothing");
    }
}
