package dev.wgpr.client.daemon;

import dev.wgpr.common.ThreadFailures;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.common.net.IpText;
import dev.wgpr.enforcement.AppId;
import dev.wgpr.enforcement.BorrowGuard;
import dev.wgpr.enforcement.Counter;
import dev.wgpr.enforcement.DenyEvent;
import dev.wgpr.enforcement.Enforcer;
import dev.wgpr.enforcement.Hook;
import dev.wgpr.enforcement.Policy;
import dev.wgpr.enforcement.bpf.BpfException;
import dev.wgpr.enforcement.policy.Grant;
import dev.wgpr.enforcement.revoke.RevocationReport;
import dev.wgpr.enforcement.revoke.SocketRevoker;
import dev.wgpr.routes.netlink.RtNetlink;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
    /** Guarded tunnel devices: interface name -> ifindex. */
    private final Map<String, Integer> guardedDevices = new LinkedHashMap<>();

    private Enforcer enforcer;
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
        return Enforcer.Config.atRoot(instance.name(), netnsCookie);
    }

    @Override
    public synchronized Path acquireApp(String app) throws IOException {
        int count = appReferences.getOrDefault(app, 0);
        if (count == 0) {
            Enforcer e = started();
            AppId id = appIds.computeIfAbsent(app, name -> AppId.of(appIds.size() + 1));
            appNames.put(id.value(), app);
            try {
                appCgroups.put(app, e.addApp(app, id));
            } catch (IOException | RuntimeException failure) {
                closeIfUnused();
                throw failure;
            }
        }
        appReferences.put(app, count + 1);
        return appCgroups.get(app);
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
                } catch (java.nio.file.FileSystemException e) {
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
        Policy policy = compile(copy);
        Enforcer e = started();
        Policy previous = e.policy();
        e.publish(policy);
        tunnels = copy;
        revokeWhatIsNoLongerAllowed(previous, policy);
        closeIfUnused();
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
    synchronized List<String> shutdown() {
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
                builder.internal(prefix, peerIndex(tunnel.tunnel(), peer));
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
            events.endWindows();
        } catch (BpfException | IllegalStateException | IllegalArgumentException e) {
            log.println("wg-pr daemon: reading deny events: " + e.getMessage());
        }
    }

    private Map<String, Object> describe(DenyEvent event, Instant time) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("time", time.toString());
        e.put("pid", event.pid());
        e.put("comm", event.comm());
        e.put("uid", Integer.toUnsignedLong(event.uid()));
        e.put(
                "app",
                event.app()
                        .map(id -> appNames.getOrDefault(id.value(), id.toString()))
                        .orElse(null));
        e.put("peer", peerNames.getOrDefault(event.peer(), "#" + event.peer()));
        boolean inbound = event.hook() == Hook.INBOUND;
        // Inbound: the remote end sent it, to the local port. pid and comm are 0 and empty for inbound
        // and tunnel events (no task is known there); the app comes from the socket's cgroup.
        e.put("direction", inbound ? "inbound" : "outbound");
        e.put(inbound ? "source" : "destination", IpText.of(event.destination()));
        e.put(inbound ? "localPort" : "port", event.port());
        e.put("protocol", protocolName(event));
        e.put("hook", event.hook() == null ? null : event.hook().name().toLowerCase(java.util.Locale.ROOT));
        e.put("reason", reason(event.reason()));
        e.put("cgroupId", event.cgroupId());
        return e;
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

    private static String reason(Counter reason) {
        if (reason == null) {
            return "unknown";
        }
        return switch (reason) {
            case DENY_NO_APP -> "not an app: internal destinations are for the apps a peer names";
            case DENY_NO_GRANT -> "no grant of this app covers the destination, protocol and port";
            case DENY_NO_POLICY -> "no policy published (fail closed)";
            case DENY_LISTENING -> "incoming connection from the tunnel: listening is closed to the tunnel";
            case DENY_MALFORMED -> "a packet whose headers cannot be read (fail closed)";
            case DENY_FORWARDED -> "forwarded traffic (no local socket) may not enter the tunnel";
            default -> reason.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    @Override
    public synchronized Map<String, Object> status() {
        Map<String, Object> s = new LinkedHashMap<>();
        if (enforcer == null) {
            s.put("state", "idle (no tunnel is up)");
            return s;
        }
        s.put("state", "active");
        s.put("netnsCookie", netnsCookie);
        s.put("attachedAt", enforcer.config().attachAt().toString());
        s.put("pins", enforcer.pinDirectory().toString());
        List<Map<String, Object>> programs = new ArrayList<>();
        for (Hook hook : Hook.values()) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("hook", hook.name().toLowerCase(java.util.Locale.ROOT));
            p.put("program", hook.program());
            try {
                p.put("id", enforcer.program(hook).id());
            } catch (BpfException | RuntimeException e) {
                p.put("id", null);
            }
            p.put("pinned", enforcer.pinned(hook));
            programs.add(p);
        }
        s.put("programs", programs);
        s.put("generation", enforcer.generation());
        Policy policy = enforcer.policy();
        s.put("internalPrefixes", policy.internal().size());
        s.put("internal", policy.internal().keySet().stream().map(IpText::of).toList());
        s.put("exclusions", policy.exclusions().stream().map(IpText::of).toList());
        Map<String, Object> apps = new LinkedHashMap<>();
        appCgroups.forEach((name, cgroup) -> {
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("id", appIds.get(name).value());
            a.put("cgroup", cgroup.toString());
            a.put(
                    "grants",
                    policy.grantsOf(appIds.get(name)).stream()
                            .map(Grant::toString)
                            .toList());
            apps.put(name, a);
        });
        s.put("apps", apps);
        try {
            Map<String, Object> counters = new LinkedHashMap<>();
            enforcer.counters()
                    .forEach(
                            (counter, value) -> counters.put(counter.name().toLowerCase(java.util.Locale.ROOT), value));
            s.put("counters", counters);
        } catch (BpfException e) {
            s.put("counters", "unreadable: " + e.getMessage());
        }
        s.put("borrowGuard", borrowGuardStatus());
        s.put("eventsLogged", events.latest());
        s.put("eventsSuppressed", events.suppressed());
        s.put("threadFailures", drainFailures.counts());
        return s;
    }

    /**
     * Whether the borrow guard is attached ({@code attached}: true/false), its refusals and privileged
     * passes, or why the kernel has none ({@code why}).
     */
    private Map<String, Object> borrowGuardStatus() {
        Map<String, Object> b = new LinkedHashMap<>();
        Optional<BorrowGuard> guard = borrowGuard == null ? Optional.empty() : borrowGuard.guard();
        b.put("attached", guard.isPresent());
        if (guard.isEmpty()) {
            b.put("why", borrowGuard == null ? "not attached" : borrowGuard.refusal());
            return b;
        }
        try {
            b.put("program", guard.get().programId());
            b.put("refused", guard.get().denied());
            b.put("privileged", guard.get().privileged());
        } catch (BpfException | RuntimeException e) {
            b.put("counters", "unreadable: " + e.getMessage());
        }
        return b;
    }

    /** For tests and status: the app id of {@code app}, if it has one. */
    synchronized Optional<AppId> appId(String app) {
        return Optional.ofNullable(appIds.get(app));
    }
}
