package dev.wgpr.tunnel;

import java.util.HexFormat;

/** Hex for test vectors, written as the published sources write them (spaces and colons allowed). */
public final class Hex {
    private Hex() {}

    public static byte[] bytes(String hex) {
        return HexFormat.of().parseHex(hex.replaceAll("[\\s:]", ""));
    }

    public static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    /** {@code 00 01 02 … (n-1)}, the inputs of the BLAKE2 reference test vectors. */
    public static byte[] sequence(int start, int n) {
        byte[] out = new byte[n];
        for (int i = 0; i < n; i++) {
            out[i] = (byte) (start + i);
        }
        return out;
    }
}
