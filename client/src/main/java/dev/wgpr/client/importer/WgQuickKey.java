package dev.wgpr.client.importer;

import static dev.wgpr.client.importer.WgQuickSection.Kind.INTERFACE;
import static dev.wgpr.client.importer.WgQuickSection.Kind.PEER;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The keys wg-quick, {@code wg setconf} and WireSock accept, where each may appear, and for those
 * wg-pr has no counterpart for, why.
 */
enum WgQuickKey {
    PRIVATE_KEY("PrivateKey", Repeats.LAST_WINS, INTERFACE),
    LISTEN_PORT("ListenPort", Repeats.LAST_WINS, INTERFACE),
    ADDRESS("Address", Repeats.ACCUMULATE, INTERFACE),
    DNS("DNS", Repeats.ACCUMULATE, INTERFACE),
    MTU("MTU", Repeats.LAST_WINS, INTERFACE),
    FW_MARK(
            "FwMark",
            "wg-pr does not mark packets; it keeps its own traffic to the server off the tunnel with a route",
            INTERFACE),
    TABLE("Table", "wg-pr installs its own routes; Table is not used", INTERFACE),
    PRE_UP("PreUp", Reasons.SCRIPTS, INTERFACE),
    POST_UP("PostUp", Reasons.SCRIPTS, INTERFACE),
    PRE_DOWN("PreDown", Reasons.SCRIPTS, INTERFACE),
    POST_DOWN("PostDown", Reasons.SCRIPTS, INTERFACE),
    SAVE_CONFIG("SaveConfig", "wg-pr never writes the running state back into its config", INTERFACE),
    PUBLIC_KEY("PublicKey", Repeats.LAST_WINS, PEER),
    PRESHARED_KEY("PresharedKey", Repeats.LAST_WINS, PEER),
    ALLOWED_IPS("AllowedIPs", Repeats.ACCUMULATE, PEER),
    ENDPOINT("Endpoint", Repeats.LAST_WINS, PEER),
    PERSISTENT_KEEPALIVE("PersistentKeepalive", Repeats.LAST_WINS, PEER),
    // WireSock's extensions: in [Peer] where WireSock writes them, in [Interface] for every peer.
    ALLOWED_APPS("AllowedApps", Repeats.ACCUMULATE, INTERFACE, PEER),
    DISALLOWED_APPS("DisallowedApps", Repeats.ACCUMULATE, INTERFACE, PEER),
    DISALLOWED_IPS(
            "DisallowedIPs",
            "wg-pr routes exactly the peer's allowedIPs; remove these prefixes from allowedIPs by hand",
            INTERFACE,
            PEER);

    /** What a second line with the same key in one section does. */
    enum Repeats {
        /** As {@code wg setconf}: the later line replaces the earlier one. */
        LAST_WINS,
        /** As wg-quick's Address and DNS and wg's AllowedIPs: the values add up. */
        ACCUMULATE
    }

    private static final class Reasons {
        static final String SCRIPTS = "scripts are not run by wg-pr";
    }

    private static final Map<String, WgQuickKey> BY_LOWER_CASE_NAME = Arrays.stream(values())
            .collect(Collectors.toUnmodifiableMap(k -> k.canonicalName.toLowerCase(Locale.ROOT), Function.identity()));

    private final String canonicalName;
    private final Repeats repeats;
    private final String notCarriedOverReason;
    private final Set<WgQuickSection.Kind> sections;

    WgQuickKey(String canonicalName, Repeats repeats, WgQuickSection.Kind first, WgQuickSection.Kind... more) {
        this(canonicalName, repeats, null, first, more);
    }

    /** A key wg-pr has no counterpart for: every line of it is reported with the reason. */
    WgQuickKey(
            String canonicalName, String notCarriedOverReason, WgQuickSection.Kind first, WgQuickSection.Kind... more) {
        this(canonicalName, Repeats.ACCUMULATE, notCarriedOverReason, first, more);
    }

    WgQuickKey(
            String canonicalName,
            Repeats repeats,
            String notCarriedOverReason,
            WgQuickSection.Kind first,
            WgQuickSection.Kind... more) {
        this.canonicalName = canonicalName;
        this.repeats = repeats;
        this.notCarriedOverReason = notCarriedOverReason;
        this.sections = EnumSet.of(first, more);
    }

    /** The key as wg-quick's documentation spells it; keys are matched ignoring case. */
    static Optional<WgQuickKey> named(String key) {
        return Optional.ofNullable(BY_LOWER_CASE_NAME.get(key.toLowerCase(Locale.ROOT)));
    }

    String canonicalName() {
        return canonicalName;
    }

    Repeats repeats() {
        return repeats;
    }

    /** Why wg-pr cannot carry this key over, or empty when it can. */
    Optional<String> notCarriedOverReason() {
        return Optional.ofNullable(notCarriedOverReason);
    }

    boolean allowedIn(WgQuickSection.Kind section) {
        return sections.contains(section);
    }
}
