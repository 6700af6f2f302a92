package dev.wgpr.tunnel.crypto;

import static dev.wgpr.tunnel.Hex.bytes;
import static dev.wgpr.tunnel.Hex.hex;
import static dev.wgpr.tunnel.Hex.sequence;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.modes.XChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;

class XChaChaPolyTest {
    @Test
    void hChaCha20MatchesDraftSection221() {
        // draft-irtf-cfrg-xchacha-03, section 2.2.1: Test Vector for the HChaCha20 Block Function.
        assertEquals(
                "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc",
                hex(XChaChaPoly.hChaCha20(sequence(0, 32), bytes("000000090000004a0000000031415927"))));
    }

    // draft-irtf-cfrg-xchacha-03, appendix A.3.1: Example and Test Vector for AEAD_XCHACHA20_POLY1305.
    static final byte[] KEY = sequence(0x80, 32);
    static final byte[] NONCE = sequence(0x40, 24);
    static final byte[] AD = bytes("50515253c0c1c2c3c4c5c6c7");
    static final byte[] SUNSCREEN = ("Ladies and Gentlemen of the class of '99: If I could offer you only one tip"
                    + " for the future, sunscreen would be it.")
            .getBytes(StandardCharsets.US_ASCII);
    static final String SEALED = "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
            + "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
            + "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
            + "21f9664c97637da9768812f615c68b13b52e"
            + "c0875924c1c7987947deafd8780acf49";

    @Test
    void sealMatchesDraftAppendixA31() {
        assertEquals(SEALED, hex(XChaChaPoly.seal(KEY, NONCE, SUNSCREEN, AD)));
    }

    @Test
    void openRecoversTheDraftPlaintextAndRefusesTampering() {
        assertArrayEquals(
                SUNSCREEN, XChaChaPoly.open(KEY, NONCE, bytes(SEALED), AD).orElseThrow());
        byte[] tampered = bytes(SEALED);
        tampered[tampered.length - 1] ^= 0x01;
        assertTrue(XChaChaPoly.open(KEY, NONCE, tampered, AD).isEmpty());
        byte[] otherNonce = NONCE.clone();
        otherNonce[23] ^= 0x01;
        assertTrue(XChaChaPoly.open(KEY, otherNonce, bytes(SEALED), AD).isEmpty());
    }

    @Test
    void agreesWithBouncyCastlesXChaCha20Poly1305OnRandomInputs() throws InvalidCipherTextException {
        Random random = new Random(42);
        for (int round = 0; round < 50; round++) {
            byte[] key = new byte[32];
            byte[] nonce = new byte[24];
            byte[] ad = new byte[random.nextInt(40)];
            byte[] plaintext = new byte[random.nextInt(200)];
            random.nextBytes(key);
            random.nextBytes(nonce);
            random.nextBytes(ad);
            random.nextBytes(plaintext);

            XChaCha20Poly1305 bc = new XChaCha20Poly1305();
            bc.init(true, new AEADParameters(new KeyParameter(key), 128, nonce, ad));
            byte[] expected = new byte[bc.getOutputSize(plaintext.length)];
            int n = bc.processBytes(plaintext, 0, plaintext.length, expected, 0);
            bc.doFinal(expected, n);

            assertArrayEquals(expected, XChaChaPoly.seal(key, nonce, plaintext, ad), "round " + round);
        }
    }
}
