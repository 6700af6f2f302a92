package dev.wgpr.client.tray;

import java.util.List;
import org.freedesktop.dbus.Struct;
import org.freedesktop.dbus.annotations.Position;
import org.freedesktop.dbus.types.Variant;

/**
 * The item's icons as pixmaps ({@code a(iiay)}: width, height, ARGB32 in network byte order), for hosts that
 * do not find the themed icon: a disc in the state's colour with a white ring. Public only because dbus-java
 * marshals the struct by reflection.
 */
public final class Pixmaps {
    static final String SIGNATURE = "a(iiay)";

    private static final int[] SIZES = {16, 22, 24, 32, 48};

    private Pixmaps() {}

    /** {@code (iiay)}. */
    public static final class Pixmap extends Struct {
        @Position(0)
        public final int width;

        @Position(1)
        public final int height;

        @Position(2)
        public final byte[] data;

        public Pixmap(int width, int height, byte[] data) {
            this.width = width;
            this.height = height;
            this.data = data;
        }
    }

    /** The disc of {@code icon} in every size. */
    static List<Pixmap> of(Menu.Icon icon) {
        return java.util.Arrays.stream(SIZES)
                .mapToObj(size -> disc(size, icon.argb))
                .toList();
    }

    static Variant<?> variant(Menu.Icon icon) {
        return new Variant<>(of(icon), SIGNATURE);
    }

    static Variant<?> none() {
        return new Variant<>(List.of(), SIGNATURE);
    }

    private static Pixmap disc(int size, int argb) {
        byte[] data = new byte[size * size * 4];
        double centre = (size - 1) / 2.0;
        double outer = size / 2.0 - 0.5;
        double ring = outer - Math.max(1.5, size / 10.0);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                double distance = Math.hypot(x - centre, y - centre);
                int pixel = distance > outer ? 0 : distance > ring ? 0xffffffff : argb;
                int at = (y * size + x) * 4;
                data[at] = (byte) (pixel >>> 24);
                data[at + 1] = (byte) (pixel >>> 16);
                data[at + 2] = (byte) (pixel >>> 8);
                data[at + 3] = (byte) pixel;
            }
        }
        return new Pixmap(size, size, data);
    }
}
