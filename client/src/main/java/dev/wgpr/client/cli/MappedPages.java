package dev.wgpr.client.cli;

import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Gives back, once the daemon is ready and after each change of its tunnels ({@link Keeper}), the resident
 * pages of files it mapped read-only and never wrote, of which an idle daemon uses little: the class-data
 * archive's read-only region and the JVM's libraries.
 * Such pages are the file's, unchanged, so dropping them changes nothing the JVM reads: a page used again
 * is mapped again from the page cache (or read again from the file).
 *
 * <p><b>The archive.</b> The JVM reads its read-only region whole while it starts
 * ({@code -XX:+VerifySharedSpaces}'s checksum, and the kernel's fault-around maps 64 KiB about every page
 * the class loading touches), some 16 MiB. Mapped unrelocated ({@link DaemonJvm#archiveOptions}), the region
 * is clean pages of the file, private and never written (the JVM maps it read-only); {@code MADV_RANDOM}
 * turns read-ahead off for it, and its pages leave the page cache too ({@code MADV_PAGEOUT}): a cached large
 * folio (the dump writes the file in large ones) is mapped whole at a fault, and the region came back at the
 * first few faults. Only clean pages can be paged out, hence the dump's fsync ({@link
 * DaemonJvm#refreshArchive}). A relocated archive's region was written while relocated: anonymous memory,
 * mapped read-write, so not found here and left alone.
 *
 * <p><b>The JDK's and glibc's files.</b> The JVM's start, its class loading and its compiler run through most of
 * libjvm's 13 MiB of code and 4 MiB of read-only data, all resident in an idle daemon before; less of it is
 * used after: given back, libjvm is some 12.3 MiB resident at idle with one tunnel rather than 18 (about 10.5
 * of code, which an idle JVM faults in again within seconds, and 1.8 of data). bench/daemon, warm, idle with
 * one tunnel: 55.1 and 56.0 MiB RSS before; 53.2 once given back only at ready (run 20261207T152606Z-daemon,
 * load 2, with 1.02 Gbit/s and 5,272 handshakes/s in the same row), with no tunnel 45.0 (47.6 and 47.9
 * before). (48.4 to 50.2 when they were given back again every 10 s: sampled just after a release, before
 * the JVM faulted its running code back in.) {@code MADV_RANDOM}
 * on libjvm as well changed nothing (10.2 and 10.5 MiB of its code resident at idle, two rows): what comes
 * back is what the JVM runs, not read-ahead. Its mappings and those of the JDK's
 * other files (its libraries, the modules image) that the JVM mapped without write access and that have no
 * page of the process's own (no anonymous pages: libjvm's {@code .data.rel.ro}, relocated before it was
 * made read-only, has some, and is left alone) are only dropped from this process: they stay in the page
 * cache, where the machine's other JVMs (the CLI, the launch helper) find them. glibc's libraries likewise
 * (libc, libm, the dynamic loader: some 2.3 MiB resident, most of it mapped by fault-around and not run at
 * idle). Only these: the JVM never unmaps them, so a mapping read from smaps is still the same when it is
 * given back (a library a binding closed could be unmapped in between, and its addresses reused by memory
 * the daemon wrote).
 */
final class MappedPages {
    private MappedPages() {}

    /**
     * This process's /proc/self/smaps, opened once and read from its start each time. A release after an
     * {@code up} may come while the daemon is at its descriptor limit (a flood of callers), where opening the
     * file anew fails: there only the accept may want a descriptor (DaemonUnderAttackTest).
     */
    private static final class Smaps {
        private static FileChannel channel;

        private Smaps() {}

        static synchronized List<String> lines() throws IOException {
            if (channel == null) {
                channel = FileChannel.open(Path.of("/proc/self/smaps"));
            }
            ByteArrayOutputStream content = new ByteArrayOutputStream(512 * 1024);
            ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
            long position = 0;
            int read;
            while ((read = channel.read(buffer.clear(), position)) > 0) {
                content.write(buffer.array(), 0, read);
                position += read;
            }
            return content.toString(StandardCharsets.UTF_8).lines().toList();
        }
    }

    /** A mapping of /proc/PID/smaps: its range, permissions, file, and resident and anonymous KiB. */
    record Mapping(long start, long end, String permissions, String path, long residentKib, long anonymousKib) {}

    /** The line that starts a mapping in /proc/PID/smaps, before its fields. */
    private static final Pattern MAPPING = Pattern.compile("([0-9a-f]+)-([0-9a-f]+) (\\S+) \\S+ \\S+ \\S+ *(.*)");

    /** The mappings of {@code smaps}, the lines of /proc/PID/smaps. */
    static List<Mapping> mappings(List<String> smaps) {
        List<Mapping> mappings = new ArrayList<>();
        Matcher header = null;
        long resident = 0;
        long anonymous = 0;
        for (String line : smaps) {
            Matcher next = MAPPING.matcher(line);
            if (next.matches()) {
                if (header != null) {
                    mappings.add(mapping(header, resident, anonymous));
                }
                header = next;
                resident = 0;
                anonymous = 0;
            } else if (line.startsWith("Rss:")) {
                resident = kib(line);
            } else if (line.startsWith("Anonymous:")) {
                anonymous = kib(line);
            }
        }
        if (header != null) {
            mappings.add(mapping(header, resident, anonymous));
        }
        return mappings;
    }

    private static Mapping mapping(Matcher header, long resident, long anonymous) {
        return new Mapping(
                Long.parseUnsignedLong(header.group(1), 16),
                Long.parseUnsignedLong(header.group(2), 16),
                header.group(3),
                header.group(4).strip(),
                resident,
                anonymous);
    }

    private static long kib(String field) {
        return Long.parseLong(field.substring(field.indexOf(':') + 1).strip().split("\\s+")[0]);
    }

    /** Whether {@code mapping} is {@code archive}'s read-only region. */
    static boolean isArchiveRegion(Mapping mapping, Optional<Path> archive) {
        return archive.isPresent()
                && mapping.path().equals(archive.get().toString())
                && mapping.permissions().equals("r--p");
    }

    /**
     * Whether {@code mapping} is clean pages of a JDK file (under {@code javaHome}) or of glibc: mapped without
     * write access, none of its pages the process's own.
     */
    static boolean isCleanRuntimeFile(Mapping mapping, String javaHome) {
        return (mapping.path().startsWith(javaHome + "/") || isGlibcLibrary(mapping.path()))
                && mapping.permissions().charAt(1) != 'w'
                && mapping.anonymousKib() == 0;
    }

    /** glibc's own libraries, which the JVM's launcher and libjvm load first and which are never unloaded. */
    private static final Pattern GLIBC_LIBRARY = Pattern.compile(
            ".*/(libc\\.so\\.6|libm\\.so\\.6|libpthread\\.so\\.0|libdl\\.so\\.2|librt\\.so\\.1|ld-linux-x86-64\\.so\\.2)");

    static boolean isGlibcLibrary(String path) {
        return GLIBC_LIBRARY.matcher(path).matches();
    }

    /** Resident KiB growth of what is given back after which it is given back again: a burst of work. */
    static final long REGROWTH_KIB = 1024;

    static final Duration CHECK_INTERVAL = Duration.ofSeconds(10);

    /**
     * How long after a change of the tunnels ({@link Keeper#tunnelsChanged}) the pages are given back: the
     * classes and compilations a change brings are done by then, and a change that follows within it (a
     * script's {@code up} of several tunnels) postpones the release, so it runs once.
     */
    static final Duration SETTLE = Duration.ofSeconds(2);

    /**
     * How long the JIT compiler's threads must have used no CPU before pages are given back after a change:
     * the packet path a new tunnel's first traffic makes hot is compiled for some seconds after it (on two
     * busy CPUs, 5 to 15 s after a one-second iperf3 in bench/daemon), reading the archive's metadata and
     * running libjvm's compiler meanwhile, so pages given back before then are faulted in again at once.
     */
    static final Duration COMPILER_QUIET = Duration.ofSeconds(1);

    /** The longest wait for {@link #COMPILER_QUIET} after a change: a compiler busy for good is not waited for. */
    static final Duration COMPILER_WAIT = Duration.ofSeconds(30);

    /**
     * Keeps the pages given back: all of them once the daemon is ready ({@link #start}) and after each change
     * of its tunnels ({@link #tunnelsChanged}: an {@code up} faults in some 6 MiB of the archive, and the
     * compiler, compiling what it and the tunnel's first traffic made hot, libjvm's code given back at ready),
     * {@link #SETTLE} after the latest change and once the compiler has been quiet for {@link
     * #COMPILER_QUIET}; between changes, the
     * archive's again each time they have grown by {@link #REGROWTH_KIB} since, checked every {@link
     * #CHECK_INTERVAL}, so an idle daemon's few pages stay and it is not made to fault them in again and
     * again. The JDK's files are given back only at ready and after a change: of libjvm, what the running
     * JVM needs comes back within seconds and is then used, and given back every check it would be faulted
     * in again every check.
     *
     * <p>Before, the archive's pages an {@code up} brought were given back only at the next check, up to 10 s
     * later, and libjvm's never: the idle RSS with one tunnel depended on when it was read (bench/daemon,
     * warm: 53 to 63 MiB from run to run).
     */
    static final class Keeper {
        private final Optional<Path> archive;
        private final PrintWriter err;
        private final Releaser releaser;
        private final LongSupplier compilerTicks;
        /** Whether a change of the tunnels waits for its release. */
        private boolean changed;
        /** {@link System#nanoTime} of the latest change. */
        private long changedAt;

        /** What gives pages back: {@link MappedPages#release}, or a test's record of the calls. */
        interface Releaser {
            void release(Optional<Path> archive, boolean jdkFiles, PrintWriter err);
        }

        Keeper(Optional<Path> archive, PrintWriter err) {
            this(archive, err, MappedPages::release, MappedPages::compilerTicks);
        }

        /** With {@code compilerTicks} the compiler's CPU time so far ({@link MappedPages#compilerTicks}). */
        Keeper(Optional<Path> archive, PrintWriter err, Releaser releaser, LongSupplier compilerTicks) {
            this.archive = archive;
            this.err = err;
            this.releaser = releaser;
            this.compilerTicks = compilerTicks;
        }

        /** Gives the pages back now, then keeps them given back on a daemon thread of its own. */
        void start() {
            List<MemorySegment> regions = archiveRegions(archive);
            // The first count links mincore's downcall, which loads classes and faults in pages of the
            // archive and of libjvm: before the release, so that what it brings is given back too.
            residentKib(regions);
            releaser.release(archive, true, err);
            Thread.ofPlatform().daemon().name("mapped-pages").start(() -> keep(regions));
        }

        /**
         * A tunnel came up, was reloaded or went down: the pages it brought are given back {@link #SETTLE} later,
         * once the compiler is quiet.
         */
        synchronized void tunnelsChanged() {
            changed = true;
            changedAt = System.nanoTime();
            notifyAll();
        }

        private void keep(List<MemorySegment> regions) {
            long after = residentKib(regions);
            try {
                while (after >= 0) {
                    if (awaitSettledChange()) {
                        awaitQuietCompiler();
                        releaser.release(archive, true, err);
                    } else if (residentKib(regions) - after >= REGROWTH_KIB) {
                        releaser.release(archive, false, err);
                    }
                    after = residentKib(regions);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Waits until the compiler's threads used no CPU for {@link #COMPILER_QUIET}, at most {@link #COMPILER_WAIT}. */
        private void awaitQuietCompiler() throws InterruptedException {
            long giveUp = System.nanoTime() + COMPILER_WAIT.toNanos();
            long before = compilerTicks.getAsLong();
            while (System.nanoTime() - giveUp < 0) {
                Thread.sleep(COMPILER_QUIET);
                long now = compilerTicks.getAsLong();
                if (now == before) {
                    return;
                }
                before = now;
            }
        }

        /**
         * Waits for {@link #SETTLE} after the latest change (true) or, when no change waits, for {@link
         * #CHECK_INTERVAL} (false).
         */
        private synchronized boolean awaitSettledChange() throws InterruptedException {
            long checkAt = System.nanoTime() + CHECK_INTERVAL.toNanos();
            while (true) {
                long due = changed ? changedAt + SETTLE.toNanos() : checkAt;
                long left = due - System.nanoTime();
                if (left <= 0) {
                    boolean settled = changed;
                    changed = false;
                    return settled;
                }
                wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
    }

    /**
     * The CPU time (clock ticks) the JIT compiler's threads of this JVM have used, from /proc/self/task; -1 when
     * it cannot be read (then every reading is the same, and the compiler counts as quiet).
     */
    static long compilerTicks() {
        long ticks = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                try {
                    if (isCompilerThread(Files.readString(task.resolve("comm")).strip())) {
                        ticks += cpuTicks(Files.readString(task.resolve("stat")));
                    }
                } catch (NoSuchFileException e) {
                    // the thread ended meanwhile
                }
            }
            return ticks;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Whether a thread named {@code comm} (its first 15 bytes) is one of HotSpot's JIT compiler threads. */
    static boolean isCompilerThread(String comm) {
        return comm.startsWith("C2 CompilerThre") || comm.startsWith("C1 CompilerThre");
    }

    /** utime plus stime of a /proc/PID/task/TID/stat line: its 14th and 15th fields. */
    static long cpuTicks(String stat) {
        // The name (field 2) may hold spaces and parentheses: the fields after it start after its last ')'.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).strip().split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    private static String javaHome() {
        return Path.of(System.getProperty("java.home"))
                .toAbsolutePath()
                .normalize()
                .toString();
    }

    /**
     * The archive's read-only region in this process, read once from /proc/self/smaps: the JVM never moves or
     * unmaps it. Empty when there is none or smaps cannot be read.
     */
    @SuppressWarnings("restricted") // the region is the JVM's mapping of the archive, read from smaps
    static List<MemorySegment> archiveRegions(Optional<Path> archive) {
        try {
            return mappings(Smaps.lines()).stream()
                    .filter(mapping -> isArchiveRegion(mapping, archive))
                    .map(mapping ->
                            MemorySegment.ofAddress(mapping.start()).reinterpret(mapping.end() - mapping.start()))
                    .toList();
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    /**
     * The KiB of {@code regions} in the page cache ({@code mincore}), or -1 when unreadable: what was faulted
     * in since the last release, which pages the archive out of the cache too. Not /proc/self/smaps, read and
     * parsed at every check before (some 4,000 lines): idle with one tunnel, RSS read every second for 40 s
     * (bench/daemon, warm), the daemon's RSS rose by 5 to 14 MiB for 2 to 4 s at each check, malloc'd memory
     * the 5 s trim gave back, most likely the JIT compiling the parsing (it coincided with the compiler
     * thread's CPU time growing); counted with mincore, it rises by 4 to 5 MiB at two checks of 40 s, and the
     * RSS between checks was 47.9 to 48.5 MiB rather than 49.2 to 50.8.
     */
    static long residentKib(List<MemorySegment> regions) {
        long bytes = 0;
        for (MemorySegment region : regions) {
            try {
                bytes += Libc.residentBytes(region);
            } catch (ErrnoException e) {
                return -1;
            }
        }
        return bytes / 1024;
    }

    /**
     * Drops this process's resident pages of {@code archive}'s read-only region, and the file's from the page
     * cache, and, {@code jdkFiles}, this process's of the clean JDK file mappings; failures go to {@code err}. Evicting the
     * archive only the first time, and dropping only the mapping after, gave back 6 MiB less (bench/daemon,
     * idle with one tunnel: 62.3 MiB RSS rather than 56.4): pages come back from the cache in larger folios
     * than they left.
     */
    static void release(Optional<Path> archive, boolean jdkFiles, PrintWriter err) {
        try {
            String javaHome = javaHome();
            for (Mapping mapping : mappings(Smaps.lines())) {
                MemorySegment start = MemorySegment.ofAddress(mapping.start());
                long length = mapping.end() - mapping.start();
                if (isArchiveRegion(mapping, archive)) {
                    Libc.madvise(start, length, Libc.MADV_RANDOM);
                    // Out of the page cache too: the dump wrote the file in large folios, of which a fault
                    // maps the whole (up to 2 MiB) whatever MADV_RANDOM says; read again, a page at a time.
                    Libc.madvise(start, length, Libc.MADV_PAGEOUT);
                    Libc.madvise(start, length, Libc.MADV_DONTNEED);
                } else if (jdkFiles && mapping.residentKib() > 0 && isCleanRuntimeFile(mapping, javaHome)) {
                    Libc.madvise(start, length, Libc.MADV_DONTNEED);
                }
            }
        } catch (IOException e) { // ErrnoException too
            err.println("wg-pr daemon: the mapped files' pages stay resident: " + e.getMessage());
        }
    }
}
