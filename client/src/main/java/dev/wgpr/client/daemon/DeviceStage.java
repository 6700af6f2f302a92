package dev.wgpr.client.daemon;

import dev.wgpr.client.config.PeerConfig;
import dev.wgpr.client.config.TunnelConfig;
import dev.wgpr.client.control.TunnelStatus;
import dev.wgpr.common.net.IpText;
import dev.wgpr.tunnel.crypto.Key;
import dev.wgpr.tunnel.device.Device;
import dev.wgpr.tunnel.uapi.BackendDevice;
import dev.wgpr.tunnel.uapi.SetRequest;
import dev.wgpr.tunnel.uapi.UapiException;
import dev.wgpr.tunnel.uapi.UapiServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

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
    @Override
    public Pieces.Device create(TunnelConfig config, Map<String, InetSocketAddress> endpoints) throws IOException {
        String name = config.iface().name();
        Device device = Device.create(name);
        try {
            // Configured through the UAPI layer, so that `wg show` reports exactly what was set.
            BackendDevice uapiDevice = BackendDevice.of(device);
            uapiDevice.apply(SetRequest.parse(uapiLines(config, endpoints)));
            UapiServer uapi = UapiServer.start(name, uapiDevice);
            return new Created(device, uapiDevice, uapi);
        } catch (UapiException e) {
            device.close();
            throw new IOException("configuring " + name + ": " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            device.close();
            throw e;
        }
    }

    /** The config as a UAPI {@code set} request, as {@code wg setconf} would send it. */
    static List<String> uapiLines(TunnelConfig config, Map<String, InetSocketAddress> endpoints) {
        List<String> lines = new ArrayList<>();
        lines.add("private_key=" + hex(config.iface().privateKey()));
        lines.add("listen_port=" + config.iface().listenPort().orElse(0));
        lines.add("replace_peers=true");
        for (PeerConfig peer : config.peers()) {
            lines.add("public_key=" + hex(peer.publicKey()));
            peer.presharedKey().ifPresent(key -> lines.add("preshared_key=" + hex(key)));
            InetSocketAddress endpoint = endpoints.get(peer.name());
            if (endpoint != null) {
                String host = IpText.of(endpoint.getAddress());
                lines.add("endpoint=" + (host.contains(":") ? "[" + host + "]" : host) + ":" + endpoint.getPort());
            }
            lines.add("persistent_keepalive_interval="
                    + peer.persistentKeepalive().orElse(0));
            lines.add("replace_allowed_ips=true");
            peer.allowedIPs().forEach(prefix -> lines.add("allowed_ip=" + IpText.of(prefix)));
        }
        return lines;
    }

    private static String hex(Key key) {
        return HexFormat.of().formatHex(key.toBytes());
    }

    private record Created(Device device, BackendDevice uapiDevice, UapiServer uapi) implements Pieces.Device {
        @Override
        public void reconfigure(TunnelConfig config, Map<String, InetSocketAddress> endpoints) throws IOException {
            try {
                uapiDevice.apply(SetRequest.parse(uapiLines(config, endpoints)));
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
                            status.endpoint()
                                    .map(e -> IpText.of(e.getAddress()) + ":" + e.getPort())
                                    .orElse(null),
                            status.lastHandshake().map(Instant::toString).orElse("none yet"),
                            status.lastHandshake()
                                    .map(at ->
                                            Duration.between(at, Instant.now()).toSeconds())
                                    .orElse(null),
                            status.rxBytes(),
                            status.txBytes(),
                            status.persistentKeepaliveSeconds()))
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
        }
    }
}
