package dev.wgpr.enforcement;

/**
 * The small integer the kernel programs know an app by ({@code apps} map values and trie keys). 0 is
 * reserved for the internal set, so ids start at 1.
 */
public record AppId(int value) implements Comparable<AppId> {
    public AppId {
        if (value <= 0) {
            throw new IllegalArgumentException("app ids start at 1, got " + value);
        }
    }

    public static AppId of(int value) {
        return new AppId(value);
    }

    @Override
    public int compareTo(AppId other) {
        return Integer.compare(value, other.value);
    }

    @Override
    public String toString() {
        return "app#" + value;
    }
}
