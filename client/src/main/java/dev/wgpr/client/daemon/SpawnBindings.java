package dev.wgpr.client.daemon;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.wgpr.common.linux.Downcalls;
import dev.wgpr.common.linux.Libc;
import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;

/**
 * {@code <spawn.h>} and {@code <signal.h>} (glibc), for the launcher's {@code posix_spawn}. Every function
 * here returns its error number (0: success) instead of setting errno; each is linked on its first call.
 */
enum SpawnBindings {
    SPAWN("posix_spawn", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS)),
    FILE_ACTIONS_INIT("posix_spawn_file_actions_init", FunctionDescriptor.of(JAVA_INT, ADDRESS)),
    FILE_ACTIONS_DESTROY("posix_spawn_file_actions_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS)),
    ADD_DUP2("posix_spawn_file_actions_adddup2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT)),
    /** glibc 2.34+: closes every descriptor from {@code from} up in the child. */
    ADD_CLOSE_FROM("posix_spawn_file_actions_addclosefrom_np", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT)),
    ATTRIBUTES_INIT("posix_spawnattr_init", FunctionDescriptor.of(JAVA_INT, ADDRESS)),
    ATTRIBUTES_DESTROY("posix_spawnattr_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS)),
    SET_FLAGS("posix_spawnattr_setflags", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_SHORT)),
    SET_SIGMASK("posix_spawnattr_setsigmask", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS)),
    SET_SIGDEFAULT("posix_spawnattr_setsigdefault", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS)),
    SIG_EMPTY_SET("sigemptyset", FunctionDescriptor.of(JAVA_INT, ADDRESS)),
    SIG_FILL_SET("sigfillset", FunctionDescriptor.of(JAVA_INT, ADDRESS));

    /** The opaque types are 80 and 336 bytes on x86-64; we allocate more to be safe. */
    static final long FILE_ACTIONS_SIZE = 256;

    static final long ATTRIBUTES_SIZE = 512;
    /** {@code sigset_t} is 1024 bits in glibc. */
    static final long SIGSET_SIZE = 128;

    static final short SETSIGDEF = 0x04;
    static final short SETSIGMASK = 0x08;
    static final short SETSID = 0x80;

    private final String name;
    private final FunctionDescriptor descriptor;
    private volatile MethodHandle handle;

    SpawnBindings(String name, FunctionDescriptor descriptor) {
        this.name = name;
        this.descriptor = descriptor;
    }

    /** Calls the function; off the hot path (a few calls per launch), so the arguments may be boxed. */
    int call(Object... arguments) {
        MethodHandle linked = handle;
        if (linked == null) {
            linked = Downcalls.plain(name, descriptor);
            handle = linked;
        }
        try {
            return (int) linked.invokeWithArguments(arguments);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }
}
