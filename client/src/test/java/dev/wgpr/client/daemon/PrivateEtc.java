package dev.wgpr.client.daemon;

import dev.wgpr.testing.FileTrees;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A mount namespace of a test's own where {@code /etc} is an overlay of the machine's: what a daemon
 * started in it does to {@code /etc/resolv.conf} stays in the overlay's upper directory, never on the
 * machine. Held open by a {@code sleep} (ended by pid on close), so the CLI and daemons of a test enter it
 * with {@code nsenter --mount} as often as they like, also after a daemon was killed.
 */
final class PrivateEtc implements AutoCloseable {
    private final Process holder;
    private final Path directory;

    private PrivateEtc(Process holder, Path directory) {
        this.holder = holder;
        this.directory = directory;
    }

    static PrivateEtc create() throws IOException, InterruptedException {
        return create(List.of(), "");
    }

    /**
     * A private /etc; the namespace is made by {@code prefix} (such as {@code nsenter --net=...}), and
     * {@code setUp} (a shell script, run in it with {@code $DIR} a directory of the test's) finishes it.
     * Processes {@code setUp} starts for good are ended on close when it writes their pids to {@code
     * $DIR/*.pid}.
     */
    static PrivateEtc create(List<String> prefix, String setUp) throws IOException, InterruptedException {
        Path directory = Files.createTempDirectory(DaemonTesting.scratch(), "etc-");
        Path upper = Files.createDirectory(directory.resolve("upper"));
        Path work = Files.createDirectory(directory.resolve("work"));
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of(
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "--",
                "sh",
                "-c",
                "set -e; DIR=" + directory + "; mount -t overlay overlay -o lowerdir=/etc,upperdir=" + upper
                        + ",workdir=" + work + " /etc\n" + setUp + "\necho ready; exec sleep 900"));
        Process holder = new ProcessBuilder(command).redirectErrorStream(true).start();
        PrivateEtc etc = new PrivateEtc(holder, directory);
        String output = new String(holder.getInputStream().readNBytes(6), StandardCharsets.US_ASCII);
        if (!output.equals("ready\n")) {
            output += new String(holder.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            etc.close();
            throw new IOException("no private /etc: " + output);
        }
        return etc;
    }

    /** The namespace, for {@code nsenter --mount}. */
    Path namespace() {
        return Path.of("/proc", Long.toString(holder.pid()), "ns", "mnt");
    }

    /** A directory outside the overlay, for the targets of symlinks. */
    Path outside() {
        return directory;
    }

    /** Its network namespace, for {@code nsenter --net}. */
    Path networkNamespace() {
        return Path.of("/proc", Long.toString(holder.pid()), "ns", "net");
    }

    /** Runs {@code command} in the namespace (and the holder's network namespace); returns its output, or throws when it fails. */
    String run(String... command) throws IOException, InterruptedException {
        List<String> full =
                new ArrayList<>(List.of("nsenter", "--mount=" + namespace(), "--net=" + networkNamespace(), "--"));
        full.addAll(List.of(command));
        Process process = new ProcessBuilder(full).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException(full + " failed: " + output);
        }
        return output;
    }

    /** Writes {@code text} to {@code file} in the namespace. */
    void write(String file, String text) throws IOException, InterruptedException {
        run("sh", "-c", "printf '%s' \"$1\" > \"$2\"", "sh", text, file);
    }

    /** {@code /etc/resolv.conf} as a reader in the namespace finds it: a symlink's target and the bytes read through it. */
    String resolvConf() throws IOException, InterruptedException {
        return run(
                "sh",
                "-c",
                "if [ -L /etc/resolv.conf ]; then echo \"symlink to $(readlink /etc/resolv.conf)\"; fi;"
                        + " stat -c 'mode %a' /etc/resolv.conf; cat /etc/resolv.conf");
    }

    @Override
    public void close() throws IOException {
        try (var files = Files.list(directory)) {
            for (Path pidFile :
                    files.filter(file -> file.toString().endsWith(".pid")).toList()) {
                ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip()))
                        .ifPresent(started -> {
                            started.destroy();
                            started.onExit()
                                    .orTimeout(10, TimeUnit.SECONDS)
                                    .exceptionally(e -> null)
                                    .join();
                        });
            }
        }
        holder.destroy();
        try {
            holder.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        FileTrees.delete(directory);
    }
}
