package dev.wgpr.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test that builds its own network namespaces (and so needs root). Runs with {@code
 * -Psystem-tests}; all its traffic stays inside the namespaces it creates.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("netns")
@ExtendWith(RootCheck.class)
public @interface RequiresNetns {}
