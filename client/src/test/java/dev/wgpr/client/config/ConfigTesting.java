package dev.wgpr.client.config;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.wgpr.client.config.ConfigProblem.Reason;
import java.nio.file.Path;
import java.util.List;

/**
 * Parsing config text in tests. Texts name keys by placeholder ({@code @OUR_PRIVATE_KEY@}, {@code
 * @PEER_KEY@}, {@code @OTHER_PEER_KEY@}) so that the lines stay readable; keep an error's column
 * left of any placeholder on its line.
 */
final class ConfigTesting {
    static final String OUR_PRIVATE_KEY = "wI7M4flROZFaV3d9lSkM6fkGQm3mcQm8nB0Ivxb9ylc=";
    static final String OUR_PUBLIC_KEY = "B6hetPFh//PG7ChhSKcWCMtYFWw6X7pxIKmkXdGV4mw=";
    static final String PEER_KEY = "sfnQo04r2H4azGR0gkEpHTtGGYrzqtORSt41p9FMsHQ=";
    static final String OTHER_PEER_KEY = "lSQ5HSltjfVw+xAQGSy7v2nrwQfBkNcIHoDTBwmHM1s=";
    static final Path SOURCE = Path.of("corp.toml");

    private ConfigTesting() {}

    static LoadedConfig parse(String toml) throws BadConfigException {
        return parse(toml, SOURCE);
    }

    static LoadedConfig parse(String toml, Path source) throws BadConfigException {
        return TunnelConfig.parse(withKeys(toml), source);
    }

    static String withKeys(String toml) {
        return toml.replace("@OUR_PRIVATE_KEY@", OUR_PRIVATE_KEY)
                .replace("@OTHER_PEER_KEY@", OTHER_PEER_KEY)
                .replace("@PEER_KEY@", PEER_KEY);
    }

    static List<ConfigProblem> errors(String toml) {
        return assertThrows(BadConfigException.class, () -> parse(toml)).problems();
    }

    /** The one error of {@code toml}; fails if there are more, listing them. */
    static ConfigProblem onlyError(String toml) {
        List<ConfigProblem> errors = errors(toml);
        assertEquals(1, errors.size(), () -> "expected exactly one error, got:\n" + errors);
        return errors.getFirst();
    }

    static void assertProblem(ConfigProblem problem, Reason reason, int line, int column, String field) {
        assertAll(
                problem.toString(),
                () -> assertEquals(reason, problem.reason(), "reason"),
                () -> assertEquals(line, problem.line(), "line"),
                () -> assertEquals(column, problem.column(), "column"),
                () -> assertEquals(field, problem.field(), "field"));
    }
}
