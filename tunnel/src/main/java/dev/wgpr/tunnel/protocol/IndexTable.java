package dev.wgpr.tunnel.protocol;

import java.security.SecureRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Our local session indices: random 32-bit values, unique among live entries, each naming either a {@link
 * Peer} with an initiation in flight or a {@link Keypair}. Thread-safe.
 */
final class IndexTable {
    private final ConcurrentHashMap<Integer, Object> entries = new ConcurrentHashMap<>();
    private final SecureRandom random;

    IndexTable(SecureRandom random) {
        this.random = random;
    }

    /** A fresh random index for {@code entry}. */
    int allocate(Object entry) {
        while (true) {
            int index = random.nextInt();
            if (entries.putIfAbsent(index, entry) == null) {
                return index;
            }
        }
    }

    /** The {@link Peer} or {@link Keypair} at {@code index}, or null. */
    Object get(int index) {
        return entries.get(index);
    }

    void replace(int index, Object from, Object to) {
        entries.replace(index, from, to);
    }

    void remove(int index, Object entry) {
        entries.remove(index, entry);
    }

    int size() {
        return entries.size();
    }
}
