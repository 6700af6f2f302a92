package dev.wgpr.client.daemon;

import dev.wgpr.client.config.PeerConfig;
import dev.wgpr.client.config.TunnelConfig;
import dev.wgpr.client.control.TunnelStatus;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.common.net.IpText;
import dev.wgpr.tunnel.crypto.Key;
import dev.wgpr.tunnel.device.Device;
import dev.wgpr.tunnel.device.DeviceConfig;
import dev.wgpr.tunnel.device.PeerSettings;
import dev.wgpr.tunnel.uapi.BackendDevice;
import dev.wgpr.tunnel.uapi.UapiException;
import dev.wgpr.tunnel.uapi.UapiServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
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
        String name = config.iface().name();
        Device device = Device.create(name);
        try {
            // Configured through the UAPI layer's store, so that `wg show` reports exactly what was set.
            BackendDevice uapiDevice = BackendDevice.of(device);
            uapiDevice.configure(deviceConfig(config, endpoints, 0));
            UapiServer uapi = UapiServer.start(name, uapiDevice);
            try {
                StaleInterfaces.record(instance, name);
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
            return device.peers().stream()
                    .map(status -> new TunnelStatus.Traffic(
                            status.publicKey().toBase64(),
                            status.settings()
                                    .endpoint()
                                    .map(e -> IpText.of(e.getAddress()) + ":" + e.getPort())
                                    .orElse(null),
                            status.lastHandshake().map(Instant::toString).orElse("none yet"),
                            status.lastHandshake()
                                    .map(at ->
                                            Duration.between(at, Instant.now()).toSeconds())
                                    .orElse(null),
                            status.rxBytes(),
                            status.txBytes(),
                            status.settings().persistentKeepaliveSeconds()))
                    .toList();
        }

        @Override
        public TunnelStatus.Device status() {
            return new TunnelStatus.Device(
                    device.listenPort(),
                    uapi.socketPath().toString(),
                    device.dropped(),
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
}
