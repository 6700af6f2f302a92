package dev.wgpr.client.importer;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Addresses written the one canonical way (RFC 5952 for IPv6: lowercase, longest zero run
 * compressed), so imported configs are stable whatever spelling the wg-quick file used. Java's
 * own {@code getHostAddress} never compresses IPv6.
 */
final class AddressText {
    private static final int GROUPS = 8;

    private AddressText() {}

    static String format(InetAddress address) {
        if (address instanceof Inet4Address) {
            return address.getHostAddress();
        }
        byte[] bytes = address.getAddress();
        int[] groups = new int[GROUPS];
        for (int i = 0; i < GROUPS; i++) {
            groups[i] = (bytes[2 * i] & 0xff) << 8 | bytes[2 * i + 1] & 0xff;
        }
        int bestStart = -1;
        int bestLength = 1; // RFC 5952 4.2.2: a single zero group is not compressed
        for (int start = 0; start < GROUPS; ) {
            int end = start;
            while (end < GROUPS && groups[end] == 0) {
                end++;
            }
            if (end - start > bestLength) {
                bestStart = start;
                bestLength = end - start;
            }
            start = Math.max(end, start + 1);
        }
        if (bestStart < 0) {
            return hex(groups, 0, GROUPS);
        }
        return hex(groups, 0, bestStart) + "::" + hex(groups, bestStart + bestLength, GROUPS);
    }

    private static String hex(int[] groups, int from, int to) {
        return Arrays.stream(groups, from, to).mapToObj(Integer::toHexString).collect(Collectors.joining(":"));
    }
}
