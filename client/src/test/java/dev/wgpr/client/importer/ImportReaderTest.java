package dev.wgpr.client.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Reading wg-quick text as wg-quick and wg read it. */
class ImportReaderTest {
    @Test
    void headersMatchIgnoringCaseAndSpaces() {
        List<WgQuickSection> sections = read("[interface]\n[ PEER ]\n[Peer]\n");
        assertEquals(
                List.of(WgQuickSection.Kind.INTERFACE, WgQuickSection.Kind.PEER, WgQuickSection.Kind.PEER),
                sections.stream().map(WgQuickSection::kind).toList());
    }

    @Test
    void keysKeepTheirSpellingAndValuesKeepTheirEqualsSigns() {
        WgQuickEntry entry = read("[Interface]\n  privatekey=abc+/de==  \n")
                .getFirst()
                .entries()
                .getFirst();
        assertEquals(new WgQuickEntry(2, "privatekey", "abc+/de=="), entry);
    }

    @Test
    void commentsEndEveryLineAsInWgQuick() {
        List<WgQuickEntry> entries = read("""
                [Peer] # the gateway
                # AllowedIPs = 10.0.0.0/8
                AllowedIPs = 10.1.0.0/16 # office
                    # indented comment
                Endpoint = gw.example.com:51820#no space
                """).getFirst().entries();
        assertEquals(
                List.of(
                        new WgQuickEntry(3, "AllowedIPs", "10.1.0.0/16"),
                        new WgQuickEntry(5, "Endpoint", "gw.example.com:51820")),
                entries);
    }

    @Test
    void windowsLineEndsAndAByteOrderMarkAreAccepted() {
        List<WgQuickSection> sections =
                read("\uFEFF[Interface]\r\nMTU = 1420\r\n\r\n[Peer]\r\nEndpoint = a.example:1\r\n");
        assertEquals(
                new WgQuickEntry(2, "MTU", "1420"), sections.get(0).entries().getFirst());
        assertEquals(
                new WgQuickEntry(5, "Endpoint", "a.example:1"),
                sections.get(1).entries().getFirst());
    }

    @Test
    void aNameCommentAboveAPeerHeaderNamesThatPeer() {
        List<WgQuickSection> sections = read("""
                [Peer]
                PublicKey = a
                # Name = second
                [Peer]
                PublicKey = b
                """);
        assertEquals(List.of(Optional.empty(), Optional.of("second")), names(sections));
    }

    @Test
    void aNameCommentInsideAPeerNamesThatPeer() {
        assertEquals(
                List.of(Optional.of("db"), Optional.of("web")),
                names(read("[Peer]\n#name: db\nPublicKey = a\n[Peer]\nPublicKey = b\n# friendly_name = web\n")));
    }

    @Test
    void pivpnBeginMarkersNamePeers() {
        assertEquals(
                List.of(Optional.of("alice")),
                names(read("### begin alice ###\n[Peer]\nPublicKey = a\n### end alice ###\n")));
    }

    @Test
    void ordinaryCommentsDoNotNamePeers() {
        assertEquals(List.of(Optional.empty()), names(read("# the office gateway\n[Peer]\nPublicKey = a\n")));
    }

    @Test
    void aNameCommentAboveTheInterfaceNamesNoPeer() {
        assertEquals(
                List.of(Optional.empty()),
                names(read("# Name = laptop\n[Interface]\nMTU = 1420\n[Peer]\nPublicKey = a\n")));
    }

    private static List<WgQuickSection> read(String text) {
        Problems problems = new Problems();
        List<WgQuickSection> sections = WgQuickReader.read(text, problems);
        try {
            problems.throwIfAny("test.conf");
        } catch (ImportException e) {
            throw new AssertionError(e.getMessage(), e);
        }
        return sections;
    }

    private static List<Optional<String>> names(List<WgQuickSection> sections) {
        return sections.stream()
                .filter(s ->
                        s.kind() == WgQuickSection.Kind.PEER || s.nameComment().isPresent())
                .map(WgQuickSection::nameComment)
                .toList();
    }
}
