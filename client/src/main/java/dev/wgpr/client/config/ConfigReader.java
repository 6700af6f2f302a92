package dev.wgpr.client.config;

import dev.wgpr.client.config.ConfigProblem.Reason;
import dev.wgpr.common.net.InterfaceAddress;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.common.net.IpText;
import dev.wgpr.enforcement.Incoming;
import dev.wgpr.enforcement.policy.Grant;
import dev.wgpr.enforcement.policy.Listen;
import dev.wgpr.routes.RouteMode;
import dev.wgpr.tunnel.crypto.Key;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.LongPredicate;
import java.util.stream.Collectors;
import org.tomlj.Toml;
import org.tomlj.TomlParseError;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlVersion;

/**
 * Turns config text into a {@link TunnelConfig}, collecting every error of the file instead of
 * stopping at the first. Each section reader returns empty when its section had errors, so records
 * are only built from values that passed.
 */
final class ConfigReader {
    private static final List<String> ROOT_KEYS = List.of("interface", "peer");
    private static final List<String> INTERFACE_KEYS = List.of(
            "name",
            "privateKey",
            "privateKeyFile",
            "address",
            "listenPort",
            "mtu",
            "dns",
            "dnsDomains",
            "dnsAccess",
            "dnsResolver",
            "routeMode",
            "backend",
            "others",
            "incoming",
            "excludedApps");
    private static final List<String> PEER_KEYS = List.of(
            "name",
            "publicKey",
            "presharedKey",
            "presharedKeyFile",
            "endpoint",
            "allowedIPs",
            "persistentKeepalive",
            "allowedApps");
    private static final List<String> EXCLUDED_APP_KEYS = List.of("name", "exec", "sha256");
    private static final List<String> APP_KEYS =
            List.of("name", "exec", "sha256", "allow", "children", "allowExec", "args", "listen");

    private final Path source;
    private final Problems problems;
    /** Peer public keys seen so far, with the field of the peer that has each. */
    private final Map<Key, String> peerKeys = new HashMap<>();
    /** From the interface's private key as soon as it parsed, even if the rest of the interface did not. */
    private Optional<Key> ourPublicKey = Optional.empty();
    /** The networks of the peers' allowedIPs so far, with the field of each. */
    private final Map<IpPrefix, String> allowedIPFields = new HashMap<>();
    /** The allowedIPs values that are 0.0.0.0/0 or ::/0: what a deny tunnel would take from every non-app. */
    private final List<Located<String>> defaultRouteTexts = new ArrayList<>();
    /** App names seen so far, with the field where each was first named. */
    private final Map<String, String> appNames = new HashMap<>();

    private final KeyFiles keyFiles;

    private ConfigReader(Path source, KeyFiles keyFiles) {
        this.source = source;
        this.keyFiles = keyFiles;
        this.problems = new Problems(source);
    }

    /** A key and, when it was read from a file, that file. */
    private record KeySource(Key key, Optional<Path> file) {}

    static LoadedConfig read(String toml, Path source, KeyFiles keyFiles) throws BadConfigException {
        ConfigReader reader = new ConfigReader(source, keyFiles);
        TomlParseResult parsed = Toml.parse(toml, TomlVersion.V1_0_0);
        for (TomlParseError error : parsed.errors()) {
            reader.problems.error(error.position(), "", Reason.TOML_SYNTAX, error.getMessage());
        }
        // What tomlj recovered from a syntax error is a guess; judging it would report mistakes the
        // writer did not make. Syntax errors alone, then.
        reader.problems.throwIfAny();
        Optional<TunnelConfig> config =
                reader.tunnel(new TableReader(reader.problems, parsed, "", Problems.START, ROOT_KEYS));
        reader.problems.throwIfAny();
        return new LoadedConfig(config.orElseThrow(), reader.problems.warnings());
    }

    private Optional<TunnelConfig> tunnel(TableReader root) {
        Optional<TableReader> interfaceTable = root.table("interface", INTERFACE_KEYS);
        if (!root.has("interface")) {
            root.missing("interface", "no [interface] section");
        }
        Optional<InterfaceConfig> iface = interfaceTable.flatMap(this::readInterface);

        Optional<List<TableReader>> peerTables = root.tables("peer", PEER_KEYS);
        if (!root.has("peer") || peerTables.map(List::isEmpty).orElse(false)) {
            problems.error(
                    root.has("peer")
                            ? root.keyPosition("peer")
                            : interfaceTable.map(TableReader::position).orElse(Problems.START),
                    "peer",
                    Reason.NO_PEERS,
                    "no peers: add a [[peer]] section");
        }
        List<TableReader> peerReaders = peerTables.orElse(List.of());
        List<Optional<PeerConfig>> peers =
                peerReaders.stream().map(this::readPeer).toList();

        if (iface.isEmpty() || !peers.stream().allMatch(Optional::isPresent) || peers.isEmpty()) {
            return Optional.empty();
        }
        List<PeerConfig> validPeers = peers.stream().map(Optional::orElseThrow).toList();
        List<IpPrefix> allowedIPs =
                validPeers.stream().flatMap(peer -> peer.allowedIPs().stream()).toList();
        if (iface.get().routeMode() == RouteModeSetting.DI_SEMI_DEFAULT
                && RouteMode.auto(allowedIPs) != RouteMode.DI_SEMI_DEFAULT) {
            TableReader table = interfaceTable.orElseThrow();
            problems.error(
                    table.keyPosition("routeMode"),
                    table.field("routeMode"),
                    Reason.BAD_ROUTE_MODE,
                    "di-semi-default routes everything through the tunnel, but no peer's allowedIPs holds 0.0.0.0/0"
                            + " or ::/0, so the peers could not carry that traffic; use per-prefix or auto");
            return Optional.empty();
        }
        TableReader interfaceReader = interfaceTable.orElseThrow();
        if (iface.get().others() == OthersSetting.DENY && !interfaceReader.has("others")) {
            for (Located<String> text : defaultRouteTexts) {
                problems.warning(
                        text,
                        Reason.DENY_FULL_TUNNEL,
                        "denied " + text.value() + ": every process that is no app loses the Internet while this"
                                + " tunnel is up (others = \"deny\" by default); set others = \"bypass\" so that only"
                                + " the apps use the tunnel and everything else goes around it, or others = \"deny\""
                                + " if that is what you mean");
            }
        }
        return Optional.of(new TunnelConfig(source, iface.get(), validPeers));
    }

    private Optional<InterfaceConfig> readInterface(TableReader table) {
        int errorsBefore = problems.errorCount();
        Optional<String> name = table.has("name")
                ? table.string("name").flatMap(value -> table.parse(value, Values::interfaceName))
                : defaultInterfaceName(table);
        Optional<KeySource> privateKey = readKey(table, "privateKey", "privateKeyFile", true);
        ourPublicKey = privateKey.map(keySource -> keySource.key().publicKey());
        Optional<List<InterfaceAddress>> addresses = table.parseEach(
                table.requiredStrings("address", "no address: set address = [\"10.8.0.2/32\"] as given by the server"),
                Values::interfaceAddress);
        OptionalInt listenPort = integerIn(
                table,
                "listenPort",
                InterfaceConfig::isValidListenPort,
                Reason.BAD_PORT,
                "listenPort %d is outside 1..65535");
        OptionalInt mtu = integerIn(
                table,
                "mtu",
                InterfaceConfig::isValidMtu,
                Reason.MTU_OUT_OF_RANGE,
                "mtu %d is outside " + InterfaceConfig.MIN_MTU + ".." + InterfaceConfig.MAX_MTU
                        + " (IPv6 needs at least 1280)");
        Optional<DnsConfig> dns = readDns(table);
        Optional<RouteModeSetting> routeMode =
                table.string("routeMode").flatMap(value -> table.parse(value, RouteModeSetting::parse));
        Optional<BackendSetting> backend =
                table.string("backend").flatMap(value -> table.parse(value, BackendSetting::parse));
        Optional<OthersSetting> others =
                table.string("others").flatMap(value -> table.parse(value, OthersSetting::parse));
        Optional<Incoming> incoming = table.string("incoming").flatMap(value -> table.parse(value, Values::incoming));
        List<Optional<ExcludedAppConfig>> excludedApps =
                table.tables("excludedApps", EXCLUDED_APP_KEYS).orElse(List.of()).stream()
                        .map(this::readExcludedApp)
                        .toList();

        if (problems.errorCount() > errorsBefore) {
            return Optional.empty();
        }
        return Optional.of(new InterfaceConfig(
                name.orElseThrow(),
                privateKey.orElseThrow().key(),
                privateKey.orElseThrow().file(),
                addresses.orElseThrow(),
                listenPort,
                mtu,
                dns.orElseThrow(),
                routeMode.orElse(RouteModeSetting.AUTO),
                backend.orElse(BackendSetting.AUTO),
                others.orElse(OthersSetting.DENY),
                excludedApps.stream().map(Optional::orElseThrow).toList(),
                incoming.orElse(Incoming.APPS)));
    }

    private Optional<DnsConfig> readDns(TableReader table) {
        int errorsBefore = problems.errorCount();
        List<InetAddress> servers =
                table.parseEach(table.strings("dns"), Values::ipAddress).orElse(List.of());
        Optional<List<Located<String>>> domainTexts = table.strings("dnsDomains");
        List<String> domains = table.parseEach(domainTexts, Values::dnsDomain).orElse(List.of()).stream()
                .distinct()
                .toList();
        DnsConfig.Access access = table.string("dnsAccess")
                .flatMap(value -> table.parse(value, Values::dnsAccess))
                .orElse(DnsConfig.Access.APPS);
        ResolverSetting resolver = table.string("dnsResolver")
                .flatMap(value -> table.parse(value, ResolverSetting::parse))
                .orElse(ResolverSetting.AUTO);
        if (!domains.isEmpty() && servers.isEmpty() && !table.has("dns")) {
            problems.error(
                    domainTexts.orElseThrow().getFirst(),
                    Reason.DNS_DOMAINS_WITHOUT_SERVERS,
                    "dnsDomains names the zones the tunnel's DNS servers answer for, but dns lists none;"
                            + " add dns = [\"10.20.0.53\"] (the server the VPN gave you)");
        }
        if (problems.errorCount() > errorsBefore) {
            return Optional.empty();
        }
        return Optional.of(new DnsConfig(servers, domains, access, resolver));
    }

    /** Without a name, the interface is named after the file, as wg-quick does: corp.toml is corp. */
    private Optional<String> defaultInterfaceName(TableReader table) {
        String fileName =
                source.getFileName() == null ? "" : source.getFileName().toString();
        int dot = fileName.lastIndexOf('.');
        String stem = dot > 0 ? fileName.substring(0, dot) : fileName;
        if (InterfaceConfig.isValidName(stem)) {
            return Optional.of(stem);
        }
        problems.error(
                table.position(),
                table.field("name"),
                Reason.BAD_INTERFACE_NAME,
                "no name set, and the file name stem '" + stem
                        + "' is no Linux interface name (1 to 15 of a-z A-Z 0-9 _ = + . -); set name");
        return Optional.empty();
    }

    private Optional<PeerConfig> readPeer(TableReader table) {
        int errorsBefore = problems.errorCount();
        Optional<String> name = table.string("name").flatMap(value -> table.parse(value, Values::peerName));
        Optional<Key> publicKey = table.requiredString("publicKey", "every peer needs its publicKey")
                .flatMap(value -> table.parse(value, Values::key).filter(key -> isNewPeerKey(key, value, table)));
        Optional<KeySource> presharedKey = readKey(table, "presharedKey", "presharedKeyFile", false);
        Optional<Endpoint> endpoint = table.string("endpoint").flatMap(value -> table.parse(value, Endpoint::parse));
        int errorsBeforeAllowedIPs = problems.errorCount();
        Optional<List<Located<String>>> allowedIPTexts = table.requiredStrings(
                "allowedIPs", "no allowedIPs: list the prefixes behind this peer, such as [\"10.20.0.0/16\"]");
        boolean allowedIPsAreStrings = problems.errorCount() == errorsBeforeAllowedIPs;
        Optional<List<IpPrefix>> allowedIPs = table.parseEach(allowedIPTexts, Values::prefix);
        allowedIPTexts.ifPresent(texts -> texts.forEach(this::isNewAllowedIP));
        OptionalInt keepalive = integerIn(
                table,
                "persistentKeepalive",
                PeerConfig::isValidKeepalive,
                Reason.BAD_KEEPALIVE,
                "persistentKeepalive %d is outside 0..65535 seconds");
        // Grants are judged against the prefixes the writer meant (host bits cleared), so that one slip
        // in allowedIPs neither hides the grants outside them nor reports those inside; with a prefix
        // that does not parse at all, there is nothing to judge against.
        Optional<List<IpPrefix>> meantAllowedIPs =
                allowedIPTexts.filter(texts -> allowedIPsAreStrings).flatMap(ConfigReader::networksOf);
        List<Optional<AppConfig>> apps = table.tables("allowedApps", APP_KEYS).orElse(List.of()).stream()
                .map(app -> readApp(app, meantAllowedIPs))
                .toList();

        if (problems.errorCount() > errorsBefore) {
            return Optional.empty();
        }
        return Optional.of(new PeerConfig(
                name.orElse(table.path().replace("[", "").replace("]", "")),
                publicKey.orElseThrow(),
                presharedKey.map(KeySource::key),
                presharedKey.flatMap(KeySource::file),
                endpoint,
                allowedIPs.orElseThrow(),
                keepalive,
                apps.stream().map(Optional::orElseThrow).toList()));
    }

    /** The networks of all {@code texts}, or empty if one is not even an address with a length. */
    private static Optional<List<IpPrefix>> networksOf(List<Located<String>> texts) {
        try {
            return Optional.of(texts.stream()
                    .map(text -> InterfaceAddress.parse(text.value()).network())
                    .toList());
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Records the prefix and reports one listed before (by any peer) at the value that repeats it. */
    private void isNewAllowedIP(Located<String> text) {
        IpPrefix network;
        try {
            network = InterfaceAddress.parse(text.value()).network();
        } catch (IllegalArgumentException e) {
            return; // reported as a bad prefix
        }
        if (network.length() == 0) {
            defaultRouteTexts.add(text);
        }
        String first = allowedIPFields.putIfAbsent(network, text.field());
        if (first != null) {
            problems.error(
                    text,
                    Reason.DUPLICATE_ALLOWED_IP,
                    IpText.of(network) + " is already listed at " + first
                            + "; WireGuard sends a prefix to one peer only, so list it once");
        }
    }

    /** Records the key and reports a duplicate, or our own key, at the value that repeats it. */
    private boolean isNewPeerKey(Key key, Located<String> value, TableReader table) {
        if (ourPublicKey.isPresent() && ourPublicKey.get().equals(key)) {
            problems.error(
                    value,
                    Reason.PEER_IS_SELF,
                    "this is our own public key (from the interface's private key); a peer is the other side");
            return false;
        }
        String first = peerKeys.putIfAbsent(key, table.path());
        if (first != null) {
            problems.error(value, Reason.DUPLICATE_PEER_KEY, "the same public key as " + first);
            return false;
        }
        return true;
    }

    private Optional<AppConfig> readApp(TableReader table, Optional<List<IpPrefix>> allowedIPs) {
        int errorsBefore = problems.errorCount();
        Optional<String> name = table.requiredString("name", "every app needs a name")
                .flatMap(value -> table.parse(value, Values::appName).filter(appName -> isNewAppName(appName, value)));
        Optional<Path> exec = readExec(table);
        Optional<String> sha256 = table.string("sha256").flatMap(value -> table.parse(value, Values::sha256));
        AppConfig.Children children = table.string("children")
                .flatMap(value -> table.parse(value, Values::children))
                .orElse(AppConfig.Children.SAME_EXEC);
        Optional<List<Located<String>>> allowExecTexts = table.strings("allowExec");
        List<Path> allowExec = table.parseEach(allowExecTexts, Values::exec).orElse(List.of());
        if (children == AppConfig.Children.ANY
                && allowExecTexts.filter(list -> !list.isEmpty()).isPresent()) {
            problems.error(
                    allowExecTexts.get().getFirst(),
                    Reason.ALLOW_EXEC_WITHOUT_SAME_EXEC,
                    "allowExec lists the programs that get the grants besides the app's own, which only"
                            + " children = \"same-exec\" limits; with \"any\" every process has them");
        }
        Optional<String> args = table.string("args").flatMap(value -> table.parse(value, Values::argsPattern));
        List<Listen> listen =
                table.parseEach(table.strings("listen"), Values::listen).orElse(List.of());
        Optional<List<Located<String>>> allow = table.strings("allow");
        List<Grant> grants = allow.orElse(List.of()).stream()
                .map(value -> table.parse(value, Values::grant).filter(grant -> isInside(grant, value, allowedIPs)))
                .flatMap(Optional::stream)
                .toList();

        if (problems.errorCount() > errorsBefore || allowedIPs.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new AppConfig(
                name.orElseThrow(),
                exec,
                sha256,
                allow.isPresent()
                        ? grants
                        : allowedIPs.get().stream().map(Grant::allOf).toList(),
                children,
                allowExec,
                args,
                listen));
    }

    /** Name, exec and sha256 as an allowed app's, and one namespace of names with them (one cgroup each). */
    private Optional<ExcludedAppConfig> readExcludedApp(TableReader table) {
        int errorsBefore = problems.errorCount();
        Optional<String> name = table.requiredString("name", "every excluded app needs a name")
                .flatMap(value -> table.parse(value, Values::appName).filter(appName -> isNewAppName(appName, value)));
        Optional<Path> exec = readExec(table);
        Optional<String> sha256 = table.string("sha256").flatMap(value -> table.parse(value, Values::sha256));
        if (problems.errorCount() > errorsBefore) {
            return Optional.empty();
        }
        return Optional.of(new ExcludedAppConfig(name.orElseThrow(), exec, sha256));
    }

    /** An app's exec, with a warning (not an error: the config may be meant for another machine) when absent here. */
    private Optional<Path> readExec(TableReader table) {
        Optional<Located<String>> execText = table.string("exec");
        Optional<Path> exec = execText.flatMap(value -> table.parse(value, Values::exec));
        exec.filter(file -> !Files.exists(file))
                .ifPresent(file -> problems.warning(
                        execText.orElseThrow(),
                        Reason.EXEC_MISSING,
                        "no file " + file + " on this machine: `wg-pr run` cannot start this app here"));
        return exec;
    }

    private boolean isNewAppName(String name, Located<String> value) {
        String first = appNames.putIfAbsent(name, value.field());
        if (first != null) {
            problems.error(
                    value,
                    Reason.DUPLICATE_APP_NAME,
                    "app '" + name + "' is already defined at " + first
                            + "; one name is one cgroup, so list its grants there");
            return false;
        }
        return true;
    }

    private boolean isInside(Grant grant, Located<String> value, Optional<List<IpPrefix>> allowedIPs) {
        if (allowedIPs.isEmpty() || PeerConfig.isWithin(grant, allowedIPs.get())) {
            return true;
        }
        problems.error(
                value,
                Reason.GRANT_OUTSIDE_ALLOWED_IPS,
                "grant " + grant + " is outside the peer's allowedIPs ("
                        + allowedIPs.get().stream().map(IpText::of).collect(Collectors.joining(", ")) + ")");
        return false;
    }

    /**
     * A key given inline ({@code inlineKey}) or in a file ({@code fileKey}), never both. Files are
     * relative to the config's directory.
     */
    private Optional<KeySource> readKey(TableReader table, String inlineKey, String fileKey, boolean required) {
        if (table.has(inlineKey) && table.has(fileKey)) {
            problems.error(
                    table.keyPosition(fileKey),
                    table.field(fileKey),
                    Reason.CONFLICTING_KEYS,
                    inlineKey + " and " + fileKey + " are both set; keep one");
            return Optional.empty();
        }
        if (required && !table.has(inlineKey) && !table.has(fileKey)) {
            table.missing(inlineKey, "set " + inlineKey + " (base64, from wg genkey) or " + fileKey);
            return Optional.empty();
        }
        Optional<Located<String>> inlineText = table.string(inlineKey);
        Optional<KeySource> inline = inlineText
                .flatMap(value -> table.parse(value, Values::key))
                .map(key -> new KeySource(key, Optional.empty()));
        if (inline.isPresent()) {
            Values.keyFileAccessWarning(source)
                    .ifPresent(warning -> problems.warning(
                            inlineText.orElseThrow(),
                            Reason.INLINE_KEY_ACCESSIBLE,
                            inlineKey + " is written here, and " + warning + ": chmod 600 " + source
                                    + ", or keep the key in " + fileKey));
            return inline;
        }
        return table.string(fileKey).flatMap(value -> {
            Path file = source.resolveSibling(value.value());
            Optional<Key> key = table.parse(value, text -> Values.keyFile(file, keyFiles));
            key.flatMap(unused -> Values.keyFileAccessWarning(file))
                    .ifPresent(warning -> problems.warning(value, Reason.KEY_FILE_ACCESSIBLE, warning));
            return key.map(k -> new KeySource(k, Optional.of(file)));
        });
    }

    /** An optional integer that must satisfy {@code valid}; {@code message} formats the bad value. */
    private OptionalInt integerIn(TableReader table, String key, LongPredicate valid, Reason reason, String message) {
        Optional<Located<Long>> value = table.integer(key);
        if (value.isEmpty()) {
            return OptionalInt.empty();
        }
        long number = value.get().value();
        if (!valid.test(number)) {
            problems.error(value.get(), reason, message.formatted(number));
            return OptionalInt.empty();
        }
        return OptionalInt.of((int) number);
    }
}
