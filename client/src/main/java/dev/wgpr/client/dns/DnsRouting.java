package dev.wgpr.client.dns;

import dev.wgpr.client.config.DnsConfig;
import java.util.List;
import java.util.Objects;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

/**
 * Where a tunnel's forwarder sends a query, by the face it came in on and the name it asks: the
 * tunnel's zones go to the tunnel's servers (from the link face only when everyone may learn them),
 * every other name to the upstream the host used before.
 */
record DnsRouting(List<Name> domains, DnsConfig.Access access) {
    /** The two addresses a tunnel's forwarder listens on. */
    enum Face {
        /** On the tunnel interface's addresses: what the host's resolver asks, for everyone. */
        LINK,
        /** On a loopback address only the tunnel's apps may reach. */
        APPS
    }

    enum Route {
        REFUSE,
        TUNNEL,
        UPSTREAM
    }

    DnsRouting {
        domains = List.copyOf(domains);
        Objects.requireNonNull(access, "access");
    }

    static DnsRouting of(DnsConfig dns) {
        return new DnsRouting(dns.domains().stream().map(DnsRouting::zone).toList(), dns.access());
    }

    static Name zone(String domain) {
        try {
            return Name.fromString(domain, Name.root);
        } catch (TextParseException e) {
            throw new IllegalArgumentException("bad DNS domain '" + domain + "': " + e.getMessage(), e);
        }
    }

    Route route(Face face, Name name) {
        if (!isInternal(name)) {
            return Route.UPSTREAM;
        }
        return face == Face.APPS || access == DnsConfig.Access.EVERYONE ? Route.TUNNEL : Route.REFUSE;
    }

    /** Whether {@code name} is one of the tunnel's zones or under one (case does not matter in DNS). */
    boolean isInternal(Name name) {
        return domains.stream().anyMatch(name::subdomain);
    }
}
