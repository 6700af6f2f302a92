package dev.wgpr.client.cli;

import dev.wgpr.client.control.LockdownStatus;
import dev.wgpr.client.control.UnixSocket;
import dev.wgpr.client.daemon.Daemon;
import dev.wgpr.client.daemon.DaemonLog;
import dev.wgpr.client.daemon.Instance;
import dev.wgpr.client.daemon.LaunchHelper;
import dev.wgpr.client.lockdown.Lockdown;
import dev.wgpr.client.lockdown.LockdownPlan;
import dev.wgpr.client.lockdown.LockdownState;
import dev.wgpr.common.Pace;
import dev.wgpr.common.linux.ErrnoException;
import dev.wgpr.common.linux.OwnedFd;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * The entry point of the locked-down daemon image, which {@link DaemonCommand} execs in its own process. Its
 * one caller writes its arguments ({@link Arguments}), so it reads them itself: through picocli, the command
 * model, reflection and annotation proxies of every command would stay resident in the daemon for its whole
 * life (its RSS).
 */
public final class LockedDownDaemon {
    private LockedDownDaemon() {}

    public static void main(String[] args) {
        Pace.inherit(); // as slow as the JVM that measured it and exec'd this one
        DaemonLog.install(System.getenv());
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        Arguments arguments;
        try {
            arguments = Arguments.parse(List.of(args));
        } catch (IllegalArgumentException e) {
            err.println("wg-pr daemon (locked down): " + e.getMessage());
            System.exit(WgPrCommand.EXIT_BAD_INPUT);
            return;
        }
        MappedPages.Keeper mappedPages = new MappedPages.Keeper(arguments.classArchive(), err);
        Daemon.Options options;
        try {
            options = options(arguments).withTunnelsChanged(mappedPages::tunnelsChanged);
        } catch (IOException e) {
            err.println("wg-pr daemon: " + e.getMessage());
            System.exit(WgPrCommand.EXIT_FAILURE);
            return;
        }
        Runnable afterStop = () -> arguments
                .classArchive()
                .ifPresent(archive ->
                        DaemonJvm.refreshArchive(archive, DaemonJvm.classList(archive, arguments.instance()), err));
        System.exit(DaemonService.serve(arguments.instance(), options, err, mappedPages::start, afterStop));
    }

    /** Finishes the lockdown (what only the new image can do) and describes it for {@code status}. */
    private static Daemon.Options options(Arguments arguments) throws IOException {
        LockdownPlan plan = Lockdown.plan(
                arguments.instance(),
                arguments.configDirectories(),
                arguments.classArchive(),
                arguments.writesResolvConf());
        Lockdown.afterExec(plan);
        String group = arguments.launchGroup().orElse(Daemon.Options.defaults().launchGroup());
        UnixSocket helper = UnixSocket.adopt(new OwnedFd(arguments.launchHelperFd(), "launch helper socket"));
        return new Daemon.Options(group, arguments.configDirectories(), Optional.of(helper), () -> {
                    LockdownStatus status;
                    try {
                        status = LockdownState.inspect(plan).toStatus();
                    } catch (ErrnoException e) {
                        status = LockdownStatus.only("unknown: " + e.getMessage());
                    }
                    return status.withLaunchHelper("pid " + arguments.launchHelperPid()
                            + ": starts the apps of wg-pr run outside the daemon's Landlock domain; bounding set "
                            + LaunchHelper.BOUNDING_SET);
                })
                .withStatusText(StatusCommand::text);
    }

    /** What the daemon before the exec hands to the locked-down image; written and read only here. */
    record Arguments(
            Instance instance,
            int launchHelperFd,
            long launchHelperPid,
            Optional<String> launchGroup,
            List<Path> configDirectories,
            Optional<Path> classArchive,
            boolean writesResolvConf) {
        private static final String INSTANCE = "--instance";
        private static final String LAUNCH_HELPER_FD = "--launch-helper-fd";
        private static final String LAUNCH_HELPER_PID = "--launch-helper-pid";
        private static final String LAUNCH_GROUP = "--launch-group";
        private static final String CONFIG_DIR = "--config-dir";
        private static final String CLASS_ARCHIVE = "--class-archive";
        private static final String WRITES_RESOLV_CONF = "--writes-resolv-conf";

        Arguments {
            configDirectories = List.copyOf(configDirectories);
        }

        List<String> toList() {
            List<String> args = new ArrayList<>(List.of(
                    INSTANCE,
                    instance.name(),
                    LAUNCH_HELPER_FD,
                    Integer.toString(launchHelperFd),
                    LAUNCH_HELPER_PID,
                    Long.toString(launchHelperPid)));
            launchGroup.ifPresent(group -> args.addAll(List.of(LAUNCH_GROUP, group)));
            for (Path dir : configDirectories) {
                args.addAll(List.of(CONFIG_DIR, dir.toString()));
            }
            classArchive.ifPresent(archive -> args.addAll(List.of(CLASS_ARCHIVE, archive.toString())));
            if (writesResolvConf) {
                args.addAll(List.of(WRITES_RESOLV_CONF, "true"));
            }
            return args;
        }

        /** @throws IllegalArgumentException naming the argument that is unknown, missing or malformed */
        static Arguments parse(List<String> args) {
            String instance = null;
            Integer helperFd = null;
            Long helperPid = null;
            Optional<String> group = Optional.empty();
            List<Path> configDirectories = new ArrayList<>();
            Optional<Path> classArchive = Optional.empty();
            boolean writesResolvConf = false;
            Iterator<String> it = args.iterator();
            while (it.hasNext()) {
                String name = it.next();
                if (!it.hasNext()) {
                    throw new IllegalArgumentException(name + " needs a value");
                }
                String value = it.next();
                switch (name) {
                    case INSTANCE -> instance = value;
                    case LAUNCH_HELPER_FD ->
                        helperFd = number(name, value, Integer.MAX_VALUE).intValue();
                    case LAUNCH_HELPER_PID -> helperPid = number(name, value, Long.MAX_VALUE);
                    case LAUNCH_GROUP -> group = Optional.of(value);
                    case CONFIG_DIR -> configDirectories.add(Path.of(value));
                    case CLASS_ARCHIVE -> classArchive = Optional.of(Path.of(value));
                    case WRITES_RESOLV_CONF -> writesResolvConf = Boolean.parseBoolean(value);
                    default -> throw new IllegalArgumentException("unknown argument " + name);
                }
            }
            if (instance == null || helperFd == null || helperPid == null) {
                throw new IllegalArgumentException(
                        INSTANCE + ", " + LAUNCH_HELPER_FD + " and " + LAUNCH_HELPER_PID + " are required");
            }
            return new Arguments(
                    new Instance(instance),
                    helperFd,
                    helperPid,
                    group,
                    configDirectories,
                    classArchive,
                    writesResolvConf);
        }

        private static Long number(String name, String value, long max) {
            try {
                long number = Long.parseLong(value);
                if (number < 0 || number > max) {
                    throw new NumberFormatException();
                }
                return number;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " takes a non-negative number, not " + value);
            }
        }
    }
}
