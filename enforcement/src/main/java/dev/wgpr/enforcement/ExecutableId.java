package dev.wgpr.enforcement;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * A file as the kernel's executable check compares it ({@code struct wgpr_exec_key}): the device of
 * its superblock in the kernel's own encoding and its inode number.
 *
 * <p>Why not {@code stat}'s {@code st_dev}: the check reads {@code inode->i_sb->s_dev}, and a file
 * system may report another device to {@code stat} than its superblock's (btrfs reports the
 * subvolume's). {@code /proc/self/mountinfo} prints the superblock's device of each mount, so the
 * device comes from the mount the open file is on ({@code mnt_id} in {@code /proc/self/fdinfo}).
 *
 * @param dev {@code s_dev}: {@code major << 20 | minor}
 * @param ino the inode number
 */
public record ExecutableId(int dev, long ino) {
    /** The executable open as descriptor {@code fd} of this process. */
    public static ExecutableId ofOpen(int fd) throws IOException {
        Path file = Path.of("/proc/self/fd/" + fd);
        long ino = (Long) Files.getAttribute(file, "unix:ino");
        OptionalInt device = superblockDevice(mountIdOf(fd));
        if (device.isPresent()) {
            return new ExecutableId(device.getAsInt(), ino);
        }
        // Opened in another mount namespace (a caller's, or ours under systemd's PrivateMounts=): its mount
        // is not in our mountinfo. stat's device is the superblock's on every file system but btrfs.
        return new ExecutableId(fromUserspace((Long) Files.getAttribute(file, "unix:dev")), ino);
    }

    /** glibc's {@code dev_t} ({@code gnu_dev_major}/{@code gnu_dev_minor}) in the kernel's encoding. */
    static int fromUserspace(long dev) {
        int major = (int) (((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL));
        int minor = (int) ((dev & 0xff) | ((dev >>> 12) & ~0xffL));
        return encode(major, minor);
    }

    private static int mountIdOf(int fd) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd))) {
            if (line.startsWith("mnt_id:")) {
                return Integer.parseInt(line.substring("mnt_id:".length()).strip());
            }
        }
        throw new IOException("/proc/self/fdinfo/" + fd + " names no mount (mnt_id)");
    }

    /** The {@code major:minor} of mount {@code mountId} in {@code /proc/self/mountinfo}, encoded. */
    private static OptionalInt superblockDevice(int mountId) throws IOException {
        String id = Integer.toString(mountId);
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] fields = line.split(" ", 4);
            if (fields.length == 4 && fields[0].equals(id)) {
                String[] majorMinor = fields[2].split(":");
                return OptionalInt.of(encode(Integer.parseInt(majorMinor[0]), Integer.parseInt(majorMinor[1])));
            }
        }
        return OptionalInt.empty();
    }

    /** {@code MKDEV} of the kernel ({@code include/linux/kdev_t.h}): 12 bits of major, 20 of minor. */
    static int encode(int major, int minor) {
        return (major << 20) | minor;
    }

    /** For {@code status}: {@code major:minor/inode}. */
    @Override
    public String toString() {
        return (dev >>> 20) + ":" + (dev & 0xfffff) + "/" + ino;
    }
}
