package dev.wgpr.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wgpr.client.control.TunnelStatus;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code wg-pr status} says things in words, as {@code wg show} does, not as Java prints them. */
class StatusWordsTest {
    private static final Instant NOW = Instant.parse("2026-12-06T09:00:00Z");
    private static final StatusText TEXT =
            new StatusText(Clock.fixed(NOW, ZoneId.of("UTC")), false, guard -> "borrowing");

    private static TunnelStatus.Peer peer(String endpoint, String resolved, String handshake, Long rx) {
        return new TunnelStatus.Peer(
                "gw", "key", endpoint, resolved, List.of("10.20.0.0/16"), null, handshake, rx, 2L, 25);
    }

    private static String secondsAgo(long seconds) {
        return NOW.minusSeconds(seconds).toString();
    }

    @Test
    void aHandshakeIsHowLongAgoInWordsByTheClock() {
        assertEquals("18 seconds ago", TEXT.handshake(peer(null, null, secondsAgo(18), 1L)));
        assertEquals("1 minute, 5 seconds ago", TEXT.handshake(peer(null, null, secondsAgo(65), 1L)));
        assertEquals("2 hours, 1 second ago", TEXT.handshake(peer(null, null, secondsAgo(7201), 1L)));
        assertEquals("1 day, 1 second ago", TEXT.handshake(peer(null, null, secondsAgo(86401), 1L)));
        assertEquals("0 seconds ago", TEXT.handshake(peer(null, null, secondsAgo(0), 1L)));
        assertEquals("0 seconds ago", TEXT.handshake(peer(null, null, secondsAgo(-3), 1L)), "a clock behind");
        assertEquals("none yet", TEXT.handshake(peer(null, null, null, 0L)));
        assertEquals("unknown (no device)", TEXT.handshake(peer(null, null, null, null)));
    }

    @Test
    void anEndpointIsShownOnceUnlessItResolvedToAnotherText() {
        assertEquals(
                "198.51.100.10:51820",
                StatusText.endpoint(peer("198.51.100.10:51820", "198.51.100.10:51820", null, null)));
        assertEquals(
                "vpn.example.com:51820 (198.51.100.10:51820)",
                StatusText.endpoint(peer("vpn.example.com:51820", "198.51.100.10:51820", null, null)));
    }

    @Test
    void aPeerThatRoamedShowsWhereTheDeviceSendsNow() {
        TunnelStatus.Peer roamed = new TunnelStatus.Peer(
                "gw", "key", "192.0.2.1:51820", "192.0.2.1:51820", List.of(), "192.0.2.7:4500", null, 1L, 1L, 0);
        assertEquals("192.0.2.1:51820, now 192.0.2.7:4500 (roamed)", StatusText.endpoint(roamed));
    }

    @Test
    void transferIsInBinaryUnitsLikeWgShow() {
        assertEquals("652 B", StatusText.bytes(652));
        assertEquals("1.00 KiB", StatusText.bytes(1024));
        assertEquals("1.50 MiB", StatusText.bytes(3 << 19));
    }

    @Test
    void onlyCountersThatAreNotZeroAreNamedInWords() {
        assertEquals(Optional.empty(), StatusText.nonZero(Map.of("badMac1", 0L, "malformed", 0L)));
        assertEquals(
                Optional.of("3 bad mac1, 1 replayed counter"),
                StatusText.nonZero(Map.of("replayedCounter", 1L, "badMac1", 3L, "malformed", 0L)));
    }
}
