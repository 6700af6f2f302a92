package dev.wgpr.client.daemon;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.wgpr.client.config.AppConfig;
import dev.wgpr.client.control.PeerCredentials;
import dev.wgpr.client.trace.TraceStep;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.OwnedFd;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Starts an app for {@code wg-pr run}: as the caller, in the app's cgroup from its first instruction,
 * only the app's binary, with a clean environment and the caller's stdio.
 *
 * <p>The command is never a path here. {@code wg-pr run} found and opened it in the caller's process,
 * with the caller's rights and {@code O_NOCTTY|O_NONBLOCK}, and sent the descriptor with the stdio
 * ({@code SCM_RIGHTS}). So root never opens, hashes or describes a file the caller could not open
 * itself (a path swapped for a terminal or a FIFO cannot become anyone's controlling terminal or block
 * a launch), and the {@code exec} and {@code sha256} checks look at exactly the file that runs: its
 * device and inode (not its path, which a caller's own mount namespace can fake), its bytes through
 * the descriptor ({@code pread} from offset 0, whatever offset the caller leaves it at), and its exec
 * from descriptor 3. (A writer of the file itself could still change its bytes between the digest and
 * the exec; binaries an app names are expected to be root-owned, as under {@code /usr/bin}.)
 *
 * <p>How, and why this way. The JVM cannot {@code fork()} (other threads, its own state), and clone3
 * with {@code CLONE_INTO_CGROUP} needs a fork-like path in native code we do not have; glibc's
 * {@code posix_spawnattr_setcgroup_np} arrived only in 2.41 (Debian 12 has 2.36). So the daemon
 * {@code posix_spawn}s (via FFM) a tiny root step, {@code /bin/sh} with an empty environment, whose
 * file actions already put the caller's descriptors at 0, 1, 2, its command at 3 and the launch's setup
 * at 4 and close everything else; in a new session, with default signal dispositions and an empty signal mask. The
 * step writes its own pid into the app's {@code cgroup.procs} and only then {@code exec}s:
 *
 * <pre>
 * setpriv --reuid=U --regid=G --groups=… --no-new-privs --inh-caps=-all --
 *   perl -e SETUP EXEC_COMMAND -- ARGV0 ARGS…
 * </pre>
 *
 * Every exec keeps the pid, so the command is in the cgroup before it runs one instruction, and its
 * descendants are born there. {@code setpriv} (util-linux) drops to the caller's uid, gid and exactly
 * the supplementary groups the kernel reported for the caller's socket ({@code SO_PEERGROUPS}), sets
 * {@code no_new_privs} (no set-uid binary can lift it back); {@link #SETUP} takes the working directory and
 * the environment from descriptor 4, changes directory with the caller's permissions, not root's, and
 * leaves only the caller's variables that {@link CleanEnvironment} passes (all but its deny-list; {@code
 * PATH} is the system's); {@link #EXEC_COMMAND} runs the command with its own {@code argv[0]} and without
 * descriptors 3 and 4.
 *
 * <p>The environment travels in a file in memory, never in an argument: every user may read every
 * process's arguments ({@code /proc/PID/cmdline}), and a caller's variables hold secrets (tokens, keys),
 * which the steps that run as root, or before the program's own exec, would otherwise show to all. It
 * reaches no step that runs as root either: they start with an empty environment, so no variable of the
 * caller's can change how a root program behaves.
 */
final class Launcher {
    static final Path SH = Path.of("/bin/sh");
    static final Path SETPRIV = Path.of("/usr/bin/setpriv");
    static final Path PERL = Path.of("/usr/bin/perl");

    /** The variable that carries {@link #namedPath} to {@link #EXEC_COMMAND}, which removes it. */
    static final String NAMED_PATH = "WGPR_EXEC_PATH";

    /** Where the caller's opened command is among the descriptors of a request, and in the child. */
    static final int COMMAND_FD = 3;

    /**
     * The first step as the caller: reads descriptor 4, a file in memory of NUL-ended entries (the working
     * directory, then {@code NAME=VALUE} for each variable), closes it, takes the variables as its whole
     * environment and changes into the directory.
     */
    static final String SETUP = """
            open(my $setup, "<&=", 4) or exit 126;
            my ($cwd, @variables) = do { local $/ = "\\0"; map { chomp; $_ } <$setup> };
            close($setup);
            defined $cwd or exit 126;
            %ENV = map { split(/=/, $_, 2) } @variables;
            chdir($cwd) or do { print STDERR "wg-pr run: cannot change directory to $cwd: $!\n"; exit 126 };
            """;

    /** x86-64 Linux, where {@code execveat} is system call 322 (before {@link #EXEC_COMMAND}, made with it). */
    private static final boolean X86_64 = System.getProperty("os.arch").equals("amd64");

    /**
     * The last step, as the caller: marks descriptor 3 close-on-exec, so the app starts with none but
     * its stdio, and execs the command it holds with the caller's {@code argv[0]}. A script keeps it:
     * its interpreter reads the script through {@code /dev/fd/3}. The exec is {@code execveat(3, "",
     * AT_EMPTY_PATH)} where the number is known (x86-64), so that the kernel (6.14 and later) names the
     * process after its file ({@code comm}, what {@code ps} shows), not "3"; else, or if it fails, an
     * exec of {@code /proc/self/fd/3} (perl ignores SIGFPE while it runs, and only its own exec puts
     * it back: so does the script before execveat). Perl because no shell can mark a descriptor close-on-exec or call
     * execveat (perl-base is Essential on Debian); it starts with an empty environment, so no locale of the
     * caller's makes it warn. It loads no module (Config and Fcntl cost the app's
     * start 8 ms): {@code fcntl}'s numbers are the same on every Linux, and whether {@code execveat} has
     * number 322 is this JVM's to know.
     *
     * <p>A terminal on stdin becomes the app's controlling terminal ({@code TIOCSCTTY}, without stealing):
     * the one {@code wg-pr run} made for the app (so that its keys signal the app and its job control
     * works), never the caller's own, which is already another session's and stays as it was.
     *
     * <p>First, though, when the launcher found a path that names the command and that only root can
     * make name anything else ({@link #NAMED_PATH}, see {@link #namedPath}), the command is executed by
     * that path, once its device and inode are still the descriptor's: the process then has its
     * program's name ({@code comm}) on every kernel, where {@code execveat} gives "3" before 6.14.
     */
    static final String EXEC_COMMAND = """
            ioctl(STDIN, 0x540E, 0) if -t STDIN;
            my $path = delete $ENV{WGPR_EXEC_PATH};
            my ($F_SETFD, $FD_CLOEXEC) = (2, 1);
            open(my $command, "<&=", 3) or exit 126;
            if (defined $path) {
                my @named = stat($path);
                my @opened = stat($command);
                if (@named && @opened && $named[0] == $opened[0] && $named[1] == $opened[1]) {
                    fcntl($command, $F_SETFD, $FD_CLOEXEC) or exit 126;
                    $SIG{FPE} = "DEFAULT";
                    exec { $path } @ARGV;
                }
            }
            my $magic = "";
            sysseek($command, 0, 0);
            sysread($command, $magic, 2);
            fcntl($command, $F_SETFD, $magic eq "#!" ? 0 : $FD_CLOEXEC) or exit 126;
            """ + (X86_64 ? """
                    my @env = map { "$_=$ENV{$_}" } sort keys %ENV;
                    my $empty = "";
                    my $argv = pack("p" x (@ARGV + 1), @ARGV, undef);
                    my $envp = pack("p" x (@env + 1), @env, undef);
                    $SIG{FPE} = "DEFAULT";
                    syscall(322, 3, $empty, $argv, $envp, 0x1000);
                    """ : "") + """
            exec { "/proc/self/fd/3" } @ARGV;
            print STDERR "wg-pr run: cannot execute $ARGV[0]: $!\n";
            exit 126;
            """;

    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;

    private static final String NOT_RUNNABLE =
            ": not a regular file opened for reading that you may execute; refusing to start it";

    private Launcher() {}

    /** What the caller asked for. */
    record Request(List<String> argv, Path cwd, Map<String, String> environment, boolean traced) {
        Request(List<String> argv, Path cwd, Map<String, String> environment) {
            this(argv, cwd, environment, false);
        }

        Request {
            argv = List.copyOf(argv);
            environment = Map.copyOf(environment);
            if (argv.isEmpty()) {
                throw new IllegalArgumentException("no command");
            }
            if (!cwd.isAbsolute()) {
                throw new IllegalArgumentException("the working directory must be absolute");
            }
        }
    }

    /**
     * A command that passed every check of a launch ({@link #verified}): the caller, what it asked
     * for, and its stdin, stdout, stderr and opened command, which stay open here (whoever made this
     * closes them).
     */
    record Verified(PeerCredentials caller, Request request, List<OwnedFd> fds) {
        Verified {
            fds = List.copyOf(fds);
            if (fds.size() != COMMAND_FD + 1) {
                throw new IllegalArgumentException(
                        "expected stdin, stdout, stderr and the opened command, got " + fds.size() + " descriptors");
            }
        }

        /** The descriptor that will be executed. */
        OwnedFd command() {
            return fds.get(COMMAND_FD);
        }

        /** The program's name as the caller gave it, {@code argv[0]}. */
        String name() {
            return request.argv().getFirst();
        }
    }

    /**
     * Where an app runs: its cgroup, and the resolver view of its tunnel (a resolv.conf naming the
     * tunnel's DNS forwarder for apps), when the tunnel has DNS.
     */
    record Placement(Path cgroup, Optional<Path> resolverView) {
        Placement {
            Objects.requireNonNull(cgroup, "cgroup");
            Objects.requireNonNull(resolverView, "resolverView");
        }
    }

    /**
     * The resolver view, as root in the app's own mount namespace (made by {@code unshare --mount},
     * every mount a slave of the host's, so nothing done here reaches the host and the host's later
     * mounts still reach the app): {@code $0} over /etc/resolv.conf, and the local sockets through which
     * glibc would ask systemd-resolved (nss-resolve) or nscd instead, covered with /dev/null so that
     * connecting to them fails and glibc falls back to nss-dns, which reads that resolv.conf. Programs
     * with their own DNS client read the same file. Nothing from the caller is part of the script.
     */
    static final String RESOLVER_VIEW = "mount --bind \"$0\" /etc/resolv.conf || exit 126; "
            + "for s in /run/systemd/resolve/io.systemd.Resolve /run/nscd/socket; do "
            + "if [ -e \"$s\" ]; then mount --bind /dev/null \"$s\" || exit 126; fi; done; exec \"$@\"";

    static final Path UNSHARE = Path.of("/usr/bin/unshare");

    /** Starts a verified command where {@code place} says, as its caller, with a clean environment. */
    static LaunchedProcess launch(Verified command, Placement place) throws LaunchRefusedException, IOException {
        Map<String, String> environment =
                new TreeMap<>(CleanEnvironment.of(command.request().environment()));
        namedPath(command.command(), command.name()).ifPresent(path -> environment.put(NAMED_PATH, path.toString()));
        List<String> argv = helperArgv(place, command.caller(), command.request());
        try (OwnedFd setup = new OwnedFd(
                Libc.memfdHolding("wg-pr run setup", setup(command.request().cwd(), environment)), "run setup")) {
            int[] fds = IntStream.concat(command.fds().stream().mapToInt(OwnedFd::fd), IntStream.of(setup.fd()))
                    .toArray();
            return new ChildProcess(spawn(argv, fds));
        }
    }

    /**
     * What {@link #SETUP} reads: {@code cwd}, then each variable, each ended by a NUL (neither a path nor a
     * variable {@link CleanEnvironment} passes holds one).
     */
    static byte[] setup(Path cwd, Map<String, String> environment) {
        StringBuilder entries = new StringBuilder(cwd.toString()).append('\0');
        environment.forEach(
                (name, value) -> entries.append(name).append('=').append(value).append('\0'));
        return entries.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Checks the caller's opened command against {@code app}: the caller may run it; it is the app's
     * {@code exec} with its {@code sha256}; its arguments match the app's {@code args}. {@code fds} are
     * the caller's stdin, stdout, stderr and command, as {@code wg-pr run} sent them.
     */
    static Verified verified(AppConfig app, PeerCredentials caller, Request request, List<OwnedFd> fds)
            throws LaunchRefusedException, IOException {
        if (fds.size() != COMMAND_FD + 1) {
            throw new LaunchRefusedException(
                    "expected stdin, stdout, stderr and the opened command, got " + fds.size() + " descriptors", 126);
        }
        String name = request.argv().getFirst();
        OwnedFd command = fds.get(COMMAND_FD);
        runnable(command, caller, name);
        check(app, command, name);
        List<String> arguments = request.argv().subList(1, request.argv().size());
        if (!app.argumentsAllowed(arguments)) {
            throw new LaunchRefusedException(
                    "app " + app.name() + " may be started only with arguments that match its args pattern "
                            + app.args().orElseThrow() + "; refusing to start " + name + " with "
                            + arguments.stream()
                                    .filter(argument -> !app.argumentsAllowed(List.of(argument)))
                                    .findFirst()
                                    .orElseThrow(),
                    126);
        }
        return new Verified(caller, request, fds);
    }

    /**
     * A path that names the open {@code command} and that only root can make name another file: the
     * caller's {@code argv[0]} as the system's {@code PATH} finds it, else the path the kernel knows the
     * file by; every directory on the way, and on the way to where its symbolic links lead, owned by
     * root and writable by root only. Empty when there is none (a file under {@code /tmp} or a home
     * directory): the command is then executed through its descriptor.
     */
    static Optional<Path> namedPath(OwnedFd command, String argv0) {
        List<Path> candidates = new ArrayList<>();
        if (argv0.startsWith("/")) {
            candidates.add(Path.of(argv0));
        } else if (!argv0.contains("/") && !argv0.isEmpty()) {
            for (String dir : CleanEnvironment.SAFE_PATH.split(":")) {
                candidates.add(Path.of(dir, argv0));
            }
        }
        try {
            candidates.add(Files.readSymbolicLink(opened(command)));
        } catch (IOException e) {
            // no path at all (a memfd): only the descriptor
        }
        for (Path candidate : candidates) {
            try {
                if (candidate.isAbsolute()
                        && Files.isSameFile(candidate, opened(command))
                        && onlyRootCanChange(candidate)
                        && onlyRootCanChange(candidate.toRealPath())) {
                    return Optional.of(candidate);
                }
            } catch (IOException e) {
                // not this one
            }
        }
        return Optional.empty();
    }

    /** Whether every directory above {@code path} is root's and writable by root only (links: root's). */
    private static boolean onlyRootCanChange(Path path) throws IOException {
        for (Path dir = path.getParent(); dir != null; dir = dir.getParent()) {
            Map<String, Object> stat = Files.readAttributes(dir, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS);
            boolean link = Files.isSymbolicLink(dir);
            if ((Integer) stat.get("uid") != 0 || (!link && ((Integer) stat.get("mode") & 0022) != 0)) {
                return false;
            }
        }
        Map<String, Object> own = Files.readAttributes(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        return (Integer) own.get("uid") == 0;
    }

    /**
     * Refuses the caller's opened command unless the caller may run it: opened for reading (not
     * {@code O_PATH}, which needs no read permission, so the digest is never of a file the caller
     * cannot read), a regular file, executable for the caller. One message for every failure: it tells
     * nothing about the file.
     */
    private static void runnable(OwnedFd command, PeerCredentials caller, String name)
            throws IOException, LaunchRefusedException {
        int flags = Libc.statusFlags(command.fd());
        if ((flags & Libc.O_ACCMODE) != Libc.O_RDONLY || (flags & Libc.O_PATH) != 0) {
            throw new LaunchRefusedException(name + NOT_RUNNABLE, 126);
        }
        Map<String, Object> stat = Files.readAttributes(opened(command), "unix:mode,uid,gid");
        int mode = (Integer) stat.get("mode");
        if ((mode & S_IFMT) != S_IFREG
                || !executable(mode, (Integer) stat.get("uid"), (Integer) stat.get("gid"), caller)) {
            throw new LaunchRefusedException(name + NOT_RUNNABLE, 126);
        }
    }

    /** The open file itself: {@code stat} and {@code exec} of this path reach it, whatever its name. */
    private static Path opened(OwnedFd command) {
        return Path.of("/proc/self/fd/" + command.fd());
    }

    /** As the kernel decides for a non-root caller: owner bits, else group bits, else the others'. */
    private static boolean executable(int mode, int uid, int gid, PeerCredentials caller) {
        if (caller.isRoot()) {
            return (mode & 0111) != 0;
        }
        if (uid == caller.uid()) {
            return (mode & 0100) != 0;
        }
        if (caller.inGroup(gid)) {
            return (mode & 0010) != 0;
        }
        return (mode & 0001) != 0;
    }

    /**
     * The app's {@code exec} and {@code sha256} against the opened file. The exec is compared as a file
     * (device and inode), never by the opened file's path: a caller in a mount namespace of its own (an
     * unprivileged user namespace suffices) can mount any binary where the exec's path shows.
     */
    private static void check(AppConfig app, OwnedFd command, String name)
            throws ErrnoException, LaunchRefusedException {
        if (app.exec().isPresent()) {
            boolean same;
            try {
                same = Files.isSameFile(opened(command), app.exec().get());
            } catch (IOException e) {
                throw new LaunchRefusedException(
                        "app " + app.name() + ": its exec " + app.exec().get() + " does not exist", 126);
            }
            if (!same) {
                throw new LaunchRefusedException(
                        name + " is not app " + app.name() + "'s exec "
                                + app.exec().get() + "; refusing to start it as " + app.name(),
                        126);
            }
        }
        if (app.sha256().isPresent()) {
            // A digest of a file the caller opened for reading itself: nothing it could not compute.
            String actual = sha256(command);
            if (!actual.equals(app.sha256().get())) {
                throw new LaunchRefusedException(
                        name + " has sha256 " + actual + ", not app " + app.name() + "'s "
                                + app.sha256().get() + "; refusing to start it",
                        126);
            }
        }
    }

    /** The digest of the whole open file, read through the descriptor that will be executed. */
    private static String sha256(OwnedFd command) throws ErrnoException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(1 << 16);
            long offset = 0;
            while (true) {
                long n = Libc.pread(command.fd(), buffer, offset);
                if (n == 0) {
                    return HexFormat.of().formatHex(digest.digest());
                }
                digest.update(buffer.asSlice(0, n).toArray(JAVA_BYTE));
                offset += n;
            }
        }
    }

    /** The first {@code length} bytes of the open file (fewer when it is shorter), whatever its offset. */
    static byte[] read(OwnedFd file, int length) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(length);
            long n = Libc.pread(file.fd(), buffer, 0);
            return buffer.asSlice(0, n).toArray(JAVA_BYTE);
        }
    }

    /** The argument vector of the root step (see the class comment). */
    static List<String> helperArgv(Placement place, PeerCredentials caller, Request request) {
        List<String> argv = new ArrayList<>();
        argv.add(SH.toString());
        argv.add("-c");
        // $0 is the cgroup.procs file; nothing from the caller is ever part of the script text.
        argv.add("echo $$ > \"$0\" || exit 126; exec \"$@\"");
        argv.add(place.cgroup().resolve("cgroup.procs").toString());
        if (place.resolverView().isPresent()) {
            argv.addAll(List.of(UNSHARE.toString(), "--mount", "--propagation", "slave", "--"));
            argv.addAll(List.of(
                    SH.toString(),
                    "-c",
                    RESOLVER_VIEW,
                    place.resolverView().get().toString()));
        }
        argv.add(SETPRIV.toString());
        argv.add("--reuid=" + Integer.toUnsignedString(caller.uid()));
        argv.add("--regid=" + Integer.toUnsignedString(caller.gid()));
        int[] groups = caller.groups();
        if (groups.length == 0) {
            argv.add("--clear-groups");
        } else {
            argv.add("--groups="
                    + Arrays.stream(groups).mapToObj(Integer::toUnsignedString).collect(Collectors.joining(",")));
        }
        argv.add("--no-new-privs");
        argv.add("--inh-caps=-all");
        argv.add("--");
        argv.add(PERL.toString());
        argv.add("-e");
        // wg-pr trace --app: the filter after the setup, then the command as always (TraceStep).
        argv.add(SETUP + (request.traced() ? TraceStep.INSTALL : "") + EXEC_COMMAND);
        argv.add("--"); // the caller's argv[0] is never a switch of perl's
        if (request.traced()) {
            argv.add(TraceStep.filterArgument()); // what INSTALL takes from the front of @ARGV
        }
        argv.addAll(request.argv());
        return argv;
    }

    /**
     * posix_spawn of {@code argv} with an empty environment, {@code fds[0..2]} as stdio and each further
     * one at its index, nothing else open, a new session, signals at their defaults.
     */
    static int spawn(List<String> argv, int[] fds) throws ErrnoException {
        for (String arg : argv) {
            if (arg.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("an argument holds a NUL byte");
            }
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment actions = arena.allocate(SpawnBindings.FILE_ACTIONS_SIZE, 16);
            MemorySegment attributes = arena.allocate(SpawnBindings.ATTRIBUTES_SIZE, 16);
            spawnCheck(SpawnBindings.FILE_ACTIONS_INIT.call(actions), "file_actions_init");
            spawnCheck(SpawnBindings.ATTRIBUTES_INIT.call(attributes), "spawnattr_init");
            try {
                for (int target = 0; target < fds.length; target++) {
                    spawnCheck(SpawnBindings.ADD_DUP2.call(actions, fds[target], target), "adddup2");
                }
                spawnCheck(SpawnBindings.ADD_CLOSE_FROM.call(actions, fds.length), "addclosefrom_np");
                MemorySegment empty = arena.allocate(SpawnBindings.SIGSET_SIZE, 8);
                MemorySegment all = arena.allocate(SpawnBindings.SIGSET_SIZE, 8);
                spawnCheck(SpawnBindings.SIG_EMPTY_SET.call(empty), "sigemptyset");
                spawnCheck(SpawnBindings.SIG_FILL_SET.call(all), "sigfillset");
                spawnCheck(SpawnBindings.SET_SIGMASK.call(attributes, empty), "setsigmask");
                spawnCheck(SpawnBindings.SET_SIGDEFAULT.call(attributes, all), "setsigdefault");
                short flags = (short) (SpawnBindings.SETSIGMASK | SpawnBindings.SETSIGDEF | SpawnBindings.SETSID);
                spawnCheck(SpawnBindings.SET_FLAGS.call(attributes, flags), "setflags");

                MemorySegment argvArray = arena.allocate(ADDRESS, argv.size() + 1L);
                for (int i = 0; i < argv.size(); i++) {
                    argvArray.setAtIndex(ADDRESS, i, arena.allocateFrom(argv.get(i)));
                }
                argvArray.setAtIndex(ADDRESS, argv.size(), MemorySegment.NULL);
                MemorySegment envp = arena.allocate(ADDRESS, 1);
                envp.setAtIndex(ADDRESS, 0, MemorySegment.NULL);
                MemorySegment pid = arena.allocate(JAVA_INT);
                int error = SpawnBindings.SPAWN.call(
                        pid, arena.allocateFrom(argv.getFirst()), actions, attributes, argvArray, envp);
                if (error != 0) {
                    throw new ErrnoException("posix_spawn " + argv.getFirst(), error);
                }
                return pid.get(JAVA_INT, 0);
            } finally {
                int ignoredActions = SpawnBindings.FILE_ACTIONS_DESTROY.call(actions);
                int ignoredAttributes = SpawnBindings.ATTRIBUTES_DESTROY.call(attributes);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    private static void spawnCheck(int error, String what) throws ErrnoException {
        if (error != 0) {
            throw new ErrnoException("posix_spawn " + what, error);
        }
    }
}
