package dev.wgpr.client.tray;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.Struct;
import org.freedesktop.dbus.annotations.Position;
import org.freedesktop.dbus.errors.UnknownProperty;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.types.Variant;

/**
 * The exported {@code org.kde.StatusNotifierItem} at {@link #PATH}: its properties through both {@code Get} and
 * {@code GetAll} (GNOME's AppIndicator extension asks for all at once, waybar one by one), a menu at {@link
 * TrayMenu#PATH} ({@code ItemIsMenu}: a click opens it). Public only because dbus-java calls it by
 * reflection.
 */
public final class TrayItem implements StatusNotifierItem, Properties {
    static final String PATH = "/StatusNotifierItem";

    private final String title;
    private final Consumer<String> activated;
    private final Optional<Path> icons;
    private volatile Menu.Icon icon = Menu.Icon.DISCONNECTED;
    private volatile String tooltip = "";

    /** {@code icons}: the directory of wg-pr's own icons, when they are there; else the theme's are named. */
    TrayItem(String title, Consumer<String> activated, Optional<Path> icons) {
        this.title = title;
        this.activated = activated;
        this.icons = icons;
    }

    private String name(Menu.Icon shown) {
        return icons.isPresent() ? shown.ownName : shown.themeName;
    }

    /** {@code (sa(iiay)ss)}: icon name, pixmaps, title, text. */
    public static final class ToolTip extends Struct {
        @Position(0)
        public final String iconName;

        @Position(1)
        public final List<Pixmaps.Pixmap> pixmaps;

        @Position(2)
        public final String title;

        @Position(3)
        public final String text;

        public ToolTip(String iconName, List<Pixmaps.Pixmap> pixmaps, String title, String text) {
            this.iconName = iconName;
            this.pixmaps = pixmaps;
            this.title = title;
            this.text = text;
        }
    }

    /** Sets the icon; true when it changed. */
    boolean icon(Menu.Icon now) {
        Menu.Icon before = icon;
        icon = now;
        return before != now;
    }

    Menu.Icon icon() {
        return icon;
    }

    /** Sets the tooltip's text; true when it changed. */
    boolean tooltip(String now) {
        String before = tooltip;
        tooltip = now;
        return !before.equals(now);
    }

    /** Every property, as GetAll gives them. */
    Map<String, Variant<?>> properties() {
        Map<String, Variant<?>> all = new LinkedHashMap<>();
        all.put("Category", new Variant<>("Communications"));
        all.put("Id", new Variant<>("wg-pr"));
        all.put("Title", new Variant<>(title));
        all.put("Status", new Variant<>(icon == Menu.Icon.DENIED ? "NeedsAttention" : "Active"));
        all.put("WindowId", new Variant<>(0));
        all.put("IconThemePath", new Variant<>(icons.map(Path::toString).orElse("")));
        all.put("IconName", new Variant<>(name(icon)));
        all.put("IconPixmap", Pixmaps.variant(icon));
        all.put("OverlayIconName", new Variant<>(""));
        all.put("OverlayIconPixmap", Pixmaps.none());
        all.put("AttentionIconName", new Variant<>(name(icon)));
        all.put("AttentionIconPixmap", Pixmaps.variant(icon));
        all.put("AttentionMovieName", new Variant<>(""));
        all.put("ToolTip", new Variant<>(new ToolTip(name(icon), List.of(), title, tooltip)));
        all.put("ItemIsMenu", new Variant<>(true));
        all.put("Menu", new Variant<>(new DBusPath(TrayMenu.PATH)));
        return all;
    }

    @Override
    @SuppressWarnings("unchecked") // a property's value is a variant of its own type
    public <A> A Get(String interfaceName, String propertyName) {
        Variant<?> value = INTERFACE.equals(interfaceName) ? properties().get(propertyName) : null;
        if (value == null) {
            throw new UnknownProperty("no property " + propertyName + " in " + interfaceName);
        }
        return (A) value;
    }

    @Override
    public Map<String, Variant<?>> GetAll(String interfaceName) {
        return INTERFACE.equals(interfaceName) ? properties() : Map.of();
    }

    @Override
    public <A> void Set(String interfaceName, String propertyName, A value) {
        throw new org.freedesktop.dbus.errors.PropertyReadOnly(propertyName + " is read-only");
    }

    @Override
    public void ContextMenu(int x, int y) {
        activated.accept("context-menu");
    }

    @Override
    public void Activate(int x, int y) {
        activated.accept("activate");
    }

    @Override
    public void SecondaryActivate(int x, int y) {
        activated.accept("secondary-activate");
    }

    @Override
    public void Scroll(int delta, String orientation) {
        // nothing to scroll
    }

    @Override
    public String getObjectPath() {
        return PATH;
    }
}
