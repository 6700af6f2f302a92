package dev.wgpr.client.dns;

import java.util.List;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

/**
 * A tunnel's internal zones ({@code dnsDomains}): the names only its DNS servers know. One answer to
 * "is this name internal", for the forwarder that routes queries by it and for the trace that flags an
 * internal name asked of another server.
 */
public record InternalZones(List<Name> zones) {
    public InternalZones {
        zones = List.copyOf(zones);
    }

    /** The zones {@code domains} name, as a config writes them ({@code corp.example}). */
    public static InternalZones of(List<String> domains) {
        return new InternalZones(domains.stream().map(InternalZones::zone).toList());
    }

    static Name zone(String domain) {
        try {
            return Name.fromString(domain, Name.root);
        } catch (TextParseException e) {
            throw new IllegalArgumentException("bad DNS domain '" + domain + "': " + e.getMessage(), e);
        }
    }

    /** Whether {@code name} is one of the zones or under one (case does not matter in DNS). */
    public boolean contains(Name name) {
        return zones.stream().anyMatch(name::subdomain);
    }
}
