package dev.wgpr.client.config;

import dev.wgpr.client.config.ConfigProblem.Reason;
import java.util.Arrays;
import java.util.stream.Collectors;

/** Which WireGuard implementation runs a tunnel: {@code backend} in {@code [interface]}. */
public enum BackendSetting {
    /** The kernel's WireGuard when this kernel has it (the module loads), else the userspace one. */
    AUTO("auto"),
    /** The kernel's WireGuard, driven over generic netlink; {@code up} fails when the kernel lacks it. */
    KERNEL("kernel"),
    /** wg-pr's own WireGuard on a TUN interface, in the daemon. */
    USERSPACE("userspace");

    private final String text;

    BackendSetting(String text) {
        this.text = text;
    }

    /**
     * Parses {@code auto}, {@code kernel} or {@code userspace}.
     *
     * @throws InvalidValueException for anything else
     */
    public static BackendSetting parse(String text) {
        return Arrays.stream(values())
                .filter(backend -> backend.text.equals(text))
                .findFirst()
                .orElseThrow(() -> new InvalidValueException(
                        Reason.BAD_BACKEND,
                        "unknown backend '" + text + "'; expected one of "
                                + Arrays.stream(values())
                                        .map(BackendSetting::text)
                                        .collect(Collectors.joining(", "))));
    }

    /** As the config writes it. */
    public String text() {
        return text;
    }
}
