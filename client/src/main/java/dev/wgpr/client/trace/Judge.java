package dev.wgpr.client.trace;

import dev.wgpr.client.control.DaemonStatus;
import dev.wgpr.client.control.TunnelStatus;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.enforcement.AppId;
import dev.wgpr.enforcement.Decision;
import dev.wgpr.enforcement.Policy;
import dev.wgpr.enforcement.ReferenceModel;
import dev.wgpr.enforcement.policy.Grant;
import dev.wgpr.enforcement.policy.Protocol;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Judges a traced attempt the way wg-pr's hooks do: the tunnels the daemon reports ({@code status}: their
 * prefixes, exclusions, modes, apps and grants) as a {@link Policy}, decided by the {@link ReferenceModel},
 * the executable specification the kernel programs are tested against, so the trace holds no decision
 * of its own. A process is an app when its cgroup is (under) one the daemon made for an app.
 */
public final class Judge {
    private final Policy policy;
    private final Map<IpPrefix, String> owners;
    /** Each app's cgroup as the daemon reports it, with the app's name and id. */
    private final Map<String, Map.Entry<String, AppId>> appCgroups;

    private Judge(Policy policy, Map<IpPrefix, String> owners, Map<String, Map.Entry<String, AppId>> appCgroups) {
        this.policy = policy;
        this.owners = owners;
        this.appCgroups = appCgroups;
    }

    /** The judge for the tunnels {@code status} reports; only tunnel {@code only} when present. */
    public static Judge of(DaemonStatus status, Optional<String> only) {
        Policy.Builder builder = Policy.builder();
        Map<IpPrefix, String> owners = new HashMap<>();
        Map<String, Map.Entry<String, AppId>> cgroups = new LinkedHashMap<>();
        Map<String, AppId> ids = new HashMap<>();
        int peerIndex = 0;
        for (TunnelStatus tunnel : status.tunnels()) {
            if (only.isPresent() && !only.get().equals(tunnel.name())) {
                continue;
            }
            boolean bypass = "bypass".equals(tunnel.others());
            for (TunnelStatus.Peer peer : tunnel.peers()) {
                for (String text : peer.allowedIPs()) {
                    IpPrefix prefix = IpPrefix.parse(text);
                    if (bypass) {
                        builder.bypass(prefix, peerIndex);
                    } else {
                        builder.internal(prefix, peerIndex);
                    }
                    owners.put(prefix, tunnel.name());
                }
                peerIndex++;
            }
            if (tunnel.routing() != null) {
                tunnel.routing().exclusions().forEach(builder::exclude);
            }
            for (TunnelStatus.App app : tunnel.apps()) {
                AppId id = ids.computeIfAbsent(app.name(), name -> AppId.of(ids.size() + 1));
                app.allow().forEach(grant -> builder.grant(id, Grant.parse(grant)));
                if (app.cgroup() != null) {
                    cgroups.put(app.cgroup(), Map.entry(app.name(), id));
                }
            }
        }
        return new Judge(builder.build(), Map.copyOf(owners), cgroups);
    }

    /** What wg-pr makes of process {@code tid} sending to {@code destination} over {@code protocol}. */
    Verdict judge(Caller caller, InetAddress destination, Protocol protocol, int port) {
        if (destination.isLoopbackAddress()
                || ReferenceModel.unmapped(destination).isLoopbackAddress()) {
            return new Verdict("local", true, "loopback", false);
        }
        Optional<Map.Entry<String, AppId>> app = appOf(caller.cgroup());
        Decision decision = ReferenceModel.decide(policy, app.map(Map.Entry::getValue), destination, protocol, port);
        String tunnel = tunnelOf(destination);
        String who = app.map(a -> "app " + a.getKey()).orElse("no app");
        return switch (decision) {
            case ALLOW_EXTERNAL -> new Verdict("underlay", true, "not internal to any tunnel", false);
            case ALLOW_INTERNAL -> new Verdict("tunnel " + tunnel, true, "a grant of " + who + " covers it", false);
            case ALLOW_BYPASS ->
                new Verdict("underlay", true, tunnel + " lets processes that are no app go around it", false);
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
