package dev.wgpr.client.lockdown;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.OwnedFd;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.util.List;
import java.util.Optional;

/** Landlock through its three system calls: the rights this kernel knows, a ruleset, enforcing it. */
final class Landlock {
    /** The rights a rule on a file (not a directory) may carry. */
    private static final long FILE_RIGHTS = LandlockBindings.ACCESS_FS_EXECUTE
            | LandlockBindings.ACCESS_FS_WRITE_FILE
            | LandlockBindings.ACCESS_FS_READ_FILE
            | LandlockBindings.ACCESS_FS_TRUNCATE
            | LandlockBindings.ACCESS_FS_IOCTL_DEV;

    private Landlock() {}

    /** The kernel's Landlock ABI version, or empty when Landlock is not built in or not enabled. */
    static Optional<Integer> abi() {
        try {
            return Optional.of(LandlockBindings.abiVersion());
        } catch (ErrnoException e) {
            return Optional.empty();
        }
    }

    /** Why {@link #abi()} is empty, in words. */
    static String unavailableReason() {
        try {
            return "available, ABI " + LandlockBindings.abiVersion();
        } catch (ErrnoException e) {
            return e.errno() == Libc.EOPNOTSUPP
                    ? "built into the kernel but not enabled (add landlock to the lsm= boot parameter)"
                    : e.errno() == Libc.ENOSYS
                            ? "not in this kernel (Linux 5.13+ with CONFIG_SECURITY_LANDLOCK)"
                            : e.getMessage();
        }
    }

    /** Every filesystem right ABI {@code abi} knows: all of them are handled, so all are denied unless granted. */
    static long handledFs(int abi) {
        long rights = (1L << 13) - 1; // ABI 1: execute .. make_sym
        if (abi >= 2) {
            rights |= LandlockBindings.ACCESS_FS_REFER;
        }
        if (abi >= 3) {
            rights |= LandlockBindings.ACCESS_FS_TRUNCATE;
        }
        if (abi >= 5) {
            rights |= LandlockBindings.ACCESS_FS_IOCTL_DEV;
        }
        return rights;
    }

    /**
     * TCP bind and connect (ABI 4+): handled, and allowed only on port 53, for the DNS forwarder (its
     * faces listen there, and it asks servers there over TCP); the enforcement limits where it may ask.
     */
    static final int DNS_PORT = 53;

    /** TCP bind and connect (ABI 4+): handled, so the daemon has TCP only where a rule allows it. */
    static long handledNet(int abi) {
        return abi >= 4 ? LandlockBindings.ACCESS_NET_BIND_TCP | LandlockBindings.ACCESS_NET_CONNECT_TCP : 0;
    }

    /** Signals only within the domain (ABI 6+): the daemon signals nobody; the launch helper does. */
    static long scoped(int abi) {
        return abi >= 6 ? LandlockBindings.SCOPE_SIGNAL : 0;
    }

    /** Whether {@code rule} can be made here: its path exists. */
    static boolean applies(LockdownPlan.Rule rule) {
        return Files.exists(rule.path());
    }

    /** The rights {@code rule} gets on this kernel: within what the ABI handles, and file rights on a file. */
    static long effectiveAccess(int abi, LockdownPlan.Rule rule) {
        long access = rule.access() & handledFs(abi);
        if (!Files.isDirectory(rule.path())) {
            access &= FILE_RIGHTS;
        }
        return access;
    }

    /** Builds the ruleset of {@code rules} (those whose path exists) and enforces it on the calling thread. */
    static void restrictThisThread(int abi, List<LockdownPlan.Rule> rules) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(LandlockBindings.RULESET_ATTR);
            attr.set(JAVA_LONG, 0, handledFs(abi));
            attr.set(JAVA_LONG, 8, handledNet(abi));
            attr.set(JAVA_LONG, 16, scoped(abi));
            long size = abi >= 6 ? 24 : abi >= 4 ? 16 : 8;
            try (OwnedFd ruleset = new OwnedFd(LandlockBindings.createRuleset(attr, size), "Landlock ruleset")) {
                MemorySegment beneath = arena.allocate(LandlockBindings.PATH_BENEATH_ATTR);
                for (LockdownPlan.Rule rule : rules) {
                    if (!applies(rule)) {
                        continue;
                    }
                    long access = effectiveAccess(abi, rule);
                    if (access == 0) {
                        continue;
                    }
                    try (OwnedFd parent = new OwnedFd(
                            Libc.open(rule.path().toString(), Libc.O_PATH | Libc.O_CLOEXEC), "rule " + rule.path())) {
                        beneath.set(JAVA_LONG, 0, access);
                        beneath.set(JAVA_INT, 8, parent.fd());
                        LandlockBindings.addPathBeneath(
                                ruleset.fd(), beneath, rule.path().toString());
                    }
                }
                if (handledNet(abi) != 0) {
                    MemorySegment port = arena.allocate(LandlockBindings.NET_PORT_ATTR);
                    port.set(JAVA_LONG, 0, handledNet(abi));
                    port.set(JAVA_LONG, 8, DNS_PORT);
                    LandlockBindings.addNetPort(ruleset.fd(), port, "tcp port " + DNS_PORT);
                }
                LandlockBindings.restrictSelf(ruleset.fd());
            }
        }
    }

    /**
     * Whether this thread is confined: opening {@code /} to list it is denied by Landlock (no rule
     * grants anything on {@code /} itself) and allowed otherwise, since we are root.
     */
    static boolean enforcedHere() {
        try {
            Libc.close(Libc.open("/", Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC));
            return false;
        } catch (ErrnoException e) {
            return e.errno() == Libc.EACCES;
        }
    }
}
