package dev.wgpr.common.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * A shared library loaded by soname for the lifetime of the JVM, and the downcalls and upcalls into
 * it. Each binding class ({@code Libmnl}, {@code Libbpf}) holds one; errno handling is {@link
 * Libc}'s, since errno is libc's.
 */
@SuppressWarnings("restricted") // loading a library and linking to it are restricted methods
public final class NativeLibrary {
    private static final Linker LINKER = Linker.nativeLinker();

    private final String soname;
    private final SymbolLookup symbols;

    private NativeLibrary(String soname, SymbolLookup symbols) {
        this.soname = soname;
        this.symbols = symbols;
    }

    /**
     * Loads {@code soname}; a missing library fails with the Debian package that provides it.
     *
     * @throws UnsatisfiedLinkError naming {@code debianPackage} when the library cannot be loaded
     */
    public static NativeLibrary load(String soname, String debianPackage) {
        try {
            return new NativeLibrary(soname, SymbolLookup.libraryLookup(soname, Arena.global()));
        } catch (IllegalArgumentException e) {
            UnsatisfiedLinkError error = new UnsatisfiedLinkError(
                    "cannot load " + soname + "; install it with: apt-get install " + debianPackage);
            error.initCause(e);
            throw error;
        }
    }

    /** A handle for the exported function {@code name}; a missing symbol fails at class initialization. */
    public MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol =
                symbols.find(name).orElseThrow(() -> new UnsatisfiedLinkError(soname + " has no symbol " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** A C function pointer that calls {@code target}, valid as long as {@code arena}. */
    public static MemorySegment upcall(MethodHandle target, FunctionDescriptor descriptor, Arena arena) {
        return LINKER.upcallStub(target, descriptor, arena);
    }
}
