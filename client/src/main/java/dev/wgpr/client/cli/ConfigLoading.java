package dev.wgpr.client.cli;

import dev.wgpr.client.config.BadConfigException;
import dev.wgpr.client.config.ConfigProblem.Reason;
import dev.wgpr.client.config.LoadedConfig;
import dev.wgpr.client.config.TunnelConfig;
import dev.wgpr.common.linux.Libc;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Loads a config for a command, printing every problem as {@code wg-pr check} does. */
final class ConfigLoading {
    /** Where the system's configs live, as {@code /etc/wireguard} holds wg-quick's. */
    static final Path SYSTEM_CONFIGS = Path.of("/etc/wg-pr");

    private ConfigLoading() {}

    /**
     * The config file a command names: the file as given, or for a bare name such as {@code corp}
     * with no file of that name here, {@code /etc/wg-pr/corp.toml} (or {@code /etc/wg-pr/corp}), as
     * {@code wg-quick up wg0} finds {@code /etc/wireguard/wg0.conf}.
     */
    static Path resolve(Path given) {
        return resolve(given, SYSTEM_CONFIGS);
    }

    /** A name such as {@code corp}, not a path: what {@link #resolve} may look for in the system's configs. */
    private static boolean isBareName(Path given) {
        return !given.isAbsolute() && given.getNameCount() == 1;
    }

    static Path resolve(Path given, Path systemConfigs) {
        if (!isBareName(given) || Files.exists(given)) {
            return given;
        }
        return Stream.of(systemConfigs.resolve(given + ".toml"), systemConfigs.resolve(given))
                .filter(Files::isRegularFile)
                .findFirst()
                .orElse(given);
    }

    /**
     * Whether a config {@code up} or {@code reload} names may go to the daemon: checked here when the caller
     * can read it (every problem printed, as by {@code check}); a config only root may read (as under
     * {@code /etc/wg-pr}, where it holds a private key) is checked by the daemon, which reads it for a caller
     * that is not root only when it lies in its config directories.
     */
    static boolean checkBeforeSending(Path file, PrintWriter err) {
        if (Libc.geteuid() != 0 && Files.exists(file) && !Files.isReadable(file)) {
            return true;
        }
        return load(file, err).isPresent();
    }

    /** The config, or empty after printing why not (the command then exits 2). */
    static Optional<LoadedConfig> load(Path file, PrintWriter err) {
        try {
            LoadedConfig loaded = TunnelConfig.load(file);
            loaded.warnings().forEach(err::println);
            return Optional.of(loaded);
        } catch (NoSuchFileException e) {
            err.println("wg-pr: " + file + ": no such file"
                    + (isBareName(file) ? " (nor " + SYSTEM_CONFIGS.resolve(file + ".toml") + ")" : ""));
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
