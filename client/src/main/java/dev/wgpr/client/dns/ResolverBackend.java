package dev.wgpr.client.dns;

import java.io.IOException;

/**
 * The host's resolver, as the daemon changes it for a tunnel and puts it back: systemd-resolved over
 * D-Bus, resolvconf, or a managed {@code /etc/resolv.conf}. An extension point: one implementation
 * per kind of resolver, chosen by what the host really uses.
 *
 * <p>{@link #apply} and {@link #revert} are idempotent, and {@link #revert} restores exactly what was
 * there before the first {@link #apply} for that link, also when called by a later daemon after a crash
 * (what it needs to do so is kept under the daemon's runtime directory, not in memory).
 */
public interface ResolverBackend {
    /** A short name for status and doctor, e.g. "systemd-resolved". */
    String name();

    /** Tells the host's resolver about {@code link}, replacing what an earlier apply for it said. */
    void apply(LinkDns link) throws IOException;

    /** Takes back everything {@link #apply} did for the link named {@code interfaceName}. */
    void revert(String interfaceName) throws IOException;
}
