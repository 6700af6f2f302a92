package dev.wgpr.client.daemon;

import dev.wgpr.client.config.BackendSetting;
import dev.wgpr.client.config.PeerConfig;
import dev.wgpr.client.config.TunnelConfig;
import dev.wgpr.client.control.CamelCase;
import dev.wgpr.client.control.TunnelStatus;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.common.net.IpText;
import dev.wgpr.routes.netlink.KernelWireGuard;
import dev.wgpr.tunnel.crypto.Key;
import dev.wgpr.tunnel.device.Backend;
import dev.wgpr.tunnel.device.Device;
import dev.wgpr.tunnel.device.DeviceConfig;
import dev.wgpr.tunnel.device.PeerSettings;
import dev.wgpr.tunnel.uapi.BackendDevice;
import dev.wgpr.tunnel.uapi.UapiException;
import dev.wgpr.tunnel.uapi.UapiServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The device stage of {@code up}: the userspace WireGuard device (tunnel/ module) on a TUN interface
 * in the daemon's network namespace, configured with the private key, listen port and peers (their
 * endpoints resolved beforehand), and its UAPI socket ({@code /var/run/wireguard/IFACE.sock}) so that
 * {@code wg show IFACE} works. Addresses, MTU and link state belong to the routes stage.
 *
 * <p>{@link Created#close()} (the undo) stops the UAPI server and removes the interface, and with it
 * every route through it. A TUN interface lives as long as its descriptor: when the daemon is killed,
 * the kernel removes it, and the fail-closed routes take over.
 */
final class DeviceStage implements Pieces.TunnelDevices {
    private final Instance instance;

    DeviceStage(Instance instance) {
        this.instance = instance;
    }

    @Override
    public Pieces.Device create(TunnelConfig config, Map<String, InetSocketAddress> endpoints) throws IOException {
        return switch (backend(config)) {
            case KERNEL -> createKernel(config, endpoints);
            default -> createUserspace(config, endpoints);
        };
    }

    /**
     * The backend {@code config} gets here: {@code auto} is the kernel's WireGuard where this kernel has it
     * (asking for its generic netlink family loads the module), else userspace.
     *
     * @throws IOException for {@code backend = "kernel"} on a kernel without WireGuard, before anything is
     *     created
     */
    static BackendSetting backend(TunnelConfig config) throws IOException {
        BackendSetting wanted = config.iface().backend();
        if (wanted == BackendSetting.USERSPACE) {
            return BackendSetting.USERSPACE;
        }
        Optional<String> unavailable = KernelWireGuard.unavailableReason();
        if (unavailable.isEmpty()) {
            return BackendSetting.KERNEL;
        }
        if (wanted == BackendSetting.KERNEL) {
            throw new IOException(config.source() + ": interface.backend is \"kernel\", but " + unavailable.get()
                    + "; set backend = \"auto\" or \"userspace\" to use wg-pr's own WireGuard");
        }
        return BackendSetting.USERSPACE;
    }

    private Pieces.Device createKernel(TunnelConfig config, Map<String, InetSocketAddress> endpoints)
            throws IOException {
        String name = config.iface().name();
        KernelWireGuard device = KernelWireGuard.create(name);
        try {
            device.configure(deviceConfig(config, endpoints, 0));
            StaleInterfaces.record(instance, name, BackendSetting.KERNEL);
            return new KernelCreated(instance, device);
        } catch (IOException | RuntimeException e) {
            device.close();
            throw new IOException("configuring kernel WireGuard " + name + ": " + e.getMessage(), e);
        }
    }

    private Pieces.Device createUserspace(TunnelConfig config, Map<String, InetSocketAddress> endpoints)
            throws IOException {
        String name = config.iface().name();
        Device device = Device.create(name);
        try {
            // Configured through the UAPI layer's store, so that `wg show` reports exactly what was set.
            BackendDevice uapiDevice = BackendDevice.of(device);
            uapiDevice.configure(deviceConfig(config, endpoints, 0));
            UapiServer uapi = UapiServer.start(name, uapiDevice);
            try {
                StaleInterfaces.record(instance, name, BackendSetting.USERSPACE);
            } catch (IOException | RuntimeException e) {
                uapi.close();
                throw e;
            }
            return new Created(instance, device, uapiDevice, uapi);
        } catch (UapiException e) {
            device.close();
            throw new IOException("configuring " + name + ": " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            device.close();
            throw e;
        }
    }

    /** Per peer, as {@code status} shows it: what {@code backend} reports now. */
    static List<TunnelStatus.Traffic> traffic(Backend backend) {
        return backend.peers().stream()
                .map(status -> new TunnelStatus.Traffic(
                        status.publicKey().toBase64(),
                        status.settings()
                                .endpoint()
                                .map(e -> IpText.endpoint(e.getAddress(), e.getPort()))
                                .orElse(null),
                        status.lastHandshake().map(Instant::toString).orElse(null),
                        status.rxBytes(),
                        status.txBytes(),
                        status.settings().persistentKeepaliveSeconds()))
                .toList();
    }

    /**
     * The device's configuration for {@code config}, its peers' endpoints resolved; {@code fwmark} is kept
     * from the device (someone may have set one with {@code wg set}).
     */
    static DeviceConfig deviceConfig(TunnelConfig config, Map<String, InetSocketAddress> endpoints, long fwmark) {
        // A prefix belongs to one peer: given to two, the later one keeps it, as `wg setconf` would do.
        Set<IpPrefix> takenByLater = new HashSet<>();
        List<PeerSettings> peers = new ArrayList<>();
        for (PeerConfig peer : config.peers().reversed()) {
            List<IpPrefix> allowedIps = peer.allowedIPs().stream()
                    .distinct()
                    .filter(prefix -> !takenByLater.contains(prefix))
                    .toList();
            takenByLater.addAll(allowedIps);
            peers.addFirst(new PeerSettings(
                    peer.publicKey(),
                    peer.presharedKey().filter(key -> !key.isZero()),
                    Optional.ofNullable(endpoints.get(peer.name())),
                    peer.persistentKeepalive().orElse(0),
                    allowedIps));
        }
        Optional<Key> privateKey = Optional.of(config.iface().privateKey()).filter(key -> !key.isZero());
        return new DeviceConfig(privateKey, config.iface().listenPort().orElse(0), fwmark, peers);
    }

    /** Recorded for the next daemon after a crash ({@link StaleInterfaces}) until closed. */
    private record Created(Instance instance, Device device, BackendDevice uapiDevice, UapiServer uapi)
            implements Pieces.Device {
        @Override
        public void reconfigure(TunnelConfig config, Map<String, InetSocketAddress> endpoints) throws IOException {
            if (config.iface().backend() == BackendSetting.KERNEL) {
                throw new IOException(device.interfaceName() + " runs on wg-pr's userspace WireGuard; backend ="
                        + " \"kernel\" takes effect at the next up (down, then up)");
            }
            try {
                uapiDevice.configure(
                        deviceConfig(config, endpoints, uapiDevice.config().fwmark()));
            } catch (UapiException e) {
                throw new IOException("reconfiguring " + device.interfaceName() + ": " + e.getMessage(), e);
            }
        }

        @Override
        public String interfaceName() {
            return device.interfaceName();
        }

        @Override
        public List<TunnelStatus.Traffic> peers() {
            return traffic(device);
        }

        @Override
        public TunnelStatus.Device status() {
            return new TunnelStatus.Device(
                    BackendSetting.USERSPACE.text(),
                    device.listenPort(),
                    uapi.socketPath().toString(),
                    CamelCase.keys(device.dropped()),
                    device.threadFailures(),
                    device.failure().map(Throwable::getMessage).orElse(null));
        }

        @Override
        public void close() throws IOException {
            try {
                uapi.close();
            } finally {
                device.close();
            }
            StaleInterfaces.forget(instance, device.interfaceName());
        }
    }

    /** A kernel WireGuard interface: {@code wg show} reads it from the kernel, so it needs no UAPI socket. */
    private record KernelCreated(Instance instance, KernelWireGuard device) implements Pieces.Device {
        @Override
        public void reconfigure(TunnelConfig config, Map<String, InetSocketAddress> endpoints) throws IOException {
            if (config.iface().backend() == BackendSetting.USERSPACE) {
                throw new IOException(device.interfaceName() + " runs on kernel WireGuard; backend = \"userspace\""
                        + " takes effect at the next up (down, then up)");
            }
            device.configure(
                    deviceConfig(config, endpoints, device.configuration().fwmark()));
        }

        @Override
        public String interfaceName() {
            return device.interfaceName();
        }

        @Override
        public List<TunnelStatus.Traffic> peers() {
            return traffic(device);
        }

        @Override
        public TunnelStatus.Device status() {
            return new TunnelStatus.Device(
                    BackendSetting.KERNEL.text(), device.listenPort(), null, Map.of(), Map.of(), null);
        }

        @Override
        public void close() throws IOException {
            device.close();
            StaleInterfaces.forget(instance, device.interfaceName());
        }
    }
}
