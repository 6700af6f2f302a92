package dev.wgpr.client.importer;

import static dev.wgpr.client.importer.WgQuickKey.ADDRESS;
import static dev.wgpr.client.importer.WgQuickKey.ALLOWED_APPS;
import static dev.wgpr.client.importer.WgQuickKey.ALLOWED_IPS;
import static dev.wgpr.client.importer.WgQuickKey.DISALLOWED_APPS;
import static dev.wgpr.client.importer.WgQuickKey.DNS;
import static dev.wgpr.client.importer.WgQuickKey.ENDPOINT;
import static dev.wgpr.client.importer.WgQuickKey.LISTEN_PORT;
import static dev.wgpr.client.importer.WgQuickKey.MTU;
import static dev.wgpr.client.importer.WgQuickKey.PERSISTENT_KEEPALIVE;
import static dev.wgpr.client.importer.WgQuickKey.PRESHARED_KEY;
import static dev.wgpr.client.importer.WgQuickKey.PRIVATE_KEY;
import static dev.wgpr.client.importer.WgQuickKey.PUBLIC_KEY;

import dev.wgpr.client.config.InterfaceConfig;
import dev.wgpr.common.net.IpText;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Function;

/**
 * The sections of a wg-quick file as wg-pr's interface and peers. What wg-pr has no counterpart
 * for becomes a finding; what makes the file unusable becomes a problem.
 */
final class TunnelConverter {
    /** Prefixes named in a warning before it says "and N more": enough to recognize the peer. */
    private static final int PREFIXES_IN_WARNING = 4;

    private final String fileStem;
    private final Problems problems;
    /** A wg-pr config names each app once (one app, one cgroup): the peer that has each name. */
    private final Map<String, PeerApp> appsByName = new HashMap<>();
    /** WireSock's DisallowedApps of the interface and of every peer: the tunnel's excluded apps. */
    private final List<ImportedApp> excludedApps = new ArrayList<>();

    private final Set<String> peerNames = new LinkedHashSet<>();
    private final Map<String, Integer> peerLineByPublicKey = new HashMap<>();

    private record PeerApp(String peerName, ImportedApp app) {}

    private TunnelConverter(String fileStem, Problems problems) {
        this.fileStem = fileStem;
        this.problems = problems;
    }

    /**
     * @param fileStem the file name without directory and {@code .conf}: the interface name, as
     *     wg-quick names the interface after its config file
     * @return the tunnel; meaningful only when no problem was added
     */
    static ImportedTunnel convert(String fileStem, List<WgQuickSection> sections, Problems problems) {
        return new TunnelConverter(fileStem, problems).convert(sections);
    }

    private ImportedTunnel convert(List<WgQuickSection> sections) {
        List<WgQuickSection> interfaces = sectionsOf(sections, WgQuickSection.Kind.INTERFACE);
        List<WgQuickSection> peerSections = sectionsOf(sections, WgQuickSection.Kind.PEER);
        if (interfaces.isEmpty()) {
            problems.add(0, "[Interface]", "missing; a wg-quick file needs one [Interface] section");
        }
        for (WgQuickSection extra : interfaces.stream().skip(1).toList()) {
            problems.add(
                    extra.line(),
                    "[Interface]",
                    "a second [Interface] section; the first is at line "
                            + interfaces.getFirst().line());
        }
        if (peerSections.isEmpty()) {
            problems.add(0, "[Peer]", "missing; wg-pr needs at least one peer to make a tunnel");
        }
        // Without an [Interface] the file is rejected anyway: its missing keys would only repeat that.
        WgQuickSection interfaceSection = interfaces.isEmpty()
                ? new WgQuickSection(WgQuickSection.Kind.INTERFACE, 0, Optional.empty(), List.of())
                : interfaces.getFirst();
        List<Finding> interfaceFindings = new ArrayList<>();
        SectionEntries interfaceEntries = SectionEntries.of(interfaceSection, interfaceFindings, problems);
        ImportedInterface tunnelInterface = interfaces.isEmpty()
                ? new ImportedInterface(
                        fileStem,
                        "",
                        List.of(),
                        OptionalInt.empty(),
                        OptionalInt.empty(),
                        List.of(),
                        List.of(),
                        List.of(),
                        List.of())
                : tunnelInterface(interfaceSection.line(), interfaceEntries, interfaceFindings);
        excluded(interfaceEntries.all(DISALLOWED_APPS), interfaceFindings);

        List<ImportedApp> interfaceApps = apps(interfaceEntries, interfaceFindings);
        List<ImportedPeer> peers = new ArrayList<>();
        for (WgQuickSection section : peerSections) {
            // WireSock applies [Interface] AllowedApps to every peer; wg-pr names an app once, so
            // they go to the first peer, and the finding below says so.
            List<ImportedApp> inherited = peers.isEmpty() ? interfaceApps : List.of();
            peers.add(peer(section, peers.size() + 1, inherited, tunnelInterface.privateKey()));
        }
        if (!interfaceApps.isEmpty() && peers.size() > 1) {
            interfaceEntries
                    .all(ALLOWED_APPS)
                    .forEach(entry -> interfaceFindings.add(new Finding(
                            entry.line(),
                            ALLOWED_APPS.canonicalName(),
                            Finding.Kind.NOT_CARRIED_OVER,
                            "WireSock applies it to every peer, but a wg-pr config names each app once: imported"
                                    + " under the first peer, '"
                                    + peers.getFirst().name()
                                    + "', only; these apps may not use the other peers' routes")));
        }
        if (fullTunnel(peers)) {
            interfaceFindings.add(new Finding(
                    interfaceSection.line(),
                    "others",
                    Finding.Kind.WARNING,
                    "a full tunnel: wg-quick sends every process through it, wg-pr only the allowed apps. Imported"
                            + " with others = \"deny\": every process that is no app loses the Internet while the"
                            + " tunnel is up; set others = \"bypass\" to let it go around the tunnel instead"));
        }
        return new ImportedTunnel(withFindings(tunnelInterface, interfaceFindings), peers);
    }

    /** Whether some peer routes 0.0.0.0/0 or ::/0: then the config says what non-apps get, explicitly. */
    static boolean fullTunnel(List<ImportedPeer> peers) {
        return peers.stream().flatMap(peer -> peer.allowedIps().stream()).anyMatch(prefix -> prefix.endsWith("/0"));
    }

    private static List<WgQuickSection> sectionsOf(List<WgQuickSection> sections, WgQuickSection.Kind kind) {
        return sections.stream().filter(s -> s.kind() == kind).toList();
    }

    /** The interface's findings and excluded apps are complete only once the peers were read. */
    private ImportedInterface withFindings(ImportedInterface i, List<Finding> findings) {
        return new ImportedInterface(
                i.name(),
                i.privateKey(),
                i.addresses(),
                i.listenPort(),
                i.mtu(),
                i.dns(),
                i.dnsDomains(),
                excludedApps,
                findings);
    }

    private ImportedInterface tunnelInterface(int line, SectionEntries entries, List<Finding> findings) {
        String name = fileStem;
        if (!InterfaceConfig.isValidName(name)) {
            name = Names.interfaceName(fileStem);
            findings.add(new Finding(
                    line,
                    "name",
                    Finding.Kind.CHANGED,
                    "the file name '" + fileStem + "' is not a Linux interface name (at most 15 of"
                            + " a-z A-Z 0-9 _ = + . -): the interface is named '" + name + "'"));
        }
        String privateKey = required(entries, PRIVATE_KEY, line, WgQuickValues::key);
        List<String> addresses = List.copyOf(new LinkedHashSet<>(
                parseEach(entries.all(ADDRESS), ADDRESS, WgQuickValues::wordList, WgQuickValues::interfaceAddress)));
        if (entries.all(ADDRESS).isEmpty()) {
            problems.add(line, ADDRESS.canonicalName(), "missing; wg-pr needs the tunnel's own address");
        }
        OptionalInt listenPort = optionalInt(entries, LISTEN_PORT, WgQuickValues::port);
        if (listenPort.isPresent() && listenPort.getAsInt() == 0) {
            findings.add(new Finding(
                    entries.single(LISTEN_PORT).orElseThrow().line(),
                    LISTEN_PORT.canonicalName(),
                    Finding.Kind.CHANGED,
                    "0 means a random port, which is what wg-pr does without listenPort: left out"));
            listenPort = OptionalInt.empty();
        }
        OptionalInt mtu = optionalInt(entries, MTU, WgQuickValues::mtu);
        if (mtu.isPresent() && (mtu.getAsInt() < InterfaceConfig.MIN_MTU || mtu.getAsInt() > InterfaceConfig.MAX_MTU)) {
            findings.add(new Finding(
                    entries.single(MTU).orElseThrow().line(),
                    MTU.canonicalName(),
                    Finding.Kind.NOT_CARRIED_OVER,
                    mtu.getAsInt() + " is outside wg-pr's " + InterfaceConfig.MIN_MTU + ".." + InterfaceConfig.MAX_MTU
                            + " (IPv6 needs 1280): left out, so wg-pr chooses the MTU"));
            mtu = OptionalInt.empty();
        }
        Set<String> dns = new LinkedHashSet<>();
        Set<String> dnsDomains = new LinkedHashSet<>();
        dnsEntries(entries.all(DNS), dns, dnsDomains, findings);
        return new ImportedInterface(
                name,
                privateKey,
                addresses,
                listenPort,
                mtu,
                List.copyOf(dns),
                List.copyOf(dnsDomains),
                List.of(),
                findings);
    }

    /**
     * DNS's server addresses into {@code servers}; its search domains into {@code domains}: the zones
     * whose names go to the tunnel's servers (for wg-quick they are also search suffixes, which wg-pr
     * does not add).
     */
    private void dnsEntries(
            List<WgQuickEntry> entries, Set<String> servers, Set<String> domains, List<Finding> findings) {
        for (WgQuickEntry entry : entries) {
            List<String> searchDomains = new ArrayList<>();
            for (String item : WgQuickValues.wordList(entry.value())) {
                if (WgQuickValues.looksLikeDnsAddress(item)) {
                    parse(entry, DNS, item, WgQuickValues::dnsServer).ifPresent(servers::add);
                } else {
                    searchDomains.add(item);
                }
            }
            if (!searchDomains.isEmpty()) {
                domains.addAll(searchDomains);
                findings.add(new Finding(
                        entry.line(),
                        DNS.canonicalName(),
                        Finding.Kind.CHANGED,
                        "search domain" + (searchDomains.size() > 1 ? "s " : " ") + String.join(", ", searchDomains)
                                + " went to dnsDomains: their names are asked of the tunnel's servers, and not"
                                + " added as search suffixes"));
            }
        }
    }

    private ImportedPeer peer(WgQuickSection section, int number, List<ImportedApp> inherited, String privateKey) {
        List<Finding> findings = new ArrayList<>();
        SectionEntries entries = SectionEntries.of(section, findings, problems);
        String name = peerName(section, number, findings);
        String publicKey = required(entries, PUBLIC_KEY, section.line(), WgQuickValues::key);
        checkPublicKeyIsNew(publicKey, section, privateKey);
        Optional<String> presharedKey = optional(entries, PRESHARED_KEY, WgQuickValues::key);
        Optional<String> endpoint = optional(entries, ENDPOINT, WgQuickValues::endpoint);
        List<String> allowedIps = allowedIps(entries.all(ALLOWED_IPS), findings);
        if (entries.all(ALLOWED_IPS).isEmpty()) {
            problems.add(
                    section.line(),
                    ALLOWED_IPS.canonicalName(),
                    "missing; wg-pr needs the prefixes behind each peer (its routes and what apps are granted)");
        }
        OptionalInt keepalive = optionalInt(entries, PERSISTENT_KEEPALIVE, WgQuickValues::persistentKeepalive);
        if (keepalive.isPresent() && keepalive.getAsInt() == 0) {
            keepalive = OptionalInt.empty(); // "off": the same as leaving it out
        }
        List<ImportedApp> apps = new ArrayList<>();
        int interfaceAppsLine = section.line();
        inherited.forEach(app -> addApp(apps, app, name, interfaceAppsLine, findings));
        for (WgQuickEntry entry : entries.all(ALLOWED_APPS)) {
            apps(List.of(entry), findings).forEach(app -> addApp(apps, app, name, entry.line(), findings));
        }
        excluded(entries.all(DISALLOWED_APPS), findings); // after the allowed apps: they keep their names
        if (apps.isEmpty() && !allowedIps.isEmpty()) {
            findings.add(new Finding(
                    section.line(),
                    ALLOWED_APPS.canonicalName(),
                    Finding.Kind.WARNING,
                    "peer '" + name + "' names no apps: by wg-pr's model NO app may use its routes ("
                            + summary(allowedIps) + ") until you add [[peer.allowedApps]] entries and start"
                            + " those apps with `wg-pr run --app NAME -- COMMAND`"));
        }
        return new ImportedPeer(name, publicKey, presharedKey, endpoint, allowedIps, keepalive, apps, findings);
    }

    /** As wg-pr requires: no two peers share a key, and no peer has our own. */
    private void checkPublicKeyIsNew(String publicKey, WgQuickSection section, String privateKey) {
        if (publicKey.isEmpty()) {
            return; // missing or invalid: reported already
        }
        Integer earlier = peerLineByPublicKey.putIfAbsent(publicKey, section.line());
        if (earlier != null) {
            problems.add(
                    section.line(),
                    PUBLIC_KEY.canonicalName(),
                    "the same public key as the [Peer] at line " + earlier + "; each peer needs its own");
        } else if (!privateKey.isEmpty() && publicKey.equals(WgQuickValues.publicKeyOf(privateKey))) {
            problems.add(
                    section.line(),
                    PUBLIC_KEY.canonicalName(),
                    "this is our own public key (from the [Interface] PrivateKey); a peer is the other side");
        }
    }

    private String peerName(WgQuickSection section, int number, List<Finding> findings) {
        String wanted = section.nameComment()
                .map(Names::peerName)
                .filter(n -> !n.isEmpty())
                .orElse("peer" + number);
        String name = Names.unique(wanted, peerNames);
        peerNames.add(name);
        section.nameComment()
                .filter(comment -> !comment.equals(name))
                .ifPresent(comment -> findings.add(new Finding(
                        section.line(),
                        "name",
                        Finding.Kind.CHANGED,
                        "the peer's name '" + comment + "' is written as '" + name
                                + "' (1 to 64 printable characters, unique)")));
        return name;
    }

    private List<String> allowedIps(List<WgQuickEntry> entries, List<Finding> findings) {
        Set<String> prefixes = new LinkedHashSet<>();
        for (WgQuickEntry entry : entries) {
            for (String item : WgQuickValues.commaList(entry.value())) {
                parse(entry, ALLOWED_IPS, item, WgQuickValues::allowedIp).ifPresent(allowedIp -> {
                    String prefix = IpText.of(allowedIp.network());
                    if (allowedIp.hasHostBits()) {
                        findings.add(hostBitsCleared(entry, item, prefix));
                    }
                    prefixes.add(prefix);
                });
            }
        }
        return List.copyOf(prefixes);
    }

    private static Finding hostBitsCleared(WgQuickEntry entry, String item, String prefix) {
        return new Finding(
                entry.line(),
                ALLOWED_IPS.canonicalName(),
                Finding.Kind.CHANGED,
                item + " has host bits set: imported as " + prefix + ", the prefix the kernel uses for it");
    }

    /** The apps of the AllowedApps lines of one section, each entry's losses reported. */
    private static List<ImportedApp> apps(SectionEntries entries, List<Finding> findings) {
        return apps(entries.all(ALLOWED_APPS), findings);
    }

    /**
     * WireSock's DisallowedApps as the tunnel's excluded apps: they never use the tunnel, as in WireSock.
     * What differs is everyone else: WireSock tunnels every other process, wg-pr only the allowed apps
     * (others deny or bypass), which the finding says. One namespace of names with the allowed apps.
     */
    private void excluded(List<WgQuickEntry> entries, List<Finding> findings) {
        for (WgQuickEntry entry : entries) {
            List<Finding> own = new ArrayList<>();
            for (ImportedApp app : apps(List.of(entry), own)) {
                String name = Names.unique(app.name(), appsByName.keySet());
                ImportedApp named = new ImportedApp(name, app.exec());
                appsByName.put(name, new PeerApp("", named));
                excludedApps.add(named);
            }
            own.forEach(finding -> findings.add(
                    new Finding(finding.line(), DISALLOWED_APPS.canonicalName(), finding.kind(), finding.message())));
            findings.add(new Finding(
                    entry.line(),
                    DISALLOWED_APPS.canonicalName(),
                    Finding.Kind.WARNING,
                    "imported as [[interface.excludedApps]]: these never use the tunnel. Unlike WireSock, a process"
                            + " that is neither allowed nor excluded does not use it either: others = \"deny\""
                            + " denies it the tunnel's prefixes, others = \"bypass\" sends it around"));
        }
    }

    private static List<ImportedApp> apps(List<WgQuickEntry> entries, List<Finding> findings) {
        List<ImportedApp> apps = new ArrayList<>();
        for (WgQuickEntry entry : entries) {
            for (String item : WgQuickValues.commaList(entry.value())) {
                Optional<WireSockApps.Conversion> conversion = WireSockApps.convert(item);
                if (conversion.isEmpty()) {
                    findings.add(new Finding(
                            entry.line(),
                            ALLOWED_APPS.canonicalName(),
                            Finding.Kind.NOT_CARRIED_OVER,
                            "no app name can be made from '" + item + "'; add this app by hand"));
                    continue;
                }
                ImportedApp app = conversion.get().app();
                conversion
                        .get()
                        .lost()
                        .ifPresent(lost -> findings.add(new Finding(
                                entry.line(), ALLOWED_APPS.canonicalName(), Finding.Kind.NOT_CARRIED_OVER, lost)));
                if (conversion.get().lost().isEmpty() && WireSockApps.nameDiffersFrom(item, app.name())) {
                    findings.add(new Finding(
                            entry.line(),
                            ALLOWED_APPS.canonicalName(),
                            Finding.Kind.CHANGED,
                            "'" + item + "' is imported as app '" + app.name() + "' (lowercase a-z 0-9 . _ -)"));
                }
                if (!apps.contains(app)) {
                    apps.add(app);
                }
            }
        }
        return apps;
    }

    /**
     * Adds {@code app} to the peer's apps. The same app under an earlier peer cannot be added (a
     * wg-pr config names each app once); another program with the same name gets a numbered name,
     * since each app is its own cgroup.
     */
    private void addApp(List<ImportedApp> apps, ImportedApp app, String peerName, int line, List<Finding> findings) {
        PeerApp existing = appsByName.get(app.name());
        if (existing != null && existing.app().equals(app)) {
            if (!existing.peerName().equals(peerName)) {
                findings.add(new Finding(
                        line,
                        ALLOWED_APPS.canonicalName(),
                        Finding.Kind.NOT_CARRIED_OVER,
                        "app '" + app.name() + "' is listed under peer '" + existing.peerName()
                                + "' already; a wg-pr config names each app once, so it may not use the routes"
                                + " of peer '" + peerName + "'"));
            }
            return;
        }
        String name = Names.unique(app.name(), appsByName.keySet());
        if (!name.equals(app.name())) {
            findings.add(new Finding(
                    line,
                    ALLOWED_APPS.canonicalName(),
                    Finding.Kind.CHANGED,
                    "another app is named '" + app.name() + "' already: "
                            + app.exec().orElse("this one") + " is imported as app '" + name + "'"));
        }
        ImportedApp named = new ImportedApp(name, app.exec());
        appsByName.put(name, new PeerApp(peerName, named));
        apps.add(named);
    }

    private static String summary(List<String> prefixes) {
        if (prefixes.size() <= PREFIXES_IN_WARNING) {
            return String.join(", ", prefixes);
        }
        return String.join(", ", prefixes.subList(0, PREFIXES_IN_WARNING)) + " and "
                + (prefixes.size() - PREFIXES_IN_WARNING) + " more";
    }

    private String required(SectionEntries entries, WgQuickKey key, int sectionLine, Function<String, String> parser) {
        Optional<WgQuickEntry> entry = entries.single(key);
        if (entry.isEmpty()) {
            problems.add(sectionLine, key.canonicalName(), "missing; wg-pr needs it");
            return "";
        }
        return parse(entry.get(), key, entry.get().value(), parser).orElse("");
    }

    private <T> Optional<T> optional(SectionEntries entries, WgQuickKey key, Function<String, T> parser) {
        return entries.single(key).flatMap(entry -> parse(entry, key, entry.value(), parser));
    }

    private OptionalInt optionalInt(SectionEntries entries, WgQuickKey key, Function<String, Integer> parser) {
        return optional(entries, key, parser).map(OptionalInt::of).orElse(OptionalInt.empty());
    }

    private <T> List<T> parseEach(
            List<WgQuickEntry> entries,
            WgQuickKey key,
            Function<String, List<String>> split,
            Function<String, T> parser) {
        List<T> values = new ArrayList<>();
        for (WgQuickEntry entry : entries) {
            for (String item : split.apply(entry.value())) {
                parse(entry, key, item, parser).ifPresent(values::add);
            }
        }
        return values;
    }

    /** {@code parser} applied to {@code text}; a rejected or empty value becomes a problem. */
    private <T> Optional<T> parse(WgQuickEntry entry, WgQuickKey key, String text, Function<String, T> parser) {
        if (text.isEmpty()) {
            problems.add(entry.line(), key.canonicalName(), "has no value");
            return Optional.empty();
        }
        try {
            return Optional.of(parser.apply(text));
        } catch (IllegalArgumentException e) {
            problems.add(entry.line(), key.canonicalName(), e.getMessage());
            return Optional.empty();
        }
    }
}
