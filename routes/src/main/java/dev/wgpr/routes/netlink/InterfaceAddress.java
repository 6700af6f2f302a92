package dev.wgpr.routes.netlink;

import dev.wgpr.common.net.IpPrefix;
import java.net.InetAddress;
import java.util.Objects;

/**
 * An address on an interface with its prefix length, e.g. {@code 10.8.0.2/24}: unlike {@link IpPrefix},
 * host bits are the point.
 */
public record InterfaceAddress(InetAddress address, int prefixLength) {
    public InterfaceAddress {
        Objects.requireNonNull(address, "address");
        int bits = address.getAddress().length * 8;
        if (prefixLength < 0 || prefixLength > bits) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is outside 0.." + bits);
        }
    }

    /** {@code ADDRESS/LENGTH}, or a bare address as /32 or /128. Never resolves names. */
    public static InterfaceAddress parse(String text) {
        int slash = text.indexOf('/');
        InetAddress address = IpPrefix.parseAddress(slash < 0 ? text : text.substring(0, slash));
        int length = address.getAddress().length * 8;
        if (slash >= 0) {
            String lengthText = text.substring(slash + 1);
            if (!lengthText.matches("\\d{1,3}")) {
                throw new IllegalArgumentException("bad prefix length '" + lengthText + "' in '" + text + "'");
            }
            length = Integer.parseInt(lengthText);
        }
        return new InterfaceAddress(address, length);
    }

    public boolean isIpv4() {
        return address.getAddress().length == 4;
    }

    /** The network this address is in, e.g. 10.8.0.0/24. */
    public IpPrefix network() {
        return IpPrefix.containing(address, prefixLength);
    }

    @Override
    public String toString() {
        return address.getHostAddress() + "/" + prefixLength;
    }
}
