package dev.wgpr.client.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;

/**
 * A daemon's stop that takes nothing down, for the next daemon to take over (a package upgrade's restart):
 * root asks for it with a file in the instance's runtime directory, which only root may write, before the
 * SIGTERM; the daemon then exits as after a crash, its tunnels' enforcement, fail-closed routes and apps left
 * in force, and the next daemon's crash recovery and {@code up} take over. {@code wg-pr down} leaves the
 * tunnel up meanwhile, so that a wg-pr@ unit stopped by the same restart does not take it down either.
 */
public final class HandOver {
    /**
     * The exit status of a daemon that handed over: EX_TEMPFAIL, which wg-pr.service neither counts as a failure
     * nor restarts by itself.
     */
    public static final int EXIT_STATUS = 75;

    private HandOver() {}

    private static Path flag(Instance instance) {
        return instance.runtimeDirectory().resolve("hand-over");
    }

    /** Asks the instance's daemon to hand over at its next SIGTERM (root). */
    public static void request(Instance instance) throws IOException {
        Files.writeString(flag(instance), "");
    }

    /** Whether a hand-over was asked for: the flag is a regular file of root's, not a link. */
    public static boolean requested(Instance instance) {
        try {
            PosixFileAttributes flag =
                    Files.readAttributes(flag(instance), PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return flag.isRegularFile() && flag.owner().getName().equals("root");
        } catch (IOException e) {
            return false;
        }
    }

    /** Removes the request (the daemon that honours it, or root after the restart). */
    public static void withdraw(Instance instance) throws IOException {
        Files.deleteIfExists(flag(instance));
    }
}
