package dev.wgpr.client.dns;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * What the host's resolver is told about one tunnel's link: ask {@code servers} (the daemon's own
 * forwarder for the tunnel, never the internal servers themselves) for names under {@code domains}, and
 * for every name when {@code defaultRoute} (a full tunnel).
 *
 * @param interfaceName the tunnel's interface
 * @param ifindex its index, as the resolver's per-link settings are keyed
 * @param servers the addresses the host's resolver sends the link's queries to
 * @param domains routing domains, without a leading "~"
 * @param defaultRoute whether the link is also the DNS default route (only a full tunnel's)
 */
public record LinkDns(
        String interfaceName, int ifindex, List<InetAddress> servers, List<String> domains, boolean defaultRoute) {
    public LinkDns {
        Objects.requireNonNull(interfaceName, "interfaceName");
        servers = List.copyOf(servers);
        domains = List.copyOf(domains);
        if (ifindex <= 0) {
            throw new IllegalArgumentException("ifindex " + ifindex + " names no link");
        }
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("a link's DNS needs a server to ask");
        }
    }
}
