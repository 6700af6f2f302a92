package dev.wgpr.enforcement.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * A cgroup v2 directory with a unique name, made for a probe or a test and removed by {@link
 * #close()}. Nothing is ever moved into it, so removing it cannot fail with {@code EBUSY} because of
 * us.
 */
public final class ScratchCgroup implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path path;
    private boolean removed;

    private ScratchCgroup(Path path) {
        this.path = path;
    }

    /** Creates {@code parent/PREFIX-RANDOMHEX}. */
    public static ScratchCgroup create(Path parent, String prefix) throws IOException {
        byte[] random = new byte[6];
        RANDOM.nextBytes(random);
        Path path = parent.resolve(prefix + "-" + HexFormat.of().formatHex(random));
        Files.createDirectory(path);
        return new ScratchCgroup(path);
    }

    public Path path() {
        return path;
    }

    /** Removes the directory (rmdir); idempotent. */
    @Override
    public synchronized void close() throws IOException {
        if (removed) {
            return;
        }
        try {
            Files.delete(path);
        } catch (NoSuchFileException e) {
            // already gone
        }
        removed = true;
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
