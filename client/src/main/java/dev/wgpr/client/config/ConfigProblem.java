package dev.wgpr.client.config;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.Objects;

/**
 * One mistake (or, for a reason that {@link Reason#isWarning is a warning}, one warning) in a config file, with
 * where it is: {@code corp.toml:12:9: peer[0].allowedApps[1].allow[2]: grant … is outside …}.
 *
 * @param line 1-based
 * @param column 1-based
 * @param field the path of the value, such as {@code peer[0].allowedApps[1].allow[2]}; empty for
 *     TOML syntax errors, which belong to no field
 */
public record ConfigProblem(Path file, int line, int column, String field, Reason reason, String message) {
    /** In the order of the file, as a compiler lists them. */
    static final Comparator<ConfigProblem> BY_POSITION =
            Comparator.comparingInt(ConfigProblem::line).thenComparingInt(ConfigProblem::column);

    public enum Reason {
        TOML_SYNTAX,
        UNKNOWN_KEY,
        MISSING_REQUIRED_KEY,
        WRONG_TYPE,
        /** Not 44 characters of canonical base64, not 32 bytes, or all zero. */
        BAD_KEY,
        /** Two keys that say the same thing, such as privateKey and privateKeyFile. */
        CONFLICTING_KEYS,
        UNREADABLE_KEY_FILE,
        BAD_ADDRESS,
        BAD_PREFIX,
        HOST_BITS_SET,
        BAD_ENDPOINT,
        BAD_PORT,
        BAD_KEEPALIVE,
        MTU_OUT_OF_RANGE,
        BAD_INTERFACE_NAME,
        BAD_ROUTE_MODE,
        /** {@code backend} is none of auto, kernel, userspace. */
        BAD_BACKEND,
        /** {@code others} is none of deny, bypass. */
        BAD_OTHERS,
        /** {@code incoming} is none of apps, none, all. */
        BAD_INCOMING,
        /** An item of an app's {@code listen} that is not tcp/PORTS or udp/PORTS (its ports: BAD_PORT_RANGE). */
        BAD_LISTEN,
        BAD_PEER_NAME,
        BAD_APP_NAME,
        DUPLICATE_APP_NAME,
        DUPLICATE_PEER_KEY,
        /** A peer whose public key is our own: WireGuard would never complete a handshake with it. */
        PEER_IS_SELF,
        EXEC_NOT_ABSOLUTE,
        BAD_SHA256,
        BAD_CHILDREN,
        /** {@code allowExec} with {@code children = "any"}, where every process has the grants anyway. */
        ALLOW_EXEC_WITHOUT_SAME_EXEC,
        BAD_ARGS_PATTERN,
        BAD_GRANT_SYNTAX,
        BAD_PORT_RANGE,
        GRANT_OUTSIDE_ALLOWED_IPS,
        NO_PEERS,
        /** Not a DNS name of letters, digits and hyphens in dot-separated labels of at most 63 bytes. */
        BAD_DNS_DOMAIN,
        /** dnsDomains without a dns server to ask for them. */
        DNS_DOMAINS_WITHOUT_SERVERS,
        BAD_DNS_ACCESS,
        /** {@code dnsResolver} is none of auto, systemd-resolved, resolvconf, file, none. */
        BAD_DNS_RESOLVER,
        /** One prefix in the allowedIPs of two peers: WireGuard sends it to one of them only. */
        DUPLICATE_ALLOWED_IP,
        /** A warning, not an error: a key file that others than its owner may read or write. */
        KEY_FILE_ACCESSIBLE,
        /** A warning: a key written inline in a config file that others than its owner may read or write. */
        INLINE_KEY_ACCESSIBLE,
        /** A warning: an app's exec names no file on this machine (the config may be meant for another). */
        EXEC_MISSING,
        /**
         * A warning: a tunnel that routes 0.0.0.0/0 or ::/0 denies it to every process that is no app (others
         * not written, so deny by default): the whole Internet, which few who import a consumer VPN's config
         * mean.
         */
        DENY_FULL_TUNNEL;

        public boolean isWarning() {
            return this == KEY_FILE_ACCESSIBLE
                    || this == INLINE_KEY_ACCESSIBLE
                    || this == EXEC_MISSING
                    || this == DENY_FULL_TUNNEL;
        }

        /**
         * A warning that {@code up} and {@code reload} refuse without {@code --force}: the config takes more from
         * every other process than its author may mean, and nobody reads warnings of a command that works.
         */
        public boolean needsForce() {
            return this == DENY_FULL_TUNNEL;
        }
    }

    public ConfigProblem {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(message, "message");
        if (line < 1 || column < 1) {
            throw new IllegalArgumentException("positions are 1-based: " + line + ":" + column);
        }
    }

    /** One line, as compilers write them: {@code FILE:LINE:COLUMN: [warning: ]FIELD: MESSAGE}. */
    @Override
    public String toString() {
        return file + ":" + line + ":" + column + ": " + (reason.isWarning() ? "warning: " : "")
                + (field.isEmpty() ? "" : field + ": ") + message;
    }
}
