package dev.wgpr.client.systembus;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;

/**
 * A private connection to the system bus, for polkit and systemd-resolved. dbus-java takes some ten seconds
 * to give up on a bus whose socket does not exist (a container, a host without D-Bus), which every request
 * of a user that is not root, every {@code check} and every {@code doctor} would pay; so a bus whose
 * address names only Unix socket paths that do not exist is known to be absent without asking.
 */
public final class SystemBus {
    static final String DEFAULT_ADDRESS = "unix:path=/var/run/dbus/system_bus_socket";

    private SystemBus() {}

    /** A new connection (the caller closes it). */
    public static DBusConnection connect() throws DBusException {
        if (!mayExist(System.getenv())) {
            throw new DBusException("no system bus: " + address(System.getenv()) + " names no socket that exists");
        }
        return DBusConnectionBuilder.forSystemBus().withShared(false).build();
    }

    /** False when every address in {@code DBUS_SYSTEM_BUS_ADDRESS} (or the default) is a socket path that does not exist. */
    static boolean mayExist(Map<String, String> environment) {
        for (String address : address(environment).split(";")) {
            if (!address.startsWith("unix:")) {
                return true; // tcp, launchd, ...: only dbus-java can tell
            }
            Path path = null;
            for (String option : address.substring("unix:".length()).split(",")) {
                if (option.startsWith("path=")) {
                    path = Path.of(option.substring("path=".length()));
                }
            }
            if (path == null || Files.exists(path)) {
                return true; // an abstract socket, or one that is there
            }
        }
        return false;
    }

    private static String address(Map<String, String> environment) {
        String address = environment.get("DBUS_SYSTEM_BUS_ADDRESS");
        return address == null || address.isBlank() ? DEFAULT_ADDRESS : address;
    }
}
