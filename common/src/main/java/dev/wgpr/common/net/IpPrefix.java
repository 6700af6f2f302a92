package dev.wgpr.common.net;

import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An IPv4 or IPv6 prefix such as {@code 10.20.0.0/16} with no host bits set. Parsing never
 * resolves names.
 */
public record IpPrefix(InetAddress address, int length) implements Comparable<IpPrefix> {
    private static final Pattern DOTTED_QUAD = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    public IpPrefix {
        Objects.requireNonNull(address, "address");
        int max = bits(address);
        if (length < 0 || length > max) {
            throw new IllegalArgumentException("prefix length " + length + " is outside 0.." + max);
        }
        if (!masked(address, length).equals(address)) {
            throw new IllegalArgumentException("host bits set in " + address.getHostAddress() + "/" + length
                    + "; the prefix is " + masked(address, length).getHostAddress() + "/" + length);
        }
    }

    /**
     * Parses {@code ADDRESS/LENGTH}, or a bare address as a host prefix.
     *
     * @throws IllegalArgumentException naming what is wrong; for host bits set, the message shows the
     *     normalized prefix
     */
    public static IpPrefix parse(String text) {
        int slash = text.indexOf('/');
        InetAddress address = parseAddress(slash < 0 ? text : text.substring(0, slash));
        int length = bits(address);
        if (slash >= 0) {
            String lengthText = text.substring(slash + 1);
            if (!lengthText.matches("\\d{1,3}")) {
                throw new IllegalArgumentException("bad prefix length '" + lengthText + "' in '" + text + "'");
            }
            length = Integer.parseInt(lengthText);
        }
        return new IpPrefix(address, length);
    }

    /** The prefix of {@code length} bits that contains {@code address}: host bits cleared. */
    public static IpPrefix containing(InetAddress address, int length) {
        return new IpPrefix(masked(address, length), length);
    }

    /** The host prefix of one address: /32 or /128. */
    public static IpPrefix host(InetAddress address) {
        return new IpPrefix(address, bits(address));
    }

    /**
     * Parses an IPv4 dotted quad or an IPv6 literal (brackets and zone ids are refused). Never
     * resolves a name.
     */
    public static InetAddress parseAddress(String text) {
        try {
            if (text.indexOf(':') >= 0) {
                if (text.indexOf('%') >= 0 || text.indexOf('[') >= 0) {
                    throw new IllegalArgumentException(
                            "'" + text + "' is not a plain IPv6 address (no brackets, no zone id)");
                }
                return Inet6Address.ofLiteral(text);
            }
            if (DOTTED_QUAD.matcher(text).matches()) {
                return Inet4Address.ofLiteral(text);
            }
        } catch (IllegalArgumentException e) {
            // fall through to the uniform message below
        }
        throw new IllegalArgumentException("'" + text + "' is not an IPv4 or IPv6 address");
    }

    public boolean isIpv4() {
        return address instanceof Inet4Address;
    }

    /** Whether {@code other} lies inside this prefix (same family). */
    public boolean contains(InetAddress other) {
        return bits(other) == bits(address) && masked(other, length).equals(address);
    }

    /** Whether every address of {@code other} lies inside this prefix. */
    public boolean contains(IpPrefix other) {
        return other.length >= length && contains(other.address);
    }

    @Override
    public int compareTo(IpPrefix other) {
        int family = Integer.compare(bits(address), bits(other.address));
        if (family != 0) {
            return family;
        }
        int byAddress =
                new BigInteger(1, address.getAddress()).compareTo(new BigInteger(1, other.address.getAddress()));
        return byAddress != 0 ? byAddress : Integer.compare(length, other.length);
    }

    @Override
    public String toString() {
        return address.getHostAddress() + "/" + length;
    }

    private static int bits(InetAddress address) {
        return address.getAddress().length * 8;
    }

    private static InetAddress masked(InetAddress address, int length) {
        byte[] bytes = address.getAddress();
        for (int bit = length; bit < bytes.length * 8; bit++) {
            bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes are always an address", e);
        }
    }

    // equals and hashCode written out: a record's own are linked at their first call by a bootstrap that
    // spins method-handle classes (some 20 ms of `wg-pr check`, which hashes prefixes of every config).

    @Override
    public boolean equals(Object other) {
        return other instanceof IpPrefix prefix && length == prefix.length && address.equals(prefix.address);
    }

    @Override
    public int hashCode() {
        return 31 * address.hashCode() + length;
    }
}
