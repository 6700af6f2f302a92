package dev.wgpr.packaging;

import dev.wgpr.client.cli.WgPrCommand;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/**
 * Writes what the .deb ships about the CLI, generated from the same picocli model that prints {@code --help},
 * so that neither can drift from the other: {@code man/wg-pr*.adoc} (one AsciiDoc man page per command, for
 * asciidoctor to turn into troff), {@code completions/wg-pr.bash}, {@code completions/_wg-pr} (zsh, through
 * its bash compatibility) and {@code completions/wg-pr.fish}.
 */
public final class GeneratedDocs {
    static final String COMMAND = "wg-pr";

    /**
     * The section of the command pages: 8, as {@code wg(8)} and {@code ip(8)}, since most commands
     * administer the system (a normal user's {@code run}, {@code status} and key tools live there too).
     */
    static final String SECTION = "8";

    private GeneratedDocs() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: GeneratedDocs OUTPUT_DIRECTORY");
        }
        Path out = Path.of(args[0]);
        CommandLine cli = cli();
        writeManPages(cli, Files.createDirectories(out.resolve("man")));
        Path completions = Files.createDirectories(out.resolve("completions"));
        // bash-completion sources the file: a #! line would only mislead (lintian says so too).
        String bash = AutoComplete.bash(COMMAND, cli).replaceFirst("\\A#!.*\n", "");
        Files.writeString(completions.resolve("wg-pr.bash"), bash);
        Files.writeString(completions.resolve("_wg-pr"), zsh(bash));
        Files.writeString(completions.resolve("wg-pr.fish"), FishCompletion.script(cli.getCommandSpec()));
    }

    static CommandLine cli() {
        PrintStream discard = new PrintStream(new ByteArrayOutputStream());
        return WgPrCommand.commandLine(InputStream.nullInputStream(), discard, discard);
    }

    /** picocli-codegen writes section 1 pages; ours are in {@link #SECTION}, cross-references included. */
    static void writeManPages(CommandLine cli, Path dir) throws IOException {
        int status = ManPageGenerator.generateManPage(dir.toFile(), null, new boolean[0], true, cli.getCommandSpec());
        if (status != 0) {
            throw new IOException("picocli's ManPageGenerator failed with status " + status);
        }
        try (Stream<Path> pages = Files.list(dir)) {
            for (Path page : pages.toList()) {
                String text = Files.readString(page)
                        .replace(":manvolnum: 1", ":manvolnum: " + SECTION)
                        .replace(":manmanual: Wg-pr Manual", ":manmanual: wg-pr Manual")
                        .replaceAll("(wg-pr[a-z-]*)\\(1\\)", "$1(" + SECTION + ")");
                Files.writeString(page, text);
            }
        }
    }

    /**
     * zsh runs picocli's bash completion through bashcompinit. The file is an autoloaded completion
     * function ({@code #compdef}): its first call defines the bash function, without the script's own
     * {@code compinit} (already done by the shell that completes), and each call hands over to it.
     */
    static String zsh(String bash) {
        String withoutCompinit =
                bash.lines().filter(line -> !line.contains("compinit")).reduce("", (text, line) -> text + line + "\n");
        return "#compdef " + COMMAND + "\n"
                + "# Generated from wg-pr's picocli model: picocli's bash completion under zsh's bashcompinit.\n"
                + "(( $+functions[_bash_complete] )) || { autoload -U +X bashcompinit && bashcompinit }\n"
                + "# bash's compopt (file name options) has no zsh twin; zsh quotes file names itself.\n"
                + "(( $+functions[compopt] )) || compopt() { return 0 }\n"
                + "if (( ! $+functions[_complete_" + COMMAND + "] )); then\n"
                + withoutCompinit
                + "fi\n"
                + "_bash_complete -F _complete_" + COMMAND + " \"$@\"\n";
    }
}
