package dev.wgpr.client.lockdown;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Capability numbers and names ({@code <linux/capability.h>}), and the masks {@code /proc} shows. */
public final class Capabilities {
    private static final String[] NAMES = {
        "chown",
        "dac_override",
        "dac_read_search",
        "fowner",
        "fsetid",
        "kill",
        "setgid",
        "setuid",
        "setpcap",
        "linux_immutable",
        "net_bind_service",
        "net_broadcast",
        "net_admin",
        "net_raw",
        "ipc_lock",
        "ipc_owner",
        "sys_module",
        "sys_rawio",
        "sys_chroot",
        "sys_ptrace",
        "sys_pacct",
        "sys_admin",
        "sys_boot",
        "sys_nice",
        "sys_resource",
        "sys_time",
        "sys_tty_config",
        "mknod",
        "lease",
        "audit_write",
        "audit_control",
        "setfcap",
        "mac_override",
        "mac_admin",
        "syslog",
        "wake_alarm",
        "block_suspend",
        "audit_read",
        "perfmon",
        "bpf",
        "checkpoint_restore"
    };

    public static final int DAC_OVERRIDE = 1;
    public static final int NET_BIND_SERVICE = 10;
    public static final int NET_ADMIN = 12;
    public static final int PERFMON = 38;
    public static final int BPF = 39;

    private Capabilities() {}

    /** {@code cap_net_admin}, or {@code cap_<n>} for a number this table does not know. */
    public static String name(int capability) {
        return capability < NAMES.length ? "cap_" + NAMES[capability] : "cap_" + capability;
    }

    public static long mask(Set<Integer> capabilities) {
        long mask = 0;
        for (int capability : capabilities) {
            mask |= 1L << capability;
        }
        return mask;
    }

    public static Set<Integer> of(long mask) {
        Set<Integer> set = new TreeSet<>();
        for (int capability = 0; capability < 64; capability++) {
            if ((mask & (1L << capability)) != 0) {
                set.add(capability);
            }
        }
        return set;
    }

    public static List<String> names(long mask) {
        List<String> names = new ArrayList<>();
        for (int capability : of(mask)) {
            names.add(name(capability));
        }
        return names;
    }
}
