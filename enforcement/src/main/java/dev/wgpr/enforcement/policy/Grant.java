package dev.wgpr.enforcement.policy;

import dev.wgpr.common.net.InterfaceAddress;
import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.common.net.IpText;
import dev.wgpr.enforcement.policy.InvalidGrantException.Kind;
import java.net.InetAddress;
import java.util.Objects;

/**
 * What one app may reach: destinations in {@code prefix}, over {@code protocol}, to a port in
 * {@code ports}. Written {@code PREFIX [PROTO[/PORTS]]}, for example {@code 10.20.0.0/16 tcp/22} or
 * {@code 10.20.2.0/24 tcp/8000-8099,9000}; without PROTO, any protocol and any port.
 */
public record Grant(IpPrefix prefix, Protocol protocol, PortSet ports) {
    private static final String GRAMMAR = "PREFIX [tcp|udp|any[/PORTS]], e.g. 10.20.0.0/16 tcp/22";

    public Grant {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(ports, "ports");
    }

    /** Everything in {@code prefix}: any protocol, any port. */
    public static Grant allOf(IpPrefix prefix) {
        return new Grant(prefix, Protocol.ANY, PortSet.ALL);
    }

    /**
     * Parses {@code PREFIX [PROTO[/PORTS]]}. A bare address is a host prefix.
     *
     * @throws InvalidGrantException whose kind tells a bad shape, a bad prefix, host bits set and a
     *     bad port range apart
     */
    public static Grant parse(String text) {
        String[] words = text.strip().split("\\s+");
        if (words.length > 2 || words[0].isEmpty()) {
            throw new InvalidGrantException(Kind.SYNTAX, "'" + text + "' is not " + GRAMMAR);
        }
        IpPrefix prefix = parsePrefix(words[0]);
        if (words.length == 1) {
            return allOf(prefix);
        }
        String protocolAndPorts = words[1];
        int slash = protocolAndPorts.indexOf('/');
        Protocol protocol = Protocol.parse(slash < 0 ? protocolAndPorts : protocolAndPorts.substring(0, slash));
        PortSet ports = slash < 0 ? PortSet.ALL : PortSet.parse(protocolAndPorts.substring(slash + 1));
        return new Grant(prefix, protocol, ports);
    }

    private static IpPrefix parsePrefix(String text) {
        InterfaceAddress address;
        try {
            address = InterfaceAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw new InvalidGrantException(Kind.PREFIX, e.getMessage());
        }
        if (address.hasHostBits()) {
            throw new InvalidGrantException(Kind.HOST_BITS, address.hostBitsMessage());
        }
        return address.network();
    }

    /**
     * Whether this grant covers a connection or datagram to {@code destination} over {@code
     * protocol} (TCP or UDP) to {@code port}.
     */
    public boolean covers(InetAddress destination, Protocol protocol, int port) {
        return prefix.contains(destination) && this.protocol.covers(protocol) && ports.contains(port);
    }

    /** In the config grammar, so that {@code parse(toString())} equals this grant. */
    @Override
    public String toString() {
        String where = IpText.of(prefix);
        if (protocol == Protocol.ANY && ports.isAll()) {
            return where;
        }
        return where + " " + protocol.text() + (ports.isAll() ? "" : "/" + ports);
    }
}
