package dev.wgpr.client.tray;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.client.control.TunnelStatus;
import dev.wgpr.client.control.TunnelStatuses;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DesktopEntriesTest {
    @TempDir
    Path home;

    private static DaemonStatus status(List<TunnelStatus.App> apps) {
        TunnelStatus tunnel = TunnelStatuses.withApps("corp", List.of(), List.of(), apps, Map.of());
        return new DaemonStatus(
                DaemonStatus.SCHEMA, "wg-pr", null, apps.isEmpty() ? List.of() : List.of(tunnel), null, List.of());
    }

    private static TunnelStatus.App app(String name, String exec) {
        return new TunnelStatus.App(name, "gw", exec, null, List.of("10.20.0.0/16"), null);
    }

    private List<String> files(Path directory) throws Exception {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(file -> file.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void eachAppOfATunnelThatIsUpGetsAnEntryNamedAndIconedAsItsOwn() throws Exception {
        Path system = Files.createDirectories(home.resolve("system"));
        Files.writeString(system.resolve("firefox-esr.desktop"), """
                [Desktop Entry]
                Name=Firefox ESR
                Name[de]=Firefox ESR (de)
                Exec=/usr/lib/firefox-esr/firefox-esr %u
                Icon=firefox-esr
                Terminal=false

                [Desktop Action new-window]
                Name=New Window
                Exec=/usr/lib/firefox-esr/firefox-esr --new-window %u
                """);
        Files.writeString(system.resolve("htop.desktop"), """
                [Desktop Entry]
                Name=Htop
                Exec=htop
                Icon=htop
                Terminal=true
                """);
        Path applications = home.resolve("applications");
        DesktopEntries entries = new DesktopEntries(applications, "/usr/bin/wg-pr", List.of(system));
        Files.createDirectories(applications);
        Files.writeString(applications.resolve("someone-elses.desktop"), "[Desktop Entry]\n");

        entries.update(status(List.of(
                app("browser", "/usr/lib/firefox-esr/firefox-esr"),
                app("top", "/usr/bin/htop"),
                app("ssh", "/usr/bin/ssh"),
                app("anything", null))));

        assertEquals(
                List.of(
                        "someone-elses.desktop",
                        "wg-pr-app-corp-browser.desktop",
                        "wg-pr-app-corp-ssh.desktop",
                        "wg-pr-app-corp-top.desktop"),
                files(applications));
        assertEquals("""
                [Desktop Entry]
                Type=Application
                Name=Firefox ESR (corp)
                Comment=Firefox ESR with the internal routes of tunnel corp (wg-pr app browser)
                Exec=/usr/bin/wg-pr --instance wg-pr run --detach --app browser --tunnel corp -- /usr/lib/firefox-esr/firefox-esr
                Icon=firefox-esr
                Terminal=false
                Categories=Network;
                X-WgPr-Tunnel=corp
                X-WgPr-App=browser
                """, Files.readString(applications.resolve("wg-pr-app-corp-browser.desktop")));
        String top = Files.readString(applications.resolve("wg-pr-app-corp-top.desktop"));
        assertEquals(
                true,
                top.contains("Exec=/usr/bin/wg-pr --instance wg-pr run --app top --tunnel corp -- /usr/bin/htop\n"),
                top);
        assertEquals(true, top.contains("Terminal=true\n"), top);
        String ssh = Files.readString(applications.resolve("wg-pr-app-corp-ssh.desktop"));
        assertEquals(true, ssh.contains("Name=ssh (corp)\n") && ssh.contains("Icon=network-vpn-symbolic\n"), ssh);

        entries.update(status(List.of()));

        assertEquals(List.of("someone-elses.desktop"), files(applications));
    }

    @Test
    void argumentsWithReservedCharactersAreQuoted() {
        assertEquals("/usr/bin/wg-pr", DesktopEntries.quoted("/usr/bin/wg-pr"));
        assertEquals("\"/opt/My App/run\"", DesktopEntries.quoted("/opt/My App/run"));
        assertEquals("\"a\\$b 100%%\"", DesktopEntries.quoted("a$b 100%"));
    }
}
