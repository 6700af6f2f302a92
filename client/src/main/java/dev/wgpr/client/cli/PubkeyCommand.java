package dev.wgpr.client.cli;

import dev.wgpr.tunnel.crypto.Key;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
        name = "pubkey",
        mixinStandardHelpOptions = true,
        description = {
            "Read a private key in base64 from standard input and print its public key, as `wg pubkey` does.",
            "Example: wg-pr pubkey < corp.key"
        })
final class PubkeyCommand implements Callable<Integer> {
    @ParentCommand
    WgPrCommand root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        InputStream in = root.stdin();
        byte[] base64 = in.readNBytes(Key.BASE64_LENGTH);
        if (base64.length != Key.BASE64_LENGTH) {
            return fail("Key is not the correct length or format");
        }
        // As wg: whitespace and NUL may follow the key, nothing else may.
        for (int c = in.read(); c != -1; c = in.read()) {
            if (c != 0 && !isSpace(c)) {
                return fail("Trailing characters found after key");
            }
        }
        Key privateKey;
        try {
            privateKey = Key.fromBase64(new String(base64, StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            return fail("Key is not the correct length or format");
        }
        spec.commandLine().getOut().println(privateKey.publicKey().toBase64());
        return 0;
    }

    private int fail(String message) {
        spec.commandLine().getErr().println("wg-pr: " + message);
        return 1;
    }

    private static boolean isSpace(int c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0b;
    }
}
