package dev.wgpr.tunnel.uapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.wgpr.common.fuzz.Allocations;
import dev.wgpr.common.fuzz.MutatedSeeds;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A UAPI connection on arbitrary bytes, the way a client's stream reaches the server: {@code serve()}
 * returns without throwing; everything written back is a sequence of well-formed replies ({@code key=value}
 * lines, then {@code errno=N} and a blank line), one per request at most; the store holds a valid
 * configuration throughout; and memory stays proportional to the input.
 */
class UapiConnectionFuzzTest {
    static final String TARGET = "connectionRepliesWellFormedOrHangsUp";
    static final List<String> DICTIONARY;

    static {
        List<String> tokens = new ArrayList<>(SetRequestFuzzTest.DICTIONARY);
        tokens.addAll(List.of("set=1\n", "get=1\n", "\n\n"));
        DICTIONARY = List.copyOf(tokens);
    }

    @FuzzTest(maxDuration = "10s")
    void connectionRepliesWellFormedOrHangsUp(byte[] input) throws IOException {
        check(input);
    }

    @Test
    void mutatedStreamsKeepTheConnectionContract() {
        MutatedSeeds.check(getClass(), TARGET, 3_000, DICTIONARY, UapiConnectionFuzzTest::check);
    }

    static void check(byte[] input) throws IOException {
        Allocations.requireAtMost(
                Allocations.BASELINE + Allocations.PER_INPUT_BYTE * input.length,
                "serving the stream",
                () -> serve(input));
        DeviceConfigStore store = new DeviceConfigStore();
        String reply = serve(input, store);
        assertTrue(UapiMalformedInputTest.REPLIES.matcher(reply).matches(), () -> "malformed reply " + reply);
        long replies = reply.lines().filter(line -> line.startsWith("errno=")).count();
        long requests = new String(input, StandardCharsets.ISO_8859_1)
                .lines()
                .filter(line -> line.equals("get=1") || line.equals("set=1"))
                .count();
        assertTrue(replies <= requests, replies + " replies to " + requests + " requests");
        assertEquals(store.config(), SetRequestFuzzTest.revalidated(store.config()));
    }

    private static String serve(byte[] input) throws IOException {
        return serve(input, new DeviceConfigStore());
    }

    private static String serve(byte[] input, DeviceConfigStore store) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new UapiConnection(new ByteArrayInputStream(input), out, store).serve();
        return out.toString(StandardCharsets.ISO_8859_1);
    }
}
