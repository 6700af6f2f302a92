package dev.wgpr.client.daemon;

import dev.wgpr.common.net.IpPrefix;
import dev.wgpr.enforcement.Policy;

/**
 * Where a tunnel's internal prefix goes in the policy, by the tunnel's mode (enforcement/DESIGN.md,
 * "Modes"): one answer for the daemon's policy and for {@code wg-pr trace}'s judge, which rebuilds it
 * from {@code status}.
 */
public final class InternalPlacement {
    private InternalPlacement() {}

    /**
     * @param bypass the tunnel lets processes that are no app around it ({@code others = "bypass"})
     * @param excludes the tunnel has excluded apps
     */
    public static void place(Policy.Builder builder, IpPrefix prefix, int peer, boolean bypass, boolean excludes) {
        if (bypass) {
            builder.bypass(prefix, peer);
        } else if (excludes && prefix.length() <= 1) {
            // The default route's parts (0.0.0.0/0, or di-semi-default's halves): the Internet, which
            // excluded apps reach through the underlay; the tunnel's own prefixes stay denied to them.
            builder.aroundForExcluded(prefix, peer);
        } else {
            builder.internal(prefix, peer);
        }
    }
}
