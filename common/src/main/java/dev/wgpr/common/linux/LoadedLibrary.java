package dev.wgpr.common.linux;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A shared library this process has mapped, found in {@code /proc/self/maps}, and the Debian package
 * that installed it. This is how we report the version of a library that has no version function
 * (libmnl): the file actually loaded and its package's version, never a guess.
 *
 * @param file the mapped file, e.g. {@code /usr/lib/x86_64-linux-gnu/libmnl.so.0.2.0}
 * @param debianPackage the package listing that file in {@code /var/lib/dpkg/info/*.list}, if any
 * @param debianVersion that package's installed version from {@code /var/lib/dpkg/status}, if any
 */
public record LoadedLibrary(Path file, Optional<String> debianPackage, Optional<String> debianVersion) {
    private static final Path DPKG = Path.of("/var/lib/dpkg");

    /**
     * The mapped library whose file name starts with {@code soname} (e.g. {@code "libmnl.so.0"}), or
     * empty when this process has not loaded it.
     */
    public static Optional<LoadedLibrary> find(String soname) {
        List<String> maps;
        try {
            maps = Files.readAllLines(Path.of("/proc/self/maps"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (String line : maps) {
            int slash = line.indexOf('/');
            if (slash < 0) {
                continue;
            }
            Path file = Path.of(line.substring(slash));
            if (file.getFileName().toString().startsWith(soname)) {
                Optional<String> pkg = debianPackageOwning(file);
                return Optional.of(new LoadedLibrary(file, pkg, pkg.flatMap(LoadedLibrary::debianVersionOf)));
            }
        }
        return Optional.empty();
    }

    /** E.g. {@code "libmnl.so.0.2.0 (Debian package libmnl0 1.0.4-3)"}. */
    public String describe() {
        String name = file.getFileName().toString();
        if (debianPackage.isEmpty()) {
            return name + " (" + file + ", not from a Debian package)";
        }
        return name + " (Debian package " + debianPackage.get() + " " + debianVersion.orElse("?") + ")";
    }

    private static Optional<String> debianPackageOwning(Path file) {
        Path info = DPKG.resolve("info");
        if (!Files.isDirectory(info)) {
            return Optional.empty();
        }
        String wanted = file.toString();
        // With a merged /usr the same file may be listed as /lib/... or /usr/lib/...
        String alternative = wanted.startsWith("/usr/") ? wanted.substring(4) : "/usr" + wanted;
        try (DirectoryStream<Path> lists = Files.newDirectoryStream(info, "lib*.list")) {
            for (Path list : lists) {
                for (String line : Files.readAllLines(list, StandardCharsets.UTF_8)) {
                    if (line.equals(wanted) || line.equals(alternative)) {
                        String pkg = list.getFileName().toString();
                        pkg = pkg.substring(0, pkg.length() - ".list".length());
                        int colon = pkg.indexOf(':');
                        return Optional.of(colon < 0 ? pkg : pkg.substring(0, colon));
                    }
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static Optional<String> debianVersionOf(String pkg) {
        try {
            boolean inPackage = false;
            for (String line : Files.readAllLines(DPKG.resolve("status"), StandardCharsets.UTF_8)) {
                if (line.startsWith("Package: ")) {
                    inPackage = line.substring("Package: ".length()).equals(pkg);
                } else if (inPackage && line.startsWith("Version: ")) {
                    return Optional.of(line.substring("Version: ".length()));
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }
}
