package dev.wgpr.client.cli;

import dev.wgpr.client.config.BadConfigException;
import dev.wgpr.client.config.ConfigProblem.Reason;
import dev.wgpr.client.config.LoadedConfig;
import dev.wgpr.client.config.ResolverSetting;
import dev.wgpr.client.config.TunnelConfig;
import dev.wgpr.client.control.Request;
import dev.wgpr.common.linux.Libc;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
     * What {@code up} or {@code reload} send for the config at {@code file}, or empty after printing why it
     * is no config (the command then exits 2). Root's CLI reads the config and its key files and sends them,
     * so that the daemon reads no file root named, wherever it lies. For a caller that is not root it names
     * the file: the daemon reads it only from its config directories; checked here when the caller can read
     * it (a config under {@code /etc/wg-pr} holds a private key only root may read).
     */
    static Optional<ForDaemon> forDaemon(Path file, PrintWriter err) {
        Path absolute = file.toAbsolutePath().normalize();
        if (Libc.geteuid() != 0) {
            Request.ConfigText named = Request.ConfigText.named(absolute.toString());
            if (Files.exists(absolute) && !Files.isReadable(absolute)) {
                return Optional.of(new ForDaemon(named, Optional.empty()));
            }
            return load(absolute, err).map(loaded -> new ForDaemon(named, Optional.of(loaded)));
        }
        Optional<LoadedConfig> loaded = load(absolute, err);
        if (loaded.isEmpty()) {
            return Optional.empty();
        }
        TunnelConfig config = loaded.get().config();
        List<Path> keyFiles = new ArrayList<>();
        config.iface().privateKeyFile().ifPresent(keyFiles::add);
        config.peers().forEach(peer -> peer.presharedKeyFile().ifPresent(keyFiles::add));
        try {
            Map<String, String> keys = new LinkedHashMap<>();
            for (Path keyFile : keyFiles) {
                keys.put(keyFile.toString(), Files.readString(keyFile, StandardCharsets.US_ASCII));
            }
            return Optional.of(new ForDaemon(
                    new Request.ConfigText(
                            absolute.toString(), Files.readString(absolute, StandardCharsets.UTF_8), keys),
                    loaded));
        } catch (IOException e) {
            err.println("wg-pr: cannot read " + absolute + " or its key files: " + e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * What {@code up} or {@code reload} send, and the config as this CLI loaded it (empty: a file the
     * caller may not read, which only the daemon reads).
     */
    record ForDaemon(Request.ConfigText text, Optional<LoadedConfig> loaded) {
        /** Whether the config asks for a managed {@code /etc/resolv.conf} (a daemon started for it may write /etc). */
        boolean managesResolvConf() {
            return loaded.map(l -> l.config().iface().dns().resolver() == ResolverSetting.FILE)
                    .orElse(false);
        }
    }

    /**
     * Whether {@code command} ({@code up}, {@code reload}) must stop because the config, as this CLI loaded it,
     * has a warning that needs {@code --force} (the warning itself is printed already); says so on {@code err}.
     * The daemon checks again: it alone reads a config the caller may not.
     */
    static boolean refusedWithoutForce(ForDaemon config, boolean force, String command, PrintWriter err) {
        if (force || config.loaded().flatMap(LoadedConfig::forceRefusal).isEmpty()) {
            return false;
        }
        err.println("wg-pr " + command + ": " + config.text().path()
                + ": refused because of the warning above: write the setting out in the config, or add --force to"
                + " go ahead; nothing was changed");
        return true;
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
