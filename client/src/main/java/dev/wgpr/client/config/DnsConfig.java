package dev.wgpr.client.config;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Name resolution through a tunnel: its DNS {@code servers}, the {@code domains} they answer for (the
 * zones whose names only they know, such as {@code corp.example}; routing domains in systemd-resolved's
 * words), who may learn those names, and how the host's resolver is told ({@code resolver}).
 */
public record DnsConfig(List<InetAddress> servers, List<String> domains, Access access, ResolverSetting resolver) {
    /** No DNS through the tunnel. */
    public static final DnsConfig NONE = new DnsConfig(List.of(), List.of(), Access.APPS);

    /** With the host's resolver chosen by {@code auto}. */
    public DnsConfig(List<InetAddress> servers, List<String> domains, Access access) {
        this(servers, domains, access, ResolverSetting.AUTO);
    }

    /** Who may resolve the tunnel's internal zones. */
    public enum Access {
        /** The apps of the peers, as for the routes: a process that is no app learns no internal name. */
        APPS("apps"),
        /** Every process (the internal names are not secret; the routes still are the apps'). */
        EVERYONE("everyone");

        private final String configName;

        Access(String configName) {
            this.configName = configName;
        }

        /** As the config writes it. */
        public String configName() {
            return configName;
        }

        /** The setting {@code text} names, if any. */
        public static Optional<Access> of(String text) {
            for (Access access : values()) {
                if (access.configName.equals(text)) {
                    return Optional.of(access);
                }
            }
            return Optional.empty();
        }
    }

    public DnsConfig {
        servers = List.copyOf(servers);
        domains = List.copyOf(domains);
        Objects.requireNonNull(access, "access");
        Objects.requireNonNull(resolver, "resolver");
        if (!domains.isEmpty() && servers.isEmpty()) {
            throw new IllegalArgumentException("DNS domains without a server to ask");
        }
    }
}
