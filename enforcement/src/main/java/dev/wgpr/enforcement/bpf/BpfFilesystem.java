package dev.wgpr.enforcement.bpf;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.MountInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The bpffs that pins live in. systemd mounts it at {@code /sys/fs/bpf} at boot, but a host without
 * systemd (a container, a minimal VM, this project's CI machines) may have only sysfs's empty
 * directory there, where nothing can be created; then wg-pr mounts it itself, as {@code mount -t bpf
 * bpf /sys/fs/bpf} would. Mounting is a change to the mount namespace, so it must happen before the
 * daemon locks itself down (Landlock forbids mount topology changes).
 */
public final class BpfFilesystem {
    private static final String FS_TYPE = "bpf";

    private BpfFilesystem() {}

    /**
     * Makes sure a bpffs is mounted at {@code path}; returns true when this call mounted it. Nothing is
     * done when one already is.
     *
     * @throws IOException when {@code path} does not exist or the mount is refused
     */
    public static boolean ensureMounted(Path path) throws IOException {
        if (MountInfo.isMounted(path, FS_TYPE)) {
            return false;
        }
        if (!Files.isDirectory(path)) {
            throw new IOException("cannot mount a bpffs at " + path + ": no such directory");
        }
        try {
            Libc.mount(FS_TYPE, path.toString(), FS_TYPE, 0, "mode=0700");
        } catch (ErrnoException e) {
            throw new IOException("no bpffs at " + path + " and mounting one failed: " + e.getMessage(), e);
        }
        return true;
    }
}
