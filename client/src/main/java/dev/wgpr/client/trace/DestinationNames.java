package dev.wgpr.client.trace;

import dev.wgpr.common.net.IpText;
import dev.wgpr.enforcement.ReferenceModel;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The name each destination was resolved from, as the daemon's DNS forwarders learnt it from the answers
 * they relayed (its {@code names} request): asked when the trace first meets an address, which is after
 * the program had its answer, and kept for the rest of the trace. An address without a name is asked
 * again only after {@link #RETRY}: a program may connect to an address before it resolves a name to it.
 * Without a daemon, or with one that cannot say, the trace goes on without names.
 */
public final class DestinationNames {
    static final Duration RETRY = Duration.ofSeconds(1);

    /** Asks the daemon: the names it knows of {@code addresses}, by address as given; empty when it cannot. */
    @FunctionalInterface
    public interface Source {
        Optional<Map<String, String>> ask(List<String> addresses);
    }

    private final Source source;
    private final LongSupplier clock;
    private final Map<InetAddress, String> known = new HashMap<>();
    /** When each address without a name may be asked again. */
    private final Map<InetAddress, Long> unnamedUntil = new HashMap<>();

    private boolean gone;

    public DestinationNames(Source source) {
        this(source, System::nanoTime);
    }

    DestinationNames(Source source, LongSupplier clock) {
        this.source = source;
        this.clock = clock;
    }

    /** Names nothing: a trace without a daemon. */
    public static DestinationNames none() {
        return new DestinationNames(addresses -> Optional.empty());
    }

    /** The name {@code destination} was resolved from, or empty; loopback's are never asked. */
    synchronized String nameOf(InetAddress destination) {
        InetAddress address = ReferenceModel.unmapped(destination);
        if (known.containsKey(address)) {
            return known.get(address);
        }
        long now = clock.getAsLong();
        Long until = unnamedUntil.get(address);
        if (gone || address.isLoopbackAddress() || address.isAnyLocalAddress() || (until != null && now - until < 0)) {
            return "";
        }
        String text = IpText.of(address);
        Optional<Map<String, String>> answer = source.ask(List.of(text));
        if (answer.isEmpty()) {
            gone = true; // no daemon, or one without the request: asking each address again would only cost
            return "";
        }
        String name = answer.get().get(text);
        if (name == null) {
            unnamedUntil.put(address, now + RETRY.toNanos());
            return "";
        }
        known.put(address, name);
        unnamedUntil.remove(address);
        return name;
    }
}
