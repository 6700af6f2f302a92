package dev.wgpr.client.config;

import dev.wgpr.client.config.ConfigProblem.Reason;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tomlj.TomlPosition;

/** The errors and warnings found in one file so far. */
final class Problems {
    static final TomlPosition START = TomlPosition.positionAt(1, 1);

    private final Path file;
    private final List<ConfigProblem> errors = new ArrayList<>();
    private final List<ConfigProblem> warnings = new ArrayList<>();

    Problems(Path file) {
        this.file = file;
    }

    void error(TomlPosition position, String field, Reason reason, String message) {
        errors.add(problem(position, field, reason, message));
    }

    void error(Located<?> value, Reason reason, String message) {
        error(value.position(), value.field(), reason, message);
    }

    void warning(Located<?> value, Reason reason, String message) {
        warnings.add(problem(value.position(), value.field(), reason, message));
    }

    private ConfigProblem problem(TomlPosition position, String field, Reason reason, String message) {
        // tomlj knows the position of everything it parsed; START only guards against a surprise.
        TomlPosition at = position == null ? START : position;
        return new ConfigProblem(file, at.line(), at.column(), field, reason, message);
    }

    int errorCount() {
        return errors.size();
    }

    void throwIfAny() throws BadConfigException {
        if (!errors.isEmpty()) {
            throw new BadConfigException(errors);
        }
    }

    List<ConfigProblem> warnings() {
        return warnings.stream().sorted(ConfigProblem.BY_POSITION).toList();
    }
}
