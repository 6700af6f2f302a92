package dev.wgpr.packaging;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * A fish completion script of a picocli command tree (picocli generates bash only): each subcommand is
 * offered where its parent is the last command typed, each option where its command is, with its
 * description, and options that take a value complete it from the option's candidates when it has any,
 * else from files.
 */
final class FishCompletion {
    private FishCompletion() {}

    static String script(CommandSpec root) {
        List<String> lines = new ArrayList<>();
        lines.add("# fish completion for " + root.name() + ", generated from its picocli model.");
        lines.add("complete -c " + root.name() + " -f");
        add(lines, root, List.of());
        return String.join("\n", lines) + "\n";
    }

    /** Completions of {@code command}, reached by typing {@code path} (subcommand names) after the root. */
    private static void add(List<String> lines, CommandSpec command, List<String> path) {
        String where = condition(command, path);
        for (OptionSpec option : command.options()) {
            if (option.hidden()) {
                continue;
            }
            StringBuilder line =
                    new StringBuilder("complete -c " + command.root().name() + " -n " + quote(where));
            for (String name : option.names()) {
                line.append(name.startsWith("--") ? " -l " + name.substring(2) : " -s " + name.substring(1));
            }
            if (option.arity().max() > 0) {
                Iterable<String> candidates = option.completionCandidates();
                if (candidates != null && candidates.iterator().hasNext()) {
                    line.append(" -x -a ").append(quote(String.join(" ", candidates)));
                } else {
                    line.append(" -r -F");
                }
            }
            line.append(" -d ").append(quote(summary(option.description())));
            lines.add(line.toString());
        }
        if (!command.positionalParameters().isEmpty()) {
            // Positional parameters are files (configs, wg-quick configs) or a command to run.
            lines.add("complete -c " + command.root().name() + " -n " + quote(where) + " -F");
        }
        for (Map.Entry<String, picocli.CommandLine> entry :
                command.subcommands().entrySet()) {
            CommandSpec sub = entry.getValue().getCommandSpec();
            if (sub.usageMessage().hidden() || !entry.getKey().equals(sub.name())) {
                continue; // aliases complete through their command's name
            }
            lines.add("complete -c " + command.root().name() + " -n " + quote(where) + " -a " + quote(sub.name())
                    + " -d " + quote(summary(sub.usageMessage().description())));
        }
        for (picocli.CommandLine sub : command.subcommands().values()) {
            if (!sub.getCommandSpec().usageMessage().hidden()) {
                List<String> deeper = new ArrayList<>(path);
                deeper.add(sub.getCommandSpec().name());
                add(lines, sub.getCommandSpec(), List.copyOf(deeper));
            }
        }
    }

    /**
     * Fish's test that the command line stands in {@code command}: at the root, no subcommand typed yet;
     * below it, the last of its path typed and none of its own subcommands.
     */
    private static String condition(CommandSpec command, List<String> path) {
        List<String> own = List.copyOf(command.subcommands().keySet());
        if (path.isEmpty()) {
            return "__fish_use_subcommand";
        }
        String inside = "__fish_seen_subcommand_from " + path.getLast();
        return own.isEmpty() ? inside : inside + "; and not __fish_seen_subcommand_from " + String.join(" ", own);
    }

    /** The description as one line (fish shows one per candidate), without picocli's {@code %n}. */
    private static String summary(String[] description) {
        return String.join(" ", description).replace("%n", " ").strip();
    }

    private static String quote(String text) {
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
