package dev.wgpr.tunnel.crypto;

import static dev.wgpr.tunnel.Hex.bytes;
import static dev.wgpr.tunnel.Hex.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class Curve25519Test {
    /** RFC 7748, section 5.2: the two X25519 test vectors (scalar, u-coordinate, output). */
    @ParameterizedTest
    @CsvSource({
        "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4,"
                + " e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c,"
                + " c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
        "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d,"
                + " e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493,"
                + " 95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
    })
    void sharedSecretMatchesRfc7748Section52(String scalar, String u, String expected) {
        assertEquals(
                expected, hex(Curve25519.sharedSecret(bytes(scalar), bytes(u)).orElseThrow()));
    }

    @Test
    void oneIterationFromTheBasePointMatchesRfc7748Section52() {
        byte[] nine = new byte[32];
        nine[0] = 9;
        assertEquals(
                "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079",
                hex(Curve25519.sharedSecret(nine, nine).orElseThrow()));
    }

    @Test
    void aliceAndBobAgreeAsInRfc7748Section61() {
        byte[] alicePrivate = bytes("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        byte[] bobPrivate = bytes("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        byte[] alicePublic = Curve25519.publicKey(alicePrivate);
        byte[] bobPublic = Curve25519.publicKey(bobPrivate);
        assertEquals("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", hex(alicePublic));
        assertEquals("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", hex(bobPublic));
        String shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
        assertEquals(
                shared, hex(Curve25519.sharedSecret(alicePrivate, bobPublic).orElseThrow()));
        assertEquals(
                shared, hex(Curve25519.sharedSecret(bobPrivate, alicePublic).orElseThrow()));
    }

    /** Points of small order (0, 1, the order-8 points, p-1, p, p+1): X25519 gives all zeros, and we refuse. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "0000000000000000000000000000000000000000000000000000000000000000",
                "0100000000000000000000000000000000000000000000000000000000000000",
                "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
                "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
                "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
                "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
                "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            })
    void lowOrderPublicKeysAreRefused(String lowOrderPoint) {
        byte[] privateKey = Curve25519.generatePrivateKey(new SecureRandom());
        byte[] out = new byte[32];
        assertFalse(Curve25519.sharedSecret(privateKey, bytes(lowOrderPoint), out));
        assertArrayEquals(new byte[32], out);
        assertTrue(Curve25519.sharedSecret(privateKey, bytes(lowOrderPoint)).isEmpty());
    }

    @Test
    void generatedPrivateKeysAreClampedAndAgree() {
        SecureRandom random = new SecureRandom();
        byte[] a = Curve25519.generatePrivateKey(random);
        byte[] b = Curve25519.generatePrivateKey(random);
        assertEquals(0, a[0] & 7);
        assertEquals(0x40, a[31] & 0xc0);
        assertArrayEquals(
                Curve25519.sharedSecret(a, Curve25519.publicKey(b)).orElseThrow(),
                Curve25519.sharedSecret(b, Curve25519.publicKey(a)).orElseThrow());
    }
}
