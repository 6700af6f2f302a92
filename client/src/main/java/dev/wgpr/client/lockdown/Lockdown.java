package dev.wgpr.client.lockdown;

import dev.wgpr.client.daemon.Instance;
import dev.wgpr.client.dns.HostResolver;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.enforcement.cgroup.Cgroup2Mount;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * Locks the daemon down once it is set up: {@code no_new_privs}, only the capabilities it needs, a
 * filesystem view restricted with Landlock, resource limits, and not dumpable.
 *
 * <p><b>Every thread.</b> A JVM runs dozens of threads before {@code main}, and capabilities, the
 * bounding set, {@code no_new_privs} and Landlock domains all belong to one thread ({@code capset(2)}
 * and {@code landlock_restrict_self(2)} change the calling thread only; {@code
 * LANDLOCK_RESTRICT_SELF_TSYNC} arrived after Linux 6.19, not in the 6.18 kernels we run on; the
 * glibc/libpsx signal broadcast cannot reach the JVM's own threads safely). So the lockdown is
 * applied to the one thread that then calls {@code execve(2)}: exec ends every other thread, and the
 * new JVM's threads all descend from the locked one and inherit its state. The daemon thus runs
 * locked down from its first instruction; the price is a second JVM start (a fraction of a second).
 * Resource limits belong to the whole process and survive exec; dumpability is reset by exec, so
 * {@link #afterExec} clears it in the new image (it belongs to the memory map: all threads at once).
 *
 * <p><b>Children.</b> A Landlock domain is inherited by every process started from it, and nothing
 * leaves it. Apps started for {@code wg-pr run} must see the caller's whole filesystem, so they are
 * started by the launch helper ({@link dev.wgpr.client.daemon.LaunchHelper}), a process started
 * before the exec, outside the domain.
 *
 * <p><b>What is kept</b> is {@link #plan}: capabilities {@code CAP_NET_ADMIN} (rtnetlink, TUN, {@code
 * SO_MARK}, BPF cgroup attach, {@code SOCK_DESTROY}), {@code CAP_BPF} and {@code CAP_PERFMON} (loading
 * the enforcement programs and maps), {@code CAP_NET_BIND_SERVICE} (a {@code listenPort} below
 * 1024); no {@code CAP_SETUID}, {@code CAP_KILL}, {@code CAP_DAC_*}, {@code CAP_SYS_ADMIN}. Files: see
 * the rules; in short the JDK and libraries to read and execute, a handful of {@code /etc} files (no
 * {@code /etc/shadow}), configs under {@code /etc/wg-pr} and the directories given, {@code /proc},
 * parts of {@code /sys}, the cgroup2 tree to make and remove directories only, bpffs, {@code
 * /dev/net/tun}, and the instance's runtime directory to write, besides the directory of the daemon's
 * class-data archive (written by locked-down daemons, read by them alone). No TCP at all (Landlock ABI 4+).
 * Name resolution adds, only where needed: on a host with resolvconf, running it (the script, {@code
 * /usr/bin} for its shell and tools, {@code /etc/resolvconf}, {@code /run/resolvconf} to write); for a
 * managed {@code /etc/resolv.conf}, writing files in {@code /etc} (see {@link #plan(Instance, Collection,
 * Optional, boolean)}). systemd-resolved needs nothing but the machine id: the system bus is a Unix socket,
 * which Landlock leaves alone.
 */
public final class Lockdown {
    /** What the daemon writes, at most: small state files and its log. */
    static final long FILE_SIZE_LIMIT = 64L << 20;
    /** Sockets, TUN queues, BPF maps, and a few descriptors per {@code run}. */
    static final long OPEN_FILES_LIMIT = 4096;

    private static final long R = LandlockBindings.ACCESS_FS_READ_FILE | LandlockBindings.ACCESS_FS_READ_DIR;
    private static final long RX = R | LandlockBindings.ACCESS_FS_EXECUTE;
    private static final long RW_FILE = LandlockBindings.ACCESS_FS_READ_FILE | LandlockBindings.ACCESS_FS_WRITE_FILE;
    private static final long STATE = R
            | LandlockBindings.ACCESS_FS_WRITE_FILE
            | LandlockBindings.ACCESS_FS_REMOVE_DIR
            | LandlockBindings.ACCESS_FS_REMOVE_FILE
            | LandlockBindings.ACCESS_FS_MAKE_DIR
            | LandlockBindings.ACCESS_FS_MAKE_REG
            | LandlockBindings.ACCESS_FS_MAKE_SOCK
            | LandlockBindings.ACCESS_FS_MAKE_FIFO
            | LandlockBindings.ACCESS_FS_MAKE_SYM
            | LandlockBindings.ACCESS_FS_REFER
            | LandlockBindings.ACCESS_FS_TRUNCATE;

    /**
     * Files in {@code /etc} the daemon and the JVM read: users and groups, name resolution, time zone, and
     * the machine id (the D-Bus library reads it before it connects to systemd-resolved).
     */
    private static final List<String> ETC_FILES = List.of(
            "passwd",
            "group",
            "nsswitch.conf",
            "hosts",
            "host.conf",
            "resolv.conf",
            "gai.conf",
            "services",
            "protocols",
            "ld.so.cache",
            "localtime",
            "timezone",
            "machine-id");

    private Lockdown() {}

    /**
     * The lockdown of {@code instance}'s daemon. {@code configDirectories}: where it may read configs
     * and key files besides {@code /etc/wg-pr} (a Landlock rule names directories that exist when it
     * is made; see the class comment of the report for the proposal to pass configs by descriptor).
     */
    public static LockdownPlan plan(Instance instance, Collection<Path> configDirectories) throws IOException {
        return plan(instance, configDirectories, Optional.empty());
    }

    /**
     * As {@link #plan(Instance, Collection)}, and the directory of {@code classArchive} to write: the class-data
     * archive the locked-down JVM maps at start, its list of the classes a run loads, and the archive a stop
     * dumps from that list when the run had none mapped.
     */
    public static LockdownPlan plan(Instance instance, Collection<Path> configDirectories, Optional<Path> classArchive)
            throws IOException {
        return plan(instance, configDirectories, classArchive, false);
    }

    /**
     * As {@link #plan(Instance, Collection, Optional)}; with {@code writesResolvConf}, also what the managed
     * {@code /etc/resolv.conf} needs ({@code dnsResolver = "file"}, or a crashed daemon's to restore): in
     * {@code /etc}, to read, write, make and remove regular files and symlinks (a file staged next to it
     * and renamed over it). Landlock cannot name one file that does not exist yet, so this is all of {@code
     * /etc}'s files: given only to a daemon that needs it.
     */
    public static LockdownPlan plan(
            Instance instance,
            Collection<Path> configDirectories,
            Optional<Path> classArchive,
            boolean writesResolvConf)
            throws IOException {
        List<LockdownPlan.Rule> rules = new ArrayList<>();
        Path javaHome = Path.of(System.getProperty("java.home"));
        rules.add(new LockdownPlan.Rule(javaHome, RX, "the JDK (the JVM loads classes and libraries lazily)"));
        for (Path entry : classPath()) {
            rules.add(new LockdownPlan.Rule(entry, RX, "wg-pr's class path"));
        }
        for (String dir : List.of("/usr/lib", "/lib", "/lib64", "/usr/lib64", "/usr/local/lib")) {
            rules.add(new LockdownPlan.Rule(Path.of(dir), RX, "ld.so, libc, libmnl, libbpf, NSS modules"));
        }
        for (String file : ETC_FILES) {
            rules.add(new LockdownPlan.Rule(
                    Path.of("/etc", file),
                    LandlockBindings.ACCESS_FS_READ_FILE,
                    "users, groups, names, time zone, machine id"));
        }
        rules.add(new LockdownPlan.Rule(Path.of("/usr/share/zoneinfo"), R, "time zone"));
        if (HostResolver.resolvconfInstalled().isPresent()) {
            resolvconfRules(rules, HostResolver.resolvconfInstalled().get());
        }
        rules.add(new LockdownPlan.Rule(
                Path.of("/var/lib/dbus/machine-id"),
                LandlockBindings.ACCESS_FS_READ_FILE,
                "the machine id where D-Bus keeps its own (read before connecting to the system bus)"));
        if (writesResolvConf) {
            rules.add(new LockdownPlan.Rule(
                    Path.of("/etc"),
                    LandlockBindings.ACCESS_FS_READ_FILE
                            | LandlockBindings.ACCESS_FS_WRITE_FILE
                            | LandlockBindings.ACCESS_FS_TRUNCATE
                            | LandlockBindings.ACCESS_FS_MAKE_REG
                            | LandlockBindings.ACCESS_FS_MAKE_SYM
                            | LandlockBindings.ACCESS_FS_REMOVE_FILE,
                    "the managed /etc/resolv.conf: staged next to it, renamed over it, the original put back"));
        }
        rules.add(new LockdownPlan.Rule(Path.of("/etc/wg-pr"), R, "configs and key files"));
        for (Path dir : configDirectories) {
            rules.add(new LockdownPlan.Rule(dir.toAbsolutePath().normalize(), R, "configs and key files"));
        }
        rules.add(new LockdownPlan.Rule(Path.of("/proc"), R, "the JVM's /proc/self, netns and process facts"));
        rules.add(new LockdownPlan.Rule(
                Path.of("/proc/sys/net/ipv4/conf"),
                RW_FILE,
                "rp_filter: turned off on the underlay while sockets go around the tunnels, and back"));
        for (String dir : List.of(
                "/sys/devices/system/cpu",
                "/sys/devices/system/node",
                "/sys/kernel/mm/transparent_hugepage",
                "/sys/kernel/btf",
                "/sys/fs/cgroup")) {
            rules.add(new LockdownPlan.Rule(Path.of(dir), R, "CPU, memory and cgroup limits (JVM), BTF (libbpf)"));
        }
        Cgroup2Mount.find()
                .ifPresent(mount -> rules.add(new LockdownPlan.Rule(
                        mount.path(),
                        R | LandlockBindings.ACCESS_FS_MAKE_DIR | LandlockBindings.ACCESS_FS_REMOVE_DIR,
                        "app cgroups: make and remove directories only (moving processes is the launch"
                                + " helper's)")));
        rules.add(new LockdownPlan.Rule(
                Path.of("/sys/fs/bpf"),
                R
                        | LandlockBindings.ACCESS_FS_MAKE_DIR
                        | LandlockBindings.ACCESS_FS_REMOVE_DIR
                        | LandlockBindings.ACCESS_FS_MAKE_REG
                        | LandlockBindings.ACCESS_FS_REMOVE_FILE,
                "pins of the enforcement programs and maps (the pin directory comes and goes with them)"));
        rules.add(new LockdownPlan.Rule(Path.of("/dev/null"), RW_FILE, "/dev/null"));
        rules.add(new LockdownPlan.Rule(Path.of("/dev/urandom"), LandlockBindings.ACCESS_FS_READ_FILE, "randomness"));
        rules.add(new LockdownPlan.Rule(Path.of("/dev/random"), LandlockBindings.ACCESS_FS_READ_FILE, "randomness"));
        rules.add(new LockdownPlan.Rule(
                Path.of("/dev/net/tun"), RW_FILE | LandlockBindings.ACCESS_FS_IOCTL_DEV, "TUN devices (TUNSETIFF)"));
        rules.add(new LockdownPlan.Rule(instance.runtimeDirectory(), STATE, "the state directory"));
        classArchive.ifPresent(archive -> rules.add(new LockdownPlan.Rule(
                archive.getParent(),
                R
                        | LandlockBindings.ACCESS_FS_WRITE_FILE
                        | LandlockBindings.ACCESS_FS_MAKE_REG
                        | LandlockBindings.ACCESS_FS_REMOVE_FILE
                        | LandlockBindings.ACCESS_FS_TRUNCATE,
                "the class-data archive: mapped at start, its class list written as classes load, dumped from the"
                        + " list at stop when there was none (read by locked-down daemons only)")));
        rules.add(new LockdownPlan.Rule(
                instance.runtimeDirectory().getParent(),
                LandlockBindings.ACCESS_FS_REMOVE_DIR,
                "removing the emptied state directory at stop (empty directories only)"));
        rules.add(new LockdownPlan.Rule(
                UAPI_DIRECTORY,
                R
                        | LandlockBindings.ACCESS_FS_MAKE_SOCK
                        | LandlockBindings.ACCESS_FS_REMOVE_FILE
                        | LandlockBindings.ACCESS_FS_MAKE_DIR
                        | LandlockBindings.ACCESS_FS_REMOVE_DIR
                        | LandlockBindings.ACCESS_FS_REFER,
                "UAPI sockets for `wg show`: bound in a hidden staging directory, then renamed into place"));
        Set<Integer> capabilities = new java.util.TreeSet<>(
                Set.of(Capabilities.NET_ADMIN, Capabilities.NET_BIND_SERVICE, Capabilities.BPF, Capabilities.PERFMON));
        if (cgroup2RootIsReadOnlyForItsOwner()) {
            // Some hosts mount the cgroup2 root r-xr-xr-x: root makes its directories there only
            // through CAP_DAC_OVERRIDE. Landlock still confines where that override can act.
            capabilities.add(Capabilities.DAC_OVERRIDE);
        }
        return new LockdownPlan(instance.runtimeDirectory(), capabilities, rules, OPEN_FILES_LIMIT, FILE_SIZE_LIMIT);
    }

    static final Path UAPI_DIRECTORY = Path.of("/run/wireguard");

    /**
     * On a host with resolvconf (a shell script, Debian's or openresolv), what running it takes: the script,
     * the shell and tools it runs, its configuration, and its run directory to write. What it starts stays
     * in the daemon's Landlock domain and capabilities.
     */
    private static void resolvconfRules(List<LockdownPlan.Rule> rules, Path program) {
        String why = "resolvconf, told about tunnels' DNS (this host has it)";
        rules.add(new LockdownPlan.Rule(
                program, LandlockBindings.ACCESS_FS_READ_FILE | LandlockBindings.ACCESS_FS_EXECUTE, why));
        rules.add(new LockdownPlan.Rule(Path.of("/usr/bin"), RX, why + ": the shell and the tools its script runs"));
        rules.add(new LockdownPlan.Rule(
                Path.of("/etc/resolvconf"), RX, why + ": its configuration and the update scripts it runs"));
        rules.add(new LockdownPlan.Rule(Path.of("/etc/resolvconf.conf"), LandlockBindings.ACCESS_FS_READ_FILE, why));
        rules.add(new LockdownPlan.Rule(Path.of("/run/resolvconf"), STATE, why + ": its records and resolv.conf"));
    }

    /** Whether the cgroup2 root lacks the owner's write bit, so root needs CAP_DAC_OVERRIDE to make app cgroups. */
    public static boolean cgroup2RootIsReadOnlyForItsOwner() throws IOException {
        Optional<Cgroup2Mount> mount = Cgroup2Mount.find();
        return mount.isPresent()
                && !Files.getPosixFilePermissions(mount.get().path())
                        .contains(java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    }

    /**
     * Applies {@code plan} to the calling thread and the process, and execs {@code argv} (with {@code
     * environment}); descriptors {@code keep} stay open across the exec, every other one above 2 is
     * closed. Returns only by throwing: then this process is partly locked down and should exit.
     */
    public static void execLockedDown(
            LockdownPlan plan, List<String> argv, Map<String, String> environment, int... keep) throws IOException {
        // Directories the rules refer to must exist when the rules are made.
        Files.createDirectories(UAPI_DIRECTORY);
        Files.createDirectories(plan.stateDirectory());
        Files.setPosixFilePermissions(plan.stateDirectory(), PosixFilePermissions.fromString("rwxr-xr-x"));
        Libc.setrlimit(Libc.RLIMIT_CORE, 0, 0);
        Libc.setrlimit(Libc.RLIMIT_FSIZE, plan.fileSize(), plan.fileSize());
        long[] files = Libc.getrlimit(Libc.RLIMIT_NOFILE);
        long openFiles = Long.compareUnsigned(files[1], plan.openFiles()) < 0 ? files[1] : plan.openFiles();
        Libc.setrlimit(Libc.RLIMIT_NOFILE, openFiles, openFiles);
        Libc.prctl(Libc.PR_SET_NO_NEW_PRIVS, 1, "prctl PR_SET_NO_NEW_PRIVS");
        Optional<Integer> abi = Landlock.abi();
        if (abi.isPresent()) {
            Landlock.restrictThisThread(abi.get(), plan.rules());
        }
        dropCapabilities(plan.capabilities());
        ExecBindings.closeOnExecFrom(3);
        for (int fd : keep) {
            ExecBindings.keepAcrossExec(fd);
        }
        throw ExecBindings.execve(argv, environment);
    }

    /**
     * In the image {@link #execLockedDown} started: clears dumpability (exec set it again), and
     * returns what is in force.
     */
    public static LockdownState afterExec(LockdownPlan plan) throws ErrnoException {
        Libc.prctl(Libc.PR_SET_DUMPABLE, 0, "prctl PR_SET_DUMPABLE");
        return LockdownState.inspect(plan);
    }

    /**
     * This JVM's command line again, to run {@code mainClass} with {@code args}: the same java, the
     * same JVM options (from {@code /proc/self/cmdline}) plus {@code extraOptions}, the same class path.
     */
    public static List<String> sameJvm(String mainClass, List<String> extraOptions, List<String> args)
            throws IOException {
        List<String> argv = new ArrayList<>();
        argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        argv.addAll(jvmOptions(List.of(procFile("/proc/self/cmdline").split("\0")), extraOptions));
        argv.addAll(extraOptions);
        argv.add("-cp");
        argv.add(String.join(":", classPath().stream().map(Path::toString).toList()));
        argv.add(mainClass);
        argv.addAll(args);
        return argv;
    }

    /**
     * Every entry of this JVM's class path: {@code java.class.path}, and the jars the manifests of its
     * jars name ({@code Class-Path}, relative to the jar), which is how {@code java -jar wg-pr.jar}
     * finds its libraries. Landlock must allow each, and the re-executed JVM is given them all.
     */
    static List<Path> classPath() throws IOException {
        List<Path> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(":")) {
            if (entry.isEmpty()) {
                continue;
            }
            Path path = Path.of(entry).toAbsolutePath().normalize();
            entries.add(path);
            if (Files.isRegularFile(path)) {
                try (JarFile jar = new JarFile(path.toFile())) {
                    Manifest manifest = jar.getManifest();
                    String named = manifest == null
                            ? null
                            : manifest.getMainAttributes().getValue("Class-Path");
                    if (named != null) {
                        for (String relative : named.trim().split("\\s+")) {
                            Path library = path.resolveSibling(relative).normalize();
                            if (Files.exists(library)) { // a Landlock rule needs the file to exist
                                entries.add(library);
                            }
                        }
                    }
                }
            }
        }
        return entries.stream().distinct().toList();
    }

    /**
     * What the CLI's launchers add for a fast start and the daemon must not inherit: the CLI's
     * ahead-of-time cache (the daemon has its own class-data archive) and C1 alone (the daemon's data
     * path needs C2).
     */
    private static final List<String> CLI_START_UP_OPTIONS =
            List.of("-XX:AOTCache=", "-XX:TieredStopAtLevel=", "-Xlog:aot", "-Xlog:cds");

    /**
     * The JVM options of a java command line ({@code argv[0]} first): what stands before the main
     * class or {@code -jar}, without the class path, without {@code extraOptions} and without the
     * CLI's start-up options.
     */
    static List<String> jvmOptions(List<String> cmdline, List<String> extraOptions) {
        List<String> options = new ArrayList<>();
        for (int i = 1; i < cmdline.size(); i++) {
            String arg = cmdline.get(i);
            if (arg.equals("-cp") || arg.equals("-classpath") || arg.equals("--class-path")) {
                i++;
                continue;
            }
            if (!arg.startsWith("-") || arg.equals("-jar")) {
                break; // the main class, or `-jar FILE` (FILE is java.class.path, given by the caller)
            }
            if (!extraOptions.contains(arg) && CLI_START_UP_OPTIONS.stream().noneMatch(arg::startsWith)) {
                options.add(arg);
            }
        }
        return options;
    }

    /**
     * Bounding set, ambient, inheritable, permitted and effective sets down to {@code kept}, for the
     * calling thread (and so for everything it execs: as uid 0, exec gives the bounding set).
     */
    private static void dropCapabilities(Set<Integer> kept) throws IOException {
        // Files.readString reads one byte of this procfs file (its size is 0); read it as a stream.
        int last = Integer.parseInt(procFile("/proc/sys/kernel/cap_last_cap").strip());
        for (int capability = 0; capability <= last; capability++) {
            if (!kept.contains(capability)) {
                CapabilityBindings.dropFromBoundingSet(capability);
            }
        }
        CapabilityBindings.clearAmbient();
        CapabilityBindings.set(Capabilities.mask(kept));
    }

    /** A whole procfs file: read as a stream, since procfs reports size 0. */
    private static String procFile(String path) throws IOException {
        try (var in = Files.newInputStream(Path.of(path))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** For {@code status}: a rule's rights in words. */
    static List<String> accessNames(long access) {
        String[] names = {
            "execute", "write_file", "read_file", "read_dir", "remove_dir", "remove_file", "make_char", "make_dir",
            "make_reg", "make_sock", "make_fifo", "make_block", "make_sym", "refer", "truncate", "ioctl_dev"
        };
        List<String> list = new ArrayList<>();
        for (int bit = 0; bit < names.length; bit++) {
            if ((access & (1L << bit)) != 0) {
                list.add(names[bit]);
            }
        }
        return list;
    }
}
