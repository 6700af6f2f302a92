package dev.wgpr.enforcement.bpf;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/** One program of a {@link BpfObject} ({@code struct bpf_program *}); valid while the object is open. */
public final class BpfProgram {
    private final BpfObject owner;
    private final String name;
    private final MemorySegment program;

    BpfProgram(BpfObject owner, String name, MemorySegment program) {
        this.owner = owner;
        this.name = name;
        this.program = program;
    }

    public String name() {
        return name;
    }

    /** {@code bpf_program__fd}: the loaded program's descriptor, owned by the object. */
    public int fd() {
        owner.requireLoaded("fd of program " + name);
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            int fd = (int) Libbpf.bpf_program__fd$MH().invokeExact(state, program);
            if (fd < 0) {
                throw new IllegalStateException("program " + name + " has no fd (" + fd + ")");
            }
            return fd;
        } catch (IllegalStateException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /**
     * {@code bpf_program__set_autoload}: whether {@link BpfObject#load()} loads this program (default
     * yes). Only before the object is loaded.
     */
    public void setAutoload(boolean autoload) {
        if (owner.isLoaded()) {
            throw new IllegalStateException("autoload of " + name + " after the object is loaded");
        }
        MemorySegment obj = owner.pointer();
        try {
            int result = (int) Libbpf.bpf_program__set_autoload$MH().invokeExact(program, autoload);
            if (result < 0) {
                throw new IllegalStateException("bpf_program__set_autoload " + name + " of " + obj + ": " + result);
            }
        } catch (IllegalStateException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** The kernel's id for the loaded program, as {@code bpftool prog} and {@code bpf_prog_query} show it. */
    public int id() throws BpfException {
        int fd = fd();
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            MemorySegment info = call.allocate(Libbpf.BPF_PROG_INFO_HEAD);
            MemorySegment length = call.allocateFrom(ValueLayout.JAVA_INT, (int) info.byteSize());
            int result = (int) Libbpf.bpf_obj_get_info_by_fd$MH().invokeExact(state, fd, info, length);
            if (result < 0) {
                throw BpfException.of("bpf_obj_get_info_by_fd " + name, -result);
            }
            return info.get(ValueLayout.JAVA_INT, 4);
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /**
     * {@code bpf_program__attach_cgroup}: attaches this program (its attach type comes from its
     * section, e.g. {@code cgroup/connect4}) to the cgroup v2 directory {@code cgroup} through a BPF
     * link, which detaches it again when closed.
     */
    public BpfLink attachCgroup(Path cgroup) throws BpfException, ErrnoException {
        owner.requireLoaded("attaching " + name);
        int cgroupFd = Libc.open(cgroup.toString(), Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            Libbpf.clearLog();
            MemorySegment link =
                    (MemorySegment) Libbpf.bpf_program__attach_cgroup$MH().invokeExact(state, program, cgroupFd);
            if (link.equals(MemorySegment.NULL)) {
                throw BpfException.of("bpf_program__attach_cgroup " + name + " to " + cgroup, Libbpf.errno(state));
            }
            return new BpfLink(name + " on " + cgroup, link);
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        } finally {
            Libc.close(cgroupFd); // the link holds its own reference to the cgroup
        }
    }

    /** {@code bpf_program__attach_lsm}: attaches an {@code lsm/HOOK} program to its LSM hook. */
    public BpfLink attachLsm() throws BpfException {
        owner.requireLoaded("attaching " + name);
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = Libbpf.allocateCallState(call);
            Libbpf.clearLog();
            MemorySegment link =
                    (MemorySegment) Libbpf.bpf_program__attach_lsm$MH().invokeExact(state, program);
            if (link.equals(MemorySegment.NULL)) {
                throw BpfException.of("bpf_program__attach_lsm " + name, Libbpf.errno(state));
            }
            return new BpfLink(name + " (LSM)", link);
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    @Override
    public String toString() {
        return "BpfProgram[" + name + " of " + owner.name() + "]";
    }
}
