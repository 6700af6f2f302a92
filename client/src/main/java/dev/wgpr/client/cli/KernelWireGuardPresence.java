package dev.wgpr.client.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Whether this kernel has WireGuard, found from {@code /sys} and {@code /lib/modules} alone: asking generic
 * netlink for a missing family would make the kernel load the module, and {@code check} changes nothing.
 * What {@code backend = "auto"} gets at {@code up} follows from it.
 */
enum KernelWireGuardPresence {
    LOADED("loaded"),
    MODULE("available as a module, not loaded"),
    ABSENT("absent");

    private final String detail;

    KernelWireGuardPresence(String detail) {
        this.detail = detail;
    }

    /** As the running kernel is. */
    static KernelWireGuardPresence here() throws IOException {
        return under(Path.of("/"));
    }

    /** As a system whose {@code /proc}, {@code /sys} and {@code /lib/modules} are under {@code root}. */
    static KernelWireGuardPresence under(Path root) throws IOException {
        if (Files.isDirectory(root.resolve("sys/module/wireguard"))) {
            return LOADED;
        }
        String release = Files.readString(root.resolve("proc/sys/kernel/osrelease"), StandardCharsets.US_ASCII)
                .strip();
        Path modules = root.resolve("lib/modules").resolve(release);
        for (String index : List.of("modules.builtin", "modules.dep")) {
            Path file = modules.resolve(index);
            if (Files.isReadable(file) && Files.readString(file).contains("/wireguard.ko")) {
                return MODULE;
            }
        }
        return ABSENT;
    }

    /** As doctor reports it. */
    String detail() {
        return detail;
    }

    /** Whether {@code backend = "auto"} runs on the kernel's WireGuard. */
    boolean kernelBackend() {
        return this != ABSENT;
    }

    /** Why {@code auto} chooses what it does here, a clause after "because". */
    String because() {
        return switch (this) {
            case LOADED -> "this kernel's WireGuard module is loaded";
            case MODULE -> "this kernel has the WireGuard module (up loads it)";
            case ABSENT -> "this kernel has no WireGuard module: wg-pr's own WireGuard runs on a TUN interface";
        };
    }
}
