package dev.wgpr.tunnel.crypto;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.wgpr.common.linux.NativeLibrary;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import org.bouncycastle.math.ec.rfc7748.X25519Field;

/**
 * libsodium ({@code libsodium.so.23}) through FFM: only its X25519, which takes about half the CPU time of
 * Bouncy Castle's (and a fifth of the JDK's {@code XDH}) on these machines, and X25519 is most of what a
 * handshake costs; and its Ed25519 fixed-base multiplication, for X25519 public keys (see {@link
 * #publicKey}). Optional: without the library {@link Curve25519} stays with Bouncy Castle.
 *
 * <p>The calls are {@linkplain Linker.Option#critical critical} with heap access: the keys stay in their
 * Java arrays (no copies to native memory), and one call is short (tens of microseconds, no blocking).
 */
@SuppressWarnings("restricted") // FFM downcalls are restricted methods; this class is where we accept that.
final class Libsodium {
    static final String SONAME = "libsodium.so.23";

    /**
     * {@code crypto_scalarmult_curve25519(q, n, p)} and {@code crypto_scalarmult_ed25519_base(q, n)}.
     */
    private record Handles(MethodHandle scalarmult, MethodHandle edwardsBase) {}

    /** Null when libsodium is missing or failed to start. */
    private static final Handles HANDLES = link();

    private Libsodium() {}

    private static Handles link() {
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
        return new Handles(
                library.downcall(
                        "crypto_scalarmult_curve25519",
                        FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS),
                        Linker.Option.critical(true)),
                library.downcall(
                        "crypto_scalarmult_ed25519_base",
                        FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS),
                        Linker.Option.critical(true)));
    }

    /** Whether libsodium is there; {@link #sharedSecret} works only then. */
    static boolean available() {
        return HANDLES != null;
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
            result = (int) HANDLES.scalarmult()
                    .invokeExact(
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

    /**
     * The X25519 public key of {@code scalar} (clamped, as X25519 clamps it) into {@code out}, by way of
     * Edwards25519: libsodium's X25519 base-point multiplication is its Montgomery ladder, as slow as any
     * other point's, while its Ed25519 one uses precomputed multiples of the base point and takes half the
     * time of Bouncy Castle's X25519 fixed-base multiplication (16.8 vs 34.3 us on these machines). The
     * Montgomery u-coordinate of the Edwards point (x, y) is {@code (1 + y) / (1 - y)} (RFC 7748 section
     * 4.1); the inversion need not be constant-time, as a public key is public.
     *
     * @return false, with {@code out} untouched, if libsodium refused (an all-zero scalar): use another way
     */
    static boolean publicKey(byte[] scalar, byte[] out) {
        byte[] edwards = new byte[32];
        int result;
        try {
            result = (int)
                    HANDLES.edwardsBase().invokeExact(MemorySegment.ofArray(edwards), MemorySegment.ofArray(scalar));
        } catch (Throwable e) {
            throw new IllegalStateException("crypto_scalarmult_ed25519_base failed", e);
        }
        if (result != 0) {
            return false;
        }
        int[] y = X25519Field.create();
        X25519Field.decode255(edwards, 0, y, 0); // the low 255 bits are y; the top bit, x's sign, is left out
        int[] onePlusY = X25519Field.create();
        X25519Field.copy(y, 0, onePlusY, 0);
        X25519Field.addOne(onePlusY);
        int[] oneMinusY = X25519Field.create();
        X25519Field.one(oneMinusY);
        X25519Field.sub(oneMinusY, y, oneMinusY);
        int[] inverse = X25519Field.create();
        X25519Field.invVar(oneMinusY, inverse);
        int[] u = X25519Field.create();
        X25519Field.mul(onePlusY, inverse, u);
        X25519Field.normalize(u);
        X25519Field.encode(u, out, 0);
        return true;
    }
}
