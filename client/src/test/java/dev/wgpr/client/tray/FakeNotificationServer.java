package dev.wgpr.client.tray;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.types.UInt32;
import org.freedesktop.dbus.types.Variant;

/** A fake notification server: owns {@code org.freedesktop.Notifications} and records each Notify. */
public final class FakeNotificationServer implements Notifications, AutoCloseable {
    public record Shown(long id, long replaces, String summary, String body, List<String> actions) {}

    private final DBusConnection connection;
    private final AtomicInteger ids = new AtomicInteger();
    public final List<Shown> shown = new CopyOnWriteArrayList<>();

    private FakeNotificationServer(DBusConnection connection) {
        this.connection = connection;
    }

    public static FakeNotificationServer start(String address) throws DBusException {
        DBusConnection connection =
                DBusConnectionBuilder.forAddress(address).withShared(false).build();
        FakeNotificationServer server = new FakeNotificationServer(connection);
        connection.exportObject(OBJECT_PATH, server);
        connection.requestBusName(BUS_NAME);
        return server;
    }

    @Override
    public UInt32 Notify(
            String appName,
            UInt32 replacesId,
            String appIcon,
            String summary,
            String body,
            List<String> actions,
            Map<String, Variant<?>> hints,
            int expireTimeout) {
        long id = replacesId.longValue() != 0 ? replacesId.longValue() : ids.incrementAndGet();
        shown.add(new Shown(id, replacesId.longValue(), summary, body, List.copyOf(actions)));
        return new UInt32(id);
    }

    /** The user clicks {@code action} of notification {@code id}. */
    public void invoke(long id, String action) throws DBusException {
        connection.sendMessage(new ActionInvoked(OBJECT_PATH, new UInt32(id), action));
    }

    @Override
    public String getObjectPath() {
        return OBJECT_PATH;
    }

    @Override
    public void close() {
        connection.disconnect();
    }
}
