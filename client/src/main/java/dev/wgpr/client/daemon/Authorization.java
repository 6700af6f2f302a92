package dev.wgpr.client.daemon;

import dev.wgpr.client.control.PeerCredentials;
import dev.wgpr.client.polkit.Polkit;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Who may ask the daemon for what. Root may do everything. Anyone else: polkit decides when it runs on the
 * system bus (actions {@code dev.wgpr.up}, {@code dev.wgpr.down}, {@code dev.wgpr.run}; the package's
 * defaults let the user of an active local session do them, as NetworkManager's do for connections, and
 * ask for an administrator otherwise, which a daemon without an authentication agent counts as no);
 * without polkit, membership of the launch group ({@code wg-pr} unless the daemon is started with {@code
 * --launch-group}), as the kernel reports the caller's groups for its socket, and only root when the group
 * does not exist.
 *
 * <p>A caller that is not root may name only a config the administrator put in place: a regular file owned
 * by root and writable by nobody else, in a config directory of the daemon ({@code /etc/wg-pr}, or one
 * root started it with) that is root's and writable by nobody else. So no user can make the root daemon
 * read a file of their choosing, or bring up a config they wrote.
 *
 * <p>The group is looked up in {@code /etc/group} at each request, so adding a user to it takes effect at
 * their next login without restarting the daemon (groups from NSS modules such as LDAP are not seen: name
 * them by number).
 */
final class Authorization {
    static final String DEFAULT_GROUP = "wg-pr";

    static final Path SYSTEM_CONFIGS = Path.of("/etc/wg-pr");

    private static final Path ETC_GROUP = Path.of("/etc/group");

    private static final Set<PosixFilePermission> WRITABLE_BY_OTHERS =
            Set.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);

    /** What a caller asks to do, with polkit's name for it. */
    enum Action {
        UP("dev.wgpr.up", "bring tunnels up"),
        DOWN("dev.wgpr.down", "take tunnels down"),
        RUN("dev.wgpr.run", "start apps");

        final String polkitId;
        final String description;

        Action(String polkitId, String description) {
            this.polkitId = polkitId;
            this.description = description;
        }
    }

    /** The extension point polkit fills in the daemon; a unit test gives its own answers. */
    @FunctionalInterface
    interface PolkitCheck {
        Polkit.Answer check(PeerCredentials caller, String actionId);

        PolkitCheck SYSTEM_BUS = (caller, actionId) -> Polkit.check(caller.pid(), caller.uid(), actionId);
    }

    private final String group;
    private final List<Path> configDirectories;
    private final PolkitCheck polkit;

    Authorization(String group, List<Path> configDirectories, PolkitCheck polkit) {
        this.group = group;
        List<Path> directories = new ArrayList<>(List.of(SYSTEM_CONFIGS));
        configDirectories.stream()
                .map(Path::toAbsolutePath)
                .map(Path::normalize)
                .forEach(directories::add);
        this.configDirectories = List.copyOf(directories);
        this.polkit = polkit;
    }

    String group() {
        return group;
    }

    /** Empty when {@code caller} may do {@code action}; else why not, in words for the caller. */
    Optional<String> refusal(PeerCredentials caller, Action action) {
        if (caller.isRoot()) {
            return Optional.empty();
        }
        String who = "uid " + Integer.toUnsignedString(caller.uid());
        switch (polkit.check(caller, action.polkitId)) {
            case YES -> {
                return Optional.empty();
            }
            case NO -> {
                return Optional.of(who + " may not " + action.description + ": polkit does not allow " + action.polkitId
                        + " (its rules, or an administrator's authentication, decide)");
            }
            case UNAVAILABLE -> {
                // no polkit: the launch group decides
            }
        }
        OptionalInt gid = gid();
        if (gid.isPresent() && caller.inGroup(gid.getAsInt())) {
            return Optional.empty();
        }
        return Optional.of(who + " may not " + action.description + ": only root and members of group '" + group + "'"
                + (gid.isPresent() ? "" : " (which does not exist on this system)") + " may");
    }

    /** Empty when {@code caller} may have the daemon read {@code config}; else why not. */
    Optional<String> configRefusal(PeerCredentials caller, Path config) {
        if (caller.isRoot()) {
            return Optional.empty();
        }
        String because = "only root may name a config outside " + configDirectories.getFirst()
                + " (or the daemon's other config directories), or one that is not root's alone";
        try {
            Path real = config.toRealPath();
            Path directory = real.getParent();
            boolean inConfigDirectory = false;
            for (Path allowed : configDirectories) {
                if (Files.isDirectory(allowed) && allowed.toRealPath().equals(directory)) {
                    inConfigDirectory = true;
                }
            }
            if (!inConfigDirectory || !rootsAlone(real) || !rootsAlone(directory)) {
                return Optional.of(config + ": " + because);
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of(config + ": " + because);
        }
    }

    private static boolean rootsAlone(Path path) throws IOException {
        PosixFileAttributes attributes =
                Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        boolean root = (int) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS) == 0;
        return root
                && (attributes.isRegularFile() || attributes.isDirectory())
                && attributes.permissions().stream().noneMatch(WRITABLE_BY_OTHERS::contains);
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
