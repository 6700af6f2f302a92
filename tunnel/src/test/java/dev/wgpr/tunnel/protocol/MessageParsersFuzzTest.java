package dev.wgpr.tunnel.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.wgpr.common.fuzz.Allocations;
import dev.wgpr.common.fuzz.MutatedSeeds;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * One fuzz target per WireGuard message parser, on arbitrary datagrams. Each parser: never throws;
 * accepts exactly the datagrams of its size, type and zero reserved bytes; reads from the buffer's
 * position and leaves position and limit alone, whatever the buffer (heap, read-only, direct, framed at
 * an offset); writes back the very bytes it parsed; and allocates a constant amount, whatever the input.
 * The seeds are real messages from an in-memory handshake ({@link ProtocolReceiveFuzzTest#writeSeeds}).
 */
class MessageParsersFuzzTest {
    private static final int MUTATIONS = 3_000;
    private static final long PARSE_ALLOCATION_BOUND = Allocations.BASELINE; // the same for any length

    @FuzzTest(maxDuration = "10s")
    void initiationParseRoundTripsWhatItAccepts(byte[] datagram) {
        checkParser(datagram, Messages.INITIATION, Initiation.SIZE, true, Initiation::parse, Initiation::toBytes);
    }

    @FuzzTest(maxDuration = "10s")
    void responseParseRoundTripsWhatItAccepts(byte[] datagram) {
        checkParser(datagram, Messages.RESPONSE, Response.SIZE, true, Response::parse, Response::toBytes);
    }

    @FuzzTest(maxDuration = "10s")
    void cookieReplyParseRoundTripsWhatItAccepts(byte[] datagram) {
        checkParser(datagram, Messages.COOKIE_REPLY, CookieReply.SIZE, true, CookieReply::parse, CookieReply::toBytes);
    }

    @FuzzTest(maxDuration = "10s")
    void transportHeaderParseRoundTripsWhatItAccepts(byte[] datagram) {
        checkParser(
                datagram,
                Messages.TRANSPORT_DATA,
                TransportHeader.MIN_MESSAGE_SIZE,
                false,
                TransportHeader::parse,
                header -> {
                    byte[] out = Arrays.copyOf(datagram, datagram.length);
                    header.writeTo(out, 0);
                    return out;
                });
    }

    @FuzzTest(maxDuration = "10s")
    void typeOfNamesOnlyTheFourTypesWithZeroReservedBytes(byte[] datagram) {
        int expected = 0;
        if (datagram.length >= 4 && datagram[1] == 0 && datagram[2] == 0 && datagram[3] == 0) {
            expected = datagram[0] >= 1 && datagram[0] <= 4 ? datagram[0] : 0;
        }
        for (ByteBuffer buffer : views(datagram)) {
            int position = buffer.position();
            int limit = buffer.limit();
            assertEquals(expected, Messages.typeOf(buffer));
            assertEquals(position, buffer.position());
            assertEquals(limit, buffer.limit());
        }
        Allocations.requireAtMost(PARSE_ALLOCATION_BOUND, "typeOf", () -> Messages.typeOf(ByteBuffer.wrap(datagram)));
    }

    @Test
    void mutatedInitiationsKeepTheContract() {
        MutatedSeeds.check(
                getClass(),
                "initiationParseRoundTripsWhatItAccepts",
                MUTATIONS,
                List.of(),
                this::initiationParseRoundTripsWhatItAccepts);
    }

    @Test
    void mutatedResponsesKeepTheContract() {
        MutatedSeeds.check(
                getClass(),
                "responseParseRoundTripsWhatItAccepts",
                MUTATIONS,
                List.of(),
                this::responseParseRoundTripsWhatItAccepts);
    }

    @Test
    void mutatedCookieRepliesKeepTheContract() {
        MutatedSeeds.check(
                getClass(),
                "cookieReplyParseRoundTripsWhatItAccepts",
                MUTATIONS,
                List.of(),
                this::cookieReplyParseRoundTripsWhatItAccepts);
    }

    @Test
    void mutatedTransportDataKeepsTheContract() {
        MutatedSeeds.check(
                getClass(),
                "transportHeaderParseRoundTripsWhatItAccepts",
                MUTATIONS,
                List.of(),
                this::transportHeaderParseRoundTripsWhatItAccepts);
    }

    @Test
    void mutatedDatagramsGetTheirTypeRight() {
        MutatedSeeds.check(
                getClass(),
                "typeOfNamesOnlyTheFourTypesWithZeroReservedBytes",
                MUTATIONS,
                List.of(),
                this::typeOfNamesOnlyTheFourTypesWithZeroReservedBytes);
    }

    private static <M> void checkParser(
            byte[] datagram,
            int type,
            int size,
            boolean exactSize,
            Function<ByteBuffer, Optional<M>> parse,
            Function<M, byte[]> toBytes) {
        boolean fits = exactSize ? datagram.length == size : datagram.length >= size;
        boolean expected = fits && Messages.typeOf(ByteBuffer.wrap(datagram)) == type;
        Optional<M> first = Optional.empty();
        for (ByteBuffer buffer : views(datagram)) {
            int position = buffer.position();
            int limit = buffer.limit();
            Optional<M> parsed = parse.apply(buffer);
            assertEquals(position, buffer.position(), "position moved");
            assertEquals(limit, buffer.limit(), "limit moved");
            assertEquals(expected, parsed.isPresent(), "accepted the wrong datagrams");
            if (parsed.isPresent()) {
                assertArrayEquals(datagram, toBytes.apply(parsed.get()), "does not write back what it parsed");
                if (first.isEmpty()) {
                    first = parsed;
                }
            }
        }
        Allocations.requireAtMost(
                PARSE_ALLOCATION_BOUND,
                "parsing " + datagram.length + " bytes",
                () -> parse.apply(ByteBuffer.wrap(datagram)));
    }

    /** The datagram as each kind of buffer the device could hand over. */
    static List<ByteBuffer> views(byte[] datagram) {
        byte[] framed = new byte[datagram.length + 13];
        Arrays.fill(framed, (byte) 0xa5);
        System.arraycopy(datagram, 0, framed, 7, datagram.length);
        ByteBuffer direct = ByteBuffer.allocateDirect(framed.length);
        direct.put(framed).position(7).limit(7 + datagram.length);
        return List.of(
                ByteBuffer.wrap(datagram),
                ByteBuffer.wrap(framed, 7, datagram.length),
                ByteBuffer.wrap(framed, 7, datagram.length).asReadOnlyBuffer(),
                direct);
    }
}
