package dev.wgpr.client.cli;

import dev.wgpr.client.daemon.Instance;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The root command: its subcommands are the whole CLI. */
@Command(
        name = "wg-pr",
        mixinStandardHelpOptions = true,
        versionProvider = WgPrCommand.Version.class,
        description = {
            "WireGuard split-tunnel client whose internal routes belong to applications.",
            "Only the apps a peer names in allowedApps may reach its internal prefixes;",
            "every other process keeps its Internet access.",
        },
        subcommands = {
            UpCommand.class,
            DownCommand.class,
            ReloadCommand.class,
            StatusCommand.class,
            RunCommand.class,
            EventsCommand.class,
            CheckCommand.class,
            DeviceCommand.class,
            DemoCommand.class,
            DoctorCommand.class,
            GenkeyCommand.class,
            GenpskCommand.class,
            ImportCommand.class,
            PubkeyCommand.class,
            DaemonCommand.class,
            CommandLine.HelpCommand.class,
        })
public final class WgPrCommand {
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

    /** The instance chosen by {@code --instance}, {@code WG_PR_INSTANCE} or the default. */
    Instance instance() {
        return Instance.choose(Optional.ofNullable(instanceName));
    }

    /** The CLI wired to the given streams; tests run it in-process with byte streams. */
    public static CommandLine commandLine(InputStream in, PrintStream out, PrintStream err) {
        CommandLine commandLine = new CommandLine(new WgPrCommand(in));
        commandLine.setOut(new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true));
        commandLine.setErr(new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true));
        commandLine.setUsageHelpAutoWidth(true);
        return commandLine;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = WgPrCommand.class.getPackage().getImplementationVersion();
            return new String[] {"wg-pr " + (version == null ? "(development build)" : version)};
        }
    }
}
