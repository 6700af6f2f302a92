package dev.wgpr.client.dns;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.wgpr.common.fuzz.Allocations;
import dev.wgpr.common.fuzz.MutatedSeeds;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * The forwarder's parsing of what clients and servers send it, on arbitrary bytes: {@link DnsQuery#parse}
 * returns a query or nothing, and what it returns the forwarder can refuse and relay (the refusal and the
 * relayed query parse back with the question and IDs they should have); {@link DnsQuery#isAnsweredBy} says
 * yes or no; {@link ResolvedNames} learns from it or counts it unreadable; none throws, and memory stays proportional to the input. Seeds: queries dig and glibc
 * send (A, AAAA with EDNS, PTR), an answer, a truncated answer.
 */
class DnsMessagesFuzzTest {
    static final String TARGET = "parsingQueriesAndAnswersThrowsNothingAndRelaysFaithfully";
    static final List<String> DICTIONARY = List.of(
            "\u0003www\u0007example\u0003com\u0000",
            "\u0000\u0001\u0000\u0001",
            "\u0000\u0029\u0010\u0000",
            "\u00c0\u000c");
    private static final DnsQuery ASKED = DnsQuery.parse(
                    DnsForwarderTest.queryBytes(0x1234, "db1.corp.example"),
                    DnsForwarderTest.queryBytes(0x1234, "db1.corp.example").length)
            .orElseThrow();

    @FuzzTest(maxDuration = "10s")
    void parsingQueriesAndAnswersThrowsNothingAndRelaysFaithfully(byte[] input) {
        check(input);
    }

    @Test
    void mutatedDnsMessagesKeepTheParsingContract() {
        MutatedSeeds.check(getClass(), TARGET, 500, DICTIONARY, DnsMessagesFuzzTest::check);
    }

    static void check(byte[] input) {
        long limit = 2 * Allocations.BASELINE + Allocations.PER_INPUT_BYTE * input.length;
        Allocations.requireAtMost(limit, "parsing a query", () -> DnsQuery.parse(input, input.length));
        Allocations.requireAtMost(limit, "matching an answer", () -> ASKED.isAnsweredBy(input, input.length, 0x4321));
        Allocations.requireAtMost(
                limit, "learning an answer's names", () -> new ResolvedNames().learn(input, input.length));
        new ResolvedNames().learn(input, input.length); // throws nothing, whatever the input
        Optional<DnsQuery> parsed = DnsQuery.parse(input, input.length);
        if (parsed.isEmpty()) {
            return;
        }
        DnsQuery query = parsed.get();
        assertArrayEquals(input, query.wire());
        try {
            Message refusal = new Message(query.refused());
            assertEquals(query.id(), refusal.getHeader().getID());
            assertEquals(Rcode.REFUSED, refusal.getRcode());
            assertEquals(query.question(), refusal.getQuestion());
            byte[] relayed = query.withId(0xbeef);
            assertEquals(0xbeef, new Message(relayed).getHeader().getID());
            assertArrayEquals(
                    Arrays.copyOfRange(input, 2, input.length), Arrays.copyOfRange(relayed, 2, relayed.length));
        } catch (IOException e) {
            throw new AssertionError("the forwarder's own message does not parse", e);
        }
        assertFalse(query.isAnsweredBy(input, input.length, query.id()), "a query is no answer to itself");
    }

    /** Writes the seeds (-Dwgpr.fuzz.writeSeeds=true), after changing what they should cover. */
    @Test
    @EnabledIfSystemProperty(named = "wgpr.fuzz.writeSeeds", matches = "true")
    void writeSeeds() {
        Path directory = Path.of("src/test/resources/dev/wgpr/client/dns/DnsMessagesFuzzTestInputs", TARGET);
        try {
            Files.createDirectories(directory);
            Message a = Message.newQuery(Record.newRecord(DnsRouting.zone("db1.corp.example"), Type.A, DClass.IN));
            Files.write(directory.resolve("a-query"), a.toWire());
            Message aaaa =
                    Message.newQuery(Record.newRecord(DnsRouting.zone("www.public.example"), Type.AAAA, DClass.IN));
            aaaa.addRecord(new org.xbill.DNS.OPTRecord(1232, 0, 0), org.xbill.DNS.Section.ADDITIONAL);
            Files.write(directory.resolve("aaaa-query-edns"), aaaa.toWire());
            Message ptr =
                    Message.newQuery(Record.newRecord(DnsRouting.zone("10.0.20.10.in-addr.arpa"), Type.PTR, DClass.IN));
            Files.write(directory.resolve("ptr-query"), ptr.toWire());
            Message answer = new Message(a.getHeader().getID());
            answer.getHeader().setFlag(org.xbill.DNS.Flags.QR);
            answer.addRecord(a.getQuestion(), org.xbill.DNS.Section.QUESTION);
            answer.addRecord(
                    new org.xbill.DNS.ARecord(
                            a.getQuestion().getName(), DClass.IN, 60, java.net.InetAddress.getByName("10.20.0.10")),
                    org.xbill.DNS.Section.ANSWER);
            Files.write(directory.resolve("a-answer"), answer.toWire());
            answer.getHeader().setFlag(org.xbill.DNS.Flags.TC);
            Files.write(directory.resolve("truncated-answer"), answer.toWire());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
