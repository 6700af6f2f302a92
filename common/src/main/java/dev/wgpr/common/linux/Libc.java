package dev.wgpr.common.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Optional;

/**
 * The libc calls the modules share (files, descriptors, sockets, polling, memory, processes, errno), through
 * FFM, linked by {@link Downcalls} on first use, errno captured through the linker's call state. Handles
 * are private: a checked wrapper turns {@code -1} into an {@link ErrnoException}, and a caller that keeps
 * its own call-state segment on a hot path calls the typed form that takes it. Bindings that one part of the
 * project owns live beside it (the TUN ioctls in tunnel, Landlock and capabilities in client's lockdown,
 * {@code posix_spawn} with the launcher, the batched UDP calls with the tunnel's socket).
 */
@SuppressWarnings("restricted") // FFM downcalls are restricted methods; this class is where we accept that.
public final class Libc {
    private Libc() {}

    /** Layout of the call state that receives errno after a call made with {@link #CAPTURE_ERRNO}. */
    public static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();

    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    /** The linker option that makes a downcall save errno into its call-state argument. */
    public static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    // <fcntl.h>, <sys/socket.h>
    public static final int O_RDONLY = 0;
    public static final int O_RDWR = 2;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_DIRECTORY = 0x10000;
    public static final int O_CLOEXEC = 0x80000;
    public static final int AF_UNIX = 1;
    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;
    public static final int AF_NETLINK = 16;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_RAW = 3;
    public static final int SOCK_CLOEXEC = O_CLOEXEC;
    public static final int ENOENT = 2;
    public static final int EPERM = 1;
    public static final int EACCES = 13;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int EINVAL = 22;
    public static final int EBUSY = 16;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int ENODATA = 61;
    public static final int EIO = 5;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int EBADFD = 77;
    public static final int ENETUNREACH = 101;
    public static final int ENOBUFS = 105;
    public static final int ENOMEM = 12;
    public static final int ENFILE = 23;
    public static final int EMFILE = 24;
    public static final int ECONNABORTED = 103;
    public static final int ECONNRESET = 104;
    public static final int EPIPE = 32;
    public static final int EHOSTUNREACH = 113;
    public static final int EADDRNOTAVAIL = 99;

    // <poll.h>
    public static final short POLLIN = 0x001;
    public static final short POLLERR = 0x008;
    public static final short POLLHUP = 0x010;
    public static final short POLLNVAL = 0x020;
    /** {@code struct pollfd { int fd; short events; short revents; }}: 8 bytes. */
    public static final StructLayout POLLFD = MemoryLayout.structLayout(
                    JAVA_INT.withName("fd"), JAVA_SHORT.withName("events"), JAVA_SHORT.withName("revents"))
            .withName("pollfd");

    /** {@code SO_NETNS_COOKIE} (5.14+): the cookie of the socket's network namespace, a {@code u64}. */
    public static final int SO_NETNS_COOKIE = 71;

    // <net/if.h>
    public static final int IFNAMSIZ = 16;

    private static final class getxattr$Holder {
        static final MethodHandle MH =
                Downcalls.errno("getxattr", FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
    }

    private static final class read$Holder {
        static final MethodHandle MH =
                Downcalls.errno("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    }

    private static final class write$Holder {
        static final MethodHandle MH =
                Downcalls.errno("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    }
    /** {@code ioctl(int fd, unsigned long request, void *arg)}: variadic after the request. */
    private static final class ioctl$Holder {
        static final MethodHandle MH = Downcalls.errno(
                "ioctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
                Linker.Option.firstVariadicArg(2));
    }

    /** {@code int poll(struct pollfd *fds, nfds_t nfds, int timeout)}. */
    private static final class poll$Holder {
        static final MethodHandle MH =
                Downcalls.errno("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    }
    /** {@code int pipe2(int pipefd[2], int flags)}. */
    private static final class pipe2$Holder {
        static final MethodHandle MH = Downcalls.errno("pipe2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    }

    // <sys/mman.h>: packet buffers whose pages use memory only while touched.
    private static final int PROT_READ = 0x1;
    private static final int PROT_WRITE = 0x2;
    private static final int MAP_PRIVATE = 0x02;
    private static final int MAP_ANONYMOUS = 0x20;
    public static final int MADV_RANDOM = 1;
    public static final int MADV_DONTNEED = 4;
    public static final int MADV_PAGEOUT = 21;
    private static final long MAP_FAILED = -1L;

    /** {@code void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)}. */
    private static final class mmap$Holder {
        static final MethodHandle MH = Downcalls.errno(
                "mmap", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    }

    /** {@code int munmap(void *addr, size_t length)}. */
    private static final class munmap$Holder {
        static final MethodHandle MH = Downcalls.errno("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    }

    /** {@code int mincore(void *addr, size_t length, unsigned char *vec)}. */
    private static final class mincore$Holder {
        static final MethodHandle MH =
                Downcalls.errno("mincore", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS));
    }

    /** {@code int madvise(void *addr, size_t length, int advice)}. */
    private static final class madvise$Holder {
        static final MethodHandle MH =
                Downcalls.errno("madvise", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    }

    // <sys/socket.h>, <netinet/in.h>: datagram sockets with batched I/O.
    public static final int SOL_SOCKET = 1;
    public static final int SO_SNDBUF = 7;
    public static final int SO_RCVBUF = 8;
    public static final int SO_SNDBUFFORCE = 32;
    public static final int SO_RCVBUFFORCE = 33;
    public static final int SO_MARK = 36;
    private static final int SO_RCVTIMEO = 20;
    private static final int SO_SNDTIMEO = 21;
    public static final int IPPROTO_IPV6 = 41;
    public static final int IPV6_V6ONLY = 26;
    /** {@code <linux/udp.h>}: segmentation offload on send ({@code UDP_SEGMENT}, a u16 segment size per
     * message as a control message) and receive offload ({@code UDP_GRO}, the segment size reported as an
     * int control message). */
    public static final int SOL_UDP = 17;

    public static final int UDP_SEGMENT = 103;
    public static final int UDP_GRO = 104;
    public static final int SHUT_RDWR = 2;
    public static final int MSG_WAITFORONE = 0x10000;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int EADDRINUSE = 98;
    public static final int ENOTCONN = 107;

    /**
     * {@code struct sockaddr_in6} (28 bytes): family, port (network order), flow info, address, scope id.
     */
    public static final StructLayout SOCKADDR_IN6 = MemoryLayout.structLayout(
                    JAVA_SHORT.withName("sin6_family"),
                    JAVA_SHORT.withName("sin6_port"),
                    JAVA_INT.withName("sin6_flowinfo"),
                    MemoryLayout.sequenceLayout(16, JAVA_BYTE).withName("sin6_addr"),
                    JAVA_INT.withName("sin6_scope_id"))
            .withName("sockaddr_in6");

    /** {@code struct iovec { void *iov_base; size_t iov_len; }}. */
    public static final StructLayout IOVEC = MemoryLayout.structLayout(
                    ADDRESS.withName("iov_base"), JAVA_LONG.withName("iov_len"))
            .withName("iovec");

    /**
     * {@code struct mmsghdr}: a {@code struct msghdr} (name, namelen, iov, iovlen, control, controllen,
     * flags) followed by {@code msg_len}, with x86-64 padding made explicit.
     */
    public static final StructLayout MMSGHDR = MemoryLayout.structLayout(
                    ADDRESS.withName("msg_name"),
                    JAVA_INT.withName("msg_namelen"),
                    MemoryLayout.paddingLayout(4),
                    ADDRESS.withName("msg_iov"),
                    JAVA_LONG.withName("msg_iovlen"),
                    ADDRESS.withName("msg_control"),
                    JAVA_LONG.withName("msg_controllen"),
                    JAVA_INT.withName("msg_flags"),
                    MemoryLayout.paddingLayout(4),
                    JAVA_INT.withName("msg_len"),
                    MemoryLayout.paddingLayout(4))
            .withName("mmsghdr");

    private static final class setsockopt$Holder {
        static final MethodHandle MH = Downcalls.errno(
                "setsockopt", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    }

    private static final class bind$Holder {
        static final MethodHandle MH =
                Downcalls.errno("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    }

    private static final class getsockname$Holder {
        static final MethodHandle MH =
                Downcalls.errno("getsockname", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    }

    private static final class getpeername$Holder {
        static final MethodHandle MH =
                Downcalls.errno("getpeername", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    }

    private static final class shutdown$Holder {
        static final MethodHandle MH = Downcalls.errno("shutdown", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    }

    /** {@code int getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen)}. */
    private static final class getsockopt$Holder {
        static final MethodHandle MH = Downcalls.errno(
                "getsockopt", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    }

    private static final class getuid$Holder {
        static final MethodHandle MH = Downcalls.plain("getuid", FunctionDescriptor.of(JAVA_INT));
    }

    private static final class geteuid$Holder {
        static final MethodHandle MH = Downcalls.plain("geteuid", FunctionDescriptor.of(JAVA_INT));
    }

    /** {@code int pidfd_open(pid_t pid, unsigned int flags)} (glibc 2.36). */
    private static final class pidfdOpen$Holder {
        static final MethodHandle MH =
                Downcalls.errno("pidfd_open", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    }

    /** {@code int memfd_create(const char *name, unsigned int flags)} (glibc 2.27). */
    private static final class memfdCreate$Holder {
        static final MethodHandle MH =
                Downcalls.errno("memfd_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    }

    /** {@code int pidfd_getfd(int pidfd, int targetfd, unsigned int flags)} (glibc 2.36). */
    private static final class pidfdGetfd$Holder {
        static final MethodHandle MH =
                Downcalls.errno("pidfd_getfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    }

    /**
     * {@code ssize_t process_vm_readv(pid_t, const struct iovec *local, unsigned long, const struct iovec
     * *remote, unsigned long, unsigned long flags)}.
     */
    private static final class processVmReadv$Holder {
        static final MethodHandle MH = Downcalls.errno(
                "process_vm_readv",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG));
    }

    /** {@code memfd_create(2)} flag. */
    public static final int MFD_CLOEXEC = 0x1;

    /**
     * {@code memfd_create(2)} with {@link #MFD_CLOEXEC}, holding {@code content}, its offset back at 0: a
     * file in memory that only the holders of the descriptor can read ({@code name} is for {@code /proc}).
     */
    public static int memfdHolding(String name, byte[] content) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment label = arena.allocateFrom(name);
            int fd = (int) Downcalls.call("memfd_create " + name, state ->
                    (int) memfdCreate$Holder.MH.invokeExact(state, label, MFD_CLOEXEC));
            try {
                MemorySegment data = arena.allocateFrom(JAVA_BYTE, content);
                for (long done = 0; done < content.length; ) {
                    long offset = done;
                    done += Downcalls.call("write " + name, state -> (long) pwrite$Holder.MH.invokeExact(
                            state, fd, data.asSlice(offset), content.length - offset, offset));
                }
            } catch (ErrnoException e) {
                close(fd);
                throw e;
            }
            return fd;
        }
    }

    /** {@code pidfd_open(2)} flag: a pidfd for one thread (Linux 6.9+), not its thread group. */
    public static final int PIDFD_THREAD = 0x80;

    /** {@code pidfd_open(2)}: a descriptor that stays for process {@code pid}, whatever pid reuse does. */
    public static int pidfdOpen(int pid, int flags) throws ErrnoException {
        return (int)
                Downcalls.call("pidfd_open " + pid, state -> (int) pidfdOpen$Holder.MH.invokeExact(state, pid, flags));
    }

    /**
     * {@code pidfd_getfd(2)}: a copy of descriptor {@code targetFd} of the process {@code pidfd} names
     * (close-on-exec); the caller needs ptrace access to it.
     */
    public static int pidfdGetfd(int pidfd, int targetFd) throws ErrnoException {
        return (int) Downcalls.call(
                "pidfd_getfd " + targetFd, state -> (int) pidfdGetfd$Holder.MH.invokeExact(state, pidfd, targetFd, 0));
    }

    /**
     * {@code process_vm_readv(2)} of {@code into.byteSize()} bytes at {@code address} in process {@code
     * pid} into {@code into}: how many bytes arrived (fewer at the end of a mapping).
     */
    public static long processVmRead(int pid, long address, MemorySegment into) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = allocateCallState(arena);
            MemorySegment local = arena.allocate(IOVEC);
            local.set(ADDRESS, 0, into);
            local.set(JAVA_LONG, 8, into.byteSize());
            MemorySegment remote = arena.allocate(IOVEC);
            remote.set(JAVA_LONG, 0, address);
            remote.set(JAVA_LONG, 8, into.byteSize());
            long read = (long) processVmReadv$Holder.MH.invokeExact(state, pid, local, 1L, remote, 1L, 0L);
            if (read < 0) {
                throw new ErrnoException("process_vm_readv " + pid, errno(state));
            }
            return read;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** x86-64 number of {@code lsm_list_modules(u64 *ids, u32 *size, u32 flags)} (Linux 6.8+). */
    public static final long SYS_LSM_LIST_MODULES = 461;

    public static final int ENOSYS = 38;
    public static final int E2BIG = 7;

    private static final class strerror$Holder {
        static final MethodHandle MH = Downcalls.plain("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    }

    // ---- Unix sockets with credentials and descriptor passing, processes: the daemon and launcher ----

    public static final int SO_PEERCRED = 17;
    public static final int SO_PEERGROUPS = 59;
    public static final int SCM_RIGHTS = 1;
    public static final int MSG_CTRUNC = 0x8;
    public static final int MSG_NOSIGNAL = 0x4000;
    public static final int MSG_CMSG_CLOEXEC = 0x40000000;
    public static final int ECHILD = 10;
    public static final int ERANGE = 34;
    public static final int ECONNREFUSED = 111;
    public static final int SIGHUP = 1;
    public static final int SIGINT = 2;
    public static final int SIGKILL = 9;
    public static final int SIGTERM = 15;

    /** {@code struct sockaddr_un}: {@code sa_family_t sun_family; char sun_path[108]}. */
    public static final StructLayout SOCKADDR_UN = MemoryLayout.structLayout(
                    JAVA_SHORT.withName("sun_family"),
                    MemoryLayout.sequenceLayout(108, JAVA_BYTE).withName("sun_path"))
            .withName("sockaddr_un");

    /** {@code struct msghdr} on x86-64: the int fields are followed by 4 bytes of padding. */
    public static final StructLayout MSGHDR = MemoryLayout.structLayout(
                    ADDRESS.withName("msg_name"),
                    JAVA_INT.withName("msg_namelen"),
                    MemoryLayout.paddingLayout(4),
                    ADDRESS.withName("msg_iov"),
                    JAVA_LONG.withName("msg_iovlen"),
                    ADDRESS.withName("msg_control"),
                    JAVA_LONG.withName("msg_controllen"),
                    JAVA_INT.withName("msg_flags"),
                    MemoryLayout.paddingLayout(4))
            .withName("msghdr");

    /** {@code struct cmsghdr} header: {@code size_t cmsg_len; int cmsg_level; int cmsg_type;} then data. */
    public static final long CMSG_HEADER = 16;

    /** {@code struct ucred}: {@code pid_t pid; uid_t uid; gid_t gid}. */
    public static final StructLayout UCRED = MemoryLayout.structLayout(
                    JAVA_INT.withName("pid"), JAVA_INT.withName("uid"), JAVA_INT.withName("gid"))
            .withName("ucred");

    /** {@code ssize_t sendto(int, const void *, size_t, int, const struct sockaddr *, socklen_t)}. */
    private static final class sendto$Holder {
        static final MethodHandle MH = Downcalls.errno(
                "sendto", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    }

    private static final class kill$Holder {
        static final MethodHandle MH = Downcalls.errno("kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    }

    private static final class waitpid$Holder {
        static final MethodHandle MH =
                Downcalls.errno("waitpid", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    }
    /** {@code int waitid(idtype_t, id_t, siginfo_t *, int)}. */
    private static final class waitid$Holder {
        static final MethodHandle MH =
                Downcalls.errno("waitid", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    }

    private static final class setsid$Holder {
        static final MethodHandle MH = Downcalls.errno("setsid", FunctionDescriptor.of(JAVA_INT));
    }

    /** {@code int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data)}. */
    private static final class mount$Holder {
        static final MethodHandle MH = Downcalls.errno(
                "mount", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
    }

    public static final int P_PID = 1;
    public static final int WEXITED = 4;
    public static final int WNOWAIT = 0x01000000;
    /** {@code siginfo_t} is 128 bytes on Linux. */
    public static final long SIGINFO_SIZE = 128;

    /** {@code kill(pid, signal)}; a negative pid signals that process group. */
    public static void kill(int pid, int signal) throws ErrnoException {
        Downcalls.call("kill " + pid, state -> (int) kill$Holder.MH.invokeExact(state, pid, signal));
    }

    /** {@code mount(source, target, fstype, flags, data)}; {@code data} may be null. */
    public static void mount(String source, String target, String fsType, long flags, String data)
            throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = allocateCallState(arena);
            MemorySegment options = data == null ? MemorySegment.NULL : arena.allocateFrom(data);
            int result = (int) mount$Holder.MH.invokeExact(
                    state,
                    arena.allocateFrom(source),
                    arena.allocateFrom(target),
                    arena.allocateFrom(fsType),
                    flags,
                    options);
            check(result, state, "mount " + fsType + " on " + target);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** {@code setsid()}: a new session and process group led by this process. */
    public static int setsid() throws ErrnoException {
        return (int) Downcalls.call("setsid", state -> (int) setsid$Holder.MH.invokeExact(state));
    }

    /**
     * {@code size} bytes of private anonymous memory, unmapped when {@code arena} closes. Unlike {@link
     * Arena#allocate}, which zero-fills (so every page is resident from the start), a page here takes memory
     * only once touched; {@link #discard} gives touched pages back. For large buffers of which a quiet
     * process uses little: a tunnel's batch of 32 datagram slots of 64 KiB holds 1.5 KiB packets when idle.
     *
     * @throws OutOfMemoryError when the kernel refuses the mapping, as {@link Arena#allocate} when malloc does
     */
    public static MemorySegment mapAnonymous(long size, Arena arena) {
        if (size <= 0) {
            throw new IllegalArgumentException("a mapping of at least one byte expected: " + size);
        }
        MemorySegment address;
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = allocateCallState(call);
            address = (MemorySegment) mmap$Holder.MH.invokeExact(
                    state, MemorySegment.NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L);
            if (address.address() == MAP_FAILED) {
                throw new OutOfMemoryError("mmap " + size + " bytes: " + strerror(errno(state)));
            }
        } catch (OutOfMemoryError e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
        return address.reinterpret(size, arena, Libc::unmap);
    }

    /** {@code madvise(start, length, advice)}; its errno thrown, named "madvise". */
    public static void madvise(MemorySegment start, long length, int advice) throws ErrnoException {
        Downcalls.call("madvise", state -> (int) madvise$Holder.MH.invokeExact(state, start, length, advice));
    }

    /**
     * Gives the pages of {@code mapping}, a whole segment from {@link #mapAnonymous}, back to the kernel
     * ({@code MADV_DONTNEED}): it keeps its address and size, and reads as zeros until written again.
     */
    public static void discard(MemorySegment mapping) {
        try {
            madvise(mapping, mapping.byteSize(), MADV_DONTNEED);
        } catch (ErrnoException e) {
            // Only a segment that is not a whole mapping can be refused: a bug of the caller.
            throw new IllegalArgumentException("madvise refused the segment: " + strerror(e.errno()));
        }
    }

    /**
     * How many bytes of {@code mapping} (from {@link #mapAnonymous}) are resident, in whole 4 KiB pages
     * ({@code mincore}): what {@link #discard} and untouched pages save, for tests and diagnostics.
     *
     * @throws ErrnoException {@code ENOMEM} when the range is not mapped (any more)
     */
    public static long residentBytes(MemorySegment mapping) throws ErrnoException {
        long pages = (mapping.byteSize() + 4095) / 4096;
        try (Arena call = Arena.ofConfined()) {
            MemorySegment state = allocateCallState(call);
            MemorySegment vector = call.allocate(pages);
            check((int) mincore$Holder.MH.invokeExact(state, mapping, mapping.byteSize(), vector), state, "mincore");
            long resident = 0;
            for (long i = 0; i < pages; i++) {
                resident += vector.get(JAVA_BYTE, i) & 1;
            }
            return resident * 4096;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static void unmap(MemorySegment mapping) {
        try (Arena call = Arena.ofConfined()) {
            int ignored = (int) munmap$Holder.MH.invokeExact(allocateCallState(call), mapping, mapping.byteSize());
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** Allocates a call-state segment that receives errno. */
    public static MemorySegment allocateCallState(Arena arena) {
        return arena.allocate(CALL_STATE);
    }

    /** The errno a call left in {@code callState}. */
    public static int errno(MemorySegment callState) {
        return (int) ERRNO.get(callState, 0L);
    }

    /** {@code open(path, flags)}, as openat(2) from the working directory (what glibc's open is). */
    public static int open(String path, int flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            return (int) Syscall.call(
                    "open " + path,
                    Syscall.OPENAT,
                    Syscall.AT_FDCWD,
                    arena.allocateFrom(path).address(),
                    flags);
        }
    }

    /**
     * {@code getxattr(path, name)}: the value of an extended attribute, at most {@code limit} bytes, or empty
     * when the file has none of that name ({@code ENODATA}; also what a {@code trusted.} name answers to a
     * caller without {@code CAP_SYS_ADMIN}).
     */
    public static Optional<byte[]> getxattr(String path, String name, int limit) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(limit);
            long length =
                    Downcalls.call("getxattr " + name + " of " + path, state -> (long) getxattr$Holder.MH.invokeExact(
                            state, arena.allocateFrom(path), arena.allocateFrom(name), value, (long) limit));
            return Optional.of(value.asSlice(0, length).toArray(JAVA_BYTE));
        } catch (ErrnoException e) {
            if (e.errno() == ENODATA) {
                return Optional.empty();
            }
            throw e;
        }
    }

    public static void close(int fd) throws ErrnoException {
        Syscall.call("close", Syscall.CLOSE, fd);
    }

    public static int ioctl(int fd, long request, MemorySegment argument, String what) throws ErrnoException {
        return (int) Downcalls.call(what, state -> (int) ioctl$Holder.MH.invokeExact(state, fd, request, argument));
    }

    /**
     * {@code lsm_list_modules(2)}: the ids ({@code LSM_ID_*}, e.g. 109 for bpf) of the Linux security
     * modules active in this kernel, in the order they were initialized. Throws {@code ENOSYS} before
     * Linux 6.8.
     */
    public static long[] lsmListModules() throws ErrnoException {
        int capacity = 64;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = allocateCallState(arena);
            MemorySegment ids = arena.allocate(JAVA_LONG, capacity);
            MemorySegment size = arena.allocateFrom(JAVA_INT, capacity * 8);
            long count = Syscall.invoke(state, SYS_LSM_LIST_MODULES, ids.address(), size.address(), 0);
            if (count < 0) {
                throw new ErrnoException("lsm_list_modules", errno(state));
            }
            return ids.asSlice(0, count * 8).toArray(JAVA_LONG);
        }
    }

    /**
     * {@code pipe2(fds, flags)}: a new pipe, read end first. Used to wake a thread that waits in {@code
     * poll} on another descriptor.
     */
    public static int[] pipe2(int flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = allocateCallState(arena);
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            check((int) pipe2$Holder.MH.invokeExact(state, fds, flags), state, "pipe2");
            return fds.toArray(JAVA_INT);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** {@code setsockopt(fd, level, name, &value, sizeof(int))}. */
    public static void setsockoptInt(int fd, int level, int name, int value, String what) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            setsockopt(fd, level, name, arena.allocateFrom(JAVA_INT, value), what);
        }
    }

    /** {@code setsockopt} with {@code value}'s bytes as the option. */
    private static void setsockopt(int fd, int level, int name, MemorySegment value, String what)
            throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = allocateCallState(arena);
            int result = (int) setsockopt$Holder.MH.invokeExact(state, fd, level, name, value, (int) value.byteSize());
            check(result, state, what);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * {@code SO_RCVTIMEO}: a blocking receive on {@code fd} gives up with {@code EAGAIN} after {@code timeout}
     * without data, so its thread can do what waits for quiet (give back buffers) and wait again.
     */
    public static void setReceiveTimeout(int fd, Duration timeout) throws ErrnoException {
        setTimeout(fd, SO_RCVTIMEO, timeout, "setsockopt SO_RCVTIMEO");
    }

    /**
     * {@code SO_SNDTIMEO}: a blocking send on {@code fd} gives up with {@code EAGAIN} after {@code timeout}
     * without room in the peer's buffer, so a peer that never reads cannot hold the sender for ever.
     */
    public static void setSendTimeout(int fd, Duration timeout) throws ErrnoException {
        setTimeout(fd, SO_SNDTIMEO, timeout, "setsockopt SO_SNDTIMEO");
    }

    private static void setTimeout(int fd, int option, Duration timeout, String what) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            // struct timeval { time_t tv_sec; suseconds_t tv_usec; }
            MemorySegment timeval = arena.allocate(JAVA_LONG, 2);
            timeval.setAtIndex(JAVA_LONG, 0, timeout.toSeconds());
            timeval.setAtIndex(JAVA_LONG, 1, timeout.toMillisPart() * 1000L);
            setsockopt(fd, SOL_SOCKET, option, timeval, what);
        }
    }

    public static int socket(int domain, int type, int protocol) throws ErrnoException {
        return (int) Syscall.call("socket", Syscall.SOCKET, domain, type, protocol);
    }

    /** {@code getsockopt(2)} of an option whose value is a 64-bit integer, e.g. {@code SO_NETNS_COOKIE}. */
    public static long getsockoptLong(int fd, int level, int option, String what) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = allocateCallState(arena);
            MemorySegment value = arena.allocate(JAVA_LONG);
            MemorySegment length = arena.allocateFrom(JAVA_INT, (int) JAVA_LONG.byteSize());
            check((int) getsockopt$Holder.MH.invokeExact(state, fd, level, option, value, length), state, what);
            return value.get(JAVA_LONG, 0);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int getuid() {
        try {
            return (int) getuid$Holder.MH.invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int geteuid() {
        try {
            return (int) geteuid$Holder.MH.invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * {@code poll} on one descriptor: whether any of {@code events} became ready within {@code
     * timeoutMillis}. An interrupted wait ({@code EINTR}) counts as not ready.
     */
    public static boolean poll(int fd, short events, int timeoutMillis) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = allocateCallState(arena);
            MemorySegment pollfd = arena.allocate(POLLFD);
            pollfd.set(JAVA_INT, 0, fd);
            pollfd.set(JAVA_SHORT, 4, events);
            int ready = (int) poll$Holder.MH.invokeExact(state, pollfd, 1L, timeoutMillis);
            if (ready < 0) {
                if (errno(state) == EINTR) {
                    return false;
                }
                throw new ErrnoException("poll fd " + fd, errno(state));
            }
            return ready > 0;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** The C library's message for {@code errno}, e.g. "No such device". */
    public static String strerror(int errno) {
        try {
            MemorySegment message = (MemorySegment) strerror$Holder.MH.invokeExact(errno);
            return message.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // ---- Processes: prctl, resource limits ----

    public static final int O_PATH = 0x200000;
    public static final int EOPNOTSUPP = 95;
    public static final int EAFNOSUPPORT = 97;

    // <linux/prctl.h>
    public static final int PR_GET_DUMPABLE = 3;
    public static final int PR_SET_DUMPABLE = 4;
    public static final int PR_SET_NO_NEW_PRIVS = 38;
    public static final int PR_GET_NO_NEW_PRIVS = 39;

    /** {@code int prctl(int option, unsigned long arg2, arg3, arg4, arg5)}: variadic after the option. */
    private static final class prctl$Holder {
        static final MethodHandle MH = Downcalls.errno(
                "prctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                Linker.Option.firstVariadicArg(1));
    }

    // <sys/resource.h>
    public static final int RLIMIT_FSIZE = 1;
    public static final int RLIMIT_CORE = 4;
    public static final int RLIMIT_NOFILE = 7;
    public static final long RLIM_INFINITY = -1L;
    /** {@code struct rlimit { rlim_t rlim_cur; rlim_t rlim_max; }}. */
    public static final StructLayout RLIMIT = MemoryLayout.structLayout(
                    JAVA_LONG.withName("rlim_cur"), JAVA_LONG.withName("rlim_max"))
            .withName("rlimit");

    private static final class getrlimit$Holder {
        static final MethodHandle MH = Downcalls.errno("getrlimit", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    }

    private static final class setrlimit$Holder {
        static final MethodHandle MH = Downcalls.errno("setrlimit", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    }

    // <unistd.h>, <fcntl.h>

    /** {@code int socketpair(int domain, int type, int protocol, int sv[2])}. */
    private static final class socketpair$Holder {
        static final MethodHandle MH =
                Downcalls.errno("socketpair", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    }

    /** {@code prctl(option, arg2, 0, 0, 0)}; returns its non-negative result. */
    public static int prctl(int option, long arg2, String what) throws ErrnoException {
        return (int) Downcalls.call(what, state -> (int) prctl$Holder.MH.invokeExact(state, option, arg2, 0L, 0L, 0L));
    }

    /** {@code getrlimit(resource)}: {@code {soft, hard}}, {@link #RLIM_INFINITY} for unlimited. */
    public static long[] getrlimit(int resource) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = allocateCallState(arena);
            MemorySegment limit = arena.allocate(RLIMIT);
            check((int) getrlimit$Holder.MH.invokeExact(state, resource, limit), state, "getrlimit " + resource);
            return new long[] {limit.get(JAVA_LONG, 0), limit.get(JAVA_LONG, 8)};
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** {@code setrlimit(resource, {soft, hard})}: for the whole process, inherited across exec. */
    public static void setrlimit(int resource, long soft, long hard) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = allocateCallState(arena);
            MemorySegment limit = arena.allocate(RLIMIT);
            limit.set(JAVA_LONG, 0, soft);
            limit.set(JAVA_LONG, 8, hard);
            check((int) setrlimit$Holder.MH.invokeExact(state, resource, limit), state, "setrlimit " + resource);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * Sends {@code message} as one datagram from a fresh {@code AF_UNIX} datagram socket to {@code
     * name}: a path, or an abstract name when it starts with {@code @} (as in {@code NOTIFY_SOCKET}; the
     * {@code @} stands for the leading NUL byte, and the name is not NUL-terminated).
     */
    public static void sendUnixDatagram(String name, byte[] message) throws ErrnoException {
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = unixAddress(arena, name);
            MemorySegment data = arena.allocateFrom(JAVA_BYTE, message);
            MemorySegment state = allocateCallState(arena);
            long sent = (long) sendto$Holder.MH.invokeExact(
                    state, fd, data, (long) message.length, 0, address, (int) address.byteSize());
            check((int) Math.min(sent, Integer.MAX_VALUE), state, "sendto " + name);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        } finally {
            close(fd);
        }
    }

    /**
     * The {@code sockaddr_un} of {@code name}, exactly as long as the kernel expects it (pass its
     * {@code byteSize()} as the address length): a path (NUL-terminated), or an abstract name when it
     * starts with {@code @} (the {@code @} stands for the leading NUL byte; no terminator).
     */
    public static MemorySegment unixAddress(Arena arena, String name) {
        byte[] path = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (path.length == 0 || path.length >= 108) {
            throw new IllegalArgumentException("AF_UNIX socket name of 1..107 bytes expected: " + name);
        }
        boolean abstractName = path[0] == '@';
        MemorySegment address = arena.allocate(SOCKADDR_UN);
        address.set(JAVA_SHORT, 0, (short) AF_UNIX);
        MemorySegment.copy(path, 0, address, JAVA_BYTE, 2, path.length);
        if (abstractName) {
            address.set(JAVA_BYTE, 2, (byte) 0);
        }
        return address.asSlice(0, 2 + path.length + (abstractName ? 0 : 1));
    }

    /** {@code socketpair(AF_UNIX, type, 0)}: the two connected descriptors. */
    public static int[] socketpair(int type) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = allocateCallState(arena);
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            check((int) socketpair$Holder.MH.invokeExact(state, AF_UNIX, type, 0, fds), state, "socketpair");
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // ---- Launching apps: the caller's opened command, terminal signals ----

    public static final int O_NOCTTY = 0x100;
    public static final int O_ACCMODE = 3;
    public static final int F_GETFL = 3;
    public static final int SIGTTIN = 21;
    public static final int SIGTTOU = 22;

    /** {@code fcntl(fd, cmd, arg)} for a command with an int argument; returns its non-negative result. */
    public static int fcntl(int fd, int cmd, int arg, String what) throws ErrnoException {
        return (int) Syscall.call(what, Syscall.FCNTL, fd, cmd, arg);
    }

    /** The status flags of {@code fd} ({@code fcntl F_GETFL}): its access mode, {@code O_PATH}, …. */
    public static int statusFlags(int fd) throws ErrnoException {
        return fcntl(fd, F_GETFL, 0, "fcntl F_GETFL");
    }

    /**
     * {@code pread} into all of {@code buffer} from {@code offset} of {@code fd}, again after {@code EINTR}:
     * how many bytes it read, 0 at the end of the file.
     */
    public static long pread(int fd, MemorySegment buffer, long offset) throws ErrnoException {
        while (true) {
            try {
                return Downcalls.call("pread", state ->
                        (long) pread$Holder.MH.invokeExact(state, fd, buffer, buffer.byteSize(), offset));
            } catch (ErrnoException e) {
                if (e.errno() != EINTR) {
                    throw e;
                }
            }
        }
    }

    private static final class pread$Holder {
        static final MethodHandle MH =
                Downcalls.errno("pread", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    }

    private static final class pwrite$Holder {
        static final MethodHandle MH =
                Downcalls.errno("pwrite", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    }

    /** Sets {@code signal}'s disposition to {@code SIG_IGN} for this whole process. */
    public static void ignoreSignal(int signal) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = allocateCallState(arena);
            MemorySegment previous = (MemorySegment) signal$Holder.MH.invokeExact(state, signal, SIG_IGN);
            if (previous.address() == SIG_ERR.address()) {
                throw new ErrnoException("signal " + signal + " SIG_IGN", errno(state));
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static final MemorySegment SIG_IGN = MemorySegment.ofAddress(1);
    private static final MemorySegment SIG_ERR = MemorySegment.ofAddress(-1);

    private static final class signal$Holder {
        static final MethodHandle MH = Downcalls.errno("signal", FunctionDescriptor.of(ADDRESS, JAVA_INT, ADDRESS));
    }

    // ---- The calls a caller makes with its own call state (a hot path, or one that reads errno itself): each
    // returns what the function returns and leaves errno in callState; a Throwable means a linkage bug.

    public static long read(MemorySegment callState, int fd, MemorySegment buffer, long count) throws Throwable {
        return (long) read$Holder.MH.invokeExact(callState, fd, buffer, count);
    }

    public static long write(MemorySegment callState, int fd, MemorySegment data, long count) throws Throwable {
        return (long) write$Holder.MH.invokeExact(callState, fd, data, count);
    }

    public static int poll(MemorySegment callState, MemorySegment fds, long count, int timeoutMillis) throws Throwable {
        return (int) poll$Holder.MH.invokeExact(callState, fds, count, timeoutMillis);
    }

    public static int bind(MemorySegment callState, int fd, MemorySegment address, int length) throws Throwable {
        return (int) bind$Holder.MH.invokeExact(callState, fd, address, length);
    }

    public static int getsockname(MemorySegment callState, int fd, MemorySegment address, MemorySegment length)
            throws Throwable {
        return (int) getsockname$Holder.MH.invokeExact(callState, fd, address, length);
    }

    public static int getpeername(MemorySegment callState, int fd, MemorySegment address, MemorySegment length)
            throws Throwable {
        return (int) getpeername$Holder.MH.invokeExact(callState, fd, address, length);
    }

    public static int shutdown(MemorySegment callState, int fd, int how) throws Throwable {
        return (int) shutdown$Holder.MH.invokeExact(callState, fd, how);
    }

    public static int getsockopt(
            MemorySegment callState, int fd, int level, int option, MemorySegment value, MemorySegment length)
            throws Throwable {
        return (int) getsockopt$Holder.MH.invokeExact(callState, fd, level, option, value, length);
    }

    public static int waitpid(MemorySegment callState, int pid, MemorySegment status, int options) throws Throwable {
        return (int) waitpid$Holder.MH.invokeExact(callState, pid, status, options);
    }

    public static int waitid(MemorySegment callState, int idType, int id, MemorySegment info, int options)
            throws Throwable {
        return (int) waitid$Holder.MH.invokeExact(callState, idType, id, info, options);
    }

    /** Returns {@code result}, or throws the errno in {@code callState} when the call returned -1. */
    public static int check(int result, MemorySegment callState, String operation) throws ErrnoException {
        if (result == -1) {
            throw new ErrnoException(operation, errno(callState));
        }
        return result;
    }

    /**
     * A downcall failed in a way no caller can handle: a wrong descriptor or a linkage error. It is a
     * bug in this class, so it fails loudly.
     */
    public static AssertionError unexpected(Throwable t) {
        if (t instanceof Error e) {
            throw e;
        }
        return new AssertionError("native call failed unexpectedly", t);
    }
}
