package dev.wgpr.client.tray;

import java.util.List;
import java.util.Map;
import org.freedesktop.dbus.Struct;
import org.freedesktop.dbus.Tuple;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.annotations.Position;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.messages.DBusSignal;
import org.freedesktop.dbus.types.UInt32;
import org.freedesktop.dbus.types.Variant;

/**
 * {@code com.canonical.dbusmenu} (version 3): the item's menu, as libdbusmenu (waybar, KDE) and GNOME's
 * AppIndicator extension read it. Public only because dbus-java exports and calls it by reflection.
 */
@DBusInterfaceName("com.canonical.dbusmenu")
@SuppressWarnings("checkstyle:MethodName") // the D-Bus members' own names
public interface DBusMenu extends DBusInterface {
    String INTERFACE = "com.canonical.dbusmenu";

    /** {@code GetLayout(i parentId, i recursionDepth, as propertyNames) -> (u revision, (ia{sv}av) layout)}. */
    Pair<UInt32, Layout> GetLayout(int parentId, int recursionDepth, List<String> propertyNames);

    /** {@code GetGroupProperties(ai ids, as propertyNames) -> a(ia{sv})}. */
    List<ItemProperties> GetGroupProperties(List<Integer> ids, List<String> propertyNames);

    Variant<?> GetProperty(int id, String name);

    void Event(int id, String eventId, Variant<?> data, UInt32 timestamp);

    /** {@code EventGroup(a(isvu) events) -> ai idErrors}. */
    List<Integer> EventGroup(List<EventItem> events);

    boolean AboutToShow(int id);

    /** {@code AboutToShowGroup(ai ids) -> (ai updatesNeeded, ai idErrors)}. */
    Pair<List<Integer>, List<Integer>> AboutToShowGroup(List<Integer> ids);

    /** {@code (ia{sv}av)}: an item, its properties and its children (each a variant of the same). */
    final class Layout extends Struct {
        public static final String SIGNATURE = "(ia{sv}av)";

        @Position(0)
        public final int id;

        @Position(1)
        public final Map<String, Variant<?>> properties;

        @Position(2)
        public final List<Variant<?>> children;

        public Layout(int id, Map<String, Variant<?>> properties, List<Variant<?>> children) {
            this.id = id;
            this.properties = properties;
            this.children = children;
        }
    }

    /**
     * Two answers of one method (GetLayout, AboutToShowGroup). Generic because dbus-java reads a tuple's
     * signature from the method's return type.
     */
    final class Pair<A, B> extends Tuple {
        @Position(0)
        public final A first;

        @Position(1)
        public final B second;

        public Pair(A first, B second) {
            this.first = first;
            this.second = second;
        }
    }

    /** {@code (ia{sv})}. */
    final class ItemProperties extends Struct {
        @Position(0)
        public final int id;

        @Position(1)
        public final Map<String, Variant<?>> properties;

        public ItemProperties(int id, Map<String, Variant<?>> properties) {
            this.id = id;
            this.properties = properties;
        }
    }

    /** {@code (isvu)}: one event of EventGroup. */
    final class EventItem extends Struct {
        @Position(0)
        public final int id;

        @Position(1)
        public final String eventId;

        @Position(2)
        public final Variant<?> data;

        @Position(3)
        public final UInt32 timestamp;

        public EventItem(int id, String eventId, Variant<?> data, UInt32 timestamp) {
            this.id = id;
            this.eventId = eventId;
            this.data = data;
            this.timestamp = timestamp;
        }
    }

    /** The layout changed under {@code parent} (0: all of it), now at {@code revision}. */
    class LayoutUpdated extends DBusSignal {
        public final UInt32 revision;
        public final int parent;

        public LayoutUpdated(String path, UInt32 revision, int parent) throws DBusException {
            super(path, revision, parent);
            this.revision = revision;
            this.parent = parent;
        }
    }
}
