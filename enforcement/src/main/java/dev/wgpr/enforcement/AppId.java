package dev.wgpr.enforcement;

/**
 * The small integer the kernel programs know an app by ({@code apps} map values and trie keys). 0 is
 * reserved for the internal set, so ids start at 1.
 */
public record AppId(int value) implements Comparable<AppId> {
    /** {@code WGPR_APP_EXCLUDED}: the ids of excluded apps, which never use a tunnel and hold no grants. */
    public static final int EXCLUDED_BIT = 0x4000_0000;

    public AppId {
        if (value <= 0) {
            throw new IllegalArgumentException("app ids start at 1, got " + value);
        }
    }

    public static AppId of(int value) {
        return new AppId(value);
    }

    /** The id of excluded app number {@code number} ({@code [[interface.excludedApps]]}). */
    public static AppId excluded(int number) {
        if (number <= 0 || (number & EXCLUDED_BIT) != 0) {
            throw new IllegalArgumentException("excluded app numbers start at 1 and stay below 2^30, got " + number);
        }
        return new AppId(number | EXCLUDED_BIT);
    }

    /** Whether this is an excluded app's id: it goes around the prefixes {@link Policy#excludedAround} holds. */
    public boolean isExcluded() {
        return (value & EXCLUDED_BIT) != 0;
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
