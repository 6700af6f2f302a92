package dev.wgpr.tunnel.crypto;

import static dev.wgpr.tunnel.Hex.hex;
import static dev.wgpr.tunnel.Hex.sequence;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.bouncycastle.crypto.digests.Blake2sDigest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Blake2sTest {
    @Test
    void hashOfAbcIsTheRfc7693AppendixBValue() {
        // RFC 7693, Appendix B: BLAKE2s-256("abc").
        assertEquals(
                "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982",
                hex(Blake2s.hash("abc".getBytes(StandardCharsets.US_ASCII))));
    }

    @Test
    void hashOfTheEmptyStringIsTheReferenceValue() {
        // BLAKE2 reference test vectors (github.com/BLAKE2/BLAKE2, testvectors/blake2-kat.json, blake2s, in "").
        assertEquals("69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9", hex(Blake2s.hash()));
    }

    @Test
    void hashOfSeveralPartsIsTheHashOfTheirConcatenation() {
        byte[] whole = sequence(0, 100);
        assertArrayEquals(
                Blake2s.hash(whole),
                Blake2s.hash(Arrays.copyOfRange(whole, 0, 37), Arrays.copyOfRange(whole, 37, 100)));
    }

    /**
     * Keyed BLAKE2s-256 from the BLAKE2 reference test vectors (github.com/BLAKE2/BLAKE2,
     * testvectors/blake2s-test.txt): key 00..1f, input 00 01 .. (length-1); the lengths around the 64-byte
     * block boundary.
     */
    @ParameterizedTest
    @CsvSource({
        "0, 48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49",
        "1, 40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1",
        "2, 6bb71300644cd3991b26ccd4d274acd1adeab8b1d7914546c1198bbe9fc9d803",
        "63, c65382513f07460da39833cb666c5ed82e61b9e998f4b0c4287cee56c3cc9bcd",
        "64, 8975b0577fd35566d750b362b0897a26c399136df07bababbde6203ff2954ed4",
        "65, 21fe0ceb0052be7fb0f004187cacd7de67fa6eb0938d927677f2398c132317a8",
    })
    void keyedHashMatchesTheReferenceKnownAnswers(int length, String expected) {
        byte[] input = sequence(0, length);
        assertEquals(expected, hex(Blake2s.keyedHash(sequence(0, 32), 32, input, 0, input.length)));
    }

    @Test
    void macIsKeyedBlake2sWithSixteenBytesOfOutputNotATruncation() {
        // Cross-checked with CPython: hashlib.blake2s(bytes(range(64)), key=bytes(range(32)), digest_size=16).
        byte[] data = sequence(0, 64);
        byte[] mac = Blake2s.mac(sequence(0, 32), data, 0, data.length);
        assertEquals("f1efa90d2547036841ecd3627fafbc36", hex(mac));
        assertNotEquals(hex(Arrays.copyOf(Blake2s.keyedHash(sequence(0, 32), 32, data, 0, data.length), 16)), hex(mac));
    }

    @Test
    void macCoversOnlyTheGivenRange() {
        byte[] data = sequence(0, 80);
        assertArrayEquals(
                Blake2s.mac(sequence(0, 32), sequence(0, 64), 0, 64), Blake2s.mac(sequence(0, 32), data, 0, 64));
        assertArrayEquals(
                Blake2s.mac(sequence(0, 32), sequence(10, 20), 0, 20), Blake2s.mac(sequence(0, 32), data, 10, 20));
    }

    @Test
    void keyedHashRefusesKeysItCannotTake() {
        assertThrows(IllegalArgumentException.class, () -> Blake2s.keyedHash(new byte[0], 16, new byte[1], 0, 1));
        assertThrows(IllegalArgumentException.class, () -> Blake2s.keyedHash(new byte[33], 16, new byte[1], 0, 1));
        assertThrows(IllegalArgumentException.class, () -> Blake2s.keyedHash(new byte[32], 33, new byte[1], 0, 1));
    }

    /**
     * Every input length up to past three blocks (unkeyed, split into two parts anywhere; keyed, with every
     * key and output length): the same as Bouncy Castle's digest, an independent implementation.
     */
    @Test
    void agreesWithBouncyCastleAcrossBlockBoundariesAndKeyLengths() {
        Random random = new Random(7);
        for (int length = 0; length <= 200; length++) {
            byte[] data = new byte[length];
            random.nextBytes(data);
            int split = random.nextInt(length + 1);
            assertArrayEquals(
                    bouncyCastle(null, Blake2s.HASH_LENGTH, data),
                    Blake2s.hash(Arrays.copyOf(data, split), Arrays.copyOfRange(data, split, length)),
                    "hash of length " + length);
            byte[] key = new byte[1 + length % Blake2s.MAX_KEY_LENGTH];
            random.nextBytes(key);
            int outLength = 1 + random.nextInt(Blake2s.HASH_LENGTH);
            assertArrayEquals(
                    bouncyCastle(key, outLength, data),
                    Blake2s.keyedHash(key, outLength, data, 0, length),
                    "keyed hash of length " + length);
        }
    }

    private static byte[] bouncyCastle(byte[] key, int outLength, byte[] data) {
        Blake2sDigest digest = new Blake2sDigest(key, outLength, null, null);
        digest.update(data, 0, data.length);
        byte[] out = new byte[outLength];
        digest.doFinal(out, 0);
        return out;
    }

    @Test
    void hmacMatchesAnIndependentHmacBlake2s() {
        // Cross-checked with CPython: hmac.new(key, msg, hashlib.blake2s).hexdigest().
        assertEquals(
                "6f54a2abbcb1d1aa865c7c01cdcad251e898de2b7b68c277b0dca9a919b42cdf",
                hex(Blake2s.hmac(
                        "wireguard".getBytes(StandardCharsets.US_ASCII),
                        "WireGuard v1 zx2c4 Jason@zx2c4.com".getBytes(StandardCharsets.US_ASCII))));
        // A key longer than the 64-byte block is hashed first (RFC 2104).
        assertEquals(
                "c1b751501db12b753069a918627b623179be55c8cc7ca5c4e14bdf32274ac656",
                hex(Blake2s.hmac(sequence(0, 100), "abc".getBytes(StandardCharsets.US_ASCII))));
    }

    /** Every message length to past three blocks, split anywhere, keys of 0 to 100 bytes (longer than a block too). */
    @Test
    void hmacUnderAPreparedKeyIsTheHmacUnderTheKey() {
        Random random = new Random(11);
        for (int length = 0; length <= 200; length++) {
            byte[] data = new byte[length];
            random.nextBytes(data);
            int split = random.nextInt(length + 1);
            byte[] key = new byte[length % 101];
            random.nextBytes(key);
            HmacKey prepared = HmacKey.of(key);
            for (int use = 0; use < 2; use++) { // the prepared key is not used up
                assertArrayEquals(
                        Blake2s.hmac(key, data),
                        Blake2s.hmac(prepared, Arrays.copyOf(data, split), Arrays.copyOfRange(data, split, length)),
                        "length " + length + ", key length " + key.length);
            }
        }
    }
}
