package dev.wgpr.client.lockdown;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Syscall;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/** {@code <linux/landlock.h>}: glibc 2.36 wraps none of the three calls, so they go through {@link Syscall}. */
final class LandlockBindings {
    private LandlockBindings() {}

    // x86-64 system call numbers.
    private static final long SYS_LANDLOCK_CREATE_RULESET = 444;
    private static final long SYS_LANDLOCK_ADD_RULE = 445;
    private static final long SYS_LANDLOCK_RESTRICT_SELF = 446;
    private static final int LANDLOCK_CREATE_RULESET_VERSION = 1;
    private static final int LANDLOCK_RULE_PATH_BENEATH = 1;
    private static final int LANDLOCK_RULE_NET_PORT = 2;

    static final long ACCESS_FS_EXECUTE = 1L << 0;
    static final long ACCESS_FS_WRITE_FILE = 1L << 1;
    static final long ACCESS_FS_READ_FILE = 1L << 2;
    static final long ACCESS_FS_READ_DIR = 1L << 3;
    static final long ACCESS_FS_REMOVE_DIR = 1L << 4;
    static final long ACCESS_FS_REMOVE_FILE = 1L << 5;
    static final long ACCESS_FS_MAKE_CHAR = 1L << 6;
    static final long ACCESS_FS_MAKE_DIR = 1L << 7;
    static final long ACCESS_FS_MAKE_REG = 1L << 8;
    static final long ACCESS_FS_MAKE_SOCK = 1L << 9;
    static final long ACCESS_FS_MAKE_FIFO = 1L << 10;
    static final long ACCESS_FS_MAKE_BLOCK = 1L << 11;
    static final long ACCESS_FS_MAKE_SYM = 1L << 12;
    /** ABI 2. */
    static final long ACCESS_FS_REFER = 1L << 13;
    /** ABI 3. */
    static final long ACCESS_FS_TRUNCATE = 1L << 14;
    /** ABI 5. */
    static final long ACCESS_FS_IOCTL_DEV = 1L << 15;
    /** ABI 4. */
    static final long ACCESS_NET_BIND_TCP = 1L << 0;

    static final long ACCESS_NET_CONNECT_TCP = 1L << 1;
    /** ABI 6. */
    static final long SCOPE_ABSTRACT_UNIX_SOCKET = 1L << 0;

    static final long SCOPE_SIGNAL = 1L << 1;

    /**
     * {@code struct landlock_ruleset_attr { __u64 handled_access_fs; __u64 handled_access_net; __u64
     * scoped; }}: pass only the prefix the kernel's ABI knows (8 bytes for ABI 1-3, 16 for 4-5, 24 from 6).
     */
    static final StructLayout RULESET_ATTR = MemoryLayout.structLayout(
                    JAVA_LONG.withName("handled_access_fs"),
                    JAVA_LONG.withName("handled_access_net"),
                    JAVA_LONG.withName("scoped"))
            .withName("landlock_ruleset_attr");
    /** {@code struct landlock_path_beneath_attr { __u64 allowed_access; __s32 parent_fd; } __packed}: 12 bytes. */
    static final StructLayout PATH_BENEATH_ATTR = MemoryLayout.structLayout(
                    JAVA_LONG.withByteAlignment(4).withName("allowed_access"), JAVA_INT.withName("parent_fd"))
            .withByteAlignment(4)
            .withName("landlock_path_beneath_attr");

    /** The Landlock ABI version of the running kernel; throws {@code ENOSYS} / {@code EOPNOTSUPP} without it. */
    static int abiVersion() throws ErrnoException {
        return (int) Syscall.call(
                "landlock_create_ruleset(VERSION)", SYS_LANDLOCK_CREATE_RULESET, 0, 0, LANDLOCK_CREATE_RULESET_VERSION);
    }

    /** A new ruleset from {@code attr}, of which the kernel reads the first {@code size} bytes: its descriptor. */
    static int createRuleset(MemorySegment attr, long size) throws ErrnoException {
        return (int) Syscall.call("landlock_create_ruleset", SYS_LANDLOCK_CREATE_RULESET, attr.address(), size, 0);
    }

    /** Adds a path-beneath rule ({@link #PATH_BENEATH_ATTR} in {@code beneath}) to {@code ruleset}. */
    static void addPathBeneath(int ruleset, MemorySegment beneath, String what) throws ErrnoException {
        Syscall.call(
                "landlock_add_rule " + what,
                SYS_LANDLOCK_ADD_RULE,
                ruleset,
                LANDLOCK_RULE_PATH_BENEATH,
                beneath.address(),
                0);
    }

    /** {@code struct landlock_net_port_attr} (ABI 4+): the TCP rights granted on one port. */
    static final StructLayout NET_PORT_ATTR = MemoryLayout.structLayout(
                    JAVA_LONG.withName("allowed_access"), JAVA_LONG.withName("port"))
            .withName("landlock_net_port_attr");

    /** Adds a net-port rule ({@link #NET_PORT_ATTR} in {@code port}) to {@code ruleset}. */
    static void addNetPort(int ruleset, MemorySegment port, String what) throws ErrnoException {
        Syscall.call(
                "landlock_add_rule " + what, SYS_LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_NET_PORT, port.address(), 0);
    }

    /** Enforces {@code ruleset} on the calling thread (and what it executes). */
    static void restrictSelf(int ruleset) throws ErrnoException {
        Syscall.call("landlock_restrict_self", SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0);
    }
}
