package dev.wgpr.client.daemon;

import dev.wgpr.client.dns.HostResolver;
import dev.wgpr.enforcement.Enforcer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What a crashed daemon of the instance left behind, removed by the next one at its start: its tagged routes
 * (fail-closed unreachable routes, bypass host routes: held until a tunnel replaces them), its pinned BPF
 * programs and maps (still enforcing), its app cgroups, the UAPI sockets of its interfaces (the TUN
 * interfaces themselves went with its process), and what it told the host's resolver where that outlives
 * its links (a managed {@code /etc/resolv.conf}, resolvconf records).
 */
final class CrashRecovery {
    private CrashRecovery() {}

    /** Cleans up and returns what it found and did, in words, for the log and {@code status}. */
    static List<String> cleanUp(Instance instance, long netnsCookie, Pieces pieces) {
        List<String> found = new ArrayList<>();
        // Interfaces first: deleting a crashed daemon's kernel WireGuard interface takes its routes along,
        // so the routes held below are only those still there (the fail-closed twins among them).
        for (String iface : StaleInterfaces.recorded(instance)) {
            found.add(StaleInterfaces.cleanUp(iface, StaleInterfaces.recordedAsKernel(instance, iface)));
        }
        StaleInterfaces.forgetAll(instance);
        found.addAll(HostResolver.restoreAfterCrash(instance.resolverStateDirectory()));
        try {
            for (String route : pieces.routes().holdStale()) {
                found.add("found stale route " + route + " (kept until a tunnel replaces it)");
            }
        } catch (IOException e) {
            found.add("could not look for stale routes: " + e.getMessage());
        }
        try {
            removeStaleEnforcement(instance, netnsCookie, found);
        } catch (IOException | RuntimeException e) {
            found.add("could not remove stale enforcement: " + e.getMessage());
        }
        // After the programs: once they are gone no socket is marked any more, so the steering's rules
        // route nothing new, and bypassing sockets kept working through them until this moment.
        try {
            found.addAll(pieces.routes().removeStaleSteering(Enforcer.othersMarkOf(instance.name())));
        } catch (IOException | RuntimeException e) {
            found.add("could not remove stale underlay steering: " + e.getMessage());
        }
        return found;
    }

    private static void removeStaleEnforcement(Instance instance, long netnsCookie, List<String> report)
            throws IOException {
        Enforcer.Config config = SharedEnforcement.config(instance, netnsCookie);
        Path pins = config.bpffs().resolve(instance.name());
        Path cgroups = config.instanceCgroup();
        List<String> stale = new ArrayList<>();
        if (Files.isDirectory(pins)) {
            stale.add("pinned BPF objects " + pins + " (" + names(pins, false) + ")");
        }
        if (Files.isDirectory(cgroups)) {
            stale.add("app cgroups " + cgroups + " (" + names(cgroups, true) + ")");
        }
        if (stale.isEmpty()) {
            return;
        }
        List<Path> kept = Enforcer.removePinned(config);
        stale.forEach(what -> report.add("removed stale " + what));
        kept.forEach(cgroup -> report.add("kept app cgroup " + cgroup
                + ": its processes outlived the previous daemon (a crash, or a stop that leaves apps running);"
                + " a tunnel naming app " + cgroup.getFileName() + " adopts it"));
    }

    /** The names in {@code directory}, sorted; only its subdirectories' when {@code directoriesOnly}. */
    private static String names(Path directory, boolean directoriesOnly) throws IOException {
        try (Stream<Path> entries = Files.list(directory)) {
            return String.join(
                    ", ",
                    entries.filter(entry -> !directoriesOnly || Files.isDirectory(entry))
                            .map(entry -> entry.getFileName().toString())
                            .sorted()
                            .toList());
        }
    }
}
