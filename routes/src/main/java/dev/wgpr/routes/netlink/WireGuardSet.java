package dev.wgpr.routes.netlink;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.tunnel.crypto.Key;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * What one {@code WG_CMD_SET_DEVICE} changes on a kernel WireGuard interface, before {@link
 * WireGuardMessages#setDevice} splits it into messages that fit. An empty field is left as it is.
 *
 * @param privateKey an all-zero key removes the private key
 * @param replacePeers {@code WGDEVICE_F_REPLACE_PEERS}: every peer not in {@code peers} goes
 */
record WireGuardSet(
        String interfaceName,
        Optional<Key> privateKey,
        OptionalInt listenPort,
        OptionalLong fwmark,
        boolean replacePeers,
        List<PeerSet> peers) {
    WireGuardSet {
        Objects.requireNonNull(interfaceName, "interfaceName");
        peers = List.copyOf(peers);
    }

    /**
     * One peer's part: created unless {@link Libmnl#WGPEER_F_UPDATE_ONLY}, removed with {@link
     * Libmnl#WGPEER_F_REMOVE_ME}, its allowed IPs replaced by {@code allowedIps} with {@link
     * Libmnl#WGPEER_F_REPLACE_ALLOWEDIPS} (else added to them).
     *
     * @param presharedKey an all-zero key removes it
     */
    record PeerSet(
            Key publicKey,
            int flags,
            Optional<Key> presharedKey,
            Optional<InetSocketAddress> endpoint,
            OptionalInt persistentKeepalive,
            List<IpPrefix> allowedIps) {
        PeerSet {
            Objects.requireNonNull(publicKey, "publicKey");
            endpoint.ifPresent(address -> {
                if (address.isUnresolved()) {
                    throw new IllegalArgumentException("endpoint " + address + " is not resolved");
                }
            });
            allowedIps = List.copyOf(allowedIps);
        }

        static PeerSet remove(Key publicKey) {
            return new PeerSet(
                    publicKey,
                    Libmnl.WGPEER_F_REMOVE_ME,
                    Optional.empty(),
                    Optional.empty(),
                    OptionalInt.empty(),
                    List.of());
        }
    }
}
