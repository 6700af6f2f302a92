package dev.wgpr.client.dns;

import dev.wgpr.client.config.DnsConfig;
import java.util.Objects;
import org.xbill.DNS.Name;

/**
 * Where a tunnel's forwarder sends a query, by the face it came in on and the name it asks: the
 * tunnel's zones go to the tunnel's servers (from the link face only when everyone may learn them),
 * every other name to the upstream the host used before.
 */
record DnsRouting(InternalZones zones, DnsConfig.Access access) {
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
        Objects.requireNonNull(zones, "zones");
        Objects.requireNonNull(access, "access");
    }

    static DnsRouting of(DnsConfig dns) {
        return new DnsRouting(InternalZones.of(dns.domains()), dns.access());
    }

    static Name zone(String domain) {
        return InternalZones.zone(domain);
    }

    Route route(Face face, Name name) {
        if (!isInternal(name)) {
            return Route.UPSTREAM;
        }
        return face == Face.APPS || access == DnsConfig.Access.EVERYONE ? Route.TUNNEL : Route.REFUSE;
    }

    boolean isInternal(Name name) {
        return zones.contains(name);
    }
}
