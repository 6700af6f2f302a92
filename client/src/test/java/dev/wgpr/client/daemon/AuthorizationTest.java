package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.control.PeerCredentials;
import dev.wgpr.client.polkit.Polkit;
import dev.wgpr.testing.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Who may do what, with polkit's answers given by the test (a fake: the real one is in PolkitControlTest). */
class AuthorizationTest {
    private static final PeerCredentials ROOT = new PeerCredentials(1, 0, 0, new int[0]);
    private static final PeerCredentials MEMBER = new PeerCredentials(1, 1000, 1000, new int[] {4242});
    private static final PeerCredentials STRANGER = new PeerCredentials(1, 1001, 1001, new int[0]);

    @TempDir
    Path dir;

    private static Authorization withFakePolkit(Polkit.Answer answer, List<Path> configDirectories) {
        return new Authorization("4242", configDirectories, (caller, action) -> answer);
    }

    @Test
    void rootMayDoEverythingWhateverAFakePolkitSays() {
        Authorization authorization = withFakePolkit(Polkit.Answer.NO, List.of());
        for (Authorization.Action action : Authorization.Action.values()) {
            assertEquals(Optional.empty(), authorization.refusal(ROOT, action));
        }
    }

    @Test
    void aFakePolkitsYesLetsAUserOutsideTheLaunchGroupDoIt() {
        assertEquals(
                Optional.empty(),
                withFakePolkit(Polkit.Answer.YES, List.of()).refusal(STRANGER, Authorization.Action.UP));
    }

    @Test
    void aFakePolkitsNoRefusesEvenAMemberOfTheLaunchGroupAndNamesTheAction() {
        Optional<String> refusal =
                withFakePolkit(Polkit.Answer.NO, List.of()).refusal(MEMBER, Authorization.Action.RUN);

        assertEquals(
                Optional.of("uid 1000 may not start apps: polkit does not allow dev.wgpr.run (its rules, or an"
                        + " administrator's authentication, decide)"),
                refusal);
    }

    @Test
    void withoutPolkitTheLaunchGroupDecides() {
        Authorization authorization = withFakePolkit(Polkit.Answer.UNAVAILABLE, List.of());

        assertEquals(Optional.empty(), authorization.refusal(MEMBER, Authorization.Action.DOWN));
        assertEquals(
                Optional.of("uid 1001 may not take tunnels down: only root and members of group '4242' may"),
                authorization.refusal(STRANGER, Authorization.Action.DOWN));
    }

    @Test
    @RequiresRoot // the configs must be root's
    void aUserMayNameARootOwnedConfigInAConfigDirectory() throws Exception {
        Path configs = rootsOwnDirectory("configs");
        Path config = rootsOwnConfig(configs.resolve("corp.toml"));

        assertEquals(
                Optional.empty(),
                withFakePolkit(Polkit.Answer.YES, List.of(configs)).configRefusal(MEMBER, config));
    }

    @Test
    @RequiresRoot // the configs must be root's
    void aUserMayNotNameAConfigOutsideTheConfigDirectories() throws Exception {
        Path configs = rootsOwnDirectory("configs");
        Path elsewhere = rootsOwnConfig(rootsOwnDirectory("elsewhere").resolve("corp.toml"));

        Optional<String> refusal =
                withFakePolkit(Polkit.Answer.YES, List.of(configs)).configRefusal(MEMBER, elsewhere);

        assertTrue(refusal.orElseThrow().startsWith(elsewhere + ": only root may name a config outside /etc/wg-pr"));
    }

    @Test
    @RequiresRoot // the configs must be root's
    void aUserMayNotNameAConfigOthersMayWrite() throws Exception {
        Path configs = rootsOwnDirectory("configs");
        Path config = rootsOwnConfig(configs.resolve("corp.toml"));
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-rw-r--"));

        assertTrue(withFakePolkit(Polkit.Answer.YES, List.of(configs))
                .configRefusal(MEMBER, config)
                .isPresent());
    }

    @Test
    @RequiresRoot // the configs must be root's
    void aUserMayNotNameAConfigInAConfigDirectoryOthersMayWrite() throws Exception {
        Path configs = rootsOwnDirectory("configs");
        Files.setPosixFilePermissions(configs, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path config = rootsOwnConfig(configs.resolve("corp.toml"));

        assertTrue(withFakePolkit(Polkit.Answer.YES, List.of(configs))
                .configRefusal(MEMBER, config)
                .isPresent());
    }

    @Test
    @RequiresRoot // the configs must be root's
    void aSymlinkInAConfigDirectoryToAFileElsewhereIsRefused() throws Exception {
        Path configs = rootsOwnDirectory("configs");
        Path target = rootsOwnConfig(rootsOwnDirectory("elsewhere").resolve("secret.toml"));
        Path link = Files.createSymbolicLink(configs.resolve("corp.toml"), target);

        assertTrue(withFakePolkit(Polkit.Answer.YES, List.of(configs))
                .configRefusal(MEMBER, link)
                .isPresent());
    }

    @Test
    void rootMayNameAnyConfig() throws Exception {
        Path anywhere = dir.resolve("anywhere.toml");
        Files.writeString(anywhere, "");
        Files.setPosixFilePermissions(anywhere, PosixFilePermissions.fromString("rw-rw-rw-"));

        assertEquals(
                Optional.empty(), withFakePolkit(Polkit.Answer.NO, List.of()).configRefusal(ROOT, anywhere));
    }

    private Path rootsOwnDirectory(String name) throws Exception {
        Path directory = Files.createDirectory(dir.resolve(name));
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
        return directory;
    }

    private static Path rootsOwnConfig(Path file) throws Exception {
        Files.writeString(file, "");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }
}
