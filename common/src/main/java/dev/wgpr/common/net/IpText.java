package dev.wgpr.common.net;

import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * Addresses and prefixes as people write them: IPv6 in the RFC 5952 form ({@code fd10:20::/32}),
 * not Java's uncompressed {@code fd10:20:0:0:0:0:0:0}. For messages and plans that users read.
 */
public final class IpText {
    private IpText() {}

    public static String of(IpPrefix prefix) {
        return of(prefix.address()) + "/" + prefix.length();
    }

    /** An address and port as WireGuard and {@code wg show} write an endpoint: {@code [fd10::1]:51820}. */
    public static String endpoint(InetAddress address, int port) {
        return (address instanceof Inet6Address ? "[" + of(address) + "]" : of(address)) + ":" + port;
    }

    public static String of(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address.getHostAddress();
        }
        byte[] bytes = address.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
        }
        // RFC 5952 §4.2: "::" replaces the first longest run of two or more zero groups.
        int bestStart = -1;
        int bestLength = 1;
        for (int start = 0; start < 8; ) {
            int end = start;
            while (end < 8 && groups[end] == 0) {
                end++;
            }
            if (end - start > bestLength) {
                bestStart = start;
                bestLength = end - start;
            }
            start = end == start ? start + 1 : end;
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (!text.isEmpty() && text.charAt(text.length() - 1) != ':') {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[i]));
        }
        return text.toString();
    }
}
