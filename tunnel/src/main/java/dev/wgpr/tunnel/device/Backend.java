package dev.wgpr.tunnel.device;

import dev.wgpr.tunnel.crypto.Key;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * A running WireGuard interface, whatever implements it: the userspace {@link Device} today, a kernel
 * WireGuard interface driven over generic netlink later. Callers (the UAPI socket, the daemon) configure
 * and observe it only through this interface, so another backend plugs in without touching them.
 */
public interface Backend extends AutoCloseable {
    /** The network interface's name, e.g. {@code wg0}. */
    String interfaceName();

    Optional<Key> privateKey();

    /**
     * Sets the interface's private key (empty removes it: no handshakes, no traffic). Changing it ends all
     * sessions; a peer with the new key's own public key is kept but can never complete a handshake.
     */
    void setPrivateKey(Optional<Key> privateKey);

    /** The UDP port the interface listens on. */
    int listenPort();

    /** Moves to UDP port {@code port} (0: any free port) on IPv4 and IPv6. */
    void setListenPort(int port) throws IOException;

    /** The mark set on the interface's outgoing UDP packets (for policy routing); 0 = none. */
    long fwmark();

    /** Sets the fwmark ({@code SO_MARK}) of the UDP socket; 0 clears it. */
    void setFwmark(long mark) throws IOException;

    /** Adds the peer, or updates it if the interface has one with that public key (its sessions stay). */
    void setPeer(PeerSettings settings);

    /** Removes the peer with {@code publicKey}, zeroing its keys; nothing if there is none. */
    void removePeer(Key publicKey);

    /** Every peer, in the order they were added. */
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
