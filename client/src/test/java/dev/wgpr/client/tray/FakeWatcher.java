package dev.wgpr.client.tray;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;

/**
 * A fake tray host's watcher: owns {@code org.kde.StatusNotifierWatcher} on its own connection and records
 * who registers. Closing it drops the connection and so the name, as a host that dies.
 */
public final class FakeWatcher implements StatusNotifierWatcher, AutoCloseable {
    private final DBusConnection connection;
    public final List<String> items = new CopyOnWriteArrayList<>();

    private FakeWatcher(DBusConnection connection) {
        this.connection = connection;
    }

    public static FakeWatcher start(String address) throws DBusException {
        DBusConnection connection =
                DBusConnectionBuilder.forAddress(address).withShared(false).build();
        FakeWatcher watcher = new FakeWatcher(connection);
        connection.exportObject(OBJECT_PATH, watcher);
        connection.requestBusName(BUS_NAME);
        return watcher;
    }

    @Override
    public void RegisterStatusNotifierItem(String service) {
        items.add(service);
    }

    @Override
    public void RegisterStatusNotifierHost(String service) {}

    @Override
    public String getObjectPath() {
        return OBJECT_PATH;
    }

    @Override
    public void close() {
        connection.disconnect();
    }
}
