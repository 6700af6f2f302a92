package dev.wgpr.enforcement.bpf;

import dev.wgpr.common.linux.Libc;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * A BPF object file opened by libbpf ({@code struct bpf_object *}): its programs and maps, loaded into
 * the kernel by {@link #load()}. Closing it unloads programs and maps that nothing else holds; links
 * made from its programs stay attached until they are closed themselves.
 */
public final class BpfObject implements AutoCloseable {
    /** Where the bpf module's build puts the objects it compiles, inside the wg-pr-bpf jar. */
    static final String BUNDLED_DIRECTORY = "dev/wgpr/bpf/";

    private final String name;
    private final Arena arena;
    private MemorySegment object;
    private boolean loaded;

    private BpfObject(String name, Arena arena, MemorySegment object) {
        this.name = name;
        this.arena = arena;
        this.object = object;
    }

    /**
     * Opens the object compiled from {@code bpf/src/main/bpf/NAME.bpf.c}, shipped in the wg-pr-bpf jar
     * as {@code dev/wgpr/bpf/NAME.bpf.o}.
     */
    public static BpfObject openBundled(String name) throws IOException {
        return open(name, bundledElf(name));
    }

    /** The ELF file of the object {@link #openBundled} opens. */
    public static byte[] bundledElf(String name) throws IOException {
        String resource = BUNDLED_DIRECTORY + name + ".bpf.o";
        ClassLoader loader = BpfObject.class.getClassLoader();
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new NoSuchElementException(
                        "no BPF object " + resource + " on the class path (is wg-pr-bpf built?)");
            }
            return in.readAllBytes();
        }
    }

    /** {@code bpf_object__open_mem}: parses the ELF {@code elf}; nothing reaches the kernel yet. */
    public static BpfObject open(String name, byte[] elf) throws BpfException {
        Arena arena = Arena.ofShared();
        try {
            // libbpf reads the ELF in place until load, so the copy lives as long as the object.
            MemorySegment buffer = arena.allocate(elf.length, 8);
            MemorySegment.copy(elf, 0, buffer, ValueLayout.JAVA_BYTE, 0, elf.length);
            MemorySegment opts = arena.allocate(Libbpf.BPF_OBJECT_OPEN_OPTS);
            opts.set(ValueLayout.JAVA_LONG, 0, Libbpf.BPF_OBJECT_OPEN_OPTS.byteSize());
            opts.set(ValueLayout.ADDRESS, 8, arena.allocateFrom(name));
            MemorySegment state = Libbpf.allocateCallState(arena);
            Libbpf.clearLog();
            MemorySegment object = (MemorySegment)
                    Libbpf.bpf_object__open_mem$MH().invokeExact(state, buffer, (long) elf.length, opts);
            if (object.equals(MemorySegment.NULL)) {
                throw BpfException.of("bpf_object__open_mem " + name, Libbpf.errno(state));
            }
            return new BpfObject(name, arena, object);
        } catch (BpfException e) {
            arena.close();
            throw e;
        } catch (Throwable t) {
            arena.close();
            throw Libc.unexpected(t);
        }
    }

    /** {@code bpf_object__load}: creates the maps and verifies and loads the programs. */
    public synchronized BpfObject load() throws BpfException {
        MemorySegment obj = pointer();
        if (loaded) {
            throw new IllegalStateException(name + " is already loaded");
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            Libbpf.clearLog();
            int result = (int) Libbpf.bpf_object__load$MH().invokeExact(state, obj);
            if (result < 0) {
                throw BpfException.of("bpf_object__load " + name, -result);
            }
            loaded = true;
            return this;
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** The program defined by the C function {@code programName}; throws when there is none. */
    public synchronized BpfProgram program(String programName) {
        MemorySegment program = find(Libbpf.bpf_object__find_program_by_name$MH(), programName, "program");
        return new BpfProgram(this, programName, program);
    }

    /** The names of the object's programs (its C functions with a section), in the object's order. */
    public synchronized List<String> programNames() {
        MemorySegment obj = pointer();
        List<String> names = new ArrayList<>();
        try {
            MemorySegment program = MemorySegment.NULL;
            while (!(program =
                            (MemorySegment) Libbpf.bpf_object__next_program$MH().invokeExact(obj, program))
                    .equals(MemorySegment.NULL)) {
                names.add(Libbpf.string(
                        (MemorySegment) Libbpf.bpf_program__name$MH().invokeExact(program)));
            }
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        return List.copyOf(names);
    }

    /** The map called {@code mapName}; throws when there is none. */
    public synchronized BpfMap map(String mapName) {
        MemorySegment map = find(Libbpf.bpf_object__find_map_by_name$MH(), mapName, "map");
        return new BpfMap(this, mapName, map);
    }

    public String name() {
        return name;
    }

    public synchronized boolean isLoaded() {
        return loaded && object != null;
    }

    /** {@code bpf_object__close}; idempotent. */
    @Override
    public synchronized void close() {
        if (object == null) {
            return;
        }
        MemorySegment closing = object;
        object = null;
        try {
            Libbpf.bpf_object__close$MH().invokeExact(closing);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        } finally {
            arena.close();
        }
    }

    /** Checks that the object is open and loaded, for file descriptors of its programs and maps. */
    synchronized void requireLoaded(String what) {
        pointer();
        if (!loaded) {
            throw new IllegalStateException(what + " of " + name + ": the object is not loaded yet");
        }
    }

    synchronized MemorySegment pointer() {
        if (object == null) {
            throw new IllegalStateException("BPF object " + name + " is closed");
        }
        return object;
    }

    private MemorySegment find(MethodHandle finder, String wanted, String kind) {
        MemorySegment obj = pointer();
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            MemorySegment found = (MemorySegment) finder.invokeExact(state, obj, call.allocateFrom(wanted));
            if (found.equals(MemorySegment.NULL)) {
                throw new NoSuchElementException("BPF object " + name + " has no " + kind + " " + wanted);
            }
            return found;
        } catch (NoSuchElementException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    @Override
    public synchronized String toString() {
        return "BpfObject[" + name + (object == null ? ", closed" : loaded ? ", loaded" : ", opened") + "]";
    }
}
