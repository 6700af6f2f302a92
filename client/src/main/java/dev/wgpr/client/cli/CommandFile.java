package dev.wgpr.client.cli;

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
 * directory), a bare name is searched in the caller's {@code PATH} (absolute entries only, as the app's
 * environment would have had them).
 */
final class CommandFile {
    /**
     * Read-only (the daemon hashes it), never a controlling terminal should the path be swapped for a
     * tty, never blocking on a FIFO, and not inherited by anything this JVM starts.
     */
    static final int FLAGS = Libc.O_RDONLY | Libc.O_NOCTTY | Libc.O_NONBLOCK | Libc.O_CLOEXEC;

    private CommandFile() {}

    /** Why the command cannot be opened, and the shell's exit status for it (127 not found, 126 else). */
    static final class NotRunnable extends Exception {
        private static final long serialVersionUID = 1L;

        private final int exitStatus;

        NotRunnable(String message, int exitStatus) {
            super(message);
            this.exitStatus = exitStatus;
        }

        int exitStatus() {
            return exitStatus;
        }
    }

    /** {@code command} opened with {@link #FLAGS}, searched in {@code path} when it has no slash. */
    static OwnedFd open(String command, String path) throws NotRunnable {
        if (command.isEmpty() || command.indexOf('\0') >= 0) {
            throw new NotRunnable("empty command", 127);
        }
        if (command.indexOf('/') >= 0) {
            return openAsCaller(command);
        }
        for (String dir : path.split(":")) {
            Path candidate = Path.of(dir).resolve(command);
            if (dir.startsWith("/") && Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return openAsCaller(candidate.toString());
            }
        }
        throw new NotRunnable(command + ": command not found in PATH " + path, 127);
    }

    private static OwnedFd openAsCaller(String file) throws NotRunnable {
        try {
            return new OwnedFd(Libc.open(file, FLAGS), "command " + file);
        } catch (ErrnoException e) {
            // One message for every reason: the caller learns nothing it could not learn with ls.
            throw new NotRunnable(
                    "cannot run " + file + ": no such file, or not one you may read",
                    e.errno() == Libc.ENOENT ? 127 : 126);
        }
    }
}
