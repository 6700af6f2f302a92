package dev.wgpr.client.daemon;

import dev.wgpr.client.control.PeerCredentials;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * Who may start apps with {@code wg-pr run}. The default is safe: root, and the members of the
 * launch group ({@code wg-pr} unless the daemon is started with {@code --launch-group}), as the
 * kernel reports the caller's groups for its socket. When the group does not exist, only root. An app
 * started this way runs as its caller, so membership grants nothing but the app's network access.
 *
 * <p>The group is looked up in {@code /etc/group} at each request, so adding a user to it takes
 * effect at their next login without restarting the daemon (groups from NSS modules such as LDAP
 * are not seen: name them by number).
 */
final class LaunchPolicy {
    static final String DEFAULT_GROUP = "wg-pr";

    private static final Path ETC_GROUP = Path.of("/etc/group");

    private final String group;

    LaunchPolicy(String group) {
        this.group = group;
    }

    String group() {
        return group;
    }

    /** Empty when allowed; else why not. */
    java.util.Optional<String> refusal(PeerCredentials caller) {
        if (caller.isRoot()) {
            return java.util.Optional.empty();
        }
        OptionalInt gid = gid();
        if (gid.isPresent() && caller.inGroup(gid.getAsInt())) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of("uid " + Integer.toUnsignedString(caller.uid())
                + " may not start apps: only root and members of group '" + group + "'"
                + (gid.isPresent() ? "" : " (which does not exist on this system)") + " may use wg-pr run");
    }

    private OptionalInt gid() {
        if (group.matches("[0-9]{1,10}")) {
            return OptionalInt.of(Integer.parseUnsignedInt(group));
        }
        try {
            for (String line : Files.readAllLines(ETC_GROUP, StandardCharsets.UTF_8)) {
                String[] fields = line.split(":", -1);
                if (fields.length >= 3 && fields[0].equals(group) && fields[2].matches("[0-9]{1,10}")) {
                    return OptionalInt.of(Integer.parseUnsignedInt(fields[2]));
                }
            }
        } catch (IOException e) {
            return OptionalInt.empty();
        }
        return OptionalInt.empty();
    }
}
