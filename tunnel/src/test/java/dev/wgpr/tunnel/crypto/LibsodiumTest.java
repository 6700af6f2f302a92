package dev.wgpr.tunnel.crypto;

import static dev.wgpr.tunnel.Hex.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.bouncycastle.math.ec.rfc7748.X25519;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** libsodium's X25519 (what {@link Curve25519} computes shared secrets with) against Bouncy Castle's. */
class LibsodiumTest {
    /** The build machines and the package have it (dev.sh installs it): the tests below must not pass vacuously. */
    @Test
    void libsodiumIsLoaded() {
        assertTrue(Libsodium.available(), Libsodium.SONAME + " did not load");
    }

    /**
     * Random scalars (unclamped: both clamp) and random points, including the top bit that X25519 ignores and
     * u-coordinates at or above p that it reduces: the same result and the same verdict as Bouncy Castle.
     */
    @Test
    void agreesWithBouncyCastleOnRandomScalarsAndPoints() {
        Random random = new Random(23); // fixed, so a failure is reproducible
        for (int i = 0; i < 2000; i++) {
            byte[] scalar = new byte[32];
            byte[] point = new byte[32];
            random.nextBytes(scalar);
            random.nextBytes(point);
            if (i % 10 == 0) {
                Arrays.fill(point, 1, 32, (byte) 0xff); // u >= p: non-canonical encodings
            }
            byte[] expected = new byte[32];
            byte[] actual = new byte[32];
            boolean expectedOk = X25519.calculateAgreement(scalar, 0, point, 0, expected, 0);
            boolean actualOk = Libsodium.sharedSecret(scalar, point, actual);
            assertEquals(expectedOk, actualOk, "verdict for point " + i);
            assertArrayEquals(expected, actual, "result for point " + i);
        }
    }

    /**
     * Public keys by way of Edwards25519 are Bouncy Castle's X25519 public keys, for random scalars
     * (unclamped: both clamp) and for the scalars at the ends of the clamped range.
     */
    @Test
    void publicKeysAgreeWithBouncyCastle() {
        Random random = new Random(24);
        byte[][] edges = {new byte[32], filled((byte) 0xff), filled((byte) 0x01)};
        for (int i = 0; i < 2000 + edges.length; i++) {
            byte[] scalar = i < edges.length ? edges[i] : new byte[32];
            if (i >= edges.length) {
                random.nextBytes(scalar);
            }
            byte[] expected = new byte[32];
            X25519.scalarMultBase(scalar, 0, expected, 0);
            byte[] actual = new byte[32];
            if (Libsodium.publicKey(scalar, actual)) {
                assertArrayEquals(expected, actual, "public key of scalar " + i);
            } else {
                assertTrue(Arrays.equals(scalar, new byte[32]), "only the all-zero scalar is refused");
            }
            assertArrayEquals(expected, Curve25519.publicKey(scalar), "Curve25519.publicKey of scalar " + i);
        }
    }

    private static byte[] filled(byte value) {
        byte[] bytes = new byte[32];
        Arrays.fill(bytes, value);
        return bytes;
    }

    /** Low-order points, also with the ignored top bit set: refused, and the output zeroed, as Bouncy Castle does. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "0000000000000000000000000000000000000000000000000000000000000080",
                "0100000000000000000000000000000000000000000000000000000000000080",
                "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880",
                "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7",
                "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            })
    void lowOrderPointsWithTheTopBitSetAreRefused(String point) {
        byte[] scalar = bytes("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        byte[] out = new byte[32];
        Arrays.fill(out, (byte) 0x55); // whatever was there before
        assertFalse(Libsodium.sharedSecret(scalar, bytes(point), out));
        assertArrayEquals(new byte[32], out);
    }
}
