package dev.wgpr.routes.netlink;

import dev.wgpr.tunnel.crypto.Key;
import dev.wgpr.tunnel.device.PeerStatus;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A kernel WireGuard interface as {@code WG_CMD_GET_DEVICE} reports it, its dump's messages merged.
 *
 * @param privateKey empty when none is set
 * @param peers in the kernel's order, each with all its allowed IPs
 */
public record WireGuardDevice(
        int index, String name, Optional<Key> privateKey, int listenPort, long fwmark, List<PeerStatus> peers) {
    public WireGuardDevice {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(privateKey, "privateKey");
        peers = List.copyOf(peers);
    }
}
