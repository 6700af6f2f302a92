package dev.wgpr.client.importer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Collects every problem of a file so the user sees them all at once, not one per attempt. */
final class Problems {
    private final List<ImportException.Problem> problems = new ArrayList<>();

    void add(int line, String field, String reason) {
        problems.add(new ImportException.Problem(line, field, reason));
    }

    void throwIfAny(String fileName) throws ImportException {
        if (!problems.isEmpty()) {
            throw new ImportException(
                    fileName,
                    problems.stream()
                            .sorted(Comparator.comparingInt(ImportException.Problem::line))
                            .toList());
        }
    }
}
