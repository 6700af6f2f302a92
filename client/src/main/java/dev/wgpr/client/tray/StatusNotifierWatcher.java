package dev.wgpr.client.tray;

import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.interfaces.DBusInterface;

/**
 * {@code org.kde.StatusNotifierWatcher}: where an item registers so that the tray hosts show it. The tray
 * calls it; the tests implement it (a fake watcher). Public only because dbus-java proxies it by reflection.
 */
@DBusInterfaceName("org.kde.StatusNotifierWatcher")
@SuppressWarnings("checkstyle:MethodName") // the D-Bus members' own names
public interface StatusNotifierWatcher extends DBusInterface {
    String BUS_NAME = "org.kde.StatusNotifierWatcher";
    String OBJECT_PATH = "/StatusNotifierWatcher";

    void RegisterStatusNotifierItem(String service);

    void RegisterStatusNotifierHost(String service);
}
