package dev.wgpr.client.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.wgpr.client.TestPaths;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The configs shipped in configs/ are valid, without warnings. */
class ExampleConfigsTest {
    @ParameterizedTest
    @ValueSource(strings = {"corp.toml", "demo.toml"})
    void exampleConfigIsValid(String name) throws Exception {
        LoadedConfig loaded =
                TunnelConfig.load(TestPaths.repositoryRoot().resolve("configs").resolve(name));
        assertEquals(List.of(), loaded.warnings());
        assertFalse(loaded.config().peers().isEmpty());
        assertFalse(
                loaded.config().peers().getFirst().allowedApps().isEmpty(), "an example without apps shows nothing");
    }
}
