package dev.wgpr.client.dns;

import dev.wgpr.common.net.IpText;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * {@code /etc/resolv.conf} replaced while a tunnel is up, for hosts with neither systemd-resolved nor
 * resolvconf, and only when the config asks for it ({@code dnsResolver = "file"}): it names the link's
 * servers, keeping the original's {@code search} and {@code options} lines. The original, a file (its bytes
 * and mode) or a symlink (its target), is saved in the state directory before the first change, and every
 * change is an atomic rename, so the file is never half written and a daemon after a crash restores it
 * byte for byte. One tunnel at a time holds the file.
 */
final class ManagedResolvConf implements ResolverBackend {
    private static final String HOLDER = "resolv.conf.holder";
    private static final String ORIGINAL = "resolv.conf.original";
    private static final String WRITTEN = "resolv.conf.written";

    private enum Kind {
        FILE,
        SYMLINK,
        ABSENT
    }

    /** Who holds the file and what the original was. */
    private record Holder(String interfaceName, Kind kind, String permissions) {
        static Optional<Holder> read(Path file) throws IOException {
            if (!Files.exists(file)) {
                return Optional.empty();
            }
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return Optional.of(new Holder(lines.get(0), Kind.valueOf(lines.get(1)), lines.get(2)));
        }

        String text() {
            return interfaceName + "\n" + kind + "\n" + permissions + "\n";
        }
    }

    private final Path resolvConf;
    private final Path stateDirectory;

    ManagedResolvConf(Path resolvConf, Path stateDirectory) {
        this.resolvConf = resolvConf;
        this.stateDirectory = stateDirectory;
    }

    @Override
    public String name() {
        return "file";
    }

    @Override
    public void apply(LinkDns link) throws IOException {
        Optional<Holder> holder = Holder.read(state(HOLDER));
        if (holder.isPresent() && !holder.get().interfaceName().equals(link.interfaceName())) {
            throw new IOException(resolvConf + " is managed for tunnel "
                    + holder.get().interfaceName() + " already; one tunnel at a time can have dnsResolver = \"file\"");
        }
        Holder held = holder.isPresent() ? holder.get() : saveOriginal(link.interfaceName());
        byte[] text = managedText(link, originalLines(held)).getBytes(StandardCharsets.UTF_8);
        try {
            replaceWithFile(text, held.permissions());
        } catch (AccessDeniedException e) {
            if (holder.isEmpty()) {
                forget();
            }
            throw new IOException("the daemon may not replace " + resolvConf + " (" + e.getMessage()
                    + "): its lockdown allows that only to a daemon started by `up` of a config with"
                    + " dnsResolver = \"file\"; `wg-pr daemon stop`, then `up` again");
        }
        writeDurably(state(WRITTEN), text);
    }

    @Override
    public void revert(String interfaceName) throws IOException {
        Optional<Holder> holder = Holder.read(state(HOLDER));
        if (holder.isPresent() && holder.get().interfaceName().equals(interfaceName)) {
            restore(holder.get());
        }
    }

    /**
     * Restores what a crashed daemon changed, if the file is still as it wrote it (a file someone has
     * replaced since is theirs now); returns what it did, in words.
     */
    List<String> restoreAfterCrash() {
        try {
            Optional<Holder> holder = Holder.read(state(HOLDER));
            if (holder.isEmpty()) {
                return List.of();
            }
            boolean ours = Files.exists(state(WRITTEN))
                    && Files.isRegularFile(resolvConf, LinkOption.NOFOLLOW_LINKS)
                    && Arrays.equals(Files.readAllBytes(resolvConf), Files.readAllBytes(state(WRITTEN)));
            if (!ours) {
                forget();
                return List.of(
                        resolvConf + " was managed for tunnel " + holder.get().interfaceName()
                                + " by a crashed daemon and has been replaced since: left as it is");
            }
            restore(holder.get());
            return List.of("restored " + resolvConf + " as it was before tunnel "
                    + holder.get().interfaceName() + " (its daemon crashed)");
        } catch (IOException | RuntimeException e) {
            return List.of("could not restore " + resolvConf + " after a crashed daemon: " + e.getMessage());
        }
    }

    /**
     * The servers the file named before a tunnel took it over, while one holds it (its own text names
     * only the link's, that is, the daemon's forwarder: an upstream read from it would ask itself).
     */
    Optional<List<InetSocketAddress>> originalServers() throws IOException {
        Optional<Holder> holder = Holder.read(state(HOLDER));
        if (holder.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(ResolvConfServers.parse(String.join("\n", originalLines(holder.get())) + "\n"));
    }

    /** Whether some tunnel holds the file (a daemon saved the original and has not put it back). */
    static boolean held(Path stateDirectory) {
        return Files.exists(stateDirectory.resolve(HOLDER));
    }

    private Holder saveOriginal(String interfaceName) throws IOException {
        Files.createDirectories(stateDirectory);
        Holder holder;
        if (Files.isSymbolicLink(resolvConf)) {
            holder = new Holder(interfaceName, Kind.SYMLINK, "rw-r--r--");
            writeDurably(
                    state(ORIGINAL),
                    Files.readSymbolicLink(resolvConf).toString().getBytes(StandardCharsets.UTF_8));
        } else if (Files.exists(resolvConf)) {
            holder = new Holder(
                    interfaceName, Kind.FILE, PosixFilePermissions.toString(Files.getPosixFilePermissions(resolvConf)));
            writeDurably(state(ORIGINAL), Files.readAllBytes(resolvConf));
        } else {
            holder = new Holder(interfaceName, Kind.ABSENT, "rw-r--r--");
        }
        // The holder last: it is what says a saved original is complete.
        writeDurably(state(HOLDER), holder.text().getBytes(StandardCharsets.UTF_8));
        return holder;
    }

    private List<String> originalLines(Holder holder) throws IOException {
        Path original = switch (holder.kind()) {
            case FILE -> state(ORIGINAL);
            case SYMLINK -> resolvConf.resolveSibling(Files.readString(state(ORIGINAL)));
            case ABSENT -> null;
        };
        if (original == null || !Files.isReadable(original)) {
            return List.of();
        }
        return Files.readAllLines(original, StandardCharsets.UTF_8);
    }

    /** The link's servers, and the original's lines that are not about servers. */
    private static String managedText(LinkDns link, List<String> original) {
        StringBuilder text = new StringBuilder("# Written by wg-pr while tunnel " + link.interfaceName()
                + " is up (dnsResolver = \"file\"); `wg-pr down` puts the original back.\n");
        link.servers()
                .forEach(server ->
                        text.append("nameserver ").append(IpText.of(server)).append('\n'));
        for (String line : original) {
            String trimmed = line.strip();
            if (trimmed.startsWith("search") || trimmed.startsWith("domain") || trimmed.startsWith("options")) {
                text.append(trimmed).append('\n');
            }
        }
        return text.toString();
    }

    private void restore(Holder holder) throws IOException {
        switch (holder.kind()) {
            case FILE -> replaceWithFile(Files.readAllBytes(state(ORIGINAL)), holder.permissions());
            case SYMLINK -> {
                Path staged = staging();
                Files.deleteIfExists(staged);
                Files.createSymbolicLink(staged, Path.of(Files.readString(state(ORIGINAL), StandardCharsets.UTF_8)));
                Files.move(staged, resolvConf, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            case ABSENT -> Files.deleteIfExists(resolvConf);
        }
        forget();
    }

    private void forget() throws IOException {
        Files.deleteIfExists(state(HOLDER));
        Files.deleteIfExists(state(ORIGINAL));
        Files.deleteIfExists(state(WRITTEN));
    }

    /** Writes {@code text} next to the file and renames it over: readers see the old file or the new one. */
    private void replaceWithFile(byte[] text, String permissions) throws IOException {
        Path staged = staging();
        Files.deleteIfExists(staged);
        writeDurably(staged, text);
        Files.setPosixFilePermissions(staged, PosixFilePermissions.fromString(permissions));
        Files.move(staged, resolvConf, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private Path staging() {
        return resolvConf.resolveSibling("." + resolvConf.getFileName() + ".wg-pr");
    }

    private Path state(String name) {
        return stateDirectory.resolve(name);
    }

    private static void writeDurably(Path file, byte[] bytes) throws IOException {
        try (var channel = FileChannel.open(
                file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            channel.write(ByteBuffer.wrap(bytes));
            channel.force(true);
        }
    }
}
