package dev.wgpr.client.daemon;

import dev.wgpr.testing.FileTrees;
import dev.wgpr.testing.lab.LabProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real sshd (Debian's openssh-server) on the lab's internal host, port 22, that lets in the holder of
 * {@link #clientKey} (readable by uid nobody) by key only; stopped and removed by {@link #close}.
 */
final class LabSshd implements AutoCloseable {
    private static final Path PRIVSEP = Path.of("/run/sshd"); // sshd refuses to start without it

    private final Path dir;
    private final boolean madePrivsep;
    private LabProcess sshd;

    private LabSshd(Path dir, boolean madePrivsep) {
        this.dir = dir;
        this.madePrivsep = madePrivsep;
    }

    /** Starts it in {@code net}'s server namespace, with {@code extraConfig} lines added to its config. */
    static LabSshd start(TunnelLab net, String... extraConfig) throws IOException {
        Path dir = Files.createTempDirectory(DaemonTesting.scratch(), "sshd-");
        LabSshd started = new LabSshd(dir, !Files.isDirectory(PRIVSEP));
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            for (String key : List.of("host", "client")) {
                net.serverNs.run(
                        "ssh-keygen",
                        "-q",
                        "-t",
                        "ed25519",
                        "-N",
                        "",
                        "-f",
                        dir.resolve(key).toString());
            }
            Files.copy(dir.resolve("client.pub"), dir.resolve("authorized_keys"));
            Files.setAttribute(dir.resolve("client"), "unix:uid", DaemonTesting.NOBODY);
            Files.writeString(dir.resolve("sshd_config"), """
                    ListenAddress %s:22
                    HostKey %s
                    AuthorizedKeysFile %s
                    StrictModes no
                    PasswordAuthentication no
                    KbdInteractiveAuthentication no
                    UsePAM no
                    PidFile none
                    %s
                    """.formatted(
                            TunnelLab.INTERNAL_V4,
                            dir.resolve("host"),
                            dir.resolve("authorized_keys"),
                            String.join("\n", extraConfig)));
            if (started.madePrivsep) {
                Files.createDirectory(PRIVSEP);
            }
            started.sshd = net.serverNs.start(
                    "/usr/sbin/sshd",
                    "-D",
                    "-e",
                    "-f",
                    dir.resolve("sshd_config").toString());
            net.serverNs.awaitTcpListener(22, Duration.ofSeconds(30));
            return started;
        } catch (IOException | RuntimeException e) {
            started.close();
            throw e;
        }
    }

    /** The key the server lets in, owned by uid nobody. */
    Path clientKey() {
        return dir.resolve("client");
    }

    /** ssh's options for this server: its key, no config file, no host key prompt. */
    List<String> sshOptions() {
        return List.of(
                "-F",
                "/dev/null",
                "-i",
                clientKey().toString(),
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null");
    }

    /** {@link #sshOptions()} for an ssh that must never prompt: a refused login fails instead of waiting. */
    List<String> batchSshOptions() {
        List<String> options = new ArrayList<>(sshOptions());
        options.addAll(List.of("-o", "BatchMode=yes"));
        return options;
    }

    @Override
    public void close() throws IOException {
        try {
            if (sshd != null) {
                sshd.close();
            }
        } finally {
            if (madePrivsep) {
                Files.deleteIfExists(PRIVSEP);
            }
            FileTrees.delete(dir);
        }
    }
}
