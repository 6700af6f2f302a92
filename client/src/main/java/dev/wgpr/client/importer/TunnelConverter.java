package dev.wgpr.client.importer;

import static dev.wgpr.client.importer.WgQuickKey.ADDRESS;
import static dev.wgpr.client.importer.WgQuickKey.ALLOWED_APPS;
import static dev.wgpr.client.importer.WgQuickKey.ALLOWED_IPS;
import static dev.wgpr.client.importer.WgQuickKey.DNS;
import static dev.wgpr.client.importer.WgQuickKey.ENDPOINT;
import static dev.wgpr.client.importer.WgQuickKey.LISTEN_PORT;
import static dev.wgpr.client.importer.WgQuickKey.MTU;
import static dev.wgpr.client.importer.WgQuickKey.PERSISTENT_KEEPALIVE;
import static dev.wgpr.client.importer.WgQuickKey.PRESHARED_KEY;
import static dev.wgpr.client.importer.WgQuickKey.PRIVATE_KEY;
import static dev.wgpr.client.importer.WgQuickKey.PUBLIC_KEY;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Function;

/** The sections of a wg-quick file as wg-pr's interface and peers, with findings and problems. */
final class TunnelConverter {
    /** Prefixes named in a warning before it says "and N more": enough to recognize the peer. */
    private static final int PREFIXES_IN_WARNING = 4;

    private final String interfaceName;
    private final Problems problems;

    private TunnelConverter(String interfaceName, Problems problems) {
        this.interfaceName = interfaceName;
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
        List<WgQuickSection> interfaces = sections.stream()
                .filter(s -> s.kind() == WgQuickSection.Kind.INTERFACE)
                .toList();
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
        List<Finding> interfaceFindings = new ArrayList<>();
        WgQuickSection interfaceSection = interfaces.isEmpty()
                ? new WgQuickSection(WgQuickSection.Kind.INTERFACE, 0, Optional.empty(), List.of())
                : interfaces.getFirst();
        SectionEntries interfaceEntries = SectionEntries.of(interfaceSection, interfaceFindings, problems);
        List<ImportedApp> appsForEveryPeer = apps(interfaceEntries, interfaceFindings);
        if (!appsForEveryPeer.isEmpty()) {
            interfaceEntries
                    .all(ALLOWED_APPS)
                    .forEach(entry -> interfaceFindings.add(new Finding(
                            entry.line(),
                            ALLOWED_APPS.canonicalName(),
                            Finding.Kind.CHANGED,
                            "written into the allowedApps of every peer, as WireSock applies it to the whole tunnel")));
        }
        // Without an [Interface] the file is rejected anyway: its missing keys would only repeat that.
        ImportedInterface tunnelInterface = interfaces.isEmpty()
                ? new ImportedInterface(
                        interfaceName, "", List.of(), OptionalInt.empty(), OptionalInt.empty(), List.of(), List.of())
                : tunnelInterface(interfaceSection.line(), interfaceEntries, interfaceFindings);

        List<ImportedPeer> peers = new ArrayList<>();
        Set<String> peerNames = new HashSet<>();
        Map<String, Integer> peerLineByPublicKey = new HashMap<>();
        for (WgQuickSection section : sections) {
            if (section.kind() == WgQuickSection.Kind.PEER) {
                ImportedPeer peer = peer(section, peers.size() + 1, peerNames, appsForEveryPeer);
                Integer earlier = peerLineByPublicKey.putIfAbsent(peer.publicKey(), section.line());
                if (earlier != null && !peer.publicKey().isEmpty()) {
                    problems.add(
                            section.line(),
                            PUBLIC_KEY.canonicalName(),
                            "the same public key as the [Peer] at line " + earlier + "; each peer needs its own");
                }
                peers.add(peer);
            }
        }
        return new ImportedTunnel(tunnelInterface, peers);
    }

    private ImportedInterface tunnelInterface(int line, SectionEntries entries, List<Finding> findings) {
        String name = interfaceName;
        if (!Names.isInterfaceName(name)) {
            name = Names.interfaceName(interfaceName);
            findings.add(new Finding(
                    line,
                    "name",
                    Finding.Kind.CHANGED,
                    "the file name '" + interfaceName + "' is not a Linux interface name (at most 15 of"
                            + " a-z A-Z 0-9 _ = + . -): the interface is named '" + name + "'"));
        }
        String privateKey = required(entries, PRIVATE_KEY, line, WgQuickValues::key);
        List<String> addresses = new ArrayList<>(new LinkedHashSet<>(
                parseEach(entries.all(ADDRESS), ADDRESS, WgQuickValues::wordList, WgQuickValues::interfaceAddress)));
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
        List<String> dns = dnsServers(entries.all(DNS), findings);
        return new ImportedInterface(name, privateKey, addresses, listenPort, mtu, dns, findings);
    }

    /** The server addresses of DNS; search domains are reported, as wg-pr sets servers only. */
    private List<String> dnsServers(List<WgQuickEntry> entries, List<Finding> findings) {
        Set<String> servers = new LinkedHashSet<>();
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
                findings.add(new Finding(
                        entry.line(),
                        DNS.canonicalName(),
                        Finding.Kind.NOT_CARRIED_OVER,
                        "search domain" + (searchDomains.size() > 1 ? "s " : " ") + String.join(", ", searchDomains)
                                + ": wg-pr's dns takes server addresses only"));
            }
        }
        return List.copyOf(servers);
    }

    private ImportedPeer peer(
            WgQuickSection section, int number, Set<String> takenNames, List<ImportedApp> appsForEveryPeer) {
        List<Finding> findings = new ArrayList<>();
        SectionEntries entries = SectionEntries.of(section, findings, problems);
        String name = peerName(section, number, takenNames, findings);
        String publicKey = required(entries, PUBLIC_KEY, section.line(), WgQuickValues::key);
        Optional<String> presharedKey = optional(entries, PRESHARED_KEY, WgQuickValues::key);
        Optional<String> endpoint = optional(entries, ENDPOINT, WgQuickValues::endpoint);
        List<String> allowedIps = allowedIps(entries.all(ALLOWED_IPS), findings);
        OptionalInt keepalive = optionalInt(entries, PERSISTENT_KEEPALIVE, WgQuickValues::persistentKeepalive);
        if (keepalive.isPresent() && keepalive.getAsInt() == 0) {
            keepalive = OptionalInt.empty(); // "off": the same as leaving it out
        }
        List<ImportedApp> apps = new ArrayList<>(appsForEveryPeer);
        for (ImportedApp app : apps(entries, findings)) {
            addApp(apps, app, entries.all(ALLOWED_APPS).getFirst().line(), findings);
        }
        if (allowedIps.isEmpty()) {
            findings.add(new Finding(
                    section.line(),
                    ALLOWED_IPS.canonicalName(),
                    Finding.Kind.WARNING,
                    "peer '" + name + "' has no AllowedIPs, so no traffic is routed to it"));
        } else if (apps.isEmpty()) {
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

    private static String peerName(WgQuickSection section, int number, Set<String> taken, List<Finding> findings) {
        String fallback = "peer" + number;
        String wanted = section.nameComment()
                .map(Names::safeName)
                .filter(n -> !n.isEmpty())
                .orElse(fallback);
        String name = Names.unique(wanted, taken);
        taken.add(name);
        section.nameComment()
                .filter(comment -> !comment.equals(name))
                .ifPresent(comment -> findings.add(new Finding(
                        section.line(),
                        "name",
                        Finding.Kind.CHANGED,
                        "the peer's name '" + comment + "' is written as '" + name + "' (lowercase a-z 0-9 . _ -,"
                                + " unique)")));
        return name;
    }

    private List<String> allowedIps(List<WgQuickEntry> entries, List<Finding> findings) {
        Set<String> prefixes = new LinkedHashSet<>();
        for (WgQuickEntry entry : entries) {
            for (String item : WgQuickValues.commaList(entry.value())) {
                parse(entry, ALLOWED_IPS, item, WgQuickValues::allowedIp).ifPresent(allowedIp -> {
                    if (allowedIp.hostBitsCleared()) {
                        findings.add(new Finding(
                                entry.line(),
                                ALLOWED_IPS.canonicalName(),
                                Finding.Kind.CHANGED,
                                item + " has host bits set: imported as " + allowedIp.text()
                                        + ", the prefix the kernel uses for it"));
                    }
                    prefixes.add(allowedIp.text());
                });
            }
        }
        return List.copyOf(prefixes);
    }

    /** The apps of the AllowedApps lines of one section, each entry's losses reported. */
    private static List<ImportedApp> apps(SectionEntries entries, List<Finding> findings) {
        List<ImportedApp> apps = new ArrayList<>();
        for (WgQuickEntry entry : entries.all(ALLOWED_APPS)) {
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
                addApp(apps, app, entry.line(), findings);
            }
        }
        return apps;
    }

    /**
     * Adds {@code app} unless the same app is there already. Another app of the same name (another
     * executable with the same base name) gets a numbered name: each app is its own cgroup.
     */
    private static void addApp(List<ImportedApp> apps, ImportedApp app, int line, List<Finding> findings) {
        if (apps.contains(app)) {
            return;
        }
        Set<String> taken = new HashSet<>();
        apps.forEach(a -> taken.add(a.name()));
        String name = Names.unique(app.name(), taken);
        if (!name.equals(app.name())) {
            findings.add(new Finding(
                    line,
                    ALLOWED_APPS.canonicalName(),
                    Finding.Kind.CHANGED,
                    "a second app named '" + app.name() + "' (" + app.exec().orElse("no exec") + ") is imported as '"
                            + name + "'"));
        }
        apps.add(new ImportedApp(name, app.exec()));
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
            problems.add(
                    sectionLine,
                    key.canonicalName(),
                    "missing; every " + (key == PRIVATE_KEY ? "[Interface]" : "[Peer]") + " needs one");
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
