package dev.wgpr.client.cli;

import dev.wgpr.client.importer.Finding;
import dev.wgpr.client.importer.ImportException;
import dev.wgpr.client.importer.ImportResult;
import dev.wgpr.client.importer.WgQuickImporter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "import",
        mixinStandardHelpOptions = true,
        description = {
            "Convert a wg-quick config (wg0.conf) into a wg-pr config (TOML).",
            "",
            "Everything WireGuard needs is carried over: keys, addresses, DNS servers, MTU, listen port,"
                    + " and each peer's endpoint, allowed IPs and keepalive. A peer is named after a"
                    + " `# Name = …` comment, else peer1, peer2, …",
            "WireSock's AllowedApps become the peer's allowedApps (exec is set for absolute Linux paths).",
            "",
            "What wg-pr has no counterpart for (PostUp and the other scripts, Table, FwMark, SaveConfig,"
                    + " DNS search domains, DisallowedApps, unknown keys) is listed on standard error with its"
                    + " line, and as a comment in the output; nothing is dropped silently.",
            "",
            "Mind wg-pr's model: only the apps a peer names in allowedApps may use its routes. A peer"
                    + " without AllowedApps is imported without apps, and then no app may use it until you add some.",
        },
        footer = {
            "",
            "Examples:",
            "  wg-pr import /etc/wireguard/corp.conf -o corp.toml && wg-pr check corp.toml",
            "  wg-pr import wg0.conf > wg0.toml          # the report goes to standard error",
            "",
            "Exit status: 0 imported, 2 the file is invalid or unreadable (nothing is written), 1 the output"
                    + " could not be written.",
        })
final class ImportCommand implements Callable<Integer> {
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    @Parameters(index = "0", paramLabel = "FILE.conf", description = "The wg-quick config to convert.")
    Path source;

    @Option(
            names = {"-o", "--output"},
            paramLabel = "OUT.toml",
            description = "Write the config to this file (mode 0600: it holds the private key) instead of"
                    + " standard output.")
    Path output;

    @Option(
            names = "--force",
            description = "Replace OUT.toml if it exists (otherwise an existing file is never overwritten).")
    boolean force;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        String text;
        try {
            text = Files.readString(source, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            err.println("wg-pr: " + source + ": not UTF-8 text; is this a wg-quick config?");
            return WgPrCommand.EXIT_BAD_INPUT;
        } catch (IOException e) {
            err.println("wg-pr: cannot read " + source + ": " + describe(e));
            return WgPrCommand.EXIT_BAD_INPUT;
        }
        ImportResult result;
        try {
            result = WgQuickImporter.importConfig(source.toString(), text);
        } catch (ImportException e) {
            err.println("wg-pr: " + source + " cannot be imported; nothing was written:");
            e.getMessage().lines().forEach(line -> err.println("  " + line));
            return WgPrCommand.EXIT_BAD_INPUT;
        }
        try {
            write(result.toml());
        } catch (FileAlreadyExistsException e) {
            err.println("wg-pr: " + output + " exists; use --force to replace it");
            return WgPrCommand.EXIT_BAD_INPUT;
        } catch (IOException e) {
            err.println("wg-pr: cannot write " + output + ": " + describe(e));
            return 1;
        }
        report(result, err);
        return 0;
    }

    private void write(String toml) throws IOException {
        if (output == null) {
            GenkeyCommand.warnIfStdoutIsWorldAccessible(spec);
            spec.commandLine().getOut().print(toml);
            spec.commandLine().getOut().flush();
            return;
        }
        // The file is 0600 from its creation, before the key is in it. --force replaces the old file
        // by a rename, so a file others could read never holds the key, not even for a moment.
        Path target = output.toAbsolutePath();
        if (!force) {
            writeNew(target, toml);
            return;
        }
        Path temporary = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp", OWNER_ONLY);
        try {
            Files.writeString(temporary, toml, StandardCharsets.UTF_8);
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /** Creates {@code target}, failing if it exists (checked and created in one step), and fills it. */
    private static void writeNew(Path target, String toml) throws IOException {
        try (SeekableByteChannel channel = Files.newByteChannel(
                target, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), OWNER_ONLY)) {
            ByteBuffer bytes = StandardCharsets.UTF_8.encode(toml);
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        } catch (FileAlreadyExistsException e) {
            throw e; // someone else's file: not ours to delete
        } catch (IOException e) {
            Files.deleteIfExists(target); // no half-written config left behind
            throw e;
        }
    }

    private void report(ImportResult result, PrintWriter err) {
        err.println("Imported " + source + ": " + result.summary()
                + (output == null ? "." : ", written to " + output + "."));
        section(err, "Not carried over", result.findings(Finding.Kind.NOT_CARRIED_OVER));
        section(err, "Changed", result.findings(Finding.Kind.CHANGED));
        section(err, "Warnings", result.findings(Finding.Kind.WARNING));
        if (output != null) {
            err.println("Next: wg-pr check " + output);
        }
    }

    private void section(PrintWriter err, String title, List<Finding> findings) {
        if (findings.isEmpty()) {
            return;
        }
        err.println(title + ":");
        findings.forEach(finding -> err.println("  " + finding.describe(source.toString())));
    }

    private static String describe(IOException e) {
        return e instanceof NoSuchFileException ? "no such file" : String.valueOf(e.getMessage());
    }
}
