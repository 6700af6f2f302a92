package dev.wgpr.common.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import java.util.stream.Stream;

/**
 * The boilerplate every libc binding class shares: linking a function of the C library with errno captured
 * into a call-state argument, and calling it once with its {@code -1} turned into an {@link ErrnoException}.
 * Binding classes keep their handles private, each in a holder class linked on first use (each downcall
 * handle spins classes, some 10 to 17 KiB of metaspace, so a process pays only for the functions it calls).
 */
@SuppressWarnings("restricted") // FFM downcalls are restricted methods; the binding classes accept that here.
public final class Downcalls {
    private static final Linker LINKER = Linker.nativeLinker();

    private Downcalls() {}

    /** A call of a handle linked by {@link #errno}, given the call-state segment that receives errno. */
    @FunctionalInterface
    public interface Call {
        long invoke(MemorySegment callState) throws Throwable;
    }

    /**
     * {@code name} from the C library, its errno captured into the call-state segment that becomes the
     * handle's first argument.
     */
    public static MethodHandle errno(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return link(
                name,
                descriptor,
                Stream.concat(Stream.of(Libc.CAPTURE_ERRNO), Arrays.stream(options))
                        .toArray(Linker.Option[]::new));
    }

    /** {@code name} from the C library, for functions that return their error rather than set errno. */
    public static MethodHandle plain(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return link(name, descriptor, options);
    }

    /**
     * Runs {@code call} with a fresh call state and returns its result; {@code -1} throws the errno, named
     * {@code what}. For calls off the hot path: a hot path keeps its own call state.
     */
    public static long call(String what, Call call) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.allocateCallState(arena);
            long result = call.invoke(state);
            if (result == -1) {
                throw new ErrnoException(what, Libc.errno(state));
            }
            return result;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    private static MethodHandle link(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = LINKER.defaultLookup()
                .find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no symbol " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }
}
