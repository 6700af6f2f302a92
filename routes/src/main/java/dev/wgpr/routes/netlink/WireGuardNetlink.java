package dev.wgpr.routes.netlink;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The kernel WireGuard's generic netlink family ({@code wireguard}): reading a device ({@code
 * WG_CMD_GET_DEVICE}) and changing it ({@code WG_CMD_SET_DEVICE}), as {@code wg(8)} does. Needs {@code
 * CAP_NET_ADMIN} for both (the private key is part of what a get returns).
 */
final class WireGuardNetlink implements AutoCloseable {
    /** A dump the kernel interrupted because the device changed meanwhile is read again, this often. */
    private static final int DUMP_ATTEMPTS = 5;

    private final NetlinkSocket socket;
    private final short family;

    private WireGuardNetlink(NetlinkSocket socket, short family) {
        this.socket = socket;
        this.family = family;
    }

    /**
     * The family resolved on a new socket, or empty when this kernel has no WireGuard (the lookup asks the
     * kernel to load the module first, as {@code ip link add type wireguard} would).
     */
    static Optional<WireGuardNetlink> open() throws ErrnoException {
        NetlinkSocket socket = NetlinkSocket.open(Libmnl.NETLINK_GENERIC, "genetlink wireguard");
        try {
            OptionalInt family = GenericNetlink.familyId(socket, Libmnl.WG_GENL_NAME);
            if (family.isEmpty()) {
                socket.close();
                return Optional.empty();
            }
            return Optional.of(new WireGuardNetlink(socket, (short) family.getAsInt()));
        } catch (ErrnoException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** The WireGuard interface {@code name}, or empty when there is none. */
    Optional<WireGuardDevice> device(String name) throws ErrnoException {
        for (int attempt = 1; ; attempt++) {
            WireGuardDump dump = new WireGuardDump(Short.toUnsignedInt(family));
            try (Arena arena = Arena.ofConfined()) {
                NetlinkRequest request = socket.request(arena, family, Libmnl.NLM_F_DUMP);
                WireGuardMessages.getDevice(request, name);
                socket.exchange(request, "WG_CMD_GET_DEVICE " + name, dump::accept);
                return Optional.of(dump.device());
            } catch (ErrnoException e) {
                if (e.errno() == Libc.ENODEV) {
                    return Optional.empty();
                }
                if (e.errno() != Libc.EINTR || attempt == DUMP_ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    /** Applies {@code set}, in as many messages as it takes; each is acknowledged before the next goes. */
    void set(WireGuardSet set) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            List<NetlinkRequest> messages =
                    WireGuardMessages.setDevice(() -> socket.request(arena, family, Libmnl.NLM_F_ACK), set);
            for (int i = 0; i < messages.size(); i++) {
                socket.exchange(
                        messages.get(i),
                        "WG_CMD_SET_DEVICE " + set.interfaceName() + " (message " + (i + 1) + " of " + messages.size()
                                + ")",
                        ignored -> {});
            }
        }
    }

    @Override
    public void close() throws ErrnoException {
        socket.close();
    }
}
