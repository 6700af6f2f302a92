package dev.wgpr.client.cli;

import dev.wgpr.client.daemon.LaunchRefusedException;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.OwnedFd;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The command of {@code wg-pr run}, found and opened here, in the caller's own process, with the
 * caller's rights; the daemon gets the descriptor ({@code SCM_RIGHTS}) and never a path. So the daemon,
 * which is root, cannot be made to open, hash or report on a file the caller could not open itself, and
 * what it checks is exactly the file that runs.
 *
 * <p>The command is found as a shell finds it: a name with a slash is a path (relative to the working
 * directory), a bare name is searched in the caller's {@code PATH} (absolute entries only).
 */
final class CommandFile {
    /**
     * Read-only (the daemon hashes it), never a controlling terminal should the path be swapped for a
     * tty, never blocking on a FIFO, and not inherited by anything this JVM starts.
     */
    static final int FLAGS = Libc.O_RDONLY | Libc.O_NOCTTY | Libc.O_NONBLOCK | Libc.O_CLOEXEC;

    private CommandFile() {}

    /** {@code command} opened with {@link #FLAGS}, searched in {@code path} when it has no slash. */
    static OwnedFd open(String command, String path) throws LaunchRefusedException {
        if (command.isEmpty() || command.indexOf('\0') >= 0) {
            throw new LaunchRefusedException("empty command", 127);
        }
        if (command.indexOf('/') >= 0) {
            return openAsCaller(command);
        }
        for (String dir : path.split(":")) {
            if (!dir.startsWith("/")) {
                continue; // an empty or relative entry would search wherever the caller happens to be
            }
            Path candidate = Path.of(dir).resolve(command);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return openAsCaller(candidate.toString());
            }
        }
        throw new LaunchRefusedException(command + ": command not found in PATH " + path, 127);
    }

    private static OwnedFd openAsCaller(String file) throws LaunchRefusedException {
        try {
            return new OwnedFd(Libc.open(file, FLAGS), "command " + file);
        } catch (ErrnoException e) {
            // One message for every reason: the caller learns nothing it could not learn with ls.
            throw new LaunchRefusedException(
                    "cannot run " + file + ": no such file, or not one you may read",
                    e.errno() == Libc.ENOENT ? 127 : 126);
        }
    }
}
