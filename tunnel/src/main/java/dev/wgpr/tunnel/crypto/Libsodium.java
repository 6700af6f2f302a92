package dev.wgpr.tunnel.crypto;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.wgpr.common.linux.NativeLibrary;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;

/**
 * libsodium ({@code libsodium.so.23}) through FFM: only its X25519, which takes about half the CPU time of
 * Bouncy Castle's (and a fifth of the JDK's {@code XDH}) on these machines, and X25519 is most of what a
 * handshake costs. Optional: without the library {@link Curve25519} stays with Bouncy Castle.
 *
 * <p>The calls are {@linkplain Linker.Option#critical critical} with heap access: the keys stay in their
 * Java arrays (no copies to native memory), and one call is short (tens of microseconds, no blocking).
 */
@SuppressWarnings("restricted") // FFM downcalls are restricted methods; this class is where we accept that.
final class Libsodium {
    static final String SONAME = "libsodium.so.23";

    /** {@code crypto_scalarmult_curve25519(q, n, p)}, or null when libsodium is missing or failed to start. */
    private static final MethodHandle SCALARMULT = link();

    private Libsodium() {}

    private static MethodHandle link() {
        NativeLibrary library;
        try {
            library = NativeLibrary.load(SONAME, "libsodium23");
        } catch (UnsatisfiedLinkError e) {
            return null;
        }
        try {
            // sodium_init picks the fastest implementation for this CPU; 0 or 1 (done before) is success.
            int initialized = (int) library.downcall("sodium_init", FunctionDescriptor.of(JAVA_INT))
                    .invokeExact();
            if (initialized < 0) {
                return null;
            }
        } catch (Throwable e) {
            throw new ExceptionInInitializerError(e);
        }
        return library.downcall(
                "crypto_scalarmult_curve25519",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS),
                Linker.Option.critical(true));
    }

    /** Whether libsodium is there; {@link #sharedSecret} works only then. */
    static boolean available() {
        return SCALARMULT != null;
    }

    /**
     * {@code X25519(scalar, point)} into {@code out} (libsodium clamps the scalar, as RFC 7748 does).
     *
     * @return false, with {@code out} all zero, when the result is all zero (libsodium also refuses the
     *     known low-order points before computing, which would give all zero)
     */
    static boolean sharedSecret(byte[] scalar, byte[] point, byte[] out) {
        int result;
        try {
            result = (int) SCALARMULT.invokeExact(
                    MemorySegment.ofArray(out), MemorySegment.ofArray(scalar), MemorySegment.ofArray(point));
        } catch (Throwable e) {
            throw new IllegalStateException("crypto_scalarmult_curve25519 failed", e);
        }
        if (result != 0) {
            Arrays.fill(out, (byte) 0); // a refused point may leave out unwritten
            return false;
        }
        return true;
    }
}
