package dev.wgpr.tunnel.uapi;

import dev.wgpr.tunnel.crypto.Key;
import dev.wgpr.tunnel.device.Backend;
import dev.wgpr.tunnel.device.PeerSettings;
import dev.wgpr.tunnel.device.PeerStatus;
import java.io.IOException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The UAPI socket's view of a live {@link Backend}: {@code set} requests become backend calls, {@code get}
 * reports the backend's truth where it differs from what was configured (the port it bound, the endpoints
 * peers roamed to, handshake times and byte counts).
 *
 * <p>The configuration itself lives in a {@link DeviceConfigStore}, so a request is validated as a whole
 * before anything changes; the store's listener then applies the difference between old and new to the
 * backend.
 */
public final class BackendDevice implements UapiDevice {
    private final Backend backend;
    private final DeviceConfigStore store;

    private BackendDevice(Backend backend) {
        this.backend = backend;
        DeviceConfig initial = new DeviceConfig(backend.privateKey(), 0, 0, List.of());
        this.store = new DeviceConfigStore(initial, this::configChanging, this::stats);
    }

    /** A UAPI device that drives {@code backend}; the backend should have no peers yet. */
    public static BackendDevice of(Backend backend) {
        return new BackendDevice(backend);
    }

    @Override
    public DeviceConfig config() {
        DeviceConfig config = store.config();
        Map<Key, PeerStatus> live = new HashMap<>();
        for (PeerStatus status : backend.peers()) {
            live.put(status.publicKey(), status);
        }
        List<PeerConfig> peers = config.peers().stream()
                .map(peer -> {
                    PeerStatus status = live.get(peer.publicKey());
                    if (status == null || status.endpoint().isEmpty()) {
                        return peer;
                    }
                    return new PeerConfig(
                            peer.publicKey(),
                            peer.presharedKey(),
                            status.endpoint(),
                            peer.persistentKeepaliveInterval(),
                            peer.allowedIps());
                })
                .toList();
        // Report the port actually bound, as wireguard-go does, also when none was asked for.
        return new DeviceConfig(config.privateKey(), backend.listenPort(), config.fwmark(), peers);
    }

    @Override
    public PeerStats stats(Key publicKey) {
        return backend.peer(publicKey)
                .map(status -> new PeerStats(
                        status.lastHandshake().map(BackendDevice::epochNanos).orElse(0L),
                        status.rxBytes(),
                        status.txBytes()))
                .orElse(PeerStats.NONE);
    }

    @Override
    public void apply(SetRequest request) throws UapiException {
        store.apply(request);
    }

    private void configChanging(DeviceConfig current, DeviceConfig next) throws UapiException {
        if (next.listenPort() != current.listenPort()
                && !(next.listenPort() == backend.listenPort() && next.listenPort() != 0)) {
            try {
                backend.setListenPort(next.listenPort());
            } catch (IOException e) {
                throw new UapiException(
                        UapiException.PORT_IN_USE,
                        "cannot listen on port " + next.listenPort() + ": " + e.getMessage());
            }
        }
        if (next.fwmark() != current.fwmark()) {
            try {
                backend.setFwmark(next.fwmark());
            } catch (IOException e) {
                throw new UapiException(
                        UapiException.PORT_IN_USE, "cannot set fwmark " + next.fwmark() + ": " + e.getMessage());
            }
        }
        for (PeerConfig peer : current.peers()) {
            if (next.peer(peer.publicKey()).isEmpty()) {
                backend.removePeer(peer.publicKey());
            }
        }
        if (!next.privateKey().equals(current.privateKey())) {
            backend.setPrivateKey(next.privateKey());
        }
        for (PeerConfig peer : next.peers()) {
            Optional<PeerConfig> before = current.peer(peer.publicKey());
            if (before.isPresent() && before.get().equals(peer)) {
                continue;
            }
            // Only a newly set endpoint is passed on: one the peer roamed to stays until the user sets another.
            Optional<java.net.InetSocketAddress> endpoint =
                    before.isPresent() && before.get().endpoint().equals(peer.endpoint())
                            ? Optional.empty()
                            : peer.endpoint();
            backend.setPeer(new PeerSettings(
                    peer.publicKey(),
                    peer.presharedKey(),
                    endpoint,
                    peer.persistentKeepaliveInterval(),
                    peer.allowedIps()));
        }
    }

    private static long epochNanos(Instant instant) {
        return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
    }
}
