package dev.wgpr.client.config;

import java.util.List;
import java.util.stream.Collectors;

/** A config file with mistakes: all of them, in the order of the file. */
public final class BadConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    @SuppressWarnings("serial") // an immutable List.copyOf of records; never serialized in practice
    private final List<ConfigProblem> problems;

    BadConfigException(List<ConfigProblem> problems) {
        super(problems.stream().map(ConfigProblem::toString).collect(Collectors.joining("\n")));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a bad config has at least one problem");
        }
        this.problems = problems.stream().sorted(ConfigProblem.BY_POSITION).toList();
    }

    /** Every error of the file, sorted by line and column. */
    public List<ConfigProblem> problems() {
        return problems;
    }
}
