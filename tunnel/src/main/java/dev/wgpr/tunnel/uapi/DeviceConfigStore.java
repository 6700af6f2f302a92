package dev.wgpr.tunnel.uapi;

import dev.wgpr.tunnel.crypto.Key;
import dev.wgpr.tunnel.device.DeviceConfig;
import dev.wgpr.tunnel.device.PeerStatus;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * The device's configuration: the one place it lives. {@code set} requests replace it as a whole,
 * so readers always see a consistent {@link DeviceConfig} without locking.
 *
 * <p>The device learns of each change through a {@link ChangeListener}, which runs before the new
 * configuration is published and can veto it (a port already in use): then nothing changes, and the
 * client gets the listener's errno.
 */
final class DeviceConfigStore implements UapiDevice {
    /** Told of every change before it is published; throwing refuses the change. */
    @FunctionalInterface
    public interface ChangeListener {
        void configChanging(DeviceConfig current, DeviceConfig next) throws UapiException;
    }

    private static final ChangeListener ACCEPT_ALL = (current, next) -> {};

    private final Object writeLock = new Object();
    private final ChangeListener listener;
    private final Function<Key, Optional<PeerStatus>> status;
    private volatile DeviceConfig config;

    /** A store for a device that is not running: no listener, no traffic. */
    public DeviceConfigStore() {
        this(DeviceConfig.EMPTY, ACCEPT_ALL, key -> Optional.empty());
    }

    /**
     * @param status a peer as it runs, by public key, from the running device
     */
    public DeviceConfigStore(
            DeviceConfig initial, ChangeListener listener, Function<Key, Optional<PeerStatus>> status) {
        this.config = Objects.requireNonNull(initial, "initial");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.status = Objects.requireNonNull(status, "status");
    }

    @Override
    public DeviceConfig config() {
        return config;
    }

    @Override
    public Optional<PeerStatus> status(Key publicKey) {
        return status.apply(publicKey);
    }

    @Override
    public void apply(SetRequest request) throws UapiException {
        change(request::applyTo);
    }

    /** Replaces the whole configuration with {@code next}: the typed counterpart of {@code set=1}. */
    public void replace(DeviceConfig next) throws UapiException {
        change(current -> next);
    }

    private void change(UnaryOperator<DeviceConfig> step) throws UapiException {
        // Serialized so that two concurrent changes never both start from the same old config.
        synchronized (writeLock) {
            DeviceConfig current = config;
            DeviceConfig next = step.apply(current);
            if (next == current || next.equals(current)) {
                return;
            }
            listener.configChanging(current, next);
            config = next;
        }
    }
}
