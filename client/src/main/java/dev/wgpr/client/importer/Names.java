package dev.wgpr.client.importer;

import dev.wgpr.client.config.AppConfig;
import dev.wgpr.client.config.InterfaceConfig;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/** Names wg-pr accepts, made from whatever a wg-quick file offers. */
final class Names {
    private static final int MAX_SAFE_NAME = 64;
    private static final Pattern UNSAFE_RUN = Pattern.compile("[^a-z0-9._-]+");
    private static final Pattern UNSAFE_START = Pattern.compile("^[^a-z0-9]+");
    private static final Pattern UNSAFE_END = Pattern.compile("[-.]+$");

    private static final int MAX_PEER_NAME = 64;

    private static final Pattern UNSAFE_INTERFACE_CHARACTERS = Pattern.compile("[^a-zA-Z0-9_=+.-]+");

    private Names() {}

    /**
     * {@code text} as a name {@link AppConfig#isValidName} accepts: lowercase, every run of other characters
     * replaced by one {@code -}. Empty when nothing usable is left.
     */
    static String safeName(String text) {
        String name = UNSAFE_RUN.matcher(text.toLowerCase(Locale.ROOT)).replaceAll("-");
        name = UNSAFE_START.matcher(name).replaceAll("");
        if (name.length() > MAX_SAFE_NAME) {
            name = name.substring(0, MAX_SAFE_NAME);
        }
        return UNSAFE_END.matcher(name).replaceAll("");
    }

    /** {@code name}, or {@code name-2}, {@code name-3}… whichever is not taken yet. */
    static String unique(String name, Set<String> taken) {
        String candidate = name;
        for (int n = 2; taken.contains(candidate); n++) {
            String suffix = "-" + n;
            candidate = name.substring(0, Math.min(name.length(), MAX_SAFE_NAME - suffix.length())) + suffix;
        }
        return candidate;
    }

    /**
     * A peer name as wg-pr takes it: 1 to 64 printable characters (it only labels the peer in plans
     * and status). Control characters become spaces; empty when nothing printable is left.
     */
    static String peerName(String text) {
        String name = text.codePoints()
                .map(c -> Character.isISOControl(c) ? ' ' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                .toString()
                .strip();
        return name.length() > MAX_PEER_NAME ? name.substring(0, MAX_PEER_NAME).strip() : name;
    }

    /**
     * A usable interface name from a file name stem: other characters become {@code -}; a name longer
     * than 15 keeps its whole first words and its last one (which tells servers of one provider apart,
     * as in {@code mullvad-se-got-wg-001}), else it is cut.
     */
    static String interfaceName(String stem) {
        String name = UNSAFE_INTERFACE_CHARACTERS.matcher(stem).replaceAll("-");
        if (name.length() > MAX_INTERFACE_NAME) {
            name = shortened(name);
        }
        return InterfaceConfig.isValidName(name) ? name : "wg0";
    }

    private static final int MAX_INTERFACE_NAME = 15;

    private static String shortened(String name) {
        int lastSeparator =
                name.replaceAll("[-_.=+]+$", "").replaceAll("[^-_.=+]+$", "").length();
        String last = name.substring(lastSeparator).replaceAll("[-_.=+]+$", "");
        StringBuilder head = new StringBuilder();
        for (String word : name.substring(0, Math.max(lastSeparator - 1, 0)).split("(?=[-_.=+])")) {
            if (head.length() + word.length() + 1 + last.length() > MAX_INTERFACE_NAME) {
                break;
            }
            head.append(word);
        }
        String kept = head.isEmpty() || last.isEmpty() ? "" : head + "-" + last;
        return kept.length() >= 4 ? kept : name.substring(0, MAX_INTERFACE_NAME);
    }
}
