package dev.wgpr.tunnel.device;

import dev.wgpr.common.net.IpPrefix;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Cryptokey routing: the longest prefix over all peers' allowed IPs, immutable (the device swaps in a new
 * table on every change, so the data path reads one without locking). One hash map per prefix length in
 * use, tried from the longest down: a few lengths in practice, so a lookup is a few hash probes.
 *
 * @param <T> what a prefix leads to (the device's peer)
 */
final class AllowedIps<T> {
    private final Level<T>[] v4;
    private final Level<T>[] v6;

    private record Level<T>(int length, Map<Object, T> entries) {}

    /** A 128-bit address as two longs, the key of IPv6 levels. */
    private record V6(long high, long low) {}

    private AllowedIps(Level<T>[] v4, Level<T>[] v6) {
        this.v4 = v4;
        this.v6 = v6;
    }

    static <T> AllowedIps<T> empty() {
        return of(Map.of());
    }

    /** A table of {@code routes}; a prefix appears once (it belongs to one peer). */
    static <T> AllowedIps<T> of(Map<IpPrefix, T> routes) {
        Map<Integer, Map<Object, T>> v4 = new HashMap<>();
        Map<Integer, Map<Object, T>> v6 = new HashMap<>();
        routes.forEach((prefix, value) -> {
            byte[] a = prefix.address().getAddress();
            if (prefix.isIpv4()) {
                v4.computeIfAbsent(prefix.length(), l -> new HashMap<>())
                        .put(v4Key(ByteBuffer.wrap(a).getInt(), prefix.length()), value);
            } else {
                ByteBuffer b = ByteBuffer.wrap(a);
                v6.computeIfAbsent(prefix.length(), l -> new HashMap<>())
                        .put(v6Key(b.getLong(0), b.getLong(8), prefix.length()), value);
            }
        });
        return new AllowedIps<>(levels(v4), levels(v6));
    }

    @SuppressWarnings("unchecked")
    private static <T> Level<T>[] levels(Map<Integer, Map<Object, T>> byLength) {
        List<Level<T>> levels = new ArrayList<>();
        for (int length : new TreeSet<>(byLength.keySet()).descendingSet()) {
            levels.add(new Level<>(length, Map.copyOf(byLength.get(length))));
        }
        return levels.toArray(Level[]::new);
    }

    /** The value of the longest prefix containing the IPv4 address {@code address}, or null. */
    T lookupV4(int address) {
        for (Level<T> level : v4) {
            T value = level.entries.get(v4Key(address, level.length));
            if (value != null) {
                return value;
            }
        }
        return null;
    }

    /** The value of the longest prefix containing the IPv6 address {@code high:low}, or null. */
    T lookupV6(long high, long low) {
        for (Level<T> level : v6) {
            T value = level.entries.get(v6Key(high, low, level.length));
            if (value != null) {
                return value;
            }
        }
        return null;
    }

    private static Integer v4Key(int address, int length) {
        return length == 0 ? 0 : address & (-1 << (32 - length));
    }

    private static V6 v6Key(long high, long low, int length) {
        if (length <= 64) {
            return new V6(length == 0 ? 0 : high & (-1L << (64 - length)), 0);
        }
        return new V6(high, length == 128 ? low : low & (-1L << (128 - length)));
    }
}
