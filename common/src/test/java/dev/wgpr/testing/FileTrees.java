package dev.wgpr.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Directories a test made, removed with everything in them. */
public final class FileTrees {
    private FileTrees() {}

    /**
     * Deletes {@code root} and all below it, nothing when it does not exist; as much as it can, for a
     * clean-up after a failure: what could not be deleted is reported once everything else is gone.
     *
     * @throws UncheckedIOException naming the first path that stayed
     */
    public static void delete(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        List<Path> tree;
        try (Stream<Path> paths = Files.walk(root)) {
            tree = paths.sorted(Comparator.reverseOrder()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
        IOException first = null;
        for (Path path : tree) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw new UncheckedIOException("cannot delete all of " + root, first);
        }
    }
}
