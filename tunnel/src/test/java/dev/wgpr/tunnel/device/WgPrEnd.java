package dev.wgpr.tunnel.device;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.testing.lab.Namespace;
import dev.wgpr.tunnel.crypto.Key;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** A wg-pr {@link Device} running in this JVM, with its TUN and socket in a lab namespace. */
record WgPrEnd(Namespace namespace, Device device, Key privateKey) implements AutoCloseable {
    static WgPrEnd start(Namespace ns, Device.Options options, String... cidrs) throws IOException {
        String iface = ns.lab().interfaceName("wg");
        Device device = ns.call(() -> Device.create(iface, options));
        Key key = Key.generatePrivate();
        device.configure(new DeviceConfig(Optional.of(key), 0, 0, List.of()));
        ns.address(iface, cidrs).up(iface);
        return new WgPrEnd(ns, device, key);
    }

    static WgPrEnd start(Namespace ns, String... cidrs) throws IOException {
        return start(ns, Device.Options.defaults(), cidrs);
    }

    Key publicKey() {
        return privateKey.publicKey();
    }

    String iface() {
        return device.interfaceName();
    }

    WgPrEnd listenPort(int port) throws IOException {
        device.configure(device.configuration().withListenPort(port));
        return this;
    }

    /** Adds a peer; {@code endpoint} "host:port" (IPv4) or null. */
    WgPrEnd peer(Key publicKey, String endpoint, String... allowedIps) throws IOException {
        InetSocketAddress address = endpoint == null ? null : endpoint(endpoint);
        return peer(PeerSettings.of(
                publicKey,
                address,
                Arrays.stream(allowedIps).map(IpPrefix::parse).toArray(IpPrefix[]::new)));
    }

    /** Adds the peer, or updates the one with its public key. */
    WgPrEnd peer(PeerSettings settings) throws IOException {
        device.configure(device.configuration().withPeer(settings));
        return this;
    }

    static InetSocketAddress endpoint(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        String host = hostPort.substring(0, colon).replace("[", "").replace("]", "");
        return new InetSocketAddress(InetAddress.ofLiteral(host), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    PeerStatus status(Key peer) {
        return device.peer(peer).orElseThrow();
    }

    @Override
    public void close() {
        device.close();
    }
}
