package dev.wgpr.client.cli;

import dev.wgpr.client.daemon.Instance;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The root command: its subcommands are the whole CLI. */
@Command(
        name = "wg-pr",
        mixinStandardHelpOptions = true,
        versionProvider = WgPrVersion.class,
        description = {
            "WireGuard split-tunnel client whose internal routes belong to applications.",
            "Only the apps a peer names in allowedApps may reach its internal prefixes;",
            "every other process keeps its Internet access.",
        })
public final class WgPrCommand {
    /** The subcommands, in the order help lists them. */
    private static final List<Class<?>> SUBCOMMANDS = List.of(
            UpCommand.class,
            DownCommand.class,
            ReloadCommand.class,
            StatusCommand.class,
            RunCommand.class,
            TraceCommand.class,
            EventsCommand.class,
            TrayCommand.class,
            CheckCommand.class,
            DeviceCommand.class,
            DemoCommand.class,
            DoctorCommand.class,
            GenkeyCommand.class,
            GenpskCommand.class,
            ImportCommand.class,
            PubkeyCommand.class,
            DaemonCommand.class,
            CommandLine.HelpCommand.class);

    /** Exit status for bad input: an invalid config, a malformed key, a usage error. */
    static final int EXIT_BAD_INPUT = 2;

    /** Exit status for a general failure: the daemon could not do it, and said why. */
    static final int EXIT_FAILURE = 1;

    /** Exit status when the caller may not do this (e.g. {@code up} as a normal user). */
    static final int EXIT_NOT_PERMITTED = 4;

    @Option(
            names = "--instance",
            paramLabel = "NAME",
            scope = CommandLine.ScopeType.INHERIT,
            description = "The wg-pr instance (default: $WG_PR_INSTANCE, else wg-pr). Its name places the"
                    + " control socket (/run/NAME/), BPF pins (/sys/fs/bpf/NAME/) and app cgroups.")
    String instanceName;

    private final InputStream stdin;

    private WgPrCommand(InputStream stdin) {
        this.stdin = stdin;
    }

    InputStream stdin() {
        return stdin;
    }

    @Spec
    CommandSpec spec;

    /**
     * The instance chosen by {@code --instance}, {@code WG_PR_INSTANCE} or the default.
     *
     * @throws ParameterException when the name is no instance's (picocli prints why, with the usage)
     */
    Instance instance() {
        try {
            return Instance.choose(Optional.ofNullable(instanceName));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }

    /** The whole CLI wired to the given streams; tests run it in-process with byte streams. */
    public static CommandLine commandLine(InputStream in, PrintStream out, PrintStream err) {
        return commandLine(in, out, err, SUBCOMMANDS);
    }

    /**
     * The CLI for one invocation with {@code args}: of the subcommands, only the one the arguments name
     * is built. picocli reflects over every option of every subcommand it is given, which was most of
     * the time a command took to start; help, an unknown command and no command get them all.
     */
    public static CommandLine commandLine(InputStream in, PrintStream out, PrintStream err, String[] args) {
        return commandLine(in, out, err, subcommandsFor(args));
    }

    private static List<Class<?>> subcommandsFor(String[] args) {
        boolean versionOnly = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--instance")) {
                i++; // its value
            } else if (arg.equals("-V") || arg.equals("--version")) {
                versionOnly = true;
            } else if (!arg.startsWith("-")) {
                for (Class<?> subcommand : SUBCOMMANDS) {
                    if (subcommand != CommandLine.HelpCommand.class
                            && subcommand.getAnnotation(Command.class).name().equals(arg)) {
                        return List.of(subcommand);
                    }
                }
                return SUBCOMMANDS;
            } else if (!arg.startsWith("--instance=")) {
                return SUBCOMMANDS; // --help, or an option the root does not have: its message lists them
            }
        }
        return versionOnly ? List.of() : SUBCOMMANDS;
    }

    private static CommandLine commandLine(
            InputStream in, PrintStream out, PrintStream err, List<Class<?>> subcommands) {
        CommandLine commandLine = new CommandLine(new WgPrCommand(in));
        subcommands.forEach(commandLine::addSubcommand);
        commandLine.setOut(new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true));
        commandLine.setErr(new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true));
        commandLine.setUsageHelpAutoWidth(true);
        return commandLine;
    }
}
