package dev.wgpr.common.net;

import java.net.InetAddress;
import java.util.Objects;

/**
 * An address with the length of the network it sits on, as wg-quick's {@code Address =
 * 10.8.0.2/24}: unlike an {@link IpPrefix}, host bits are the point. Parsing never resolves names.
 */
public record InterfaceAddress(InetAddress address, int prefixLength) {
    public InterfaceAddress {
        Objects.requireNonNull(address, "address");
        int max = address.getAddress().length * 8;
        if (prefixLength < 0 || prefixLength > max) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is outside 0.." + max);
        }
    }

    /**
     * Parses {@code ADDRESS/LENGTH}, or a bare address as a host address (/32 or /128).
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static InterfaceAddress parse(String text) {
        int slash = text.indexOf('/');
        InetAddress address = IpPrefix.parseAddress(slash < 0 ? text : text.substring(0, slash));
        if (slash < 0) {
            return new InterfaceAddress(address, address.getAddress().length * 8);
        }
        String lengthText = text.substring(slash + 1);
        if (!lengthText.matches("\\d{1,3}")) {
            throw new IllegalArgumentException("bad prefix length '" + lengthText + "' in '" + text + "'");
        }
        return new InterfaceAddress(address, Integer.parseInt(lengthText));
    }

    /** The network this address is on: its host bits cleared. */
    public IpPrefix network() {
        return IpPrefix.containing(address, prefixLength);
    }

    /** Whether any bit after the prefix length is set, which an {@link IpPrefix} forbids. */
    public boolean hasHostBits() {
        return !network().address().equals(address);
    }

    /** Why this is not a prefix, showing the prefix it would be: for errors about host bits. */
    public String hostBitsMessage() {
        return "host bits set in " + this + "; the prefix is " + IpText.of(network());
    }

    public boolean isIpv4() {
        return network().isIpv4();
    }

    @Override
    public String toString() {
        return IpText.of(address) + "/" + prefixLength;
    }
}
