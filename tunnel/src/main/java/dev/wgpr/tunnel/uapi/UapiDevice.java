package dev.wgpr.tunnel.uapi;

import dev.wgpr.tunnel.crypto.Key;
import dev.wgpr.tunnel.device.DeviceConfig;
import dev.wgpr.tunnel.device.PeerStatus;
import java.util.Optional;

/**
 * What the UAPI socket needs from a WireGuard device: its configuration and live counters for
 * {@code get=1}, and one atomic step for {@code set=1}. {@link DeviceConfigStore} is the standard
 * implementation; a device plugs its own behaviour in through the store's listener and statistics.
 */
interface UapiDevice {
    /** The current configuration, consistent in itself. */
    DeviceConfig config();

    /** A peer as it runs (live counters); empty for a peer the device has not met. */
    Optional<PeerStatus> status(Key publicKey);

    /**
     * Applies a whole request or nothing.
     *
     * @throws UapiException when the device refuses the result (e.g. {@link
     *     UapiException#PORT_IN_USE}); the configuration is then unchanged
     */
    void apply(SetRequest request) throws UapiException;
}
