package dev.wgpr.enforcement.policy;

import dev.wgpr.enforcement.policy.InvalidGrantException.Kind;
import java.util.Objects;

/**
 * Local ports an app's listeners may be reached on from the tunnel: one item of an app's {@code listen},
 * {@code tcp/8080} or {@code udp/5060-5070} (enforcement/DESIGN.md, "Incoming").
 */
public record Listen(Protocol protocol, PortSet ports) {
    private static final String GRAMMAR = "tcp/PORT or udp/PORT, PORT a port or a range such as 5060-5070";

    public Listen {
        Objects.requireNonNull(ports, "ports");
        if (protocol == Protocol.ANY) {
            // A listener has one protocol; ICMP and the like have no listening sockets to open.
            throw new IllegalArgumentException("a listen port is tcp or udp");
        }
    }

    /**
     * Parses {@code tcp/PORTS} or {@code udp/PORTS}.
     *
     * @throws InvalidGrantException of kind SYNTAX for another shape or protocol, PORT_RANGE for a port
     *     outside 1..65535 or a range that ends before it starts
     */
    public static Listen parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new InvalidGrantException(Kind.SYNTAX, "'" + text + "' names no port; write " + GRAMMAR);
        }
        String protocol = text.substring(0, slash);
        if (!protocol.equals("tcp") && !protocol.equals("udp")) {
            throw new InvalidGrantException(
                    Kind.SYNTAX, "unknown protocol '" + protocol + "' in '" + text + "'; write " + GRAMMAR);
        }
        return new Listen(Protocol.parse(protocol), PortSet.parse(text.substring(slash + 1)));
    }

    /** Whether a socket of {@code protocol} on local port {@code port} is one of these listeners. */
    public boolean holds(Protocol protocol, int port) {
        return this.protocol == protocol && ports.contains(port);
    }

    /** As the config writes it, so that {@code parse(toString())} equals this. */
    @Override
    public String toString() {
        return protocol.text() + "/" + ports;
    }
}
