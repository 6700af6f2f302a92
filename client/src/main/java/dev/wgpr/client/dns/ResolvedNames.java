package dev.wgpr.client.dns;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/**
 * The names the daemon's forwarders resolved, by address: learnt from each A and AAAA answer they relay,
 * so that {@code wg-pr trace} can name a connection's destination by the name the program asked (the
 * question's, through the answer's CNAMEs), which seccomp never shows it. An address answered for two
 * names is the latest one's.
 *
 * <p>Bounded: at most {@code capacity} addresses, the least recently answered dropped first, each kept
 * for its record's TTL held between {@link #MIN_TTL} (a program connects a little after its answer, even
 * one of TTL 0) and {@link #MAX_TTL} (a server's week-long TTL does not keep a name for a week). An answer
 * that is no message is counted and skipped: it is relayed as it came all the same.
 */
public final class ResolvedNames {
    public static final int CAPACITY = 4096;
    static final Duration MIN_TTL = Duration.ofSeconds(60);
    static final Duration MAX_TTL = Duration.ofHours(1);

    private record Named(String name, long expiresNanos) {}

    private final LongSupplier clock;
    private final Map<InetAddress, Named> byAddress;
    private final AtomicLong unreadable = new AtomicLong();

    public ResolvedNames() {
        this(CAPACITY, System::nanoTime);
    }

    ResolvedNames(int capacity, LongSupplier clock) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity " + capacity);
        }
        this.clock = clock;
        this.byAddress = new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<InetAddress, Named> eldest) {
                return size() > capacity;
            }
        };
    }

    /**
     * Learns the addresses of the first {@code length} bytes of {@code buffer}, an answer a forwarder
     * relays: those of its answer section's A and AAAA records (class IN) owned by the question's name or
     * a CNAME of it there, named by the question's name. A failed answer teaches nothing.
     */
    void learn(byte[] buffer, int length) {
        Message answer;
        try {
            answer = new Message(Arrays.copyOf(buffer, length));
        } catch (IOException | IllegalArgumentException malformed) {
            // dnsjava refuses a record with an out-of-range TTL, type or class with an IllegalArgumentException
            unreadable.incrementAndGet();
            return;
        }
        Record question = answer.getQuestion();
        if (question == null || !answer.getHeader().getFlag(Flags.QR) || answer.getRcode() != Rcode.NOERROR) {
            return;
        }
        List<Record> records = answer.getSection(Section.ANSWER);
        Set<Name> owners = aliasesOf(question.getName(), records);
        String name = question.getName().toString();
        long now = clock.getAsLong();
        synchronized (byAddress) {
            for (Record r : records) {
                InetAddress address = r instanceof ARecord a
                        ? a.getAddress()
                        : r instanceof AAAARecord aaaa ? aaaa.getAddress() : null;
                if (address != null && r.getDClass() == DClass.IN && owners.contains(r.getName())) {
                    long ttl = Math.clamp(r.getTTL(), MIN_TTL.toSeconds(), MAX_TTL.toSeconds());
                    byAddress.remove(address); // put again: the most recently answered is the last dropped
                    byAddress.put(
                            address,
                            new Named(name, now + Duration.ofSeconds(ttl).toNanos()));
                }
            }
        }
    }

    /** {@code name} and the names its CNAMEs among {@code records} lead to, in any order. */
    private static Set<Name> aliasesOf(Name name, List<Record> records) {
        Set<Name> owners = new HashSet<>(Set.of(name));
        boolean grew = true;
        while (grew) { // each round adds a name or ends: at most records.size() rounds
            grew = false;
            for (Record r : records) {
                if (r instanceof CNAMERecord alias && owners.contains(alias.getName())) {
                    grew |= owners.add(alias.getTarget());
                }
            }
        }
        return owners;
    }

    /** The name {@code address} was last answered for, unless its time is up. */
    public Optional<String> nameOf(InetAddress address) {
        synchronized (byAddress) {
            Named entry = byAddress.get(address);
            if (entry == null) {
                return Optional.empty();
            }
            if (clock.getAsLong() - entry.expiresNanos() >= 0) {
                byAddress.remove(address);
                return Optional.empty();
            }
            return Optional.of(entry.name());
        }
    }

    /** Answers that were no DNS message, since the start. */
    public long unreadable() {
        return unreadable.get();
    }

    int size() {
        synchronized (byAddress) {
            return byAddress.size();
        }
    }
}
