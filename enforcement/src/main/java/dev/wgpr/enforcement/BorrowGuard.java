package dev.wgpr.enforcement;

import dev.wgpr.enforcement.bpf.BpfException;
import dev.wgpr.enforcement.bpf.BpfLink;
import dev.wgpr.enforcement.bpf.BpfMap;
import dev.wgpr.enforcement.bpf.BpfObject;
import dev.wgpr.enforcement.bpf.BpfRingBuffer;
import dev.wgpr.enforcement.probe.KernelProbes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The borrow guard of one instance: borrow.bpf.o's BPF LSM program on {@code ptrace_access_check},
 * which refuses ptrace attach, {@code /proc/PID/mem}, {@code process_vm_readv/writev} and {@code
 * pidfd_getfd} on a process in one of the instance's app cgroups to every process outside that app
 * cgroup, unless it has {@code CAP_SYS_PTRACE} in the initial user namespace. A separate object from
 * the enforcement, so the enforcement loads where the kernel refuses LSM programs: there {@link #attach}
 * says why and the caller goes on without it.
 *
 * <p>Its link and maps are pinned in the instance's pin directory beside the enforcement's, so the
 * guard outlives a crashed daemon and {@link Enforcer#removePinned} removes it with the rest. Attach
 * after {@link Enforcer#start} (which makes that directory) and {@link #close()} before {@link
 * Enforcer#close()} (which removes it).
 */
public final class BorrowGuard implements AutoCloseable {
    static final String PROGRAM = "wgpr_borrow_ptrace_access_check";
    static final String LINK_PIN = "link_borrow";
    private static final List<String> PINNED_MAPS = List.of("borrow_config", "borrow_counters");
    private static final int COUNTER_DENIED = 0;
    private static final int COUNTER_PRIVILEGED = 1;
    private static final int COUNTER_EVENTS_LOST = 2;

    /** What {@link #attach} did: the guard in force, or why this kernel has none. */
    public record Attempt(Optional<BorrowGuard> guard, String refusal) {
        static Attempt refused(String why) {
            return new Attempt(Optional.empty(), why);
        }
    }

    private final Path pinDirectory;
    private final BpfObject object;
    private final BpfLink link;
    private final BpfRingBuffer refusals;
    private boolean closed;

    private BorrowGuard(Path pinDirectory, BpfObject object, BpfLink link, BpfRingBuffer refusals) {
        this.pinDirectory = pinDirectory;
        this.object = object;
        this.link = link;
        this.refusals = refusals;
    }

    /**
     * Probes whether this kernel runs BPF LSM programs at all (a kernel may load and attach them and
     * never call them, when {@code bpf} is not among its active LSMs), then loads, configures,
     * attaches and pins the guard. A kernel that refuses is no error: the attempt says why.
     */
    public static Attempt attach(Enforcer.Config config) throws IOException {
        try {
            if (KernelProbes.bpfLsmHookRuns() == 0) {
                return Attempt.refused(
                        "the kernel attaches BPF LSM programs but never runs them (bpf is not an" + " active LSM)");
            }
        } catch (BpfException e) {
            return Attempt.refused("the kernel refuses BPF LSM programs: " + firstLine(e));
        }
        BpfObject object = BpfObject.openBundled("borrow");
        BpfLink link = null;
        try {
            object.load();
            object.map("borrow_config").update(KernelLayout.u32(0), configValue(config), BpfMap.BPF_ANY);
            link = object.program(PROGRAM).attachLsm();
            link.pin(config.pinDirectory().resolve(LINK_PIN));
            for (String map : PINNED_MAPS) {
                object.map(map).pin(config.pinDirectory().resolve(map));
            }
            BpfRingBuffer refusals =
                    BpfRingBuffer.open(object.map("borrow_events").fd(), config.instance() + "/borrow_events");
            return new Attempt(Optional.of(new BorrowGuard(config.pinDirectory(), object, link, refusals)), "");
        } catch (BpfException e) {
            closeQuietly(config.pinDirectory(), object, link, e);
            return Attempt.refused("the kernel refuses the borrow guard: " + firstLine(e));
        } catch (IOException | RuntimeException e) {
            closeQuietly(config.pinDirectory(), object, link, e);
            throw e;
        }
    }

    /**
     * Whether the guard can be in force here, without attaching it: the BPF LSM runs programs and the
     * kernel loads the guard's. Empty when it can, else why not.
     */
    public static Optional<String> probe() throws IOException {
        Optional<String> refusal = lsmRefusal();
        if (refusal.isPresent()) {
            return refusal;
        }
        try (BpfObject object = BpfObject.openBundled("borrow")) {
            object.load();
            return Optional.empty();
        } catch (BpfException e) {
            return Optional.of("the kernel refuses the borrow guard: " + firstLine(e));
        }
    }

    /** Why this kernel runs no BPF LSM program, if it runs none. */
    private static Optional<String> lsmRefusal() throws IOException {
        try {
            return KernelProbes.bpfLsmHookRuns() == 0
                    ? Optional.of(
                            "the kernel attaches BPF LSM programs but never runs them (bpf is not an active" + " LSM)")
                    : Optional.empty();
        } catch (BpfException e) {
            return Optional.of("the kernel refuses BPF LSM programs: " + firstLine(e));
        }
    }

    /** libbpf's log follows the first line; the status and doctor lines keep only the system call's answer. */
    private static String firstLine(BpfException e) {
        return e.getMessage().lines().findFirst().orElse("errno " + e.errno());
    }

    /** {@code struct borrow_config}: the instance cgroup's id and level. */
    private static byte[] configValue(Enforcer.Config config) throws IOException {
        int level = config.cgroup2().relativize(config.instanceCgroup()).getNameCount();
        return ByteBuffer.allocate(16)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(Enforcer.cgroupId(config.instanceCgroup()))
                .putInt(level)
                .putInt(0)
                .array();
    }

    /** Attempts refused so far: processes outside an app's cgroup that tried to take over one of its processes. */
    public synchronized long denied() throws BpfException {
        return counter(COUNTER_DENIED);
    }

    /** Attempts allowed because the caller had {@code CAP_SYS_PTRACE} in the initial user namespace. */
    public synchronized long privileged() throws BpfException {
        return counter(COUNTER_PRIVILEGED);
    }

    /** Refusals the event ring had no room for; each was refused and counted in {@link #denied()} all the same. */
    public synchronized long eventsLost() throws BpfException {
        return counter(COUNTER_EVENTS_LOST);
    }

    /** The refusals since the last call, oldest first, without waiting. */
    public synchronized List<BorrowRefusal> drainRefusals() throws BpfException {
        requireOpen();
        return refusals.drain().stream().map(BorrowRefusal::parse).toList();
    }

    /** The kernel's id of the guard's program. */
    public int programId() throws BpfException {
        return object.program(PROGRAM).id();
    }

    private long counter(int index) throws BpfException {
        requireOpen();
        byte[] value =
                object.map("borrow_counters").lookup(KernelLayout.u32(index)).orElse(new byte[8]);
        return ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /** Detaches the guard and removes its pins. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            refusals.close();
            removePins(pinDirectory);
            link.close();
        } finally {
            object.close();
        }
    }

    private static void removePins(Path pinDirectory) throws IOException {
        deletePin(pinDirectory.resolve(LINK_PIN));
        for (String map : PINNED_MAPS) {
            deletePin(pinDirectory.resolve(map));
        }
    }

    private static void deletePin(Path pin) throws IOException {
        try {
            Files.deleteIfExists(pin);
        } catch (NoSuchFileException e) {
            // gone already
        }
    }

    private static void closeQuietly(Path pinDirectory, BpfObject object, BpfLink link, Exception failure) {
        try {
            removePins(pinDirectory);
            if (link != null) {
                link.close();
            }
        } catch (IOException | RuntimeException cleanup) {
            failure.addSuppressed(cleanup);
        } finally {
            object.close();
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the borrow guard is closed");
        }
    }
}
