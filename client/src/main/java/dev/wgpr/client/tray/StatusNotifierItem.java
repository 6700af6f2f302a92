package dev.wgpr.client.tray;

import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.messages.DBusSignal;

/**
 * {@code org.kde.StatusNotifierItem}: the tray item, as hosts (waybar, KDE, GNOME's AppIndicator extension)
 * read it. Its properties are served through {@code org.freedesktop.DBus.Properties} ({@link TrayItem}).
 * Public only because dbus-java exports and calls it by reflection.
 */
@DBusInterfaceName("org.kde.StatusNotifierItem")
@SuppressWarnings("checkstyle:MethodName") // the D-Bus members' own names
public interface StatusNotifierItem extends DBusInterface {
    String INTERFACE = "org.kde.StatusNotifierItem";

    void ContextMenu(int x, int y);

    void Activate(int x, int y);

    void SecondaryActivate(int x, int y);

    void Scroll(int delta, String orientation);

    /** The icon changed. */
    class NewIcon extends DBusSignal {
        public NewIcon(String path) throws DBusException {
            super(path);
        }
    }

    /** The tooltip changed. */
    class NewToolTip extends DBusSignal {
        public NewToolTip(String path) throws DBusException {
            super(path);
        }
    }

    /** The title changed. */
    class NewTitle extends DBusSignal {
        public NewTitle(String path) throws DBusException {
            super(path);
        }
    }

    /** The status changed ({@code Active}, {@code Passive}, {@code NeedsAttention}). */
    class NewStatus extends DBusSignal {
        public final String status;

        public NewStatus(String path, String status) throws DBusException {
            super(path, status);
            this.status = status;
        }
    }
}
