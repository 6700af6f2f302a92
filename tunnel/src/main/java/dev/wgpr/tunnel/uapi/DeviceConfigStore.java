package dev.wgpr.tunnel.uapi;

import dev.wgpr.tunnel.crypto.Key;
import java.util.Objects;
import java.util.function.Function;

/**
 * The device's configuration: the one place it lives. {@code set} requests replace it as a whole,
 * so readers always see a consistent {@link DeviceConfig} without locking.
 *
 * <p>The device learns of each change through a {@link ChangeListener}, which runs before the new
 * configuration is published and can veto it (a port already in use): then nothing changes, and the
 * client gets the listener's errno.
 */
public final class DeviceConfigStore implements UapiDevice {
    /** Told of every change before it is published; throwing refuses the change. */
    @FunctionalInterface
    public interface ChangeListener {
        void configChanging(DeviceConfig current, DeviceConfig next) throws UapiException;
    }

    private static final ChangeListener ACCEPT_ALL = (current, next) -> {};

    private final Object writeLock = new Object();
    private final ChangeListener listener;
    private final Function<Key, PeerStats> stats;
    private volatile DeviceConfig config;

    /** A store for a device that is not running: no listener, no traffic. */
    public DeviceConfigStore() {
        this(DeviceConfig.EMPTY, ACCEPT_ALL, key -> PeerStats.NONE);
    }

    /**
     * @param stats live counters by peer public key, from the running device
     */
    public DeviceConfigStore(DeviceConfig initial, ChangeListener listener, Function<Key, PeerStats> stats) {
        this.config = Objects.requireNonNull(initial, "initial");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.stats = Objects.requireNonNull(stats, "stats");
    }

    @Override
    public DeviceConfig config() {
        return config;
    }

    @Override
    public PeerStats stats(Key publicKey) {
        return stats.apply(publicKey);
    }

    @Override
    public void apply(SetRequest request) throws UapiException {
        // Serialized so that two concurrent requests never both start from the same old config.
        synchronized (writeLock) {
            DeviceConfig current = config;
            DeviceConfig next = request.applyTo(current);
            if (next == current) {
                return;
            }
            listener.configChanging(current, next);
            config = next;
        }
    }
}
