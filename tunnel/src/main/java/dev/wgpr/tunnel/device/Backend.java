package dev.wgpr.tunnel.device;

import dev.wgpr.tunnel.crypto.Key;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * A running WireGuard interface, whatever implements it: the userspace {@link Device}, or a kernel WireGuard
 * interface driven over generic netlink ({@code WG_CMD_SET_DEVICE} takes a whole {@link DeviceConfig}'s
 * worth of attributes, {@code WG_CMD_GET_DEVICE} returns what {@link #peers()} does). Callers (the UAPI
 * socket, the daemon) configure and observe it only through this interface, so another backend plugs in
 * without touching them.
 */
public interface Backend extends AutoCloseable {
    /** The network interface's name, e.g. {@code wg0}. */
    String interfaceName();

    /** The configuration last given to {@link #configure} (none: no key, no peers). */
    DeviceConfig configuration();

    /**
     * Makes the interface's configuration {@code config}, as one step: peers it lacks are removed (their keys
     * zeroed), the others added or updated; a peer that stays keeps its sessions. A peer's endpoint changes
     * only when it differs from the one configured before, so one the peer roamed to stays until another is
     * set. A new private key ends all sessions; a peer with its own public key is kept but never completes a
     * handshake.
     *
     * @throws IOException when the listen port or the fwmark cannot be set; nothing else has changed then
     */
    void configure(DeviceConfig config) throws IOException;

    /** The UDP port the interface listens on: the one it bound, also when the configuration chose none. */
    int listenPort();

    /** Every peer as it runs now, in the order they were added. */
    List<PeerStatus> peers();

    default Optional<PeerStatus> peer(Key publicKey) {
        return peers().stream().filter(p -> p.publicKey().equals(publicKey)).findFirst();
    }

    /** Waits until the interface stops: closed, or deleted from outside (e.g. {@code ip link del}). */
    void awaitTermination() throws InterruptedException;

    /** Stops the interface and removes it. */
    @Override
    void close();
}
