package dev.wgpr.client.cli;

import dev.wgpr.client.control.Json;
import dev.wgpr.client.daemon.Instance;
import dev.wgpr.common.linux.Syscall;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The commands people type most, in their plain forms, run without picocli: {@code --version}, {@code
 * status [--json] [-v|--verbose]}, {@code check CONFIG} and {@code run --app A [--tunnel NAME] -- CMD...},
 * each with at most one {@code --instance NAME} (before {@code run}'s {@code --}).
 * Building picocli's model of even one subcommand (its annotations are read through dynamic proxies,
 * which the ahead-of-time cache cannot keep) was more than half of such a command's time. Anything else,
 * including every mistake and every form picocli treats specially ({@code @file}, {@code --}, clustered
 * short options, help), is left to the whole CLI, which then prints what it always did; FastPathTest holds
 * both to the same output.
 */
final class FastPath {
    private final PrintWriter out;
    private final PrintWriter err;

    private FastPath(PrintStream out, PrintStream err) {
        // As WgPrCommand gives picocli's commands their writers.
        this.out = new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true);
        this.err = new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true);
    }

    /** Whether {@link #execute} runs {@code args} here. */
    static boolean takes(String[] args) {
        return Invocation.of(args).isPresent();
    }

    /** The exit status of {@code args} run here, or empty when they are for the whole CLI. */
    static Optional<Integer> execute(String[] args, PrintStream out, PrintStream err) {
        return Invocation.of(args).map(invocation -> {
            FastPath streams = new FastPath(out, err);
            try {
                return invocation.run(streams.out, streams.err);
            } finally {
                streams.out.flush();
                streams.err.flush();
            }
        });
    }

    /**
     * Runs {@code preparation} on a daemon thread named {@code name}: what a command will need, made while
     * its own thread does the work that comes first (the method reference initialises its class on that
     * thread, not on this one).
     */
    private static void inBackground(String name, Runnable preparation) {
        Thread.ofPlatform().daemon().name(name).start(preparation);
    }

    /** One recognised command line: the subcommand, its words, the instance it names if any. */
    private record Invocation(String command, List<String> words, Optional<String> instanceName) {
        static Optional<Invocation> of(String[] args) {
            Optional<String> instanceName = Optional.empty();
            List<String> rest = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                if (arg.equals("--") && !rest.isEmpty() && rest.getFirst().equals("run")) {
                    rest.addAll(List.of(args).subList(i, args.length)); // run's command, taken as it is
                    break;
                }
                if (arg.startsWith("@") || arg.isEmpty()) {
                    return Optional.empty(); // picocli reads @FILE as more arguments
                }
                Optional<String> value = Optional.empty();
                if (arg.equals("--instance") && i + 1 < args.length) {
                    value = Optional.of(args[++i]);
                } else if (arg.startsWith("--instance=")) {
                    value = Optional.of(arg.substring("--instance=".length()));
                } else if (arg.equals("--instance")) {
                    return Optional.empty(); // its value is missing
                }
                if (value.isPresent()) {
                    if (instanceName.isPresent()
                            || value.get().isEmpty()
                            || value.get().startsWith("-")
                            || arg.equals("--instance") && value.get().startsWith("@")) {
                        return Optional.empty(); // given twice, or a value picocli would read otherwise
                    }
                    instanceName = value;
                } else {
                    rest.add(arg);
                }
            }
            if (rest.isEmpty() || !Instance.isValidName(Instance.chosenName(instanceName))) {
                return Optional.empty(); // (a bad instance name: picocli's message says why)
            }
            Invocation invocation =
                    new Invocation(rest.getFirst(), List.copyOf(rest.subList(1, rest.size())), instanceName);
            return invocation.recognised() ? Optional.of(invocation) : Optional.empty();
        }

        private boolean recognised() {
            return switch (command) {
                case "--version", "-V" -> words.isEmpty() && instanceName.isEmpty();
                case "status" ->
                    words.stream().distinct().count() == words.size()
                            && words.stream()
                                    .allMatch(word ->
                                            List.of("--json", "-v", "--verbose").contains(word))
                            && !(words.contains("-v") && words.contains("--verbose"));
                case "check" -> words.size() == 1 && !words.getFirst().startsWith("-");
                case "run" -> runOptions().isPresent();
                default -> false;
            };
        }

        /**
         * {@code run}'s options when its words are {@code --app A}, at most one {@code --tunnel NAME}, in
         * any order, then {@code --} and a command: values no option of picocli's could be mistaken for.
         */
        private Optional<Map<String, String>> runOptions() {
            int end = words.indexOf("--");
            if (end < 0
                    || end == words.size() - 1
                    || end % 2 != 0
                    || words.stream().skip(end + 1).anyMatch(word -> word.isEmpty() || word.startsWith("@"))) {
                return Optional.empty(); // (picocli's reading of @FILE, or of an empty word, is its own)
            }
            Map<String, String> options = new HashMap<>();
            for (int i = 0; i < end; i += 2) {
                String name = words.get(i);
                String value = words.get(i + 1);
                if (!List.of("--app", "--tunnel").contains(name)
                        || options.containsKey(name)
                        || value.isEmpty()
                        || value.startsWith("-")
                        || value.startsWith("@")) {
                    return Optional.empty();
                }
                options.put(name, value);
            }
            return options.containsKey("--app") ? Optional.of(options) : Optional.empty();
        }

        int run(PrintWriter out, PrintWriter err) {
            if (command.equals("run")) {
                // Its first system call, opening the command, comes at once: the link needs the head start.
                inBackground("syscall-link", Syscall::link);
            }
            if (command.equals("status") || command.equals("run")) {
                inBackground("json-prepare", Json::prepare); // both write a request and read a reply
            }
            return switch (command) {
                case "status" ->
                    StatusCommand.show(
                            Instance.choose(instanceName),
                            words.contains("--json"),
                            words.contains("-v") || words.contains("--verbose"),
                            out,
                            err);
                case "check" -> CheckCommand.check(Path.of(words.getFirst()), out, err);
                case "run" -> {
                    Map<String, String> options = runOptions().orElseThrow();
                    yield RunCommand.attached(
                            Instance.choose(instanceName),
                            options.get("--app"),
                            Optional.ofNullable(options.get("--tunnel")),
                            words.subList(words.indexOf("--") + 1, words.size()),
                            err);
                }
                default -> {
                    for (String line : new WgPrVersion().getVersion()) {
                        out.println(line);
                    }
                    yield 0;
                }
            };
        }
    }
}
