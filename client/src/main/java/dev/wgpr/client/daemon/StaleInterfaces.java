package dev.wgpr.client.daemon;

import dev.wgpr.client.config.BackendSetting;
import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.routes.netlink.Link;
import dev.wgpr.routes.netlink.RtNetlink;
import dev.wgpr.tunnel.uapi.UapiServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Which interfaces a daemon has up, recorded as {@code iface.NAME} files in the runtime directory, so
 * that the next daemon of the instance can tell what a crashed one left: its TUN interfaces (gone with
 * its process, unless something else holds them) and their UAPI sockets.
 */
final class StaleInterfaces {
    private static final String PREFIX = "iface.";

    private StaleInterfaces() {}

    /** Records {@code iface}, and whether it is a kernel WireGuard interface (which outlives a crash). */
    static void record(Instance instance, String iface, BackendSetting backend) throws IOException {
        Files.writeString(instance.runtimeDirectory().resolve(PREFIX + iface), iface + "\n" + backend.text() + "\n");
    }

    static boolean recordedAsKernel(Instance instance, String iface) {
        try {
            List<String> lines = Files.readAllLines(instance.runtimeDirectory().resolve(PREFIX + iface));
            return lines.size() > 1 && lines.get(1).equals(BackendSetting.KERNEL.text());
        } catch (IOException e) {
            return false;
        }
    }

    static void forget(Instance instance, String iface) throws IOException {
        Files.deleteIfExists(instance.runtimeDirectory().resolve(PREFIX + iface));
    }

    static List<String> recorded(Instance instance) {
        try (var files = Files.list(instance.runtimeDirectory())) {
            return files.map(f -> f.getFileName().toString())
                    .filter(n -> n.startsWith(PREFIX))
                    .map(n -> n.substring(PREFIX.length()))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    static void forgetAll(Instance instance) {
        for (String iface : recorded(instance)) {
            try {
                forget(instance, iface);
            } catch (IOException e) {
                // reported by the next start again
            }
        }
    }

    /**
     * Looks at what is left of {@code iface} and removes its dead UAPI socket, or, for a kernel WireGuard
     * interface (which does not end with the daemon's process), the interface; says what it found.
     */
    static String cleanUp(String iface, boolean kernel) {
        StringBuilder found = new StringBuilder("interface " + iface + " of a crashed daemon: ");
        try (RtNetlink rtnl = RtNetlink.open()) {
            Optional<Link> link = rtnl.link(iface);
            if (kernel && link.isPresent()) {
                rtnl.deleteLink(link.get().index());
                found.append("a kernel WireGuard interface, deleted");
            } else {
                found.append(
                        link.isPresent()
                                ? "still exists (held by another process; left alone)"
                                : "gone (a TUN interface ends with its process)");
            }
        } catch (ErrnoException e) {
            found.append("cannot look: ").append(e.getMessage());
        }
        Path socket = UapiServer.DEFAULT_SOCKET_DIR.resolve(iface + ".sock");
        if (Files.exists(socket)) {
            try {
                UnixSocket.connect(socket).close();
                found.append("; its UAPI socket is served by another process");
            } catch (ErrnoException e) {
                try {
                    Files.deleteIfExists(socket);
                    found.append("; removed its dead UAPI socket ").append(socket);
                } catch (IOException delete) {
                    found.append("; cannot remove its dead UAPI socket: ").append(delete.getMessage());
                }
            }
        }
        return found.toString();
    }
}
