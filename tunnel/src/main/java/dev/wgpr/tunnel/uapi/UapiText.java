package dev.wgpr.tunnel.uapi;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.common.net.IpText;
import dev.wgpr.tunnel.crypto.Key;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The value syntax of the UAPI, accepting and printing exactly what wireguard-go (built with Go
 * 1.19's {@code strconv} and {@code net/netip}, as Debian ships it) accepts and prints. Every
 * parser throws {@link IllegalArgumentException}; the caller turns it into the protocol's errno.
 */
final class UapiText {
    private static final HexFormat HEX = HexFormat.of();
    private static final Pattern UNSIGNED = Pattern.compile("[0-9]+");
    /** {@code strconv.Atoi}, which netip uses for prefix lengths, takes a sign and leading zeros. */
    private static final Pattern SIGNED = Pattern.compile("[+-]?[0-9]+");
    /** netip refuses leading zeros in IPv4 octets (they once meant octal). */
    private static final Pattern IPV4 = Pattern.compile("(0|[1-9][0-9]{0,2})(\\.(0|[1-9][0-9]{0,2})){3}");

    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+");

    private UapiText() {}

    /** Exactly 64 hex digits of either case, as Go's {@code hex.DecodeString} into 32 bytes. */
    static Key parseKey(String hex) {
        if (hex.length() != Key.LENGTH * 2) {
            throw new IllegalArgumentException("a key is 64 hex digits, got " + hex.length() + " characters");
        }
        return Key.fromBytes(HEX.parseHex(hex));
    }

    static String formatKey(Key key) {
        return HEX.formatHex(key.toBytes());
    }

    /** A decimal number with at most {@code bits} bits, as {@code strconv.ParseUint(s, 10, bits)}. */
    static long parseUnsigned(String text, int bits) {
        if (!UNSIGNED.matcher(text).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not an unsigned decimal number");
        }
        String digits = text.replaceFirst("^0+(?=.)", "");
        long max = (1L << bits) - 1;
        if (digits.length() > 19 || Long.parseLong(digits) > max) {
            throw new IllegalArgumentException(text + " is out of range 0.." + max);
        }
        return Long.parseLong(digits);
    }

    /** {@code ADDRESS/BITS}; host bits are allowed and cleared, as wireguard-go's trie does. */
    static IpPrefix parsePrefix(String text) {
        int slash = text.lastIndexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("'" + text + "' has no '/'");
        }
        InetAddress address = parseAddress(text.substring(0, slash));
        String bitsText = text.substring(slash + 1);
        if (!SIGNED.matcher(bitsText).matches() || bitsText.length() > 12) {
            throw new IllegalArgumentException("bad bits after slash in '" + text + "'");
        }
        long bits = Long.parseLong(bitsText);
        int maxBits = address.getAddress().length * 8;
        if (bits < 0 || bits > maxBits) {
            throw new IllegalArgumentException("prefix length out of range in '" + text + "'");
        }
        return IpPrefix.containing(address, (int) bits);
    }

    static String formatPrefix(IpPrefix prefix) {
        return formatAddress(prefix.address()) + "/" + prefix.length();
    }

    /**
     * {@code a.b.c.d:port} or {@code [v6]:port}. A numeric IPv6 zone is accepted and dropped, as
     * wireguard-go drops it when printing; an interface-name zone is refused (see the package docs).
     */
    static InetSocketAddress parseEndpoint(String text) {
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("'" + text + "' is not ip:port");
        }
        String host = text.substring(0, colon);
        int port = (int) parseUnsigned(text.substring(colon + 1), 16);
        InetAddress address;
        if (host.startsWith("[")) {
            if (!host.endsWith("]") || host.length() < 3) {
                throw new IllegalArgumentException("'" + text + "' has unbalanced brackets");
            }
            String inner = host.substring(1, host.length() - 1);
            int percent = inner.indexOf('%');
            if (percent >= 0) {
                if (!UNSIGNED.matcher(inner.substring(percent + 1)).matches()) {
                    throw new IllegalArgumentException("only numeric IPv6 zones are supported: '" + text + "'");
                }
                inner = inner.substring(0, percent);
            }
            if (inner.indexOf(':') < 0) {
                throw new IllegalArgumentException("square brackets can only be used with IPv6 addresses");
            }
            address = parseIpv6(inner);
        } else {
            if (host.indexOf(':') >= 0) {
                throw new IllegalArgumentException("IPv6 addresses must be surrounded by square brackets");
            }
            address = parseIpv4(host);
        }
        return new InetSocketAddress(address, port);
    }

    static String formatEndpoint(InetSocketAddress endpoint) {
        InetAddress address = endpoint.getAddress();
        String host = address instanceof Inet6Address ? "[" + formatAddress(address) + "]" : formatAddress(address);
        return host + ":" + endpoint.getPort();
    }

    /** Decides the family by the first separator, as netip's {@code ParseAddr} does. */
    static InetAddress parseAddress(String text) {
        for (int i = 0; i < text.length(); i++) {
            switch (text.charAt(i)) {
                case '.' -> {
                    return parseIpv4(text);
                }
                case ':' -> {
                    return parseIpv6(text);
                }
                case '%' -> throw new IllegalArgumentException("missing IPv6 address in '" + text + "'");
                default -> {}
            }
        }
        throw new IllegalArgumentException("unable to parse IP '" + text + "'");
    }

    /**
     * RFC 5952, as Go's netip prints: lowercase, the first longest run of two or more zero groups
     * compressed, no embedded IPv4 (IPv4-mapped addresses, which Go prints dotted, never get here).
     */
    static String formatAddress(InetAddress address) {
        return IpText.of(address);
    }

    private static InetAddress parseIpv4(String text) {
        if (!IPV4.matcher(text).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not an IPv4 address");
        }
        byte[] bytes = new byte[4];
        String[] octets = text.split("\\.");
        for (int i = 0; i < 4; i++) {
            int octet = Integer.parseInt(octets[i]);
            if (octet > 255) {
                throw new IllegalArgumentException("IPv4 field has value >255 in '" + text + "'");
            }
            bytes[i] = (byte) octet;
        }
        return byAddress(bytes);
    }

    /**
     * IPv6 literal without zone. IPv4-mapped addresses ({@code ::ffff:a.b.c.d}) are refused: Java
     * turns them into IPv4 addresses, which would route them as IPv4 (see the package docs).
     */
    private static InetAddress parseIpv6(String text) {
        if (!IPV6_CHARS.matcher(text).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not an IPv6 address");
        }
        InetAddress address;
        try {
            address = Inet6Address.ofLiteral(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not an IPv6 address", e);
        }
        if (address instanceof Inet4Address) {
            throw new IllegalArgumentException("IPv4-mapped IPv6 address '" + text + "' is not supported");
        }
        return byAddress(address.getAddress()); // drops any scope Java may have attached
    }

    private static InetAddress byAddress(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes are always an address", e);
        }
    }
}
