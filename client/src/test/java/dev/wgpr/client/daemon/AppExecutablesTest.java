package dev.wgpr.client.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.OwnedFd;
import dev.wgpr.enforcement.ExecutableId;
import dev.wgpr.testing.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AppExecutablesTest {
    @TempDir
    Path dir;

    private Path script(String name, String firstLine) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, firstLine + "\nprint('hello')\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    private static Optional<Path> interpreterOf(Path file) throws Exception {
        try (OwnedFd fd = new OwnedFd(Libc.open(file.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC), "script")) {
            return AppExecutables.interpreter(fd);
        }
    }

    @Test
    void aScriptsInterpreterIsTheFirstWordOfItsHashBangLine() throws Exception {
        assertEquals(Optional.of(Path.of("/usr/bin/python3")), interpreterOf(script("a", "#!/usr/bin/python3 -u")));
        assertEquals(Optional.of(Path.of("/bin/sh")), interpreterOf(script("b", "#! \t/bin/sh")));
        assertEquals(Optional.of(Path.of("/usr/bin/env")), interpreterOf(script("c", "#!/usr/bin/env python3")));
        assertEquals(Optional.empty(), interpreterOf(script("d", "print('no hash bang')")));
        assertEquals(Optional.empty(), interpreterOf(Path.of("/usr/bin/env")));
    }

    @Test
    @RequiresRoot // the script must be root's, or it is refused
    void aScriptRunsAsItsInterpreterSoBothAreItsExecutables() throws Exception {
        Path script = script("tool", "#!/usr/bin/env python3");
        List<ExecutableId> files = AppExecutables.ofPath(script);
        assertEquals(2, files.size(), files::toString);
        try (OwnedFd env = new OwnedFd(Libc.open("/usr/bin/env", Libc.O_PATH | Libc.O_CLOEXEC), "env")) {
            assertEquals(ExecutableId.ofOpen(env.fd()), files.get(1));
        }
    }

    @Test
    @RequiresRoot // the owner must be root for the group's write bit to be the reason
    void aProgramOthersMayRewriteIsRefusedNamingWhoMay() throws Exception {
        Path script = script("writable", "#!/bin/sh");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxrwxr-x"));
        AppExecutables.UnboundExecutableException refused =
                assertThrows(AppExecutables.UnboundExecutableException.class, () -> AppExecutables.ofPath(script));
        assertTrue(refused.getMessage().contains("may be rewritten by its group"), refused.getMessage());
    }
}
