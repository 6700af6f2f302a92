package dev.wgpr.client.daemon;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.OwnedFd;
import dev.wgpr.enforcement.ExecutableId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The files whose processes carry an app's grants when they are bound to its executables: a program
 * as the kernel will know it once it runs ({@code mm->exe_file}). For a script that is its
 * interpreter, not the script ({@code #!/usr/bin/python3} runs as {@code python3}), so the chain of
 * {@code #!} lines is followed, as the kernel follows it, up to its limit of nesting.
 *
 * <p>Each file must be writable by no one but root: the kernel compares device and inode, and a file
 * that another user may rewrite keeps its inode while its program changes.
 */
final class AppExecutables {
    /** {@code BINPRM_BUF_SIZE}: how much of a script's first line the kernel reads. */
    private static final int SHEBANG_LENGTH = 256;

    /** The kernel runs at most this many levels of interpreters ({@code binfmt_script} nesting). */
    private static final int MAX_INTERPRETERS = 4;

    private static final int S_IWGRP_IWOTH = 0022;

    private AppExecutables() {}

    /** The executables of the program open as {@code program} (opened for reading). */
    static List<ExecutableId> ofOpen(OwnedFd program, String name) throws IOException, UnboundExecutableException {
        List<ExecutableId> files = new ArrayList<>();
        files.add(identity(program, name));
        Optional<Path> interpreter = interpreter(program);
        if (interpreter.isPresent()) {
            files.addAll(ofPath(interpreter.get(), MAX_INTERPRETERS - 1));
        }
        return files;
    }

    /** The executables of the program at {@code path} (a config's {@code exec} or {@code allowExec}). */
    static List<ExecutableId> ofPath(Path path) throws IOException, UnboundExecutableException {
        return ofPath(path, MAX_INTERPRETERS);
    }

    private static List<ExecutableId> ofPath(Path path, int levels) throws IOException, UnboundExecutableException {
        if (levels < 0) {
            throw new UnboundExecutableException(path + ": more levels of #! interpreters than the kernel runs");
        }
        List<ExecutableId> files = new ArrayList<>();
        // O_PATH: the locked-down daemon may not read every program a config names, but it may name it.
        try (OwnedFd program = open(path, Libc.O_PATH)) {
            files.add(identity(program, path.toString()));
        }
        Optional<Path> interpreter = Optional.empty();
        try (OwnedFd readable = open(path, Libc.O_RDONLY | Libc.O_NOCTTY)) {
            interpreter = interpreter(readable);
        } catch (UnboundExecutableException unreadable) {
            // Not readable here (the daemon's confinement): a script's interpreter is then added when
            // wg-pr run starts it, from the descriptor the caller opened.
        }
        if (interpreter.isPresent()) {
            files.addAll(ofPath(interpreter.get(), levels - 1));
        }
        return files;
    }

    private static OwnedFd open(Path path, int flags) throws UnboundExecutableException {
        try {
            return new OwnedFd(Libc.open(path.toString(), flags | Libc.O_CLOEXEC), path.toString());
        } catch (ErrnoException e) {
            throw new UnboundExecutableException(path + ": " + Libc.strerror(e.errno()));
        }
    }

    private static ExecutableId identity(OwnedFd program, String name) throws IOException, UnboundExecutableException {
        Map<String, Object> stat = Files.readAttributes(Path.of("/proc/self/fd/" + program.fd()), "unix:uid,mode");
        int owner = (Integer) stat.get("uid");
        int mode = (Integer) stat.get("mode");
        if (owner != 0 || (mode & S_IWGRP_IWOTH) != 0) {
            throw new UnboundExecutableException(name + " may be rewritten by "
                    + (owner != 0 ? "its owner, uid " + owner : (mode & 0002) != 0 ? "every user" : "its group")
                    + ", so its device and inode cannot stand for the program: install it owned by root and"
                    + " writable by root only");
        }
        return ExecutableId.ofOpen(program.fd());
    }

    /** The interpreter a {@code #!} first line names, if the file has one. */
    static Optional<Path> interpreter(OwnedFd program) throws ErrnoException {
        byte[] head = Launcher.read(program, SHEBANG_LENGTH);
        if (head.length < 2 || head[0] != '#' || head[1] != '!') {
            return Optional.empty();
        }
        String line = new String(head, 2, head.length - 2, StandardCharsets.ISO_8859_1);
        int end = line.indexOf('\n');
        String text = (end < 0 ? line : line.substring(0, end)).strip();
        String interpreter = text.split("[ \t]", 2)[0];
        return interpreter.startsWith("/") ? Optional.of(Path.of(interpreter)) : Optional.empty();
    }

    /** A program that cannot be one of an app's executables, and why, in words for the user. */
    static final class UnboundExecutableException extends Exception {
        private static final long serialVersionUID = 1L;

        UnboundExecutableException(String message) {
            super(message);
        }
    }
}
