package dev.wgpr.client.config;

import dev.wgpr.common.net.InterfaceAddress;
import dev.wgpr.enforcement.Incoming;
import dev.wgpr.tunnel.crypto.Key;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * Our side of the tunnel.
 *
 * @param name the Linux interface name
 * @param privateKeyFile where {@code privateKey} came from, when it came from a file
 * @param addresses with host bits, as wg-quick's {@code Address = 10.8.0.2/24}
 * @param listenPort empty: a random port
 * @param mtu empty: chosen at {@code up}
 * @param routeMode as written; {@link TunnelConfig#routeMode()} has it resolved
 * @param backend which WireGuard runs the tunnel, as written; resolved at {@code up}
 * @param others what processes that are no app get of the tunnel's prefixes
 * @param excludedApps apps that never use the tunnel (exclude mode)
 * @param incoming which listeners the tunnel's peers may reach (enforcement/DESIGN.md, "Incoming")
 */
public record InterfaceConfig(
        String name,
        Key privateKey,
        Optional<Path> privateKeyFile,
        List<InterfaceAddress> addresses,
        OptionalInt listenPort,
        OptionalInt mtu,
        DnsConfig dns,
        RouteModeSetting routeMode,
        BackendSetting backend,
        OthersSetting others,
        List<ExcludedAppConfig> excludedApps,
        Incoming incoming) {
    /**
     * The tunnel carries IPv6, and IPv6 needs links of at least 1280 bytes (RFC 8200 §5): below
     * that the kernel takes IPv6 off the interface.
     */
    public static final int MIN_MTU = 1280;

    /** Jumbo frames; the packets plus WireGuard's 60 to 80 bytes must still fit the real path. */
    public static final int MAX_MTU = 9000;

    /** As wg-quick accepts them (IFNAMSIZ is 16 with the NUL): what `ip link` takes without quoting. */
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_=+.-]{1,15}");

    public InterfaceConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(privateKey, "privateKey");
        Objects.requireNonNull(privateKeyFile, "privateKeyFile");
        Objects.requireNonNull(listenPort, "listenPort");
        Objects.requireNonNull(mtu, "mtu");
        Objects.requireNonNull(routeMode, "routeMode");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(others, "others");
        Objects.requireNonNull(incoming, "incoming");
        excludedApps = List.copyOf(excludedApps);
        addresses = List.copyOf(addresses);
        Objects.requireNonNull(dns, "dns");
        if (!isValidName(name)) {
            throw new IllegalArgumentException("bad interface name '" + name + "'");
        }
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("an interface needs at least one address");
        }
        if (listenPort.isPresent() && !isValidListenPort(listenPort.getAsInt())) {
            throw new IllegalArgumentException("listen port " + listenPort.getAsInt());
        }
        if (mtu.isPresent() && !isValidMtu(mtu.getAsInt())) {
            throw new IllegalArgumentException("mtu " + mtu.getAsInt());
        }
    }

    /** An interface as configs before incoming control wrote it: only the apps' listen ports are reachable. */
    public InterfaceConfig(
            String name,
            Key privateKey,
            Optional<Path> privateKeyFile,
            List<InterfaceAddress> addresses,
            OptionalInt listenPort,
            OptionalInt mtu,
            DnsConfig dns,
            RouteModeSetting routeMode,
            BackendSetting backend,
            OthersSetting others,
            List<ExcludedAppConfig> excludedApps) {
        this(
                name,
                privateKey,
                privateKeyFile,
                addresses,
                listenPort,
                mtu,
                dns,
                routeMode,
                backend,
                others,
                excludedApps,
                Incoming.APPS);
    }

    /** An interface as configs before the modes wrote it: others denied, nothing excluded. */
    public InterfaceConfig(
            String name,
            Key privateKey,
            Optional<Path> privateKeyFile,
            List<InterfaceAddress> addresses,
            OptionalInt listenPort,
            OptionalInt mtu,
            DnsConfig dns,
            RouteModeSetting routeMode,
            BackendSetting backend) {
        this(
                name,
                privateKey,
                privateKeyFile,
                addresses,
                listenPort,
                mtu,
                dns,
                routeMode,
                backend,
                OthersSetting.DENY,
                List.of());
    }

    /** Whether Linux takes {@code name} as an interface name. */
    public static boolean isValidName(String name) {
        return NAME.matcher(name).matches() && !name.equals(".") && !name.equals("..");
    }

    static boolean isValidListenPort(long port) {
        return port >= 1 && port <= 65_535;
    }

    static boolean isValidMtu(long mtu) {
        return mtu >= MIN_MTU && mtu <= MAX_MTU;
    }

    public Key publicKey() {
        return privateKey.publicKey();
    }
}
