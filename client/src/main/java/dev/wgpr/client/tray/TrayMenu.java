package dev.wgpr.client.tray;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.freedesktop.dbus.errors.UnknownProperty;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.types.UInt32;
import org.freedesktop.dbus.types.Variant;

/**
 * The exported {@code com.canonical.dbusmenu} at {@link #PATH}: a flat menu under the root (id 0) whose items
 * keep their id while their entry ({@link Menu.Entry#key}) stays, so a click on a menu opened before a
 * change still does what it showed. {@code clicked} events run their entry's action. Public only because
 * dbus-java calls it by reflection.
 */
public final class TrayMenu implements DBusMenu, Properties {
    static final String PATH = "/MenuBar";

    private final Consumer<Menu.Action> clicked;
    private final Runnable aboutToShow;
    private final Map<String, Integer> ids = new ConcurrentHashMap<>();
    private int lastId;
    private volatile Shown shown = new Shown(1, List.of());

    /** The entries shown since {@code revision}. */
    private record Shown(long revision, List<Menu.Entry> entries) {}

    TrayMenu(Consumer<Menu.Action> clicked, Runnable aboutToShow) {
        this.clicked = clicked;
        this.aboutToShow = aboutToShow;
    }

    /** Shows {@code entries}; the new revision when they differ from those shown, else 0. */
    synchronized long show(List<Menu.Entry> entries) {
        if (entries.equals(shown.entries())) {
            return 0;
        }
        for (Menu.Entry entry : entries) {
            if (!ids.containsKey(entry.key())) {
                ids.put(entry.key(), ++lastId);
            }
        }
        shown = new Shown(shown.revision() + 1, List.copyOf(entries));
        return shown.revision();
    }

    long revision() {
        return shown.revision();
    }

    private Map<String, Variant<?>> properties(Menu.Entry entry, List<String> names) {
        Map<String, Variant<?>> all = new LinkedHashMap<>();
        if (entry.separator()) {
            all.put("type", new Variant<>("separator"));
        } else {
            all.put("label", new Variant<>(entry.label().replace("_", "__"))); // '_' marks an access key
            all.put("enabled", new Variant<>(entry.enabled()));
        }
        all.put("visible", new Variant<>(true));
        return only(all, names);
    }

    private static Map<String, Variant<?>> rootProperties(List<String> names) {
        Map<String, Variant<?>> all = new LinkedHashMap<>();
        all.put("children-display", new Variant<>("submenu"));
        return only(all, names);
    }

    private static Map<String, Variant<?>> only(Map<String, Variant<?>> all, List<String> names) {
        if (names == null || names.isEmpty()) {
            return all;
        }
        Map<String, Variant<?>> some = new LinkedHashMap<>();
        for (String name : names) {
            if (all.containsKey(name)) {
                some.put(name, all.get(name));
            }
        }
        return some;
    }

    private Menu.Entry entry(Shown now, int id) {
        for (Menu.Entry entry : now.entries()) {
            if (ids.get(entry.key()) == id) {
                return entry;
            }
        }
        return null;
    }

    private Layout layout(Shown now, Menu.Entry entry, List<String> names) {
        return new Layout(ids.get(entry.key()), properties(entry, names), List.of());
    }

    @Override
    public Pair<UInt32, Layout> GetLayout(int parentId, int recursionDepth, List<String> propertyNames) {
        Shown now = shown;
        UInt32 revision = new UInt32(now.revision());
        if (parentId != 0) {
            Menu.Entry entry = entry(now, parentId);
            if (entry == null) {
                throw new DBusExecutionException("no menu item " + parentId);
            }
            return new Pair<>(revision, layout(now, entry, propertyNames));
        }
        List<Variant<?>> children = new ArrayList<>();
        if (recursionDepth != 0) {
            for (Menu.Entry entry : now.entries()) {
                children.add(new Variant<>(layout(now, entry, propertyNames), Layout.SIGNATURE));
            }
        }
        return new Pair<>(revision, new Layout(0, rootProperties(propertyNames), children));
    }

    @Override
    public List<ItemProperties> GetGroupProperties(List<Integer> ids, List<String> propertyNames) {
        Shown now = shown;
        List<ItemProperties> found = new ArrayList<>();
        for (int id : ids) {
            if (id == 0) {
                found.add(new ItemProperties(0, rootProperties(propertyNames)));
            } else {
                Menu.Entry entry = entry(now, id);
                if (entry != null) {
                    found.add(new ItemProperties(id, properties(entry, propertyNames)));
                }
            }
        }
        return found;
    }

    @Override
    public Variant<?> GetProperty(int id, String name) {
        Shown now = shown;
        Map<String, Variant<?>> properties;
        if (id == 0) {
            properties = rootProperties(List.of());
        } else {
            Menu.Entry entry = entry(now, id);
            if (entry == null) {
                throw new DBusExecutionException("no menu item " + id);
            }
            properties = properties(entry, List.of());
        }
        Variant<?> value = properties.get(name);
        if (value == null) {
            throw new UnknownProperty("menu item " + id + " has no property " + name);
        }
        return value;
    }

    @Override
    public void Event(int id, String eventId, Variant<?> data, UInt32 timestamp) {
        if (!"clicked".equals(eventId)) {
            return; // opened, closed, hovered: nothing to do
        }
        Menu.Entry entry = entry(shown, id);
        if (entry != null && entry.enabled()) {
            entry.action().ifPresent(clicked);
        }
    }

    @Override
    public List<Integer> EventGroup(List<EventItem> events) {
        List<Integer> errors = new ArrayList<>();
        for (EventItem event : events) {
            if (event.id != 0 && entry(shown, event.id) == null) {
                errors.add(event.id);
            } else {
                Event(event.id, event.eventId, event.data, event.timestamp);
            }
        }
        return errors;
    }

    @Override
    public boolean AboutToShow(int id) {
        long before = shown.revision();
        aboutToShow.run(); // a fresh status, so the menu that opens is up to date
        return shown.revision() != before;
    }

    @Override
    public Pair<List<Integer>, List<Integer>> AboutToShowGroup(List<Integer> ids) {
        boolean changed = AboutToShow(0);
        return new Pair<>(changed ? List.copyOf(ids) : List.of(), List.of());
    }

    @Override
    @SuppressWarnings("unchecked") // a property's value is a variant of its own type
    public <A> A Get(String interfaceName, String propertyName) {
        Variant<?> value = INTERFACE.equals(interfaceName) ? menuProperties().get(propertyName) : null;
        if (value == null) {
            throw new UnknownProperty("no property " + propertyName + " in " + interfaceName);
        }
        return (A) value;
    }

    @Override
    public Map<String, Variant<?>> GetAll(String interfaceName) {
        return INTERFACE.equals(interfaceName) ? menuProperties() : Map.of();
    }

    private static Map<String, Variant<?>> menuProperties() {
        Map<String, Variant<?>> all = new LinkedHashMap<>();
        all.put("Version", new Variant<>(new UInt32(3)));
        all.put("TextDirection", new Variant<>("ltr"));
        all.put("Status", new Variant<>("normal"));
        all.put("IconThemePath", new Variant<>(List.of(), "as"));
        return all;
    }

    @Override
    public <A> void Set(String interfaceName, String propertyName, A value) {
        throw new org.freedesktop.dbus.errors.PropertyReadOnly(propertyName + " is read-only");
    }

    @Override
    public String getObjectPath() {
        return PATH;
    }
}
