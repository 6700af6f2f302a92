package dev.wgpr.client.daemon;

import dev.wgpr.client.control.UnixSocket;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The instance's runtime directory as its one daemon holds it: the exclusive lock on {@code daemon.lock},
 * held for the daemon's life (the kernel drops it if the daemon dies, so a stale socket file from a crashed
 * daemon is simply replaced), the pid file and the listening control socket.
 */
record RuntimeFiles(
        Instance instance, FileChannel lockChannel, FileLock lock, UnixSocket listener, boolean socketFromSystemd) {
    /** Takes the lock and opens the control socket; throws when another daemon of the instance runs. */
    static RuntimeFiles claim(Instance instance) throws IOException {
        Path runtime = instance.runtimeDirectory();
        Files.createDirectories(runtime);
        // Everyone may reach the socket; who may do what is decided per request from SO_PEERCRED.
        Files.setPosixFilePermissions(runtime, PosixFilePermissions.fromString("rwxr-xr-x"));
        FileChannel lockChannel =
                FileChannel.open(instance.lockFile(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = lockChannel.tryLock();
        if (lock == null) {
            lockChannel.close();
            throw new IOException("a daemon of instance " + instance + " is already running"
                    + readPid(instance).map(pid -> " (pid " + pid + ")").orElse(""));
        }
        try {
            OptionalInt passed = SystemdSocket.passed(System.getenv());
            UnixSocket listener;
            if (passed.isPresent()) {
                // wg-pr.socket's: systemd made the file (SocketMode=0666) and keeps it.
                listener = UnixSocket.adoptListener(passed.getAsInt(), instance.controlSocket());
            } else {
                Files.deleteIfExists(instance.controlSocket());
                listener = UnixSocket.listen(instance.controlSocket(), 64);
                Files.setPosixFilePermissions(instance.controlSocket(), PosixFilePermissions.fromString("rw-rw-rw-"));
            }
            Files.writeString(instance.pidFile(), ProcessHandle.current().pid() + "\n", StandardCharsets.US_ASCII);
            return new RuntimeFiles(instance, lockChannel, lock, listener, passed.isPresent());
        } catch (IOException | RuntimeException e) {
            lock.release();
            lockChannel.close();
            throw e;
        }
    }

    /** Removes the socket, pid file and lock, the log too when asked, and the directory once empty. */
    void release(boolean removeLog, PrintStream log) {
        try {
            if (!socketFromSystemd) {
                Files.deleteIfExists(instance.controlSocket());
            }
            Files.deleteIfExists(instance.pidFile());
            lock.release();
            lockChannel.close();
            Files.deleteIfExists(instance.lockFile());
            if (removeLog) {
                Files.deleteIfExists(instance.logFile());
            }
            try {
                Files.deleteIfExists(instance.resolverStateDirectory());
            } catch (DirectoryNotEmptyException e) {
                // What the host's resolver needs put back, for the next daemon.
            }
            try (var entries = Files.list(instance.runtimeDirectory())) {
                if (entries.findAny().isEmpty()) {
                    Files.delete(instance.runtimeDirectory());
                }
            }
        } catch (IOException e) {
            log.println("wg-pr daemon: cleaning up " + instance.runtimeDirectory() + ": " + e.getMessage());
        }
    }

    private static Optional<String> readPid(Instance instance) {
        try {
            return Optional.of(Files.readString(instance.pidFile()).strip());
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
