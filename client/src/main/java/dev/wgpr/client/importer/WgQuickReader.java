package dev.wgpr.client.importer;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits a wg-quick file into sections the way wg-quick and {@code wg setconf} read it: a
 * {@code #} starts a comment anywhere on a line, section headers and keys are matched ignoring
 * case, and a value is everything after the first {@code =} (keys in base64 end in {@code =}).
 */
final class WgQuickReader {
    private static final Pattern SECTION_HEADER = Pattern.compile("\\[\\s*([A-Za-z]+)\\s*]");

    /**
     * Comments that name a peer, as config generators write them: {@code # Name = hq-gw},
     * {@code #name: hq-gw}, {@code # friendly_name = hq-gw}, and PiVPN's {@code ### begin hq-gw ###}.
     */
    private static final List<Pattern> PEER_NAME_COMMENTS = List.of(
            Pattern.compile("#+\\s*(?:name|friendly_?name)\\s*[:=]\\s*(.*?)\\s*", Pattern.CASE_INSENSITIVE),
            Pattern.compile("#+\\s*begin\\s+(\\S.*?)\\s*#*\\s*", Pattern.CASE_INSENSITIVE));

    private final Problems problems;
    private final List<WgQuickSection> sections = new ArrayList<>();
    private SectionInProgress current;
    private String pendingPeerName;

    private WgQuickReader(Problems problems) {
        this.problems = problems;
    }

    /** The sections of {@code text}; malformed lines go to {@code problems} and are skipped. */
    static List<WgQuickSection> read(String text, Problems problems) {
        WgQuickReader reader = new WgQuickReader(problems);
        // Configs saved on Windows (WireSock's home) carry a byte order mark and CRLF line ends.
        String[] lines = text.replaceFirst("^\uFEFF", "").split("\r?\n|\r", -1);
        for (int i = 0; i < lines.length; i++) {
            reader.readLine(i + 1, lines[i]);
        }
        if (reader.current != null) {
            // A name comment after the last peer's lines names that peer.
            reader.claimPendingPeerName();
        }
        reader.finishSection();
        return List.copyOf(reader.sections);
    }

    private void readLine(int line, String text) {
        String stripped = text.strip();
        if (stripped.startsWith("#")) {
            peerNameIn(stripped).ifPresent(name -> pendingPeerName = name);
            return;
        }
        int hash = stripped.indexOf('#');
        String content = (hash < 0 ? stripped : stripped.substring(0, hash)).strip();
        if (content.isEmpty()) {
            return;
        }
        if (content.startsWith("[")) {
            startSection(line, content);
            return;
        }
        int equals = content.indexOf('=');
        if (equals <= 0) {
            problems.add(line, content, "expected KEY = VALUE or a [Interface] / [Peer] header");
            return;
        }
        WgQuickEntry entry = new WgQuickEntry(
                line,
                content.substring(0, equals).strip(),
                content.substring(equals + 1).strip());
        if (current == null) {
            problems.add(line, entry.key(), "comes before the first [Interface] or [Peer] header");
            return;
        }
        current.entries.add(entry);
        // A name comment between a peer's lines names that peer; one above a header names the next.
        claimPendingPeerName();
    }

    private void startSection(int line, String header) {
        finishSection();
        Matcher matcher = SECTION_HEADER.matcher(header);
        String name = matcher.matches() ? matcher.group(1).toLowerCase(Locale.ROOT) : "";
        WgQuickSection.Kind kind = switch (name) {
            case "interface" -> WgQuickSection.Kind.INTERFACE;
            case "peer" -> WgQuickSection.Kind.PEER;
            default -> null;
        };
        if (kind == null) {
            problems.add(line, header, "unknown section; wg-quick knows only [Interface] and [Peer]");
            // Its lines are skipped, not blamed one by one as lines outside a section.
            current = new SectionInProgress(null, line);
            return;
        }
        current = new SectionInProgress(kind, line);
        claimPendingPeerName();
    }

    private void claimPendingPeerName() {
        if (pendingPeerName != null && current.kind == WgQuickSection.Kind.PEER && current.name == null) {
            current.name = pendingPeerName;
        }
        pendingPeerName = null;
    }

    private void finishSection() {
        if (current == null) {
            return;
        }
        if (current.kind != null) {
            sections.add(
                    new WgQuickSection(current.kind, current.line, Optional.ofNullable(current.name), current.entries));
        }
        current = null;
    }

    private static Optional<String> peerNameIn(String comment) {
        for (Pattern pattern : PEER_NAME_COMMENTS) {
            Matcher matcher = pattern.matcher(comment);
            if (matcher.matches() && !matcher.group(1).isEmpty()) {
                return Optional.of(matcher.group(1));
            }
        }
        return Optional.empty();
    }

    private static final class SectionInProgress {
        final WgQuickSection.Kind kind;
        final int line;
        final List<WgQuickEntry> entries = new ArrayList<>();
        String name;

        SectionInProgress(WgQuickSection.Kind kind, int line) {
            this.kind = kind;
            this.line = line;
        }
    }
}
