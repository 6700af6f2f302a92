package dev.wgpr.enforcement.bpf;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.wgpr.common.linux.Downcalls;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.NativeLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;

/**
 * libbpf 1.x ({@code libbpf.so.1}) through FFM, written by hand in the style of jextract output: one
 * method handle per function, linked on first use (see {@code Libc}), errno captured through the
 * linker's call state.
 *
 * <p>libbpf 1.x conventions: functions returning a pointer return {@code NULL} and set errno on
 * failure; functions returning {@code int} return {@code -errno} (and set errno too). libbpf's log
 * output goes through a print callback (an FFM upcall) into {@link System.Logger} and into the
 * {@link BpfException} of the call that produced it, never lost on a stderr nobody reads.
 *
 * <p>Every libbpf binding of the project lives here; the rest of the module uses {@link BpfObject},
 * {@link BpfProgram}, {@link BpfMap}, {@link BpfLink} and {@link Bpf}.
 */
@SuppressWarnings("restricted") // FFM downcalls and upcalls are restricted methods; this class is where we accept that.
final class Libbpf {
    private Libbpf() {}

    static final String SONAME = "libbpf.so.1";

    private static final NativeLibrary LIBRARY = NativeLibrary.load(SONAME, "libbpf1");

    private static final Linker.Option ERRNO_OPTION = Libc.CAPTURE_ERRNO;

    // enum libbpf_print_level
    static final int LIBBPF_WARN = 0;
    static final int LIBBPF_INFO = 1;
    static final int LIBBPF_DEBUG = 2;

    /**
     * The leading fields of {@code struct bpf_object_open_opts} (libbpf 1.1). {@code sz} says how much
     * of the struct we pass; libbpf treats the fields after it as zero (its forward/backward-compatible
     * "opts" convention).
     */
    static final StructLayout BPF_OBJECT_OPEN_OPTS = MemoryLayout.structLayout(
                    JAVA_LONG.withName("sz"), ADDRESS.withName("object_name"))
            .withName("bpf_object_open_opts");

    /** {@code struct bpf_prog_info}, up to {@code id}: the kernel copies only the length we pass. */
    static final StructLayout BPF_PROG_INFO_HEAD = MemoryLayout.structLayout(
                    JAVA_INT.withName("type"), JAVA_INT.withName("id"))
            .withName("bpf_prog_info");

    static MethodHandle libbpf_major_version$MH() {
        return libbpf_major_version$Holder.MH;
    }

    /** libc's {@code int vsnprintf(char *str, size_t size, const char *format, va_list ap)}, for the print callback. */
    private static final class Vsnprintf {
        static final MethodHandle MH =
                Downcalls.plain("vsnprintf", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
    }

    private static final class libbpf_major_version$Holder {
        static final MethodHandle MH = downcall("libbpf_major_version", FunctionDescriptor.of(JAVA_INT));
    }

    static MethodHandle libbpf_minor_version$MH() {
        return libbpf_minor_version$Holder.MH;
    }

    private static final class libbpf_minor_version$Holder {
        static final MethodHandle MH = downcall("libbpf_minor_version", FunctionDescriptor.of(JAVA_INT));
    }

    static MethodHandle libbpf_version_string$MH() {
        return libbpf_version_string$Holder.MH;
    }

    private static final class libbpf_version_string$Holder {
        static final MethodHandle MH = downcall("libbpf_version_string", FunctionDescriptor.of(ADDRESS));
    }
    /** {@code libbpf_print_fn_t libbpf_set_print(libbpf_print_fn_t fn)}. */
    static MethodHandle libbpf_set_print$MH() {
        return libbpf_set_print$Holder.MH;
    }

    private static final class libbpf_set_print$Holder {
        static final MethodHandle MH = downcall("libbpf_set_print", FunctionDescriptor.of(ADDRESS, ADDRESS));
    }

    static MethodHandle bpf_object__open_mem$MH() {
        return bpf_object__open_mem$Holder.MH;
    }

    private static final class bpf_object__open_mem$Holder {
        static final MethodHandle MH = downcall(
                "bpf_object__open_mem", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), ERRNO_OPTION);
    }

    static MethodHandle bpf_object__load$MH() {
        return bpf_object__load$Holder.MH;
    }

    private static final class bpf_object__load$Holder {
        static final MethodHandle MH =
                downcall("bpf_object__load", FunctionDescriptor.of(JAVA_INT, ADDRESS), ERRNO_OPTION);
    }

    static MethodHandle bpf_object__close$MH() {
        return bpf_object__close$Holder.MH;
    }

    private static final class bpf_object__close$Holder {
        static final MethodHandle MH = downcall("bpf_object__close", FunctionDescriptor.ofVoid(ADDRESS));
    }

    static MethodHandle bpf_object__find_program_by_name$MH() {
        return bpf_object__find_program_by_name$Holder.MH;
    }

    private static final class bpf_object__find_program_by_name$Holder {
        static final MethodHandle MH = downcall(
                "bpf_object__find_program_by_name", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS), ERRNO_OPTION);
    }

    static MethodHandle bpf_object__find_map_by_name$MH() {
        return bpf_object__find_map_by_name$Holder.MH;
    }

    private static final class bpf_object__find_map_by_name$Holder {
        static final MethodHandle MH = downcall(
                "bpf_object__find_map_by_name", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS), ERRNO_OPTION);
    }

    static MethodHandle bpf_program__fd$MH() {
        return bpf_program__fd$Holder.MH;
    }

    private static final class bpf_program__fd$Holder {
        static final MethodHandle MH =
                downcall("bpf_program__fd", FunctionDescriptor.of(JAVA_INT, ADDRESS), ERRNO_OPTION);
    }

    /** {@code struct bpf_program *bpf_object__next_program(const struct bpf_object *, struct bpf_program *)}. */
    static MethodHandle bpf_object__next_program$MH() {
        return bpf_object__next_program$Holder.MH;
    }

    private static final class bpf_object__next_program$Holder {
        static final MethodHandle MH =
                downcall("bpf_object__next_program", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
    }

    /** {@code const char *bpf_program__name(const struct bpf_program *)}. */
    static MethodHandle bpf_program__name$MH() {
        return bpf_program__name$Holder.MH;
    }

    private static final class bpf_program__name$Holder {
        static final MethodHandle MH = downcall("bpf_program__name", FunctionDescriptor.of(ADDRESS, ADDRESS));
    }

    static MethodHandle bpf_program__set_autoload$MH() {
        return bpf_program__set_autoload$Holder.MH;
    }

    private static final class bpf_program__set_autoload$Holder {
        static final MethodHandle MH =
                downcall("bpf_program__set_autoload", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_BOOLEAN));
    }

    static MethodHandle bpf_program__attach_cgroup$MH() {
        return bpf_program__attach_cgroup$Holder.MH;
    }

    private static final class bpf_program__attach_cgroup$Holder {
        static final MethodHandle MH =
                downcall("bpf_program__attach_cgroup", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT), ERRNO_OPTION);
    }

    static MethodHandle bpf_program__attach_lsm$MH() {
        return bpf_program__attach_lsm$Holder.MH;
    }

    private static final class bpf_program__attach_lsm$Holder {
        static final MethodHandle MH =
                downcall("bpf_program__attach_lsm", FunctionDescriptor.of(ADDRESS, ADDRESS), ERRNO_OPTION);
    }

    static MethodHandle bpf_link__fd$MH() {
        return bpf_link__fd$Holder.MH;
    }

    private static final class bpf_link__fd$Holder {
        static final MethodHandle MH = downcall("bpf_link__fd", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    static MethodHandle bpf_link__pin$MH() {
        return bpf_link__pin$Holder.MH;
    }

    private static final class bpf_link__pin$Holder {
        static final MethodHandle MH =
                downcall("bpf_link__pin", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), ERRNO_OPTION);
    }

    static MethodHandle bpf_link__unpin$MH() {
        return bpf_link__unpin$Holder.MH;
    }

    private static final class bpf_link__unpin$Holder {
        static final MethodHandle MH =
                downcall("bpf_link__unpin", FunctionDescriptor.of(JAVA_INT, ADDRESS), ERRNO_OPTION);
    }

    static MethodHandle bpf_link__destroy$MH() {
        return bpf_link__destroy$Holder.MH;
    }

    private static final class bpf_link__destroy$Holder {
        static final MethodHandle MH =
                downcall("bpf_link__destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS), ERRNO_OPTION);
    }

    static MethodHandle bpf_map__fd$MH() {
        return bpf_map__fd$Holder.MH;
    }

    private static final class bpf_map__fd$Holder {
        static final MethodHandle MH = downcall("bpf_map__fd", FunctionDescriptor.of(JAVA_INT, ADDRESS), ERRNO_OPTION);
    }

    static MethodHandle bpf_map__key_size$MH() {
        return bpf_map__key_size$Holder.MH;
    }

    private static final class bpf_map__key_size$Holder {
        static final MethodHandle MH = downcall("bpf_map__key_size", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    static MethodHandle bpf_map__value_size$MH() {
        return bpf_map__value_size$Holder.MH;
    }

    private static final class bpf_map__value_size$Holder {
        static final MethodHandle MH = downcall("bpf_map__value_size", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    /**
     * {@code int bpf_map_create(enum bpf_map_type, const char *name, __u32 key_size, __u32 value_size,
     * __u32 max_entries, const struct bpf_map_create_opts *opts)}: a file descriptor or -errno.
     */
    static MethodHandle bpf_map_create$MH() {
        return bpf_map_create$Holder.MH;
    }

    private static final class bpf_map_create$Holder {
        static final MethodHandle MH = downcall(
                "bpf_map_create",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS),
                ERRNO_OPTION);
    }

    static MethodHandle bpf_map_update_elem$MH() {
        return bpf_map_update_elem$Holder.MH;
    }

    private static final class bpf_map_update_elem$Holder {
        static final MethodHandle MH = downcall(
                "bpf_map_update_elem",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG),
                ERRNO_OPTION);
    }

    static MethodHandle bpf_map_lookup_elem$MH() {
        return bpf_map_lookup_elem$Holder.MH;
    }

    private static final class bpf_map_lookup_elem$Holder {
        static final MethodHandle MH = downcall(
                "bpf_map_lookup_elem", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), ERRNO_OPTION);
    }

    static MethodHandle bpf_map_delete_elem$MH() {
        return bpf_map_delete_elem$Holder.MH;
    }

    private static final class bpf_map_delete_elem$Holder {
        static final MethodHandle MH =
                downcall("bpf_map_delete_elem", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), ERRNO_OPTION);
    }
    /**
     * {@code int bpf_prog_query(int target_fd, enum bpf_attach_type type, __u32 query_flags, __u32
     * *attach_flags, __u32 *prog_ids, __u32 *prog_cnt)}.
     */
    static MethodHandle bpf_prog_query$MH() {
        return bpf_prog_query$Holder.MH;
    }

    private static final class bpf_prog_query$Holder {
        static final MethodHandle MH = downcall(
                "bpf_prog_query",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS),
                ERRNO_OPTION);
    }
    /** {@code int bpf_obj_get_info_by_fd(int bpf_fd, void *info, __u32 *info_len)}. */
    static MethodHandle bpf_obj_get_info_by_fd$MH() {
        return bpf_obj_get_info_by_fd$Holder.MH;
    }

    private static final class bpf_obj_get_info_by_fd$Holder {
        static final MethodHandle MH = downcall(
                "bpf_obj_get_info_by_fd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), ERRNO_OPTION);
    }
    /** {@code int bpf_enable_stats(enum bpf_stats_type type)}: a file descriptor keeping stats on, or -errno. */
    static MethodHandle bpf_enable_stats$MH() {
        return bpf_enable_stats$Holder.MH;
    }

    private static final class bpf_enable_stats$Holder {
        static final MethodHandle MH =
                downcall("bpf_enable_stats", FunctionDescriptor.of(JAVA_INT, JAVA_INT), ERRNO_OPTION);
    }

    /** {@code int bpf_obj_pin(int fd, const char *pathname)}. */
    static MethodHandle bpf_obj_pin$MH() {
        return bpf_obj_pin$Holder.MH;
    }

    private static final class bpf_obj_pin$Holder {
        static final MethodHandle MH =
                downcall("bpf_obj_pin", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), ERRNO_OPTION);
    }
    /** {@code int bpf_obj_get(const char *pathname)}: a descriptor for a pinned object, or -errno. */
    static MethodHandle bpf_obj_get$MH() {
        return bpf_obj_get$Holder.MH;
    }

    private static final class bpf_obj_get$Holder {
        static final MethodHandle MH = downcall("bpf_obj_get", FunctionDescriptor.of(JAVA_INT, ADDRESS), ERRNO_OPTION);
    }

    /**
     * {@code struct bpf_tc_hook} (libbpf 1.1): {@code size_t sz; int ifindex; enum
     * bpf_tc_attach_point attach_point; __u32 parent;} padded to 24 bytes.
     */
    static final long TC_HOOK_SIZE = 24;

    static final long TC_HOOK_IFINDEX = 8;
    static final long TC_HOOK_ATTACH_POINT = 12;
    /** {@code enum bpf_tc_attach_point}: {@code BPF_TC_INGRESS}. */
    static final int BPF_TC_INGRESS = 1;

    /** {@code enum bpf_tc_attach_point}: {@code BPF_TC_EGRESS}. */
    static final int BPF_TC_EGRESS = 2;
    /**
     * {@code struct bpf_tc_opts} (libbpf 1.1): {@code size_t sz; int prog_fd; __u32 flags; __u32
     * prog_id; __u32 handle; __u32 priority;} padded to 32 bytes.
     */
    static final long TC_OPTS_SIZE = 32;

    static final long TC_OPTS_PROG_FD = 8;
    static final long TC_OPTS_FLAGS = 12;
    static final long TC_OPTS_PROG_ID = 16;
    static final long TC_OPTS_HANDLE = 20;
    static final long TC_OPTS_PRIORITY = 24;
    /** {@code BPF_TC_F_REPLACE}. */
    static final int BPF_TC_F_REPLACE = 1;

    /** {@code int bpf_tc_hook_create(struct bpf_tc_hook *hook)}: 0, -EEXIST when the clsact qdisc exists, or -errno. */
    static MethodHandle bpf_tc_hook_create$MH() {
        return bpf_tc_hook_create$Holder.MH;
    }

    private static final class bpf_tc_hook_create$Holder {
        static final MethodHandle MH =
                downcall("bpf_tc_hook_create", FunctionDescriptor.of(JAVA_INT, ADDRESS), ERRNO_OPTION);
    }
    /** {@code int bpf_tc_hook_destroy(struct bpf_tc_hook *hook)}. */
    static MethodHandle bpf_tc_hook_destroy$MH() {
        return bpf_tc_hook_destroy$Holder.MH;
    }

    private static final class bpf_tc_hook_destroy$Holder {
        static final MethodHandle MH =
                downcall("bpf_tc_hook_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS), ERRNO_OPTION);
    }
    /** {@code int bpf_tc_attach(const struct bpf_tc_hook *hook, struct bpf_tc_opts *opts)}. */
    static MethodHandle bpf_tc_attach$MH() {
        return bpf_tc_attach$Holder.MH;
    }

    private static final class bpf_tc_attach$Holder {
        static final MethodHandle MH =
                downcall("bpf_tc_attach", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), ERRNO_OPTION);
    }
    /** {@code int bpf_tc_detach(const struct bpf_tc_hook *hook, const struct bpf_tc_opts *opts)}. */
    static MethodHandle bpf_tc_detach$MH() {
        return bpf_tc_detach$Holder.MH;
    }

    private static final class bpf_tc_detach$Holder {
        static final MethodHandle MH =
                downcall("bpf_tc_detach", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), ERRNO_OPTION);
    }
    /** {@code int bpf_tc_query(const struct bpf_tc_hook *hook, struct bpf_tc_opts *opts)}. */
    static MethodHandle bpf_tc_query$MH() {
        return bpf_tc_query$Holder.MH;
    }

    private static final class bpf_tc_query$Holder {
        static final MethodHandle MH =
                downcall("bpf_tc_query", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), ERRNO_OPTION);
    }

    /**
     * {@code int bpf_map_update_batch(int fd, const void *keys, const void *values, __u32 *count,
     * const struct bpf_map_batch_opts *opts)}.
     */
    static MethodHandle bpf_map_update_batch$MH() {
        return bpf_map_update_batch$Holder.MH;
    }

    private static final class bpf_map_update_batch$Holder {
        static final MethodHandle MH = downcall(
                "bpf_map_update_batch",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS),
                ERRNO_OPTION);
    }

    static MethodHandle libbpf_num_possible_cpus$MH() {
        return libbpf_num_possible_cpus$Holder.MH;
    }

    private static final class libbpf_num_possible_cpus$Holder {
        static final MethodHandle MH = downcall("libbpf_num_possible_cpus", FunctionDescriptor.of(JAVA_INT));
    }

    /**
     * The leading fields of {@code struct bpf_map_create_opts}: {@code sz}, {@code btf_fd}, {@code
     * btf_key_type_id}, {@code btf_value_type_id}, {@code btf_vmlinux_value_type_id}, {@code
     * inner_map_fd}, {@code map_flags}. We pass {@code sz} = 32 (up to and including map_flags).
     */
    static final long MAP_CREATE_OPTS_SIZE = 32;

    static final long MAP_CREATE_OPTS_MAP_FLAGS = 28;

    /** {@code int (*ring_buffer_sample_fn)(void *ctx, void *data, size_t size)}. */
    static final FunctionDescriptor RING_BUFFER_SAMPLE_FN =
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG);
    /** {@code struct ring_buffer *ring_buffer__new(int map_fd, ring_buffer_sample_fn, void *ctx, opts)}. */
    static MethodHandle ring_buffer__new$MH() {
        return ring_buffer__new$Holder.MH;
    }

    private static final class ring_buffer__new$Holder {
        static final MethodHandle MH = downcall(
                "ring_buffer__new", FunctionDescriptor.of(ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS), ERRNO_OPTION);
    }

    static MethodHandle ring_buffer__poll$MH() {
        return ring_buffer__poll$Holder.MH;
    }

    private static final class ring_buffer__poll$Holder {
        static final MethodHandle MH =
                downcall("ring_buffer__poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), ERRNO_OPTION);
    }

    static MethodHandle ring_buffer__consume$MH() {
        return ring_buffer__consume$Holder.MH;
    }

    private static final class ring_buffer__consume$Holder {
        static final MethodHandle MH =
                downcall("ring_buffer__consume", FunctionDescriptor.of(JAVA_INT, ADDRESS), ERRNO_OPTION);
    }

    static MethodHandle ring_buffer__free$MH() {
        return ring_buffer__free$Holder.MH;
    }

    private static final class ring_buffer__free$Holder {
        static final MethodHandle MH = downcall("ring_buffer__free", FunctionDescriptor.ofVoid(ADDRESS));
    }

    /** {@code int (*libbpf_print_fn_t)(enum libbpf_print_level, const char *fmt, va_list ap)}. */
    private static final FunctionDescriptor LIBBPF_PRINT_FN_T =
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);

    private static final System.Logger LOG = System.getLogger("dev.wgpr.enforcement.bpf.libbpf");
    private static final ThreadLocal<List<String>> CAPTURED = ThreadLocal.withInitial(ArrayList::new);

    static {
        try {
            MethodHandle print = MethodHandles.lookup()
                    .findStatic(
                            Libbpf.class,
                            "print",
                            MethodType.methodType(int.class, int.class, MemorySegment.class, MemorySegment.class));
            MemorySegment stub = NativeLibrary.upcall(print, LIBBPF_PRINT_FN_T, Arena.global());
            MemorySegment previous = (MemorySegment) libbpf_set_print$MH().invokeExact(stub);
            assert previous != null;
        } catch (Throwable t) {
            throw new ExceptionInInitializerError(t);
        }
    }

    /**
     * libbpf's print callback. Formats with libc's {@code vsnprintf} (the {@code va_list} is consumed
     * once), keeps warnings for the exception of the current call and logs them. Never throws into
     * native code.
     */
    private static int print(int level, MemorySegment format, MemorySegment args) {
        try {
            if (level == LIBBPF_DEBUG) {
                return 0;
            }
            try (Arena arena = Arena.ofConfined()) {
                // A warning may be a refused program's whole verifier log, which ends with the reason.
                MemorySegment buffer = arena.allocate(level == LIBBPF_WARN ? WARNING_BYTES : 1024);
                int n = (int) Vsnprintf.MH.invokeExact(buffer, buffer.byteSize(), format, args);
                if (n < 0) {
                    return 0;
                }
                String message = tailOf(buffer.getString(0).stripTrailing());
                if (level == LIBBPF_WARN) {
                    CAPTURED.get().add(message);
                    LOG.log(System.Logger.Level.DEBUG, message);
                } else {
                    LOG.log(System.Logger.Level.TRACE, message);
                }
                return n;
            }
        } catch (Throwable t) {
            return 0;
        }
    }

    /**
     * libbpf prints a refused program's verifier log in one warning, up to its log buffer of 16 MiB
     * ({@code BPF_LOG_BUF_SIZE}); the {@code va_list} can be formatted only once, so the buffer holds
     * all of it. Allocated only for warnings, which are rare.
     */
    private static final long WARNING_BYTES = (16L << 20) + 4096;

    /** Lines of a long warning kept: the verifier walks the program first and says why at the end. */
    static final int WARNING_TAIL_LINES = 40;

    /** {@code message} with at most its first line and its last {@link #WARNING_TAIL_LINES} lines. */
    static String tailOf(String message) {
        List<String> lines = message.lines().toList();
        if (lines.size() <= WARNING_TAIL_LINES + 1) {
            return message;
        }
        int omitted = lines.size() - 1 - WARNING_TAIL_LINES;
        return lines.getFirst() + "\n[" + omitted + " lines left out]\n"
                + String.join("\n", lines.subList(lines.size() - WARNING_TAIL_LINES, lines.size()));
    }

    /** Starts collecting libbpf's warnings on this thread (for the next {@link BpfException}). */
    static void clearLog() {
        CAPTURED.get().clear();
    }

    /** The warnings libbpf printed on this thread since {@link #clearLog()}. */
    static List<String> takeLog() {
        List<String> log = List.copyOf(CAPTURED.get());
        CAPTURED.get().clear();
        return log;
    }

    static MemorySegment allocateCallState(Arena arena) {
        return Libc.allocateCallState(arena);
    }

    static int errno(MemorySegment callState) {
        return Libc.errno(callState);
    }

    /** A C string libbpf owns (e.g. its version string), read up to its NUL. */
    static String string(MemorySegment pointer) {
        return pointer.reinterpret(Long.MAX_VALUE).getString(0);
    }

    /** The version libbpf reports about itself, e.g. {@code v1.1}. */
    static String versionString() {
        try {
            return string((MemorySegment) libbpf_version_string$MH().invokeExact());
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    static int majorVersion() {
        try {
            return (int) libbpf_major_version$MH().invokeExact();
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    static int minorVersion() {
        try {
            return (int) libbpf_minor_version$MH().invokeExact();
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return LIBRARY.downcall(name, descriptor, options);
    }
}
