package dev.wgpr.tunnel.uapi;

import dev.wgpr.tunnel.crypto.Key;
import dev.wgpr.tunnel.device.Backend;
import dev.wgpr.tunnel.device.DeviceConfig;
import dev.wgpr.tunnel.device.PeerSettings;
import dev.wgpr.tunnel.device.PeerStatus;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The UAPI socket's view of a live {@link Backend}: {@code set} requests and the daemon's typed
 * configuration become {@link Backend#configure} calls, {@code get} reports the backend's truth where it
 * differs from what was configured (the port it bound, the endpoints peers roamed to, handshake times and
 * byte counts).
 *
 * <p>The configuration itself lives in a {@link DeviceConfigStore}, so a request is validated as a whole
 * before anything changes; the store's listener then hands the new configuration to the backend.
 */
public final class BackendDevice implements UapiDevice {
    private final Backend backend;
    private final DeviceConfigStore store;

    private BackendDevice(Backend backend) {
        this.backend = backend;
        this.store = new DeviceConfigStore(backend.configuration(), this::configChanging, backend::peer);
    }

    /** A UAPI device that drives {@code backend}. */
    public static BackendDevice of(Backend backend) {
        return new BackendDevice(backend);
    }

    @Override
    public DeviceConfig config() {
        DeviceConfig config = store.config();
        Map<Key, PeerStatus> live =
                backend.peers().stream().collect(Collectors.toMap(PeerStatus::publicKey, Function.identity()));
        List<PeerSettings> peers = config.peers().stream()
                .map(peer -> Optional.ofNullable(live.get(peer.publicKey()))
                        .flatMap(status -> status.settings().endpoint())
                        .map(roamed -> peer.withEndpoint(Optional.of(roamed)))
                        .orElse(peer))
                .toList();
        // Report the port actually bound, as wireguard-go does, also when none was asked for.
        return new DeviceConfig(config.privateKey(), backend.listenPort(), config.fwmark(), peers);
    }

    @Override
    public Optional<PeerStatus> status(Key publicKey) {
        return backend.peer(publicKey);
    }

    @Override
    public void apply(SetRequest request) throws UapiException {
        store.apply(request);
    }

    /**
     * Replaces the whole configuration, as {@code wg setconf} would but typed: what the daemon calls, so that
     * {@code wg show} reports exactly what it set.
     */
    public void configure(DeviceConfig config) throws UapiException {
        store.replace(config);
    }

    private void configChanging(DeviceConfig current, DeviceConfig next) throws UapiException {
        try {
            backend.configure(next);
        } catch (IOException e) {
            throw new UapiException(UapiException.PORT_IN_USE, e.getMessage());
        }
    }
}
