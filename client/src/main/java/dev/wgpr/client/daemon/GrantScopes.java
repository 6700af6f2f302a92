package dev.wgpr.client.daemon;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.enforcement.policy.Grant;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Keeps each tunnel's grants to the destinations routing sends into that tunnel. The kernel policy has
 * one grant list per app, the union over the tunnels; but an app named in two tunnels must be judged,
 * for a destination, by the grants of the tunnel that carries it (longest match, as routing decides):
 * with tunnel A on 10.20.0.0/16 granting the app all of it and tunnel B on 10.20.5.0/24 granting it
 * only 10.20.5.10, the app must not reach 10.20.5.11 through B on A's grant. So a tunnel's grant loses
 * the parts another tunnel's more specific internal prefixes take; what no tunnel routes stays (it
 * is external, where grants do not matter to the hooks, and the tunnel backstop keeps judging traffic
 * bound into a tunnel by the grants as before). {@code wg-pr trace}'s judge clips the grants {@code status}
 * reports the same way.
 */
public final class GrantScopes {
    private final Map<IpPrefix, String> owners;

    /** @param owners every internal prefix of the daemon's tunnels, with the tunnel it routes into */
    public GrantScopes(Map<IpPrefix, String> owners) {
        this.owners = Map.copyOf(owners);
    }

    /** {@code grant} of tunnel {@code tunnel}, without the destinations routed into other tunnels. */
    public List<Grant> clip(Grant grant, String tunnel) {
        List<Grant> kept = new ArrayList<>();
        for (IpPrefix prefix : ownPart(grant.prefix(), tunnel)) {
            kept.add(prefix.equals(grant.prefix()) ? grant : new Grant(prefix, grant.protocol(), grant.ports()));
        }
        return kept;
    }

    /** The prefixes covering exactly the part of {@code prefix} that is not routed into another tunnel. */
    private List<IpPrefix> ownPart(IpPrefix prefix, String tunnel) {
        boolean foreignInside = false;
        boolean ownInside = false;
        for (Map.Entry<IpPrefix, String> entry : owners.entrySet()) {
            IpPrefix internal = entry.getKey();
            if (internal.length() > prefix.length() && prefix.contains(internal)) {
                if (entry.getValue().equals(tunnel)) {
                    ownInside = true;
                } else {
                    foreignInside = true;
                }
            }
        }
        boolean foreignOwner = owner(prefix).filter(o -> !o.equals(tunnel)).isPresent();
        if (!foreignInside && !(foreignOwner && ownInside)) {
            return foreignOwner ? List.of() : List.of(prefix);
        }
        List<IpPrefix> parts = new ArrayList<>(ownPart(half(prefix, 0), tunnel));
        parts.addAll(ownPart(half(prefix, 1), tunnel));
        return parts;
    }

    /** The tunnel of the longest internal prefix that contains all of {@code prefix}, if any does. */
    private Optional<String> owner(IpPrefix prefix) {
        IpPrefix best = null;
        for (IpPrefix internal : owners.keySet()) {
            if (internal.length() <= prefix.length()
                    && internal.contains(prefix)
                    && (best == null || internal.length() > best.length())) {
                best = internal;
            }
        }
        return Optional.ofNullable(best).map(owners::get);
    }

    /** The lower ({@code bit} 0) or upper ({@code bit} 1) half of {@code prefix}. */
    private static IpPrefix half(IpPrefix prefix, int bit) {
        byte[] bytes = prefix.address().getAddress();
        int position = prefix.length();
        if (bit == 1) {
            bytes[position / 8] |= (byte) (0x80 >>> (position % 8));
        }
        try {
            return IpPrefix.containing(InetAddress.getByAddress(bytes), position + 1);
        } catch (UnknownHostException e) {
            throw new AssertionError(e); // 4 or 16 bytes, from an address
        }
    }
}
