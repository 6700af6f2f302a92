package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code wg-pr genkey/pubkey} against the real {@code wg} from wireguard-tools. */
class KeyCommandsInteropTest {
    private static final int KEYS = 1_000;

    @Test
    void pubkeyAgreesWithWgOnKeysFromWgGenkey() throws Exception {
        for (int i = 0; i < KEYS; i++) {
            String privateKey = wg("", "genkey");
            CliRun ours = CliRun.withStdin(privateKey, "pubkey");
            assertEquals(0, ours.exitCode(), ours.err());
            assertEquals(wg(privateKey, "pubkey"), ours.out(), "public key of " + i + "th wg key");
        }
    }

    @Test
    void wgAgreesWithPubkeyOnKeysFromOurGenkey() throws Exception {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < KEYS; i++) {
            String privateKey = CliRun.of("genkey").out();
            assertTrue(seen.add(privateKey), "genkey repeated a key");
            assertEquals(
                    wg(privateKey, "pubkey"),
                    CliRun.withStdin(privateKey, "pubkey").out());
        }
    }

    @Test
    void genkeyClampsLikeWg() {
        for (int i = 0; i < 200; i++) {
            byte[] key = java.util.Base64.getDecoder()
                    .decode(CliRun.of("genkey").out().strip());
            assertEquals(0, key[0] & 7, "low three bits cleared");
            assertEquals(0x40, key[31] & 0xc0, "top bit cleared, second bit set");
        }
    }

    @Test
    void genpskIsAValidKeyForWg() throws Exception {
        String psk = CliRun.of("genpsk").out();
        assertEquals(45, psk.length());
        assertNotEquals("", wg(psk, "pubkey"));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "short\n",
                "  uDHwgsdWsV+l8Nr4CMt1wWrfyBhUYWS7kgs3n8bk2VM=\n", // leading space: wg refuses too
                "uDHwgsdWsV+l8Nr4CMt1wWrfyBhUYWS7kgs3n8bk2VN=\n", // non-canonical last character
                "uDHwgsdWsV+l8Nr4CMt1wWrfyBhUYWS7kgs3n8bk2VM=x\n",
                "uDHwgsdWsV+l8Nr4CMt1wWrfyBhUYWS7kgs3n8bk2V!=\n",
            })
    void rejectsWhatWgRejects(String input) throws Exception {
        CliRun ours = CliRun.withStdin(input, "pubkey");
        assertEquals(1, ours.exitCode());
        assertTrue(ours.err().startsWith("wg-pr: "), ours.err());
        assertEquals(1, wgExitCode(input, "pubkey"), "wg itself must refuse this input too");
    }

    @Test
    void acceptsTrailingWhitespaceLikeWg() throws Exception {
        String input = "uDHwgsdWsV+l8Nr4CMt1wWrfyBhUYWS7kgs3n8bk2VM= \t\n\n";
        assertEquals(wg(input, "pubkey"), CliRun.withStdin(input, "pubkey").out());
    }

    private static String wg(String stdin, String command) throws IOException, InterruptedException {
        Process process = start(stdin, command);
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertEquals(0, process.waitFor(), "wg " + command + " failed");
        return out;
    }

    private static int wgExitCode(String stdin, String command) throws IOException, InterruptedException {
        Process process = start(stdin, command);
        process.getInputStream().readAllBytes();
        return process.waitFor();
    }

    private static Process start(String stdin, String command) throws IOException {
        Process process = new ProcessBuilder("wg", command)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try (var in = process.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.US_ASCII));
        }
        return process;
    }
}
