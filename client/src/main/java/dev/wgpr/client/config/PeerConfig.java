package dev.wgpr.client.config;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.enforcement.policy.Grant;
import dev.wgpr.tunnel.crypto.Key;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A WireGuard peer and the apps that may use its internal routes.
 *
 * @param presharedKeyFile where {@code presharedKey} came from, when it came from a file
 * @param endpoint empty: the peer is only reached after it contacts us
 * @param persistentKeepalive seconds, 0 (or empty) for off
 */
public record PeerConfig(
        String name,
        Key publicKey,
        Optional<Key> presharedKey,
        Optional<Path> presharedKeyFile,
        Optional<Endpoint> endpoint,
        List<IpPrefix> allowedIPs,
        OptionalInt persistentKeepalive,
        List<AppConfig> allowedApps) {
    public static final int MAX_KEEPALIVE = 65_535;

    public PeerConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(publicKey, "publicKey");
        Objects.requireNonNull(presharedKey, "presharedKey");
        Objects.requireNonNull(presharedKeyFile, "presharedKeyFile");
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(persistentKeepalive, "persistentKeepalive");
        allowedIPs = List.copyOf(allowedIPs);
        allowedApps = List.copyOf(allowedApps);
        if (!isValidName(name)) {
            throw new IllegalArgumentException("bad peer name '" + name + "'");
        }
        if (presharedKeyFile.isPresent() && presharedKey.isEmpty()) {
            throw new IllegalArgumentException("a preshared key file without its key");
        }
        if (persistentKeepalive.isPresent() && !isValidKeepalive(persistentKeepalive.getAsInt())) {
            throw new IllegalArgumentException("persistentKeepalive " + persistentKeepalive.getAsInt());
        }
        for (AppConfig app : allowedApps) {
            for (Grant grant : app.grants()) {
                if (!isWithin(grant, allowedIPs)) {
                    throw new IllegalArgumentException(
                            "grant " + grant + " of app " + app.name() + " is outside allowedIPs " + allowedIPs);
                }
            }
        }
    }

    /** 1 to 64 printable characters: peer names only label peers in plans and status. */
    public static boolean isValidName(String name) {
        return !name.isBlank() && name.length() <= 64 && name.codePoints().noneMatch(Character::isISOControl);
    }

    static boolean isValidKeepalive(long seconds) {
        return seconds >= 0 && seconds <= MAX_KEEPALIVE;
    }

    /** Whether one of {@code allowedIPs} holds every destination of {@code grant}. */
    static boolean isWithin(Grant grant, Collection<IpPrefix> allowedIPs) {
        return allowedIPs.stream().anyMatch(allowed -> allowed.contains(grant.prefix()));
    }
}
