package dev.wgpr.enforcement.probe;

import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.OwnedFd;
import dev.wgpr.enforcement.bpf.Bpf;
import dev.wgpr.enforcement.bpf.BpfException;
import dev.wgpr.enforcement.bpf.BpfLink;
import dev.wgpr.enforcement.bpf.BpfObject;
import dev.wgpr.enforcement.bpf.BpfProgram;
import dev.wgpr.enforcement.cgroup.ScratchCgroup;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Tries, for real, what the enforcement layer needs from the kernel, and leaves nothing behind: every
 * probe undoes what it did (detaches, closes, removes its scratch cgroup) also when it fails. Used by
 * {@code wg-pr doctor}; each probe throws with the kernel's reason when the capability is missing.
 */
public final class KernelProbes {
    private KernelProbes() {}

    /** Name prefix of scratch cgroups made by probes, so a leftover is recognizable. */
    public static final String SCRATCH_PREFIX = "wg-pr-probe";

    /** Loads the allow-all probe object (three programs) into the kernel and unloads it. */
    public static void loadProgram() throws IOException {
        try (BpfObject probe = BpfObject.openBundled("probe")) {
            probe.load();
            probe.program("probe_connect4").fd();
        }
    }

    /** Whether the kernel loads one program of the enforcement object, and if not, the verifier's reason. */
    public record ProgramLoad(String program, Optional<String> refusal) {
        public boolean loads() {
            return refusal.isEmpty();
        }
    }

    /** {@link #programLoads} of the real enforcement object, {@code enforce.bpf.o}, which {@code wg-pr up} loads. */
    public static List<ProgramLoad> enforcementPrograms() throws IOException {
        return programLoads("enforce", BpfObject.bundledElf("enforce"));
    }

    /**
     * Loads the object {@code elf} and unloads it. When the kernel refuses it, loads each program on its
     * own (the others not loaded), so that every program that fails is named with the verifier's reason,
     * not only the first.
     */
    public static List<ProgramLoad> programLoads(String objectName, byte[] elf) throws BpfException {
        List<String> names;
        try (BpfObject whole = BpfObject.open(objectName, elf)) {
            names = whole.programNames();
            try {
                whole.load();
                return names.stream()
                        .map(name -> new ProgramLoad(name, Optional.empty()))
                        .toList();
            } catch (BpfException refused) {
                // one by one below
            }
        }
        List<ProgramLoad> loads = new ArrayList<>();
        for (String name : names) {
            try (BpfObject alone = BpfObject.open(objectName, elf)) {
                names.stream()
                        .filter(other -> !other.equals(name))
                        .forEach(other -> alone.program(other).setAutoload(false));
                alone.load();
                loads.add(new ProgramLoad(name, Optional.empty()));
            } catch (BpfException e) {
                loads.add(new ProgramLoad(name, Optional.of(e.reason())));
            }
        }
        return List.copyOf(loads);
    }

    /**
     * Attaches the allow-all {@code cgroup/connect4} and {@code cgroup/connect6} programs to a fresh
     * scratch cgroup under {@code cgroup2}, checks with {@code bpf_prog_query} that the kernel lists
     * them, detaches them, checks they are gone, and removes the cgroup. No process is in the cgroup,
     * so no connection is ever judged by them.
     */
    public static void cgroupSockAddrAttach(Path cgroup2) throws IOException {
        try (ScratchCgroup scratch = ScratchCgroup.create(cgroup2, SCRATCH_PREFIX);
                BpfObject probe = BpfObject.openBundled("probe")) {
            probe.load();
            attachAndDetach(probe.program("probe_connect4"), scratch.path(), Bpf.AttachType.CGROUP_INET4_CONNECT);
            attachAndDetach(probe.program("probe_connect6"), scratch.path(), Bpf.AttachType.CGROUP_INET6_CONNECT);
        }
    }

    private static void attachAndDetach(BpfProgram program, Path cgroup, Bpf.AttachType type) throws IOException {
        int id = program.id();
        BpfLink link = program.attachCgroup(cgroup);
        try {
            List<Integer> attached = Bpf.attachedPrograms(cgroup, type);
            if (!attached.equals(List.of(id))) {
                throw new IOException("after attaching " + program.name() + " (id " + id + "), " + cgroup + " lists "
                        + attached + " at " + type);
            }
        } finally {
            link.close();
        }
        List<Integer> after = Bpf.attachedPrograms(cgroup, type);
        if (!after.isEmpty()) {
            throw new IOException("after detaching " + program.name() + ", " + cgroup + " still lists " + after);
        }
    }

    /**
     * How many times a BPF LSM program attached to {@code socket_create} ran while this process created
     * one socket: at least 1 when the BPF LSM is active, 0 when the kernel has BPF LSM support compiled
     * in but {@code bpf} is not in its active LSM list (then programs attach but never run). Throws when
     * the program cannot be loaded or attached at all. The program allows everything and is attached
     * only for the duration of the probe.
     */
    public static long bpfLsmHookRuns() throws IOException {
        try (BpfObject probe = BpfObject.openBundled("lsm_probe")) {
            probe.load();
            var hits = probe.map("lsm_probe_hits");
            byte[] key = new byte[4];
            BpfLink link = probe.program("lsm_probe_socket_create").attachLsm();
            try {
                int fd = Libc.socket(Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
                Libc.close(fd);
            } finally {
                link.close();
            }
            byte[] value = hits.lookup(key).orElseThrow(() -> new IOException("lsm_probe_hits has no entry 0"));
            return ByteBuffer.wrap(value).order(ByteOrder.nativeOrder()).getLong();
        }
    }

    /**
     * Creates a {@code BPF_MAP_TYPE_RINGBUF} map of {@code bytes} (a power-of-two multiple of the page
     * size) and closes it.
     */
    public static void ringBuffer(int bytes) throws IOException {
        try (OwnedFd ring = Bpf.createMap(Bpf.MapType.RINGBUF, "wgpr_probe_rb", 0, 0, bytes)) {
            ring.fd();
        }
    }
}
