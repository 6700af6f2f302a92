package dev.wgpr.client.cli;

import dev.wgpr.client.config.AppConfig;
import dev.wgpr.client.config.BackendSetting;
import dev.wgpr.client.config.DnsConfig;
import dev.wgpr.client.config.InterfaceConfig;
import dev.wgpr.client.config.LoadedConfig;
import dev.wgpr.client.config.OthersSetting;
import dev.wgpr.client.config.PeerConfig;
import dev.wgpr.client.config.ResolverSetting;
import dev.wgpr.client.config.RouteModeSetting;
import dev.wgpr.client.config.TunnelConfig;
import dev.wgpr.client.dns.HostResolver;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.common.net.IpText;
import dev.wgpr.enforcement.policy.Grant;
import dev.wgpr.enforcement.policy.Protocol;
import dev.wgpr.routes.RouteMode;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "check",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Validate a config and print what `wg-pr up` would do with it: the interface, the route mode,"
                    + " each peer's routes, the internal prefixes and the apps allowed to reach them.",
            "Nothing on the system is changed and no name is resolved. Every mistake in the file is reported"
                    + " at once, one per line:",
            "  FILE:LINE:COLUMN: FIELD: MESSAGE",
        },
        footer = {
            "",
            "Example:",
            "  wg-pr check /etc/wg-pr/corp.toml",
            "  wg-pr import wg0.conf -o corp.toml && wg-pr check corp.toml",
            "",
            "Exit status: 0 if the config is valid (the plan is printed), 2 if it is not or cannot be read.",
        })
final class CheckCommand implements Callable<Integer> {
    /** Rows of the plan: "  label           value", nested rows under the value column. */
    private static final int LABEL_WIDTH = 16;

    private static final String APP_INDENT = " ".repeat(2 + LABEL_WIDTH + 2);

    private static final int APP_LABEL_WIDTH = 8;

    @Parameters(
            paramLabel = "CONFIG",
            description = "The config file (TOML), such as configs/corp.toml; a bare NAME is /etc/wg-pr/NAME.toml.")
    Path configFile;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return check(configFile, spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    /** The whole command, for picocli's {@link #call} and for {@link FastPath}. */
    static int check(Path configFile, PrintWriter out, PrintWriter err) {
        Path file = ConfigLoading.resolve(configFile);
        Optional<LoadedConfig> loaded = ConfigLoading.load(file, err);
        if (loaded.isEmpty()) {
            return WgPrCommand.EXIT_BAD_INPUT;
        }
        printPlan(file, loaded.get().config(), out);
        return 0;
    }

    private static void printPlan(Path configFile, TunnelConfig config, PrintWriter out) {
        InterfaceConfig iface = config.iface();
        out.println(configFile + " is valid. `wg-pr up " + configFile + "` would set up:");
        out.println();
        out.println("interface " + iface.name());
        row(out, "public key", iface.publicKey().toBase64());
        row(
                out,
                "private key",
                iface.privateKeyFile().map(file -> "from " + file).orElse("inline in the config"));
        row(out, "addresses", join(iface.addresses()));
        row(out, "mtu", iface.mtu().isPresent() ? Integer.toString(iface.mtu().getAsInt()) : "chosen at up");
        row(
                out,
                "listen port",
                iface.listenPort().isPresent()
                        ? Integer.toString(iface.listenPort().getAsInt())
                        : "random");
        row(out, "backend", backendExplained(iface.backend()));
        row(out, "dns", dnsExplained(iface.dns()));
        rows(out, "host resolver", hostResolverExplained(config, HostResolver.Facts.look()));
        row(out, "route mode", routeModeExplained(config));
        rows(out, "others", othersExplained(config));
        rows(
                out,
                "excluded apps",
                iface.excludedApps().isEmpty()
                        ? List.of("none")
                        : iface.excludedApps().stream()
                                .map(app -> app.name() + " ("
                                        + app.exec().map(Path::toString).orElse("any binary")
                                        + " started with wg-pr run --app " + app.name()
                                        + "): never uses the tunnel; "
                                        + (iface.others() == OthersSetting.BYPASS
                                                ? "reaches everything through the underlay"
                                                : "reaches the Internet through the underlay, and is denied this"
                                                        + " tunnel's own prefixes like every process that is no"
                                                        + " app"))
                                .toList());
        rows(
                out,
                "routes",
                config.routePlan().tunnelPrefixes().stream()
                        .map(route -> IpText.of(route) + " dev " + iface.name())
                        .toList());
        row(
                out,
                "fail-closed",
                "each route above also gets an unreachable twin of worse metric, so internal destinations fail"
                        + " fast, not through the LAN, if " + iface.name() + " vanishes");
        for (PeerConfig peer : config.peers()) {
            out.println();
            printPeer(config, peer, out);
        }
        out.println();
        out.println(
                iface.others() == OthersSetting.BYPASS
                        ? "internal prefixes: only the apps listed for their peer reach them through the tunnel; every other"
                                + " process reaches them through the underlay, as if the tunnel were not up"
                        : "internal prefixes: only the apps listed for their peer may reach them; every other process is"
                                + " denied them" + (fullTunnel(config) ? "" : " and keeps its Internet access"));
        for (IpPrefix prefix : config.internalPrefixes()) {
            out.println("  " + IpText.of(prefix));
        }
        out.println("  Destinations that a more specific route keeps off " + iface.name()
                + " (local network, loopback, the endpoint's bypass route) stay external: route lookups at up decide.");
    }

    /** What a process that is no app gets, in plain words, loudest where it takes the Internet away. */
    static List<String> othersExplained(TunnelConfig config) {
        OthersSetting others = config.iface().others();
        List<String> full = config.peers().stream()
                .flatMap(peer -> peer.allowedIPs().stream())
                .filter(prefix -> prefix.length() == 0)
                .map(IpText::of)
                .toList();
        if (others == OthersSetting.BYPASS) {
            return List.of("bypass: every process that is no app goes around the tunnel through the underlay, as"
                    + " if it were not up" + (full.isEmpty() ? "" : " (include mode: only the apps use the VPN)"));
        }
        List<String> lines = new ArrayList<>();
        lines.add("deny: every process that is no app is denied the internal prefixes below");
        for (String prefix : full) {
            lines.add("denied " + prefix + ": every process that is no app loses the Internet while this tunnel is"
                    + " up; set others = \"bypass\" to let it go around the tunnel");
        }
        return lines;
    }

    private static boolean fullTunnel(TunnelConfig config) {
        return config.peers().stream()
                .flatMap(peer -> peer.allowedIPs().stream())
                .anyMatch(p -> p.length() == 0);
    }

    /** The WireGuard implementation up would use on this machine, and why. */
    private static String backendExplained(BackendSetting backend) {
        KernelWireGuardPresence presence;
        try {
            presence = KernelWireGuardPresence.here();
        } catch (IOException e) {
            return backend.text() + " (cannot tell what this kernel has: " + e.getMessage() + ")";
        }
        return switch (backend) {
            case USERSPACE -> "userspace (set in the config)";
            case KERNEL ->
                presence.kernelBackend()
                        ? "kernel (set in the config)"
                        : "kernel (set in the config), but this kernel has no WireGuard module: up fails here; set"
                                + " backend = \"auto\" or \"userspace\" for wg-pr's own WireGuard";
            case AUTO -> {
                String chosen = presence.kernelBackend() ? "kernel" : "userspace";
                yield chosen + " (auto → " + chosen + " because " + presence.because() + ")";
            }
        };
    }

    private static String routeModeExplained(TunnelConfig config) {
        RouteMode resolved = config.routeMode();
        if (config.iface().routeMode() != RouteModeSetting.AUTO) {
            return resolved.word() + " (set in the config)";
        }
        String because = resolved == RouteMode.DI_SEMI_DEFAULT
                ? "some allowedIPs hold 0.0.0.0/0 or ::/0; 0.0.0.0/1 + 128.0.0.0/1 (::/1 + 8000::/1) take their"
                        + " place so that the default route stays and the routes vanish with the interface"
                : "no allowedIPs hold 0.0.0.0/0 or ::/0";
        return resolved.word() + " (auto → " + resolved.word() + " because " + because + ")";
    }

    private static void printPeer(TunnelConfig config, PeerConfig peer, PrintWriter out) {
        out.println("peer " + peer.name());
        row(out, "public key", peer.publicKey().toBase64());
        row(
                out,
                "preshared key",
                peer.presharedKeyFile()
                        .map(file -> "from " + file)
                        .orElse(peer.presharedKey().isPresent() ? "inline in the config" : "none"));
        row(
                out,
                "endpoint",
                peer.endpoint()
                        .map(endpoint -> endpoint
                                + (endpoint.literalAddress().isPresent()
                                        ? ""
                                        : " (the name is resolved at up, not now)"))
                        .orElse("none: the peer has to contact us first"));
        row(
                out,
                "keepalive",
                peer.persistentKeepalive().isPresent()
                                && peer.persistentKeepalive().getAsInt() > 0
                        ? "every " + peer.persistentKeepalive().getAsInt() + " s"
                        : "off");
        row(out, "allowedIPs", join(peer.allowedIPs().stream().map(IpText::of).toList()));
        if (peer.endpoint().isPresent()) {
            row(
                    out,
                    "bypass",
                    "decided at up by a route lookup for the endpoint (as `ip route get`): a host route through its"
                            + " current gateway if the routes above would capture it, none if it is on the local network");
        }
        if (peer.allowedApps().isEmpty()) {
            row(out, "apps", "none: no process may reach this peer's prefixes");
        }
        for (AppConfig app : peer.allowedApps()) {
            row(out, app == peer.allowedApps().getFirst() ? "apps" : "", app.name());
            labelled(
                    out,
                    APP_INDENT,
                    APP_LABEL_WIDTH,
                    "exec",
                    List.of(app.exec().map(Path::toString).orElse("any binary started with wg-pr run")));
            labelled(
                    out,
                    APP_INDENT,
                    APP_LABEL_WIDTH,
                    "sha256",
                    app.sha256().stream().toList());
            labelled(
                    out,
                    APP_INDENT,
                    APP_LABEL_WIDTH,
                    "allow",
                    app.grants().isEmpty()
                            ? List.of("nothing (allow = [])")
                            : app.grants().stream()
                                    .map(grant -> grant + describe(grant))
                                    .toList());
        }
    }

    private static String describe(Grant grant) {
        if (!grant.ports().isAll()) {
            return "";
        }
        return grant.protocol() == Protocol.ANY ? "  (any protocol, any port)" : "  (any port)";
    }

    private static void row(PrintWriter out, String label, String value) {
        rows(out, label, List.of(value));
    }

    private static void rows(PrintWriter out, String label, List<String> values) {
        labelled(out, "  ", LABEL_WIDTH, label, values);
    }

    /** {@code values} one per line after {@code indent}, the first labelled, the rest aligned with it. */
    private static void labelled(PrintWriter out, String indent, int width, String label, List<String> values) {
        for (String value : values) {
            out.println(indent + label + " ".repeat(width - label.length()) + value);
            label = "";
        }
    }

    private static String join(Collection<?> values) {
        return values.stream().map(Object::toString).collect(Collectors.joining(", "));
    }

    private static String joinAddresses(List<InetAddress> addresses) {
        return addresses.stream().map(IpText::of).collect(Collectors.joining(", "));
    }

    /** What the config says of name resolution, and that up does not apply it yet. */
    private static String dnsExplained(DnsConfig dns) {
        if (dns.servers().isEmpty()) {
            return "none";
        }
        String zones = dns.domains().isEmpty()
                ? "no dnsDomains: every name"
                : String.join(", ", dns.domains()) + " ("
                        + (dns.access() == DnsConfig.Access.APPS ? "for the apps only" : "for every process") + ")";
        return joinAddresses(dns.servers()) + " for " + zones
                + "; not applied by up yet: name resolution stays as the system has it";
    }

    /**
     * What {@code up} will do to this host's name resolution: the backend and why, the routing domains,
     * whether the link becomes the DNS default route, and what stays outside wg-pr's reach.
     */
    static List<String> hostResolverExplained(TunnelConfig config, HostResolver.Facts facts) {
        DnsConfig dns = config.iface().dns();
        if (dns.servers().isEmpty()) {
            return List.of("left alone (no dns servers)");
        }
        HostResolver.Choice choice = HostResolver.choose(dns.resolver(), facts);
        List<String> lines = new ArrayList<>();
        lines.add(
                choice.backend().text() + " (dnsResolver = \"" + dns.resolver().text() + "\": " + choice.why() + ")");
        if (choice.problem().isPresent()) {
            lines.add("up will fail: " + choice.problem().get());
        }
        boolean fullTunnel = config.routeMode() == RouteMode.DI_SEMI_DEFAULT;
        String link = "the link's own addresses on " + config.iface().name();
        switch (choice.backend()) {
            case SYSTEMD_RESOLVED -> {
                lines.add("asks " + link + " for "
                        + (dns.domains().isEmpty()
                                ? "no routing domain"
                                : dns.domains().stream()
                                        .map(domain -> "~" + domain)
                                        .collect(Collectors.joining(" "))));
                lines.add(
                        fullTunnel
                                ? "the link becomes the DNS default route (a full tunnel): every other name goes there too"
                                : "not the DNS default route: other names go where they go now");
            }
            case RESOLVCONF, FILE ->
                lines.add("every name goes to " + link + " first (no routing domains in "
                        + (choice.backend() == ResolverSetting.FILE ? "/etc/resolv.conf" : "resolvconf")
                        + "); it answers "
                        + (dns.domains().isEmpty() ? "nothing of its own" : String.join(", ", dns.domains()))
                        + " and forwards the rest where it went before");
            case NONE, AUTO ->
                lines.add("warning: the host's resolver is not told about the tunnel, so a lookup of an"
                        + " internal name by a process that is no app goes to the host's own servers (the apps still"
                        + " resolve through the tunnel); set dnsResolver to systemd-resolved, resolvconf or file to keep"
                        + " internal names off them");
        }
        return lines;
    }
}
