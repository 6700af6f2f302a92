package dev.wgpr.common.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Linux security modules active in the running kernel, asked without changing anything: {@code
 * /sys/kernel/security/lsm} when securityfs is mounted, else the {@code lsm_list_modules} system call
 * (Linux 6.8+), which answers the same question with numeric ids and needs no mount.
 *
 * @param names the active modules in initialization order, e.g. {@code [lockdown, capability,
 *     landlock, bpf]}
 * @param source where the answer came from, for messages
 */
public record SecurityModules(List<String> names, String source) {
    static final Path SECURITYFS_LSM = Path.of("/sys/kernel/security/lsm");

    /** {@code LSM_ID_*} from {@code <linux/lsm.h>}. */
    private static final Map<Long, String> IDS = Map.ofEntries(
            Map.entry(100L, "capability"),
            Map.entry(101L, "selinux"),
            Map.entry(102L, "smack"),
            Map.entry(103L, "tomoyo"),
            Map.entry(104L, "apparmor"),
            Map.entry(105L, "yama"),
            Map.entry(106L, "loadpin"),
            Map.entry(107L, "safesetid"),
            Map.entry(108L, "lockdown"),
            Map.entry(109L, "bpf"),
            Map.entry(110L, "landlock"),
            Map.entry(111L, "ima"),
            Map.entry(112L, "evm"),
            Map.entry(113L, "ipe"));

    public SecurityModules {
        names = List.copyOf(names);
    }

    /** The active modules, or empty when neither securityfs nor {@code lsm_list_modules} can tell. */
    public static Optional<SecurityModules> active() {
        if (Files.isReadable(SECURITYFS_LSM)) {
            try {
                String list;
                try (var in = Files.newInputStream(SECURITYFS_LSM)) { // not readString: securityfs sizes lie
                    list = new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip();
                }
                return Optional.of(new SecurityModules(List.of(list.split(",")), SECURITYFS_LSM.toString()));
            } catch (IOException e) {
                // fall through to the system call
            }
        }
        try {
            return Optional.of(fromIds(Libc.lsmListModules()));
        } catch (ErrnoException e) {
            return Optional.empty();
        }
    }

    static SecurityModules fromIds(long[] ids) {
        List<String> names = new ArrayList<>(ids.length);
        for (long id : ids) {
            names.add(IDS.getOrDefault(id, "lsm#" + id));
        }
        return new SecurityModules(names, "lsm_list_modules(2)");
    }

    public boolean contains(String name) {
        return names.contains(name);
    }
}
