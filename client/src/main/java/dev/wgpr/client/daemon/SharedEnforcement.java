package dev.wgpr.client.daemon;

import dev.wgpr.client.control.CamelCase;
import dev.wgpr.client.control.DeniedAttempt;
import dev.wgpr.client.control.EnforcementStatus;
import dev.wgpr.common.ThreadFailures;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.common.net.IpText;
import dev.wgpr.enforcement.AppId;
import dev.wgpr.enforcement.BorrowGuard;
import dev.wgpr.enforcement.BorrowRefusal;
import dev.wgpr.enforcement.DenyEvent;
import dev.wgpr.enforcement.Enforcer;
import dev.wgpr.enforcement.ExecutableId;
import dev.wgpr.enforcement.Hook;
import dev.wgpr.enforcement.Incoming;
import dev.wgpr.enforcement.Policy;
import dev.wgpr.enforcement.bpf.BpfException;
import dev.wgpr.enforcement.policy.Grant;
import dev.wgpr.enforcement.revoke.RevocationReport;
import dev.wgpr.enforcement.revoke.SocketRevoker;
import dev.wgpr.routes.netlink.RtNetlink;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The one enforcement layer of a daemon ({@link Enforcer}), shared by all its tunnels: started when
 * the first tunnel (or app) needs it, closed when the last one goes. It owns the app cgroups ({@link
 * Enforcer#addApp}: one owner), gives each app name a stable {@link AppId} and each (tunnel, peer) a
 * stable peer index for the daemon's life, publishes the union of the tunnels' policies as one
 * generation, and drains the deny events into the daemon's {@link EventLog}.
 *
 * <p>The programs judge only the network namespace the daemon runs in (its cookie is taken at start).
 */
final class SharedEnforcement implements Pieces.EnforcementLayer {
    private static final long DRAIN_INTERVAL_MILLIS = 100;

    private final Instance instance;
    private final long netnsCookie;
    private final EventLog events;
    private final PrintStream log;
    private final Map<String, AppId> appIds = new HashMap<>();
    private final Map<Integer, String> appNames = new HashMap<>();
    private final Map<String, Integer> peerIndices = new HashMap<>();
    private final Map<Integer, String> peerNames = new HashMap<>();
    private final Map<String, Integer> appReferences = new LinkedHashMap<>();
    private final Map<String, Path> appCgroups = new LinkedHashMap<>();
    private Map<String, Pieces.TunnelPolicy> tunnels = Map.of();
    /** The executables of each app from its tunnels' configs, as last published. */
    private Map<String, Set<ExecutableId>> configuredExecutables = Map.of();
    /** The executables {@code wg-pr run} started as each app; they stay the app's while it exists. */
    private final Map<String, Set<ExecutableId>> launchedExecutables = new HashMap<>();
    /** Guarded tunnel devices: interface name -> ifindex. */
    private final Map<String, Integer> guardedDevices = new LinkedHashMap<>();

    private Enforcer enforcer;
    /** Who holds the sockets refused inbound packets were for, looked up as their events are read. */
    private SocketHolders holders;

    private BorrowGuard.Attempt borrowGuard;
    private Thread drainer;
    private final ThreadFailures drainFailures;

    SharedEnforcement(Instance instance, long netnsCookie, EventLog events, PrintStream log) {
        this.instance = instance;
        this.netnsCookie = netnsCookie;
        this.events = events;
        this.log = log;
        this.drainFailures = new ThreadFailures(line -> log.println("wg-pr daemon: " + line));
    }

    /** The enforcer's config for this instance (also what start-up recovery removes). */
    static Enforcer.Config config(Instance instance, long netnsCookie) throws IOException {
        Enforcer.Config atRoot = Enforcer.Config.atRoot(instance.name(), netnsCookie);
        return atRoot.withAppParent(SystemdDelegation.appParent(atRoot.cgroup2()));
    }

    @Override
    public synchronized Path acquireApp(String app) throws IOException {
        return acquire(app, AppId::of);
    }

    @Override
    public synchronized Path acquireExcludedApp(String app) throws IOException {
        return acquire(app, AppId::excluded);
    }

    /** An app's cgroup, made and registered on first use with the id {@code kind} makes of the next number. */
    private Path acquire(String app, java.util.function.IntFunction<AppId> kind) throws IOException {
        int count = appReferences.getOrDefault(app, 0);
        if (count == 0) {
            Enforcer e = started();
            AppId id = appIds.computeIfAbsent(app, name -> kind.apply(appIds.size() + 1));
            appNames.put(id.value(), app);
            try {
                boolean adopted = Files.isDirectory(e.instanceCgroup().resolve(app));
                appCgroups.put(app, e.addApp(app, id));
                if (adopted) {
                    restoreLaunched(e, app, id);
                }
            } catch (IOException | RuntimeException failure) {
                closeIfUnused();
                throw failure;
            }
        }
        appReferences.put(app, count + 1);
        return appCgroups.get(app);
    }

    @Override
    public synchronized void acquireIdentity(String name, Path cgroup) throws IOException {
        int count = appReferences.getOrDefault(name, 0);
        if (count == 0) {
            Enforcer e = started();
            AppId id = appIds.computeIfAbsent(name, n -> AppId.of(appIds.size() + 1));
            appNames.put(id.value(), name);
            try {
                e.addIdentity(name, id, cgroup);
                appCgroups.put(name, cgroup);
            } catch (IOException | RuntimeException failure) {
                closeIfUnused();
                throw failure;
            }
        }
        appReferences.put(name, count + 1);
    }

    @Override
    public synchronized void releaseApp(String app) throws IOException {
        int count = appReferences.getOrDefault(app, 0);
        if (count > 1) {
            appReferences.put(app, count - 1);
            return;
        }
        appReferences.remove(app);
        Path cgroup = appCgroups.remove(app);
        try {
            if (enforcer != null && cgroup != null) {
                try {
                    enforcer.removeApp(app);
                    // Gone with its cgroup; while processes of it outlive this daemon, the next one needs them.
                    launchedExecutables.remove(app);
                    persistLaunched();
                } catch (FileSystemException e) {
                    throw new IOException(
                            "cannot remove " + cgroup + " (processes of " + app + " still run in it): "
                                    + e.getMessage(),
                            e);
                }
            }
        } finally {
            closeIfUnused();
        }
    }

    @Override
    public synchronized void publish(Map<String, Pieces.TunnelPolicy> next) throws IOException {
        Map<String, Pieces.TunnelPolicy> copy = Map.copyOf(next);
        if (copy.isEmpty() && enforcer == null) {
            tunnels = copy;
            return;
        }
        Map<String, Set<ExecutableId>> executables = configuredExecutables(copy);
        Policy policy = compile(copy);
        Enforcer e = started();
        Policy previous = e.policy();
        // Files first, then the generation that binds grants to them: no moment denies an app's program.
        for (Map.Entry<String, Set<ExecutableId>> app : executables.entrySet()) {
            for (ExecutableId file : app.getValue()) {
                e.allowExecutable(appIds.get(app.getKey()), file);
            }
        }
        e.publish(policy);
        tunnels = copy;
        forgetExecutablesNoLongerConfigured(e, executables);
        revokeWhatIsNoLongerAllowed(previous, policy);
        closeIfUnused();
    }

    @Override
    public synchronized void allowExecutables(String app, List<ExecutableId> files) throws IOException {
        AppId id = appIds.get(app);
        if (enforcer == null || id == null || !appReferences.containsKey(app)) {
            throw new IllegalStateException("app " + app + " is not up");
        }
        for (ExecutableId file : files) {
            enforcer.allowExecutable(id, file);
            launchedExecutables.computeIfAbsent(app, name -> new HashSet<>()).add(file);
        }
        persistLaunched();
    }

    /**
     * Where the executables {@code wg-pr run} started are kept for the next daemon: a process of an app
     * outlives this daemon (a crash, an upgrade's restart), and the next one adopts the app's cgroup
     * with the grants bound to these files. Root's alone, in the instance's runtime directory.
     */
    private Path launchedFile() {
        return instance.runtimeDirectory().resolve("launched-executables");
    }

    private void persistLaunched() throws IOException {
        List<String> lines = new ArrayList<>();
        launchedExecutables.forEach((app, files) ->
                files.forEach(file -> lines.add(app + " " + Integer.toUnsignedString(file.dev()) + " " + file.ino())));
        Path file = launchedFile();
        if (lines.isEmpty()) {
            Files.deleteIfExists(file);
            return;
        }
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        Files.deleteIfExists(partial);
        Files.createFile(partial, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(partial, lines);
        Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The executables an earlier daemon started as {@code app}, whose cgroup this one adopted. */
    private void restoreLaunched(Enforcer e, String app, AppId id) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(launchedFile());
        } catch (NoSuchFileException missing) {
            return;
        }
        for (String line : lines) {
            String[] fields = line.split(" ");
            if (fields.length == 3 && fields[0].equals(app)) {
                ExecutableId file = new ExecutableId(Integer.parseUnsignedInt(fields[1]), Long.parseLong(fields[2]));
                e.allowExecutable(id, file);
                launchedExecutables
                        .computeIfAbsent(app, name -> new HashSet<>())
                        .add(file);
            }
        }
        log.println("wg-pr daemon: " + app + " adopted with the "
                + launchedExecutables.getOrDefault(app, Set.of()).size() + " program(s) wg-pr run had started as it");
    }

    /**
     * The files of each app whose grants its tunnels bind to its executables, from the programs their
     * configs name. A program that is missing, or that others than root may rewrite, fails the publish:
     * nothing is changed.
     */
    private Map<String, Set<ExecutableId>> configuredExecutables(Map<String, Pieces.TunnelPolicy> policies)
            throws IOException {
        Map<String, Set<ExecutableId>> executables = new LinkedHashMap<>();
        for (Pieces.TunnelPolicy tunnel : policies.values()) {
            for (Map.Entry<String, List<Path>> app : tunnel.executables().entrySet()) {
                Set<ExecutableId> files = executables.computeIfAbsent(app.getKey(), name -> new LinkedHashSet<>());
                appIds.computeIfAbsent(app.getKey(), name -> AppId.of(appIds.size() + 1));
                for (Path program : app.getValue()) {
                    try {
                        files.addAll(AppExecutables.ofPath(program));
                    } catch (AppExecutables.UnboundExecutableException e) {
                        throw new IOException("app " + app.getKey() + " of tunnel " + tunnel.tunnel()
                                + " gives its grants only to its own programs, and " + e.getMessage()
                                + "; or set children = \"any\" for it");
                    }
                }
            }
        }
        return executables;
    }

    private void forgetExecutablesNoLongerConfigured(Enforcer e, Map<String, Set<ExecutableId>> next)
            throws BpfException {
        for (Map.Entry<String, Set<ExecutableId>> app : configuredExecutables.entrySet()) {
            AppId id = appIds.get(app.getKey());
            for (ExecutableId file : app.getValue()) {
                boolean kept = next.getOrDefault(app.getKey(), Set.of()).contains(file)
                        || launchedExecutables
                                .getOrDefault(app.getKey(), Set.of())
                                .contains(file);
                if (!kept) {
                    e.forgetExecutable(id, file);
                }
            }
        }
        configuredExecutables = next;
    }

    @Override
    public synchronized void guardDevice(String interfaceName) throws IOException {
        if (enforcer == null) {
            throw new IllegalStateException("guarding " + interfaceName + " before any policy is published");
        }
        int ifindex = ifindex(interfaceName);
        enforcer.attachTunnel(ifindex);
        guardedDevices.put(interfaceName, ifindex);
    }

    @Override
    public int othersMark() {
        return Enforcer.othersMarkOf(instance.name());
    }

    @Override
    public synchronized void steer(boolean on, boolean others) throws IOException {
        if (on || enforcer != null) {
            started().steer(on ? othersMark() : 0, others);
        }
    }

    @Override
    public synchronized void unguardDevice(String interfaceName) throws IOException {
        Integer ifindex = guardedDevices.remove(interfaceName);
        if (ifindex != null && enforcer != null) {
            enforcer.detachTunnel(ifindex);
        }
    }

    @Override
    public synchronized boolean deviceGuarded(String interfaceName) {
        Integer ifindex = guardedDevices.get(interfaceName);
        try {
            return ifindex != null && enforcer != null && enforcer.tunnelGuarded(ifindex);
        } catch (IOException | RuntimeException e) {
            log.println("wg-pr daemon: checking the backstop on " + interfaceName + ": " + e.getMessage());
            return false;
        }
    }

    private static int ifindex(String interfaceName) throws IOException {
        try (RtNetlink rtnl = RtNetlink.open()) {
            return rtnl.link(interfaceName)
                    .orElseThrow(() -> new IOException("no interface " + interfaceName + " to guard"))
                    .index();
        }
    }

    /**
     * Closes the apps' open connections the new generation denies (sock_diag SOCK_DESTROY), so a
     * grant that went away ends what it allowed, not only new attempts. A failure is logged: the
     * hooks deny new attempts either way.
     */
    private void revokeWhatIsNoLongerAllowed(Policy previous, Policy next) {
        if (previous == null || appCgroups.isEmpty()) {
            return;
        }
        Map<AppId, Path> cgroups = new LinkedHashMap<>();
        appCgroups.forEach((app, cgroup) -> cgroups.put(appIds.get(app), cgroup));
        try (SocketRevoker revoker = SocketRevoker.open()) {
            RevocationReport report = revoker.revoke(previous, next, cgroups);
            if (report.matched() > 0 || !report.complete()) {
                log.println("wg-pr daemon: revocation: " + report.summary());
            }
        } catch (IOException | RuntimeException failure) {
            log.println("wg-pr daemon: revoking connections the new policy denies: " + failure.getMessage());
        }
    }

    /** Closes the enforcer whatever holds it (the daemon's orderly stop). */
    @Override
    public synchronized List<String> shutdown() {
        List<String> failures = new ArrayList<>();
        if (enforcer != null) {
            try {
                stop();
            } catch (IOException e) {
                failures.add("removing enforcement: " + e.getMessage());
            }
        }
        return failures;
    }

    /**
     * The policy for {@code policies}: every tunnel's internal set, exclusions and grants, as one; each
     * tunnel's grants kept to what routing sends into that tunnel ({@link GrantScopes}).
     */
    private Policy compile(Map<String, Pieces.TunnelPolicy> policies) {
        Policy.Builder builder = Policy.builder();
        Map<IpPrefix, String> owners = new HashMap<>();
        for (Pieces.TunnelPolicy tunnel : policies.values()) {
            tunnel.internal().forEach((prefix, peer) -> {
                InternalPlacement.place(
                        builder, prefix, peerIndex(tunnel.tunnel(), peer), tunnel.bypass(), tunnel.excludes());
                if (tunnel.incoming() != Incoming.APPS) {
                    builder.incoming(prefix, tunnel.incoming());
                }
                owners.put(prefix, tunnel.tunnel());
            });
            tunnel.exclusions().forEach(builder::exclude);
        }
        GrantScopes scopes = new GrantScopes(owners);
        for (Pieces.TunnelPolicy tunnel : policies.values()) {
            tunnel.grants().forEach((app, grants) -> {
                AppId id = appIds.computeIfAbsent(app, name -> AppId.of(appIds.size() + 1));
                appNames.put(id.value(), app);
                grants.forEach(grant -> scopes.clip(grant, tunnel.tunnel()).forEach(kept -> builder.grant(id, kept)));
                if (tunnel.executables().containsKey(app)) {
                    builder.bindToExecutables(id);
                }
                tunnel.listen().getOrDefault(app, List.of()).forEach(listen -> builder.listen(id, listen));
            });
        }
        return builder.build();
    }

    private int peerIndex(String tunnel, String peer) {
        String key = tunnel + "/" + peer;
        return peerIndices.computeIfAbsent(key, k -> {
            int index = peerIndices.size();
            peerNames.put(index, k);
            return index;
        });
    }

    private Enforcer started() throws IOException {
        if (enforcer == null) {
            enforcer = Enforcer.start(config(instance, netnsCookie), Policy.EMPTY);
            holders = new SocketHolders(enforcer.config().cgroup2());
            borrowGuard = attachBorrowGuard(enforcer);
            Enforcer current = enforcer;
            drainer = Thread.ofPlatform().name("deny-events").daemon().start(() -> drain(current));
        }
        return enforcer;
    }

    /** The borrow guard where the kernel allows one; without it enforcement goes on, and status says so. */
    private BorrowGuard.Attempt attachBorrowGuard(Enforcer started) throws IOException {
        try {
            BorrowGuard.Attempt attempt = BorrowGuard.attach(started.config());
            if (attempt.guard().isEmpty()) {
                log.println("wg-pr daemon: no borrow guard: " + attempt.refusal());
            }
            return attempt;
        } catch (IOException | RuntimeException e) {
            enforcer = null;
            try {
                started.close();
            } catch (IOException | RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    private void closeIfUnused() throws IOException {
        if (enforcer != null && appReferences.isEmpty() && tunnels.isEmpty()) {
            stop();
        }
    }

    private void stop() throws IOException {
        Enforcer closing = enforcer;
        enforcer = null;
        drainer.interrupt();
        try {
            drainer.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        drainer = null;
        appCgroups.clear();
        appReferences.clear();
        guardedDevices.clear();
        tunnels = Map.of();
        collect(closing);
        try {
            if (borrowGuard != null && borrowGuard.guard().isPresent()) {
                borrowGuard.guard().get().close(); // before the enforcer removes the pin directory
            }
        } finally {
            borrowGuard = null;
            closing.close();
        }
    }

    /** Moves deny events from the ring buffer into the log until the enforcer closes. */
    private void drain(Enforcer source) {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(DRAIN_INTERVAL_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            try {
                synchronized (this) {
                    if (enforcer != source) {
                        return;
                    }
                    collect(source);
                }
            } catch (Throwable t) {
                drainFailures.survive(t); // events must keep coming: the next turn tries again
            }
        }
    }

    private void collect(Enforcer source) {
        try {
            long monotonicNow = System.nanoTime();
            Instant now = Instant.now();
            for (DenyEvent event : source.drainEvents()) {
                events.add(describe(event, now.minusNanos(monotonicNow - event.monotonicNs())));
            }
            Optional<BorrowGuard> guard = attachedBorrowGuard();
            if (guard.isPresent()) {
                for (BorrowRefusal refusal : guard.get().drainRefusals()) {
                    events.add(describe(source, refusal, now.minusNanos(monotonicNow - refusal.monotonicNs())));
                }
            }
            events.endWindows();
        } catch (BpfException | IllegalStateException | IllegalArgumentException e) {
            log.println("wg-pr daemon: reading deny events: " + e.getMessage());
        }
    }

    private DeniedAttempt describe(DenyEvent event, Instant time) {
        boolean inbound = event.hook() == Hook.INBOUND;
        String address = IpText.of(event.destination());
        // Inbound: the remote end sent it, to the local port; no task is known in softirq, so pid and comm
        // name the process holding the socket it was for, looked up now (empty: not found, or gone). Tunnel
        // events have no task either. The app comes from the socket's cgroup.
        int pid = event.pid();
        String comm = event.comm();
        if (inbound) {
            Optional<SocketHolders.Holder> holder = holders.find(
                    event.cgroupId(), Integer.toUnsignedLong(event.uid()), event.ipProtocol(), event.port());
            pid = holder.map(SocketHolders.Holder::pid).orElse(0);
            comm = holder.map(SocketHolders.Holder::comm).orElse("");
        }
        return new DeniedAttempt(
                0,
                time.toString(),
                pid,
                comm,
                Integer.toUnsignedLong(event.uid()),
                event.app()
                        .map(id -> appNames.getOrDefault(id.value(), id.toString()))
                        .orElse(null),
                peerNames.getOrDefault(event.peer(), "#" + event.peer()),
                inbound ? DeniedAttempt.INBOUND : DeniedAttempt.OUTBOUND,
                inbound ? null : address,
                inbound ? null : event.port(),
                protocolName(event),
                inbound ? address : null,
                inbound ? event.port() : null,
                null,
                null,
                event.hook() == null ? null : event.hook().name().toLowerCase(Locale.ROOT),
                DenyReason.of(event.reason()).words(),
                DenyReason.of(event.reason()).code(),
                event.cgroupId(),
                null,
                null);
    }

    private static DeniedAttempt describe(Enforcer source, BorrowRefusal refusal, Instant time) {
        return new DeniedAttempt(
                0,
                time.toString(),
                refusal.pid(),
                refusal.comm(),
                Integer.toUnsignedLong(refusal.uid()),
                source.appAt(refusal.targetCgroupId()).orElse(null),
                null,
                DeniedAttempt.TAKEOVER,
                null,
                null,
                null,
                null,
                null,
                refusal.targetPid(),
                refusal.targetComm(),
                "borrow",
                "a process outside the app's cgroup may not take over its processes (ptrace, /proc/PID/mem,"
                        + " process_vm_writev, pidfd_getfd)",
                DeniedAttempt.TAKEOVER,
                refusal.cgroupId(),
                null,
                null);
    }

    private static String protocolName(DenyEvent event) {
        return switch (event.ipProtocol()) {
            case 6 -> "tcp";
            case 17 -> "udp";
            case 262 -> "mptcp";
            case 136 -> "udplite";
            default -> event.protocol().text() + "(" + event.ipProtocol() + ")";
        };
    }

    @Override
    public synchronized EnforcementStatus status() {
        if (enforcer == null) {
            return EnforcementStatus.idle();
        }
        List<EnforcementStatus.Program> programs = new ArrayList<>();
        for (Hook hook : Hook.values()) {
            Integer id;
            try {
                id = enforcer.program(hook).id();
            } catch (BpfException | RuntimeException e) {
                id = null;
            }
            programs.add(new EnforcementStatus.Program(
                    hook.name().toLowerCase(Locale.ROOT), hook.program(), id, enforcer.pinned(hook)));
        }
        Policy policy = enforcer.policy();
        Map<String, EnforcementStatus.App> apps = new LinkedHashMap<>();
        appCgroups.forEach((name, cgroup) -> apps.put(
                name,
                new EnforcementStatus.App(
                        appIds.get(name).value(),
                        cgroup.toString(),
                        policy.grantsOf(appIds.get(name)).stream()
                                .map(Grant::toString)
                                .toList(),
                        policy.boundToExecutables().contains(appIds.get(name))
                                ? enforcer.executables(appIds.get(name)).stream()
                                        .map(ExecutableId::toString)
                                        .sorted()
                                        .toList()
                                : null)));
        Map<String, Long> counters = null;
        String countersUnreadable = null;
        try {
            counters = new LinkedHashMap<>();
            for (var counter : enforcer.counters().entrySet()) {
                counters.put(CamelCase.of(counter.getKey().name()), counter.getValue());
            }
        } catch (BpfException e) {
            counters = null;
            countersUnreadable = "unreadable: " + e.getMessage();
        }
        return new EnforcementStatus(
                EnforcementStatus.ACTIVE,
                netnsCookie,
                enforcer.config().attachAt().toString(),
                enforcer.pinDirectory().toString(),
                programs,
                enforcer.generation(),
                policy.internal().size(),
                policy.internal().keySet().stream().map(IpText::of).toList(),
                policy.exclusions().stream().map(IpText::of).toList(),
                apps,
                counters,
                countersUnreadable,
                events.latest(),
                events.suppressed(),
                drainFailures.counts(),
                borrowGuardStatus());
    }

    private Optional<BorrowGuard> attachedBorrowGuard() {
        return borrowGuard == null ? Optional.empty() : borrowGuard.guard();
    }

    /** Whether the borrow guard is attached, its refusals and privileged passes, or why the kernel has none. */
    private EnforcementStatus.BorrowGuard borrowGuardStatus() {
        Optional<BorrowGuard> guard = attachedBorrowGuard();
        if (guard.isEmpty()) {
            return new EnforcementStatus.BorrowGuard(
                    false, null, null, null, borrowGuard == null ? "not attached" : borrowGuard.refusal());
        }
        try {
            return new EnforcementStatus.BorrowGuard(
                    true,
                    guard.get().programId(),
                    guard.get().denied(),
                    guard.get().privileged(),
                    null);
        } catch (BpfException | RuntimeException e) {
            return new EnforcementStatus.BorrowGuard(true, null, null, null, "counters unreadable: " + e.getMessage());
        }
    }
}
