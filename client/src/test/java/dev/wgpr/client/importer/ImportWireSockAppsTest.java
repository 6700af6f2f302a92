package dev.wgpr.client.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.client.config.AppConfig;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** WireSock's AllowedApps entries as wg-pr apps. */
class ImportWireSockAppsTest {
    @Test
    void aProcessNameIsAnAppOfThatName() {
        assertEquals(
                new ImportedApp("firefox", Optional.empty()), convert("firefox").app());
        assertEquals(Optional.empty(), convert("firefox").lost());
    }

    @Test
    void anAbsoluteLinuxPathIsTheAppsExec() {
        assertEquals(
                new ImportedApp("ssh", Optional.of("/usr/bin/ssh")),
                convert("/usr/bin/ssh").app());
        assertEquals(Optional.empty(), convert("/usr/bin/ssh").lost());
    }

    @Test
    void aWindowsPathGivesTheNameButItsExecIsReportedLost() {
        WireSockApps.Conversion conversion = convert("C:\\Program Files\\Mozilla Firefox\\firefox.exe");
        assertEquals(new ImportedApp("firefox", Optional.empty()), conversion.app());
        assertTrue(conversion.lost().orElseThrow().contains("is a Windows program"), conversion.lost()::get);
    }

    @Test
    void anExeNameIsAWindowsProgram() {
        WireSockApps.Conversion conversion = convert("Teams.EXE");
        assertEquals(new ImportedApp("teams", Optional.empty()), conversion.app());
        assertTrue(conversion.lost().isPresent());
    }

    @Test
    void aFolderCannotBeAnExec() {
        WireSockApps.Conversion conversion = convert("/opt/vendor/tools/");
        assertEquals(new ImportedApp("tools", Optional.empty()), conversion.app());
        assertTrue(conversion.lost().orElseThrow().contains("is a folder"));
    }

    @Test
    void namesAreMadeCgroupSafe() {
        assertEquals(
                "db-console",
                convert("/opt/Internal Tools/bin/DB Console").app().name());
        assertEquals("my-app-2.0", convert("..My App (2.0)").app().name());
        assertTrue(AppConfig.isValidName(convert("_-~Strange__Name~-_").app().name()));
    }

    @Test
    void longNamesAreCutToSixtyFourCharacters() {
        String name = convert("a".repeat(100)).app().name();
        assertEquals(64, name.length());
    }

    @Test
    void anEntryWithNothingUsableGivesNoApp() {
        assertEquals(Optional.empty(), WireSockApps.convert("日本語.exe"));
    }

    private static WireSockApps.Conversion convert(String entry) {
        return WireSockApps.convert(entry).orElseThrow();
    }
}
