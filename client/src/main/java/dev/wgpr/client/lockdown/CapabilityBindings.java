package dev.wgpr.client.lockdown;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.wgpr.common.linux.Downcalls;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

/** {@code <linux/capability.h>} and the capability options of {@code prctl(2)}: the thread's capability sets. */
final class CapabilityBindings {
    private CapabilityBindings() {}

    private static final int PR_CAPBSET_DROP = 24;
    private static final int PR_CAP_AMBIENT = 47;
    private static final int PR_CAP_AMBIENT_CLEAR_ALL = 4;
    private static final int LINUX_CAPABILITY_VERSION_3 = 0x20080522;
    /** {@code struct __user_cap_header_struct { __u32 version; int pid; }}. */
    private static final StructLayout CAP_USER_HEADER =
            MemoryLayout.structLayout(JAVA_INT.withName("version"), JAVA_INT.withName("pid"));
    /** {@code struct __user_cap_data_struct { __u32 effective, permitted, inheritable; }}, two of them in v3. */
    private static final StructLayout CAP_USER_DATA = MemoryLayout.structLayout(
            JAVA_INT.withName("effective"), JAVA_INT.withName("permitted"), JAVA_INT.withName("inheritable"));

    /** {@code int capset(cap_user_header_t hdrp, const cap_user_data_t datap)}. */
    private static final class Capset {
        static final MethodHandle MH = Downcalls.errno("capset", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    }

    /** Drops {@code capability} from the bounding set: no exec can gain it again. */
    static void dropFromBoundingSet(int capability) throws ErrnoException {
        Libc.prctl(PR_CAPBSET_DROP, capability, "prctl PR_CAPBSET_DROP " + capability);
    }

    /** Empties the ambient set. */
    static void clearAmbient() {
        try {
            Libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, "prctl PR_CAP_AMBIENT_CLEAR_ALL");
        } catch (ErrnoException e) {
            // a kernel without ambient capabilities (before 4.3) has none to clear
        }
    }

    /** Sets the thread's effective, permitted and inheritable sets to {@code mask} (bit n: capability n). */
    static void set(long mask) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment header = arena.allocate(CAP_USER_HEADER);
            header.set(JAVA_INT, 0, LINUX_CAPABILITY_VERSION_3);
            header.set(JAVA_INT, 4, 0);
            MemorySegment data = arena.allocate(CAP_USER_DATA, 2);
            for (int word = 0; word < 2; word++) {
                int bits = (int) (mask >>> (32 * word));
                long base = word * CAP_USER_DATA.byteSize();
                data.set(JAVA_INT, base, bits); // effective
                data.set(JAVA_INT, base + 4, bits); // permitted
                data.set(JAVA_INT, base + 8, bits); // inheritable
            }
            Downcalls.call("capset", state -> (int) Capset.MH.invokeExact(state, header, data));
        }
    }
}
