package dev.wgpr.client.trace;

import java.util.Optional;

/** Who makes an attempt, as {@link Judge} asks about it; read only when asked (loopback needs neither). */
interface Sender {
    /** Its cgroup v2 path ({@code /proc/TID/cgroup}'s {@code 0::} line), "" when unknown. */
    String cgroup();

    /**
     * The file its process executes, as the kernel's exec binding knows it ({@code major:minor/inode} of the
     * superblock, as {@code status} lists an app's executables); empty when it cannot be read.
     */
    Optional<String> executable();
}
