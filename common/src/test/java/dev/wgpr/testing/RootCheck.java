package dev.wgpr.testing;

import dev.wgpr.common.linux.Libc;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Fails a root-tagged test class up front, with the reason, when the JVM is not root. */
final class RootCheck implements BeforeAllCallback {
    @Override
    public void beforeAll(ExtensionContext context) {
        if (Libc.geteuid() != 0) {
            throw new IllegalStateException(
                    context.getDisplayName()
                            + " needs root (it changes cgroups, BPF or network namespaces); run the README's test command as root");
        }
    }
}
