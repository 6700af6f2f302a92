package dev.wgpr.client.control;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Immutable copies that keep their order: {@code Map.copyOf} would shuffle a counter map at every copy, so the
 * same status would print its counters in another order each time (status --json is read by people too).
 */
final class OrderedMaps {
    private OrderedMaps() {}

    static <V> Map<String, V> copy(Map<String, V> map) {
        return Collections.unmodifiableMap(new LinkedHashMap<>(map));
    }
}
