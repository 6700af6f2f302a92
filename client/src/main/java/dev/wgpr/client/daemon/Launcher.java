package dev.wgpr.client.daemon;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.wgpr.client.config.AppConfig;
import dev.wgpr.client.control.PeerCredentials;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.Libc;
import dev.wgpr.common.linux.OwnedFd;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Starts an app for {@code wg-pr run}: as the caller, in the app's cgroup from its first instruction,
 * only the app's binary, with a clean environment and the caller's stdio.
 *
 * <p>How, and why this way. The JVM cannot {@code fork()} (other threads, its own state), and clone3
 * with {@code CLONE_INTO_CGROUP} needs a fork-like path in native code we do not have; glibc's
 * {@code posix_spawnattr_setcgroup_np} arrived only in 2.41 (Debian 12 has 2.36). So the daemon
 * {@code posix_spawn}s (via FFM) a tiny root step, {@code /bin/sh} with an empty environment, whose
 * file actions already put the caller's descriptors at 0, 1, 2 and the opened binary at 3 and close
 * everything else; in a new session, with default signal dispositions and an empty signal mask. The
 * step writes its own pid into the app's {@code cgroup.procs} and only then {@code exec}s:
 *
 * <pre>
 * setpriv --reuid=U --regid=G --groups=… --no-new-privs --inh-caps=-all --
 *   env -i -C CWD VAR=… bash -c 'exec -a "$0" /proc/self/fd/3 "$@"' ARGV0 ARGS…
 * </pre>
 *
 * Every exec keeps the pid, so the command is in the cgroup before it runs one instruction, and its
 * descendants are born there. {@code setpriv} (util-linux) drops to the caller's uid, gid and exactly
 * the supplementary groups the kernel reported for the caller's socket ({@code SO_PEERGROUPS}), sets
 * {@code no_new_privs} (no set-uid binary can lift it back); {@code env -i} leaves only the
 * allow-listed variables of {@link CleanEnvironment} and changes directory with the caller's
 * permissions, not root's; bash's {@code exec -a} keeps the command's own {@code argv[0]}.
 *
 * <p>The binary is opened by the daemon once; the {@code exec} and {@code sha256} checks look at that
 * open file (its path through {@code /proc/self/fd}, its bytes through the descriptor), and it is that
 * same file that runs, through {@code /proc/self/fd/3}: renaming or replacing the path after the check
 * changes nothing. (A writer of the file itself could still change its bytes between the digest and the
 * exec; binaries an app names are expected to be root-owned, as under {@code /usr/bin}.)
 */
final class Launcher {
    static final Path SH = Path.of("/bin/sh");
    static final Path SETPRIV = Path.of("/usr/bin/setpriv");
    static final Path ENV = Path.of("/usr/bin/env");
    static final Path BASH = Path.of("/bin/bash");

    /** Where the opened binary sits in the child. */
    private static final int BINARY_FD = 3;

    private Launcher() {}

    /** What the caller asked for. */
    record Request(List<String> argv, Path cwd, Map<String, String> environment) {
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
     * Checks the command against {@code app} and starts it. {@code stdio} are the caller's three
     * descriptors; they stay open here (the caller of this method closes them).
     */
    static LaunchedProcess launch(
            AppConfig app, Path cgroup, PeerCredentials caller, Request request, List<OwnedFd> stdio)
            throws LaunchRefusedException, IOException {
        if (stdio.size() != 3) {
            throw new LaunchRefusedException(
                    "expected stdin, stdout and stderr, got " + stdio.size() + " descriptors", 126);
        }
        Map<String, String> environment = CleanEnvironment.of(request.environment());
        Path resolved = resolve(request.argv().getFirst(), request.cwd(), environment.get("PATH"));
        try (OwnedFd binary =
                new OwnedFd(Libc.open(resolved.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC), "binary " + resolved)) {
            check(app, binary, resolved);
            List<String> argv = helperArgv(cgroup.resolve("cgroup.procs"), caller, request, environment);
            int[] fds = {stdio.get(0).fd(), stdio.get(1).fd(), stdio.get(2).fd(), binary.fd()};
            return new ChildProcess(spawn(argv, fds));
        } catch (ErrnoException e) {
            if (e.errno() == Libc.ENOENT || e.errno() == Libc.EACCES) {
                throw new LaunchRefusedException("cannot open " + resolved + ": " + Libc.strerror(e.errno()), 126);
            }
            throw e;
        }
    }

    /** {@code command} as the caller's shell would find it: a path (against the cwd) or a PATH search. */
    static Path resolve(String command, Path cwd, String path) throws LaunchRefusedException {
        if (command.isEmpty() || command.indexOf('\0') >= 0) {
            throw new LaunchRefusedException("empty command", 127);
        }
        if (command.indexOf('/') >= 0) {
            Path candidate = cwd.resolve(command).normalize();
            if (!Files.isRegularFile(candidate)) {
                throw new LaunchRefusedException(command + ": no such file", 127);
            }
            return candidate;
        }
        for (String dir : path.split(":")) {
            Path candidate = Path.of(dir).resolve(command);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new LaunchRefusedException(command + ": command not found in PATH " + path, 127);
    }

    private static void check(AppConfig app, OwnedFd binary, Path resolved) throws IOException, LaunchRefusedException {
        Path opened = Files.readSymbolicLink(Path.of("/proc/self/fd/" + binary.fd()));
        if (app.exec().isPresent()) {
            Path wanted;
            try {
                wanted = app.exec().get().toRealPath();
            } catch (IOException e) {
                throw new LaunchRefusedException(
                        "app " + app.name() + ": its exec " + app.exec().get() + " does not exist", 126);
            }
            if (!opened.equals(wanted)) {
                throw new LaunchRefusedException(
                        resolved + " is not app " + app.name() + "'s exec "
                                + app.exec().get()
                                + (wanted.equals(app.exec().get()) ? "" : " (" + wanted + ")")
                                + "; refusing to start it as " + app.name(),
                        126);
            }
        }
        if (app.sha256().isPresent()) {
            String actual = sha256(binary);
            if (!actual.equals(app.sha256().get())) {
                throw new LaunchRefusedException(
                        opened + " has sha256 " + actual + ", not app " + app.name() + "'s "
                                + app.sha256().get() + "; refusing to start it",
                        126);
            }
        }
    }

    /** The digest of the open file, read through the descriptor that will be executed. */
    private static String sha256(OwnedFd binary) throws ErrnoException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.allocateCallState(arena);
            MemorySegment buffer = arena.allocate(1 << 16);
            while (true) {
                long n = (long) Libc.read$MH().invokeExact(state, binary.fd(), buffer, buffer.byteSize());
                if (n < 0) {
                    if (Libc.errno(state) == Libc.EINTR) {
                        continue;
                    }
                    throw new ErrnoException("read " + binary, Libc.errno(state));
                }
                if (n == 0) {
                    return HexFormat.of().formatHex(digest.digest());
                }
                digest.update(buffer.asSlice(0, n).toArray(JAVA_BYTE));
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** The argument vector of the root step (see the class comment). */
    static List<String> helperArgv(
            Path cgroupProcs, PeerCredentials caller, Request request, Map<String, String> environment) {
        List<String> argv = new ArrayList<>();
        argv.add(SH.toString());
        argv.add("-c");
        // $0 is the cgroup.procs file; nothing from the caller is ever part of the script text.
        argv.add("echo $$ > \"$0\" || exit 126; exec \"$@\"");
        argv.add(cgroupProcs.toString());
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
        argv.add(ENV.toString());
        argv.add("-i");
        argv.add("--chdir=" + request.cwd());
        environment.forEach((name, value) -> argv.add(name + "=" + value));
        argv.add(BASH.toString());
        argv.add("-c");
        argv.add("exec -a \"$0\" /proc/self/fd/" + BINARY_FD + " \"$@\"");
        argv.addAll(request.argv());
        return argv;
    }

    /**
     * posix_spawn of {@code argv} with an empty environment, {@code fds[0..2]} as stdio and {@code
     * fds[3]} as descriptor 3, nothing else open, a new session, signals at their defaults.
     */
    static int spawn(List<String> argv, int[] fds) throws ErrnoException {
        for (String arg : argv) {
            if (arg.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("an argument holds a NUL byte");
            }
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment actions = arena.allocate(Libc.POSIX_SPAWN_FILE_ACTIONS_SIZE, 16);
            MemorySegment attributes = arena.allocate(Libc.POSIX_SPAWNATTR_SIZE, 16);
            spawnCheck((int) Libc.posix_spawn_file_actions_init$MH().invokeExact(actions), "file_actions_init");
            spawnCheck((int) Libc.posix_spawnattr_init$MH().invokeExact(attributes), "spawnattr_init");
            try {
                for (int target = 0; target < fds.length; target++) {
                    spawnCheck(
                            (int) Libc.posix_spawn_file_actions_adddup2$MH().invokeExact(actions, fds[target], target),
                            "adddup2");
                }
                spawnCheck(
                        (int) Libc.posix_spawn_file_actions_addclosefrom_np$MH().invokeExact(actions, fds.length),
                        "addclosefrom_np");
                MemorySegment empty = arena.allocate(Libc.SIGSET_SIZE, 8);
                MemorySegment all = arena.allocate(Libc.SIGSET_SIZE, 8);
                spawnCheck((int) Libc.sigemptyset$MH().invokeExact(empty), "sigemptyset");
                spawnCheck((int) Libc.sigfillset$MH().invokeExact(all), "sigfillset");
                spawnCheck((int) Libc.posix_spawnattr_setsigmask$MH().invokeExact(attributes, empty), "setsigmask");
                spawnCheck((int) Libc.posix_spawnattr_setsigdefault$MH().invokeExact(attributes, all), "setsigdefault");
                short flags =
                        (short) (Libc.POSIX_SPAWN_SETSIGMASK | Libc.POSIX_SPAWN_SETSIGDEF | Libc.POSIX_SPAWN_SETSID);
                spawnCheck((int) Libc.posix_spawnattr_setflags$MH().invokeExact(attributes, flags), "setflags");

                MemorySegment argvArray = arena.allocate(ADDRESS, argv.size() + 1L);
                for (int i = 0; i < argv.size(); i++) {
                    argvArray.setAtIndex(ADDRESS, i, arena.allocateFrom(argv.get(i)));
                }
                argvArray.setAtIndex(ADDRESS, argv.size(), MemorySegment.NULL);
                MemorySegment envp = arena.allocate(ADDRESS, 1);
                envp.setAtIndex(ADDRESS, 0, MemorySegment.NULL);
                MemorySegment pid = arena.allocate(JAVA_INT);
                int error = (int) Libc.posix_spawn$MH()
                        .invokeExact(pid, arena.allocateFrom(argv.getFirst()), actions, attributes, argvArray, envp);
                if (error != 0) {
                    throw new ErrnoException("posix_spawn " + argv.getFirst(), error);
                }
                return pid.get(JAVA_INT, 0);
            } finally {
                int ignoredActions =
                        (int) Libc.posix_spawn_file_actions_destroy$MH().invokeExact(actions);
                int ignoredAttributes = (int) Libc.posix_spawnattr_destroy$MH().invokeExact(attributes);
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
