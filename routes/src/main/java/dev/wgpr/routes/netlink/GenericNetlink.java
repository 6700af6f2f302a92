package dev.wgpr.routes.netlink;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.OptionalInt;

/** Generic netlink ({@code NETLINK_GENERIC}) through libmnl: resolving families by name. */
public final class GenericNetlink implements AutoCloseable {
    private final NetlinkSocket socket;

    private GenericNetlink(NetlinkSocket socket) {
        this.socket = socket;
    }

    public static GenericNetlink open() throws ErrnoException {
        return new GenericNetlink(NetlinkSocket.open(Libmnl.NETLINK_GENERIC, "genetlink"));
    }

    /**
     * The id of the generic netlink family {@code name} ({@code CTRL_CMD_GETFAMILY}), or empty when the
     * kernel has no such family. Careful: when the family is missing, a kernel with module support
     * tries to load the module that provides it ({@code net-pf-16-proto-16-family-NAME}).
     */
    public OptionalInt familyId(String name) throws ErrnoException {
        return familyId(socket, name);
    }

    /** {@link #familyId(String)} on a generic netlink socket that goes on to talk to that family. */
    static OptionalInt familyId(NetlinkSocket socket, String name) throws ErrnoException {
        int[] id = {-1};
        try (Arena arena = Arena.ofConfined()) {
            NetlinkRequest request = socket.request(arena, Libmnl.GENL_ID_CTRL, Libmnl.NLM_F_ACK);
            var genl = request.putExtraHeader(Libmnl.GENLMSGHDR.byteSize());
            genl.set(ValueLayout.JAVA_BYTE, 0, Libmnl.CTRL_CMD_GETFAMILY);
            genl.set(ValueLayout.JAVA_BYTE, 1, (byte) 1); // version
            request.putStrz(Libmnl.CTRL_ATTR_FAMILY_NAME, name);
            socket.exchange(request, "CTRL_CMD_GETFAMILY " + name, message -> {
                if (message.type() == Libmnl.GENL_ID_CTRL) {
                    for (NetlinkMessage.Attribute attribute : message.attributes(Libmnl.GENLMSGHDR.byteSize())) {
                        if (attribute.type() == Libmnl.CTRL_ATTR_FAMILY_ID) {
                            id[0] = attribute.u16();
                        }
                    }
                }
            });
        } catch (ErrnoException e) {
            if (e.errno() == Libc.ENOENT) {
                return OptionalInt.empty();
            }
            throw e;
        }
        return id[0] < 0 ? OptionalInt.empty() : OptionalInt.of(id[0]);
    }

    @Override
    public void close() throws ErrnoException {
        socket.close();
    }
}
