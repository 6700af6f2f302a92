package dev.wgpr.common.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One line of {@code /proc/self/mountinfo} ({@code proc(5)}): {@code ID PARENT MAJ:MIN ROOT MOUNTPOINT
 * OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS}.
 *
 * @param mountPoint where it is mounted, unescaped
 * @param fsType the filesystem type, e.g. {@code cgroup2} or {@code bpf}
 * @param superOptions the superblock options, e.g. {@code rw,cpu}
 */
public record MountInfo(Path mountPoint, String fsType, String superOptions) {

    /** The mounts of this process's mount namespace, in mount order. */
    public static List<MountInfo> read() throws IOException {
        return parse(Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8));
    }

    /** Parses mountinfo lines; a line not of that shape is skipped. */
    public static List<MountInfo> parse(List<String> lines) {
        List<MountInfo> mounts = new ArrayList<>();
        for (String line : lines) {
            String[] fields = line.split(" ");
            int separator = List.of(fields).indexOf("-");
            if (separator < 6 || separator + 3 > fields.length) {
                continue;
            }
            mounts.add(new MountInfo(Path.of(unescape(fields[4])), fields[separator + 1], fields[separator + 3]));
        }
        return mounts;
    }

    /** Whether a filesystem of type {@code fsType} is mounted exactly at {@code mountPoint}. */
    public static boolean isMounted(Path mountPoint, String fsType) throws IOException {
        return read().stream()
                .anyMatch(m -> m.mountPoint().equals(mountPoint) && m.fsType().equals(fsType));
    }

    /** mountinfo escapes space, tab, newline and backslash as three octal digits. */
    static String unescape(String field) {
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && isOctal(field, i + 1)) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '7') {
                return false;
            }
        }
        return true;
    }
}
