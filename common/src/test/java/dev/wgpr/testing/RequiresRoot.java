package dev.wgpr.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test that changes the real system (cgroups, BPF, TUN devices) and therefore needs root. Runs
 * with {@code -Psystem-tests}; without root it fails loudly instead of skipping, so CI can never
 * pass by not running it.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("root")
@ExtendWith(RootCheck.class)
public @interface RequiresRoot {}
