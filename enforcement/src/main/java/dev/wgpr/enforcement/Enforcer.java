package dev.wgpr.enforcement;

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
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * The enforcement layer of one instance: enforce.bpf.o loaded, its four sock_addr programs attached
 * through {@code bpf_link}s (normally at the cgroup2 root), its links and maps pinned under {@code
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
            List.of("generations", "config", "apps", "app_slots", "counters", "events");

    /**
     * The backstop's tc filter handle on the tunnel device ("wgpr"). A tc filter is no link and has
     * no pin: teardown and a restarted daemon find it by (tunnel ifindex, {@code TUNNEL_FILTER_HANDLE},
     * {@link #TUNNEL_FILTER_PRIORITY}) in the tunnel's namespace; the ifindex is kept in the pinned
     * {@code config} map and the program is pinned as {@code prog_tunnel}.
     */
    public static final int TUNNEL_FILTER_HANDLE = 0x77677072;

    /** The backstop's tc filter priority: 1, so it runs before filters others add at the default. */
    public static final int TUNNEL_FILTER_PRIORITY = 1;

    /**
     * Where and for what to enforce.
     *
     * @param instance the instance name: cgroup {@code <cgroup2>/<instance>} and pins {@code
     *     <bpffs>/<instance>}
     * @param cgroup2 the cgroup2 mount
     * @param attachAt the cgroup the programs are attached to (the cgroup2 root in production)
     * @param bpffs a bpffs mount, normally {@code /sys/fs/bpf}
     * @param netnsCookie the tunnel namespace's cookie ({@link NetnsCookie}); only sockets of that
     *     namespace are judged
     */
    public record Config(String instance, Path cgroup2, Path attachAt, Path bpffs, long netnsCookie) {
        public Config {
            Objects.requireNonNull(instance, "instance");
            if (!NAME.matcher(instance).matches()) {
                throw new IllegalArgumentException("bad instance name '" + instance + "'");
            }
            if (netnsCookie == 0) {
                throw new IllegalArgumentException("netns cookie 0 means 'not configured'");
            }
        }

        /** Attached at the cgroup2 root of this mount namespace, pinned under {@code /sys/fs/bpf}. */
        public static Config atRoot(String instance, long netnsCookie) throws IOException {
            Path cgroup2 = Cgroup2Mount.find()
                    .orElseThrow(() -> new IOException("no cgroup2 mount in /proc/self/mountinfo"))
                    .path();
            return new Config(instance, cgroup2, cgroup2, Path.of("/sys/fs/bpf"), netnsCookie);
        }

        Path instanceCgroup() {
            return cgroup2.resolve(instance);
        }

        Path pinDirectory() {
            return bpffs.resolve(instance);
        }
    }

    private final Config config;
    private final BpfObject object;
    private final Map<Hook, BpfLink> links = new EnumMap<>(Hook.class);
    private final Map<String, Path> apps = new LinkedHashMap<>();
    private BpfRingBuffer events;
    private boolean instanceCgroupCreated;
    private boolean pinDirectoryCreated;
    private Policy policy;
    private long generation;
    private long switchNanos;
    private boolean closed;
    private TcFilter tunnelFilter;
    private boolean tunnelHookCreated;
    private int tunnelIfindex;
    /** app_slots in use: slot -> cgroup id. */
    private final Map<Integer, Long> slots = new java.util.HashMap<>();
    /** Cgroups of apps that found both of their slots taken (only in the apps hash). */
    private final java.util.Set<Long> overflow = new java.util.HashSet<>();

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
     * Deletes the backstop filter of a pinned instance when the calling thread is in the tunnel's
     * namespace and the filter at our handle and priority runs the pinned program (not someone
     * else's). Elsewhere, or when the device is gone (its filters died with it), nothing to do.
     */
    private static void detachPinnedTunnel(Config config) throws IOException {
        Path configPin = config.pinDirectory().resolve("config");
        Path programPin = config.pinDirectory().resolve(Hook.TUNNEL.pinName());
        if (!Files.exists(configPin)
                || !Files.exists(programPin)
                || NetnsCookie.ofCurrentThread() != config.netnsCookie()) {
            return;
        }
        int ifindex;
        try (OwnedFd map = Bpf.pinned(configPin)) {
            ifindex = KernelLayout.tunnelIfindex(Bpf.lookup(map.fd(), KernelLayout.u32(0), KernelLayout.CONFIG_SIZE));
        }
        if (ifindex <= 0) {
            return;
        }
        TcFilter filter = new TcFilter(ifindex, TUNNEL_FILTER_HANDLE, TUNNEL_FILTER_PRIORITY);
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
     * Attaches the backstop (layer 2) to the tunnel device {@code ifindex}: a tc classifier on its
     * clsact egress hook that judges every packet about to enter the tunnel by its socket's cgroup
     * against the current generation, drops the rest and reports them as deny events ({@link
     * Hook#TUNNEL}). The calling thread must be in the tunnel's network namespace (the one of {@link
     * Config#netnsCookie()}), where {@code ifindex} is the device's index. The filter stays on the
     * device after {@link #release()} (it is no link; it lives until it is deleted or the device
     * goes); {@link #detachTunnel()}, {@link #close()} and {@link #removePinned} delete it.
     */
    public synchronized void attachTunnel(int ifindex) throws IOException {
        requireOpen();
        if (tunnelFilter != null) {
            throw new IllegalStateException("the backstop is attached already, to ifindex " + tunnelFilter.ifindex());
        }
        long here = NetnsCookie.ofCurrentThread();
        if (here != config.netnsCookie()) {
            throw new IllegalStateException("attachTunnel must run in the tunnel's network namespace (cookie "
                    + config.netnsCookie() + "), not in " + here);
        }
        TcFilter filter = new TcFilter(ifindex, TUNNEL_FILTER_HANDLE, TUNNEL_FILTER_PRIORITY);
        boolean created = filter.createHook();
        try {
            // Pin first, so a filter in force is always findable by a later daemon.
            Path pin = pinDirectory().resolve(Hook.TUNNEL.pinName());
            if (!Files.exists(pin)) {
                Bpf.pin(program(Hook.TUNNEL).fd(), pin);
            }
            writeConfig(ifindex);
            filter.attach(program(Hook.TUNNEL).fd(), false);
        } catch (IOException | RuntimeException e) {
            try {
                if (created) {
                    filter.destroyHook();
                }
                writeConfig(0);
            } catch (IOException | RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        tunnelFilter = filter;
        tunnelHookCreated = created;
    }

    /**
     * Deletes the backstop filter (the calling thread must be in the tunnel's namespace). Returns
     * false when none was attached by this enforcer. The clsact qdisc goes too when this enforcer
     * created it.
     */
    public synchronized boolean detachTunnel() throws IOException {
        requireOpen();
        return detachTunnelFilter();
    }

    /** The backstop filter in force through this enforcer, if any. */
    public synchronized Optional<TcFilter> tunnelFilter() {
        return Optional.ofNullable(tunnelFilter);
    }

    private boolean detachTunnelFilter() throws IOException {
        TcFilter filter = tunnelFilter;
        if (filter == null) {
            return false;
        }
        tunnelFilter = null;
        boolean deleted = filter.detach();
        if (tunnelHookCreated) {
            filter.destroyHook();
        }
        writeConfig(0);
        Files.deleteIfExists(pinDirectory().resolve(Hook.TUNNEL.pinName()));
        return deleted;
    }

    public Path instanceCgroup() {
        return config.instanceCgroup();
    }

    public Path pinDirectory() {
        return config.pinDirectory();
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
            writeConfig(tunnelIfindex);
        }
        object.map("apps").delete(KernelLayout.u64(cgroup));
        Files.delete(dir);
        apps.remove(name);
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
        writeConfig(tunnelIfindex);
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
        writeConfig(tunnelIfindex);
    }

    /**
     * Publishes {@code next} as the new generation: builds a new LPM trie completely, then swaps it
     * into slot 0 of {@code generations} with one update. Every decision uses the old trie or the new
     * one, never a mix. Returns the generation number (1 for the first).
     */
    public synchronized long publish(Policy next) throws BpfException {
        requireOpen();
        List<TrieEntry> entries = PolicyCompiler.compile(next);
        String name = "wgpr_g" + (generation + 1);
        try (OwnedFd trie = Bpf.createMap(
                Bpf.MapType.LPM_TRIE,
                name,
                KernelLayout.KEY_SIZE,
                KernelLayout.VALUE_SIZE,
                Math.max(1, entries.size()),
                Bpf.BPF_F_NO_PREALLOC)) {
            fill(trie.fd(), entries);
            // The one switch: the outer map now refers to the new trie, and holds it. Everything the
            // call needs is resolved and in native memory first, so that the stamp is taken right
            // before the system call (the kernel swaps the pointer at its start; it returns only after
            // an RCU grace period).
            int outer = object.map("generations").fd();
            byte[] slot = KernelLayout.u32(0);
            byte[] trieFd = KernelLayout.u32(trie.fd());
            try (Arena call = Arena.ofConfined()) {
                Bpf.PreparedUpdate swap = Bpf.prepareUpdate(call, outer, slot, trieFd, BpfMap.BPF_ANY);
                switchNanos = System.nanoTime();
                swap.run();
            }
        } catch (IOException e) {
            if (e instanceof BpfException bpf) {
                throw bpf;
            }
            throw new IllegalStateException("closing the new trie's descriptor failed", e);
        }
        policy = next;
        return ++generation;
    }

    /** Entries per bpf_map_update_batch call while filling a new trie. */
    private static final int BATCH = 4096;

    /** Whether this kernel's LPM tries take bpf_map_update_batch (learned on first use). */
    private static volatile Boolean batchSupported;

    /**
     * Fills a fresh trie: bpf_map_update_batch in chunks where the kernel supports it for LPM tries
     * (one system call per chunk), else one update per entry.
     */
    private static void fill(int trieFd, List<TrieEntry> entries) throws BpfException {
        int done = 0;
        if (!Boolean.FALSE.equals(batchSupported)) {
            while (done < entries.size()) {
                int n = Math.min(BATCH, entries.size() - done);
                byte[] keys = new byte[n * KernelLayout.KEY_SIZE];
                byte[] values = new byte[n * KernelLayout.VALUE_SIZE];
                for (int i = 0; i < n; i++) {
                    TrieEntry entry = entries.get(done + i);
                    System.arraycopy(
                            KernelLayout.key(entry.app(), entry.prefix()),
                            0,
                            keys,
                            i * KernelLayout.KEY_SIZE,
                            KernelLayout.KEY_SIZE);
                    System.arraycopy(
                            KernelLayout.value(entry), 0, values, i * KernelLayout.VALUE_SIZE, KernelLayout.VALUE_SIZE);
                }
                try {
                    Bpf.updateBatch(trieFd, keys, values, n, BpfMap.BPF_NOEXIST);
                    batchSupported = true;
                } catch (BpfException e) {
                    if (done == 0
                            && batchSupported == null
                            && (e.errno() == 524 || e.errno() == 95 || e.errno() == 22)) {
                        batchSupported = false; // ENOTSUPP / EOPNOTSUPP / EINVAL: not for this map type
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
            for (TrieEntry entry : entries.subList(done, entries.size())) {
                Bpf.update(
                        arena,
                        trieFd,
                        KernelLayout.key(entry.app(), entry.prefix()),
                        KernelLayout.value(entry),
                        BpfMap.BPF_NOEXIST);
            }
        }
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
        if (tunnelFilter != null) {
            // Must run in the tunnel's namespace; from elsewhere the filter is not found by ifindex.
            run(failures, () -> {
                if (NetnsCookie.ofCurrentThread() == config.netnsCookie()) {
                    detachTunnelFilter();
                } else {
                    throw new IllegalStateException("close() outside the tunnel's namespace: the backstop filter "
                            + tunnelFilter + " stays until the device goes");
                }
            });
        }
        run(failures, () -> deleteIfExists(pinDirectory().resolve(Hook.TUNNEL.pinName())));
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
        for (Path app : List.copyOf(apps.values())) {
            run(failures, () -> deleteIfExists(app));
        }
        apps.clear();
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
        writeConfig(0);
    }

    private void writeConfig(int tunnelIfindex) throws IOException {
        this.tunnelIfindex = tunnelIfindex;
        Path relative = config.cgroup2().relativize(instanceCgroup());
        int level = relative.getNameCount();
        byte[] value = KernelLayout.config(
                config.netnsCookie(),
                cgroupId(instanceCgroup()),
                level,
                tunnelIfindex,
                overflow.isEmpty() ? 0 : KernelLayout.CFG_APPS_OVERFLOW);
        object.map("config").update(KernelLayout.u32(0), value, BpfMap.BPF_ANY);
    }

    private void attach() throws IOException {
        for (Hook hook : Hook.values()) {
            if (hook.layer() != Hook.Layer.SOCK_ADDR) {
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
