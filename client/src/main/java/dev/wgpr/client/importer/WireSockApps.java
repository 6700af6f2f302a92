package dev.wgpr.client.importer;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * WireSock's {@code AllowedApps} entries as wg-pr apps. WireSock matches a process name
 * ({@code firefox}), an executable ({@code C:\...\firefox.exe}) or a folder; wg-pr names an app
 * (its cgroup) and optionally pins it to one Linux executable.
 */
final class WireSockApps {
    private static final Pattern WINDOWS_DRIVE = Pattern.compile("^[A-Za-z]:[\\\\/].*");
    private static final Pattern EXE_SUFFIX = Pattern.compile("(?i)\\.exe$");

    private WireSockApps() {}

    /**
     * One entry turned into an app.
     *
     * @param app the app; its name may still collide with another entry's
     * @param lost what of the entry could not be carried over, and why; empty if nothing was lost
     */
    record Conversion(ImportedApp app, Optional<String> lost) {}

    /** The app for one entry, or empty when no usable name can be made from it. */
    static Optional<Conversion> convert(String entry) {
        boolean windows = WINDOWS_DRIVE.matcher(entry).matches()
                || entry.contains("\\")
                || EXE_SUFFIX.matcher(entry).find();
        String baseName = baseName(entry);
        String name = Names.safeName(EXE_SUFFIX.matcher(baseName).replaceAll(""));
        if (name.isEmpty()) {
            return Optional.empty();
        }
        if (windows) {
            return Optional.of(new Conversion(
                    new ImportedApp(name, Optional.empty()),
                    Optional.of("'" + entry + "' is a Windows program: imported as app '" + name
                            + "' without exec; set exec to its Linux executable")));
        }
        if (entry.startsWith("/") && entry.endsWith("/")) {
            return Optional.of(new Conversion(
                    new ImportedApp(name, Optional.empty()),
                    Optional.of("'" + entry + "' is a folder; wg-pr pins an app to one executable: imported as app '"
                            + name + "' without exec")));
        }
        if (entry.indexOf('\0') >= 0) {
            return Optional.of(new Conversion(
                    new ImportedApp(name, Optional.empty()),
                    Optional.of("'" + entry.replace("\0", "\\0") + "' holds a NUL, which no Linux path can: imported as"
                            + " app '" + name + "' without exec")));
        }
        Optional<String> exec = entry.startsWith("/") ? Optional.of(entry) : Optional.empty();
        return Optional.of(new Conversion(new ImportedApp(name, exec), Optional.empty()));
    }

    /** Whether the app name is not simply the entry's own name in lowercase. */
    static boolean nameDiffersFrom(String entry, String name) {
        String plain = EXE_SUFFIX.matcher(baseName(entry)).replaceAll("").toLowerCase(Locale.ROOT);
        return !plain.equals(name);
    }

    private static String baseName(String entry) {
        String trimmed = entry.replaceAll("[\\\\/]+$", "");
        int separator = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
        return trimmed.substring(separator + 1);
    }
}
