package dev.wgpr.enforcement.policy;

import dev.wgpr.enforcement.policy.InvalidGrantException.Kind;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * An exact set of ports: sorted, disjoint, non-adjacent ranges. It is never widened: {@code
 * 22,8000-8099} stays two ranges and does not contain 23 (the ProcRoute prototype merges several
 * ranges into one wide range; we do not).
 */
public final class PortSet {
    public static final int MAX_PORT = 65_535;

    /** Every port, 0 included: what a grant without ports means. */
    public static final PortSet ALL = new PortSet(List.of(new Range(0, MAX_PORT)));

    /** An inclusive range of ports. */
    public record Range(int first, int last) {
        public Range {
            if (first < 0 || last > MAX_PORT || first > last) {
                throw new IllegalArgumentException("bad port range " + first + "-" + last);
            }
        }

        public boolean contains(int port) {
            return first <= port && port <= last;
        }

        @Override
        public String toString() {
            return first == last ? Integer.toString(first) : first + "-" + last;
        }
    }

    private final List<Range> ranges;

    private PortSet(List<Range> normalized) {
        this.ranges = List.copyOf(normalized);
    }

    /** The set of ports in any of {@code ranges}, normalized: overlapping and adjacent ranges joined. */
    public static PortSet of(List<Range> ranges) {
        if (ranges.isEmpty()) {
            throw new IllegalArgumentException("a port set holds at least one port");
        }
        List<Range> sorted = new ArrayList<>(ranges);
        sorted.sort(Comparator.comparingInt(Range::first));
        List<Range> normalized = new ArrayList<>();
        Range current = sorted.getFirst();
        for (Range next : sorted.subList(1, sorted.size())) {
            if (next.first() <= current.last() + 1) {
                current = new Range(current.first(), Math.max(current.last(), next.last()));
            } else {
                normalized.add(current);
                current = next;
            }
        }
        normalized.add(current);
        return new PortSet(normalized);
    }

    /**
     * Parses a comma list of ports and ranges, such as {@code 22} or {@code 8000-8099,9000}. Ports
     * are 1..65535: port 0 cannot be connected to, so writing it is a mistake.
     *
     * @throws InvalidGrantException of kind SYNTAX for text that is no such list, PORT_RANGE for a
     *     port outside 1..65535 or a range whose end is below its start
     */
    public static PortSet parse(String text) {
        List<Range> ranges = new ArrayList<>();
        for (String item : text.split(",", -1)) {
            int dash = item.indexOf('-');
            int first = parsePort(dash < 0 ? item : item.substring(0, dash), text);
            int last = dash < 0 ? first : parsePort(item.substring(dash + 1), text);
            if (last < first) {
                throw new InvalidGrantException(
                        Kind.PORT_RANGE, "port range " + item + " ends before it starts; write " + last + "-" + first);
            }
            ranges.add(new Range(first, last));
        }
        return of(ranges);
    }

    private static int parsePort(String digits, String list) {
        if (!digits.matches("[0-9]{1,9}")) {
            throw new InvalidGrantException(
                    Kind.SYNTAX, "'" + list + "' is not a list of ports and ranges such as 22 or 8000-8099,9000");
        }
        int port = Integer.parseInt(digits);
        if (port < 1 || port > MAX_PORT) {
            throw new InvalidGrantException(Kind.PORT_RANGE, "port " + port + " is outside 1..65535");
        }
        return port;
    }

    public boolean contains(int port) {
        for (Range range : ranges) {
            if (range.contains(port)) {
                return true;
            }
        }
        return false;
    }

    /** The normalized ranges: sorted, disjoint and not adjacent. */
    public List<Range> ranges() {
        return ranges;
    }

    public boolean isAll() {
        return equals(ALL);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof PortSet set && ranges.equals(set.ranges);
    }

    @Override
    public int hashCode() {
        return Objects.hash(ranges);
    }

    /** As written in a grant: {@code 22,8000-8099}. */
    @Override
    public String toString() {
        return ranges.stream().map(Range::toString).collect(Collectors.joining(","));
    }
}
