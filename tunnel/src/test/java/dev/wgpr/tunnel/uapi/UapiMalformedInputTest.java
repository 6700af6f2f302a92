package dev.wgpr.tunnel.uapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wgpr.tunnel.device.DeviceConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Mangled requests, thousands of them from a fixed seed, straight into a connection: the server
 * answers each with a well-formed reply or hangs up, never throws, and the store always holds a
 * valid configuration (the {@link DeviceConfig} constructor checks its invariants).
 */
class UapiMalformedInputTest {
    static final String A = "11".repeat(32);
    static final String B = "22".repeat(32);
    static final List<String> SEEDS = List.of(
            "set=1\nprivate_key=" + "ff".repeat(32) + "\nlisten_port=51820\nfwmark=3\nreplace_peers=true\npublic_key="
                    + A
                    + "\npreshared_key=" + B + "\nendpoint=[2001:db8::1]:443\npersistent_keepalive_interval=25"
                    + "\nreplace_allowed_ips=true\nallowed_ip=10.0.0.0/8\nallowed_ip=fd10::/64\nprotocol_version=1\n\n",
            "set=1\npublic_key=" + B + "\nupdate_only=true\nallowed_ip=10.0.0.0/8\npublic_key=" + A
                    + "\nremove=true\n\n",
            "get=1\n\n");
    static final Pattern REPLIES = Pattern.compile("((([a-z_]+=[^\\n]*\\n)*)errno=(0|-[0-9]+)\\n\\n)*");
    static final String ALPHABET = "=\n\n\n:/[]%.-+0123456789abcdefABCDEF_ xyz\u0000\u00ff";

    @Test
    void mangledRequestsGetWellFormedRepliesAndNeverCorruptTheStore() throws IOException {
        Random random = new Random(20261122);
        DeviceConfigStore store = new DeviceConfigStore();
        for (int i = 0; i < 20_000; i++) {
            String request = mangle(SEEDS.get(random.nextInt(SEEDS.size())), random);
            ByteArrayOutputStream out = new ByteArrayOutputStream();

            new UapiConnection(new ByteArrayInputStream(request.getBytes(StandardCharsets.ISO_8859_1)), out, store)
                    .serve();

            String reply = out.toString(StandardCharsets.ISO_8859_1);
            assertTrue(REPLIES.matcher(reply).matches(), () -> "reply " + reply + " to " + request);
        }
        assertEquals(
                store.config(),
                new DeviceConfig(
                        store.config().privateKey(),
                        store.config().listenPort(),
                        store.config().fwmark(),
                        store.config().peers()));
    }

    @Test
    void aFloodWithoutNewlinesIsCutOffAtTheLineLimit() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] flood =
                ("set=1\n" + "x".repeat(10 * UapiConnection.MAX_LINE_BYTES)).getBytes(StandardCharsets.ISO_8859_1);
        ByteArrayInputStream in = new ByteArrayInputStream(flood);

        new UapiConnection(in, out, new DeviceConfigStore()).serve();

        assertEquals("errno=-5\n\n", out.toString(StandardCharsets.ISO_8859_1));
        assertTrue(in.available() > 8 * UapiConnection.MAX_LINE_BYTES, "stopped reading at the limit");
    }

    static String mangle(String seed, Random random) {
        StringBuilder text = new StringBuilder(seed);
        int edits = 1 + random.nextInt(4);
        for (int e = 0; e < edits && !text.isEmpty(); e++) {
            int at = random.nextInt(text.length());
            switch (random.nextInt(4)) {
                case 0 -> text.deleteCharAt(at);
                case 1 -> text.insert(at, ALPHABET.charAt(random.nextInt(ALPHABET.length())));
                case 2 -> text.setCharAt(at, ALPHABET.charAt(random.nextInt(ALPHABET.length())));
                default -> text.delete(at, Math.min(text.length(), at + random.nextInt(40)));
            }
        }
        return text.toString();
    }
}
