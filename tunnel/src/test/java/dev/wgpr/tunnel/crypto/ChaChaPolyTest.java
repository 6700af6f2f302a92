package dev.wgpr.tunnel.crypto;

import static dev.wgpr.tunnel.Hex.bytes;
import static dev.wgpr.tunnel.Hex.hex;
import static dev.wgpr.tunnel.Hex.sequence;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ChaChaPolyTest {
    // RFC 8439, section 2.8.2: Example and Test Vector for AEAD_CHACHA20_POLY1305.
    static final byte[] KEY = bytes("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    static final byte[] NONCE = bytes("070000004041424344454647");
    static final byte[] AD = bytes("50515253c0c1c2c3c4c5c6c7");
    static final byte[] SUNSCREEN = ("Ladies and Gentlemen of the class of '99: If I could offer you only one tip"
                    + " for the future, sunscreen would be it.")
            .getBytes(StandardCharsets.US_ASCII);
    static final String CIPHERTEXT = "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
            + "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
            + "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
            + "3ff4def08e4b7a9de576d26586cec64b6116";
    static final String TAG = "1ae10b594f09e26a7e902ecbd0600691";

    @Test
    void sealMatchesRfc8439Section282() {
        assertEquals(CIPHERTEXT + TAG, hex(ChaChaPoly.seal(KEY, NONCE, SUNSCREEN, AD)));
    }

    @Test
    void openRecoversTheRfc8439Plaintext() {
        assertArrayEquals(
                SUNSCREEN,
                ChaChaPoly.open(KEY, NONCE, bytes(CIPHERTEXT + TAG), AD).orElseThrow());
    }

    @Test
    void wireguardNonceIsFourZeroBytesThenTheCounterLittleEndian() {
        assertEquals("000000000807060504030201", hex(ChaChaPoly.nonce(0x0102030405060708L)));
        assertEquals("00000000ffffffffffffffff", hex(ChaChaPoly.nonce(-1L)));
        // RFC 8439's nonce is not of that form, so check the counter form against the nonce form instead.
        byte[] viaCounter = ChaChaPoly.seal(KEY, 0x4746454443424140L, SUNSCREEN, AD);
        byte[] viaNonce = ChaChaPoly.seal(KEY, bytes("000000004041424344454647"), SUNSCREEN, AD);
        assertArrayEquals(viaNonce, viaCounter);
    }

    @Test
    void anyFlippedBitOfCiphertextOrTagFailsToOpen() {
        byte[] sealed = ChaChaPoly.seal(KEY, 7, sequence(0, 40), AD);
        for (int bit = 0; bit < sealed.length * 8; bit++) {
            byte[] tampered = sealed.clone();
            tampered[bit / 8] ^= (byte) (1 << (bit % 8));
            assertTrue(ChaChaPoly.open(KEY, 7, tampered, AD).isEmpty(), "bit " + bit);
        }
        assertTrue(ChaChaPoly.open(KEY, 7, sealed, AD).isPresent());
    }

    @Test
    void wrongCounterKeyOrAssociatedDataFailsToOpen() {
        byte[] sealed = ChaChaPoly.seal(KEY, 7, sequence(0, 40), AD);
        assertTrue(ChaChaPoly.open(KEY, 8, sealed, AD).isEmpty());
        assertTrue(ChaChaPoly.open(sequence(1, 32), 7, sealed, AD).isEmpty());
        assertTrue(ChaChaPoly.open(KEY, 7, sealed, new byte[0]).isEmpty());
        assertTrue(ChaChaPoly.open(KEY, 7, Arrays.copyOf(sealed, 15), AD).isEmpty());
    }

    @Test
    void emptyPlaintextSealsToATagAlone() {
        byte[] sealed = ChaChaPoly.seal(KEY, 0, new byte[0], AD);
        assertEquals(ChaChaPoly.TAG_LENGTH, sealed.length);
        assertEquals(0, ChaChaPoly.open(KEY, 0, sealed, AD).orElseThrow().length);
    }

    @Test
    void sealingTheSameMessageTwiceInARowGivesTheSameBytes() {
        // The JDK refuses a second encryption under the same key and nonce on one Cipher; seal must cope.
        assertArrayEquals(ChaChaPoly.seal(KEY, 3, SUNSCREEN, AD), ChaChaPoly.seal(KEY, 3, SUNSCREEN, AD));
    }

    @Test
    void inPlaceSealAndOpenAgreeWithTheArrayForms() {
        AeadKey key = AeadKey.of(KEY);
        byte[] buffer = new byte[16 + SUNSCREEN.length + 16];
        System.arraycopy(SUNSCREEN, 0, buffer, 16, SUNSCREEN.length);
        int written = ChaChaPoly.seal(key, 99, null, buffer, 16, SUNSCREEN.length, buffer, 16);
        assertEquals(SUNSCREEN.length + 16, written);
        assertArrayEquals(
                ChaChaPoly.seal(KEY, 99, SUNSCREEN, new byte[0]), Arrays.copyOfRange(buffer, 16, 16 + written));

        ByteBuffer in = ByteBuffer.wrap(buffer, 16, written);
        ByteBuffer out = ByteBuffer.wrap(buffer, 16, written);
        assertEquals(SUNSCREEN.length, ChaChaPoly.open(key, 99, null, in, out));
        assertArrayEquals(SUNSCREEN, Arrays.copyOfRange(buffer, 16, 16 + SUNSCREEN.length));
    }

    @Test
    void inPlaceOpenOfATamperedMessageFailsAndReportsMinusOne() {
        AeadKey key = AeadKey.of(KEY);
        byte[] sealed = ChaChaPoly.seal(KEY, 5, SUNSCREEN, new byte[0]);
        sealed[3] ^= 1;
        assertEquals(-1, ChaChaPoly.open(key, 5, null, ByteBuffer.wrap(sealed), ByteBuffer.wrap(sealed)));
        assertEquals(-1, ChaChaPoly.open(key, 5, null, ByteBuffer.wrap(new byte[15]), ByteBuffer.allocate(64)));
    }

    @Test
    void directBuffersOpenToo() {
        AeadKey key = AeadKey.of(KEY);
        byte[] sealed = ChaChaPoly.seal(KEY, 5, SUNSCREEN, new byte[0]);
        ByteBuffer direct = ByteBuffer.allocateDirect(sealed.length).put(sealed).flip();
        assertEquals(SUNSCREEN.length, ChaChaPoly.open(key, 5, null, direct.duplicate(), direct.duplicate()));
        byte[] plain = new byte[SUNSCREEN.length];
        direct.get(0, plain);
        assertArrayEquals(SUNSCREEN, plain);
    }

    @Test
    void aDestroyedKeyIsZeroedAndNoLongerGivesItsBytes() {
        AeadKey key = AeadKey.of(KEY);
        key.destroy();
        assertTrue(key.isDestroyed());
        assertEquals(null, key.getEncoded());
        assertEquals("AeadKey[redacted]", key.toString());
    }
}
