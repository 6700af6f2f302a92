package dev.wgpr.client.cli;

import dev.wgpr.client.config.BadConfigException;
import dev.wgpr.client.config.ConfigProblem.Reason;
import dev.wgpr.client.config.LoadedConfig;
import dev.wgpr.client.config.TunnelConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/** Loads a config for a command, printing every problem as {@code wg-pr check} does. */
final class ConfigLoading {
    private ConfigLoading() {}

    /** The config, or empty after printing why not (the command then exits 2). */
    static Optional<LoadedConfig> load(Path file, PrintWriter err) {
        try {
            LoadedConfig loaded = TunnelConfig.load(file);
            loaded.warnings().forEach(err::println);
            return Optional.of(loaded);
        } catch (NoSuchFileException e) {
            err.println("wg-pr: " + file + ": no such file");
        } catch (CharacterCodingException e) {
            err.println("wg-pr: " + file + " is not UTF-8 text, so it cannot be TOML");
        } catch (IOException e) {
            err.println("wg-pr: cannot read " + file + ": " + e.getMessage());
        } catch (BadConfigException e) {
            e.problems().forEach(err::println);
            int count = e.problems().size();
            err.println(
                    "wg-pr: " + count + (count == 1 ? " error" : " errors") + " in " + file + "; nothing was changed");
            if (e.problems().stream().anyMatch(problem -> problem.reason() == Reason.TOML_SYNTAX)
                    && looksLikeWgQuick(file)) {
                err.println("wg-pr: " + file + " looks like a wg-quick config (INI, not TOML); `wg-pr import " + file
                        + " > NAME.toml` converts it");
            }
        }
        return Optional.empty();
    }

    /** An {@code [Interface]} or {@code [Peer]} line: wg-quick's sections, which TOML spells otherwise. */
    private static final Pattern WG_QUICK_SECTION = Pattern.compile("(?m)^\\s*\\[(Interface|Peer)\\]\\s*$");

    private static boolean looksLikeWgQuick(Path file) {
        try {
            return WG_QUICK_SECTION.matcher(Files.readString(file)).find();
        } catch (IOException e) {
            return false;
        }
    }
}
