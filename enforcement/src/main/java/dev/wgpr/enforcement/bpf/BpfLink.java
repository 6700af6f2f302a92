package dev.wgpr.enforcement.bpf;

import dev.wgpr.common.linux.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * An attachment of a program ({@code struct bpf_link *}). Closing it ({@code bpf_link__destroy})
 * detaches the program, unless the link is pinned in bpffs: then the pin keeps it attached until
 * {@link #unpin()} or the pin file is removed.
 */
public final class BpfLink implements AutoCloseable {
    private final String description;
    private MemorySegment link;

    BpfLink(String description, MemorySegment link) {
        this.description = description;
        this.link = link;
    }

    /** {@code bpf_link__fd}: the link's descriptor, owned by this object. */
    public synchronized int fd() {
        try {
            return (int) Libbpf.bpf_link__fd$MH().invokeExact(pointer());
        } catch (IllegalStateException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** {@code bpf_link__pin}: makes the attachment outlive this process, at {@code path} in a bpffs. */
    public synchronized void pin(Path path) throws BpfException {
        MemorySegment pointer = pointer();
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            Libbpf.clearLog();
            int result =
                    (int) Libbpf.bpf_link__pin$MH().invokeExact(state, pointer, call.allocateFrom(path.toString()));
            if (result < 0) {
                throw BpfException.of("bpf_link__pin " + description + " at " + path, -result);
            }
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** {@code bpf_link__unpin}: removes the pin made by {@link #pin(Path)}. */
    public synchronized void unpin() throws BpfException {
        MemorySegment pointer = pointer();
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            Libbpf.clearLog();
            int result = (int) Libbpf.bpf_link__unpin$MH().invokeExact(state, pointer);
            if (result < 0) {
                throw BpfException.of("bpf_link__unpin " + description, -result);
            }
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    public synchronized boolean isOpen() {
        return link != null;
    }

    /** {@code bpf_link__destroy}; idempotent. */
    @Override
    public synchronized void close() throws BpfException {
        if (link == null) {
            return;
        }
        MemorySegment closing = link;
        link = null;
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            Libbpf.clearLog();
            int result = (int) Libbpf.bpf_link__destroy$MH().invokeExact(state, closing);
            if (result < 0) {
                throw BpfException.of("bpf_link__destroy " + description, -result);
            }
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    private MemorySegment pointer() {
        if (link == null) {
            throw new IllegalStateException("BPF link " + description + " is closed");
        }
        return link;
    }

    @Override
    public synchronized String toString() {
        return "BpfLink[" + description + (link == null ? ", closed" : "") + "]";
    }
}
