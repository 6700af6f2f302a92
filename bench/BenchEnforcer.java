import dev.wgpr.enforcement.Enforcer;
import dev.wgpr.enforcement.NetnsCookie;
import dev.wgpr.enforcement.Policy;
import dev.wgpr.enforcement.cgroup.Cgroup2Mount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Enforcer as the single-file benchmarks in bench/ run it: for the sockets of the calling thread's
 * network namespace (the one the bench script made), attached at its own instance cgroup, as the
 * enforcement benchmark does, so only processes inside it run the programs and the other modes of a
 * comparison pay nothing for them. Also the cgroups those other modes' processes live in.
 */
final class BenchEnforcer {
    private BenchEnforcer() {}

    /** The cgroup2 mount (on hybrid hosts /sys/fs/cgroup/unified), found as the Enforcer's own callers do. */
    static Path cgroup2() throws IOException {
        return Cgroup2Mount.find().orElseThrow(() -> new IOException("no cgroup2 mount")).path();
    }

    static Enforcer start(String instance, Policy policy) throws IOException {
        Path cg2 = cgroup2();
        long cookie = NetnsCookie.ofCurrentThread();
        return Enforcer.start(
                new Enforcer.Config(instance, cg2, cg2.resolve(instance), Path.of("/sys/fs/bpf"), cookie), policy);
    }

    /** A cgroup outside the instance, for the processes of the modes without wg-pr enforcement. */
    static Path outsideCgroup(String instance, String name) throws IOException {
        Path dir = cgroup2().resolve(instance + "-" + name);
        Files.createDirectories(dir);
        return dir;
    }

    /** Removes the app cgroups (rmdir needs them empty: close their processes first), then the enforcer. */
    static void close(Enforcer enforcer) throws IOException {
        if (enforcer == null) return;
        Path instance = enforcer.instanceCgroup();
        try (var walk = Files.walk(instance)) {
            for (Path d : walk.filter(Files::isDirectory).filter(p -> !p.equals(instance))
                    .sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.deleteIfExists(d);
            }
        }
        enforcer.close();
    }
}
