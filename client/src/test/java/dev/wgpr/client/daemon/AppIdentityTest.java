package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.daemon.DaemonTesting.Cli;
import dev.wgpr.client.daemon.DaemonTesting.Result;
import dev.wgpr.testing.RequiresNetns;
import dev.wgpr.testing.RequiresRoot;
import dev.wgpr.testing.lab.NetnsLab;
import dev.wgpr.testing.lab.NetnsLabExtension;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An app's grants are bound to its program in the kernel ({@code children = "same-exec"}, the
 * default): code an attacker gets to run inside an authorized app's cgroup, as the app's own user,
 * through the app's legitimate ways of starting other programs (ssh's {@code ProxyCommand}, git's
 * {@code core.sshCommand}, a shell the app spawns, a memfd, the dynamic loader run directly) reaches
 * nothing internal, and each attempt leaves a deny event; the app itself, and the helpers its
 * {@code allowExec} lists, still reach what it may. Driven through {@code wg-pr up} and {@code wg-pr
 * run} as uid nobody, against a tunnel to wireguard-go.
 */
@RequiresRoot
@RequiresNetns
@ExtendWith(NetnsLabExtension.class)
class AppIdentityTest {
    private static final String HELLO = TunnelLab.INTERNAL_V4 + "/" + TunnelLab.PORT;

    /** Bash connecting to the internal service and printing what it says. */
    private static final String CONNECT = "exec 3<>/dev/tcp/" + HELLO + " && head -c 5 <&3";

    private static TunnelLab net;

    /** Two copies of bash: the app "racy" is the first (its exec path and its sha256), never the other. */
    private static Path good;

    private static Path other;

    /** The path of racy's exec, swapped between the two copies while the racing test runs. */
    private static Path racyExec;

    private static Path config;

    @BeforeAll
    static void up(NetnsLab lab) throws Exception {
        net = TunnelLab.routed(lab);
        Path race = Files.createTempDirectory(DaemonTesting.scratch(), "race-");
        Files.setPosixFilePermissions(race, PosixFilePermissions.fromString("rwxr-xr-x"));
        good = Files.copy(Path.of("/bin/bash"), race.resolve("good"));
        other = Files.copy(Path.of("/bin/bash"), race.resolve("other"));
        Files.write(other, new byte[] {0}, StandardOpenOption.APPEND); // another program, another digest
        racyExec = Files.createLink(race.resolve("tool"), good);
        config = net.config("per-prefix", "\"10.20.0.0/16\"", null);
        Files.writeString(config, """

                [[peer.allowedApps]]
                name = "python"
                exec = "/usr/bin/python3"

                [[peer.allowedApps]]
                name = "strict-python"
                exec = "/usr/bin/python3"
                args = "[^-].*"

                [[peer.allowedApps]]
                name = "ssh"
                exec = "/usr/bin/ssh"

                [[peer.allowedApps]]
                name = "git"
                exec = "/usr/bin/git"

                [[peer.allowedApps]]
                name = "with-helper"
                exec = "/usr/bin/perl"
                allowExec = ["/bin/bash"]

                [[peer.allowedApps]]
                name = "everything"
                children = "any"

                [[peer.allowedApps]]
                name = "racy"
                exec = "%s"
                sha256 = "%s"
                """.formatted(racyExec, sha256(good)), StandardOpenOption.APPEND);
        net.upWithNobodyInTheLaunchGroup(config);
    }

    @AfterAll
    static void down() throws Exception {
        if (net != null) {
            net.close();
        }
    }

    private static Cli nobody() {
        return net.nobody();
    }

    private static Result run(String app, String... command) throws Exception {
        List<String> args = new ArrayList<>(List.of("run", "--app", app, "--"));
        args.addAll(List.of(command));
        return nobody().run(args.toArray(String[]::new));
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    private static void assertReached(Result result) {
        assertEquals(0, result.exitCode(), result::toString);
        assertTrue(result.out().contains("hello"), result::toString);
    }

    /** Refused in the kernel, and the deny event names the app and why. */
    private static void assertDeniedAsNotTheAppsProgram(Result result, String app, String comm) throws Exception {
        assertTrue(!result.out().contains("hello"), result::toString);
        assertTrue(result.err().contains("Operation not permitted"), result::toString);
        net.awaitEvents("\"comm\":\"" + comm + "\",\"uid\":65534,\"app\":\"" + app + "\"", NOT_THE_APPS_PROGRAM);
    }

    private static final String NOT_THE_APPS_PROGRAM = "in the app's cgroup but not running its program";

    @Test
    void theAppsOwnProgramReachesItsGrants() throws Exception {
        assertReached(run("probe", "/bin/bash", "-c", CONNECT));
    }

    @Test
    void aCallerInAMountNamespaceOfItsOwnStartsTheAppWithItsGrants() throws Exception {
        // Its descriptor's mount is not among the daemon's (as under systemd's PrivateMounts=).
        Result result = nobody().inOwnMountNamespace().run("run", "--app", "probe", "--", "/bin/bash", "-c", CONNECT);
        assertReached(result);
    }

    @Test
    void aShellTheAppSpawnsRunsWithoutTheAppsGrants() throws Exception {
        Result result = run("python", "/usr/bin/python3", "-c", """
                import subprocess, sys
                r = subprocess.run(["/bin/bash", "-c", "%s"], capture_output=True, text=True)
                print("child", r.returncode, r.stdout, r.stderr)
                """.formatted(CONNECT));
        assertTrue(result.out().contains("child 1"), result::toString);
        assertTrue(result.out().contains("Operation not permitted"), result::toString);
        net.awaitEvents("\"comm\":\"bash\",\"uid\":65534,\"app\":\"python\"", NOT_THE_APPS_PROGRAM);
    }

    @Test
    void pythonDashCInsideAPythonAppIsThePythonProgramSoItHasTheGrants() throws Exception {
        // What same-exec means for an interpreter: the program is python3, whatever it interprets.
        Result result = run("python", "/usr/bin/python3", "-c", """
                import socket
                s = socket.create_connection(("%s", %d), timeout=10)
                print(s.recv(5).decode())
                """.formatted(TunnelLab.INTERNAL_V4, TunnelLab.PORT));
        assertReached(result);
    }

    @Test
    void anArgsPatternRefusesToStartAnInterpreterWithCodeFromItsOptions() throws Exception {
        Result result = run("strict-python", "/usr/bin/python3", "-c", "print('started')");
        assertEquals(126, result.exitCode(), result::toString);
        assertTrue(result.err().contains("args pattern"), result::toString);
        assertTrue(!result.out().contains("started"), result::toString);
    }

    @Test
    void sshProxyCommandRunsWithoutSshsGrants() throws Exception {
        Result result = run(
                "ssh",
                "/usr/bin/ssh",
                "-F",
                "/dev/null",
                "-o",
                "BatchMode=yes",
                "-o",
                "ProxyCommand=bash -c '" + CONNECT + "'",
                "nobody@internal");
        assertDeniedAsNotTheAppsProgram(result, "ssh", "bash");
    }

    /**
     * ssh runs {@code LocalCommand} only once it has connected and logged in: the marker it prints
     * proves ssh itself reached the internal host with its grants, and the command it started, in the
     * same cgroup, did not.
     */
    @Test
    void sshLocalCommandRunsWithoutSshsGrantsAfterSshLoggedIn() throws Exception {
        try (LabSshd sshd = LabSshd.start(net)) {
            List<String> command = new ArrayList<>(List.of("/usr/bin/ssh"));
            command.addAll(sshd.batchSshOptions());
            command.addAll(List.of(
                    "-o",
                    "PermitLocalCommand=yes",
                    "-o",
                    "LocalCommand=echo logged-in >&2; bash -c '" + CONNECT + "'",
                    "nobody@" + TunnelLab.INTERNAL_V4,
                    "true"));
            Result result = run("ssh", command.toArray(String[]::new));

            assertTrue(result.err().contains("logged-in"), "ssh reached the host and logged in: " + result);
            assertDeniedAsNotTheAppsProgram(result, "ssh", "bash");
        }
    }

    @Test
    void gitsCoreSshCommandRunsWithoutGitsGrants() throws Exception {
        Result result = run(
                "git",
                "/usr/bin/git",
                "-c",
                "core.sshCommand=bash -c '" + CONNECT + "' --",
                "ls-remote",
                "ssh://internal/repo.git");
        assertDeniedAsNotTheAppsProgram(result, "git", "bash");
    }

    @Test
    void aProgramRunFromAMemfdHasNoGrants() throws Exception {
        Result result = run("python", "/usr/bin/python3", "-c", """
                import os
                fd = os.memfd_create("bash", 0)
                os.write(fd, open("/bin/bash", "rb").read())
                os.execve(fd, ["bash", "-c", "%s"], {})
                """.formatted(CONNECT));
        assertDeniedAsNotTheAppsProgram(result, "python", "memfd:bash");
    }

    @Test
    void theDynamicLoaderRunDirectlyHasNoGrants() throws Exception {
        Result result = run("python", "/usr/bin/python3", "-c", """
                import os, glob
                loader = sorted(glob.glob("/lib64/ld-linux-*.so.*"))[0]
                os.execv(loader, [loader, "/bin/bash", "-c", "%s"])
                """.formatted(CONNECT));
        assertDeniedAsNotTheAppsProgram(result, "python", "ld-linux-x86-64");
    }

    @Test
    void aHelperTheAppsAllowExecListsHasTheGrants() throws Exception {
        Result result = run("with-helper", "/usr/bin/perl", "-e", "exec '/bin/bash', '-c', '" + CONNECT + "'");
        assertReached(result);
    }

    @Test
    void withChildrenAnyEveryProcessOfTheAppHasTheGrants() throws Exception {
        Result result = run("everything", "/usr/bin/perl", "-e", "exec '/bin/bash', '-c', '" + CONNECT + "'");
        assertReached(result);
    }

    @Test
    void aProgramItsUserMayRewriteIsNotStartedAsAnAppBoundToItsProgram() throws Exception {
        Path own = DaemonTesting.scratch().resolve("own-true");
        Files.copy(Path.of("/usr/bin/true"), own, StandardCopyOption.REPLACE_EXISTING);
        Files.setOwner(own, own.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));

        Result result = run("probe", own.toString());

        assertEquals(126, result.exitCode(), result::toString);
        assertTrue(result.err().contains("may be rewritten by its owner, uid 65534"), result::toString);
    }

    @Test
    void aReloadNamingAHelperOthersMayRewriteChangesNothing() throws Exception {
        Path helper = DaemonTesting.scratch().resolve("writable-helper");
        Files.copy(Path.of("/usr/bin/true"), helper, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwxrwxrwx"));
        String before = Files.readString(config);
        Path edited = config.resolveSibling("edited-" + config.getFileName());
        Files.writeString(
                edited,
                before.replace("allowExec = [\"/bin/bash\"]", "allowExec = [\"/bin/bash\", \"" + helper + "\"]"));

        Result reload = net.cli().run("reload", edited.toString());

        assertTrue(reload.exitCode() != 0, reload::toString);
        assertTrue(reload.err().contains(helper + " may be rewritten by every user"), reload::toString);
        assertReached(run("with-helper", "/usr/bin/perl", "-e", "exec '/bin/bash', '-c', '" + CONNECT + "'"));
    }

    @Test
    void statusSaysWhichAppsGiveTheirGrantsOnlyToTheirPrograms() throws Exception {
        Result status = net.cli().run("status");

        assertEquals(0, status.exitCode(), status::toString);
        assertTrue(
                status.out()
                        .lines()
                        .anyMatch(line -> line.matches(" *app python +#\\d+: .*; only to its programs \\(1 file\\)")),
                status::toString);
        assertTrue(
                status.out()
                        .lines()
                        .anyMatch(line -> line.matches(" *app everything +#\\d+: .*; to every process of the app")),
                status::toString);
        assertTrue(status.out().contains("route mode    per-prefix"), status::toString);
        assertTrue(status.out().lines().anyMatch(line -> line.matches(" *handshake +.* ago")), status::toString);
        assertTrue(
                status.out().lines().noneMatch(line -> line.contains("=0") || line.contains("AddRoute[")),
                status::toString);
    }

    @Test
    void theFileCheckedIsTheFileThatRunsWhileItsPathIsSwappedUnderTheLauncher() throws Exception {
        Path log = Files.createTempFile(DaemonTesting.scratch(), "racy-", ".txt");
        Files.setPosixFilePermissions(log, PosixFilePermissions.fromString("rw-rw-rw-"));
        AtomicBoolean racing = new AtomicBoolean(true);
        Thread racer = Thread.ofPlatform().start(() -> {
            Path next = racyExec.resolveSibling("next");
            try {
                while (racing.get()) {
                    for (Path program : List.of(other, good)) {
                        Files.deleteIfExists(next);
                        Files.createLink(next, program);
                        Files.move(next, racyExec, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        Result launches;
        try {
            launches = net.asNobody(
                    TunnelLab.javaCommand(
                            RacingLaunches.class,
                            net.instance.name(),
                            "racy",
                            racyExec.toString(),
                            Integer.toString(LAUNCHES),
                            "stat -L -c %i /proc/$$/exe >> " + log),
                    Duration.ofMinutes(30));
        } finally {
            racing.set(false);
            racer.join();
        }
        assertEquals(0, launches.exitCode(), launches::toString);
        List<String> ran = Files.readAllLines(log);
        long goodInode = (Long) Files.getAttribute(good, "unix:ino");
        assertTrue(launches.out().contains("started " + ran.size() + " "), () -> launches + "\nran: " + ran.size());
        assertTrue(
                ran.size() > LAUNCHES / 20,
                () -> "too few launches got through the race to prove anything: " + launches);
        assertTrue(launches.out().matches("(?s).*refused [1-9].*"), () -> "the race never hit: " + launches);
        assertEquals(List.of(Long.toString(goodInode)), ran.stream().distinct().toList(), launches::toString);
    }

    private static final int LAUNCHES = 2000;
}
