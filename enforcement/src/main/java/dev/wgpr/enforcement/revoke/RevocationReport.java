package dev.wgpr.enforcement.revoke;

import dev.wgpr.enforcement.AppId;
import dev.wgpr.enforcement.Decision;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * What one revocation sweep found and did, for {@code status} and the log.
 *
 * @param apps the apps whose sockets were examined
 * @param cgroups their cgroups, descendants included
 * @param examined the connected sockets of those cgroups the kernel listed
 * @param destroyed the sockets the new policy no longer allows, destroyed
 * @param gone sockets that matched but were closed before we could destroy them ({@code ENOENT})
 * @param failures sockets that matched and could not be destroyed, with the reason
 * @param elapsed the time the sweep took (dumps and destroys)
 */
public record RevocationReport(
        int apps,
        int cgroups,
        int examined,
        List<Revoked> destroyed,
        int gone,
        List<Failure> failures,
        Duration elapsed) {
    public RevocationReport {
        destroyed = List.copyOf(destroyed);
        failures = List.copyOf(failures);
    }

    static final RevocationReport NOTHING = new RevocationReport(0, 0, 0, List.of(), 0, List.of(), Duration.ZERO);

    /** A socket that was destroyed: whose, which, and the decision of the new policy. */
    public record Revoked(
            AppId app, String transport, InetSocketAddress local, InetSocketAddress remote, Decision decision) {}

    /** A socket that matched but could not be destroyed. */
    public record Failure(AppId app, String socket, int errno, String message) {}

    /** The sockets the new policy no longer allows: destroyed, gone and failed. */
    public int matched() {
        return destroyed.size() + gone + failures.size();
    }

    /** True when every matching socket is closed now (destroyed or gone). */
    public boolean complete() {
        return failures.isEmpty();
    }

    /** One line for the log, e.g. "revocation: 2 apps, 3 cgroups, 14 connected sockets, 5 revoked: 5 destroyed, 0 gone, 0 failed in 0.4 ms". */
    public String summary() {
        return String.format(
                "revocation: %d apps, %d cgroups, %d connected sockets, %d revoked: %d destroyed, %d gone, %d failed in %.1f ms",
                apps, cgroups, examined, matched(), destroyed.size(), gone, failures.size(), elapsed.toNanos() / 1e6);
    }
}
