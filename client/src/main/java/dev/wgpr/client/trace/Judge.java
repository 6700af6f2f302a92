package dev.wgpr.client.trace;

import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.client.control.TunnelStatus;
import dev.wgpr.client.daemon.GrantScopes;
import dev.wgpr.client.daemon.InternalPlacement;
import dev.wgpr.client.dns.InternalZones;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.enforcement.AppId;
import dev.wgpr.enforcement.Decision;
import dev.wgpr.enforcement.Policy;
import dev.wgpr.enforcement.ReferenceModel;
import dev.wgpr.enforcement.policy.Grant;
import dev.wgpr.enforcement.policy.Protocol;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.xbill.DNS.Name;

/**
 * Judges a traced attempt the way wg-pr's hooks do: the tunnels the daemon reports ({@code status}: their
 * prefixes, exclusions, modes, apps and grants) as a {@link Policy}, decided by the {@link ReferenceModel},
 * the executable specification the kernel programs are tested against, so the trace holds no decision
 * of its own. A process is an app when its cgroup is (under) one the daemon made for an app. A DNS query
 * is judged by where it goes, and flagged when it asks a tunnel's internal name ({@link InternalZones},
 * as the daemon's forwarder decides it) of a server that is not that tunnel's.
 */
public final class Judge {
    private final Policy policy;
    private final Map<IpPrefix, String> owners;
    /** Each app's cgroup as the daemon reports it (excluded apps' too), with who it is in words and its id. */
    private final Map<String, Map.Entry<String, AppId>> appCgroups;

    private final List<TunnelDns> dns;
    /** The apps whose grants are bound to their programs, with those programs as {@code status} lists them. */
    private final Map<AppId, Set<String>> boundTo;
    /** Each app's id by name, to read {@link #boundTo} again from a later status. */
    private final Map<String, AppId> appIds;
    /**
     * A later status, asked when a process of a bound app runs a program the last one did not list: the
     * daemon registers an app's program when it launches it, after the trace read its first status.
     */
    private final Supplier<Optional<DaemonStatus>> later;
    /** The programs a later status was asked about already, by app: each is asked about once. */
    private final Set<Map.Entry<AppId, String>> askedAgain = new HashSet<>();

    /**
     * A tunnel's internal zones and the servers that may be asked for them: its own DNS servers, and the
     * daemon's forwarder for it (its link faces and its apps' face), which sends them to those servers.
     */
    private record TunnelDns(String tunnel, InternalZones zones, Set<InetAddress> servers) {}

    private Judge(
            Policy policy,
            Map<IpPrefix, String> owners,
            Map<String, Map.Entry<String, AppId>> appCgroups,
            List<TunnelDns> dns,
            Map<String, AppId> appIds,
            Supplier<Optional<DaemonStatus>> later) {
        this.policy = policy;
        this.owners = owners;
        this.appCgroups = appCgroups;
        this.dns = dns;
        this.appIds = appIds;
        this.later = later;
        this.boundTo = new HashMap<>();
    }

    /**
     * The judge for the tunnels {@code status} reports; only tunnel {@code only} when present. Prefixes are
     * placed by the tunnels' modes ({@link InternalPlacement}) and grants clipped to their own tunnel's
     * destinations ({@link GrantScopes}) as the daemon's policy has them.
     */
    public static Judge of(DaemonStatus status, Optional<String> only) {
        return of(status, only, Optional::empty);
    }

    /**
     * The same, asking {@code later} for a newer status where a process of an app whose grants are bound to
     * its programs runs one {@code status} did not list (at most once per app and program).
     */
    public static Judge of(DaemonStatus status, Optional<String> only, Supplier<Optional<DaemonStatus>> later) {
        Policy.Builder builder = Policy.builder();
        Map<IpPrefix, String> owners = new HashMap<>();
        Map<String, Map.Entry<String, AppId>> cgroups = new LinkedHashMap<>();
        Map<String, AppId> ids = new HashMap<>();
        List<TunnelDns> dns = new ArrayList<>();
        List<TunnelStatus> tunnels = status.tunnels().stream()
                .filter(tunnel -> only.isEmpty() || only.get().equals(tunnel.name()))
                .toList();
        int peerIndex = 0;
        int excludedNumber = 0;
        for (TunnelStatus tunnel : tunnels) {
            boolean bypass = "bypass".equals(tunnel.others());
            boolean excludes =
                    tunnel.excludedApps() != null && !tunnel.excludedApps().isEmpty();
            for (TunnelStatus.Peer peer : tunnel.peers()) {
                for (String text : peer.allowedIPs()) {
                    IpPrefix prefix = IpPrefix.parse(text);
                    InternalPlacement.place(builder, prefix, peerIndex, bypass, excludes);
                    owners.put(prefix, tunnel.name());
                }
                peerIndex++;
            }
            if (tunnel.routing() != null) {
                tunnel.routing().exclusions().forEach(builder::exclude);
            }
            if (tunnel.excludedAppCgroups() != null) {
                for (var excluded : tunnel.excludedAppCgroups().entrySet()) {
                    cgroups.put(
                            excluded.getValue(),
                            Map.entry("excluded app " + excluded.getKey(), AppId.excluded(++excludedNumber)));
                }
            }
            if (tunnel.dns() != null && !tunnel.dns().domains().isEmpty()) {
                dns.add(dnsOf(tunnel.name(), tunnel.dns()));
            }
        }
        GrantScopes scopes = new GrantScopes(owners);
        for (TunnelStatus tunnel : tunnels) {
            for (TunnelStatus.App app : tunnel.apps()) {
                AppId id = ids.computeIfAbsent(app.name(), name -> AppId.of(ids.size() + 1));
                for (String grant : app.allow()) {
                    scopes.clip(Grant.parse(grant), tunnel.name()).forEach(kept -> builder.grant(id, kept));
                }
                if (app.cgroup() != null) {
                    cgroups.put(app.cgroup(), Map.entry("app " + app.name(), id));
                }
            }
        }
        Judge judge = new Judge(builder.build(), Map.copyOf(owners), cgroups, List.copyOf(dns), Map.copyOf(ids), later);
        judge.readBindings(status);
        return judge;
    }

    private void readBindings(DaemonStatus status) {
        if (status.enforcement() == null || status.enforcement().apps() == null) {
            return;
        }
        status.enforcement().apps().forEach((name, app) -> {
            if (app.executables() != null && appIds.containsKey(name)) {
                boundTo.put(appIds.get(name), Set.copyOf(app.executables()));
            }
        });
    }

    private static TunnelDns dnsOf(String tunnel, TunnelStatus.Dns dns) {
        Set<InetAddress> servers = new HashSet<>();
        List<String> addresses = new ArrayList<>(dns.servers());
        addresses.addAll(dns.linkFaces());
        if (dns.appsFace() != null) {
            addresses.add(dns.appsFace());
        }
        addresses.forEach(address -> servers.add(InetAddress.ofLiteral(address)));
        return new TunnelDns(tunnel, InternalZones.of(dns.domains()), Set.copyOf(servers));
    }

    /**
     * What wg-pr makes of a DNS query for {@code name} sent to {@code server}: the query's route, as any
     * datagram's, and a leak when the name is in a tunnel's internal zones and the server is neither that
     * tunnel's nor its forwarder (a local resolver, on loopback, is trusted to route the zone as the
     * daemon told the host's resolver to).
     */
    Verdict judgeQuery(Sender sender, InetAddress server, Protocol protocol, int port, Name name) {
        Verdict route = judge(sender, server, protocol, port);
        if (route.leak()) {
            return route;
        }
        InetAddress asked = ReferenceModel.unmapped(server);
        for (TunnelDns tunnel : dns) {
            if (tunnel.zones().contains(name) && !tunnel.servers().contains(asked) && !asked.isLoopbackAddress()) {
                return new Verdict(
                        route.route(),
                        route.allowed(),
                        "LEAK: " + name + " is in " + tunnel.tunnel() + "'s internal zones, asked of a server that is"
                                + " not " + tunnel.tunnel() + "'s DNS",
                        true);
            }
        }
        return route;
    }

    /**
     * What wg-pr makes of {@code sender} sending to {@code destination} over {@code protocol}. A grant bound
     * to the app's programs covers only a process that runs one of them (the kernel's exec binding): the model
     * decides for the app, and an app's process that runs another program (a shell, ssh's ProxyCommand) is
     * refused where the grant would allow.
     */
    Verdict judge(Sender sender, InetAddress destination, Protocol protocol, int port) {
        if (destination.isLoopbackAddress()
                || ReferenceModel.unmapped(destination).isLoopbackAddress()) {
            return new Verdict("local", true, "loopback", false);
        }
        Optional<Map.Entry<String, AppId>> app = appOf(sender.cgroup());
        Decision decision = ReferenceModel.decide(policy, app.map(Map.Entry::getValue), destination, protocol, port);
        String tunnel = tunnelOf(destination);
        String who = app.map(Map.Entry::getKey).orElse("no app");
        return switch (decision) {
            case ALLOW_EXTERNAL -> new Verdict("underlay", true, "not internal to any tunnel", false);
            case ALLOW_INTERNAL ->
                runsItsProgram(app.get().getValue(), sender)
                        ? new Verdict("tunnel " + tunnel, true, "a grant of " + who + " covers it", false)
                        : new Verdict(
                                "tunnel " + tunnel,
                                false,
                                "the grants of " + who + " are bound to its programs, and this process runs none"
                                        + " of them",
                                false);
            case ALLOW_BYPASS ->
                new Verdict(
                        "underlay",
                        true,
                        app.isPresent()
                                ? who + " goes around " + tunnel + " through the underlay"
                                : tunnel + " lets processes that are no app go around it",
                        false);
            case DENY_NO_APP ->
                new Verdict(
                        "tunnel " + tunnel,
                        false,
                        "LEAK: a process that is no app tried " + tunnel + "'s internal prefix",
                        true);
            case DENY_NO_GRANT -> new Verdict("tunnel " + tunnel, false, "no grant of " + who + " covers it", false);
            // Forwarding and what arrives are decideTunnel's and decideInbound's answers, never decide's.
            case ALLOW_FORWARDED, DENY_FORWARDED, ALLOW_INCOMING, DENY_LISTENING ->
                throw new IllegalStateException(decision.name());
        };
    }

    private synchronized boolean runsItsProgram(AppId app, Sender sender) {
        if (!boundTo.containsKey(app)) {
            return true;
        }
        Optional<String> program = sender.executable();
        if (program.isEmpty()) {
            return false;
        }
        if (!boundTo.get(app).contains(program.get()) && askedAgain.add(Map.entry(app, program.get()))) {
            later.get().ifPresent(this::readBindings);
        }
        return boundTo.get(app).contains(program.get());
    }

    private String tunnelOf(InetAddress destination) {
        return ReferenceModel.longestInternal(policy, destination)
                .map(owners::get)
                .orElse("?");
    }

    private Optional<Map.Entry<String, AppId>> appOf(String cgroup) {
        if (cgroup.isEmpty()) {
            return Optional.empty();
        }
        for (Path p = Path.of(cgroup); p != null && p.getNameCount() > 0; p = p.getParent()) {
            String relative = p.toString().substring(1);
            for (var entry : appCgroups.entrySet()) {
                if (Path.of(entry.getKey()).endsWith(relative)) {
                    return Optional.of(entry.getValue());
                }
            }
        }
        return Optional.empty();
    }
}
