package dev.wgpr.client;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where tests find the repository's files: they run in the module's directory. */
public final class TestPaths {
    private TestPaths() {}

    /** The nearest directory above the working directory that holds configs/corp.toml. */
    public static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("configs/corp.toml"))) {
                return dir;
            }
        }
        throw new AssertionError("no configs/corp.toml above " + Path.of("").toAbsolutePath());
    }
}
