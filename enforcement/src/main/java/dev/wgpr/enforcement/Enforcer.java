package dev.wgpr.enforcement;

import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.OwnedFd;
import dev.wgpr.enforcement.bpf.Bpf;
import dev.wgpr.enforcement.bpf.BpfException;
import dev.wgpr.enforcement.bpf.BpfFilesystem;
import dev.wgpr.enforcement.bpf.BpfLink;
import dev.wgpr.enforcement.bpf.BpfMap;
import dev.wgpr.enforcement.bpf.BpfObject;
import dev.wgpr.enforcement.bpf.BpfProgram;
import dev.wgpr.enforcement.bpf.BpfRingBuffer;
import dev.wgpr.enforcement.bpf.TcFilter;
import dev.wgpr.enforcement.cgroup.Cgroup2Mount;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The enforcement layer of one instance: enforce.bpf.o loaded, its four sock_addr programs and the
 * inbound cgroup_skb program attached through {@code bpf_link}s (normally at the cgroup2 root), the
 * backstop and inbound tag on each tunnel device ({@link #attachTunnel}), its links and maps pinned under {@code
 * <bpffs>/<instance>/}, app cgroups under {@code <cgroup2>/<instance>/}, and the current policy
 * generation published.
 *
 * <p>Order of {@link #start}: load, make the instance cgroup, publish the first generation, write
 * the config (netns cookie, instance cgroup), attach, pin. So the programs never run configured but
 * without a generation. {@link #close()} undoes all of it; {@link #release()} only drops this
 * process's handles and leaves the pinned enforcement in force (a daemon exiting without {@code
 * down}). Adopting a pinned instance is not implemented yet: {@link #start} refuses when the pin
 * directory exists.
 */
public final class Enforcer implements AutoCloseable {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");
    private static final List<String> PINNED_MAPS =
            List.of("generations", "config", "apps", "app_slots", "app_execs", "counters", "events", "tunnels");

    /**
     * The tc filter handle ("wgpr") of the backstop (egress) and the inbound tag (ingress) on each
     * tunnel device. A tc filter is no link and has no pin: teardown and a restarted daemon find them
     * by (tunnel ifindex, direction, {@code TUNNEL_FILTER_HANDLE}, {@link #TUNNEL_FILTER_PRIORITY}) in
     * the tunnel's namespace; the ifindexes are kept in the pinned {@code tunnels} map and the
     * programs are pinned as {@code prog_tunnel} and {@code prog_tunnel_tag}.
     */
    public static final int TUNNEL_FILTER_HANDLE = 0x77677072;

    /** The tunnel filters' priority: 1, so they run before filters others add at the default. */
    public static final int TUNNEL_FILTER_PRIORITY = 1;

    /** The program on each tunnel device's tc ingress that marks what arrives for {@link Hook#INBOUND}. */
    static final String TUNNEL_TAG_PROGRAM = "wgpr_tunnel_tag";

    private static final String TUNNEL_TAG_PIN = "prog_tunnel_tag";

    /** The two filters that guard one tunnel device, and the {@code tunnels} slot that records it. */
    private record TunnelGuard(TcFilter backstop, TcFilter tag, boolean hookCreated, int slot) {
        static TcFilter filter(int ifindex, TcFilter.Direction direction) {
            return new TcFilter(ifindex, direction, TUNNEL_FILTER_HANDLE, TUNNEL_FILTER_PRIORITY);
        }

        /** The device's guard, its clsact qdisc made first if it has none (then the guard owns it). */
        static TunnelGuard onDevice(int ifindex, int slot) throws BpfException {
            TcFilter backstop = filter(ifindex, TcFilter.Direction.EGRESS);
            boolean hookCreated = backstop.createHook();
            return new TunnelGuard(backstop, filter(ifindex, TcFilter.Direction.INGRESS), hookCreated, slot);
        }
    }

    /**
     * Where and for what to enforce.
     *
     * @param instance the instance name: cgroup {@code <appParent>/<instance>} and pins {@code
     *     <bpffs>/<instance>}
     * @param cgroup2 the cgroup2 mount
     * @param attachAt the cgroup the programs are attached to (the cgroup2 root in production)
     * @param bpffs a bpffs mount, normally {@code /sys/fs/bpf}
     * @param netnsCookie the tunnel namespace's cookie ({@link NetnsCookie}); only sockets of that
     *     namespace are judged
     * @param appParent the cgroup the instance cgroup is made in: the cgroup2 root, or a subtree systemd
     *     delegated to the daemon's service (the programs judge by the instance cgroup's level, any depth)
     */
    public record Config(String instance, Path cgroup2, Path attachAt, Path bpffs, long netnsCookie, Path appParent) {
        public Config {
            Objects.requireNonNull(instance, "instance");
            if (!NAME.matcher(instance).matches()) {
                throw new IllegalArgumentException("bad instance name '" + instance + "'");
            }
            if (netnsCookie == 0) {
                throw new IllegalArgumentException("netns cookie 0 means 'not configured'");
            }
            if (!appParent.startsWith(cgroup2)) {
                throw new IllegalArgumentException(appParent + " is not in the cgroup2 mount " + cgroup2);
            }
        }

        /** The instance cgroup at the cgroup2 root. */
        public Config(String instance, Path cgroup2, Path attachAt, Path bpffs, long netnsCookie) {
            this(instance, cgroup2, attachAt, bpffs, netnsCookie, cgroup2);
        }

        /** This config with the instance cgroup made in {@code parent}. */
        public Config withAppParent(Path parent) {
            return new Config(instance, cgroup2, attachAt, bpffs, netnsCookie, parent);
        }

        /** Attached at the cgroup2 root of this mount namespace, pinned under {@code /sys/fs/bpf}. */
        public static Config atRoot(String instance, long netnsCookie) throws IOException {
            Path cgroup2 = Cgroup2Mount.find()
                    .orElseThrow(() -> new IOException("no cgroup2 mount in /proc/self/mountinfo"))
                    .path();
            return new Config(instance, cgroup2, cgroup2, Path.of("/sys/fs/bpf"), netnsCookie);
        }

        /** {@code <appParent>/<instance>}: the parent of every app cgroup of the instance. */
        public Path instanceCgroup() {
            return appParent.resolve(instance);
        }

        Path pinDirectory() {
            return bpffs.resolve(instance);
        }
    }

    private final Config config;
    private final BpfObject object;
    private final Map<Hook, BpfLink> links = new EnumMap<>(Hook.class);
    private final Map<String, Path> apps = new LinkedHashMap<>();
    /** Apps of {@link #addIdentity}: cgroups registered, not made, so never removed here. */
    private final Set<String> identities = new HashSet<>();

    private BpfRingBuffer events;
    private boolean instanceCgroupCreated;
    private boolean pinDirectoryCreated;
    private Policy policy;
    private long generation;
    /** What internal_hint holds. */
    private int[] hint = new int[InternalHint.WORDS];

    private long switchNanos;
    private boolean closed;
    /** The guarded tunnel devices: ifindex -> their filters. */
    private final Map<Integer, TunnelGuard> tunnels = new LinkedHashMap<>();
    /** app_slots in use: slot -> cgroup id. */
    private final Map<Integer, Long> slots = new HashMap<>();
    /** Cgroups of apps that found both of their slots taken (only in the apps hash). */
    private final Set<Long> overflow = new HashSet<>();
    /** The mark sock_create and the sock_addr hooks give sockets that go around the tunnels; 0 = none. */
    private int bypassMark;
    /** Whether non-apps are steered too (some tunnel's others bypass it), not only excluded apps. */
    private boolean markOthers;
    /** What app_execs holds: app -> its executables. */
    private final Map<AppId, Set<ExecutableId>> executables = new TreeMap<>();
    /** The id each registered app was added with. */
    private final Map<String, AppId> appIds = new LinkedHashMap<>();

    private Enforcer(Config config, BpfObject object) {
        this.config = config;
        this.object = object;
    }

    /** Loads, configures, publishes {@code initial}, attaches and pins; undoes everything on failure. */
    public static Enforcer start(Config config, Policy initial) throws IOException {
        BpfFilesystem.ensureMounted(config.bpffs());
        if (Files.exists(config.pinDirectory())) {
            throw new FileAlreadyExistsException(
                    config.pinDirectory().toString(),
                    null,
                    "instance " + config.instance() + " is already enforced (pinned); adopting it is not implemented");
        }
        BpfObject object = BpfObject.openBundled("enforce");
        Enforcer enforcer = new Enforcer(config, object);
        try {
            object.load();
            enforcer.createInstanceCgroup();
            enforcer.publish(initial);
            enforcer.configure();
            enforcer.attach();
            enforcer.pin();
            enforcer.events = BpfRingBuffer.open(object.map("events").fd(), config.instance() + "/events");
            return enforcer;
        } catch (IOException | RuntimeException e) {
            try {
                enforcer.close();
            } catch (IOException | RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /**
     * Removes a pinned instance this process does not hold (after {@link #release()} or a crash):
     * deletes the pins (which detaches the programs), then the app cgroups and the instance cgroup.
     * The "replace" half of adopt-or-replace. An app cgroup that processes still live in (an app
     * that outlived a crashed daemon) cannot be removed and is not: it is returned, and the next
     * {@link #start} adopts it, so {@link #addApp} of that name gives those processes their app's
     * grants again; until then they are nobody.
     */
    public static List<Path> removePinned(Config config) throws IOException {
        List<Path> kept = new ArrayList<>();
        Path pins = config.pinDirectory();
        detachPinnedTunnel(config);
        if (Files.isDirectory(pins)) {
            try (var files = Files.list(pins)) {
                for (Path file : files.toList()) {
                    // Hold the object while unpinning, so our close drops the last reference and a
                    // link detaches now (a pin's own release is deferred to a kernel work item).
                    OwnedFd held = Bpf.pinned(file);
                    try {
                        Files.deleteIfExists(file);
                    } finally {
                        held.close();
                    }
                }
            }
            Files.deleteIfExists(pins);
        }
        Path instance = config.instanceCgroup();
        if (Files.isDirectory(instance)) {
            try (var dirs = Files.list(instance)) {
                for (Path dir : dirs.filter(Files::isDirectory).toList()) {
                    if (populated(dir)) {
                        kept.add(dir);
                    } else {
                        Files.deleteIfExists(dir);
                    }
                }
            }
            if (kept.isEmpty()) {
                Files.deleteIfExists(instance);
            }
        }
        return kept;
    }

    /** Whether processes live in {@code cgroup} or below it ({@code cgroup.events}: "populated 1"). */
    private static boolean populated(Path cgroup) throws IOException {
        Path events = cgroup.resolve("cgroup.events");
        return Files.exists(events) && Files.readAllLines(events).contains("populated 1");
    }

    /**
     * Deletes the tunnel filters of a pinned instance when the calling thread is in the tunnel's
     * namespace and each filter at our handle and priority runs the pinned program (not someone
     * else's). Elsewhere, or when a device is gone (its filters died with it), nothing to do.
     */
    private static void detachPinnedTunnel(Config config) throws IOException {
        Path tunnelsPin = config.pinDirectory().resolve("tunnels");
        if (!Files.exists(tunnelsPin) || NetnsCookie.ofCurrentThread() != config.netnsCookie()) {
            return;
        }
        List<Integer> ifindexes = new ArrayList<>();
        try (OwnedFd map = Bpf.pinned(tunnelsPin)) {
            for (int slot = 0; slot < KernelLayout.TUNNEL_SLOTS; slot++) {
                int ifindex = KernelLayout.readU32(Bpf.lookup(map.fd(), KernelLayout.u32(slot), 4));
                if (ifindex > 0) {
                    ifindexes.add(ifindex);
                }
            }
        }
        for (int ifindex : ifindexes) {
            detachIfPinned(
                    TunnelGuard.filter(ifindex, TcFilter.Direction.EGRESS),
                    config.pinDirectory().resolve(Hook.TUNNEL.pinName()));
            detachIfPinned(
                    TunnelGuard.filter(ifindex, TcFilter.Direction.INGRESS),
                    config.pinDirectory().resolve(TUNNEL_TAG_PIN));
        }
    }

    private static void detachIfPinned(TcFilter filter, Path programPin) throws IOException {
        if (!Files.exists(programPin)) {
            return;
        }
        OptionalInt attached = filter.programId();
        try (OwnedFd program = Bpf.pinned(programPin)) {
            if (attached.isPresent() && attached.getAsInt() == Bpf.programId(program.fd())) {
                filter.detach();
            }
        }
    }

    public Config config() {
        return config;
    }

    /**
     * Guards the tunnel device {@code ifindex}: the backstop (layer 2), a tc classifier on its clsact
     * egress hook that judges every packet about to enter the tunnel by its socket's cgroup against
     * the current generation, drops the rest and reports them as deny events ({@link Hook#TUNNEL});
     * and the inbound tag on its tc ingress, so that {@link Hook#INBOUND} judges what arrives through
     * it. One call per tunnel device; the calling thread must be in the tunnel's network namespace
     * (the one of {@link Config#netnsCookie()}), where {@code ifindex} is the device's index. The
     * filters stay on the device after {@link #release()} (they are no links; they live until they
     * are deleted or the device goes); {@link #detachTunnel}, {@link #close()} and {@link
     * #removePinned} delete them.
     *
     * @throws IllegalStateException when the device is guarded already, or outside the namespace
     */
    public synchronized void attachTunnel(int ifindex) throws IOException {
        requireOpen();
        if (tunnels.containsKey(ifindex)) {
            throw new IllegalStateException("tunnel device " + ifindex + " is guarded already");
        }
        long here = NetnsCookie.ofCurrentThread();
        if (here != config.netnsCookie()) {
            throw new IllegalStateException("attachTunnel must run in the tunnel's network namespace (cookie "
                    + config.netnsCookie() + "), not in " + here);
        }
        TunnelGuard guard = TunnelGuard.onDevice(ifindex, freeTunnelSlot());
        try {
            // Pin and record first, so filters in force are always findable by a later daemon.
            pinOnce(program(Hook.TUNNEL), Hook.TUNNEL.pinName());
            pinOnce(object.program(TUNNEL_TAG_PROGRAM), TUNNEL_TAG_PIN);
            object.map("tunnels").update(KernelLayout.u32(guard.slot()), KernelLayout.u32(ifindex), BpfMap.BPF_ANY);
            guard.tag().attach(object.program(TUNNEL_TAG_PROGRAM).fd(), false);
            guard.backstop().attach(program(Hook.TUNNEL).fd(), false);
        } catch (IOException | RuntimeException e) {
            try {
                removeFilters(guard);
            } catch (IOException | RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        tunnels.put(ifindex, guard);
    }

    private int freeTunnelSlot() {
        for (int slot = 0; slot < KernelLayout.TUNNEL_SLOTS; slot++) {
            int candidate = slot;
            if (tunnels.values().stream().noneMatch(guard -> guard.slot() == candidate)) {
                return slot;
            }
        }
        throw new IllegalStateException("more than " + KernelLayout.TUNNEL_SLOTS + " tunnel devices");
    }

    private void pinOnce(BpfProgram program, String pinName) throws IOException {
        Path pin = pinDirectory().resolve(pinName);
        if (!Files.exists(pin)) {
            Bpf.pin(program.fd(), pin);
        }
    }

    /**
     * Deletes the filters of tunnel device {@code ifindex} (the calling thread must be in the
     * tunnel's namespace). Returns false when this enforcer did not guard it. The clsact qdisc goes
     * too when this enforcer created it.
     */
    public synchronized boolean detachTunnel(int ifindex) throws IOException {
        requireOpen();
        TunnelGuard guard = tunnels.remove(ifindex);
        if (guard == null) {
            return false;
        }
        return removeFilters(guard);
    }

    /** The tunnel devices this enforcer guards, by ifindex, with their backstop filter. */
    public synchronized Map<Integer, TcFilter> tunnelFilters() {
        Map<Integer, TcFilter> filters = new LinkedHashMap<>();
        tunnels.forEach((ifindex, guard) -> filters.put(ifindex, guard.backstop()));
        return Map.copyOf(filters);
    }

    /**
     * Whether tunnel device {@code ifindex} is guarded now, as the kernel says: both its filters run
     * this enforcer's programs (the calling thread must be in the tunnel's namespace). Someone who
     * deleted a filter, or the qdisc, makes this false.
     */
    public synchronized boolean tunnelGuarded(int ifindex) throws IOException {
        TunnelGuard guard = tunnels.get(ifindex);
        return guard != null
                && guard.backstop()
                        .programId()
                        .equals(OptionalInt.of(program(Hook.TUNNEL).id()))
                && guard.tag()
                        .programId()
                        .equals(OptionalInt.of(
                                object.program(TUNNEL_TAG_PROGRAM).id()));
    }

    private boolean removeFilters(TunnelGuard guard) throws IOException {
        boolean deleted = guard.backstop().detach();
        guard.tag().detach();
        if (guard.hookCreated()) {
            guard.backstop().destroyHook();
        }
        object.map("tunnels").update(KernelLayout.u32(guard.slot()), KernelLayout.u32(0), BpfMap.BPF_ANY);
        if (tunnels.isEmpty()) {
            deleteIfExists(pinDirectory().resolve(Hook.TUNNEL.pinName()));
            deleteIfExists(pinDirectory().resolve(TUNNEL_TAG_PIN));
        }
        return deleted;
    }

    public Path instanceCgroup() {
        return config.instanceCgroup();
    }

    public Path pinDirectory() {
        return config.pinDirectory();
    }

    /**
     * Whether {@code hook}'s program stays in force without this process: its link pinned, for the
     * backstop its program pinned (the filters themselves: {@link #tunnelGuarded}).
     */
    public boolean pinned(Hook hook) {
        return Files.exists(pinDirectory().resolve(hook.pinName()));
    }

    /** The program attached for {@code hook} (for its id and run statistics). */
    public BpfProgram program(Hook hook) {
        return object.program(hook.program());
    }

    /**
     * Creates the cgroup {@code <cgroup2>/<instance>/<name>} for app {@code id} and registers it, so
     * that processes in it and its descendants count as the app. Only root may move processes in
     * ({@code cgroup.procs} mode 0644, owned by root).
     */
    public synchronized Path addApp(String name, AppId id) throws IOException {
        requireOpen();
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("bad app name '" + name + "'");
        }
        if (apps.containsKey(name)) {
            throw new IllegalArgumentException("app " + name + " exists");
        }
        Path dir = instanceCgroup().resolve(name);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(dir);
        } // else adopted: left by a crashed daemon with its processes still in it (see removePinned)
        apps.put(name, dir);
        appIds.put(name, id);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String file : List.of("cgroup.procs", "cgroup.threads", "cgroup.subtree_control")) {
            Path path = dir.resolve(file);
            if (Files.exists(path)) {
                Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-r--r--"));
            }
        }
        long cgroup = cgroupId(dir);
        object.map("apps").update(KernelLayout.u64(cgroup), KernelLayout.u32(id.value()), BpfMap.BPF_ANY);
        placeInSlot(cgroup, id.value());
        return dir;
    }

    /**
     * Registers {@code cgroup}, which exists and is not this instance's to make or remove, as app {@code
     * name}: a process directly in it has the app's grants (its descendants do not, unlike an app cgroup
     * of the instance). For the daemon's own leaf, whose forwarder asks the tunnels' DNS servers.
     * {@link #removeApp} unregisters it and leaves the directory.
     */
    public synchronized void addIdentity(String name, AppId id, Path cgroup) throws IOException {
        requireOpen();
        if (apps.containsKey(name)) {
            throw new IllegalArgumentException("app " + name + " exists");
        }
        if (cgroup.startsWith(instanceCgroup())) {
            throw new IllegalArgumentException(cgroup + " is inside the instance cgroup: make it an app");
        }
        long id64 = cgroupId(cgroup);
        apps.put(name, cgroup);
        appIds.put(name, id);
        identities.add(name);
        object.map("apps").update(KernelLayout.u64(id64), KernelLayout.u32(id.value()), BpfMap.BPF_ANY);
        placeInSlot(id64, id.value());
    }

    /**
     * Adds {@code file} to the executables of app {@code id}: where the policy binds the app's grants to
     * its executables ({@link Policy#boundToExecutables}), a process of the app gets them only while it
     * runs one of these files. Add a file before a process of the app can run it.
     */
    public synchronized void allowExecutable(AppId id, ExecutableId file) throws BpfException {
        requireOpen();
        object.map("app_execs").update(KernelLayout.execKey(id, file), new byte[] {1}, BpfMap.BPF_ANY);
        executables.computeIfAbsent(id, app -> new TreeSet<>(EXECUTABLE_ORDER)).add(file);
    }

    /** Removes {@code file} from the executables of app {@code id} (nothing when it is not one). */
    public synchronized void forgetExecutable(AppId id, ExecutableId file) throws BpfException {
        requireOpen();
        Set<ExecutableId> files = executables.get(id);
        if (files != null && files.remove(file)) {
            object.map("app_execs").delete(KernelLayout.execKey(id, file));
        }
    }

    /** The executables of app {@code id} (see {@link #allowExecutable}). */
    public synchronized Set<ExecutableId> executables(AppId id) {
        return Set.copyOf(executables.getOrDefault(id, Set.of()));
    }

    /** The app whose cgroup has the kernel's id {@code cgroupId}, if any. */
    public synchronized Optional<String> appAt(long cgroupId) {
        for (Map.Entry<String, Path> app : apps.entrySet()) {
            try {
                if (cgroupId(app.getValue()) == cgroupId) {
                    return Optional.of(app.getKey());
                }
            } catch (IOException e) {
                // removed under us: not this one
            }
        }
        return Optional.empty();
    }

    private static final Comparator<ExecutableId> EXECUTABLE_ORDER =
            Comparator.comparingInt(ExecutableId::dev).thenComparingLong(ExecutableId::ino);

    /** Unregisters app {@code name} and removes its cgroup (fails while processes are in it). */
    public synchronized void removeApp(String name) throws IOException {
        requireOpen();
        Path dir = apps.get(name);
        if (dir == null) {
            throw new IllegalArgumentException("no app " + name);
        }
        long cgroup = cgroupId(dir);
        for (int slot : KernelLayout.appSlots(cgroup)) {
            if (slots.getOrDefault(slot, 0L) == cgroup) {
                object.map("app_slots")
                        .update(KernelLayout.u32(slot), new byte[KernelLayout.APP_SLOT_SIZE], BpfMap.BPF_ANY);
                slots.remove(slot);
            }
        }
        if (overflow.remove(cgroup) && overflow.isEmpty()) {
            writeConfig();
        }
        object.map("apps").delete(KernelLayout.u64(cgroup));
        for (ExecutableId file : executables(appIds.get(name))) {
            forgetExecutable(appIds.get(name), file);
        }
        if (!identities.remove(name)) {
            Files.delete(dir);
        }
        apps.remove(name);
        appIds.remove(name);
    }

    /**
     * Moves every app out of app_slots into the apps hash only, as if all their slots were taken
     * (for tests of the overflow path, which real cgroup ids reach only by rare collisions).
     */
    synchronized void useAppsHashOnly() throws IOException {
        requireOpen();
        for (Map.Entry<Integer, Long> slot : Map.copyOf(slots).entrySet()) {
            object.map("app_slots")
                    .update(KernelLayout.u32(slot.getKey()), new byte[KernelLayout.APP_SLOT_SIZE], BpfMap.BPF_ANY);
            overflow.add(slot.getValue());
        }
        slots.clear();
        writeConfig();
    }

    /**
     * Registers app cgroup {@code cgroup} in one of its two app slots (the programs' fast lookup);
     * when both are taken, in the apps hash only, and the programs are told to consult it.
     */
    private void placeInSlot(long cgroup, int app) throws IOException {
        for (int slot : KernelLayout.appSlots(cgroup)) {
            if (!slots.containsKey(slot)) {
                object.map("app_slots")
                        .update(KernelLayout.u32(slot), KernelLayout.appSlot(cgroup, app), BpfMap.BPF_ANY);
                slots.put(slot, cgroup);
                return;
            }
        }
        overflow.add(cgroup);
        writeConfig();
    }

    /**
     * Publishes {@code next} as the new generation: builds a new LPM trie completely, then swaps it
     * into slot 0 of {@code generations} with one update. Every decision uses the old trie or the new
     * one, never a mix. Returns the generation number (1 for the first).
     */
    public synchronized long publish(Policy next) throws BpfException {
        requireOpen();
        List<TrieEntry> entries = PolicyCompiler.compile(next);
        int[] nextHint = InternalHint.of(entries);
        String name = "wgpr_g" + (generation + 1);
        try (OwnedFd trie = Bpf.createMap(
                Bpf.MapType.LPM_TRIE,
                name,
                KernelLayout.KEY_SIZE,
                KernelLayout.VALUE_SIZE,
                Math.max(1, entries.size()),
                Bpf.BPF_F_NO_PREALLOC)) {
            fill(trie.fd(), TrieFillOrder.of(entries));
            // The one switch: the outer map now refers to the new trie, and holds it. Everything the
            // call needs is resolved and in native memory first, so that the stamp is taken right
            // before the system call (the kernel swaps the pointer at its start; it returns only after
            // an RCU grace period).
            // Until the switch programs use the old trie, after it the new one: the hint covers both.
            writeHint(InternalHint.union(hint, nextHint));
            int outer = object.map("generations").fd();
            byte[] slot = KernelLayout.u32(0);
            byte[] trieFd = KernelLayout.u32(trie.fd());
            try (Arena call = Arena.ofConfined()) {
                Bpf.PreparedUpdate swap = Bpf.prepareUpdate(call, outer, slot, trieFd, BpfMap.BPF_ANY);
                switchNanos = System.nanoTime();
                swap.run();
            }
            // The update returned after an RCU grace period: no program still holds the old trie.
            writeHint(nextHint);
        } catch (IOException e) {
            if (e instanceof BpfException bpf) {
                throw bpf;
            }
            throw new IllegalStateException("closing the new trie's descriptor failed", e);
        }
        policy = next;
        return ++generation;
    }

    /** Writes the words of internal_hint that differ from {@code next}. */
    private void writeHint(int[] next) throws BpfException {
        int fd = object.map("internal_hint").fd();
        try (Arena arena = Arena.ofConfined()) {
            for (int i = 0; i < InternalHint.WORDS; i++) {
                if (hint[i] != next[i]) {
                    Bpf.update(arena, fd, KernelLayout.u32(i), KernelLayout.u32(next[i]), BpfMap.BPF_ANY);
                    hint[i] = next[i];
                }
            }
        }
    }

    /** Entries per bpf_map_update_batch call while filling a new trie. */
    private static final int BATCH = 4096;

    /** Whether this kernel's LPM tries take bpf_map_update_batch (learned on first use). */
    private static volatile Boolean batchSupported;

    /**
     * Fills a fresh trie: bpf_map_update_batch in chunks where the kernel supports it for LPM tries
     * (one system call per chunk), else one update per entry.
     */
    private static void fill(int trieFd, List<TrieFillOrder.Keyed> entries) throws BpfException {
        int done = 0;
        if (!Boolean.FALSE.equals(batchSupported)) {
            while (done < entries.size()) {
                int n = Math.min(BATCH, entries.size() - done);
                byte[] keys = new byte[n * KernelLayout.KEY_SIZE];
                byte[] values = new byte[n * KernelLayout.VALUE_SIZE];
                for (int i = 0; i < n; i++) {
                    TrieFillOrder.Keyed entry = entries.get(done + i);
                    System.arraycopy(entry.key(), 0, keys, i * KernelLayout.KEY_SIZE, KernelLayout.KEY_SIZE);
                    System.arraycopy(
                            KernelLayout.value(entry.entry()),
                            0,
                            values,
                            i * KernelLayout.VALUE_SIZE,
                            KernelLayout.VALUE_SIZE);
                }
                try {
                    Bpf.updateBatch(trieFd, keys, values, n, BpfMap.BPF_NOEXIST);
                    batchSupported = true;
                } catch (BpfException e) {
                    if (done == 0
                            && batchSupported == null
                            && (e.errno() == Bpf.ENOTSUPP
                                    || e.errno() == Libc.EOPNOTSUPP
                                    || e.errno() == Libc.EINVAL)) {
                        batchSupported = false; // not for this map type
                        break;
                    }
                    throw e;
                }
                done += n;
            }
            if (done == entries.size()) {
                return;
            }
        }
        try (Arena arena = Arena.ofConfined()) {
            for (TrieFillOrder.Keyed entry : entries.subList(done, entries.size())) {
                Bpf.update(arena, trieFd, entry.key(), KernelLayout.value(entry.entry()), BpfMap.BPF_NOEXIST);
            }
        }
    }

    /**
     * Starts (a non-zero {@code mark}) or stops (0) marking with {@code mark} the sockets of excluded apps
     * and, with {@code others}, of processes that are no app: at creation, and when they reach a prefix
     * they go around ({@link Policy#excludedAround}, {@link Policy#bypassed}), which the hooks then allow.
     * Call with a mark only once the rule that routes it through the underlay is in force, and with 0
     * before that rule goes: without it those prefixes are denied (fail closed), and marked traffic
     * routed into a tunnel is dropped by its backstop (the sockets are no app's).
     */
    public synchronized void steer(int mark, boolean others) throws IOException {
        int markBefore = bypassMark;
        boolean othersBefore = markOthers;
        bypassMark = mark;
        markOthers = mark != 0 && others;
        try {
            writeConfig();
        } catch (IOException | RuntimeException e) {
            bypassMark = markBefore;
            markOthers = othersBefore;
            throw e;
        }
    }

    /** {@link #steer} of non-apps and excluded apps alike. */
    public synchronized void steerOthers(int mark) throws IOException {
        steer(mark, true);
    }

    /** The mark {@link #steerOthers} gives non-apps of {@code instance}: one per instance, never 0. */
    public static int othersMarkOf(String instance) {
        return KernelLayout.bypassMark(instance);
    }

    /** The mark of {@link #steerOthers}, 0 when none is in force. */
    public synchronized int othersMark() {
        return bypassMark;
    }

    public synchronized Policy policy() {
        return policy;
    }

    public synchronized long generation() {
        return generation;
    }

    /**
     * {@link System#nanoTime()} just before the last {@link #publish}'s switch (the outer map update's
     * system call) began: the earliest instant the new generation can decide. For the revocation figures; the update
     * itself returns only after an RCU grace period (the kernel waits for programs still holding the
     * old trie), so "publish returned" is much later than "new attempts are judged by the new policy".
     */
    public synchronized long lastSwitchNanos() {
        return switchNanos;
    }

    /** The counters, summed over CPUs. */
    public synchronized Map<Counter, Long> counters() throws BpfException {
        requireOpen();
        Map<Counter, Long> counters = new EnumMap<>(Counter.class);
        BpfMap map = object.map("counters");
        for (Counter counter : Counter.values()) {
            long sum = 0;
            for (byte[] value :
                    map.lookupPerCpu(KernelLayout.u32(counter.ordinal())).orElseThrow()) {
                sum += ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN).getLong();
            }
            counters.put(counter, sum);
        }
        return counters;
    }

    /** Deny events that arrive within {@code timeout} (those already there are returned at once). */
    public synchronized List<DenyEvent> pollEvents(Duration timeout) throws BpfException {
        requireOpen();
        return parse(events.poll((int) Math.min(Integer.MAX_VALUE, timeout.toMillis())));
    }

    /** The deny events waiting now. */
    public synchronized List<DenyEvent> drainEvents() throws BpfException {
        requireOpen();
        return parse(events.drain());
    }

    private static List<DenyEvent> parse(List<byte[]> samples) {
        List<DenyEvent> parsed = new ArrayList<>(samples.size());
        for (byte[] sample : samples) {
            parsed.add(DenyEvent.parse(sample));
        }
        return parsed;
    }

    /**
     * Drops this process's handles and leaves enforcement in force through the pins (what a daemon
     * does when it exits without {@code down}).
     */
    public synchronized void release() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (events != null) {
                events.close();
            }
            for (BpfLink link : links.values()) {
                link.close(); // pinned: stays attached
            }
        } finally {
            object.close();
        }
    }

    /**
     * Detaches the programs, removes the pins, the app cgroups and the instance cgroup, and unloads.
     * Idempotent; goes on after a failed step and throws the first failure at the end.
     */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        List<Exception> failures = new ArrayList<>();
        if (events != null) {
            run(failures, events::close);
        }
        for (TunnelGuard guard : List.copyOf(tunnels.values())) {
            // Must run in the tunnel's namespace; from elsewhere the filters are not found by ifindex.
            run(failures, () -> {
                if (NetnsCookie.ofCurrentThread() != config.netnsCookie()) {
                    throw new IllegalStateException("close() outside the tunnel's namespace: the filters on "
                            + guard.backstop().ifindex() + " stay until the device goes");
                }
                tunnels.remove(guard.backstop().ifindex());
                removeFilters(guard);
            });
        }
        run(failures, () -> deleteIfExists(pinDirectory().resolve(Hook.TUNNEL.pinName())));
        run(failures, () -> deleteIfExists(pinDirectory().resolve(TUNNEL_TAG_PIN)));
        for (Map.Entry<Hook, BpfLink> link : links.entrySet()) {
            run(
                    failures,
                    () -> deleteIfExists(pinDirectory().resolve(link.getKey().pinName())));
            run(failures, link.getValue()::close);
        }
        links.clear();
        if (pinDirectoryCreated) {
            for (String map : PINNED_MAPS) {
                run(failures, () -> deleteIfExists(pinDirectory().resolve(map)));
            }
            run(failures, () -> deleteIfExists(pinDirectory()));
        }
        for (Map.Entry<String, Path> app : List.copyOf(apps.entrySet())) {
            if (!identities.contains(app.getKey())) {
                run(failures, () -> deleteIfExists(app.getValue()));
            }
        }
        apps.clear();
        identities.clear();
        if (instanceCgroupCreated) {
            run(failures, () -> {
                try (var children = Files.list(instanceCgroup())) {
                    if (children.anyMatch(Files::isDirectory)) {
                        return; // adopted app cgroups no tunnel named, their processes still running
                    }
                }
                deleteIfExists(instanceCgroup());
            });
        }
        run(failures, object::close);
        if (!failures.isEmpty()) {
            IOException first = failures.getFirst() instanceof IOException io
                    ? io
                    : new IOException("removing enforcement of " + config.instance(), failures.getFirst());
            failures.stream().skip(1).forEach(first::addSuppressed);
            throw first;
        }
    }

    private void createInstanceCgroup() throws IOException {
        if (!Files.isDirectory(instanceCgroup(), LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(instanceCgroup());
        } // else adopted, with the app cgroups removePinned kept
        instanceCgroupCreated = true;
        Files.setPosixFilePermissions(instanceCgroup(), PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private void configure() throws IOException {
        writeConfig();
    }

    private void writeConfig() throws IOException {
        Path relative = config.cgroup2().relativize(instanceCgroup());
        int level = relative.getNameCount();
        byte[] value = KernelLayout.config(
                config.netnsCookie(),
                cgroupId(instanceCgroup()),
                level,
                KernelLayout.inboundTag(config.instance()),
                (overflow.isEmpty() ? 0 : KernelLayout.CFG_APPS_OVERFLOW)
                        | (markOthers ? KernelLayout.CFG_MARK_OTHERS : 0),
                bypassMark);
        object.map("config").update(KernelLayout.u32(0), value, BpfMap.BPF_ANY);
    }

    private void attach() throws IOException {
        for (Hook hook : Hook.values()) {
            if (!hook.cgroupLinked()) {
                continue;
            }
            links.put(hook, object.program(hook.program()).attachCgroup(config.attachAt()));
        }
    }

    private void pin() throws IOException {
        Files.createDirectory(pinDirectory());
        pinDirectoryCreated = true;
        for (Map.Entry<Hook, BpfLink> link : links.entrySet()) {
            Bpf.pin(link.getValue().fd(), pinDirectory().resolve(link.getKey().pinName()));
        }
        for (String map : PINNED_MAPS) {
            object.map(map).pin(pinDirectory().resolve(map));
        }
    }

    /** The cgroup id of a cgroup2 directory: its inode number (kernfs node id, 64-bit kernels). */
    static long cgroupId(Path cgroup) throws IOException {
        return ((Number) Files.getAttribute(cgroup, "unix:ino")).longValue();
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("enforcement of " + config.instance() + " is closed");
        }
    }

    private static void deleteIfExists(Path path) throws IOException {
        try {
            Files.deleteIfExists(path);
        } catch (NoSuchFileException e) {
            // gone already
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private static void run(List<Exception> failures, Step step) {
        try {
            step.run();
        } catch (Exception e) {
            failures.add(e);
        }
    }

    @Override
    public synchronized String toString() {
        return "Enforcer[" + config.instance() + ", generation " + generation + (closed ? ", closed" : "") + "]";
    }
}
