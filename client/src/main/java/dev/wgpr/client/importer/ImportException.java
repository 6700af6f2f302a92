package dev.wgpr.client.importer;

import java.io.Serial;
import java.util.List;
import java.util.stream.Collectors;

/** A wg-quick file that cannot be imported, with every problem found in it. */
public final class ImportException extends Exception {
    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * One reason the file cannot be imported.
     *
     * @param line the 1-based line, or 0 when the problem is about the file as a whole
     * @param field the wg-quick key or section the problem is about
     */
    public record Problem(int line, String field, String reason) {
        String describe(String fileName) {
            return (line > 0 ? fileName + ":" + line : fileName) + ": " + field + ": " + reason;
        }
    }

    private final transient List<Problem> problems;

    ImportException(String fileName, List<Problem> problems) {
        super(problems.stream().map(p -> p.describe(fileName)).collect(Collectors.joining("\n")));
        this.problems = List.copyOf(problems);
    }

    public List<Problem> problems() {
        return problems;
    }
}
