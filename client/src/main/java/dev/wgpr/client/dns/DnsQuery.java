package dev.wgpr.client.dns;

import java.io.IOException;
import java.util.Arrays;
import java.util.Optional;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/**
 * A standard query as a client sent it to a face, kept as its wire bytes (forwarded unchanged but for
 * the ID, so EDNS options and flags reach the server as the client wrote them) beside what the forwarder
 * decides by; and, for {@code wg-pr trace}, what a traced program asked.
 *
 * @param id the client's ID, put back into the answer
 * @param question its only question
 */
public record DnsQuery(int id, Record question, byte[] wire) {
    /** The smallest DNS message: the header alone. */
    static final int HEADER_LENGTH = Header.LENGTH;

    /** The longest message TCP's two-byte length can frame, and so the longest the forwarder reads. */
    static final int MAX_LENGTH = 65_535;

    public DnsQuery {
        wire = wire.clone();
    }

    @Override
    public byte[] wire() {
        return wire.clone();
    }

    public Name name() {
        return question.getName();
    }

    /**
     * The first {@code length} bytes of {@code buffer} as a query the forwarder serves: a well-formed
     * message, not a response, opcode QUERY, exactly one question. Anything else is empty: dropped, never
     * answered, so a face cannot be made to reflect junk or answers back at their senders.
     */
    public static Optional<DnsQuery> parse(byte[] buffer, int length) {
        if (length < HEADER_LENGTH || length > MAX_LENGTH) {
            return Optional.empty();
        }
        byte[] wire = Arrays.copyOf(buffer, length);
        Message message;
        try {
            message = new Message(wire);
        } catch (IOException | IllegalArgumentException malformed) {
            // dnsjava refuses a record with an out-of-range TTL, type or class with an IllegalArgumentException
            return Optional.empty();
        }
        Header header = message.getHeader();
        if (header.getFlag(Flags.QR)
                || header.getOpcode() != Opcode.QUERY
                || header.getCount(Section.QUESTION) != 1
                || !isWhole(message)) {
            return Optional.empty();
        }
        return Optional.of(new DnsQuery(header.getID(), message.getQuestion(), wire));
    }

    /**
     * Whether every record the header counts was there: dnsjava keeps what it could read of a message
     * with the truncation bit, which makes sense for an answer but not for a query.
     */
    private static boolean isWhole(Message message) {
        for (int section = Section.QUESTION; section <= Section.ADDITIONAL; section++) {
            if (message.getSection(section).size() != message.getHeader().getCount(section)) {
                return false;
            }
        }
        return true;
    }

    /** The forwarder's own answer to this query: {@code rcode} and nothing else. */
    byte[] answer(int rcode) {
        Message answer = new Message(id);
        Header header = answer.getHeader();
        header.setFlag(Flags.QR);
        header.setFlag(Flags.RA);
        if ((wire[2] & 0x01) != 0) { // RD: the answer echoes it (RFC 1035 §4.1.1)
            header.setFlag(Flags.RD);
        }
        header.setRcode(rcode);
        answer.addRecord(question, Section.QUESTION);
        return answer.toWire();
    }

    byte[] refused() {
        return answer(Rcode.REFUSED);
    }

    /** The query as sent to a server: the same bytes under the forwarder's own ID. */
    byte[] withId(int upstreamId) {
        return DnsQuery.withId(wire, wire.length, upstreamId);
    }

    /**
     * Whether the first {@code length} bytes of {@code buffer} are a server's answer to this query sent
     * as {@code upstreamId}: a well-formed response with that ID and this question. A late, stray or
     * forged datagram is not, and neither is junk.
     */
    boolean isAnsweredBy(byte[] buffer, int length, int upstreamId) {
        if (length < HEADER_LENGTH || length > MAX_LENGTH) {
            return false;
        }
        Message message;
        try {
            message = new Message(Arrays.copyOf(buffer, length));
        } catch (IOException | IllegalArgumentException malformed) {
            return false;
        }
        Header header = message.getHeader();
        Record asked = message.getQuestion();
        return header.getFlag(Flags.QR)
                && header.getID() == upstreamId
                && asked != null
                && asked.getName().equals(question.getName())
                && asked.getType() == question.getType()
                && asked.getDClass() == question.getDClass();
    }

    /** The answer for the client: the server's bytes under the client's ID. */
    byte[] answerForClient(byte[] buffer, int length) {
        return withId(buffer, length, id);
    }

    /** The first two bytes of a message are its ID; nothing else in it refers to them. */
    static byte[] withId(byte[] buffer, int length, int id) {
        byte[] copy = Arrays.copyOf(buffer, length);
        copy[0] = (byte) (id >>> 8);
        copy[1] = (byte) id;
        return copy;
    }

    /** The ID of a message of at least {@link #HEADER_LENGTH} bytes. */
    static int idOf(byte[] buffer) {
        return ((buffer[0] & 0xff) << 8) | (buffer[1] & 0xff);
    }
}
