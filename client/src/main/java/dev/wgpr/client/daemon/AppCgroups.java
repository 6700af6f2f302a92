package dev.wgpr.client.daemon;

import dev.wgpr.enforcement.cgroup.Cgroup2Mount;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The app cgroups of one instance, {@code <cgroup2>/<instance>/<app>}: the principals the
 * enforcement layer judges by, and where {@code wg-pr run} puts an app's processes.
 *
 * <p>Only root may move processes into them: the directories are created by root with mode 0755,
 * so {@code cgroup.procs} (0644, owned by root) is writable by root alone, and the subtree is under
 * the cgroup2 root, never inside a user-delegated subtree where a user could move its own processes.
 * Once the {@code policy} branch's Enforcer is on main, it owns these directories (it needs their ids
 * for its maps); this class is the one place to hand over.
 *
 * <p>An app named by two tunnels has one cgroup: each tunnel holds a reference, the last one removes
 * it.
 */
final class AppCgroups {
    private static final Set<PosixFilePermission> ROOT_ONLY_WRITE = PosixFilePermissions.fromString("rwxr-xr-x");

    private final Instance instance;
    private final Map<String, Integer> references = new HashMap<>();
    private Path subtree;
    private boolean createdSubtree;

    AppCgroups(Instance instance) {
        this.instance = instance;
    }

    /** The cgroup of {@code app}; it exists while some tunnel holds it. */
    synchronized Path path(String app) throws IOException {
        return subtree().resolve(app);
    }

    /** Creates {@code app}'s cgroup if no tunnel holds it yet, and takes a reference. */
    synchronized Path acquire(String app) throws IOException {
        Path dir = subtree().resolve(app);
        if (!Files.isDirectory(subtree)) {
            Files.createDirectory(subtree);
            createdSubtree = true;
        }
        int count = references.getOrDefault(app, 0);
        if (count == 0) {
            try {
                Files.createDirectory(dir);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // Left by a daemon that crashed: reuse it (its processes stay principals of the app).
            }
            Files.setPosixFilePermissions(dir, ROOT_ONLY_WRITE);
        }
        references.put(app, count + 1);
        return dir;
    }

    /**
     * Drops a reference; the last one removes the cgroup. A cgroup that still holds processes (an app
     * still running) cannot be removed: that is reported, and the directory stays.
     */
    synchronized void release(String app) throws IOException {
        int count = references.getOrDefault(app, 0);
        if (count > 1) {
            references.put(app, count - 1);
            return;
        }
        references.remove(app);
        Path dir = subtree().resolve(app);
        try {
            Files.deleteIfExists(dir);
        } catch (FileSystemException e) {
            throw new IOException(
                    "cannot remove " + dir + " (processes of " + app + " still run in it): " + e.getMessage(), e);
        }
        removeSubtreeIfUnused();
    }

    synchronized Map<String, Integer> held() {
        return Map.copyOf(references);
    }

    /** Removes the instance's subtree when no app holds it and it is empty. */
    synchronized void removeSubtreeIfUnused() throws IOException {
        if (references.isEmpty() && subtree != null) {
            try {
                Files.deleteIfExists(subtree);
            } catch (DirectoryNotEmptyException e) {
                // Another app's cgroup still holds processes; it stays and is reported by release().
            } catch (NoSuchFileException e) {
                // gone already
            } catch (FileSystemException e) {
                if (!createdSubtree) {
                    throw e;
                }
            }
        }
    }

    private Path subtree() throws IOException {
        if (subtree == null) {
            Cgroup2Mount mount = Cgroup2Mount.find()
                    .orElseThrow(() -> new IOException("no cgroup2 file system is mounted (see /proc/self/mountinfo)"));
            subtree = instance.cgroupSubtree(mount.path());
        }
        return subtree;
    }
}
