package dev.wgpr.client.daemon;

import dev.wgpr.client.cli.Main;
import dev.wgpr.client.dns.LabCommands;
import dev.wgpr.client.tray.PrivateSessionBus;
import dev.wgpr.enforcement.Enforcer;
import dev.wgpr.enforcement.cgroup.Cgroup2Mount;
import dev.wgpr.testing.FileTrees;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * Running the real {@code wg-pr} CLI as a separate process (as root or as {@code nobody}) against a
 * unique test instance, and cleaning up everything an instance may leave.
 *
 * <p>The CLI of another user must be able to read its classes, and the test class path points into
 * root's Maven repository, which others cannot read; so the class path is copied once per JVM into a
 * world-readable temporary directory (removed when the JVM exits).
 */
final class DaemonTesting {
    static final String OUR_PRIVATE_KEY = "wI7M4flROZFaV3d9lSkM6fkGQm3mcQm8nB0Ivxb9ylc=";
    static final String PEER_KEY = "sfnQo04r2H4azGR0gkEpHTtGGYrzqtORSt41p9FMsHQ=";
    static final int NOBODY = 65534;
    static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");

    private static Path sharedClassPath;
    private static Path scratch;

    private DaemonTesting() {}

    /** A fresh instance name, {@code wg-pr-test-<hex>}. */
    static Instance uniqueInstance() {
        return new Instance("wg-pr-test-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(4)));
    }

    /** A world-readable scratch directory for configs and working directories. */
    static synchronized Path scratch() throws IOException {
        if (scratch == null) {
            scratch = Files.createTempDirectory("wgpr-daemon-test-");
            Files.setPosixFilePermissions(scratch, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path dir = scratch;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> FileTrees.delete(dir)));
        }
        return scratch;
    }

    /** Writes {@code toml} (with {@code @KEY@} placeholders filled) to a world-readable file. */
    static Path config(String fileName, String toml) throws IOException {
        Path file = scratch().resolve(fileName);
        Files.writeString(
                file,
                toml.replace("@OUR_PRIVATE_KEY@", OUR_PRIVATE_KEY).replace("@PEER_KEY@", PEER_KEY),
                StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        return file;
    }

    /** A dbus-daemon config for a system bus of a test's own on {@code socket}, open to everyone. */
    static String systemBusConfig(Path socket) {
        return PrivateSessionBus.openConfig("system", socket);
    }

    /** The outcome of one CLI run. */
    record Result(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    /** How to run the CLI: as whom, with what environment and stdin. */
    record Cli(
            Instance instance,
            int uid,
            int gid,
            Map<String, String> environment,
            String stdin,
            String netns,
            boolean ownMounts,
            Path mountNamespace,
            Path resolvConf,
            boolean runInJvm) {
        static Cli root(Instance instance) {
            return new Cli(instance, 0, 0, Map.of(), "", null, false, null, null, false);
        }

        static Cli nobody(Instance instance) {
            return new Cli(instance, NOBODY, NOBODY, Map.of(), "", null, false, null, null, false);
        }

        Cli as(int newUid, int newGid) {
            return new Cli(
                    instance,
                    newUid,
                    newGid,
                    environment,
                    stdin,
                    netns,
                    ownMounts,
                    mountNamespace,
                    resolvConf,
                    runInJvm);
        }

        Cli withEnvironment(Map<String, String> variables) {
            return new Cli(
                    instance, uid, gid, variables, stdin, netns, ownMounts, mountNamespace, resolvConf, runInJvm);
        }

        Cli withStdin(String text) {
            return new Cli(
                    instance, uid, gid, environment, text, netns, ownMounts, mountNamespace, resolvConf, runInJvm);
        }

        /**
         * The CLI (and a daemon it starts) in a mount namespace of its own where {@code file} is
         * /etc/resolv.conf, as {@code ip netns exec} shows a namespace's own resolv.conf: the machine's
         * stays as it is.
         */
        Cli withResolvConf(Path file) {
            return new Cli(instance, uid, gid, environment, stdin, netns, ownMounts, mountNamespace, file, runInJvm);
        }

        /**
         * {@code run} in the CLI's JVM, where the launchers would start run.pl: for what the JVM does alone
         * (its hand-over to its waiter), or where perl cannot take it.
         */
        Cli runInItsJvm() {
            return new Cli(instance, uid, gid, environment, stdin, netns, ownMounts, mountNamespace, resolvConf, true);
        }

        /** The CLI in a mount namespace of its own (copies of the mounts, other mount ids). */
        Cli inOwnMountNamespace() {
            return new Cli(instance, uid, gid, environment, stdin, netns, true, mountNamespace, resolvConf, runInJvm);
        }

        /**
         * The CLI (and so a daemon it starts) in network namespace {@code name}, entered with {@code
         * nsenter --net} only: unlike {@code ip netns exec} it keeps the mounts, so the cgroup2 and
         * bpffs mounts stay where they are.
         */
        Cli inNetns(String name) {
            return new Cli(
                    instance, uid, gid, environment, stdin, name, ownMounts, mountNamespace, resolvConf, runInJvm);
        }

        /** The CLI (and so a daemon it starts) in the network namespace {@code file} names (a {@code /proc/PID/ns/net}). */
        Cli inNetnsFile(Path file) {
            return new Cli(
                    instance,
                    uid,
                    gid,
                    environment,
                    stdin,
                    file.toString(),
                    ownMounts,
                    mountNamespace,
                    resolvConf,
                    runInJvm);
        }

        /**
         * The CLI (and so a daemon it starts) in the mount namespace {@code namespace} names (a {@code
         * /proc/PID/ns/mnt}), one a test made with files of its own, such as {@code /etc/resolv.conf}.
         */
        Cli inMountNamespace(Path namespace) {
            return new Cli(instance, uid, gid, environment, stdin, netns, ownMounts, namespace, resolvConf, runInJvm);
        }

        /**
         * The process of {@code wg-pr --instance I ARGS} as this CLI runs it, its standard streams left
         * as pipes.
         */
        ProcessBuilder builder(String... args) throws IOException {
            List<String> command = new ArrayList<>();
            if (netns != null || mountNamespace != null) {
                command.add("nsenter");
                if (netns != null) {
                    command.add("--net=" + (netns.startsWith("/") ? netns : "/run/netns/" + netns));
                }
                if (mountNamespace != null) {
                    command.add("--mount=" + mountNamespace);
                }
                command.add("--");
            }
            if (ownMounts) {
                command.addAll(List.of("unshare", "--mount", "--propagation", "private", "--"));
            }
            if (resolvConf != null) {
                command.addAll(LabCommands.withResolvConf(resolvConf, List.of()));
            }
            if (uid != 0) {
                command.addAll(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--"));
            }
            List<String> cliArgs = new ArrayList<>(List.of("--instance", instance.name()));
            cliArgs.addAll(List.of(args));
            command.addAll(runInJvm ? jvmCommand(Main.class, cliArgs) : javaCommand(Main.class, cliArgs));
            ProcessBuilder builder =
                    new ProcessBuilder(command).directory(scratch().toFile());
            // The daemons of the tests share a class-data archive of their own, not the machine's.
            builder.environment()
                    .put(
                            "WG_PR_DAEMON_CLASS_ARCHIVE",
                            scratch().resolve("cds").resolve("daemon.jsa").toString());
            builder.environment().putAll(environment);
            return builder;
        }

        /** Starts {@code wg-pr --instance I ARGS}; stdout and stderr go to files read by {@link #finish}. */
        Process start(String... args) throws IOException {
            return start(builder(args));
        }

        /**
         * Starts {@code wg-pr --instance I ARGS} under {@code wrapper} (a command that runs the rest of its
         * arguments, such as strace); as {@link #start}.
         */
        Process startUnder(List<String> wrapper, String... args) throws IOException {
            ProcessBuilder builder = builder(args);
            builder.command().addAll(0, wrapper);
            return start(builder);
        }

        private Process start(ProcessBuilder builder) throws IOException {
            Path out = Files.createTempFile(scratch(), "out-", ".txt");
            Path err = Files.createTempFile(scratch(), "err-", ".txt");
            Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rw-rw-rw-"));
            Files.setPosixFilePermissions(err, PosixFilePermissions.fromString("rw-rw-rw-"));
            builder.redirectOutput(out.toFile()).redirectError(err.toFile());
            Process process = builder.start();
            process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().close();
            outputs.put(process.pid(), new Path[] {out, err});
            return process;
        }

        Result run(String... args) throws IOException, InterruptedException {
            return finish(start(args));
        }
    }

    private static final Map<Long, Path[]> outputs = new ConcurrentHashMap<>();

    /**
     * How long one CLI call may take: a minute, or {@code -Dwgpr.lab.cliSeconds=N} where every JVM starts
     * many times slower (the VM tier's emulated CPU).
     */
    private static final long CLI_SECONDS = Long.getLong("wgpr.lab.cliSeconds", 60);

    /** Waits (at most {@link #CLI_SECONDS}) for a process from {@link Cli#start} and collects its output. */
    static Result finish(Process process) throws IOException, InterruptedException {
        if (!process.waitFor(CLI_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the CLI did not finish within " + CLI_SECONDS + " s");
        }
        Path[] files = outputs.remove(process.pid());
        return new Result(
                process.exitValue(),
                Files.readString(files[0], StandardCharsets.UTF_8),
                Files.readString(files[1], StandardCharsets.UTF_8));
    }

    /** What the CLI process currently has on stdout. */
    static String outputSoFar(Process process) throws IOException {
        return Files.readString(outputs.get(process.pid())[0], StandardCharsets.UTF_8);
    }

    /** A condition whose look may fail. */
    @FunctionalInterface
    interface Condition {
        boolean holds() throws Exception;
    }

    /** Waits, as long as a CLI's start may take, until {@code condition} holds. */
    static void await(String what, Condition condition) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(CLI_SECONDS).toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited in vain for " + what);
            }
            Thread.sleep(5);
        }
    }

    static void awaitOutput(Process process, String expected, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!outputSoFar(process).contains(expected)) {
            if (System.nanoTime() > deadline || !process.isAlive()) {
                throw new AssertionError("no '" + expected + "' on stdout, got: " + outputSoFar(process));
            }
            Thread.sleep(20);
        }
    }

    /**
     * Waits, as long as a CLI call may take, until a process from {@link Cli#start} has said {@code expected} on
     * stderr; fails if it ends first.
     */
    static void awaitErrorOutput(Process process, String expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CLI_SECONDS);
        Path err = outputs.get(process.pid())[1];
        while (!Files.readString(err, StandardCharsets.UTF_8).contains(expected)) {
            if (System.nanoTime() > deadline || !process.isAlive()) {
                throw new AssertionError("no '" + expected + "' on stderr, got: " + Files.readString(err));
            }
            Thread.sleep(20);
        }
    }

    /** The pid of the instance's daemon, from its pid file, or -1. */
    static long daemonPid(Instance instance) {
        try {
            return Long.parseLong(Files.readString(instance.pidFile()).strip());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Removes all an instance may have left: its daemon (SIGTERM by pid, then SIGKILL), runtime
     * directory, pinned BPF objects and cgroup subtree. Safe to call when nothing is left.
     */
    static void cleanUp(Instance instance) throws Exception {
        long pid = daemonPid(instance);
        if (pid > 0) {
            ProcessHandle.of(pid).ifPresent(daemon -> {
                daemon.destroy(); // the orderly stop: every tunnel down, the class-data archive written
                try {
                    daemon.onExit().get(CLI_SECONDS, TimeUnit.SECONDS);
                } catch (Exception e) {
                    daemon.destroyForcibly();
                    daemon.onExit().join();
                }
            });
        }
        FileTrees.delete(instance.runtimeDirectory());
        Path subtree = instance.cgroupSubtree(cgroup2());
        String leftApps = killLeftoverApps(subtree);
        Enforcer.removePinned(new Enforcer.Config(instance.name(), cgroup2(), cgroup2(), Path.of("/sys/fs/bpf"), 1));
        if (Files.isDirectory(subtree)) {
            try (Stream<Path> apps = Files.list(subtree)) {
                for (Path app : apps.filter(Files::isDirectory).toList()) {
                    Files.deleteIfExists(app);
                }
            }
            Files.deleteIfExists(subtree);
        }
        if (!DaemonLeaf.removeOnceEmpty(cgroup2(), instance, Duration.ofSeconds(CLI_SECONDS))) {
            throw new AssertionError("the daemon's cgroup leaf kept a process: "
                    + processesIn(DaemonLeaf.nonSystemdLeaf(cgroup2(), instance)));
        }
        if (!leftApps.isEmpty()) {
            throw new AssertionError("the test left app processes running (killed): " + leftApps);
        }
    }

    /**
     * Kills the processes left in the instance's app cgroups, which a test started through the daemon (apps
     * outlive the daemon by design) and a failed assertion left running, and waits until they are gone, so
     * that the cgroups can be removed. Returns what was left, empty when nothing was.
     */
    private static String killLeftoverApps(Path subtree) throws IOException, InterruptedException {
        Path events = subtree.resolve("cgroup.events");
        if (!Files.exists(events) || !Files.readAllLines(events).contains("populated 1")) {
            return "";
        }
        StringBuilder left = new StringBuilder();
        try (Stream<Path> cgroups = Files.walk(subtree)) {
            for (Path cgroup : cgroups.filter(Files::isDirectory).toList()) {
                String processes = processesIn(cgroup);
                if (!processes.isEmpty()) {
                    left.append(subtree.relativize(cgroup)).append(": ").append(processes);
                }
            }
        }
        Files.writeString(subtree.resolve("cgroup.kill"), "1");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CLI_SECONDS);
        while (Files.readAllLines(events).contains("populated 1")) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("app processes outlived cgroup.kill: " + left);
            }
            Thread.sleep(50);
        }
        return left.toString();
    }

    /** The processes of {@code cgroup} itself: "PID COMMAND LINE; " each. */
    private static String processesIn(Path cgroup) throws IOException {
        StringBuilder processes = new StringBuilder();
        for (String process : Files.readAllLines(cgroup.resolve("cgroup.procs"))) {
            processes
                    .append(process)
                    .append(' ')
                    .append(ProcessHandle.of(Long.parseLong(process))
                            .flatMap(handle -> handle.info().commandLine())
                            .orElse("?"))
                    .append("; ");
        }
        return processes.toString();
    }

    static Path cgroup2() throws IOException {
        return Cgroup2Mount.find().orElseThrow().path();
    }

    /**
     * The command that runs {@code main} with {@code args} on this build's classes, as the launchers run the
     * CLI: {@code run} with the signals it forwards blocked from the start, and {@code -Xrs} (./wg-pr says
     * why).
     */
    static List<String> javaCommand(Class<?> main, List<String> args) throws IOException {
        List<String> command = jvmCommand(main, args);
        if (isRun(main, args) && System.getProperty("os.arch").equals("amd64")) {
            // As the launchers on x86-64: run.pl in the JVM's place, the JVM's command its fallback.
            int jvmWords = command.size() - BLOCKING_THE_FORWARDED_SIGNALS.size() - args.size();
            command.addAll(
                    BLOCKING_THE_FORWARDED_SIGNALS.size(),
                    List.of(
                            "PERL_BADLANG=0",
                            "/usr/bin/perl",
                            "-w",
                            cliScript("run.pl").toString(),
                            cliScript("waiter.pl").toString(),
                            Integer.toString(jvmWords)));
        }
        return command;
    }

    /** As {@link #javaCommand}, {@code run} too in the JVM, as the launchers run it where perl does not take it. */
    static List<String> jvmCommand(Class<?> main, List<String> args) throws IOException {
        boolean run = isRun(main, args);
        List<String> command = new ArrayList<>();
        if (run) {
            command.addAll(BLOCKING_THE_FORWARDED_SIGNALS);
        }
        command.addAll(List.of(
                JAVA.toString(), "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
        if (run) {
            command.add("-Xrs");
        }
        command.addAll(List.of("-cp", classPath(), main.getName()));
        command.addAll(args);
        return command;
    }

    private static final List<String> BLOCKING_THE_FORWARDED_SIGNALS = List.of("env", "--block-signal=HUP,INT,TERM");

    private static boolean isRun(Class<?> main, List<String> args) {
        return main == Main.class && command(args).equals("run");
    }

    /** The CLI's perl script {@code name}, copied beside {@link #classPath} where every user can read it. */
    static synchronized Path cliScript(String name) throws IOException {
        classPath();
        Path copy = sharedClassPath.resolve(name);
        if (!Files.exists(copy)) {
            try (var in = Main.class.getResourceAsStream(name)) {
                if (in == null) {
                    throw new IOException("no resource " + name + " beside " + Main.class);
                }
                Files.copy(in, copy);
            }
            Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
        }
        return copy;
    }

    /** The command of a CLI's {@code args}: the first that is no --instance option or its value. */
    private static String command(List<String> args) {
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).equals("--instance")) {
                i++;
            } else if (!args.get(i).startsWith("--instance=")) {
                return args.get(i);
            }
        }
        return "";
    }

    /**
     * The class path of this JVM, copied where every user can read it, each directory as a jar: the CLI and
     * daemon run from jars as an installed wg-pr does (the daemon's class-data archive takes classes from
     * jars only).
     */
    static synchronized String classPath() throws IOException {
        if (sharedClassPath == null) {
            Path target = scratch().resolve("classpath");
            Files.createDirectories(target);
            List<String> entries = new ArrayList<>();
            int n = 0;
            for (String entry : System.getProperty("java.class.path").split(":")) {
                Path source = Path.of(entry);
                if (!Files.exists(source)) {
                    continue;
                }
                Path copy = target.resolve(n++ + ".jar");
                if (Files.isDirectory(source)) {
                    jar(source, copy);
                } else {
                    copyTree(source, copy);
                }
                entries.add(copy.toString());
            }
            sharedClassPath = target;
            sharedClassPathString = String.join(":", entries);
        }
        return sharedClassPathString;
    }

    private static String sharedClassPathString;

    private static void jar(Path directory, Path jar) throws IOException {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
                Stream<Path> files = Files.walk(directory)) {
            for (Path file : files.sorted().toList()) {
                String name = directory.relativize(file).toString().replace('\\', '/');
                if (name.isEmpty()) {
                    continue;
                }
                boolean isDirectory = Files.isDirectory(file);
                out.putNextEntry(new JarEntry(isDirectory ? name + "/" : name));
                if (!isDirectory) {
                    Files.copy(file, out);
                }
                out.closeEntry();
            }
        }
        Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
    }

    private static void copyTree(Path source, Path target) throws IOException {
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Path to = target.resolve(source.relativize(dir).toString());
                Files.createDirectories(to);
                Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rwxr-xr-x"));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Path to = source.equals(file)
                        ? target
                        : target.resolve(source.relativize(file).toString());
                Files.copy(file, to);
                Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rw-r--r--"));
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
