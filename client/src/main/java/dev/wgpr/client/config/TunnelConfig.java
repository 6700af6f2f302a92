package dev.wgpr.client.config;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.routes.RouteMode;
import dev.wgpr.routes.RoutePlan;
import dev.wgpr.tunnel.crypto.Key;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A whole config file: one interface and its peers. Valid by construction: {@link #load} reports
 * every mistake of a file at once, and the constructors refuse anything the loader would.
 *
 * @param source the file it was read from; relative key files are relative to its directory
 */
public record TunnelConfig(Path source, InterfaceConfig iface, List<PeerConfig> peers) {
    public TunnelConfig {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(iface, "iface");
        peers = List.copyOf(peers);
        if (peers.isEmpty()) {
            throw new IllegalArgumentException("a tunnel needs at least one peer");
        }
        Set<Key> publicKeys = new HashSet<>();
        Set<String> appNames = new HashSet<>();
        Key ourPublicKey = iface.publicKey();
        for (PeerConfig peer : peers) {
            if (!publicKeys.add(peer.publicKey())) {
                throw new IllegalArgumentException("two peers with the public key of peer " + peer.name());
            }
            if (peer.publicKey().equals(ourPublicKey)) {
                throw new IllegalArgumentException("peer " + peer.name() + " has our own public key");
            }
            for (AppConfig app : peer.allowedApps()) {
                if (!appNames.add(app.name())) {
                    throw new IllegalArgumentException("app " + app.name() + " appears twice");
                }
            }
        }
        if (iface.routeMode() == RouteModeSetting.DI_SEMI_DEFAULT
                && RouteMode.auto(allowedIPs(peers)) != RouteMode.DI_SEMI_DEFAULT) {
            throw new IllegalArgumentException("di-semi-default without a default route in any allowedIPs");
        }
    }

    /**
     * Reads and validates a config file (TOML 1.0). Never resolves names and changes nothing on the
     * system.
     *
     * @throws IOException if the file itself cannot be read
     * @throws BadConfigException with every mistake in the file
     */
    public static LoadedConfig load(Path file) throws IOException, BadConfigException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), file);
    }

    /**
     * Validates config text as if read from {@code source}: the file's name is the default interface
     * name, its directory the base of relative key files, and its path starts every error line.
     *
     * @throws BadConfigException with every mistake in the text
     */
    public static LoadedConfig parse(String toml, Path source) throws BadConfigException {
        return parse(toml, source, KeyFiles.ON_DISK);
    }

    /** As {@link #parse(String, Path)}, with its key files read from {@code keyFiles}. */
    public static LoadedConfig parse(String toml, Path source, KeyFiles keyFiles) throws BadConfigException {
        return ConfigReader.read(toml, source, keyFiles);
    }

    /** The route mode with {@code auto} decided. */
    public RouteMode routeMode() {
        return iface.routeMode().resolve(allowedIPs(peers));
    }

    /** The routes through the tunnel that {@code up} installs for all peers' allowedIPs. */
    public RoutePlan routePlan() {
        return RoutePlan.compute(routeMode(), allowedIPs(peers));
    }

    /**
     * Every peer's allowedIPs, sorted: the destinations only the listed apps may reach, before
     * {@code up} subtracts what more specific routes keep outside the tunnel.
     */
    public List<IpPrefix> internalPrefixes() {
        return allowedIPs(peers).stream().distinct().sorted().toList();
    }

    private static List<IpPrefix> allowedIPs(List<PeerConfig> peers) {
        return peers.stream().flatMap(peer -> peer.allowedIPs().stream()).toList();
    }
}
