package dev.wgpr.client.dns;

import dev.wgpr.client.config.ResolverSetting;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which resolver this host really uses, decided as wg-quick and NetworkManager do: systemd-resolved when
 * {@code /etc/resolv.conf} points at its stub (a symlink into {@code /run/systemd/resolve/}, or a file naming
 * 127.0.0.53) and it has its name on the system bus; else resolvconf when installed; else nothing, unless
 * the config asks for the managed file.
 */
public final class HostResolver {
    public static final Path RESOLV_CONF = Path.of("/etc/resolv.conf");
    private static final String RESOLVED_STUB = "127.0.0.53";
    private static final List<Path> PROGRAM_DIRECTORIES =
            List.of(Path.of("/usr/sbin"), Path.of("/sbin"), Path.of("/usr/bin"), Path.of("/bin"));

    private HostResolver() {}

    /**
     * What this host has, as far as choosing goes.
     *
     * @param resolvConf what {@code /etc/resolv.conf} is, in words
     * @param pointsAtResolvedStub whether it sends queries to systemd-resolved's stub
     * @param resolvedOnBus whether systemd-resolved has its name on the system bus
     * @param resolvconf the resolvconf program, when installed
     */
    public record Facts(
            String resolvConf, boolean pointsAtResolvedStub, boolean resolvedOnBus, Optional<Path> resolvconf) {
        /** Looks at this host now. */
        public static Facts look() {
            String described;
            boolean stub;
            try {
                if (Files.isSymbolicLink(RESOLV_CONF)) {
                    Path target = Files.readSymbolicLink(RESOLV_CONF);
                    described = "a symlink to " + target;
                    stub = target.toString().contains("/run/systemd/resolve/") || namesStub(RESOLV_CONF);
                } else if (Files.exists(RESOLV_CONF)) {
                    stub = namesStub(RESOLV_CONF);
                    described = stub ? "a file naming the stub " + RESOLVED_STUB : "a plain file";
                } else {
                    described = "missing";
                    stub = false;
                }
            } catch (IOException e) {
                described = "unreadable (" + e.getMessage() + ")";
                stub = false;
            }
            return new Facts(described, stub, ResolvedBackend.onSystemBus(), installedResolvconf());
        }

        private static boolean namesStub(Path file) throws IOException {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                    .map(String::strip)
                    .anyMatch(line -> line.matches("nameserver\\s+" + RESOLVED_STUB.replace(".", "\\.") + "\\b.*"));
        }

        private static Optional<Path> installedResolvconf() {
            return PROGRAM_DIRECTORIES.stream()
                    .map(dir -> dir.resolve("resolvconf"))
                    .filter(Files::isExecutable)
                    .findFirst();
        }
    }

    /**
     * The backend {@code up} uses and why.
     *
     * @param backend never {@link ResolverSetting#AUTO}
     * @param why in words, for check and doctor
     * @param problem why the backend cannot work on this host, if it cannot
     */
    public record Choice(ResolverSetting backend, String why, Optional<String> problem) {}

    /** What {@code setting} means on a host with {@code facts}. */
    public static Choice choose(ResolverSetting setting, Facts facts) {
        String resolvConf = "/etc/resolv.conf is " + facts.resolvConf();
        return switch (setting) {
            case AUTO -> {
                if (facts.pointsAtResolvedStub() && facts.resolvedOnBus()) {
                    yield new Choice(
                            ResolverSetting.SYSTEMD_RESOLVED,
                            resolvConf + " and systemd-resolved is on the system bus",
                            Optional.empty());
                }
                if (facts.resolvconf().isPresent()) {
                    yield new Choice(
                            ResolverSetting.RESOLVCONF,
                            resolvConf + (facts.pointsAtResolvedStub() ? " but systemd-resolved is not on the bus" : "")
                                    + "; resolvconf is installed ("
                                    + facts.resolvconf().get() + ")",
                            Optional.empty());
                }
                yield new Choice(
                        ResolverSetting.NONE,
                        resolvConf + (facts.pointsAtResolvedStub() ? " but systemd-resolved is not on the bus" : "")
                                + "; no resolvconf; the file is managed only with dnsResolver = \"file\"",
                        Optional.empty());
            }
            case SYSTEMD_RESOLVED ->
                new Choice(
                        setting,
                        "asked for by dnsResolver",
                        facts.resolvedOnBus()
                                ? Optional.empty()
                                : Optional.of("systemd-resolved is not on the system bus"));
            case RESOLVCONF ->
                new Choice(
                        setting,
                        "asked for by dnsResolver",
                        facts.resolvconf().isPresent() ? Optional.empty() : Optional.of("resolvconf is not installed"));
            case FILE -> new Choice(setting, "asked for by dnsResolver; " + resolvConf, Optional.empty());
            case NONE -> new Choice(setting, "asked for by dnsResolver", Optional.empty());
        };
    }

    /** The backend for {@code choice}, keeping what it must outlive a crash in {@code stateDirectory}. */
    public static ResolverBackend backend(Choice choice, Facts facts, Path stateDirectory) throws IOException {
        return switch (choice.backend()) {
            case SYSTEMD_RESOLVED -> new ResolvedBackend();
            case RESOLVCONF ->
                new ResolvconfBackend(
                        facts.resolvconf().orElseThrow(() -> new IOException("resolvconf is not installed")),
                        stateDirectory);
            case FILE -> new ManagedResolvConf(RESOLV_CONF, stateDirectory);
            case NONE, AUTO -> NO_BACKEND;
        };
    }

    /**
     * Puts back what a crashed daemon changed and nothing took back: the managed file and resolvconf
     * records (systemd-resolved forgets the settings of a link when the link goes). Returns what it did,
     * in words.
     */
    public static List<String> restoreAfterCrash(Path stateDirectory) {
        List<String> done = new ArrayList<>(new ManagedResolvConf(RESOLV_CONF, stateDirectory).restoreAfterCrash());
        Facts.installedResolvconf()
                .ifPresent(program -> done.addAll(new ResolvconfBackend(program, stateDirectory).revertNoted()));
        return done;
    }

    /** The resolvconf program, when this host has one. */
    public static Optional<Path> resolvconfInstalled() {
        return Facts.installedResolvconf();
    }

    /**
     * The servers the host asked before this instance's tunnels told its resolver anything: the saved
     * original while a tunnel holds a managed {@code /etc/resolv.conf}, else what the file names now.
     */
    public static List<InetSocketAddress> serversBeforeUp(Path stateDirectory) throws IOException {
        Optional<List<InetSocketAddress>> original =
                new ManagedResolvConf(RESOLV_CONF, stateDirectory).originalServers();
        return original.isPresent() ? original.get() : ResolvConfServers.read(RESOLV_CONF);
    }

    /** Whether a crashed daemon left a managed {@code /etc/resolv.conf} for the next one to put back. */
    public static boolean managedFileToRestore(Path stateDirectory) {
        return ManagedResolvConf.held(stateDirectory);
    }

    /** The host's resolver left alone. */
    private static final ResolverBackend NO_BACKEND = new ResolverBackend() {
        @Override
        public String name() {
            return "none";
        }

        @Override
        public void apply(LinkDns link) {}

        @Override
        public void revert(String interfaceName) {}
    };
}
