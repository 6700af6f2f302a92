package dev.wgpr.client.dns;

import dev.wgpr.common.net.IpText;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * resolvconf(8), Debian's or openresolv: the link's servers as one record, {@code resolvconf -a
 * tun.IFACE.wg-pr}, taken back with {@code -d}. The record is named {@code tun.*} as wg-quick names its
 * own, so that Debian's interface-order puts its nameserver before the LAN's. resolvconf knows no routing
 * domains: every name goes to the link's server first, which answers the tunnel's zones and forwards the
 * rest. resolvconf outlives the daemon, so each record is noted in the state directory until it is taken
 * back, and a daemon after a crash takes back what the notes name.
 */
final class ResolvconfBackend implements ResolverBackend {
    private static final String NOTE_PREFIX = "resolvconf.";

    private final Path program;
    private final Path stateDirectory;

    ResolvconfBackend(Path program, Path stateDirectory) {
        this.program = program;
        this.stateDirectory = stateDirectory;
    }

    @Override
    public String name() {
        return "resolvconf";
    }

    static String record(String interfaceName) {
        return "tun." + interfaceName + ".wg-pr";
    }

    @Override
    public void apply(LinkDns link) throws IOException {
        StringBuilder text = new StringBuilder("# wg-pr: the DNS of tunnel " + link.interfaceName() + "\n");
        link.servers()
                .forEach(server ->
                        text.append("nameserver ").append(IpText.of(server)).append('\n'));
        Files.createDirectories(stateDirectory);
        Path note = stateDirectory.resolve(NOTE_PREFIX + link.interfaceName());
        boolean first = !Files.exists(note);
        Files.writeString(note, record(link.interfaceName()));
        try {
            run(List.of("-a", record(link.interfaceName())), text.toString());
        } catch (IOException e) {
            if (first) {
                // resolvconf may have kept the record before an update script failed.
                try {
                    revert(link.interfaceName());
                } catch (IOException undo) {
                    e.addSuppressed(undo);
                }
            }
            throw e;
        }
    }

    @Override
    public void revert(String interfaceName) throws IOException {
        Path note = stateDirectory.resolve(NOTE_PREFIX + interfaceName);
        if (Files.exists(note)) {
            try {
                run(List.of("-d", record(interfaceName)), "");
            } finally {
                Files.delete(note);
            }
        }
    }

    /** Takes back every record a crashed daemon noted; returns what it did, in words. */
    List<String> revertNoted() {
        List<String> done = new ArrayList<>();
        if (!Files.isDirectory(stateDirectory)) {
            return done;
        }
        try (var notes = Files.list(stateDirectory)) {
            for (Path note : notes.filter(file -> file.getFileName().toString().startsWith(NOTE_PREFIX))
                    .sorted()
                    .toList()) {
                String iface = note.getFileName().toString().substring(NOTE_PREFIX.length());
                try {
                    revert(iface);
                    done.add("took back resolvconf record " + record(iface) + " of a crashed daemon");
                } catch (IOException e) {
                    done.add("could not take back resolvconf record " + record(iface) + ": " + e.getMessage());
                }
            }
        } catch (IOException e) {
            done.add("could not look for resolvconf records of a crashed daemon: " + e.getMessage());
        }
        return done;
    }

    private void run(List<String> arguments, String stdin) throws IOException {
        List<String> command = new ArrayList<>(List.of(program.toString()));
        command.addAll(arguments);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (var in = process.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.US_ASCII));
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(String.join(" ", command) + " interrupted", e);
        }
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed (exit " + process.exitValue() + ")"
                    + (output.isEmpty() ? "" : ": " + output));
        }
    }
}
