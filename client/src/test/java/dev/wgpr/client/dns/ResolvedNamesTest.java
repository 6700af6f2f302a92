package dev.wgpr.client.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
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
import org.xbill.DNS.Type;

/** What the forwarders learn from the answers they relay: names by address, for their TTL, bounded. */
class ResolvedNamesTest {
    private final AtomicLong now = new AtomicLong();
    private final ResolvedNames names = new ResolvedNames(4, now::get);

    private static Name name(String text) {
        return Name.fromConstantString(text + ".");
    }

    private static InetAddress address(String literal) {
        return InetAddress.ofLiteral(literal);
    }

    /** A server's answer to {@code asked} (type A) with {@code records} in its answer section. */
    private static byte[] answer(String asked, int rcode, Record... records) {
        Message answer = new Message(4711);
        answer.getHeader().setFlag(Flags.QR);
        answer.getHeader().setRcode(rcode);
        answer.addRecord(Record.newRecord(name(asked), Type.A, DClass.IN), Section.QUESTION);
        for (Record r : records) {
            answer.addRecord(r, Section.ANSWER);
        }
        return answer.toWire();
    }

    private void learn(byte[] wire) {
        names.learn(wire, wire.length);
    }

    private static ARecord a(String owner, long ttl, String address) {
        return new ARecord(name(owner), DClass.IN, ttl, address(address));
    }

    @Test
    void anAddressIsNamedByTheQuestionThroughCnamesAndOnlyForItsTtlHeldBetweenTheFloorAndTheCeiling() {
        learn(answer(
                "www.corp.example",
                Rcode.NOERROR,
                new CNAMERecord(name("www.corp.example"), DClass.IN, 300, name("app.corp.example")),
                a("app.corp.example", 300, "10.20.0.10"),
                new AAAARecord(name("app.corp.example"), DClass.IN, 300, address("fd10:20::10")),
                a("unrelated.corp.example", 300, "10.20.0.99")));
        learn(answer("zero.corp.example", Rcode.NOERROR, a("zero.corp.example", 0, "10.20.0.11")));
        learn(answer("week.corp.example", Rcode.NOERROR, a("week.corp.example", 604_800, "10.20.0.12")));

        assertEquals(Optional.of("www.corp.example."), names.nameOf(address("10.20.0.10")));
        assertEquals(Optional.of("www.corp.example."), names.nameOf(address("fd10:20::10")));
        assertEquals(Optional.empty(), names.nameOf(address("10.20.0.99")), "a record of another name is not its");

        now.addAndGet(ResolvedNames.MIN_TTL.minusSeconds(1).toNanos());
        assertEquals(Optional.of("zero.corp.example."), names.nameOf(address("10.20.0.11")), "TTL 0 is held to 60 s");
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        assertEquals(Optional.empty(), names.nameOf(address("10.20.0.11")));

        now.addAndGet(Duration.ofSeconds(300 - 60).toNanos());
        assertEquals(Optional.empty(), names.nameOf(address("10.20.0.10")), "its TTL of 300 s is up");
        assertEquals(Optional.of("week.corp.example."), names.nameOf(address("10.20.0.12")));
        now.addAndGet(ResolvedNames.MAX_TTL.toNanos());
        assertEquals(Optional.empty(), names.nameOf(address("10.20.0.12")), "a week's TTL is held to an hour");
    }

    @Test
    void theLeastRecentlyAnsweredAddressIsDroppedBeyondTheBoundAndALaterNameReplacesAnEarlier() {
        learn(answer("one.example", Rcode.NOERROR, a("one.example", 60, "192.0.2.1")));
        learn(answer("two.example", Rcode.NOERROR, a("two.example", 60, "192.0.2.2")));
        learn(answer("three.example", Rcode.NOERROR, a("three.example", 60, "192.0.2.3")));
        learn(answer("five.example", Rcode.NOERROR, a("five.example", 60, "192.0.2.5")));
        learn(answer("again.example", Rcode.NOERROR, a("again.example", 60, "192.0.2.1")));
        learn(answer("four.example", Rcode.NOERROR, a("four.example", 60, "192.0.2.4")));

        assertEquals(4, names.size());
        assertEquals(Optional.empty(), names.nameOf(address("192.0.2.2")), "the least recently answered went");
        assertEquals(Optional.of("again.example."), names.nameOf(address("192.0.2.1")));
        assertEquals(Optional.of("four.example."), names.nameOf(address("192.0.2.4")));
    }

    @Test
    void aMalformedAnswerIsCountedAndAFailedOneTeachesNothing() {
        byte[] whole = answer("db.corp.example", Rcode.NOERROR, a("db.corp.example", 60, "10.20.0.10"));
        names.learn(whole, whole.length - 2); // the A record's address cut short
        names.learn(new byte[] {1, 2, 3}, 3);
        learn(answer("gone.corp.example", Rcode.NXDOMAIN, a("gone.corp.example", 60, "10.20.0.13")));

        assertEquals(2, names.unreadable());
        assertEquals(0, names.size());
    }
}
